// `virtlint scan [options] <file...>` (the scan command): lint compiled code (ELF, PE/COFF, raw images).
import * as fs from 'fs';
import * as path from 'path';
import { resolveRuleSelection, RULES } from '../analysis/catalogue';
import { describeFsError, fileKind, readRegularFile, type BoundedRead } from '../host/boundedRead';
import { parseCommandOptions, type CommandOptions } from '../host/argv';
import { runCommand, settle } from '../host/command';
import { packageInfo } from '../host/packageInfo';
import { stylist, wantsColor } from '../host/terminal';
import { formatReports, type FileReport } from '../report';
import { exitVerdict, flag, InputError, integer, oneOf, parseBits, pathValue, UsageError, valued, type CommandIo, type OptionSpec } from '../report/options';
import { addressWidthFor, DISCOVERY_ORDER, fitsAddressWidth, ScanInputError, type BinaryImage, type Discovery } from '../binary/image';
import { loadImage, openImageFile, RAW_DEFAULT_BITS, type LoadOptions, type OpenedImage } from './load';
import { PARALLEL_MIN_BYTES, SweepWorkers, workerScriptPath } from './parallel';
import { fatalReport, toFileReport } from './report';
import { scanImage, type DisassemblySyntax, type ScanOptions, type ScanStats, type SweepMode } from './scanner';
import { parseSystemMap, SymbolIndex } from '../binary/symbols';
import type { Bitness } from '../binary/sweep';

const COMMAND = 'virtlint scan';

/** The scan command's own options. */
interface ScanOwnOptions {
  bits?: Bitness;
  base?: bigint;
  raw: boolean;
  map?: string;
  sections: string[];
  syntax: DisassemblySyntax;
  maxSizeBytes: number;
  /** Threads for large sections, this one included; 1 = no workers. */
  jobs: number;
  sweep: SweepMode;
  minConfidence: Discovery;
  maxFindings: number;
}

export type ScanArgs = CommandOptions<ScanOwnOptions>;

/**
 * Findings listed per file unless --max-findings says otherwise. `--rules all` on a kernel finds
 * millions of INT3 padding bytes; listing them all exhausted the heap (4.4 GB, then a crash).
 */
export const DEFAULT_MAX_FINDINGS = 250_000;
const MAX_FINDINGS_LIMIT = 10_000_000;

/** A System.map of a large kernel is a few MB; the cap stops a wrong path (a disk image, /dev/zero) from filling memory. */
export const MAX_MAP_BYTES = 64 * 1024 * 1024;

const ruleIds = (group: string): string => RULES.filter((rule) => rule.group === group).map((rule) => rule.id).join(' ');

export const SCAN_USAGE = `Usage: virtlint scan [options] <file...>

Finds sensitive-but-unprivileged x86 instructions in compiled code: ELF32/ELF64 executables and
objects, PE32/PE32+ images, COFF objects, and raw images. Only code is decoded: regions of function
symbols with a size, unwind tables (.eh_frame, .pdata), and what a traversal from entry points,
exports and function starts reaches through direct jumps, calls and jump tables with a proven
bound; data between functions (and the tables) is not read as instructions. Each finding gives address, section, symbol+offset, the source line when the
file has DWARF line information, and how its code was found (discovery).

Options:
  -f, --format <f>      stylish (default), json, sarif, github
  --profile <p>         deprivileged-kernel (default), hardware-assisted-guest, vm-detection-audit
  --rules <list>        rule ids or core, extended, all (comma-separated; repeatable); all adds INT3
  --severity <id=level> override a rule's severity (error, warning, info, hint, off); id may be a
                        rule id, core, extended, meta or all; repeatable
  --bits 16|32|64       bitness of a raw image, or override the header's (e.g. --bits 64 for Xen)
  --base <address>      load address of a raw image (hex with 0x, or decimal); default 0. Must fit
                        the address size: 32 bits for 16- and 32-bit code, 64 bits for 64-bit code;
                        addresses past the top wrap around, as the CPU's do
  --raw                 treat the file as raw code even if it has an ELF/PE header
  --map <System.map>    extra symbols for attribution (e.g. a stripped vmlinux); a regular file of
                        at most ${MAX_MAP_BYTES / (1024 * 1024)} MB
  --section <name>      scan only this section (repeatable)
  --sweep <mode>        discover (default): decode only discovered code; linear: decode every byte
                        of every executable section (also used when a file names no code at all,
                        e.g. raw images: a note says so on stderr)
  --min-confidence <d>  report only code found by d or better: symbol > unwind > traversal > sweep
  --max-findings <n>    list at most n findings per file (default ${DEFAULT_MAX_FINDINGS}); the rest are
                        counted in the totals and the exit status, and a note says how many
  --syntax <s>          disassembly shown in messages: intel (default), att, nasm, masm
  --max-warnings <n>    exit 1 when there are more than n warnings
  --color, --no-color   force colour on or off (default: on when stdout is a terminal)
  --max-size <MB>       refuse files larger than this (default 1024)
  --jobs <n>            threads for sections over 2 MB, this one included (default 1: a worker needs
                        ~100 ms to start, more than it saves on a 15 MB kernel .text; see BENCHMARKS.md)
  -h, --help            this text

Exit status: 0 no errors, 1 findings at error severity (or too many warnings), 2 bad usage or unreadable input.
In json output, each message has address, section and symbol; line and column are always 1.
Control characters in symbol and section names are shown escaped (\\x1B) in messages.

Rule ids:
  core:     ${ruleIds('core')}
  extended: ${ruleIds('extended')}`;

