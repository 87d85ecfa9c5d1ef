// `virtlint scan [options] <file...>`: lint compiled code (ELF, PE/COFF, raw images).
import * as fs from 'fs';
import * as path from 'path';
import { isProfileId, isSeverityOrOff, resolveRuleSelection, unknownSelectionTokens, DEFAULT_PROFILE, type ProfileId } from '../analysis/catalogue';
import type { SeverityOrOff } from '../analysis/types';
import { ScanInputError, type BinaryImage } from './image';
import { loadImage, readImageFile, type LoadOptions } from './load';
import { PARALLEL_MIN_BYTES, SweepWorkers, workerScriptPath } from './parallel';
import { formatReports } from '../cli/format';
import { fatalReport, toFileReport, type FileReport } from './report';
import { scanImage, type DisassemblySyntax, type ScanOptions } from './scanner';
import { parseSystemMap, SymbolIndex } from './symbols';
import type { Bitness } from './sweep';

/** The CLI's io (see server/src/cli/main.ts `CliIo`); only these members are used. */
export interface ScanIo {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown };
  cwd?: string;
  env?: Record<string, string | undefined>;
}

export const SCAN_FORMATS = ['stylish', 'json', 'sarif', 'github'] as const;
export type ScanFormat = (typeof SCAN_FORMATS)[number];

export interface ScanArgs {
  files: string[];
  format: ScanFormat;
  profile: ProfileId;
  rules?: string[];
  severities: Record<string, SeverityOrOff>;
  bits?: Bitness;
  base?: bigint;
  raw: boolean;
  map?: string;
  sections: string[];
  syntax: DisassemblySyntax;
  maxWarnings: number;
  maxSizeBytes: number;
  /** Threads for large sections, this one included; 1 = no workers. */
  jobs: number;
  help: boolean;
}

export const SCAN_USAGE = `Usage: virtlint scan [options] <file...>

Finds sensitive-but-unprivileged x86 instructions in compiled code: ELF32/ELF64 executables and
objects, PE32/PE32+ images, COFF objects, and raw images. Every executable section is decoded
with a linear sweep (iced-x86); each finding gives address, section and symbol+offset.

Options:
  --format <f>          stylish (default), json, sarif, github
  --profile <p>         deprivileged-kernel (default), hardware-assisted-guest, vm-detection-audit
  --rules <list>        rule ids or core, extended, all (comma-separated; repeatable); all adds INT3
  --severity <id=level> override a rule's severity (error, warning, info, hint, off); repeatable
  --bits 16|32|64       bitness of a raw image, or override the header's (e.g. --bits 64 for Xen)
  --base <address>      load address of a raw image (hex with 0x, or decimal); default 0
  --raw                 treat the file as raw code even if it has an ELF/PE header
  --map <System.map>    extra symbols for attribution (e.g. a stripped vmlinux)
  --section <name>      scan only this section (repeatable)
  --syntax <s>          disassembly shown in messages: intel (default), att, nasm, masm
  --max-warnings <n>    exit 1 when there are more than n warnings
  --max-size <MB>       refuse files larger than this (default 1024)
  --jobs <n>            threads for sections over 2 MB, this one included (default 1: a worker needs
                        ~100 ms to start, more than it saves on a 15 MB kernel .text; see BENCHMARKS.md)
  -h, --help            this text

Exit status: 0 no errors, 1 findings at error severity (or too many warnings), 2 bad usage or unreadable input.
In json output, each message has address, section and symbol; line and column are always 1.`;

class UsageError extends Error {}

