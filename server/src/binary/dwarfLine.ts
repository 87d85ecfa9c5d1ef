// Address → source file and line from DWARF .debug_line (line-number programs of versions 2 to 5),
// the way addr2line answers: the row with the highest address at or below the asked one, unless
// its sequence ended before. A unit that cannot be read ends the parse with a note; rows read
// before it are kept.
import { ByteReader, ScanInputError, type DebugSections } from './image';
import { readLeb128 } from './leb128';

export interface SourceLine {
  file: string;
  line: number;
}

const DW_LNCT_PATH = 1;
const DW_LNCT_DIRECTORY_INDEX = 2;
const DW_FORM_STRING = 0x08;
const DW_FORM_LINE_STRP = 0x1f;
const DW_FORM_STRP = 0x0e;
const MAX_ROWS = 20_000_000;

/** Sorted rows of every sequence; a row with `line` 0 and `file` -1 marks a sequence end. */
export class LineTable {
  private readonly addresses: bigint[] = [];
  private readonly files: number[] = [];
  private readonly lines: number[] = [];
  private readonly names: string[] = [];
  private readonly nameIds = new Map<string, number>();

  get rowCount(): number {
    return this.addresses.length;
  }

  add(address: bigint, file: string | undefined, line: number): void {
    let id = -1;
    if (file !== undefined) {
      id = this.nameIds.get(file) ?? -1;
      if (id < 0) {
        id = this.names.length;
        this.names.push(file);
        this.nameIds.set(file, id);
      }
    }
    this.addresses.push(address);
    this.files.push(id);
    this.lines.push(line);
  }

  /** Sorts by address, keeping emission order for equal addresses, with sequence ends first. */
  finish(): void {
    const order: number[] = [];
    for (let i = 0; i < this.addresses.length; i++) order.push(i);
    order.sort((a, b) => {
      const x = this.addresses[a]!;
      const y = this.addresses[b]!;
      if (x !== y) return x < y ? -1 : 1;
      const endA = this.files[a] === -1 ? 0 : 1;
      const endB = this.files[b] === -1 ? 0 : 1;
      return endA - endB || a - b;
    });
    const addresses = order.map((i) => this.addresses[i]!);
    const files = order.map((i) => this.files[i]!);
    const lines = order.map((i) => this.lines[i]!);
    for (let i = 0; i < order.length; i++) {
      this.addresses[i] = addresses[i]!;
      this.files[i] = files[i]!;
      this.lines[i] = lines[i]!;
    }
  }

  lookup(address: bigint): SourceLine | undefined {
    let lo = 0;
    let hi = this.addresses.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.addresses[mid]! <= address) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return undefined;
    const file = this.files[found]!;
    if (file < 0) return undefined;
    return { file: this.names[file]!, line: this.lines[found]! };
  }
}

export function parseDebugLine(debug: DebugSections, notes: string[]): LineTable {
  const table = new LineTable();
  const r = new ByteReader(debug.line, '.debug_line');
  let at = 0;
  try {
    while (at + 4 <= debug.line.length && table.rowCount < MAX_ROWS) at = readUnit(r, at, debug, table);
  } catch (e) {
    if (!(e instanceof ScanInputError)) throw e;
    notes.push(`${e.message}; source lines after it are not known`);
  }
  table.finish();
  return table;
}

class Cursor {
  constructor(
    readonly r: ByteReader,
    public at: number,
  ) {}

  u8(): number {
    return this.r.u8(this.at++, 'a .debug_line field');
  }

  u16(): number {
    const v = this.r.u16(this.at);
    this.at += 2;
    return v;
  }

  u32(): number {
    const v = this.r.u32(this.at);
    this.at += 4;
    return v;
  }

  offset(is64: boolean): number {
    if (!is64) return this.u32();
    const v = this.r.u64AsNumber(this.at, 'a .debug_line offset');
    this.at += 8;
    return v;
  }