const SYNTAXES: readonly DisassemblySyntax[] = ['intel', 'att', 'nasm', 'masm'];
const MAX_JOBS = 64;
const SWEEP_MODES: readonly SweepMode[] = ['discover', 'linear'];

const SCAN_OPTIONS: readonly OptionSpec<ScanArgs>[] = [
  valued('--bits', undefined, (o, value, name) => (o.bits = parseBits(name, value))),
  valued('--base', undefined, (o, value) => (o.base = parseAddress(value))),
  flag('--raw', undefined, (o) => (o.raw = true)),
  valued('--map', undefined, (o, value, name) => (o.map = pathValue(name, value))),
  valued('--section', undefined, (o, value) => o.sections.push(value)),
  valued('--syntax', undefined, (o, value, name) => (o.syntax = oneOf(name, value, SYNTAXES))),
  valued('--max-size', undefined, (o, value, name) => (o.maxSizeBytes = megabytes(name, value))),
  valued('--jobs', undefined, (o, value, name) => (o.jobs = integer(name, value, 1, MAX_JOBS))),
  valued('--sweep', undefined, (o, value, name) => (o.sweep = oneOf(name, value, SWEEP_MODES))),
  valued('--min-confidence', undefined, (o, value, name) => (o.minConfidence = oneOf(name, value, DISCOVERY_ORDER))),
  valued('--max-findings', undefined, (o, value, name) => (o.maxFindings = integer(name, value, 1, MAX_FINDINGS_LIMIT))),
];

export function parseScanArgs(argv: readonly string[]): ScanArgs {
  const args = parseCommandOptions<ScanOwnOptions>(argv, SCAN_OPTIONS, { raw: false, sections: [], syntax: 'intel', maxSizeBytes: 1024 * 1024 * 1024, jobs: 1, sweep: 'discover', minConfidence: 'sweep', maxFindings: DEFAULT_MAX_FINDINGS });
  if (args.base !== undefined) checkBaseFitsBitness(args.base, args.bits ?? RAW_DEFAULT_BITS);
  return args;
}

function megabytes(name: string, value: string): number {
  const mb = Number(value);
  if (!(mb > 0)) throw new UsageError(`${name} wants a positive number of megabytes, not "${value}"`);
  return Math.floor(mb * 1024 * 1024);
}

/** 16- and 32-bit code runs at 32-bit addresses, 64-bit code at 64-bit ones. */
function checkBaseFitsBitness(base: bigint, bits: Bitness): void {
  const width = addressWidthFor(bits);
  if (fitsAddressWidth(base, width)) return;
  const hint = width < 64 ? ' (for 64-bit code, pass --bits 64)' : '';
  throw new UsageError(`--base 0x${base.toString(16)} does not fit in the ${width}-bit addresses of ${bits}-bit code${hint}`);
}

function parseAddress(text: string): bigint {
  const t = text.trim().toLowerCase();
  if (!/^(0x[0-9a-f]+|[0-9]+)$/.test(t)) throw new UsageError(`--base: "${text}" is not an address (use 0x... or decimal)`);
  const value = BigInt(t);
  if (value >= 1n << 64n) throw new UsageError('--base: address does not fit in 64 bits');
  return value;
}

export function runScan(argv: string[], io: CommandIo): Promise<number> {
  return runCommand(COMMAND, io, () => run(argv, io));
}

async function run(argv: string[], io: CommandIo): Promise<number> {
  const args = parseScanArgs(argv);
  if (args.help) {
    io.stdout.write(SCAN_USAGE + '\n');
    return 0;
  }
  if (args.paths.length === 0) throw new UsageError('no files given');
  const selection = resolveRuleSelection(args.rules, args.profile);
  const cwd = io.cwd ?? process.cwd();
  const extraSymbols = args.map === undefined ? undefined : readSystemMap(path.resolve(cwd, args.map), args.map);
  const workers = startWorkers(args, cwd);
  try {
    return await scanFiles(args, io, cwd, selection, extraSymbols, workers);
  } finally {
    await workers?.close();
  }
}

/** Workers start before any file is read, so their start-up overlaps reading and parsing. */
function startWorkers(args: ScanArgs, cwd: string): SweepWorkers | undefined {
  if (args.jobs < 2) return undefined;
  const large = args.paths.some((file) => {
    try {
      return fs.statSync(path.resolve(cwd, file)).size >= PARALLEL_MIN_BYTES;
    } catch {
      return false;
    }
  });
  const script = large ? workerScriptPath() : undefined;
  return script ? new SweepWorkers(args.jobs - 1, script) : undefined;
}

