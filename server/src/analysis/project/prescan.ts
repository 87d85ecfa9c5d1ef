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
  const searches = new Map<string, Search>();
  const queue = [...files];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (scanned.has(file)) continue;
    scanned.add(file);
    const lines = cache.lines(file);
    if (!lines) continue;
    let search: Search | undefined;
    for (const line of lines) {
      if (!/include/i.test(line)) continue;
      const spec = specOf(line);
      if (spec === undefined) continue;
      search ??= searchFor(searches, [dirname(file), ...includePaths(file)]);
      for (const target of search.candidates(spec)) {
        if (target === file || cache.lines(target) === undefined) continue;
        included.add(target);
        queue.push(target);
        break;
      }
    }
  }
  return included;
}

/**
 * The paths a spec names from a list of directories, in order. The files of a folder share
 * their list, and name the same headers again: each list and spec is joined once.
 */
class Search {
  private readonly joined = new Map<string, readonly string[]>();

  constructor(private readonly directories: readonly string[]) {}

  candidates(spec: string): readonly string[] {
    let paths = this.joined.get(spec);
    if (!paths) {
      // Pushed, not mapped: `map` can make a holey array, another hidden class to the loop over it.
      const joined: string[] = [];
      for (const dir of this.directories) joined.push(joinPath(dir, spec));
      this.joined.set(spec, (paths = joined));
    }
    return paths;
  }
}

function searchFor(searches: Map<string, Search>, directories: readonly string[]): Search {
  const key = directories.join('\0');
  let search = searches.get(key);
  if (!search) searches.set(key, (search = new Search(directories)));
  return search;
}

function specOf(line: string): string | undefined {
  for (const form of INCLUDE_FORMS) {
    const match = form.exec(line);
    if (match) return match[1]!.trim();
  }
  return undefined;
}
