// PE32/PE32+ executables and COFF object files (what `nasm -f win32/win64` writes) for x86.
// Executable sections are those marked IMAGE_SCN_MEM_EXECUTE or IMAGE_SCN_CNT_CODE. Symbols come
// from the export table and the COFF symbol table of an image (mingw keeps one unless stripped),
// or the COFF symbol table of an object.
import { parseEhFrame } from './ehframe';
import { isFunctionType, readCoffSymbols, STORAGE_EXTERNAL, STORAGE_LABEL, STORAGE_STATIC, type CoffSymbolTable } from './coffSymbols';
import { addressWidthFor, ByteReader, ScanInputError, wrapAddress, type AddressWidth, type BinaryImage, type CodeHint, type CodeSection, type DataSection, type ImageSymbol } from './image';
import type { Bitness } from './sweep';

const MACHINE_I386 = 0x14c;
const MACHINE_AMD64 = 0x8664;
const SCN_CNT_CODE = 0x20;
const SCN_MEM_EXECUTE = 0x20000000;
const SCN_UNINITIALIZED = 0x80;
const SCN_INITIALIZED_DATA = 0x40;

export function isPe(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x4d && bytes[1] === 0x5a;
}

/** A COFF object starts directly with the file header; recognise the two x86 machine values. */
export function isCoffObject(bytes: Uint8Array): boolean {
  if (bytes.length < 20) return false;
  const machine = bytes[0]! | (bytes[1]! << 8);
  const optionalSize = bytes[16]! | (bytes[17]! << 8);
  return (machine === MACHINE_I386 || machine === MACHINE_AMD64) && optionalSize === 0;
}

interface RawSection {
  name: string;
  virtualSize: number;
  rva: number;
  rawSize: number;
  rawOffset: number;
  flags: number;
}

function readSections(r: ByteReader, at: number, count: number, stringTable: number): RawSection[] {
  r.require(at, count * 40, `the section table (${count} entries)`);
  const out: RawSection[] = [];
  for (let i = 0; i < count; i++) {
    const s = at + i * 40;
    let name = r.cString(s, 8);
    // Object files store long names as "/123": an offset into the string table.
    if (name.startsWith('/') && stringTable > 0) {
      const offset = Number.parseInt(name.slice(1), 10);
      if (Number.isSafeInteger(offset)) name = r.cString(stringTable + offset, 256) || name;
    }
    out.push({ name, virtualSize: r.u32(s + 8), rva: r.u32(s + 12), rawSize: r.u32(s + 16), rawOffset: r.u32(s + 20), flags: r.u32(s + 36) });
  }
  return out;
}

function machineBits(machine: number): Bitness {
  if (machine === MACHINE_I386) return 32;
  if (machine === MACHINE_AMD64) return 64;
  throw new ScanInputError(`PE/COFF machine 0x${machine.toString(16)} is not x86 (expected 0x14c = i386 or 0x8664 = AMD64)`);
}

function codeSections(r: ByteReader, raw: RawSection[], imageBase: bigint, addressWidth: AddressWidth, bits: Bitness, isImage: boolean, notes: string[]): CodeSection[] {
  const out: CodeSection[] = [];
  for (const s of raw) {
    if ((s.flags & (SCN_MEM_EXECUTE | SCN_CNT_CODE)) === 0) continue;
    if (s.flags & SCN_UNINITIALIZED || s.rawSize === 0) {
      notes.push(`section ${s.name} is executable but has no bytes in the file; skipped`);
      continue;
    }
    // In an image the loaded size is VirtualSize (the raw data is padded to the file alignment).
    const size = isImage && s.virtualSize > 0 ? Math.min(s.virtualSize, s.rawSize) : s.rawSize;
    out.push({ name: s.name, address: wrapAddress(imageBase + BigInt(s.rva), addressWidth), fileOffset: s.rawOffset, bytes: r.slice(s.rawOffset, size, `section ${s.name}`), bits });
  }
  if (out.length === 0) notes.push('no executable sections');
  return out;
}