async function scanFiles(
  args: ScanArgs,
  io: CommandIo,
  cwd: string,
  selection: { enabled: Set<string>; includeInt3: boolean },
  extraSymbols: SymbolIndex | undefined,
  workers: SweepWorkers | undefined,
): Promise<number> {
  const reports: FileReport[] = [];
  let failed = false;
  for (const file of args.paths) {
    const fullPath = path.resolve(cwd, file);
    let image: BinaryImage;
    let opened: OpenedImage;
    try {
      opened = openLimited(fullPath, args);
      image = loadImage(opened.bytes, loadOptions(args));
    } catch (e) {
      failed = true;
      reports.push(fatalReport(fullPath, errorText(e)));
      continue;
    }
    const options: ScanOptions = {
      profile: args.profile,
      enabled: selection.enabled,
      includeInt3: selection.includeInt3,
      severities: args.severities,
      syntax: args.syntax,
      sweep: args.sweep,
      minConfidence: args.minConfidence,
      maxFindings: args.maxFindings,
    };
    if (extraSymbols) options.extraSymbols = extraSymbols;
    if (workers) options.workers = workers;
    if (opened.arriving) options.arriving = opened.arriving;
    let scanned: Awaited<ReturnType<typeof scanImage>>;
    try {
      scanned = await scanImage(image, options);
    } catch (e) {
      if (!(e instanceof ScanInputError)) throw e;
      failed = true;
      reports.push(fatalReport(fullPath, e.message));
      continue;
    } finally {
      await opened.arriving?.settled();
    }
    const { findings, stats } = scanned;
    if (stats.fellBackToSweep) {
      io.stderr.write(`${COMMAND}: ${file}: no symbols, unwind tables or entry points inside code; decoded every executable byte (linear sweep)\n`);
      image.notes.push('no code roots: linear sweep');
    }
    if (stats.omitted) {
      const omitted = omittedTotal(stats.omitted);
      const listed = `listed the first ${findings.length} of ${findings.length + omitted} findings (--max-findings ${args.maxFindings}); narrow with --rules or --section, or raise --max-findings`;
      io.stderr.write(`${COMMAND}: ${file}: ${listed}\n`);
      image.notes.push(listed);
    }
    reports.push(toFileReport(fullPath, image, findings, stats.omitted));
  }

  const output = formatReports(reports, args.format, {
    cwd,
    style: stylist(wantsColor(args.color, io, true)),
    tool: packageInfo(),
    profile: args.profile,
  });
  io.stdout.write(output);
  return settle(COMMAND, io, exitVerdict(reports, args.maxWarnings, failed));
}

/** The symbols of a --map file; a map that cannot be used stops the scan. */
function readSystemMap(fullPath: string, shownName: string): SymbolIndex {
  const read = readRegularFile(fullPath, MAX_MAP_BYTES);
  if (!read.ok) throw new InputError(`cannot use map ${shownName}: ${mapReadProblem(read)}`);
  try {
    return new SymbolIndex(parseSystemMap(read.bytes.toString('utf8'), shownName));
  } catch (e) {
    throw new InputError(`cannot use map ${shownName}: ${errorText(e)}`);
  }
}

function mapReadProblem(failure: Exclude<BoundedRead, { ok: true }>): string {
  switch (failure.reason) {
    case 'not-regular':
      return `${failure.kind}, not a regular file`;
    case 'too-large':
      return `larger than the ${MAX_MAP_BYTES / 1048576} MB limit for a System.map (a large kernel's is a few MB)`;
    case 'error':
      return describeFsError(failure.error);
  }
}

function loadOptions(args: ScanArgs): LoadOptions {
  const options: LoadOptions = { raw: args.raw, sections: args.sections };
  if (args.bits !== undefined) options.bits = args.bits;
  if (args.base !== undefined) options.base = args.base;
  return options;
}

/** Opens a file for scanning; the large code sections of a large ELF go on arriving (`OpenedImage.arriving`). */
function openLimited(fullPath: string, args: ScanArgs): OpenedImage {
  const maxBytes = args.maxSizeBytes;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(fullPath);
  } catch (e) {
    throw new ScanInputError(describeFsError(e));
  }
  if (stat.isDirectory()) throw new ScanInputError('is a directory (scan takes binary files; lint source trees with `virtlint <dir>`)');
  if (!stat.isFile()) throw new ScanInputError(`${fileKind(stat)}, not a regular file`);
  if (stat.size > maxBytes) throw new ScanInputError(`file is ${(stat.size / 1048576).toFixed(1)} MB, over the --max-size limit of ${(maxBytes / 1048576).toFixed(0)} MB`);
  if (stat.size === 0) throw new ScanInputError('empty file');
  return openImageFile(fullPath, stat.size, { inBackground: true, sections: args.sections, raw: args.raw });
}

function errorText(e: unknown): string {
  return e instanceof ScanInputError ? e.message : describeFsError(e);
}

function omittedTotal(omitted: NonNullable<ScanStats['omitted']>): number {
  return Object.values(omitted).reduce((sum, count) => sum + (count ?? 0), 0);
}
