// LEB128 numbers, as DWARF (.debug_line) and .eh_frame write them. A number longer than ten bytes
// cannot come from a 64-bit value: the section is corrupt.
import { ScanInputError } from './image';

const MAX_BYTES = 10;

/** The bytes of one number, least significant group first; the last one has bit 7 clear. */
function numberBytes(nextByte: () => number, section: string): number[] {
  const bytes: number[] = [];
  for (;;) {
    const byte = nextByte();
    bytes.push(byte);
    if ((byte & 0x80) === 0) return bytes;
    if (bytes.length === MAX_BYTES) throw new ScanInputError(`corrupt ${section}: LEB128 number longer than ${MAX_BYTES} bytes`);
  }
}

const isNegative = (signed: boolean, bytes: readonly number[]): boolean => signed && (bytes[bytes.length - 1]! & 0x40) !== 0;

/** As a JavaScript number: exact for the counts, indexes and line steps it is used for. */
export function readLeb128(nextByte: () => number, signed: boolean, section: string): number {
  const bytes = numberBytes(nextByte, section);
  let value = 0;
  let scale = 1;
  for (const byte of bytes) {
    value += (byte & 0x7f) * scale;
    scale *= 128;
  }
  return isNegative(signed, bytes) ? value - scale : value;
}

/** As a bigint: exact for addresses. */
export function readLeb128BigInt(nextByte: () => number, signed: boolean, section: string): bigint {
  const bytes = numberBytes(nextByte, section);
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 7n) | BigInt(bytes[i]! & 0x7f);
  return isNegative(signed, bytes) ? value - (1n << BigInt(7 * bytes.length)) : value;
}
