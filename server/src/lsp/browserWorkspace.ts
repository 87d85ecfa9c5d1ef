// The web worker's workspace (workspaceAccess.ts): folders of any scheme (`vscode-vfs:`,
// `vscode-test-web:`, `vscode-remote:`, `file:`) named by the path documents.ts gives their URIs;
// the listing asked of the client (virtlint/listFiles, answered with vscode.workspace.findFiles);
// the listed files read ahead in one batch, the files the server still misses asked with
// virtlint/readFile, a batch per turn of the event loop; and
// the files changed outside the editor asked for again before the project re-runs.
import type { Connection } from 'vscode-languageserver/browser';
import { clientFiles, type ClientUris, MAX_FILE_BYTES, MAX_LISTED_FILES, MAX_PATHS_ASKED } from './browserClientFiles';
import { LIST_FILES_REQUEST, READ_FILE_REQUEST, type ListFilesParams, type ListFilesResult, type ReadFileParams, type ReadFileResult } from './protocol';
import { INDEXED_EXTENSIONS, isListedPath, SKIPPED_DIRECTORIES, type ListOptions, type WorkspaceAccess, type WorkspaceListing } from './workspaceAccess';

export class ClientWorkspace implements WorkspaceAccess {
  /** Called when files the server had missed arrived (or kept ones changed): it reads the configuration and the project again. */
  onFilesArrived: () => void = () => undefined;
  /** The folders' own URIs, by the path the server names them with. */
  private readonly folderUris = new Map<string, string>();
  private scheduled = false;

  constructor(
    private readonly connection: Connection,
    private readonly uris: ClientUris,
    private readonly documentPath: (uri: string) => string,
  ) {
    clientFiles.onWanted = () => {
      if (this.scheduled) return;
      this.scheduled = true;
      setTimeout(() => void this.askMissed(), 0);
    };
    clientFiles.onBudgetSpent = () => connection.console.log(`virtlint: the web worker asked the client for ${MAX_PATHS_ASKED} files; other files read as missing`);
  }

  folderPath(uri: string): string | undefined {
    this.uris.learn(uri);
    const path = this.documentPath(uri).replace(/(.)\/+$/, '$1');
    this.folderUris.set(path, uri);
    return path;
  }

  uriOf(path: string): string {
    return this.folderUris.get(path) ?? this.uris.uriOf(path);
  }

  async listFiles(folders: readonly string[], options: ListOptions): Promise<WorkspaceListing> {
    if (folders.length === 0) return { files: [], truncated: false };
    const maxFiles = Math.min(options.maxFiles, MAX_LISTED_FILES);
    const params: ListFilesParams = {
      folders: folders.map((folder) => this.uriOf(folder)),
      extensions: [...INDEXED_EXTENSIONS, ...(options.extensions ?? [])],
      skippedFolders: [...SKIPPED_DIRECTORIES],
      maxFiles,
    };
    const answer = await this.connection.sendRequest<ListFilesResult | null>(LIST_FILES_REQUEST, params).catch(() => null);
    if (options.isCancelled?.() || !answer || !Array.isArray(answer.uris)) return { files: [], truncated: false };
    const found = new Set<string>();
    let truncated = answer.truncated === true;
    for (const uri of answer.uris) {
      if (typeof uri !== 'string') continue;
      const path = this.documentPath(uri);
      // The client's glob may take more than the desktop's walk would; the names are checked here.
      if (!isListedPath(path, folders, options.extensions) || options.ignored?.(path)) continue;
      if (found.size >= maxFiles) {
        truncated = true;
        break;
      }
      found.add(path);
    }
    options.onProgress?.(found.size);
    const files = Array.from(found).sort();
    // Read ahead in one go, so that the project's first run finds them instead of asking level by level.
    await this.ask(clientFiles.takeForPrefetch(files));
    if (options.isCancelled?.()) return { files: [], truncated: false };
    return { files, truncated };
  }

  async refresh(paths: readonly string[]): Promise<void> {
    await this.ask(clientFiles.takeForRefresh(paths));
  }

  /** Asks for the paths the server missed; when that changed what it had read, it reads again. */
  private async askMissed(): Promise<void> {
    this.scheduled = false;
    if (await this.ask(clientFiles.takeWanted())) this.onFilesArrived();
  }

  /** Asks the client for each path and keeps the answers; true when any differs from what was read before. */
  private async ask(paths: readonly string[]): Promise<boolean> {
    const answers = await Promise.all(
      paths.map((path) => {
        const params: ReadFileParams = { uri: this.uris.uriOf(path), maxBytes: MAX_FILE_BYTES };
        return this.connection.sendRequest<ReadFileResult | null>(READ_FILE_REQUEST, params).catch(() => null);
      }),
    );
    let anyChanged = false;
    paths.forEach((path, index) => {
      if (clientFiles.store(path, answers[index])) anyChanged = true;
    });
    return anyChanged;
  }
}
