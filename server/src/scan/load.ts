// Recognise a file's format and parse it into a BinaryImage.
import * as fs from 'fs';
import { isElf, parseElf } from '../binary/elf';
import { codeMemory } from '../binary/lengthLoop';
import { ArrivingBytes, type FileRange } from './arriving';
import { addressWidthFor, fitsAddressWidth, ScanInputError, type BinaryImage } from '../binary/image';
import { isCoffObject, isPe, parseCoffObject, parsePe } from '../binary/pe';
import type { Bitness } from '../binary/sweep';

export interface LoadOptions {
  /** Treat the file as raw machine code even if it has a known header. */
  raw?: boolean;
  /** Bitness for raw images, or to override a header's (e.g. 64-bit code in an ELF32 wrapper like Xen's). */
  bits?: Bitness;
  /** Load address of a raw image; must fit the address width of `bits` (see `addressWidthFor`). */
  base?: bigint;
  /** Only these sections (by name). */
  sections?: readonly string[];
}

export function loadImage(bytes: Uint8Array, options: LoadOptions = {}): BinaryImage {
  let image: BinaryImage;
  if (options.raw) image = rawImage(bytes, options);
  else if (isElf(bytes)) image = parseElf(bytes);
  else if (isPe(bytes)) image = parsePe(bytes);
  else if (isCoffObject(bytes)) image = parseCoffObject(bytes);
  else if (options.bits !== undefined) image = rawImage(bytes, options);
  else
    throw new ScanInputError(
      'not an ELF, PE or COFF file; to scan raw machine code (a boot sector, firmware blob...) pass --bits 16|32|64 (and --base ADDRESS)',
    );
  if (options.bits !== undefined && image.format !== 'raw') {
    image.bits = options.bits;
    for (const section of image.sections) section.bits = options.bits;
    // 64-bit code in a 32-bit container runs with 64-bit addresses; 32-bit code in a 64-bit
    // container keeps the file's 64-bit addresses, which its symbols use.
    if (options.bits === 64) image.addressWidth = 64;
  }
  if (options.base !== undefined && image.format !== 'raw') {
    image.notes.push(`--base was not used: this ${image.format} file gives its own load addresses (add --raw to load its bytes at --base)`);
  }
  limitOverlap(image, bytes.length);
  if (options.sections && options.sections.length > 0) {
    const wanted = new Set(options.sections);
    const missing = options.sections.filter((name) => !image.sections.some((s) => s.name === name));
    image.sections = image.sections.filter((s) => wanted.has(s.name));
    for (const name of missing) image.notes.push(`no executable section named ${name}`);
  }
  return image;
}

/**
 * A crafted file can list thousands of executable sections over the same bytes; sweeping them all
 * would take hours. Code sections of a real file add up to at most the file's size, so stop at twice that.
 */
function limitOverlap(image: BinaryImage, fileSize: number): void {
  const budget = 2 * fileSize + 4096;
  let total = 0;
  const kept = image.sections.filter((section) => (total += section.bytes.length) <= budget);
  if (kept.length < image.sections.length) {
    image.notes.push(`code sections add up to more than twice the file size (overlapping sections?); scanned the first ${kept.length} of ${image.sections.length}`);
    image.sections = kept;
  }
}

/** Raw images are decoded as 16-bit code (a boot sector) unless `bits` says otherwise. */
export const RAW_DEFAULT_BITS: Bitness = 16;

function rawImage(bytes: Uint8Array, options: LoadOptions): BinaryImage {
  const bits = options.bits ?? RAW_DEFAULT_BITS;
  const addressWidth = addressWidthFor(bits);
  const base = options.base ?? 0n;
  if (!fitsAddressWidth(base, addressWidth)) throw new ScanInputError(`load address 0x${base.toString(16)} does not fit in the ${addressWidth}-bit addresses of ${bits}-bit code`);
  const notes = options.bits === undefined ? ['raw image without --bits: decoded as 16-bit code'] : [];
  return { format: 'raw', bits, addressWidth, sections: [{ name: 'raw', address: base, fileOffset: 0, bytes, bits }], symbols: [], notes };
}

/**
 * Reads a file for scanning. For a large ELF only the parts the scanner uses are read (headers,
 * executable sections, symbol and string tables) into an otherwise zero-filled buffer of the file's
 * size, which the OS maps lazily: a 66 MB vmlinux then costs ~15 MB of reads instead of 66.
 * The buffer of a file of 1 MB or more is the WebAssembly length loop's memory where it can be
 * (`codeMemory`), so that the sweep reads the code where it was read to instead of copying it
 * (~6 ms for a kernel's .text).
 */
export function readImageFile(fullPath: string, size: number): Uint8Array {
  return openImageFile(fullPath, size, { inBackground: false }).bytes;
}

export interface OpenedImage {
  bytes: Uint8Array;
  /** The large code sections of a large ELF, still being read into `bytes` (see arriving.ts). */
  arriving?: ArrivingBytes;
}

export interface OpenOptions {
  /** Read large code sections in the thread pool (`arriving`) instead of before returning. */
  inBackground: boolean;
  /** Only these code sections are scanned (--section): the others are not read. */
  sections?: readonly string[];
  /** The file is raw code whatever its header says (--raw): every byte is read. */
  raw?: boolean;
}

