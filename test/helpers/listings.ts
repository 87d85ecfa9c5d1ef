// Test-only readers of what the real tools say about where each output byte came from:
// NASM's listing (`-l`), DWARF line tables (`objdump --dwarf=decodedline`), GNU as listings
// (`-alm`) and fasm's symbolic file (`-s file.fas`, laid out as fasm's FAS.TXT documents).
// They only parse; projectOracle.ts runs the tools and puts the pieces together.
import * as path from 'node:path';

export type Bits = 16 | 32 | 64;

/** A line in a file: absolute path, 1-based line. */
export interface SourcePos {
  file: string;
  line: number;
}

// ---------------------------------------------------------------- NASM listing

export interface NasmListingRow {
  /** Line number in the file (or macro definition) the row comes from. */
  line: number;
  /** Offset in the current section, for rows that emit bytes. */
  address?: number;
  /** Number of bytes the row emits (continuation rows folded in). */
  length: number;
  /** Include / macro nesting level: the `<N>` mark, 0 when absent. */
  level: number;
  /** The source text as listed (macro bodies unexpanded, `%1` stays `%1`). */
  text: string;
}

// `%6d %08X <hex>[-] <N> text`: hex may hold `[..]`/`(..)` around relocated fields and `??`
// for reserved bytes; `<rep Nh>` repeats (times); a trailing `-` continues on the next row.
const NASM_ROW = /^\s*(\d+) ([0-9A-F]{8}|\s{8}) ((?:[0-9A-F]{2}|\?\?|[[\]()])*)(?:<rep ([0-9A-F]+)h>)?(-?)\s*(?:<(\d+)>)?(.*)$/;

export function parseNasmListingRows(listing: string): NasmListingRow[] {
  const rows: NasmListingRow[] = [];
  let continuing: NasmListingRow | undefined;
  for (const raw of listing.split(/\r?\n/)) {
    const match = NASM_ROW.exec(raw);
    if (!match) continue;
    const hex = (match[3] ?? '').replace(/[[\]()]/g, '');
    const repeat = match[4] === undefined ? 1 : parseInt(match[4], 16);
    const length = (hex.length / 2) * repeat;
    if (continuing) {
      continuing.length += length;
    } else {
      const address = match[2]!.trim() === '' ? undefined : parseInt(match[2]!, 16);
      const row: NasmListingRow = { line: Number(match[1]), length, level: match[6] === undefined ? 0 : Number(match[6]), text: match[7] ?? '' };
      if (address !== undefined) row.address = address;
      rows.push(row);
    }
    continuing = match[5] === '-' ? (continuing ?? rows[rows.length - 1]) : undefined;
  }
  return rows;
}

/** One row that emitted bytes, with the place the user wrote it and how it got there. */
export interface AttributedRow {
  row: NasmListingRow;
  /** The line the user wrote: the row itself, or the outermost macro invocation. */
  at: SourcePos;
  /** Names of the macros on the way from `at` to the row, outermost first (empty outside macros). */
  macros: string[];
  /** Mode in force (the last `bits`/`use16`/`use32` row before it). */
  bits: Bits;
}

interface NasmFrame {
  /** The file whose lines the frame lists (for a macro frame: unknown here, DWARF says). */
  file?: string;
  /** Set for frames inside a macro expansion: the outermost invocation and the macro chain. */
  invocation?: { at: SourcePos; macros: string[] };
}