export function parseScanArgs(argv: readonly string[]): ScanArgs {
  const args: ScanArgs = {
    files: [],
    format: 'stylish',
    profile: DEFAULT_PROFILE,
    severities: {},
    raw: false,
    sections: [],
    syntax: 'intel',
    maxWarnings: -1,
    maxSizeBytes: 1024 * 1024 * 1024,
    jobs: 1,
    help: false,
  };
  const rules: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (eq > 0) return arg.slice(eq + 1);
      const next = argv[++i];
      if (next === undefined) throw new UsageError(`${name} needs a value`);
      return next;
    };
    switch (name) {
      case '-h':
      case '--help':
        args.help = true;
        break;
      case '--format': {
        const f = value();
        if (!(SCAN_FORMATS as readonly string[]).includes(f)) throw new UsageError(`unknown format "${f}" (expected ${SCAN_FORMATS.join(', ')})`);
        args.format = f as ScanFormat;
        break;
      }
      case '--profile': {
        const p = value();
        if (!isProfileId(p)) throw new UsageError(`unknown profile "${p}"`);
        args.profile = p;
        break;
      }
      case '--rules':
        rules.push(...value().split(','));
        break;
      case '--severity': {
        const [id, level] = value().split('=');
        if (!id || !level || !isSeverityOrOff(level)) throw new UsageError('--severity wants id=level with level error, warning, info, hint or off');
        args.severities[id] = level;
        break;
      }
      case '--bits': {
        const b = Number(value());
        if (b !== 16 && b !== 32 && b !== 64) throw new UsageError('--bits must be 16, 32 or 64');
        args.bits = b;
        break;
      }
      case '--base':
        args.base = parseAddress(value());
        break;
      case '--raw':
        args.raw = true;
        break;
      case '--map':
        args.map = value();
        break;
      case '--section':
        args.sections.push(value());
        break;
      case '--syntax': {
        const s = value();
        if (s !== 'intel' && s !== 'att' && s !== 'nasm' && s !== 'masm') throw new UsageError('--syntax must be intel, att, nasm or masm');
        args.syntax = s;
        break;
      }
      case '--max-warnings': {
        const n = Number(value());
        if (!Number.isInteger(n)) throw new UsageError('--max-warnings wants an integer');
        args.maxWarnings = n;
        break;
      }
      case '--max-size': {
        const mb = Number(value());
        if (!(mb > 0)) throw new UsageError('--max-size wants a positive number of megabytes');
        args.maxSizeBytes = Math.floor(mb * 1024 * 1024);
        break;
      }
      case '--jobs': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError('--jobs wants an integer from 1 to 64');
        args.jobs = n;
        break;
      }
      default:
        if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option ${arg}`);
        args.files.push(arg);
    }
  }
  if (rules.length > 0) args.rules = rules.map((r) => r.trim()).filter((r) => r !== '');
  return args;
}

function parseAddress(text: string): bigint {
  const t = text.trim().toLowerCase();
  if (!/^(0x[0-9a-f]+|[0-9]+)$/.test(t)) throw new UsageError(`--base: "${text}" is not an address (use 0x... or decimal)`);
  const value = BigInt(t);
  if (value >= 1n << 64n) throw new UsageError('--base: address does not fit in 64 bits');
  return value;
}

export async function runScan(argv: string[], io: ScanIo): Promise<number> {
  let args: ScanArgs;
  try {
    args = parseScanArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`virtlint scan: ${e.message}\n${SCAN_USAGE}\n`);
    return 2;
  }
  if (args.help) {
    io.stdout.write(SCAN_USAGE + '\n');
    return 0;
  }
  if (args.files.length === 0) {
    io.stderr.write(`virtlint scan: no files given\n${SCAN_USAGE}\n`);
    return 2;
  }
  const unknown = unknownSelectionTokens(args.rules ?? []);
  if (unknown.length > 0) io.stderr.write(`virtlint scan: unknown rule id(s) ignored: ${unknown.join(', ')}\n`);
  const selection = resolveRuleSelection(args.rules, args.profile);
  const cwd = io.cwd ?? process.cwd();

  let extraSymbols: SymbolIndex | undefined;
  if (args.map !== undefined) {
    try {
      extraSymbols = new SymbolIndex(parseSystemMap(fs.readFileSync(path.resolve(cwd, args.map), 'utf8'), args.map));
    } catch (e) {
      io.stderr.write(`virtlint scan: cannot use map ${args.map}: ${errorText(e)}\n`);
      return 2;
    }
  }

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
  const large = args.files.some((file) => {
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
  io: ScanIo,
  cwd: string,
  selection: { enabled: Set<string>; includeInt3: boolean },
  extraSymbols: SymbolIndex | undefined,
  workers: SweepWorkers | undefined,
): Promise<number> {
  const reports: FileReport[] = [];
  let failed = false;
  for (const file of args.files) {
    const fullPath = path.resolve(cwd, file);
    let image: BinaryImage;
    try {
      image = loadImage(readLimited(fullPath, args.maxSizeBytes), loadOptions(args));
    } catch (e) {
      failed = true;
      reports.push(fatalReport(fullPath, errorText(e)));
      continue;
    }
    const options: ScanOptions = { profile: args.profile, enabled: selection.enabled, includeInt3: selection.includeInt3, severities: args.severities, syntax: args.syntax };
    if (extraSymbols) options.extraSymbols = extraSymbols;
    if (workers) options.workers = workers;
    const { findings } = await scanImage(image, options);
    reports.push(toFileReport(fullPath, image, findings));
  }

  let output: string;
  try {
    const color = io.stdout.isTTY === true && !(io.env ?? process.env).NO_COLOR;
    output = formatReports(reports, args.format, { cwd, color, profile: args.profile });
  } catch (e) {
    io.stderr.write(`virtlint scan: cannot format the report: ${errorText(e)}\n`);
    return 2;
  }
  if (output !== '') io.stdout.write(output.endsWith('\n') ? output : output + '\n');
  if (failed) return 2;
  const errors = reports.reduce((n, r) => n + r.errorCount - (r.fatalErrorCount ?? 0), 0);
  const warnings = reports.reduce((n, r) => n + r.warningCount, 0);
  if (errors > 0) return 1;
  if (args.maxWarnings >= 0 && warnings > args.maxWarnings) return 1;
  return 0;
}

function loadOptions(args: ScanArgs): LoadOptions {
  const options: LoadOptions = { raw: args.raw, sections: args.sections };
  if (args.bits !== undefined) options.bits = args.bits;
  if (args.base !== undefined) options.base = args.base;
  return options;
}

function readLimited(fullPath: string, maxBytes: number): Uint8Array {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(fullPath);
  } catch (e) {
    throw new ScanInputError(errorCodeText(e, 'cannot read the file'));
  }
  if (stat.isDirectory()) throw new ScanInputError('is a directory (scan takes binary files; lint source trees with `virtlint <dir>`)');
  if (!stat.isFile()) throw new ScanInputError('not a regular file');
  if (stat.size > maxBytes) throw new ScanInputError(`file is ${(stat.size / 1048576).toFixed(1)} MB, over the --max-size limit of ${(maxBytes / 1048576).toFixed(0)} MB`);
  if (stat.size === 0) throw new ScanInputError('empty file');
  return readImageFile(fullPath, stat.size);
}

function errorCodeText(e: unknown, fallback: string): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  return code ? `${fallback} (${code})` : fallback;
}

function errorText(e: unknown): string {
  if (e instanceof ScanInputError) return e.message;
  if (e instanceof Error) return (e as NodeJS.ErrnoException).code ? errorCodeText(e, e.message) : e.message;
  return String(e);
}