/** `readImageFile`, leaving the large code sections of a large ELF to arrive while the caller works. */
export function openImageFile(fullPath: string, size: number, options: OpenOptions): OpenedImage {
  const fd = fs.openSync(fullPath, 'r');
  let handedOver = false;
  try {
    const bytes = (size >= RESIDENT_MIN_BYTES ? codeMemory(size) : undefined) ?? new Uint8Array(size);
    const readRange = (offset: number, length: number): void => {
      const start = Math.max(0, Math.min(offset, size));
      const end = Math.max(start, Math.min(size, offset + length));
      let done = 0;
      while (start + done < end) {
        const n = fs.readSync(fd, bytes, start + done, end - start - done, start + done);
        if (n <= 0) break;
        done += n;
      }
    };
    const headerSize = Math.min(size, 4096);
    readRange(0, headerSize);
    const late: FileRange[] = [];
    const wanted = options.sections && options.sections.length > 0 ? new Set(options.sections) : undefined;
    const codeSection = (name: string, offset: number, length: number): CodeRead => {
      if (wanted && !wanted.has(name)) return 'skip';
      const inFile = Math.min(length, size - offset);
      if (!options.inBackground || inFile < LATE_MIN_BYTES) return 'now';
      late.push({ offset, length: inFile });
      return 'later';
    };
    if (options.raw || size < SPARSE_MIN_BYTES || !isElf(bytes) || !readElfParts(bytes, size, readRange, codeSection)) {
      readRange(headerSize, size - headerSize);
      return { bytes };
    }
    if (late.length === 0) return { bytes };
    handedOver = true;
    return { bytes, arriving: new ArrivingBytes(fd, bytes, late) };
  } finally {
    if (!handedOver) fs.closeSync(fd);
  }
}

/**
 * Smaller files are read into an ordinary array: the sweep copies their code into the loop's one
 * scratch instance, whose tables are ready, instead of making an instance (and filling its
 * tables, ~1 ms) per file.
 */
const RESIDENT_MIN_BYTES = 1024 * 1024;

/** What to do with an executable section's bytes: read them now, let them arrive, or not read them (not scanned). */
type CodeRead = 'now' | 'later' | 'skip';

/** Code sections smaller than this are read at once: a background read would not pay for itself. */
const LATE_MIN_BYTES = 1024 * 1024;
const SPARSE_MIN_BYTES = 8 * 1024 * 1024;
const DISCOVERY_SECTIONS = new Set(['.eh_frame', '.debug_line', '.debug_line_str', '.debug_str']);

/** Reads the section name table first, so that sections can be chosen by name. */
function sectionNameReader(
  view: DataView,
  bytes: Uint8Array,
  is64: boolean,
  shoff: number,
  shentsize: number,
  shnum: number,
  size: number,
  readRange: (offset: number, length: number) => void,
): (nameOffset: number) => string {
  const index = view.getUint16(is64 ? 0x3e : 0x32, true);
  if (index >= shnum) return () => '';
  const at = shoff + index * shentsize;
  const offset = is64 ? Number(view.getBigUint64(at + 0x18, true)) : view.getUint32(at + 0x10, true);
  const length = is64 ? Number(view.getBigUint64(at + 0x20, true)) : view.getUint32(at + 0x14, true);
  if (offset + length > size || length > 1024 * 1024) return () => '';
  readRange(offset, length);
  return (nameOffset) => {
    if (nameOffset >= length) return '';
    let end = offset + nameOffset;
    while (end < offset + length && bytes[end] !== 0) end++;
    return Buffer.from(bytes.subarray(offset + nameOffset, end)).toString('latin1');
  };
}
const SHT_NOBITS = 8;

/** Reads the section header table and the sections an ELF scan needs; false when the layout is not understood. */
function readElfParts(bytes: Uint8Array, size: number, readRange: (offset: number, length: number) => void, codeSection: (name: string, offset: number, length: number) => CodeRead): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const is64 = bytes[4] === 2;
  if (bytes[5] !== 1 || (bytes[4] !== 1 && bytes[4] !== 2)) return false;
  const shoff = is64 ? Number(view.getBigUint64(0x28, true)) : view.getUint32(0x20, true);
  const shentsize = view.getUint16(is64 ? 0x3a : 0x2e, true);
  const shnum = view.getUint16(is64 ? 0x3c : 0x30, true);
  if (shoff === 0 || shnum === 0 || shentsize < (is64 ? 64 : 40) || shoff + shnum * shentsize > size) return false;
  readRange(shoff, shnum * shentsize);
  const names = sectionNameReader(view, bytes, is64, shoff, shentsize, shnum, size, readRange);
  let requested = 0;
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * shentsize;
    const type = view.getUint32(at + 4, true);
    const flags = is64 ? Number(view.getBigUint64(at + 8, true) & 0xffffn) : view.getUint32(at + 8, true);
    const offset = is64 ? Number(view.getBigUint64(at + 0x18, true)) : view.getUint32(at + 0x10, true);
    const length = is64 ? Number(view.getBigUint64(at + 0x20, true)) : view.getUint32(at + 0x14, true);
    // Executable sections, symbol tables (2, 11), string tables (3), unwind and line tables are all the parser reads.
    const name = names(view.getUint32(at, true));
    const executable = (flags & 0x4) !== 0;
    const needed = executable || type === 2 || type === 11 || type === 3 || DISCOVERY_SECTIONS.has(name);
    if (!needed || type === SHT_NOBITS) continue;
    requested += length;
    // Overlapping sections (a crafted file) would re-read the same bytes: read everything once instead.
    if (requested > size) return false;
    const how = executable ? codeSection(name, offset, length) : 'now';
    if (how === 'now') readRange(offset, length);
  }
  return true;
}
