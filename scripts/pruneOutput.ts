// tsc writes out/ but never deletes from it: a module or test whose source was deleted (or
// reverted) keeps its compiled copy, and mocha's globs would still run that test. The build calls
// this after tsc, so that out/ holds only what the sources make.
import * as fs from 'node:fs';
import * as path from 'node:path';

const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts'];

/**
 * Deletes every compiled `.js` under `outDir` (and its `.js.map`) whose source under `root` is
 * gone; other files (test reports, say) are left alone. Returns the deleted paths, relative to `root`.
 */
export function pruneOrphanedOutput(root: string, outDir = 'out'): string[] {
  const deleted: string[] = [];
  const visit = (relative: string): void => {
    for (const entry of fs.readdirSync(path.join(root, outDir, relative), { withFileTypes: true })) {
      const child = path.join(relative, entry.name);
      if (entry.isDirectory()) visit(child);
      else if (entry.name.endsWith('.js') && !hasSource(root, child.slice(0, -'.js'.length))) {
        for (const file of [child, `${child}.map`]) {
          const target = path.join(root, outDir, file);
          if (fs.existsSync(target)) {
            fs.rmSync(target);
            deleted.push(path.join(outDir, file));
          }
        }
      }
    }
  };
  if (fs.existsSync(path.join(root, outDir))) visit('');
  return deleted;
}

function hasSource(root: string, stem: string): boolean {
  return SOURCE_EXTENSIONS.some((extension) => fs.existsSync(path.join(root, stem + extension)));
}
