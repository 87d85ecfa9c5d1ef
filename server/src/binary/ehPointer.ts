// The pointer encodings (DW_EH_PE_*) of .eh_frame and .eh_frame_hdr: the low four bits give the
// stored format, the next three how the value applies (absolute, pc-relative, data-relative).
import { ScanInputError, type ByteReader } from './image';
import { readLeb128BigInt } from './leb128';

export const DW_EH_PE_OMIT = 0xff;
export const DW_EH_PE_PCREL = 0x10;
export const DW_EH_PE_DATAREL = 0x30;

/** The value stored at `at` in `encoding`'s format, before its application, and where the field ends. */
export function readRawPointer(r: ByteReader, at: number, encoding: number, addressSize: number, section: string): { value: bigint; next: number } {
  const fixed = (size: number, value: (offset: number) => bigint): { value: bigint; next: number } => ({ value: value(at), next: at + size });
  switch (encoding & 0x0f) {
    case 0x00:
      return addressSize === 8 ? fixed(8, (o) => r.u64(o)) : fixed(4, (o) => BigInt(r.u32(o)));
    case 0x01:
    case 0x09: {
      let next = at;
      const value = readLeb128BigInt(() => r.u8(next++, `an ${section} field`), (encoding & 0x0f) === 0x09, section);
      return { value, next };
    }
    case 0x02:
      return fixed(2, (o) => BigInt(r.u16(o)));
    case 0x03:
      return fixed(4, (o) => BigInt(r.u32(o)));
    case 0x04:
      return fixed(8, (o) => r.u64(o));
    case 0x0a:
      return fixed(2, (o) => BigInt(r.i16(o)));
    case 0x0b:
      return fixed(4, (o) => BigInt(r.u32(o) | 0));
    case 0x0c:
      return fixed(8, (o) => BigInt.asIntN(64, r.u64(o)));
    default:
      throw new ScanInputError(`corrupt ${section}: unknown pointer encoding 0x${encoding.toString(16)}`);
  }
}
