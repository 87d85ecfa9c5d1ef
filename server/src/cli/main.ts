// `virtlint` (the lint command): lint assembly files, print a report, optionally fix them.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { hypercallDefinitions, hypercallHeader, parseCustomTemplate, type FixOptions, type FixStrategy } from '../analysis/fixes';
import type { FileSettings } from '../analysis/project';
import type { Dialect } from '../analysis/types';
import { describeFsError, readRegularFile, readStreamBounded } from '../host/boundedRead';
import { runCommand, settle } from '../host/command';
import { packageInfo } from '../host/packageInfo';
import { stylist, wantsColor } from '../host/terminal';
import { displayPath, escapeControlCharacters, fileProblemReport, formatReports, type FileReport } from '../report';
import { exitVerdict, InputError, UsageError, type CommandIo } from '../report/options';
import { parseArgs, type CliDialect, type CliOptions } from './args';
import { unifiedDiff } from './diff';
import { boundedReadProblem, decodeSource, expandPaths, formatBytes, HOST_EXTENSIONS, readSourceFile, type InputFile, type ReadOutcome, type WalkFilter } from './files';
import { applyFixes, fixNote, fixOptionsForFile, reanalyzeAlone, unstableNote, writeDefinitionsFor } from './fix';
import { helpText } from './help';
import { analyze, reportFor } from './lint';
import { lintedHostLanguage, lintHostFile, lintHostText, newHostRun, ReportMerger, type HostRun } from './embeddedLint';
import { fixHostText, HOST_HYPERCALL_NOTE } from './hostFix';
import { LintWorkers, threadCount, type HostLinted } from './parallel';
import { hostLanguageOf } from '../analysis/embedded';
import { loadProject, type Project } from './project';
import { lintProject, macroFixNote, ProjectReader, type ProjectFixer } from './projectLint';
import { refusalToRewrite, replaceFileContent } from './safeWrite';
import { checkOutputTargets, type NamedPath } from './targets';

// What the entry point (main/virtlint.ts, which may import only the two commands) needs besides runLint.
export { EXIT_UNUSABLE, type CommandIo } from '../report/options';
export { reportInternalError } from '../host/command';
export { serveIfLintWorker } from './parallel';

const COMMAND = 'virtlint';
const STDIN_NAME = '<stdin>';

export function runLint(argv: string[], io: CommandIo): Promise<number> {
  return runCommand(COMMAND, io, () => run(argv, io));
}

async function run(argv: string[], io: CommandIo): Promise<number> {
  let options = parseArgs(argv);
  if (options.help) {
    io.stdout.write(helpText());
    return 0;
  }
  if (options.version) {
    io.stdout.write(`virtlint ${packageInfo()?.version ?? 'unknown'}\n`);
    return 0;
  }
  const cwd = io.cwd ?? process.cwd();
  const writesGenerated = options.writeHypercallDefs !== undefined || options.writeHypercallHeader !== undefined;
  if (options.paths.length === 0 && !writesGenerated) throw new UsageError('no files given (use "-" for standard input)');
  if (options.fix !== undefined && !options.fixDryRun && options.paths.includes('-')) {
    throw new UsageError('--fix cannot rewrite standard input; use --fix-dry-run to see the diff');
  }
  let project: Project | undefined;
  if (options.paths.length > 0) ({ project, options } = loadProject(options, cwd, io));
  options = withDefinitionsFolder(options, project, cwd);
  const files = expandPaths(options.paths, cwd, walkFilter(project, options));
  checkOutputTargets(outputTargets(options, cwd), inputPaths(files, options, cwd));
  const fixOptions = readFixOptions(options, cwd);
  writeGeneratedFiles(options, fixOptions, cwd, io);
  if (project === undefined) return 0;

  const { assembly, host } = splitByLanguage(files, options);
  const workers = startWorkers(argv, cwd, host.length, assembly.length > 0, project, options);
  try {
    const hostRun = newHostRun(new ProjectReader(options.maxFileSize));
    const queued = workers?.queueHostFiles(host.filter((file) => file.path !== '-'), hostRun);
    const outcome = options.noIncludes ? await lintFiles(assembly, options, fixOptions, cwd, io, project) : await lintWithIncludes(assembly, options, fixOptions, cwd, io, project, workers);
    if (options.fix !== undefined) await fixHostFiles(host, options, fixOptions, cwd, io, project, outcome, hostRun);
    else await lintHostFiles(host, options, cwd, io, project, outcome, hostRun, queued);
    return finish(outcome, options, cwd, io);
  } finally {
    await workers?.close();
  }
}

