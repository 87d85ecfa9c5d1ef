// Test-only helpers: assemble a source text with a real assembler and recover, for
// every 1-based source line, the bytes that line produced; then decode bytes with
// iced-x86. Used by the oracle test. A missing assembler is an error, never a skip.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as iced from 'iced-x86';
import { fasmRunner, runFasm } from './fasm';

export type Bits = 16 | 32 | 64;
export type Assembler = 'nasm' | 'gas' | 'fasm';

export interface AssembleOptions {
  /** Initial bitness. Directives inside the source may still switch it. */
  bits: Bits;
  /** Files written next to the source before assembling (name → text), e.g. a file it includes. */
  companions?: Readonly<Record<string, string>>;
}

/** 1-based source line → bytes emitted for that line (lines that emit nothing are absent). */
export type LineBytes = Map<number, Uint8Array>;

export interface DecodedInstruction {
  code: number;
  codeName: string;
  length: number;
}

export class AssemblerMissingError extends Error {}
export class AssemblyFailedError extends Error {}

const INSTALL_HINT: Record<Exclude<Assembler, 'fasm'>, string> = {
  nasm: 'apt-get install -y nasm',
  gas: 'apt-get install -y binutils',
};
const EXECUTABLE: Record<Assembler, string> = { nasm: 'nasm', gas: 'as', fasm: 'fasm' };
const VERSION_FLAG: Record<Exclude<Assembler, 'fasm'>, string[]> = { nasm: ['-v'], gas: ['--version'] };

const checked = new Set<Assembler>();

/** Throws AssemblerMissingError with an install hint when the assembler cannot be started. */
export function requireAssembler(assembler: Assembler): void {
  if (checked.has(assembler)) return;
  if (assembler === 'fasm') {
    try {
      fasmRunner();
    } catch (error) {
      throw new AssemblerMissingError(`fasm is required by this test but could not be run: ${(error as Error).message}`);
    }
    checked.add(assembler);
    return;
  }
  const probe = spawnSync(EXECUTABLE[assembler], VERSION_FLAG[assembler], { encoding: 'utf8' });
  if (probe.error) {
    throw new AssemblerMissingError(
      `${EXECUTABLE[assembler]} (${assembler}) is required by this test but could not be run: ${probe.error.message}. Install it: ${INSTALL_HINT[assembler]}`,
    );
  }
  checked.add(assembler);
}

/** Per-line bytes plus the assembler's whole output, so callers can check the attribution adds up. */
export interface Assembly {
  lines: LineBytes;
  /** NASM/FASM: the flat binary. GNU as: the `.text` section of the object (before linking). */
  image: Uint8Array;
}

export function assemble(assembler: Assembler, source: string, options: AssembleOptions): LineBytes {
  return assembleDetailed(assembler, source, options).lines;
}

export function assembleDetailed(assembler: Assembler, source: string, options: AssembleOptions): Assembly {
  switch (assembler) {
    case 'nasm':
      return assembleNasm(source, options);
    case 'gas':
      return assembleGas(source, options);
    case 'fasm':
      return assembleFasm(source, options);
  }
}

/** All line bytes in line order. */
export function concatLines(lines: LineBytes): Buffer {
  return Buffer.concat([...lines].sort((a, b) => a[0] - b[0]).map(([, bytes]) => bytes));
}

