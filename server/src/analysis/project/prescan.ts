// A quick look for include directives in every dialect, before any walk: a file some other file
// includes is not a root of its own (it is read in its includer's state instead).
import type { FileCache } from './fileCache';
import { dirname, joinPath } from './paths';

const INCLUDE_FORMS: readonly RegExp[] = [
  /^\s*%\s*include\s+["'<]([^"'>]+)["'>]/i,
  /^\s*#\s*include(?:_next)?\s*["<]([^">]+)[">]/,
  /^\s*\.include\s+"([^"]+)"/i,
  /^\s*include\s+['"]([^'"]+)['"]/i,
  /^\s*include\s+<([^>]+)>/i,
  /^\s*include\s+([^\s;'"<]+)\s*(?:;.*)?$/i,
];

/** The files among `files` (and the files they reach) that an include directive somewhere names. */
export function includedFiles(files: readonly string[], cache: FileCache, includePaths: (file: string) => readonly string[]): Set<string> {
  const included = new Set<string>();
  const scanned = new Set<string>();
  const queue = [...files];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (scanned.has(file)) continue;
    scanned.add(file);
    const lines = cache.lines(file);
    if (!lines) continue;
    for (const line of lines) {
      if (!/include/i.test(line)) continue;
      const spec = specOf(line);
      if (spec === undefined) continue;
      for (const dir of [dirname(file), ...includePaths(file)]) {
        const target = joinPath(dir, spec);
        if (target === file || cache.lines(target) === undefined) continue;
        included.add(target);
        queue.push(target);
        break;
      }
    }
  }
  return included;
}

function specOf(line: string): string | undefined {
  for (const form of INCLUDE_FORMS) {
    const match = form.exec(line);
    if (match) return match[1]!.trim();
  }
  return undefined;
}
