// Finds the installed package (or extension) root from the running script, so
// diagnostics can link to `docs/rules/<id>.md` inside it. Works from `dist/server.js`
// (bundled) and from `out/server/src/lsp/*.js` (compiled).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let cachedRoot: string | undefined | null = null;

export function packageRoot(startDir: string = __dirname): string | undefined {
  if (cachedRoot !== null && startDir === __dirname) return cachedRoot;
  let dir = startDir;
  let found: string | undefined;
  for (;;) {
    if (isVirtlintPackage(join(dir, 'package.json'))) {
      found = dir;
      break;
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  if (startDir === __dirname) cachedRoot = found;
  return found;
}

function isVirtlintPackage(manifest: string): boolean {
  if (!existsSync(manifest)) return false;
  try {
    const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown };
    return parsed.name === 'virtlint';
  } catch {
    return false;
  }
}
