// How the server reaches the workspace beyond the open documents: which folders it can read, the
// URI the client knows a path by, the listing the project index starts from, and what to do when
// files change outside the editor. The desktop server reads the disk (workspaceFiles.ts); the web
// worker asks its client (browserWorkspace.ts). The session and the project index use this and
// never know which of the two they have.
import * as path from 'node:path';

/** Extensions the index starts from (headers such as `.h` come in only when assembly includes them). */
export const INDEXED_EXTENSIONS: readonly string[] = ['.asm', '.s', '.sx', '.nasm', '.yasm', '.inc', '.mac', '.fasm', '.masm', '.a86'];
/** Folders the listing never enters, wherever they are. */
export const SKIPPED_DIRECTORIES: readonly string[] = ['node_modules', '.git', '.hg', '.svn', '.vscode-test', 'out', 'dist'];

export interface WorkspaceListing {
  files: string[];
  /** True when the listing stopped at `maxFiles`. */
  truncated: boolean;
}

export interface ListOptions {
  maxFiles: number;
  /** Extensions the configuration adds (`.asm_ia32`), with their dot. */
  extensions?: readonly string[];
  /** Paths the configuration excludes (its `ignore` globs); checked for files and directories. */
  ignored?: (absolutePath: string) => boolean;
  /** Called as the listing goes, for progress. */
  onProgress?: (filesSoFar: number) => void;
  isCancelled?: () => boolean;
}

export interface WorkspaceAccess {
  /** The path the server names a workspace folder's files under; undefined when it cannot read that folder. */
  folderPath(uri: string): string | undefined;
  /** The URI the client knows a path by (contexts, locations). */
  uriOf(path: string): string;
  /** The assembly files under `folders`, sorted, as absolute `/`-separated paths. */
  listFiles(folders: readonly string[], options: ListOptions): Promise<WorkspaceListing>;
  /** These files changed outside the editor: whatever the server keeps of them is read again before it resolves. */
  refresh(paths: readonly string[]): Promise<void>;
}

export function hasIndexedExtension(file: string): boolean {
  return INDEXED_EXTENSIONS.includes(path.extname(file).toLowerCase());
}

/** Whether the listing takes a file of this name: an indexed extension in any case, or one the configuration adds, exactly. */
export function isListedName(name: string, extraExtensions: readonly string[] | undefined): boolean {
  return hasIndexedExtension(name) || (extraExtensions?.includes(path.extname(name)) ?? false);
}

/** Whether the listing takes `file`: under one of `folders` with no skipped folder in between, and a listed name. */
export function isListedPath(file: string, folders: readonly string[], extraExtensions: readonly string[] | undefined): boolean {
  if (!isListedName(file.slice(file.lastIndexOf('/') + 1), extraExtensions)) return false;
  for (const folder of folders) {
    const prefix = folder.endsWith('/') ? folder : `${folder}/`;
    if (file.startsWith(prefix) && !file.slice(prefix.length).split('/').slice(0, -1).some((name) => SKIPPED_DIRECTORIES.includes(name))) return true;
  }
  return false;
}