const INCLUDE_ROW = /^\s*%include\s+["<]([^">]+)[">]/i;
const ENDREP_ROW = /^\s*%endrep\b/i;
const BITS_ROW = /^\s*\[?\s*(?:bits\s+(16|32|64)|use(16|32))\s*\]?\s*(?:;.*)?$/i;

/**
 * Rebuilds which file or macro each listing row belongs to. NASM marks include levels and
 * macro levels with the same `<N>`; a deeper level is an include when the row that opened it
 * is a `%include`, a `%rep` block when it is the `%endrep` (its rows are the block's own lines,
 * in the same file or macro), and a macro expansion otherwise.
 */
export function attributeNasmRows(
  rows: readonly NasmListingRow[],
  root: string,
  startBits: Bits,
  resolveInclude: (spec: string, from: string) => string,
): AttributedRow[] {
  const frames: NasmFrame[] = [{ file: root }];
  const lastRowAt: NasmListingRow[] = [];
  let previousLevel = 0;
  let bits = startBits;
  const attributed: AttributedRow[] = [];
  for (const row of rows) {
    if (row.level > previousLevel) {
      if (row.level !== previousLevel + 1) throw new Error(`listing jumps from level ${previousLevel} to ${row.level} at "${row.text}"`);
      frames[row.level] = openFrame(frames[previousLevel]!, lastRowAt[previousLevel]!, resolveInclude);
    }
    frames.length = row.level + 1;
    lastRowAt[row.level] = row;
    previousLevel = row.level;
    const mode = BITS_ROW.exec(row.text);
    if (mode) bits = Number(mode[1] ?? mode[2]) as Bits;
    if (row.address === undefined || row.length === 0) continue;
    const frame = frames[row.level]!;
    if (frame.invocation) attributed.push({ row, at: frame.invocation.at, macros: frame.invocation.macros, bits });
    else attributed.push({ row, at: { file: frame.file!, line: row.line }, macros: [], bits });
  }
  return attributed;
}

function openFrame(parent: NasmFrame, opener: NasmListingRow, resolveInclude: (spec: string, from: string) => string): NasmFrame {
  const include = INCLUDE_ROW.exec(opener.text);
  if (include && !parent.invocation) return { file: resolveInclude(include[1]!, parent.file!) };
  if (include) throw new Error(`%include inside a macro expansion is not supported by this oracle: "${opener.text}"`);
  if (ENDREP_ROW.test(opener.text)) return { ...parent };
  const name = macroNameOf(opener.text);
  if (parent.invocation) return { invocation: { at: parent.invocation.at, macros: [...parent.invocation.macros, name] } };
  return { invocation: { at: { file: parent.file!, line: opener.line }, macros: [name] } };
}

/** The first word of a statement, after an optional `label:`. */
export function macroNameOf(text: string): string {
  const match = /^\s*(?:[A-Za-z_.$?@][\w.$?@#~]*:\s*)?([A-Za-z_.$?@][\w.$?@#~]*)/.exec(text);
  if (!match) throw new Error(`no macro name in "${text}"`);
  return match[1]!;
}

// ---------------------------------------------------------------- DWARF line table

export interface LineTableRow {
  address: number;
  /** Absolute path. */
  file: string;
  line: number;
  /** Exclusive end: the next row's address, or the end of its sequence. */
  end: number;
}

/**
 * `objdump --dwarf=decodedline` output. A header line names the file of the rows after it
 * (`CU: boot.asm:`, `./lib/x.inc:[++]`, `/abs/entry.S:`); each row is
 * `name  line  address  [view]  [x]`, and a row whose line is `-` ends a sequence.
 */
export function parseDecodedLines(text: string, cwd: string): LineTableRow[] {
  const rows: LineTableRow[] = [];
  let current: string | undefined;
  let open: LineTableRow | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trimEnd();
    const header = /^(?:CU: )?(\S.*?):(?:\[\+\+\])?$/.exec(line);
    if (header && !/\s{2,}/.test(line)) {
      current = path.resolve(cwd, header[1]!);
      continue;
    }
    const row = /^(\S+)\s+(\d+|-)\s+(0x[0-9a-f]+|\d+)(?:\s+\d+)?(?:\s+x)?$/.exec(line);
    if (!row) continue;
    const address = Number(row[3]);
    if (open) open.end = address;
    open = undefined;
    if (row[2] === '-') continue;
    if (!current) throw new Error(`line table row before any file header: "${line}"`);
    if (path.basename(current) !== path.basename(row[1]!)) throw new Error(`line table row "${line}" does not match its header ${current}`);
    open = { address, file: current, line: Number(row[2]), end: Number.NaN };
    rows.push(open);
  }
  if (rows.some((r) => Number.isNaN(r.end))) throw new Error('a line table sequence has no end row');
  return rows;
}

/** The line table row covering `address`. */
export function rowAt(rows: readonly LineTableRow[], address: number): LineTableRow | undefined {
  return rows.find((r) => r.address <= address && address < r.end);
}

// ---------------------------------------------------------------- GNU as listing

/** Mode at each address that starts a listed row with bytes, following `.codeNN` in listing order. */
export function gasModesByAddress(listing: string, startBits: Bits): Map<number, Bits> {
  const modes = new Map<number, Bits>();
  let bits = startBits;
  for (const raw of listing.split(/\r?\n/)) {
    const row = /^\s*\d+ ([0-9a-f]{4,8}) ([0-9A-F]+)\s/.exec(raw);
    const text = raw.replace(/^\s*\d+ (?:[0-9a-f]{4,8} [0-9A-F]*)?\s*/, '');
    if (row && !modes.has(parseInt(row[1]!, 16))) modes.set(parseInt(row[1]!, 16), bits);
    const directive = /(?:^|[\s;>])\.code(16|32|64)(?:gcc)?\b/.exec(text);
    if (directive) bits = Number(directive[1]) as Bits;
  }
  return modes;
}

// ---------------------------------------------------------------- fasm symbolic file

export interface FasLine {
  /** Offset of the line in the preprocessed source. */
  offset: number;
  fromMacro: boolean;
  /** For a source line: its file (absolute) and 1-based number. */
  file?: string;
  line: number;
  /** For a macro line: the macro's name, the invoking line, the definition line it came from. */
  macroName?: string;
  invokedBy?: number;
  definedBy?: number;
}

export interface FasRow {
  outputOffset: number;
  lineOffset: number;
  bits: Bits;
  /** Inside `virtual`, or not put in the output: its offset means nothing. */
  outsideOutput: boolean;
}

export interface FasFile {
  lines: Map<number, FasLine>;
  rows: FasRow[];
  /** Offset in the output file where assembly ended. */
  end: number;
}

/** Reads a `.fas` file (FAS.TXT tables 1, 3 and 4). `baseDir` resolves relative file names. */
export function parseFas(data: Buffer, baseDir: string): FasFile {
  if (data.readUInt32LE(0) !== 0x1a736166) throw new Error('not a fasm symbolic file (bad signature)');
  const stringsAt = data.readUInt32LE(16);
  const mainName = cString(data, stringsAt + data.readUInt32LE(8));
  const sourceAt = data.readUInt32LE(32);
  const sourceLength = data.readUInt32LE(36);
  const dumpAt = data.readUInt32LE(40);
  const dumpLength = data.readUInt32LE(44);
  const lines = new Map<number, FasLine>();
  for (let offset = 0; offset < sourceLength; ) {
    const at = sourceAt + offset;
    const first = data.readUInt32LE(at);
    const numberField = data.readUInt32LE(at + 4);
    const fromMacro = (numberField & 0x80000000) !== 0;
    const entry: FasLine = { offset, fromMacro, line: numberField & 0x7fffffff };
    if (fromMacro) {
      entry.macroName = pascalString(data, sourceAt + first);
      entry.invokedBy = data.readUInt32LE(at + 8);
      entry.definedBy = data.readUInt32LE(at + 12);
    } else {
      entry.file = path.resolve(baseDir, first === 0 ? mainName : cString(data, sourceAt + first));
    }
    lines.set(offset, entry);
    offset += 16 + tokenizedLength(data, at + 16);
  }
  const rows: FasRow[] = [];
  const rowCount = Math.floor(dumpLength / 28);
  for (let i = 0; i < rowCount; i++) {
    const at = dumpAt + i * 28;
    const flags = data.readUInt8(at + 26);
    rows.push({ outputOffset: data.readUInt32LE(at), lineOffset: data.readUInt32LE(at + 4), bits: data.readUInt8(at + 25) as Bits, outsideOutput: (flags & 3) !== 0 });
  }
  return { lines, rows, end: data.readUInt32LE(dumpAt + rowCount * 28) };
}

/** Length of a tokenized line up to and including its terminating zero. */
function tokenizedLength(data: Buffer, start: number): number {
  let at = start;
  for (;;) {
    const token = data.readUInt8(at);
    if (token === 0) return at + 1 - start;
    if (token === 0x1a || token === 0x3b) at += 2 + data.readUInt8(at + 1);
    else if (token === 0x22) at += 5 + data.readUInt32LE(at + 1);
    else at += 1;
  }
}

function cString(data: Buffer, at: number): string {
  const end = data.indexOf(0, at);
  return data.toString('utf8', at, end < 0 ? data.length : end);
}

function pascalString(data: Buffer, at: number): string {
  return data.toString('utf8', at + 1, at + 1 + data.readUInt8(at));
}

/** The line the user wrote for a preprocessed line: follow macro lines to their invocation. */
export function fasUserLine(fas: FasFile, offset: number): { at: SourcePos; macros: string[]; body?: SourcePos } {
  const macros: string[] = [];
  let body: SourcePos | undefined;
  let current = fas.lines.get(offset);
  for (let guard = 0; current?.fromMacro; guard++) {
    if (guard > 1000) throw new Error('fas macro chain does not end');
    const definition = fas.lines.get(current.definedBy!);
    // An instantaneous block (rept, irp) points at its own body line: that line is where the user wrote it.
    if (current.invokedBy === current.definedBy) {
      current = definition;
      continue;
    }
    if (!body && definition && !definition.fromMacro) body = { file: definition.file!, line: definition.line };
    macros.unshift(current.macroName!);
    current = fas.lines.get(current.invokedBy!);
  }
  if (!current) throw new Error(`fas: no source line for preprocessed offset ${offset}`);
  const result: { at: SourcePos; macros: string[]; body?: SourcePos } = { at: { file: current.file!, line: current.line }, macros };
  if (body) result.body = body;
  return result;
}
