// What the web extension's client does for a server that has no disk: read a workspace file
// (virtlint/readFile), list the files the project index starts from (virtlint/listFiles), both
// through the workspace's own file system whatever its scheme, and watch the workspace so that
// files changed outside the editor reach the server (workspace/didChangeWatchedFiles).
import * as vscode from 'vscode';
import type { ListFilesParams, ListFilesResult, ReadFileParams, ReadFileResult } from '../../server/src/lsp/protocol';

/** The largest file sent to the worker whatever it asks: the worker keeps every file it is sent. */
const MAX_FILE_BYTES = 8 * 1024 * 1024;
/** The most files listed whatever the server asks. */
const MAX_LISTED_FILES = 20_000;
/** Characters a glob could read as syntax: an extension or folder name holding one is not listed. */
const GLOB_SAFE = /^[\w.+-]+$/;

/** A workspace file for the server: its text, or why there is none. Never throws: a failed read is a missing file. */
export async function readWorkspaceFile(params: ReadFileParams): Promise<ReadFileResult> {
  const maxBytes = Math.min(Number(params?.maxBytes) || 0, MAX_FILE_BYTES);
  try {
    const uri = vscode.Uri.parse(String(params?.uri), true);
    const stat = await vscode.workspace.fs.stat(uri);
    if ((stat.type & vscode.FileType.File) === 0) return { missing: true };
    if (stat.size > maxBytes) return { tooLarge: stat.size };
    const bytes = await vscode.workspace.fs.readFile(uri);
    if (bytes.byteLength > maxBytes) return { tooLarge: bytes.byteLength };
    try {
      return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
    } catch {
      return { notText: true };
    }
  } catch {
    return { missing: true };
  }
}

/**
 * The files under the server's folders whose names end in one of its extensions, in any case
 * (`BOOT.ASM`), outside the folders it skips. Never throws: a folder that cannot be searched has
 * no files. The server checks the names again, so the glob may take more than it needs.
 */
export async function listWorkspaceFiles(params: ListFilesParams): Promise<ListFilesResult> {
  const maxFiles = Math.max(0, Math.min(Number(params?.maxFiles) || 0, MAX_LISTED_FILES));
  const extensions = stringsOf(params?.extensions).map((extension) => extension.replace(/^\./, '')).filter((extension) => extension !== '' && GLOB_SAFE.test(extension));
  const skipped = stringsOf(params?.skippedFolders).filter((folder) => GLOB_SAFE.test(folder));
  if (extensions.length === 0 || maxFiles === 0) return { uris: [], truncated: false };
  const include = `**/*.{${extensions.map(anyCase).join(',')}}`;
  // Given an exclude, findFiles applies no `files.exclude` of its own: the listing is the desktop walk's.
  const exclude = skipped.length > 0 ? `**/{${skipped.join(',')}}/**` : null;
  const uris: string[] = [];
  let truncated = false;
  for (const folder of stringsOf(params?.folders)) {
    try {
      const base = vscode.Uri.parse(folder, true);
      const found = await vscode.workspace.findFiles(new vscode.RelativePattern(base, include), exclude, maxFiles + 1 - uris.length);
      for (const uri of found) uris.push(uri.toString());
    } catch {
      // Nothing can be listed there: the server reads that folder's open documents and their includes only.
    }
    if (uris.length > maxFiles) {
      truncated = true;
      uris.length = maxFiles;
      break;
    }
  }
  return { uris, truncated };
}

/** Every file of the workspace: the server keeps only what it reads or lists, so it filters. */
export function watchWorkspace(): vscode.FileSystemWatcher {
  return vscode.workspace.createFileSystemWatcher('**/*');
}

function stringsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** `asm` as `[aA][sS][mM]`: VS Code's globs match case-sensitively. */
function anyCase(extension: string): string {
  return Array.from(extension, (character) => (character.toLowerCase() !== character.toUpperCase() ? `[${character.toLowerCase()}${character.toUpperCase()}]` : character)).join('');
}
