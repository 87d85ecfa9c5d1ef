// Whole-program lint: the files named on the command line are the roots of the project model,
// which reads what they include in the includer's mode and expands their macros. Every file it
// reached is reported (whatever its extension) unless the configuration ignores it. --fix works
// file by file on each file's result; a finding reported at a macro invocation is fixed in the
// macro's body, which carries its own finding.
import * as fs from 'node:fs';
import type { AnalysisResult, Finding } from '../analysis';
import type { DefinitionsFile, FixOptions, FixStrategy } from '../analysis/fixes';
import { analyzeProjectFiles, normalizeProjectPath, type FileAnalysis, type ProjectInput, type ReadResult, type SourceReader } from '../analysis/project';
import { fileProblemReport, type FileReport } from '../report';
import type { CliOptions } from './args';
import { boundedReadProblem, readSourceFile, type InputFile, type ReadOutcome } from './files';
import { applyFixes, fixNote, fixOptionsForFile, reanalyzeAlone } from './fix';
import { analysisOptions, reportFor } from './lint';
import type { Project } from './project';

export interface ProjectFixer {
  /** Why the file may not be rewritten (a symbolic link...), or undefined. */
  refusal(file: string): string | undefined;
  /** Prints the --fix-dry-run diff, or writes the file; false when the write failed. */
  write(file: string, before: { text: string; hasBom: boolean }, after: string, definitions?: DefinitionsFile): boolean;
}

export interface ProjectLintOutcome {
  /** One report per input file (a problem report for one that cannot be read), in input order, then the files reached through includes. */
  reports: FileReport[];
  /** The project model failed, or a fixed file could not be written. */
  unusable: boolean;
  rewroteAny: boolean;
  /** --fix: findings left alone because they are reported at a macro invocation. */
  macroFindingsNotFixed: number;
}

/** Reads each file once, with the command's bounds; the fixed texts of --fix-dry-run override the disk. */
export class ProjectReader implements SourceReader {
  private readonly outcomes = new Map<string, ReadOutcome>();
  readonly overrides = new Map<string, string>();
  /** What a read of a path that does not exist says (`readSourceFile`'s problem for ENOENT). */
  private readonly missing: ReadOutcome;

  constructor(private readonly maxBytes: number) {
    this.missing = { ok: false, problem: boundedReadProblem({ ok: false, reason: 'error', error: { code: 'ENOENT' } as NodeJS.ErrnoException }, maxBytes) };
  }

  outcome(path: string): ReadOutcome {
    let outcome = this.outcomes.get(path);
    if (outcome === undefined) this.outcomes.set(path, (outcome = this.readOnce(path)));
    return outcome;
  }

  /**
   * Most paths an include search tries do not exist (each include path in turn): a stat that
   * throws nothing answers those, without the error object (and its stack) a failed read makes.
   */
  private readOnce(path: string): ReadOutcome {
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(path, { throwIfNoEntry: false });
      if (stat === undefined) return this.missing;
    } catch {
      // Another error (ENOTDIR, EACCES...): the read says it as it would have.
    }
    return readSourceFile(path, this.maxBytes, stat);
  }

  read(path: string): ReadResult {
    const override = this.overrides.get(path);
    if (override !== undefined) return { text: override };
    const outcome = this.outcome(path);
    return outcome.ok ? { text: outcome.text } : { error: outcome.problem };
  }
}

/** Each file's analysis for a set of roots read through `reader`: the project model on this thread, or spread over workers (parallel.ts). */
export type ProjectAnalyzer = (roots: readonly string[], reader: ProjectReader) => Promise<ReadonlyMap<string, FileAnalysis>>;

export async function lintProject(
  files: readonly InputFile[],
  project: Project,
  options: CliOptions,
  fixOptions: FixOptions,
  fixer: ProjectFixer | undefined,
  analyzer: ProjectAnalyzer = async (roots, reader) => analyzeProjectFiles(projectInput(roots, reader, project, options)),
): Promise<ProjectLintOutcome> {
  const reader = new ProjectReader(options.maxFileSize);
  const slots: { path: string; problem?: string }[] = [];
  const roots: string[] = [];
  for (const file of files) {
    const path = normalizeProjectPath(file.path);
    const problem = file.problem ?? readProblem(reader.outcome(path));
    slots.push(problem === undefined ? { path } : { path, problem });
    if (problem === undefined) roots.push(path);
  }
  const outcome: ProjectLintOutcome = { reports: [], unusable: false, rewroteAny: false, macroFindingsNotFixed: 0 };
  let result: ReadonlyMap<string, FileAnalysis>;
  try {
    result = await analyzer(roots, reader);
  } catch (e) {
    outcome.unusable = true;
    for (const slot of slots) outcome.reports.push(fileProblemReport(slot.path, slot.problem ?? `internal error while linting this file: ${(e as Error)?.message ?? String(e)}`));
    return outcome;
  }
  const reported = reportedFiles(slots, result, project);
  const fixing = options.fix !== undefined && fixer !== undefined ? fixFiles(reported, result, reader, options, fixOptions, fixer, project) : undefined;
  outcome.macroFindingsNotFixed = fixing?.macroFindings ?? 0;
  if (fixing !== undefined && fixing.fixed.size > 0) {
    outcome.rewroteAny = true;
    outcome.unusable = fixing.writeFailed.size > 0;
    for (const [path, text] of fixing.fixed) reader.overrides.set(path, text);
    result = await analyzer(roots, reader);
  }
  for (const slot of reported) {
    if (slot.problem !== undefined) {
      outcome.reports.push(fileProblemReport(slot.path, slot.problem));
      continue;
    }
    const analysis = result.get(slot.path);
    const text = reader.read(slot.path);
    if (analysis === undefined || !('text' in text)) continue;
    const report = reportFor(slot.path, text.text, analysis.result, options, fixOptions);
    const note = fixing?.notes.get(slot.path);
    if (note !== undefined) report.note = note;
    outcome.reports.push(report);
  }
  return outcome;
}

