// The .vsix both the bundle checks and the code-server test look at: packed once per run, as
// `npm run package` packs it but from the dist/ already built (vsce runs no build script here).
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { CACHE, ROOT } from '../vscode/codeServer';

export interface PackedVsix {
  file: string;
  /** Its entries, `extension/package.json` and so on. */
  entries: string[];
}

const FOLDER = path.join(CACHE, 'runs', 'web-vsix');
let packed: PackedVsix | undefined;

export function packedVsix(): PackedVsix {
  packed ??= pack();
  return packed;
}

function pack(): PackedVsix {
  rmSync(FOLDER, { recursive: true, force: true });
  mkdirSync(FOLDER, { recursive: true });
  const file = path.join(FOLDER, 'virtlint.vsix');
  const vsce = path.join(ROOT, 'node_modules', '.bin', 'vsce');
  const result = spawnSync(vsce, ['package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '-o', file], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
  if (result.status !== 0) throw new Error(`vsce package failed: ${result.stdout}${result.stderr}`);
  const listed = spawnSync('unzip', ['-Z1', file], { encoding: 'utf8' });
  if (listed.status !== 0) throw new Error(`unzip -Z1 ${file} failed: ${listed.stderr}`);
  return { file, entries: listed.stdout.split('\n').filter((line) => line !== '') };
}

/** The .vsix's `extension/` folder unpacked into `folder` (wiped first); returns the extension's root. */
export function unpackedVsix(folder: string): string {
  const { file } = packedVsix();
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  const result = spawnSync('unzip', ['-q', file, 'extension/*', '-d', folder], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`unzip ${file} failed: ${result.stderr}`);
  return path.join(folder, 'extension');
}

/** A test extension's folder (plain JavaScript, no dependencies) packed as a .vsix under the cache, to be installed. */
export function packedTestExtension(folder: string): string {
  const out = path.join(CACHE, 'runs', `${path.basename(folder)}-vsix`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const file = path.join(out, `${path.basename(folder)}.vsix`);
  const vsce = path.join(ROOT, 'node_modules', '.bin', 'vsce');
  const result = spawnSync(vsce, ['package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '-o', file], { cwd: folder, encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0) throw new Error(`vsce package in ${folder} failed: ${result.stdout}${result.stderr}`);
  return file;
}