/** Workers for `--jobs` (or enough C files); none for --fix, which rewrites files as it goes. */
function startWorkers(argv: readonly string[], cwd: string, hostFiles: number, hasAssembly: boolean, project: Project, options: CliOptions): LintWorkers | undefined {
  if (options.fix !== undefined) return undefined;
  return LintWorkers.start(threadCount(options.jobs, hostFiles, os.availableParallelism(), hasAssembly), options.jobs !== undefined, argv, cwd, project, options);
}

function finish(outcome: LintOutcome, options: CliOptions, cwd: string, io: CommandIo): number {
  const output = formatReports(outcome.reports, options.format, {
    cwd,
    style: stylist(wantsColor(options.color, io, options.outputFile === undefined)),
    tool: packageInfo(),
    profile: options.profile,
    ...(options.docsBaseUrl ? { docsBaseUrl: options.docsBaseUrl } : {}),
  });
  if (options.outputFile !== undefined) writeOutputFile(path.resolve(cwd, options.outputFile), output);
  else io.stdout.write(output);
  return settle(COMMAND, io, exitVerdict(outcome.reports, options.maxWarnings, outcome.unusable));
}

function walkFilter(project: Project | undefined, options: CliOptions): WalkFilter {
  const filter: WalkFilter = { noAssembly: !options.languages.includes('asm'), hostExtensions: options.languages.flatMap((language) => (language === 'asm' ? [] : HOST_EXTENSIONS[language])) };
  if (project !== undefined) {
    filter.extensions = project.extensions;
    filter.isIgnored = (file) => project.isIgnored(file);
  }
  return filter;
}

/** Assembly goes to the assembly readers; C, C++ and Rust (by extension, or --stdin-filename) to the embedded front ends, when --languages takes them. */
function splitByLanguage(files: readonly InputFile[], options: CliOptions): { assembly: InputFile[]; host: InputFile[] } {
  const assembly: InputFile[] = [];
  const host: InputFile[] = [];
  for (const file of files) {
    const name = file.path === '-' ? options.stdinFilename : file.path;
    const language = name === undefined ? undefined : hostLanguageOf(name);
    if (language === undefined) {
      if (options.languages.includes('asm') || file.path === '-') assembly.push(file);
    } else if (lintedHostLanguage(name!, options) !== undefined) {
      host.push(file);
    }
  }
  return { assembly, host };
}

/** The host files' reports in input order; `queued` has those on disk when workers lint them. */
async function lintHostFiles(files: readonly InputFile[], options: CliOptions, cwd: string, io: CommandIo, project: Project, outcome: LintOutcome, run: HostRun, queued: (() => Promise<HostLinted[]>) | undefined): Promise<void> {
  const onDisk = files.filter((file) => file.path !== '-');
  const linted = queued !== undefined ? await queued() : onDisk.map((file) => lintHostFile(file, project, options, run));
  const merger = new ReportMerger(outcome.reports);
  let next = 0;
  for (const file of files) {
    const { report, failed } = file.path === '-' ? await lintHostStdin(file, options, cwd, io, project, run) : linted[next++]!;
    outcome.unusable ||= failed;
    merger.add(report);
  }
}

async function lintHostStdin(file: InputFile, options: CliOptions, cwd: string, io: CommandIo, project: Project, run: HostRun): Promise<{ report: FileReport; failed: boolean }> {
  const displayName = stdinName(options, cwd);
  const input = await readInput(file, io, options.maxFileSize);
  if (!input.ok) return { report: fileProblemReport(displayName, input.problem), failed: false };
  const settingsPath = options.stdinFilename !== undefined ? path.resolve(cwd, options.stdinFilename) : undefined;
  return lintHostText(displayName, input.text, settingsPath, hostLanguageOf(settingsPath ?? displayName)!, project, options, run);
}

