// The desktop server's workspace: folders are `file:` URIs, read from the disk. The listing walks
// them without blocking the server (one directory per turn of the event loop), does not follow
// symbolic links to directories (they can form cycles), and stops at a file limit. Nothing is kept
// between reads, so a file changed on disk needs no refresh.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isListedName, SKIPPED_DIRECTORIES, type ListOptions, type WorkspaceAccess, type WorkspaceListing } from './workspaceAccess';

export const diskWorkspace: WorkspaceAccess = {
  folderPath(uri) {
    if (!uri.startsWith('file:')) return undefined;
    try {
      return fileURLToPath(uri);
    } catch {
      // A folder we cannot map to a path cannot match an override glob either.
      return undefined;
    }
  },
  uriOf: (file) => pathToFileURL(file).href,
  listFiles: listAssemblyFiles,
  refresh: () => Promise.resolve(),
};

const SKIPPED = new Set(SKIPPED_DIRECTORIES);

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
        if (!SKIPPED.has(entry.name)) pending.push(full);
      } else if ((entry.isFile() || entry.isSymbolicLink()) && isListedName(entry.name, options.extensions)) {
        if (found.size >= options.maxFiles) {
          truncated = true;
          break;
        }
        found.add(toSlashes(full));
      }
    }
    options.onProgress?.(found.size);
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