function readProblem(outcome: ReadOutcome): string | undefined {
  return outcome.ok ? undefined : outcome.problem;
}

/** What the project model is asked for the command's roots. */
export function projectInput(roots: readonly string[], reader: SourceReader, project: Project, options: CliOptions): ProjectInput {
  return {
    files: roots,
    reader,
    options: {
      analysis: analysisOptions(options, undefined),
      includePaths: project.includePaths.map(normalizeProjectPath),
      defines: project.defines,
      definesComplete: project.definesComplete,
      settingsFor: (path) => project.settingsFor(path),
      buildFor: (path) => project.buildFor(path),
    },
  };
}

/** The input files in order, then every other file the walks reached (by path), leaving out ignored ones. */
function reportedFiles(slots: readonly { path: string; problem?: string }[], result: ReadonlyMap<string, FileAnalysis>, project: Project): { path: string; problem?: string }[] {
  const named = new Set(slots.map((slot) => slot.path));
  const reached: string[] = [];
  for (const path of result.keys()) if (!named.has(path) && !project.isIgnored(path)) reached.push(path);
  reached.sort();
  const out = slots.slice();
  for (const path of reached) out.push({ path });
  return out;
}

interface FixRun {
  fixed: Map<string, string>;
  macroFindings: number;
  notes: Map<string, string>;
  writeFailed: Set<string>;
}

function fixFiles(
  files: readonly { path: string; problem?: string }[],
  result: ReadonlyMap<string, FileAnalysis>,
  reader: ProjectReader,
  options: CliOptions,
  fixOptions: FixOptions,
  fixer: ProjectFixer,
  project: Project,
): FixRun {
  const strategy: FixStrategy = options.fix!;
  const run: FixRun = { fixed: new Map(), macroFindings: 0, notes: new Map(), writeFailed: new Set() };
  for (const file of files) {
    const analysis = result.get(file.path);
    const read = reader.outcome(file.path);
    if (file.problem !== undefined || analysis === undefined || !read.ok) continue;
    const refusal = fixer.refusal(file.path);
    if (refusal !== undefined) {
      run.notes.set(file.path, `not fixed: ${refusal}`);
      continue;
    }
    for (const finding of analysis.result.findings) if (producedByMacro(finding)) run.macroFindings++;
    const fixed = applyFixes(read.text, fixableResult(analysis), strategy, fixOptionsForFile(fixOptions, file.path, options.hypercallDefinitionsFolder), reanalyzeAlone(options, file.path, analysis.result, project.settingsFor(file.path)));
    if (fixed.applied === 0 || fixed.text === read.text) continue;
    run.fixed.set(file.path, fixed.text);
    if (fixer.write(file.path, read, fixed.text, fixed.definitions)) run.notes.set(file.path, fixNote(fixed.applied, options.fixDryRun)!);
    else {
      run.writeFailed.add(file.path);
      run.notes.set(file.path, 'the fixes could not be written and the file is unchanged (see the error above); the problems listed are what would remain');
    }
  }
  return run;
}

/**
 * The findings --fix may rewrite in this file: not those reported at a macro invocation (the body
 * line, where the instruction is written, has its own). A file read in its includer's mode keeps
 * no reading pin: its mode is the includer's, not its own text's.
 */
function fixableResult(analysis: FileAnalysis): Pick<AnalysisResult, 'findings'> & Partial<AnalysisResult> {
  const findings = analysis.result.findings.filter((finding) => !producedByMacro(finding));
  const header = analysis.result;
  if (header.dialectSource === 'includer' || header.bitsSource === 'includer') return { findings };
  return { ...header, findings };
}

function producedByMacro(finding: Finding): boolean {
  return finding.macroChain !== undefined && finding.macroChain.length > 0;
}

export function macroFixNote(count: number): string {
  return `virtlint: ${count} ${count === 1 ? 'finding is' : 'findings are'} reported at a macro invocation and not rewritten there; --fix rewrites the macro's body line, which has its own finding\n`;
}
