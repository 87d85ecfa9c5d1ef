// Listing a workspace's assembly files for the project index: the folders are walked without
// blocking the server (one directory per turn of the event loop), symbolic links to directories
// are not followed (they can form cycles), and the walk stops at a file limit.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** Extensions the index starts from (headers such as `.h` come in only when assembly includes them). */
export const INDEXED_EXTENSIONS: readonly string[] = ['.asm', '.s', '.sx', '.nasm', '.yasm', '.inc', '.mac', '.fasm', '.masm', '.a86'];
const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git', '.hg', '.svn', '.vscode-test', 'out', 'dist']);

export interface WorkspaceListing {
  files: string[];
  /** True when the walk stopped at `maxFiles`. */
  truncated: boolean;
}

export interface ListOptions {
  maxFiles: number;
  /** Extensions the configuration adds (`.asm_ia32`), with their dot. */
  extensions?: readonly string[];
  /** Paths the configuration excludes (its `ignore` globs); checked for files and directories. */
  ignored?: (absolutePath: string) => boolean;
  /** Called after each directory, for progress. */
  onDirectory?: (directory: string, filesSoFar: number) => void;
  isCancelled?: () => boolean;
}

export function hasIndexedExtension(file: string): boolean {
  return INDEXED_EXTENSIONS.includes(path.extname(file).toLowerCase());
}

/** The assembly files under `folders`, sorted, as absolute `/`-separated paths. */
export async function listAssemblyFiles(folders: readonly string[], options: ListOptions): Promise<WorkspaceListing> {
  const found = new Set<string>();
  const pending: string[] = [];
  for (const folder of folders) pending.push(path.resolve(folder));
  let truncated = false;
  while (pending.length > 0 && !truncated) {
    if (options.isCancelled?.()) break;
    const directory = pending.pop()!;
    const entries = await readDirectory(directory);
    for (const entry of entries) {
      const full = path.join(directory, entry.name);
      if (options.ignored?.(full)) continue;
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRECTORIES.has(entry.name)) pending.push(full);
      } else if ((entry.isFile() || entry.isSymbolicLink()) && (hasIndexedExtension(entry.name) || options.extensions?.includes(path.extname(entry.name)))) {
        if (found.size >= options.maxFiles) {
          truncated = true;
          break;
        }
        found.add(toSlashes(full));
      }
    }
    options.onDirectory?.(directory, found.size);
  }
  return { files: Array.from(found).sort(), truncated };
}

async function readDirectory(directory: string): Promise<import('node:fs').Dirent[]> {
  try {
    return await fs.readdir(directory, { withFileTypes: true });
  } catch {
    // An unreadable folder holds nothing the index can read.
    return [];
  }
}

export function toSlashes(file: string): string {
  return path.sep === '/' ? file : file.split(path.sep).join('/');
}
