// ELF32/ELF64 little-endian x86 files: executable sections (SHF_EXECINSTR) and the symbols of
// .symtab and .dynsym. Without section headers, executable PT_LOAD segments are used instead.
import { parseEhFrame } from './ehframe';
import { ehFrameHdrRanges, type FileSegment } from './ehFrameHdr';
import { ByteReader, ScanInputError, type BinaryImage, type CodeHint, type CodeSection, type DataSection, type DebugSections, type ImageSymbol } from './image';
import type { Bitness } from './sweep';

const EM_386 = 3;
const EM_X86_64 = 62;
const SHT_SYMTAB = 2;
const SHT_NOBITS = 8;
const SHT_DYNSYM = 11;
const SHF_EXECINSTR = 0x4;
const SHF_ALLOC = 0x2;
const PT_LOAD = 1;
const PT_GNU_EH_FRAME = 0x6474e550;
const PF_X = 0x1;
const STT_SECTION = 3;
const STT_FILE = 4;
const STT_FUNC = 2;
const STT_GNU_IFUNC = 10;
const ET_REL = 1;
const SHF_COMPRESSED = 0x800n;

export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

interface SectionHeader {
  index: number;
  name: string;
  type: number;
  flags: bigint;
  address: bigint;
  offset: number;
  size: number;
  link: number;
  entrySize: number;
}