function withTempDir<T>(work: (dir: string) => T, companions: Readonly<Record<string, string>> = {}): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtlint-asm-'));
  try {
    for (const [name, text] of Object.entries(companions)) fs.writeFileSync(path.join(dir, name), text);
    return work(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function run(assembler: Assembler, args: string[], cwd: string): string {
  requireAssembler(assembler);
  const result = assembler === 'fasm' ? runFasm(args, cwd) : spawnSync(EXECUTABLE[assembler], args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (result.error) throw new AssemblyFailedError(`${EXECUTABLE[assembler]} failed to run: ${result.error.message}`);
  if (result.status !== 0) {
    throw new AssemblyFailedError(
      `${EXECUTABLE[assembler]} ${args.join(' ')} exited with ${String(result.status)}:\n${result.stderr}${result.stdout}`,
    );
  }
  return result.stdout;
}

function appendBytes(into: LineBytes, line: number, hex: string): void {
  if (hex.length === 0) return;
  if (hex.length % 2 !== 0) throw new Error(`odd hex byte run "${hex}" for line ${line}`);
  const fresh = Buffer.from(hex, 'hex');
  const previous = into.get(line);
  into.set(line, previous ? Buffer.concat([previous, fresh]) : fresh);
}

// ---------------------------------------------------------------- NASM

/**
 * `nasm -f bin -l FILE`. A listing line is `%6d %08X <hex up to 18 chars>[-] [<N>]source`.
 * A trailing `-` after the hex means the bytes continue on the next listing line (same line
 * number). Lines from a macro expansion carry `<N>` and the *macro definition's* line
 * number, so their bytes belong to the last top-level line seen (the invocation).
 */
export function assembleNasm(source: string, options: AssembleOptions): Assembly {
  return withTempDir((dir) => {
    fs.writeFileSync(path.join(dir, 'src.asm'), source);
    run('nasm', ['-f', 'bin', '--before', `bits ${options.bits}`, '-l', 'src.lst', '-o', 'src.bin', 'src.asm'], dir);
    return {
      lines: parseNasmListing(fs.readFileSync(path.join(dir, 'src.lst'), 'utf8')),
      image: fs.readFileSync(path.join(dir, 'src.bin')),
    };
  }, options.companions);
}

// Relocated values appear as `[0000]` (absolute) or `(FFEE)` (relative); the digits inside
// have the right length, which is all the decoder needs. `????` is reserved (zeroed) space
// and `<rep 3h>` repeats the bytes (`times`).
const NASM_LISTING_LINE = /^\s*(\d+) (?:[0-9A-F]{8}|\s{8}) ((?:[0-9A-F]{2}|\?\?|[[\]()])*)(?:<rep ([0-9A-F]+)h>)?(-?)\s*(<\d+>)?/;

export function parseNasmListing(listing: string): LineBytes {
  const result: LineBytes = new Map();
  let currentTopLevel = 0;
  let continuing = false;
  for (const raw of listing.split(/\r?\n/)) {
    const match = NASM_LISTING_LINE.exec(raw);
    if (!match) continue;
    const lineNo = Number(match[1]);
    const once = (match[2] ?? '').replace(/[[\]()]/g, '').replace(/\?\?/g, '00');
    const hex = once.repeat(match[3] === undefined ? 1 : parseInt(match[3], 16));
    const fromMacro = match[5] !== undefined;
    if (!fromMacro && !continuing) currentTopLevel = lineNo;
    appendBytes(result, currentTopLevel, hex);
    continuing = match[4] === '-';
  }
  return result;
}

// ---------------------------------------------------------------- GNU as

/**
 * `as --32|--64 -aln=FILE` (plain .s input, so no preprocessor). A listing line is
 * `%4d %04x <hex>  \tsource`; long byte runs wrap onto extra lines that repeat the line
 * number and leave the address blank. For 16-bit, `.code16;` is put in front of line 1
 * (same line, so numbering is unchanged).
 */
export function assembleGas(source: string, options: AssembleOptions): Assembly {
  // `as` reads `#include`/`#define` as comments, so a .S file would assemble "fine" but wrong.
  const cppLine = /^\s*#(?:include|define|undef|ifdef|ifndef|if|elif|else|endif)\b.*$/m.exec(source);
  if (cppLine) {
    throw new AssemblyFailedError(`this source needs the C preprocessor (a .S file): "${cppLine[0].trim()}"; the helper takes plain .s input only`);
  }
  return withTempDir((dir) => {
    const text = options.bits === 16 ? `.code16;${source}` : source;
    fs.writeFileSync(path.join(dir, 'src.s'), text);
    const mode = options.bits === 64 ? '--64' : '--32';
    run('gas', [mode, '--listing-cont-lines=100000', '-aln=src.lst', '-o', 'src.o', 'src.s'], dir);
    const objcopy = spawnSync('objcopy', ['-O', 'binary', '-j', '.text', 'src.o', 'text.bin'], { cwd: dir, encoding: 'utf8' });
    if (objcopy.error || objcopy.status !== 0) {
      throw new AssemblyFailedError(`objcopy (binutils) failed: ${objcopy.error?.message ?? objcopy.stderr}`);
    }
    return {
      lines: parseGasListing(fs.readFileSync(path.join(dir, 'src.lst'), 'utf8')),
      image: fs.readFileSync(path.join(dir, 'text.bin')),
    };
  }, options.companions);
}

const GAS_LISTING_LINE = /^\s*(\d+) (?:[0-9a-f]{4,8}| {4}) ((?:[0-9A-F]{2})*)(?:\s|$)/;

export function parseGasListing(listing: string): LineBytes {
  const result: LineBytes = new Map();
  for (const raw of listing.split(/\r?\n/)) {
    const match = GAS_LISTING_LINE.exec(raw);
    if (!match) continue;
    appendBytes(result, Number(match[1]), match[2] ?? '');
  }
  return result;
}

// ---------------------------------------------------------------- FASM

/**
 * fasm 1.73 writes no listing. After every source line (and before the first) we insert a
 * marker macro call that `display`s `$%` (the current offset in the output file) in the
 * final pass; a line's bytes are the output between its surrounding markers. No marker is
 * inserted after a line that continues (`\`) or inside a `{ }` block (macro bodies), so a
 * macro invocation's bytes land on the invocation line and a continued statement's bytes
 * on its first line.
 */
export function assembleFasm(source: string, options: AssembleOptions): Assembly {
  return withTempDir((dir) => {
    const lines = source.split(/\r?\n/);
    // `$%` (file offset) exists only in flat binary output. For `format PE`/`ELF`/`MZ`... the
    // output-format lines are turned into comments: the instructions encode the same.
    const flatOnly = /^\s*format\s+(?!binary\b)/im.test(source);
    const out: string[] = [FASM_MARKER_MACRO, `use${options.bits}`, 'vl__mark 0'];
    let braceDepth = 0;
    // A statement continued with `\` (or a `{ }` block) is attributed to its first line,
    // like the other assemblers' listings do.
    let statementStart: number | undefined;
    lines.forEach((line, index) => {
      out.push(flatOnly && FASM_FORMAT_LINE.test(line) ? `; ${line}` : line);
      statementStart ??= index + 1;
      braceDepth += braceDelta(line);
      if (braceDepth === 0 && !/\\\s*(;.*)?$/.test(line)) {
        out.push(`vl__mark ${statementStart}`);
        statementStart = undefined;
      }
    });
    fs.writeFileSync(path.join(dir, 'src.asm'), out.join('\n') + '\n');
    const stdout = run('fasm', ['src.asm', 'src.bin'], dir);
    const binary = fs.readFileSync(path.join(dir, 'src.bin'));
    return { lines: bytesBetweenMarkers(stdout, binary), image: binary };
  }, options.companions);
}

const FASM_FORMAT_LINE = /^\s*(?:format|entry|section|segment|stack|heap)\b/i;

const FASM_MARKER_MACRO = `macro vl__mark n {
  local offset
  offset = $%
  display '@vl@ ', \`n, ' '
  repeat 8
    vl__digit = (offset shr ((8-%)*4)) and 0Fh
    if vl__digit < 10
      display '0'+vl__digit
    else
      display 'A'+vl__digit-10
    end if
  end repeat
  display 10
}`;

function braceDelta(line: string): number {
  let delta = 0;
  let quote: string | undefined;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === ';') break;
    else if (ch === '{') delta++;
    else if (ch === '}') delta--;
  }
  return delta;
}

function bytesBetweenMarkers(stdout: string, binary: Buffer): LineBytes {
  const marks: { line: number; offset: number }[] = [];
  for (const m of stdout.matchAll(/^@vl@ (\d+) ([0-9A-F]{8})\s*$/gm)) marks.push({ line: Number(m[1]), offset: parseInt(m[2]!, 16) });
  if (marks.length === 0) throw new AssemblyFailedError(`fasm printed no line markers:\n${stdout}`);
  const result: LineBytes = new Map();
  for (let i = 1; i < marks.length; i++) {
    const start = marks[i - 1]!.offset;
    const end = marks[i]!.offset;
    // Offsets can only grow in a flat binary; a drop means an `org`/section trick we can't attribute.
    if (end < start) throw new AssemblyFailedError(`fasm output offset went backwards at line ${marks[i]!.line}`);
    if (end > start) result.set(marks[i]!.line, binary.subarray(start, end));
  }
  return result;
}

// ---------------------------------------------------------------- decoding

const CODE_NAMES: string[] = [];
for (const [name, value] of Object.entries(iced.Code)) if (typeof value === 'number') CODE_NAMES[value] = name;

/** Decodes every instruction in `bytes` at `bits`. Undecodable bytes come back as INVALID (code 0). */
export function decodeAll(bytes: Uint8Array, bits: Bits): DecodedInstruction[] {
  const decoder = new iced.Decoder(bits, bytes, iced.DecoderOptions.None);
  const decoded: DecodedInstruction[] = [];
  try {
    while (decoder.canDecode) {
      const instruction = decoder.decode();
      try {
        decoded.push({ code: instruction.code, codeName: CODE_NAMES[instruction.code] ?? `Code#${instruction.code}`, length: instruction.length });
      } finally {
        instruction.free();
      }
    }
  } finally {
    decoder.free();
  }
  return decoded;
}

// ---------------------------------------------------------------- data lines

/**
 * Lines whose bytes are data, not instructions: an optional label (`name:` or a bare
 * NASM/FASM data label), then a data/reserve/alignment directive as the first word.
 * Tests exclude these lines on the decoder side (decoding `db 0x9c` would invent a PUSHF);
 * virtlint's side is never filtered, so a finding on such a line is still a mismatch.
 */
const DATA_DIRECTIVE =
  /^\s*(?:[A-Za-z_.$@?][\w.$@?]*:?\s+)?(?:d[bwdqtoyz]|du|r[bwdqt]|res[bwdqtoyz]|times|align|\.(?:byte|short|word|hword|int|long|quad|octa|ascii|asciz|string|fill|space|skip|zero|value|align|p2align|balign|float|double))\b/i;

/** `times N` repeats whatever follows it: data (`times 4 db 0`) or an instruction (`times 2 push es`). */
const TIMES_PREFIX = /^\s*(?:[A-Za-z_.$@?][\w.$@?]*:?\s+)?times\s+\S+\s+/i;

export function isDataLine(source: string): boolean {
  const times = TIMES_PREFIX.exec(source);
  if (times) return isDataLine(source.slice(times[0].length)) || !/^[A-Za-z]/.test(source.slice(times[0].length));
  return DATA_DIRECTIVE.test(source);
}
