// Finds the installed virtlint package from the running script, for `--version` and for the
// rule documentation links. Works from dist/cli.js (bundled) and out/server/src/cli/ (compiled).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface PackageInfo {
  root: string;
  version: string;
  homepage?: string;
}

let cached: PackageInfo | null | undefined;

export function packageInfo(): PackageInfo | undefined {
  if (cached === undefined) cached = findPackage(__dirname);
  return cached ?? undefined;
}

function findPackage(startDir: string): PackageInfo | null {
  for (let dir = startDir; ; dir = dirname(dir)) {
    const manifest = readManifest(join(dir, 'package.json'));
    if (manifest?.name === 'virtlint') {
      const info: PackageInfo = { root: dir, version: typeof manifest.version === 'string' ? manifest.version : '0.0.0' };
      if (typeof manifest.homepage === 'string') info.homepage = manifest.homepage;
      return info;
    }
    if (dirname(dir) === dir) return null;
  }
}

function readManifest(file: string): { name?: unknown; version?: unknown; homepage?: unknown } | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown; homepage?: unknown };
  } catch {
    return undefined;
  }
}
