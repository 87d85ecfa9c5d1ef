// C, C++ and Rust documents: which documents are read as a host language, the options their
// inline assembly is analysed with (settings, the workspace's build configuration, a header
// reader), and which findings the editor shows — only those inside an asm statement, on an
// intrinsic call or in a virtlint comment, so clangd and rust-analyzer keep the rest of the file.
import { analyzeEmbedded, EmbeddedSession, hostLanguageOf, type CMacroCache, type EmbeddedOptions, type EmbeddedResult, type HostBuild, type HostLanguage } from '../analysis/embedded/index';
import { normalizeProjectPath, type ProjectOptions, type SourceReader } from '../analysis/project/index';
import type { AnalysisOptions, Bits, Finding, Position, Range } from '../analysis/types';
import type { VirtlintSettings } from './settings';

/** Language ids editors give assembly documents (VS Code extensions, Neovim filetypes): never read as a host language. */
const ASSEMBLY_LANGUAGE_IDS = new Set(['x86asm', 'asm', 'nasm', 'gas', 'masm', 'fasm', 'asm-intel-x86-generic', 'asm-collection', 'assembly', 'yasm', 'tasm', 'asm68k']);
const HOST_LANGUAGE_IDS: Record<string, HostLanguage> = { c: 'c', cpp: 'cpp', 'cuda-cpp': 'cpp', objc: 'c', objcpp: 'cpp', rust: 'rust' };

/** Names the compiler driver defines only when it runs cpp for the assembler. */
const ASSEMBLER_ONLY_DEFINES = new Set(['__ASSEMBLY__', '__ASSEMBLER__']);

/**
 * The host language a document is read as: its language id when that names one, otherwise its
 * extension unless the id names assembly. Undefined: the document is assembly.
 */
export function documentHostLanguage(languageId: string, path: string): HostLanguage | undefined {
  const byId = Object.prototype.hasOwnProperty.call(HOST_LANGUAGE_IDS, languageId) ? HOST_LANGUAGE_IDS[languageId] : undefined;
  if (byId !== undefined) return byId;
  if (ASSEMBLY_LANGUAGE_IDS.has(languageId)) return undefined;
  return hostLanguageOf(path);
}

/** What a host document needs from the session: the workspace's build configuration and its headers. */
export interface EmbeddedEnvironment {
  /** Include paths, defines and per-file modes from virtlint.config.json and compile_commands.json. */
  projectOptions(): Partial<ProjectOptions>;
  /** For one analysis: a reader for the headers a file includes (open buffers first, then the disk), and what is known of them. */
  headers(maxBytes: number): HeaderAccess;
}

export interface HeaderAccess {
  reader: SourceReader;
  macros?: CMacroCache;
  /** The same map for the same defines (the macro cache is keyed by the map). */
  stableDefines?(defines: ReadonlyMap<string, string>): ReadonlyMap<string, string>;
}

export const NO_ENVIRONMENT: EmbeddedEnvironment = {
  projectOptions: () => ({}),
  headers: () => ({ reader: { read: () => ({ error: 'not found' }) } }),
};

/**
 * The options a host document is analysed with, built the way the command line builds them:
 * the mode from an override setting, then the configuration, then the build's flags (64 when
 * nothing says); the syntax from `virtlint.inlineAsm.syntax`; the build's defines without the
 * assembler-only ones; the build's include paths, then the configuration's.
 */