/**
 * --fix on host files, in input order: `trap` writes the forced-emulation prefixes (or, with
 * --fix-dry-run, prints their diff; standard input only with --fix-dry-run); `hypercall` lints and says why it changes nothing.
 */
async function fixHostFiles(files: readonly InputFile[], options: CliOptions, fixOptions: FixOptions, cwd: string, io: CommandIo, project: Project, outcome: LintOutcome, run: HostRun): Promise<void> {
  const merger = new ReportMerger(outcome.reports);
  for (const file of files) {
    const isStdin = file.path === '-';
    const displayName = isStdin ? stdinName(options, cwd) : file.path;
    const input = await readInput(file, io, options.maxFileSize);
    if (!input.ok) {
      merger.add(fileProblemReport(displayName, input.problem));
      continue;
    }
    const settingsPath = isStdin ? (options.stdinFilename !== undefined ? path.resolve(cwd, options.stdinFilename) : undefined) : file.path;
    const language = hostLanguageOf(settingsPath ?? displayName)!;
    const refusal = isStdin ? undefined : refusalToRewrite(file.path);
    if (options.fix === 'hypercall' || refusal !== undefined) {
      const linted = lintHostText(displayName, input.text, settingsPath, language, project, options, run);
      linted.report.note = refusal !== undefined ? `not fixed: ${refusal}` : HOST_HYPERCALL_NOTE;
      if (refusal !== undefined) io.stderr.write(`virtlint: not fixing ${escapeControlCharacters(displayName)}: ${escapeControlCharacters(refusal)}\n`);
      outcome.unusable ||= linted.failed;
      merger.add(linted.report);
      continue;
    }
    const fixed = fixHostText(displayName, input.text, settingsPath, language, project, options, fixOptions, run, io.stderr);
    outcome.unusable ||= fixed.failed;
    if (fixed.fixedText !== undefined) {
      outcome.rewroteAny = true;
      if (options.fixDryRun) writeDiff(displayName, input, fixed.fixedText, options, cwd, io);
      else if (!writeFixedFile(file.path, (input.hasBom ? '\ufeff' : '') + fixed.fixedText, io)) {
        outcome.unusable = true;
        fixed.report.note = 'the fixes could not be written and the file is unchanged (see the error above); the problems listed are what would remain';
      }
    }
    merger.add(fixed.report);
  }
}

interface LintOutcome {
  reports: FileReport[];
  /** A file hit an internal error, or its fixes could not be written. */
  unusable: boolean;
  /** --fix changed at least one file (or would, with --fix-dry-run). */
  rewroteAny: boolean;
}

/**
 * Lints the files on disk as one project (includes read in the includer's mode, macros expanded);
 * standard input is read alone, as `--no-includes` reads every file. Reports keep the input order;
 * the files reached only through includes follow.
 */
async function lintWithIncludes(files: readonly InputFile[], options: CliOptions, fixOptions: FixOptions, cwd: string, io: CommandIo, project: Project, workers: LintWorkers | undefined): Promise<LintOutcome> {
  const onDisk = files.filter((file) => file.path !== '-');
  const fromStdin = files.filter((file) => file.path === '-');
  const linted = await lintProject(onDisk, project, options, fixOptions, options.fix !== undefined ? projectFixer(options, cwd, io) : undefined, workers?.analyzer());
  if (linted.macroFindingsNotFixed > 0) io.stderr.write(macroFixNote(linted.macroFindingsNotFixed));
  const outcome: LintOutcome = { reports: linted.reports, unusable: linted.unusable, rewroteAny: linted.rewroteAny };
  if (fromStdin.length === 0) return outcome;
  const stdin = await lintFiles(fromStdin, options, fixOptions, cwd, io, project);
  const at = files.findIndex((file) => file.path === '-');
  outcome.reports.splice(at, 0, ...stdin.reports);
  outcome.unusable ||= stdin.unusable;
  outcome.rewroteAny ||= stdin.rewroteAny;
  return outcome;
}

