// What the scanner needs from any executable format: code blocks with their load address, and
// symbols. ELF, PE/COFF and raw images all parse into this shape.
import type { Bitness } from './sweep';

export type ImageFormat = 'elf32' | 'elf64' | 'pe32' | 'pe32+' | 'coff' | 'raw';

export interface CodeSection {
  name: string;
  /** Address of the first byte when loaded. */
  address: bigint;
  /** Offset of the first byte in the file (for messages). */
  fileOffset: number;
  bytes: Uint8Array;
  bits: Bitness;
}

export interface ImageSymbol {
  name: string;
  address: bigint;
  /** 0 when unknown. */
  size: number;
  /** Section the symbol is defined in, when the format says (object files need it: every section starts at 0). */
  section?: string;
}

/** How the bytes of a finding were known to be code, most confident first. */
export type Discovery = 'symbol' | 'unwind' | 'traversal' | 'sweep';
export const DISCOVERY_ORDER: readonly Discovery[] = ['symbol', 'unwind', 'traversal', 'sweep'];

/**
 * What a file says about where its code is. `symbol` and `unwind` hints with a size cover a
 * region that is code as a whole; the others are addresses where execution starts (traversal roots).
 */
export interface CodeHint {
  kind: 'symbol' | 'unwind' | 'entry' | 'export' | 'function';
  address: bigint;
  /** Bytes covered; 0 for a bare start address. */
  size: number;
  /** Section the address is relative to (object files, where every section starts at 0). */
  section?: string;
}

/** DWARF sections kept for source mapping (only in linked ELF files). */
export interface DebugSections {
  line: Uint8Array;
  lineStr?: Uint8Array;
  str?: Uint8Array;
}

export interface BinaryImage {
  format: ImageFormat;
  /** Bitness implied by the header (machine type / class). */
  bits: Bitness;
  /** Size of an address: every address in the image (section + offset) is taken modulo 2^addressWidth. */
  addressWidth: AddressWidth;
  sections: CodeSection[];
  symbols: ImageSymbol[];
  /** Things the user should know (no executable section, sections skipped, ...). */
  notes: string[];
  /** Code discovery roots and regions from symbols, unwind tables, entry points and exports. */
  hints?: CodeHint[];
  debug?: DebugSections;
  /** Loaded sections that hold data (ELF .rodata, PE .rdata): what an address in the code may point to. Read, never decoded. */
  data?: DataSection[];
}

export interface DataSection {
  name: string;
  address: bigint;
  bytes: Uint8Array;
}

/** Up to `length` bytes of the image's data at `address`, or undefined when no data section holds it. */
export function dataAt(image: BinaryImage, address: bigint, length: number): Uint8Array | undefined {
  for (const section of image.data ?? []) {
    const offset = address - section.address;
    if (offset < 0n || offset >= BigInt(section.bytes.length)) continue;
    const start = Number(offset);
    return section.bytes.subarray(start, Math.min(section.bytes.length, start + length));
  }
  return undefined;
}

/** A file the scanner cannot read as the format it claims to be; the message is for the user. */
export class ScanInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScanInputError';
  }
}

/** Bounds-checked little-endian reads over a file's bytes. */
export class ByteReader {
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    private readonly what: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  require(offset: number, size: number, purpose: string): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || size < 0 || offset + size > this.bytes.length) {
      throw new ScanInputError(
        `truncated or corrupt ${this.what}: ${purpose} at file offset 0x${Math.max(0, offset).toString(16)} (+${size} bytes) lies outside the file (${this.bytes.length} bytes)`,
      );
    }
  }

  u8(offset: number, purpose = 'a field'): number {
    this.require(offset, 1, purpose);
    return this.view.getUint8(offset);
  }

  u16(offset: number, purpose = 'a field'): number {
    this.require(offset, 2, purpose);
    return this.view.getUint16(offset, true);
  }

  i16(offset: number, purpose = 'a field'): number {
    this.require(offset, 2, purpose);
    return this.view.getInt16(offset, true);
  }

  u32(offset: number, purpose = 'a field'): number {
    this.require(offset, 4, purpose);
    return this.view.getUint32(offset, true);
  }

  u64(offset: number, purpose = 'a field'): bigint {
    this.require(offset, 8, purpose);
    return this.view.getBigUint64(offset, true);
  }

  /** A 64-bit file offset or size that must fit in a JS number to be usable. */
  u64AsNumber(offset: number, purpose: string): number {
    const value = this.u64(offset, purpose);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ScanInputError(`corrupt ${this.what}: ${purpose} is 0x${value.toString(16)}, too large`);
    return Number(value);
  }

  slice(offset: number, size: number, purpose: string): Uint8Array {
    this.require(offset, size, purpose);
    return this.bytes.subarray(offset, offset + size);
  }

  /** NUL-terminated string (latin1), at most `max` bytes. */
  cString(offset: number, max = 4096): string {
    if (offset < 0 || offset >= this.bytes.length) return '';
    let end = offset;
    const limit = Math.min(this.bytes.length, offset + max);
    while (end < limit && this.bytes[end] !== 0) end++;
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset + offset, end - offset).toString('latin1');
  }
}

export type AddressWidth = 32 | 64;

/** 64-bit code has 64-bit addresses; 16- and 32-bit code live in the 32-bit address space (a BIOS reset vector is 16-bit code at 0xfffffff0). */
export function addressWidthFor(bits: Bitness): AddressWidth {
  return bits === 64 ? 64 : 32;
}

/** True when `address` is one of the 2^width addresses (a load address given by the user). */
export function fitsAddressWidth(address: bigint, width: AddressWidth): boolean {
  return BigInt.asUintN(width, address) === address;
}

/** `address` modulo 2^width, as the CPU computes it. */
export function wrapAddress(address: bigint, width: AddressWidth): bigint {
  return BigInt.asUintN(width, address);
}

export function hex(value: bigint | number, width = 0): string {
  return value.toString(16).padStart(width, '0');
}
