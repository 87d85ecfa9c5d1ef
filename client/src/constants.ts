// Names shared by the extension code and the manifest generator (client/manifest.mjs).
// No `vscode` import here, so plain Node can load the compiled file.
import { SHOW_DOCUMENTATION_COMMAND } from '../../server/src/lsp/protocol';

/** The language id virtlint contributes for x86 assembly files. */
export const LANGUAGE_ID = 'x86asm';

/** Language ids other assembly extensions assign; virtlint lints those documents too. */
export const FOREIGN_LANGUAGE_IDS: readonly string[] = [
  'asm',
  'nasm',
  'gas',
  'masm',
  'asm-intel-x86-generic',
  'asm-collection',
  'assembly',
];

export const ALL_LANGUAGE_IDS: readonly string[] = [LANGUAGE_ID, ...FOREIGN_LANGUAGE_IDS];

/**
 * Languages whose inline assembly and intrinsics virtlint lints (only those: clangd and
 * rust-analyzer keep the rest). virtlint contributes no grammar or language for them.
 */
export const HOST_LANGUAGE_IDS: readonly string[] = ['c', 'cpp', 'rust'];

/** File extensions mapped to LANGUAGE_ID (VS Code matches them case-insensitively). */
export const FILE_EXTENSIONS: string[] = ['.asm', '.s', '.S', '.nasm', '.yasm', '.inc', '.mac', '.fasm', '.masm', '.a86'];

/** Glob for the workspace lint: every file the language contribution claims, in either case (`BOOT.ASM`). */
export const WORKSPACE_GLOB = `**/*.{${[...new Set(FILE_EXTENSIONS.flatMap((ext) => [ext.slice(1).toLowerCase(), ext.slice(1).toUpperCase()]))].join(',')}}`;

export const COMMANDS = {
  restartServer: 'virtlint.restartServer',
  showOutput: 'virtlint.showOutput',
  lintWorkspace: 'virtlint.lintWorkspace',
  /** Also the command the server attaches to "Show documentation for <id>" code actions. */
  showDocumentation: SHOW_DOCUMENTATION_COMMAND,
  insertHypercallDefinitions: 'virtlint.insertHypercallDefinitions',
  /** Picks the context (includer and mode) whose diagnostics a file included from several places shows. */
  chooseContext: 'virtlint.chooseContext',
} as const;