/** How --fix writes a project's files: as for single files (refusals, safe writes, dry-run diffs). */
function projectFixer(options: CliOptions, cwd: string, io: CommandIo): ProjectFixer {
  return {
    refusal(file) {
      const refusal = refusalToRewrite(file);
      if (refusal !== undefined) io.stderr.write(`virtlint: not fixing ${escapeControlCharacters(file)}: ${escapeControlCharacters(refusal)}\n`);
      return refusal;
    },
    write(file, before, after, definitions) {
      writeDefinitionsFor(file, definitions, options.fixDryRun, io);
      if (!options.fixDryRun) return writeFixedFile(file, (before.hasBom ? '\ufeff' : '') + after, io);
      writeDiff(file, before, after, options, cwd, io);
      return true;
    },
  };
}

async function lintFiles(files: readonly InputFile[], options: CliOptions, fixOptions: FixOptions, cwd: string, io: CommandIo, project: Project): Promise<LintOutcome> {
  const outcome: LintOutcome = { reports: [], unusable: false, rewroteAny: false };
  for (const file of files) {
    const displayName = file.path === '-' ? stdinName(options, cwd) : file.path;
    const input = await readInput(file, io, options.maxFileSize);
    if (!input.ok) {
      outcome.reports.push(fileProblemReport(displayName, input.problem));
      continue;
    }
    try {
      const settingsName = file.path === '-' ? (options.stdinFilename !== undefined ? displayName : undefined) : file.path;
      const fixed = lintAndFix(file.path, displayName, input, options, fixOptions, cwd, io, settingsName === undefined ? undefined : project.settingsFor(settingsName));
      outcome.reports.push(fixed.report);
      outcome.rewroteAny ||= fixed.rewrote;
      outcome.unusable ||= fixed.writeFailed;
    } catch (e) {
      outcome.unusable = true;
      outcome.reports.push(fileProblemReport(displayName, `internal error while linting this file: ${(e as Error)?.message ?? String(e)}`));
    }
  }
  return outcome;
}

/** Lints one text and applies --fix: writes the file, or prints the diff for --fix-dry-run. */
function lintAndFix(
  file: string,
  displayName: string,
  input: { text: string; hasBom: boolean },
  options: CliOptions,
  fixOptions: FixOptions,
  cwd: string,
  io: CommandIo,
  fileSettings: FileSettings | undefined,
): { report: FileReport; rewrote: boolean; writeFailed: boolean } {
  const isStdin = file === '-';
  const refusal = options.fix !== undefined && !isStdin ? refusalToRewrite(file) : undefined;
  // Standard input has no folder to write a definitions file to: its numbers go into the text.
  const fixWith: FixOptions = isStdin ? { ...fixOptions, numbers: 'inline' } : fixOptionsForFile(fixOptions, file, options.hypercallDefinitionsFolder);
  const linted = lintOne(displayName, isStdin, input.text, options, refusal === undefined ? options.fix : undefined, fixWith, fileSettings);
  const outcome = { report: linted.report, rewrote: linted.fixedText !== undefined, writeFailed: false };
  if (refusal !== undefined) {
    linted.report.note = `not fixed: ${refusal}`;
    io.stderr.write(`virtlint: not fixing ${escapeControlCharacters(displayName)}: ${escapeControlCharacters(refusal)}\n`);
  }
  if (linted.fixedText === undefined) return outcome;
  if (!isStdin) writeDefinitionsFor(file, linted.definitions, options.fixDryRun, io);
  if (linted.unstable) io.stderr.write(unstableNote(displayName));
  if (options.fixDryRun) {
    writeDiff(displayName, input, linted.fixedText, options, cwd, io);
  } else if (!writeFixedFile(file, (input.hasBom ? '\ufeff' : '') + linted.fixedText, io)) {
    outcome.writeFailed = true;
    linted.report.note = 'the fixes could not be written and the file is unchanged (see the error above); the problems listed are what would remain';
  }
  return outcome;
}