export function parsePe(bytes: Uint8Array): BinaryImage {
  const r = new ByteReader(bytes, 'PE file');
  const peOffset = r.u32(0x3c, 'e_lfanew');
  r.require(peOffset, 24, 'the PE header');
  if (r.u32(peOffset) !== 0x00004550) throw new ScanInputError('an MZ header without a PE signature (a DOS program?) is not supported');
  const coff = peOffset + 4;
  const machine = r.u16(coff);
  const bits = machineBits(machine);
  const sectionCount = r.u16(coff + 2);
  const optionalSize = r.u16(coff + 16);
  const opt = coff + 20;
  const magic = r.u16(opt, 'the optional header');
  if (magic !== 0x10b && magic !== 0x20b) throw new ScanInputError(`corrupt PE file: optional header magic 0x${magic.toString(16)} (expected 0x10b or 0x20b)`);
  const plus = magic === 0x20b;
  const addressWidth: AddressWidth = plus ? 64 : 32;
  const imageBase = plus ? r.u64(opt + 24) : BigInt(r.u32(opt + 28));
  const notes: string[] = [];
  const coffTable = readCoffSymbols(r, r.u32(coff + 8), r.u32(coff + 12), notes);
  const raw = readSections(r, opt + optionalSize, sectionCount, coffTable?.stringTable ?? 0);
  const sections = codeSections(r, raw, imageBase, addressWidth, bits, true, notes);
  const symbols = exportSymbols(r, raw, opt, plus, imageBase, addressWidth, notes);
  const hints: CodeHint[] = symbols.map((symbol) => ({ kind: 'export', address: symbol.address, size: 0 }));
  if (coffTable) addCoffSymbols(coffTable, raw, imageBase, addressWidth, symbols, hints);
  const entry = r.u32(opt + 16, 'AddressOfEntryPoint');
  if (entry !== 0) hints.push({ kind: 'entry', address: wrapAddress(imageBase + BigInt(entry), addressWidth), size: 0 });
  if (plus) for (const hint of runtimeFunctions(r, raw, opt, imageBase, addressWidth, notes)) hints.push(hint);
  for (const hint of ehFrameRanges(r, raw, imageBase, addressWidth, notes)) hints.push(hint);
  const data = dataSections(r, raw, imageBase, addressWidth);
  return { format: plus ? 'pe32+' : 'pe32', bits, addressWidth, sections, symbols, notes, hints, data };
}

/**
 * The image's own COFF symbols: each named symbol defined inside a section is kept for attribution
 * (where an export already names the address, the export's name wins), and each function symbol
 * in an executable section becomes a traversal root. Its size is unknown (GNU tools leave the
 * auxiliary record's total size 0), so it is a start address, like a sizeless ELF STT_FUNC. Untyped
 * symbols are not roots: mingw's __CTOR_LIST__ and labels on data inside .text are untyped too.
 */
function addCoffSymbols(table: CoffSymbolTable, raw: RawSection[], imageBase: bigint, addressWidth: AddressWidth, symbols: ImageSymbol[], hints: CodeHint[]): void {
  const exported = new Set(symbols.map((symbol) => symbol.address));
  for (const record of table.records) {
    const { storageClass } = record;
    if (storageClass !== STORAGE_EXTERNAL && storageClass !== STORAGE_STATIC && storageClass !== STORAGE_LABEL) continue;
    const section = raw[record.sectionNumber - 1];
    if (record.sectionNumber <= 0 || !section || record.name === '' || record.name.startsWith('.')) continue;
    // ld also files linker-defined markers (__data_start__, __bss_end__) under a section they lie outside of.
    if (record.value >= Math.max(section.virtualSize, section.rawSize)) continue;
    const address = wrapAddress(imageBase + BigInt(section.rva) + BigInt(record.value), addressWidth);
    if (!exported.has(address)) symbols.push({ name: record.name, address, size: 0 });
    const executable = (section.flags & (SCN_MEM_EXECUTE | SCN_CNT_CODE)) !== 0;
    if (executable && storageClass !== STORAGE_LABEL && isFunctionType(record.type)) hints.push({ kind: 'function', address, size: 0 });
  }
}

/**
 * FDE ranges of an .eh_frame section: mingw's 32-bit gcc unwinds with DWARF tables, and strip
 * keeps them. Without a string table the name is cut to eight characters.
 */
function ehFrameRanges(r: ByteReader, raw: RawSection[], imageBase: bigint, addressWidth: AddressWidth, notes: string[]): CodeHint[] {
  const out: CodeHint[] = [];
  for (const s of raw) {
    if ((s.name !== '.eh_frame' && s.name !== '.eh_fram') || s.rawSize === 0) continue;
    const size = s.virtualSize > 0 ? Math.min(s.virtualSize, s.rawSize) : s.rawSize;
    const address = wrapAddress(imageBase + BigInt(s.rva), addressWidth);
    for (const range of parseEhFrame(r.bytes, s.rawOffset, size, address, addressWidth === 64 ? 8 : 4, notes, true)) out.push({ kind: 'unwind', address: range.address, size: range.size });
  }
  return out;
}

/** An image's initialised data sections (.rdata, .data), at their load addresses. */
function dataSections(r: ByteReader, raw: RawSection[], imageBase: bigint, addressWidth: AddressWidth): DataSection[] {
  const data: DataSection[] = [];
  for (const s of raw) {
    if ((s.flags & SCN_INITIALIZED_DATA) === 0 || s.flags & (SCN_MEM_EXECUTE | SCN_CNT_CODE) || s.rawSize === 0) continue;
    if (s.rawOffset + s.rawSize > r.bytes.length) continue;
    const size = s.virtualSize > 0 ? Math.min(s.virtualSize, s.rawSize) : s.rawSize;
    data.push({ name: s.name, address: wrapAddress(imageBase + BigInt(s.rva), addressWidth), bytes: r.slice(s.rawOffset, size, `section ${s.name}`) });
  }
  return data;
}