  address(size: number): bigint {
    const at = this.at;
    this.at += size;
    if (size === 8) return this.r.u64(at);
    if (size === 4) return BigInt(this.r.u32(at));
    if (size === 2) return BigInt(this.r.u16(at));
    throw new ScanInputError(`corrupt .debug_line: address size ${size}`);
  }

  uleb(): number {
    return readLeb128(() => this.u8(), false, '.debug_line');
  }

  sleb(): number {
    return readLeb128(() => this.u8(), true, '.debug_line');
  }

  string(): string {
    const s = this.r.cString(this.at, 4096);
    this.at += Buffer.byteLength(s, 'latin1') + 1;
    return s;
  }
}

interface UnitHeader {
  version: number;
  is64: boolean;
  addressSize: number;
  minInstructionLength: number;
  defaultIsStmt: boolean;
  lineBase: number;
  lineRange: number;
  opcodeBase: number;
  standardLengths: number[];
  /** File names by the index the program uses (index 0 unused before version 5). */
  files: (string | undefined)[];
}

/** Reads one unit starting at `at`; returns where the next one starts. */
function readUnit(r: ByteReader, at: number, debug: DebugSections, table: LineTable): number {
  const c = new Cursor(r, at);
  let length = c.u32();
  let is64 = false;
  if (length === 0xffffffff) {
    is64 = true;
    length = c.offset(true);
  }
  const end = c.at + length;
  if (end > r.length) throw new ScanInputError(`corrupt .debug_line: unit at 0x${at.toString(16)} runs past the section`);
  const header = readHeader(c, is64, debug);
  runProgram(c, end, header, table);
  return end;
}

function readHeader(c: Cursor, is64: boolean, debug: DebugSections): UnitHeader {
  const version = c.u16();
  if (version < 2 || version > 5) throw new ScanInputError(`.debug_line version ${version} is not supported (2 to 5 are)`);
  let addressSize = 0;
  if (version >= 5) {
    addressSize = c.u8();
    c.u8(); // segment selector size
  }
  const headerLength = c.offset(is64);
  const programStart = c.at + headerLength;
  const minInstructionLength = c.u8();
  if (version >= 4) c.u8(); // maximum operations per instruction (VLIW only)
  const defaultIsStmt = c.u8() !== 0;
  const lineBase = (c.u8() << 24) >> 24;
  const lineRange = c.u8();
  const opcodeBase = c.u8();
  if (lineRange === 0) throw new ScanInputError('corrupt .debug_line: line_range is 0');
  const standardLengths: number[] = [0];
  for (let i = 1; i < opcodeBase; i++) standardLengths.push(c.u8());
  const files = version >= 5 ? readV5Files(c, is64, debug) : readOldFiles(c);
  c.at = programStart;
  return { version, is64, addressSize, minInstructionLength, defaultIsStmt, lineBase, lineRange, opcodeBase, standardLengths, files };
}

function joinPath(directory: string | undefined, name: string): string {
  if (name.startsWith('/') || directory === undefined || directory === '') return name;
  return directory.endsWith('/') ? directory + name : `${directory}/${name}`;
}

function readOldFiles(c: Cursor): (string | undefined)[] {
  const directories: string[] = [''];
  for (let dir = c.string(); dir !== ''; dir = c.string()) directories.push(dir);
  const files: (string | undefined)[] = [undefined];
  for (let name = c.string(); name !== ''; name = c.string()) {
    const dirIndex = c.uleb();
    c.uleb(); // modification time
    c.uleb(); // length
    files.push(joinPath(directories[dirIndex], name));
  }
  return files;
}

interface EntryFormat {
  contentType: number;
  form: number;
}

function readV5Files(c: Cursor, is64: boolean, debug: DebugSections): (string | undefined)[] {
  const directories = readV5Entries(c, is64, debug).map((entry) => entry.path ?? '');
  return readV5Entries(c, is64, debug).map((entry) => (entry.path === undefined ? undefined : joinPath(directories[entry.directory], entry.path)));
}