/** --fix-dry-run: the diff on stdout, or on stderr when stdout carries a json or sarif report. */
function writeDiff(displayName: string, before: { text: string; hasBom: boolean }, after: string, options: CliOptions, cwd: string, io: CommandIo): void {
  const diffsToStderr = options.outputFile === undefined && (options.format === 'json' || options.format === 'sarif');
  const [oldName, newName] = diffNames(displayName, cwd);
  const diff = unifiedDiff(before.text, after, oldName, newName, { byteOrderMark: before.hasBom });
  (diffsToStderr ? io.stderr : io.stdout).write(diff);
}

interface Linted {
  report: FileReport;
  /** Set when --fix changed the text. */
  fixedText?: string;
  /** The definitions file the hypercall fixes include (fix.ts). */
  definitions?: import('../analysis/fixes').DefinitionsFile;
  unstable?: boolean;
}

function lintOne(
  displayName: string,
  isStdin: boolean,
  text: string,
  options: CliOptions,
  fix: FixStrategy | undefined,
  fixOptions: FixOptions,
  fileSettings: FileSettings | undefined,
): Linted {
  const detectionName = isStdin ? options.stdinFilename : displayName;
  const result = analyze(text, detectionName, options, fileSettings);
  if (fix === undefined) return { report: reportFor(displayName, text, result, options, fixOptions) };
  const fixed = applyFixes(text, result, fix, fixOptions, reanalyzeAlone(options, detectionName, result, fileSettings));
  if (fixed.applied === 0 || fixed.text === text) return { report: reportFor(displayName, text, result, options, fixOptions) };
  const remaining = analyze(fixed.text, detectionName, options, fileSettings);
  const report = reportFor(displayName, fixed.text, remaining, options, fixOptions);
  const note = fixNote(fixed.applied, options.fixDryRun);
  if (note !== undefined) report.note = note;
  return { report, fixedText: fixed.text, ...(fixed.definitions ? { definitions: fixed.definitions } : {}), ...(fixed.stable ? {} : { unstable: true }) };
}

/** Writes a fixed file; on failure says so and leaves it unchanged (the report still shows the fixed text's problems). */
function writeFixedFile(file: string, content: string, io: CommandIo): boolean {
  try {
    replaceFileContent(file, content);
    return true;
  } catch (e) {
    io.stderr.write(`virtlint: cannot write the fixed ${escapeControlCharacters(file)} (left unchanged): ${escapeControlCharacters((e as Error).message)}\n`);
    return false;
  }
}

function outputTargets(options: CliOptions, cwd: string): NamedPath[] {
  const targets: NamedPath[] = [];
  const add = (option: string, file: string | undefined): void => {
    if (file !== undefined) targets.push({ label: `${option} ${file}`, path: path.resolve(cwd, file) });
  };
  add('-o', options.outputFile);
  add('--write-hypercall-defs', options.writeHypercallDefs);
  add('--write-hypercall-header', options.writeHypercallHeader);
  return targets;
}

function* inputPaths(files: readonly InputFile[], options: CliOptions, cwd: string): Generator<NamedPath> {
  if (options.fixTemplateFile !== undefined) yield { label: `the --fix-template ${options.fixTemplateFile}`, path: path.resolve(cwd, options.fixTemplateFile) };
  for (const file of files) {
    if (file.path !== '-' && file.problem === undefined) yield { label: `the input ${displayPath(file.path, cwd)}`, path: file.path };
  }
}

/** --hypercall-definitions-folder (else the configuration's), absolute; checked before any file is touched. */
function withDefinitionsFolder(options: CliOptions, project: Project | undefined, cwd: string): CliOptions {
  const given = options.hypercallDefinitionsFolder;
  if (given !== undefined) {
    const problem = /^[A-Za-z0-9_.+@/\\:-]*$/.test(given) ? undefined : 'it may hold only letters, digits and _ . + @ - / (an include names it unquoted in MASM)';
    if (problem !== undefined) throw new UsageError(`--hypercall-definitions-folder: ${problem}`);
    return { ...options, hypercallDefinitionsFolder: path.resolve(cwd, given) };
  }
  return project?.definitionsFolder !== undefined ? { ...options, hypercallDefinitionsFolder: project.definitionsFolder } : options;
}

