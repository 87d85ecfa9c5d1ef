// The one way to find the installed virtlint package (the nearest folder above a script whose
// package.json names virtlint): its root for the rule pages, its version for `--version` and the
// language server's serverInfo, its homepage for SARIF. Works from dist/*.js (bundled) and from
// out/ (compiled), for the CLI, the scanner, the language server and the scripts alike.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface PackageInfo {
  root: string;
  version: string;
  homepage?: string;
}

let cached: PackageInfo | null | undefined;

/** The package this code runs from (cached). */
export function packageInfo(): PackageInfo | undefined {
  if (cached === undefined) cached = findPackage(__dirname);
  return cached ?? undefined;
}

/** The virtlint package at or above `startDir`, or null. */
export function findPackage(startDir: string): PackageInfo | null {
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
