// `virtlint` command-line entry: lint assembly files, print a report, optionally fix them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hypercallDefinitions, hypercallHeader, parseCustomTemplate, type FixOptions } from '../analysis/fixes';
import type { Dialect } from '../analysis/types';
import { parseArgs, UsageError, type CliDialect, type CliOptions } from './args';
import { unifiedDiff } from './diff';
import { applyFixes, fixNote } from './fix';
import { decodeSource, expandPaths, PathError, readSourceFile, type ReadOutcome } from './files';
import { formatReports, type FileReport } from './format';
import { helpText } from './help';
import { analyze, fileProblemReport, reportFor } from './lint';
import { packageInfo } from './packageInfo';

export interface CliIo {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown };
  /** Default: process.cwd(). */
  cwd?: string;
  /** Default: process.env (only NO_COLOR and VIRTLINT_DEBUG are read). */
  env?: Record<string, string | undefined>;
  /** Default: reads process.stdin to the end. */
  readStdin?: () => Promise<Uint8Array>;
}

export const STDIN_NAME = '<stdin>';

export async function main(argv: string[], io: CliIo): Promise<number> {
  if (argv[0] === 'scan') return runScanCommand(argv.slice(1), io);
  try {
    return await run(argv, io);
  } catch (e) {
    if (e instanceof UsageError || e instanceof PathError) {
      io.stderr.write(`virtlint: ${e.message}\n${e instanceof UsageError ? 'Run `virtlint --help` for usage.\n' : ''}`);
      return 2;
    }
    const debug = (io.env ?? process.env).VIRTLINT_DEBUG;
    io.stderr.write(`virtlint: internal error: ${(e as Error)?.message ?? String(e)}\n`);
    if (debug) io.stderr.write(`${(e as Error)?.stack ?? ''}\n`);
    else io.stderr.write('(set VIRTLINT_DEBUG=1 for details, and please report it)\n');
    return 2;
  }
}

async function run(argv: string[], io: CliIo): Promise<number> {
  const options = parseArgs(argv);
  if (options.help) {
    io.stdout.write(helpText());
    return 0;
  }
  if (options.version) {
    io.stdout.write(`virtlint ${packageInfo()?.version ?? 'unknown'}\n`);
    return 0;
  }
  const cwd = io.cwd ?? process.cwd();
  const fixOptions = readFixOptions(options, cwd);
  const wrote = writeGeneratedFiles(options, fixOptions, cwd, io);
  if (options.paths.length === 0) {
    if (wrote) return 0;
    throw new UsageError('no files given (use "-" for standard input)');
  }
  if (options.fix !== undefined && !options.fixDryRun && options.paths.includes('-')) {
    throw new UsageError('--fix cannot rewrite standard input; use --fix-dry-run to see the diff');
  }
  const files = expandPaths(options.paths, cwd);

  const diffsToStderr = options.outputFile === undefined && (options.format === 'json' || options.format === 'sarif');
  const reports: FileReport[] = [];
  let internalFailure = false;
  let writeFailed = false;
  for (const file of files) {
    const input = file === '-' ? await readStdin(io, options.maxFileSize) : readSourceFile(file, options.maxFileSize);
    const displayName = file === '-' ? stdinName(options, cwd) : file;
    if (!input.ok) {
      reports.push(fileProblemReport(displayName, input.problem));
      continue;
    }
    try {
      const linted = lintOne(displayName, file === '-', input.text, options, fixOptions);
      reports.push(linted.report);
      if (linted.fixedText !== undefined) {
        if (options.fixDryRun) {
          const [oldName, newName] = diffNames(displayName, cwd);
          const diff = unifiedDiff(input.text, linted.fixedText, oldName, newName);
          (diffsToStderr ? io.stderr : io.stdout).write(diff);
        } else if (!writeFixedFile(file, (input.hasBom ? '\ufeff' : '') + linted.fixedText, io)) {
          writeFailed = true;
          linted.report.note = 'the fixes could not be written (see the error above); the problems listed are what would remain';
        }
      }
    } catch (e) {
      internalFailure = true;
      reports.push(fileProblemReport(displayName, `internal error while linting this file: ${(e as Error)?.message ?? String(e)}`));
    }
  }

  if (options.fix === 'hypercall' && reports.some((r) => r.note !== undefined)) {
    io.stderr.write(
      `virtlint: the hypercall replacements use symbols named VIRTLINT_HC_*; generate their definitions with\n` +
        `  virtlint --write-hypercall-defs <file> --abi ${options.abi} --dialect <dialect>\n`,
    );
  }
  const color = options.color ?? (options.outputFile === undefined && io.stdout.isTTY === true && !(io.env ?? process.env).NO_COLOR);
  const formatOptions = { cwd, color: options.outputFile === undefined && color, profile: options.profile, ...(options.docsBaseUrl ? { docsBaseUrl: options.docsBaseUrl } : {}) };
  const output = formatReports(reports, options.format, formatOptions);
  if (options.outputFile !== undefined) writeOutputFile(path.resolve(cwd, options.outputFile), output);
  else io.stdout.write(output);

  if (internalFailure || writeFailed) return 2;
  const errors = reports.reduce((sum, r) => sum + r.errorCount, 0);
  const warnings = reports.reduce((sum, r) => sum + r.warningCount, 0);
  if (errors > 0) return 1;
  if (options.maxWarnings >= 0 && warnings > options.maxWarnings) {
    io.stderr.write(`virtlint: ${warnings} warnings, more than --max-warnings ${options.maxWarnings}\n`);
    return 1;
  }
  return 0;
}