const EXCEPTION_DIRECTORY = 3;
const MAX_RUNTIME_FUNCTIONS = 4_000_000;

/** The x64 exception directory (.pdata): RUNTIME_FUNCTION entries of begin RVA, end RVA, unwind info RVA. */
function runtimeFunctions(r: ByteReader, raw: RawSection[], opt: number, imageBase: bigint, addressWidth: AddressWidth, notes: string[]): CodeHint[] {
  const countField = opt + 108;
  if (countField + 4 > r.length || r.u32(countField) <= EXCEPTION_DIRECTORY) return [];
  const directory = countField + 4 + EXCEPTION_DIRECTORY * 8;
  if (directory + 8 > r.length) return [];
  const rva = r.u32(directory);
  const size = r.u32(directory + 4);
  if (rva === 0 || size === 0) return [];
  const at = rvaToOffset(raw, rva);
  if (at === undefined || at + size > r.length) {
    notes.push('the exception directory (.pdata) lies outside the file; unwind ranges skipped');
    return [];
  }
  const out: CodeHint[] = [];
  const count = Math.min(Math.floor(size / 12), MAX_RUNTIME_FUNCTIONS);
  for (let i = 0; i < count; i++) {
    const begin = r.u32(at + i * 12);
    const end = r.u32(at + i * 12 + 4);
    if (end > begin) out.push({ kind: 'unwind', address: wrapAddress(imageBase + BigInt(begin), addressWidth), size: end - begin });
  }
  return out;
}

function rvaToOffset(raw: RawSection[], rva: number): number | undefined {
  for (const s of raw) {
    const span = Math.max(s.virtualSize, s.rawSize);
    if (rva >= s.rva && rva < s.rva + span && rva - s.rva < s.rawSize) return s.rawOffset + (rva - s.rva);
  }
  return undefined;
}

function exportSymbols(r: ByteReader, raw: RawSection[], opt: number, plus: boolean, imageBase: bigint, addressWidth: AddressWidth, notes: string[]): ImageSymbol[] {
  const countField = opt + (plus ? 108 : 92);
  if (countField + 4 > r.length || r.u32(countField) < 1) return [];
  const exportRva = r.u32(countField + 4);
  if (exportRva === 0) return [];
  const dir = rvaToOffset(raw, exportRva);
  if (dir === undefined || dir + 40 > r.length) {
    notes.push('export table points outside the file; symbols skipped');
    return [];
  }
  const functionCount = r.u32(dir + 20);
  const nameCount = r.u32(dir + 24);
  const functions = rvaToOffset(raw, r.u32(dir + 28));
  const names = rvaToOffset(raw, r.u32(dir + 32));
  const ordinals = rvaToOffset(raw, r.u32(dir + 36));
  if (functions === undefined || names === undefined || ordinals === undefined) return [];
  const out: ImageSymbol[] = [];
  for (let i = 0; i < Math.min(nameCount, 1_000_000); i++) {
    if (names + i * 4 + 4 > r.length || ordinals + i * 2 + 2 > r.length) break;
    const ordinal = r.u16(ordinals + i * 2);
    if (ordinal >= functionCount || functions + ordinal * 4 + 4 > r.length) continue;
    const nameOffset = rvaToOffset(raw, r.u32(names + i * 4));
    if (nameOffset === undefined) continue;
    out.push({ name: r.cString(nameOffset, 512), address: wrapAddress(imageBase + BigInt(r.u32(functions + ordinal * 4)), addressWidth), size: 0 });
  }
  return out;
}

export function parseCoffObject(bytes: Uint8Array): BinaryImage {
  const r = new ByteReader(bytes, 'COFF object');
  const bits = machineBits(r.u16(0));
  const sectionCount = r.u16(2);
  const notes: string[] = [];
  const table = readCoffSymbols(r, r.u32(8), r.u32(12), notes);
  const raw = readSections(r, 20, sectionCount, table?.stringTable ?? 0);
  const addressWidth = addressWidthFor(bits);
  const sections = codeSections(r, raw, 0n, addressWidth, bits, false, notes);
  const symbols: ImageSymbol[] = [];
  for (const record of table?.records ?? []) {
    // Keep external and static symbols defined in a section; skip section-name statics with aux records.
    const keep = record.storageClass === STORAGE_EXTERNAL || (record.storageClass === STORAGE_STATIC && record.auxCount === 0);
    const section = record.sectionNumber > 0 ? raw[record.sectionNumber - 1] : undefined;
    if (keep && section && record.name !== '' && !record.name.startsWith('.')) symbols.push({ name: record.name, address: BigInt(record.value), size: 0, section: section.name });
  }
  // Object files have every section at address 0; symbols are only meaningful per section, which
  // `attributeSymbols` handles by preferring symbols inside the same section.
  return { format: 'coff', bits, addressWidth, sections, symbols, notes };
}
