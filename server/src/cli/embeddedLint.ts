// C, C++ and Rust files: their inline assembly and intrinsics, read by the embedded front ends with
// the build's bitness, syntax, defines and include paths, in the same report shape as assembly.
import { analyzeEmbedded, CMacroCache, hostLanguageOf, type EmbeddedOptions, type EmbeddedResult, type HostBuild, type HostLanguage } from '../analysis/embedded';
import { normalizeProjectPath, type SourceReader } from '../analysis/project';
import { fileProblemReport, type FileReport } from '../report';
import { countMessages, type ReportMessage } from '../report/types';
import type { CliOptions } from './args';
import { readSourceFile, type InputFile } from './files';
import { analysisOptions, toMessage } from './lint';
import type { Project } from './project';

/** Names the compiler driver defines only when it runs cpp for the assembler. */
const ASSEMBLER_ONLY_DEFINES = new Set(['__ASSEMBLY__', '__ASSEMBLER__']);

/** The host language of a path the command lints, when `--languages` takes it. */
export function lintedHostLanguage(path: string, options: Pick<CliOptions, 'languages'>): HostLanguage | undefined {
  const language = hostLanguageOf(path);
  return language !== undefined && options.languages.includes(language) ? language : undefined;
}

/** What one run shares across its host files: the reader and the headers' macros. */
export interface HostRun {
  reader: SourceReader;
  macros: CMacroCache;
  /** The defines each build entry gives C (one map per entry, so the macro cache, keyed by it, is shared). */
  defines: Map<object, ReadonlyMap<string, string>>;
}

export function newHostRun(reader: SourceReader): HostRun {
  return { reader, macros: new CMacroCache(), defines: new Map() };
}

const NO_BUILD = {};

/** The configuration's defines under the entry's, without the assembler-only names; made once per entry and run. */
function definesFor(project: Project, build: { defines?: Readonly<Record<string, string>> } | undefined, run: HostRun | undefined): ReadonlyMap<string, string> {
  const key = build?.defines ?? NO_BUILD;
  const known = run?.defines.get(key);
  if (known !== undefined) return known;
  const defines = new Map<string, string>();
  for (const [name, value] of Object.entries(project.defines)) if (!ASSEMBLER_ONLY_DEFINES.has(name)) defines.set(name, value);
  for (const [name, value] of Object.entries(build?.defines ?? {})) defines.set(name, value);
  run?.defines.set(key, defines);
  return defines;
}

export function hostOptions(path: string | undefined, language: HostLanguage, project: Project, options: CliOptions, run: HostRun | undefined): EmbeddedOptions {
  const base = analysisOptions(options, undefined);
  const file = path !== undefined ? project.settingsFor(path) : undefined;
  const build = path !== undefined ? project.buildFor(path) : undefined;
  const defines = definesFor(project, build, run);
  const bits = options.bits ?? file?.bits ?? build?.bits;
  const asmSyntax = options.asmSyntax ?? build?.asmSyntax;
  const hostBuild: HostBuild = {
    defines,
    definesComplete: project.definesComplete,
    ...(bits !== undefined ? { bits } : {}),
    ...(asmSyntax !== undefined ? { asmSyntax } : {}),
  };
  const includePaths: string[] = [];
  for (const dir of build?.includePaths ?? []) includePaths.push(normalizeProjectPath(dir));
  for (const dir of project.includePaths) includePaths.push(normalizeProjectPath(dir));
  const out: EmbeddedOptions = { ...base, language, build: hostBuild, includePaths };
  if (path !== undefined) out.path = normalizeProjectPath(path);
  if (run !== undefined) {
    out.reader = run.reader;
    out.macros = run.macros;
  }
  return out;
}

/** The report for one host file. */
export function hostReport(displayPath: string, result: EmbeddedResult, options: Pick<CliOptions, 'quiet'>): FileReport {
  const messages: ReportMessage[] = [];
  for (const finding of result.findings) {
    const message = toMessage(finding);
    if (options.quiet && message.severity !== 2) continue;
    messages.push(message);
  }
  messages.sort((a, b) => a.line - b.line || a.column - b.column);
  return { filePath: displayPath, messages, ...countMessages(messages), fatalErrorCount: 0, fixableErrorCount: 0, fixableWarningCount: 0, dialect: result.language };
}

/** The report for one host file; `failed` when the analysis itself threw (the run is then unusable). */
export function lintHostText(displayPath: string, text: string, path: string | undefined, language: HostLanguage, project: Project, options: CliOptions, run: HostRun | undefined): { report: FileReport; failed: boolean } {
  try {
    return { report: hostReport(displayPath, analyzeEmbedded(text, hostOptions(path, language, project, options, run)), options), failed: false };
  } catch (e) {
    return { report: fileProblemReport(displayPath, `internal error while linting this file: ${(e as Error)?.message ?? String(e)}`), failed: true };
  }
}

/** The report for a host file on disk (a problem report when it cannot be read); `failed` as for `lintHostText`. */
export function lintHostFile(file: InputFile, project: Project, options: CliOptions, run: HostRun): { report: FileReport; failed: boolean } {
  const input = file.problem !== undefined ? { ok: false as const, problem: file.problem } : readSourceFile(file.path, options.maxFileSize);
  if (!input.ok) return { report: fileProblemReport(file.path, input.problem), failed: false };
  return lintHostText(file.path, input.text, file.path, hostLanguageOf(file.path)!, project, options, run);
}

/**
 * Adds host files' reports to a run's reports: a header the assembly walk also reached (an
 * `asm/*.h` under `__ASSEMBLY__`) gets one report with both readings' messages. The reports are
 * found by path through an index (a search of the list for each of a tree's thousand C files
 * was a pass over the list each time); only `add` may grow the list while the merger is in use.
 */
export class ReportMerger {
  /** The first report for each path, as a search from the start of the list finds it. */
  private readonly firstByPath = new Map<string, FileReport>();

  constructor(private readonly reports: FileReport[]) {
    for (const report of reports) if (!this.firstByPath.has(report.filePath)) this.firstByPath.set(report.filePath, report);
  }

  add(report: FileReport): void {
    const existing = this.firstByPath.get(report.filePath);
    if (existing === undefined || existing.fatalErrorCount) {
      this.reports.push(report);
      if (existing === undefined) this.firstByPath.set(report.filePath, report);
      return;
    }
    const seen = new Set(existing.messages.map(messageKey));
    for (const message of report.messages) if (!seen.has(messageKey(message))) existing.messages.push(message);
    existing.messages.sort((a, b) => a.line - b.line || a.column - b.column);
    Object.assign(existing, countMessages(existing.messages));
  }
}

function messageKey(message: ReportMessage): string {
  return `${message.ruleId}:${message.line}:${message.column}`;
}
