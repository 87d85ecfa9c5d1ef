// .eh_frame_hdr, found through the PT_GNU_EH_FRAME program header when no section header names
// .eh_frame (a file stripped of its section headers). It holds a pointer to .eh_frame and a sorted
// table of (initial location, FDE address) pairs; each FDE it points at gives a function's range.
import { parseEhFrame, parseFdesAt, type EhFrameRegion, type UnwindRange } from './ehframe';
import { DW_EH_PE_DATAREL, DW_EH_PE_OMIT, DW_EH_PE_PCREL, readRawPointer } from './ehPointer';
import { ByteReader, ScanInputError } from './image';

const HEADER_VERSION = 1;

/** A segment of the file as a program header describes it. */
export interface FileSegment {
  offset: number;
  address: bigint;
  fileSize: number;
}

/** Reads the encoded pointers of .eh_frame_hdr, whose "data-relative" base is the header's own address. */
class HeaderCursor {
  constructor(
    private readonly r: ByteReader,
    private readonly header: FileSegment,
    public at: number,
    private readonly addressSize: 4 | 8,
  ) {}

  pointer(encoding: number): bigint {
    const fieldAddress = this.header.address + BigInt(this.at - this.header.offset);
    const raw = this.raw(encoding);
    switch (encoding & 0x70) {
      case 0:
        return raw;
      case DW_EH_PE_PCREL:
        return BigInt.asUintN(64, fieldAddress + raw);
      case DW_EH_PE_DATAREL:
        return BigInt.asUintN(64, this.header.address + raw);
      default:
        throw new ScanInputError(`corrupt .eh_frame_hdr: unsupported pointer encoding 0x${encoding.toString(16)}`);
    }
  }

  private raw(encoding: number): bigint {
    const { value, next } = readRawPointer(this.r, this.at, encoding, this.addressSize, '.eh_frame_hdr');
    if (next > this.header.offset + this.header.fileSize) throw new ScanInputError('corrupt .eh_frame_hdr: a field runs past the segment');
    this.at = next;
    return value;
  }
}

/** The file-backed segment that holds `address`, as a region for the .eh_frame reader. */
function regionHolding(segments: readonly FileSegment[], address: bigint): EhFrameRegion | undefined {
  for (const s of segments) {
    const offset = address - s.address;
    if (offset >= 0n && offset < BigInt(s.fileSize)) return { fileOffset: s.offset, size: s.fileSize, address: s.address };
  }
  return undefined;
}

/**
 * The unwind ranges .eh_frame_hdr leads to. `loads` are the PT_LOAD segments (to map addresses to
 * file offsets). Without a search table the .eh_frame it points at is walked to its terminator.
 */
export function ehFrameHdrRanges(bytes: Uint8Array, header: FileSegment, loads: readonly FileSegment[], addressSize: 4 | 8, notes: string[]): UnwindRange[] {
  const r = new ByteReader(bytes, '.eh_frame_hdr');
  try {
    r.require(header.offset, Math.max(header.fileSize, 4), 'the .eh_frame_hdr segment');
    const version = r.u8(header.offset);
    if (version !== HEADER_VERSION) throw new ScanInputError(`.eh_frame_hdr version ${version} is not ${HEADER_VERSION}`);
    const frameEncoding = r.u8(header.offset + 1);
    const countEncoding = r.u8(header.offset + 2);
    const tableEncoding = r.u8(header.offset + 3);
    if (frameEncoding === DW_EH_PE_OMIT) return [];
    const c = new HeaderCursor(r, header, header.offset + 4, addressSize);
    const frameAddress = c.pointer(frameEncoding);
    const region = regionHolding(loads, frameAddress);
    if (region === undefined) throw new ScanInputError('corrupt .eh_frame_hdr: .eh_frame lies outside the loaded segments');
    const frameOffset = region.fileOffset + Number(frameAddress - region.address);
    if (countEncoding === DW_EH_PE_OMIT || tableEncoding === DW_EH_PE_OMIT) {
      return parseEhFrame(bytes, frameOffset, region.fileOffset + region.size - frameOffset, frameAddress, addressSize, notes);
    }
    const count = Number(c.pointer(countEncoding) & 0xffffffffn);
    const entries: number[] = [];
    for (let i = 0; i < count; i++) {
      c.pointer(tableEncoding); // the initial location: the FDE says it again, with the range
      const fde = c.pointer(tableEncoding);
      const holder = regionHolding(loads, fde);
      if (holder === undefined || holder.fileOffset !== region.fileOffset) throw new ScanInputError('corrupt .eh_frame_hdr: a table entry points outside .eh_frame');
      entries.push(region.fileOffset + Number(fde - region.address));
    }
    return parseFdesAt(bytes, region, entries, addressSize, notes);
  } catch (e) {
    if (!(e instanceof ScanInputError)) throw e;
    notes.push(`${e.message}; unwind ranges from .eh_frame_hdr skipped`);
    return [];
  }
}