interface Linted {
  report: FileReport;
  /** Set when --fix changed the text. */
  fixedText?: string;
}

function lintOne(displayName: string, isStdin: boolean, text: string, options: CliOptions, fixOptions: FixOptions): Linted {
  const detectionName = isStdin ? options.stdinFilename : displayName;
  const result = analyze(text, detectionName, options);
  if (options.fix === undefined) return { report: reportFor(displayName, text, result, options, fixOptions) };
  const fixed = applyFixes(text, result, options.fix, fixOptions);
  if (fixed.applied === 0 || fixed.text === text) return { report: reportFor(displayName, text, result, options, fixOptions) };
  const remaining = analyze(fixed.text, detectionName, options);
  const report = reportFor(displayName, fixed.text, remaining, options, fixOptions);
  const note = fixNote(fixed.applied, options.fixDryRun);
  if (note !== undefined) report.note = note;
  return { report, fixedText: fixed.text };
}

/** Writes a fixed file; on failure says so (the report still shows the fixed text's problems). */
function writeFixedFile(file: string, content: string, io: CliIo): boolean {
  try {
    fs.writeFileSync(file, content);
    return true;
  } catch (e) {
    io.stderr.write(`virtlint: cannot write the fixed ${file}: ${(e as Error).message}\n`);
    return false;
  }
}

function readFixOptions(options: CliOptions, cwd: string): FixOptions {
  const fixOptions: FixOptions = { abi: options.abi };
  if (options.fixTemplateFile === undefined) return fixOptions;
  let template: string;
  try {
    template = fs.readFileSync(path.resolve(cwd, options.fixTemplateFile), 'utf8');
  } catch (e) {
    throw new UsageError(`--fix-template: cannot read ${options.fixTemplateFile}: ${(e as Error).message}`);
  }
  if (parseCustomTemplate(template, 64) === undefined || parseCustomTemplate(template, 32) === undefined) {
    throw new UsageError(`--fix-template: ${options.fixTemplateFile} is not a valid template (see docs/cli.md)`);
  }
  fixOptions.customTemplate = template;
  return fixOptions;
}

function writeGeneratedFiles(options: CliOptions, fixOptions: FixOptions, cwd: string, io: CliIo): boolean {
  let wrote = false;
  if (options.writeHypercallDefs !== undefined) {
    const target = path.resolve(cwd, options.writeHypercallDefs);
    writeOutputFile(target, ensureNewline(hypercallDefinitions(definitionsDialect(options.dialect, target), fixOptions.abi)));
    io.stderr.write(`virtlint: wrote hypercall definitions (${fixOptions.abi}) to ${options.writeHypercallDefs}\n`);
    wrote = true;
  }
  if (options.writeHypercallHeader !== undefined) {
    writeOutputFile(path.resolve(cwd, options.writeHypercallHeader), ensureNewline(hypercallHeader(fixOptions.abi)));
    io.stderr.write(`virtlint: wrote hypercall header (${fixOptions.abi}) to ${options.writeHypercallHeader}\n`);
    wrote = true;
  }
  return wrote;
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
    throw new PathError(`cannot write ${target}: ${(e as Error).message}`);
  }
}

async function readStdin(io: CliIo, maxBytes: number): Promise<ReadOutcome> {
  const bytes = await (io.readStdin ?? readProcessStdin)();
  return decodeSource(bytes, maxBytes);
}

async function readProcessStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
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

type RunScan = (argv: string[], io: CliIo) => Promise<number>;

async function runScanCommand(argv: string[], io: CliIo): Promise<number> {
  let runScan: RunScan | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    runScan = (require('../scan/command') as { runScan?: RunScan }).runScan;
  } catch (e) {
    io.stderr.write(`virtlint scan: the binary scanner could not be loaded: ${(e as Error).message}\n`);
    return 2;
  }
  if (typeof runScan !== 'function') {
    io.stderr.write('virtlint scan: the binary scanner is not part of this build\n');
    return 2;
  }
  try {
    return await runScan(argv, io);
  } catch (e) {
    io.stderr.write(`virtlint scan: internal error: ${(e as Error)?.message ?? String(e)}\n`);
    return 2;
  }
}

/** Runs the CLI against the real process (used by bin/virtlint.js and when this file is run directly). */
export function runFromProcess(): void {
  const io: CliIo = { stdout: process.stdout, stderr: process.stderr };
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    // `virtlint ... | head` closes the pipe early: not an error. The exit status stays the lint result.
    if (e.code !== 'EPIPE') throw e;
  });
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`virtlint: internal error: ${(e as Error)?.message ?? String(e)}\n`);
      process.exitCode = 2;
    },
  );
}

if (require.main === module) runFromProcess();