function readFixOptions(options: CliOptions, cwd: string): FixOptions {
  const fixOptions: FixOptions = { abi: options.abi };
  if (options.hypercallNumbers === 'inline') fixOptions.numbers = 'inline';
  if (options.fixTemplateFile === undefined) return fixOptions;
  const name = options.fixTemplateFile;
  const read = readRegularFile(path.resolve(cwd, name), options.maxFileSize);
  if (!read.ok) {
    if (read.reason === 'error') throw new UsageError(`--fix-template: cannot read ${name}: ${describeFsError(read.error)}`);
    if (read.reason === 'not-regular') throw new UsageError(`--fix-template: ${name} is ${read.kind}, not a regular file`);
    throw new UsageError(`--fix-template: ${name} is over the --max-file-size limit of ${formatBytes(options.maxFileSize)}`);
  }
  const template = read.bytes.toString('utf8');
  if (parseCustomTemplate(template, 64) === undefined || parseCustomTemplate(template, 32) === undefined) {
    throw new UsageError(`--fix-template: ${options.fixTemplateFile} is not a valid template (see docs/cli.md)`);
  }
  fixOptions.customTemplate = template;
  return fixOptions;
}

function writeGeneratedFiles(options: CliOptions, fixOptions: FixOptions, cwd: string, io: CommandIo): void {
  if (options.writeHypercallDefs !== undefined) {
    const target = path.resolve(cwd, options.writeHypercallDefs);
    writeOutputFile(target, ensureNewline(hypercallDefinitions(definitionsDialect(options.dialect, target), fixOptions.abi)));
    io.stderr.write(`virtlint: wrote hypercall definitions (${fixOptions.abi}) to ${escapeControlCharacters(options.writeHypercallDefs)}\n`);
  }
  if (options.writeHypercallHeader !== undefined) {
    writeOutputFile(path.resolve(cwd, options.writeHypercallHeader), ensureNewline(hypercallHeader(fixOptions.abi)));
    io.stderr.write(`virtlint: wrote hypercall header (${fixOptions.abi}) to ${escapeControlCharacters(options.writeHypercallHeader)}\n`);
  }
}

/** The definitions file's dialect: --dialect, else guessed from the target's extension, else NASM. */
function definitionsDialect(dialect: CliDialect | undefined, target: string): Dialect {
  if (dialect === 'yasm' || dialect === undefined) {
    const ext = path.extname(target);
    if (dialect === undefined && (ext === '.s' || ext === '.S' || ext === '.sx')) return 'gas-att';
    if (dialect === undefined && ext === '.masm') return 'masm';
    if (dialect === undefined && ext === '.fasm') return 'fasm';
    return 'nasm';
  }
  return dialect === 'gas' ? 'gas-att' : dialect;
}

function ensureNewline(text: string): string {
  return text.endsWith('\n') ? text : text + '\n';
}

function writeOutputFile(target: string, content: string): void {
  try {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, content);
  } catch (e) {
    throw new InputError(`cannot write ${target}: ${(e as Error).message}`);
  }
}

async function readInput(file: InputFile, io: CommandIo, maxBytes: number): Promise<ReadOutcome> {
  if (file.problem !== undefined) return { ok: false, problem: file.problem };
  return file.path === '-' ? readStdin(io, maxBytes) : readSourceFile(file.path, maxBytes);
}

async function readStdin(io: CommandIo, maxBytes: number): Promise<ReadOutcome> {
  const read = await readStreamBounded(io.stdin ?? process.stdin, maxBytes);
  return read.ok ? decodeSource(read.bytes, maxBytes) : { ok: false, problem: boundedReadProblem(read, maxBytes) };
}

function stdinName(options: CliOptions, cwd: string): string {
  return options.stdinFilename !== undefined ? path.resolve(cwd, options.stdinFilename) : STDIN_NAME;
}

/** `a/path` and `b/path` (as git writes them, for `patch -p1`) when inside cwd; the absolute path otherwise. */
function diffNames(file: string, cwd: string): [string, string] {
  const relative = path.isAbsolute(file) ? path.relative(cwd, file) : file;
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return [file, file];
  const shown = relative.split(path.sep).join('/');
  return [`a/${shown}`, `b/${shown}`];
}