export function parseElf(bytes: Uint8Array): BinaryImage {
  const r = new ByteReader(bytes, 'ELF file');
  r.require(0, 52, 'the ELF header');
  const elfClass = r.u8(4);
  if (elfClass !== 1 && elfClass !== 2) throw new ScanInputError(`not a valid ELF file: unknown class ${elfClass} (expected 1 = 32-bit or 2 = 64-bit)`);
  const is64 = elfClass === 2;
  if (r.u8(5) !== 1) throw new ScanInputError('big-endian ELF files are not x86 code; only little-endian ELF is supported');
  const machine = r.u16(18);
  if (machine !== EM_386 && machine !== EM_X86_64) throw new ScanInputError(`ELF machine ${machine} is not x86 (expected 3 = i386 or 62 = x86-64)`);
  const bits: Bitness = machine === EM_X86_64 ? 64 : 32;
  const format = is64 ? 'elf64' : 'elf32';
  const notes: string[] = [];

  const shoff = is64 ? r.u64AsNumber(0x28, 'e_shoff') : r.u32(0x20);
  const shentsize = r.u16(is64 ? 0x3a : 0x2e);
  let shnum = r.u16(is64 ? 0x3c : 0x30);
  let shstrndx = r.u16(is64 ? 0x3e : 0x32);
  const headers: SectionHeader[] = [];
  if (shoff !== 0) {
    const minEntry = is64 ? 64 : 40;
    if (shentsize < minEntry) throw new ScanInputError(`corrupt ELF file: section header size ${shentsize} is smaller than ${minEntry}`);
    if (shnum === 0) shnum = is64 ? r.u64AsNumber(shoff + 0x20, 'extended section count') : r.u32(shoff + 0x14);
    if (shstrndx === 0xffff) shstrndx = r.u32(shoff + (is64 ? 0x28 : 0x18));
    r.require(shoff, shnum * shentsize, `the section header table (${shnum} entries)`);
    for (let i = 0; i < shnum; i++) {
      const at = shoff + i * shentsize;
      headers.push({
        index: i,
        name: '',
        type: r.u32(at + 4),
        flags: is64 ? r.u64(at + 8) : BigInt(r.u32(at + 8)),
        address: is64 ? r.u64(at + 0x10) : BigInt(r.u32(at + 0x0c)),
        offset: is64 ? r.u64AsNumber(at + 0x18, 'sh_offset') : r.u32(at + 0x10),
        size: is64 ? r.u64AsNumber(at + 0x20, 'sh_size') : r.u32(at + 0x14),
        link: r.u32(at + (is64 ? 0x28 : 0x18)),
        entrySize: is64 ? r.u64AsNumber(at + 0x38, 'sh_entsize') : r.u32(at + 0x24),
      });
    }
    const names = headers[shstrndx];
    if (names && names.type !== SHT_NOBITS) {
      r.require(names.offset, names.size, 'the section name table');
      for (const h of headers) h.name = r.cString(names.offset + r.u32(shoff + h.index * shentsize, 'sh_name'), 256) || `#${h.index}`;
    } else {
      for (const h of headers) h.name = `#${h.index}`;
    }
  }

  const sections: CodeSection[] = [];
  for (const h of headers) {
    if ((h.flags & BigInt(SHF_EXECINSTR)) === 0n || h.size === 0) continue;
    if (h.type === SHT_NOBITS) {
      notes.push(`section ${h.name} is executable but has no bytes in the file (NOBITS); skipped`);
      continue;
    }
    sections.push({ name: h.name, address: h.address, fileOffset: h.offset, bytes: r.slice(h.offset, h.size, `section ${h.name}`), bits });
  }
  if (headers.length === 0) for (const segment of loadSegments(r, is64, bits, notes)) sections.push(segment);

  const symbols: ImageSymbol[] = [];
  const hints: CodeHint[] = [];
  for (const h of headers) {
    if (h.type !== SHT_SYMTAB && h.type !== SHT_DYNSYM) continue;
    const strings = headers[h.link];
    if (!strings) continue;
    r.require(h.offset, h.size, `symbol table ${h.name}`);
    r.require(strings.offset, strings.size, `string table ${strings.name}`);
    const entry = is64 ? 24 : 16;
    const count = Math.floor(h.size / Math.max(entry, h.entrySize || entry));
    const step = Math.max(entry, h.entrySize || entry);
    for (let i = 1; i < count; i++) {
      const at = h.offset + i * step;
      const nameOffset = r.u32(at);
      const info = r.u8(at + (is64 ? 4 : 12));
      const shndx = r.u16(at + (is64 ? 6 : 14));
      const type = info & 0xf;
      if (shndx === 0 || type === STT_SECTION || type === STT_FILE || nameOffset === 0) continue;
      const name = nameOffset < strings.size ? r.cString(strings.offset + nameOffset, Math.min(1024, strings.size - nameOffset)) : '';
      if (name === '') continue;
      const address = is64 ? r.u64(at + 8) : BigInt(r.u32(at + 4));
      const size = is64 ? Number(r.u64(at + 16) & 0xffffffffn) : r.u32(at + 8);
      const section = shndx < 0xff00 ? headers[shndx]?.name : undefined;
      symbols.push(section === undefined ? { name, address, size } : { name, address, size, section });
      if (type === STT_FUNC || type === STT_GNU_IFUNC) hints.push(functionHint(address, size, section));
    }
  }
  if (sections.length === 0) notes.push('no executable sections');
  const linked = r.u16(16) !== ET_REL;
  if (linked) {
    const entry = is64 ? r.u64(0x18) : BigInt(r.u32(0x18));
    if (entry !== 0n) hints.push({ kind: 'entry', address: entry, size: 0 });
    const ehFrames = headers.filter((h) => h.name === '.eh_frame' && h.type !== SHT_NOBITS);
    for (const h of ehFrames) {
      for (const range of parseEhFrame(bytes, h.offset, h.size, h.address, is64 ? 8 : 4, notes)) hints.push({ kind: 'unwind', address: range.address, size: range.size });
    }
    if (ehFrames.length === 0) for (const range of ehFrameHdrUnwind(r, is64, notes)) hints.push({ kind: 'unwind', address: range.address, size: range.size });
  }
  const image: BinaryImage = { format, bits, addressWidth: is64 ? 64 : 32, sections, symbols, notes, hints };
  const debug = linked ? debugSections(r, headers) : undefined;
  if (debug) image.debug = debug;
  if (linked) image.data = dataSections(r, headers);
  return image;
}

