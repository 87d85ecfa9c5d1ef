// The COFF symbol table: 18-byte records (name or string-table offset, value, section number,
// type, storage class, count of auxiliary records), followed by the string table. Object files
// always have one; PE images keep it when the linker wrote it and nobody stripped it (mingw's ld
// does, MSVC's link does not). Values are relative to the section the symbol is defined in.
import type { ByteReader } from './image';

const RECORD_SIZE = 18;
/** More would not fit in a file the scanner accepts; a corrupt count must not run for minutes. */
const MAX_SYMBOLS = 16_000_000;

export const STORAGE_EXTERNAL = 2;
export const STORAGE_STATIC = 3;
export const STORAGE_LABEL = 6;

export interface CoffSymbolRecord {
  name: string;
  value: number;
  /** 1-based index into the section table; 0 undefined, -1 absolute, -2 debugging. */
  sectionNumber: number;
  type: number;
  storageClass: number;
  auxCount: number;
}

export interface CoffSymbolTable {
  records: CoffSymbolRecord[];
  /** File offset of the string table, which long section names ("/4") also point into. */
  stringTable: number;
}

/** The derived type in bits 4-5 of the type field says "function returning the base type". */
export function isFunctionType(type: number): boolean {
  return ((type >> 4) & 3) === 2;
}

/**
 * The symbol table at `offset` with `count` records (auxiliary records skipped), or undefined when
 * the header names none. A table that lies outside the file is reported in `notes` and ignored: the
 * image is still usable without it. `strip` leaves no records but keeps the string table the long
 * section names point into, so a table of 0 records still has one.
 */
export function readCoffSymbols(r: ByteReader, offset: number, count: number, notes: string[]): CoffSymbolTable | undefined {
  if (offset === 0) return undefined;
  const stringTable = offset + count * RECORD_SIZE;
  if (count > MAX_SYMBOLS || stringTable > r.length) {
    notes.push(`the COFF symbol table (${count} records at file offset 0x${offset.toString(16)}) lies outside the file; symbols skipped`);
    return undefined;
  }
  const stringsSize = stringTable + 4 <= r.length ? r.u32(stringTable) : 0;
  const stringsEnd = Math.min(r.length, stringTable + stringsSize);
  const records: CoffSymbolRecord[] = [];
  for (let i = 0; i < count; i++) {
    const at = offset + i * RECORD_SIZE;
    const auxCount = r.u8(at + 17);
    records.push({
      name: recordName(r, at, stringTable, stringsEnd),
      value: r.u32(at + 8),
      sectionNumber: r.i16(at + 12),
      type: r.u16(at + 14),
      storageClass: r.u8(at + 16),
      auxCount,
    });
    i += auxCount;
  }
  return { records, stringTable };
}

/** Short names sit in the record (8 bytes, NUL-padded); long ones start with four zero bytes and an offset into the string table. */
function recordName(r: ByteReader, at: number, stringTable: number, stringsEnd: number): string {
  if (r.u32(at) !== 0) return r.cString(at, 8);
  const start = stringTable + r.u32(at + 4);
  return start < stringsEnd ? r.cString(start, Math.min(1024, stringsEnd - start)) : '';
}
