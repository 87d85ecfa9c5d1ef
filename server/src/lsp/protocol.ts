// Messages between the virtlint server and its VS Code client that LSP itself does not define.
// Plain method names and payload shapes, so both sides can use them without extra imports.
import type { Bits, Dialect } from '../analysis/types';

/**
 * Server → client notification, sent after a document is analysed (on open, and whenever the
 * values change): what the file was understood as. The VS Code client shows it in a language
 * status item; other clients can ignore it.
 */
export const FILE_INFO_NOTIFICATION = 'virtlint/fileInfo';

export interface FileInfoParams {
  uri: string;
  dialect: Dialect;
  /** Bitness at the top of the file (directives may switch it further down). */
  bits: Bits;
  profile: string;
  /** Where the dialect / bitness came from: `modeline`, `override`, `directive`, `content`, `extension`, `default`. */
  dialectSource?: string;
  bitsSource?: string;
  /** Whole-program analysis: every way the file is read (absent when it is read on its own). */
  contexts?: FileContextInfo[];
  /** Index into `contexts` whose diagnostics are shown; absent means every context merged. */
  selectedContext?: number;
  /** Where the bitness changes (0-based lines), so a client can show the bitness at the cursor. */
  bitsRegions?: { startLine: number; bits: Bits }[];
  /** Where the execution mode changes: `real`, `v86`, `pm16`, `pm32`, `long` or `unknown`. */
  modeRegions?: { startLine: number; mode: string }[];
  /** Set when the file is assembly for another instruction set (`arm64`, `riscv`, …): nothing is reported. */
  architecture?: string;
}

/** One way a file is read in the workspace: from which file, through which include, in which mode. */
export interface FileContextInfo {
  /** `included from kernel.asm:12, FASM 32-bit`, `included from boot.asm:3, NASM 16-bit real mode`, or `on its own, NASM 64-bit`. */
  label: string;
  /** The file the walk started from. */
  rootUri: string;
  /** The include directive that brought the file in directly (0-based line), absent for a root. */
  includedFrom?: { uri: string; line: number };
  dialect: Dialect;
  bits: Bits;
  /** The execution mode the file starts in there, when its includer or a setting decides it (`real`, `v86`, `pm16`, `pm32`, `long`). */
  mode?: string;
}

/**
 * Client → server: whether the user trusts the workspace. The same object may come at start
 * in `initializationOptions.workspaceTrust`; a client that sends neither is taken as trusted
 * (it has no notion of trust). While the workspace is untrusted, the settings that decide the
 * code virtlint writes into files (`virtlint.fix.*`) are taken only from `userSettings`, never
 * from workspace/configuration, which mixes in the workspace's own values.
 */
export const WORKSPACE_TRUST_NOTIFICATION = 'virtlint/didChangeWorkspaceTrust';

export interface WorkspaceTrustParams {
  trusted: boolean;
  /** The user's own values (user settings only), shaped like the `virtlint` section: `{ fix: { abi: 'xen' } }`. */
  userSettings?: unknown;
}

/**
 * The command the server attaches to "Show documentation for <id>" code actions. The VS Code
 * client registers it (it opens the rule's page); other editors may map it to their own action.
 */
export const SHOW_DOCUMENTATION_COMMAND = 'virtlint.showDocumentation';

/**
 * Registered by the server (`workspace/executeCommand`), arguments `[{ uri, context }]`: show the
 * file's diagnostics in one of its contexts (an index into `FileInfoParams.contexts`), or in all
 * of them merged when `context` is absent or -1. Returns the FileInfoParams that now apply.
 */
export const SELECT_CONTEXT_COMMAND = 'virtlint.selectContext';

/** Registered by the server (`workspace/executeCommand`): returns hypercall definitions for a dialect and ABI. */
export const WRITE_HYPERCALL_DEFINITIONS_COMMAND = 'virtlint.writeHypercallDefinitions';

/**
 * Web extension only: the first message the client posts to the server's Web Worker, before any
 * LSP message. It carries iced-x86's WASM, read through the extension's URI, because a worker
 * has no file system to read it from (browserMain.ts).
 */
export const ICED_WASM_MESSAGE = 'virtlint/icedWasm';

export interface IcedWasmMessage {
  kind: typeof ICED_WASM_MESSAGE;
  bytes: ArrayBuffer | Uint8Array;
}

/**
 * Web extension only, server → client request: the text of a workspace file the server needs (an
 * include, a header, virtlint.config.json), because a web worker has no disk. The client reads it
 * through `vscode.workspace.fs` and sends nothing larger than `maxBytes`. The server keeps each
 * answer, and analyses again when a file it missed has arrived (browserClientFiles.ts).
 */
export const READ_FILE_REQUEST = 'virtlint/readFile';

export interface ReadFileParams {
  uri: string;
  maxBytes: number;
}

/** The text; or the size of a file over `maxBytes`; or that it is not UTF-8 text; or that there is no such file. */
export type ReadFileResult = { text: string } | { tooLarge: number } | { notText: true } | { missing: true };

/**
 * Web extension only, server → client request: the workspace's files the project index starts
 * from, because a web worker cannot list folders. For each folder URI the client lists the files
 * whose names end in one of `extensions` (in any case), leaves out everything under a folder named
 * in `skippedFolders`, and sends at most `maxFiles` URIs in all (`truncated` when there were
 * more). The server checks every name again and applies the configuration's `ignore` itself.
 */
export const LIST_FILES_REQUEST = 'virtlint/listFiles';

export interface ListFilesParams {
  folders: string[];
  /** With their dot: `.asm`, and the configuration's own (`.asm_ia32`). */
  extensions: string[];
  skippedFolders: string[];
  maxFiles: number;
}

export interface ListFilesResult {
  uris: string[];
  truncated: boolean;
}