/** Loaded sections with bytes in the file that are not code: .rodata, .data and the like. */
function dataSections(r: ByteReader, headers: readonly SectionHeader[]): DataSection[] {
  const data: DataSection[] = [];
  for (const h of headers) {
    if ((h.flags & BigInt(SHF_ALLOC)) === 0n || (h.flags & BigInt(SHF_EXECINSTR)) !== 0n || h.type === SHT_NOBITS || h.size === 0) continue;
    if (h.offset + h.size > r.bytes.length) continue;
    data.push({ name: h.name, address: h.address, bytes: r.slice(h.offset, h.size, `section ${h.name}`) });
  }
  return data;
}

function functionHint(address: bigint, size: number, section: string | undefined): CodeHint {
  const hint: CodeHint = { kind: size > 0 ? 'symbol' : 'function', address, size };
  if (section !== undefined) hint.section = section;
  return hint;
}

/** .debug_line and the string sections its version 5 tables point into. */
function debugSections(r: ByteReader, headers: readonly SectionHeader[]): DebugSections | undefined {
  const find = (name: string): Uint8Array | undefined => {
    const h = headers.find((candidate) => candidate.name === name && candidate.type !== SHT_NOBITS && (candidate.flags & SHF_COMPRESSED) === 0n);
    return h && h.size > 0 ? r.slice(h.offset, h.size, `section ${name}`) : undefined;
  };
  const line = find('.debug_line');
  if (line === undefined) return undefined;
  const debug: DebugSections = { line };
  const lineStr = find('.debug_line_str');
  const str = find('.debug_str');
  if (lineStr) debug.lineStr = lineStr;
  if (str) debug.str = str;
  return debug;
}

interface ProgramHeader extends FileSegment {
  index: number;
  type: number;
  flags: number;
}

function programHeaders(r: ByteReader, is64: boolean): ProgramHeader[] {
  const phoff = is64 ? r.u64AsNumber(0x20, 'e_phoff') : r.u32(0x1c);
  const phentsize = r.u16(is64 ? 0x36 : 0x2a);
  const phnum = r.u16(is64 ? 0x38 : 0x2c);
  if (phoff === 0 || phnum === 0) return [];
  r.require(phoff, phnum * phentsize, 'the program header table');
  const out: ProgramHeader[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    out.push({
      index: i,
      type: r.u32(at),
      flags: r.u32(at + (is64 ? 4 : 0x18)),
      offset: is64 ? r.u64AsNumber(at + 8, 'p_offset') : r.u32(at + 4),
      address: is64 ? r.u64(at + 0x10) : BigInt(r.u32(at + 8)),
      fileSize: is64 ? r.u64AsNumber(at + 0x20, 'p_filesz') : r.u32(at + 0x10),
    });
  }
  return out;
}

function loadSegments(r: ByteReader, is64: boolean, bits: Bitness, notes: string[]): CodeSection[] {
  const out: CodeSection[] = [];
  for (const p of programHeaders(r, is64)) {
    if (p.type !== PT_LOAD || (p.flags & PF_X) === 0 || p.fileSize === 0) continue;
    out.push({ name: `segment${p.index}`, address: p.address, fileOffset: p.offset, bytes: r.slice(p.offset, p.fileSize, `segment ${p.index}`), bits });
  }
  if (out.length > 0) notes.push('no section headers; scanned executable PT_LOAD segments');
  return out;
}

/** Unwind ranges through PT_GNU_EH_FRAME, for a linked file whose section headers do not name .eh_frame. */
function ehFrameHdrUnwind(r: ByteReader, is64: boolean, notes: string[]): { address: bigint; size: number }[] {
  const segments = programHeaders(r, is64);
  const header = segments.find((p) => p.type === PT_GNU_EH_FRAME && p.fileSize > 0);
  if (!header) return [];
  const loads = segments.filter((p) => p.type === PT_LOAD && p.fileSize > 0);
  return ehFrameHdrRanges(r.bytes, header, loads, is64 ? 8 : 4, notes);
}