function readV5Entries(c: Cursor, is64: boolean, debug: DebugSections): { path?: string; directory: number }[] {
  const formatCount = c.u8();
  const formats: EntryFormat[] = [];
  for (let i = 0; i < formatCount; i++) formats.push({ contentType: c.uleb(), form: c.uleb() });
  const count = c.uleb();
  const out: { path?: string; directory: number }[] = [];
  for (let i = 0; i < count; i++) {
    const entry: { path?: string; directory: number } = { directory: 0 };
    for (const format of formats) {
      const value = readForm(c, format.form, is64, debug);
      if (format.contentType === DW_LNCT_PATH && typeof value === 'string') entry.path = value;
      if (format.contentType === DW_LNCT_DIRECTORY_INDEX && typeof value === 'number') entry.directory = value;
    }
    out.push(entry);
  }
  return out;
}

/** A string for string forms, a number for the constants a directory index can use, undefined otherwise. */
function readForm(c: Cursor, form: number, is64: boolean, debug: DebugSections): string | number | undefined {
  switch (form) {
    case DW_FORM_STRING:
      return c.string();
    case DW_FORM_LINE_STRP:
      return stringAt(debug.lineStr, c.offset(is64));
    case DW_FORM_STRP:
      return stringAt(debug.str, c.offset(is64));
    case 0x0b: // data1
      return c.u8();
    case 0x05: // data2
      return c.u16();
    case 0x06: // data4
      return c.u32();
    case 0x07: // data8
      c.at += 8;
      return undefined;
    case 0x0f: // udata
      return c.uleb();
    case 0x1e: // data16 (MD5)
      c.at += 16;
      return undefined;
    case 0x09: // block
      c.at += c.uleb();
      return undefined;
    default:
      throw new ScanInputError(`.debug_line uses form 0x${form.toString(16)} in its file table, which is not supported`);
  }
}

function stringAt(section: Uint8Array | undefined, offset: number): string | undefined {
  if (section === undefined || offset >= section.length) return undefined;
  return new ByteReader(section, 'a DWARF string section').cString(offset, 4096);
}

function runProgram(c: Cursor, end: number, h: UnitHeader, table: LineTable): void {
  let address = 0n;
  let file = 1;
  let line = 1;
  const fileName = (): string | undefined => h.files[file];
  const advance = (operationAdvance: number): void => {
    address += BigInt(operationAdvance * h.minInstructionLength);
  };
  while (c.at < end) {
    const opcode = c.u8();
    if (opcode >= h.opcodeBase) {
      const adjusted = opcode - h.opcodeBase;
      advance(Math.floor(adjusted / h.lineRange));
      line += h.lineBase + (adjusted % h.lineRange);
      table.add(address, fileName() ?? '??', line);
      continue;
    }
    switch (opcode) {
      case 0: {
        const length = c.uleb();
        const next = c.at + length;
        if (length === 0 || next > end) throw new ScanInputError('corrupt .debug_line: extended opcode runs past its unit');
        const sub = c.u8();
        if (sub === 1) {
          table.add(address, undefined, 0);
          address = 0n;
          file = 1;
          line = 1;
        } else if (sub === 2) address = c.address(h.addressSize || length - 1);
        c.at = next;
        break;
      }
      case 1:
        table.add(address, fileName() ?? '??', line);
        break;
      case 2:
        advance(c.uleb());
        break;
      case 3:
        line += c.sleb();
        break;
      case 4:
        file = c.uleb();
        break;
      case 8:
        advance(Math.floor((255 - h.opcodeBase) / h.lineRange));
        break;
      case 9:
        address += BigInt(c.u16());
        break;
      default:
        for (let i = 0; i < (h.standardLengths[opcode] ?? 0); i++) c.uleb();
    }
  }
}