export function embeddedOptionsFor(
  base: AnalysisOptions,
  settings: VirtlintSettings,
  language: HostLanguage,
  path: string,
  project: Partial<ProjectOptions>,
  headers: HeaderAccess,
): EmbeddedOptions {
  const build = project.buildFor?.(path);
  const defines = new Map<string, string>();
  for (const [name, value] of Object.entries(project.defines ?? {})) if (!ASSEMBLER_ONLY_DEFINES.has(name)) defines.set(name, value);
  for (const [name, value] of Object.entries(build?.defines ?? {})) defines.set(name, value);
  const bits: Bits | undefined = base.bits ?? project.settingsFor?.(path)?.bits ?? build?.bits;
  const hostBuild: HostBuild = { defines: headers.stableDefines ? headers.stableDefines(defines) : defines, asmSyntax: settings.inlineAsm.syntax, definesComplete: project.definesComplete === true, ...(bits !== undefined ? { bits } : {}) };
  const includePaths: string[] = [];
  for (const dir of build?.includePaths ?? []) includePaths.push(normalizeProjectPath(dir));
  for (const dir of project.includePaths ?? []) includePaths.push(normalizeProjectPath(dir));
  const options: EmbeddedOptions = { language, path, build: hostBuild, includePaths, reader: headers.reader };
  if (headers.macros) options.macros = headers.macros;
  if (base.profile !== undefined) options.profile = base.profile;
  if (base.rules !== undefined) options.rules = base.rules;
  if (base.severities !== undefined) options.severities = base.severities;
  if (base.includeInt3) options.includeInt3 = true;
  if (base.fileName !== undefined) options.fileName = base.fileName;
  return options;
}

/** Documents whose last analysis is kept for the next one; past it the oldest is dropped. */
const MAX_SESSIONS = 16;
const sessions = new Map<string, EmbeddedSession>();

/** The session of the document at `path`: an edit is read again from where it is, not from the top. */
function sessionFor(path: string): EmbeddedSession {
  let session = sessions.get(path);
  if (session) {
    sessions.delete(path);
  } else {
    session = new EmbeddedSession();
    if (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value!);
  }
  sessions.set(path, session);
  return session;
}

/** Analyses a host document; a front-end failure is logged and leaves the document with nothing to show. */
export function analyzeHostDocument(text: string, options: EmbeddedOptions, log: (message: string) => void): EmbeddedResult {
  // The session needs a macro cache that lives as long as it does: the headers' macros are compared by identity.
  if (options.path !== undefined && options.macros && options.session === undefined) {
    const session = sessionFor(options.path);
    try {
      return analyzeEmbedded(text, { ...options, session });
    } catch {
      sessions.delete(options.path);
    }
  }
  try {
    return analyzeEmbedded(text, options);
  } catch (error) {
    log(`virtlint: the inline assembly of ${options.path ?? 'a document'} could not be analysed: ${error instanceof Error ? error.message : String(error)}`);
    return emptyResult(options.language);
  }
}

export function emptyResult(language: HostLanguage): EmbeddedResult {
  return { language, findings: [], suppressed: [], instructions: [], blocks: [], intrinsics: [], problems: [] };
}

/**
 * The places of a host file virtlint speaks about: every asm statement and intrinsic call, as
 * disjoint sorted ranges, so a position is looked up in O(log n).
 */
export class EmbeddedRegions {
  private readonly starts: Position[] = [];
  private readonly ends: Position[] = [];

  constructor(result: EmbeddedResult) {
    const ranges: Range[] = [];
    for (const block of result.blocks) ranges.push(block.range);
    for (const call of result.intrinsics) ranges.push(call.range);
    ranges.sort((a, b) => comparePositions(a.start, b.start));
    for (const range of ranges) {
      const last = this.ends.length - 1;
      if (last >= 0 && comparePositions(range.start, this.ends[last]!) <= 0) {
        if (comparePositions(range.end, this.ends[last]!) > 0) this.ends[last] = range.end;
        continue;
      }
      this.starts.push(range.start);
      this.ends.push(range.end);
    }
  }

  contains(position: Position): boolean {
    let lo = 0;
    let hi = this.starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (comparePositions(this.starts[mid]!, position) <= 0) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found >= 0 && comparePositions(position, this.ends[found]!) <= 0;
  }
}

/** The findings the editor shows: in an asm statement or on an intrinsic call, or naming an unknown rule in a virtlint comment. */
export function embeddedFindingsShown(result: EmbeddedResult, regions: EmbeddedRegions, findings: readonly Finding[] = result.findings): Finding[] {
  const shown: Finding[] = [];
  for (const finding of findings) {
    if (finding.ruleId === 'unknown-rule' || regions.contains(finding.range.start)) shown.push(finding);
  }
  return shown;
}

export function comparePositions(a: Position, b: Position): number {
  return a.line - b.line || a.character - b.character;
}
