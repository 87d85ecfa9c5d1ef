// Function ranges from an ELF .eh_frame section: every FDE names the first address and the size
// of a piece of code that has unwind information. Present in most stripped user-space binaries.
// Corrupt entries end the walk (what was read so far is kept) and are reported as a note.
import { ByteReader, ScanInputError } from './image';
import { DW_EH_PE_DATAREL, DW_EH_PE_OMIT, DW_EH_PE_PCREL, readRawPointer } from './ehPointer';
import { readLeb128BigInt } from './leb128';

export interface UnwindRange {
  address: bigint;
  size: number;
}

const MAX_ENTRIES = 2_000_000;

interface Cie {
  /** Pointer encoding of the FDEs' pc-begin and pc-range (DW_EH_PE_*). */
  fdeEncoding: number;
  /** True when FDEs carry an augmentation-data block (augmentation string starts with 'z'). */
  hasAugmentationData: boolean;
}

/** Reads LEB128 numbers and encoded pointers at a moving position. */
class Cursor {
  constructor(
    private readonly r: ByteReader,
    public at: number,
  ) {}

  u8(): number {
    return this.r.u8(this.at++, 'an .eh_frame field');
  }

  uleb(): bigint {
    return readLeb128BigInt(() => this.u8(), false, '.eh_frame');
  }

  sleb(): bigint {
    return readLeb128BigInt(() => this.u8(), true, '.eh_frame');
  }

  /** The value of a pointer in `encoding`'s format, before its application (pcrel...) is applied. */
  rawPointer(encoding: number, addressSize: number): bigint {
    const { value, next } = readRawPointer(this.r, this.at, encoding, addressSize, '.eh_frame');
    this.at = next;
    return value;
  }
}

/**
 * FDE ranges of an .eh_frame section loaded at `sectionAddress`; `fileOffset` locates it in `bytes`.
 * Addresses are wrapped to `addressSize` bytes. Entries with a zero range are left out. A zero
 * length ends the walk, unless `pastTerminators`: mingw's ld leaves crtend's terminator in the
 * middle of the section, with the frames of the objects linked after it behind it.
 */
export function parseEhFrame(
  bytes: Uint8Array,
  fileOffset: number,
  size: number,
  sectionAddress: bigint,
  addressSize: 4 | 8,
  notes: string[],
  pastTerminators = false,
): UnwindRange[] {
  const r = new ByteReader(bytes, '.eh_frame');
  const out: UnwindRange[] = [];
  const cies = new Map<number, Cie>();
  const end = fileOffset + size;
  const mask = (1n << BigInt(addressSize * 8)) - 1n;
  let at = fileOffset;
  try {
    r.require(fileOffset, size, 'the .eh_frame section');
    for (let n = 0; n < MAX_ENTRIES && at + 4 <= end; n++) {
      let length = r.u32(at);
      let body = at + 4;
      if (length === 0) {
        if (!pastTerminators) break;
        at += 4;
        continue;
      }
      if (length === 0xffffffff) {
        const long = r.u64(at + 4);
        if (long > BigInt(end)) throw new ScanInputError('corrupt .eh_frame: entry length past the section');
        length = Number(long);
        body = at + 12;
      }
      const next = body + length;
      if (next > end || length < 4) throw new ScanInputError('corrupt .eh_frame: entry length past the section');
      const id = r.u32(body);
      if (id === 0) cies.set(at, readCie(r, body + 4, addressSize));
      else {
        const cie = cies.get(body - id);
        if (cie === undefined) throw new ScanInputError('corrupt .eh_frame: FDE refers to no CIE');
        const range = readFde(new Cursor(r, body + 4), cie, (pos) => sectionAddress + BigInt(pos - fileOffset), addressSize);
        if (range && range.size > 0) out.push({ address: range.address & mask, size: range.size });
      }
      at = next;
    }
  } catch (e) {
    if (!(e instanceof ScanInputError)) throw e;
    notes.push(`${e.message}; kept the ${out.length} function range(s) read before it`);
  }
  return out;
}

/** Where an .eh_frame's bytes are: their file offset, size and load address (a whole PT_LOAD segment when no section header says more). */
export interface EhFrameRegion {
  fileOffset: number;
  size: number;
  address: bigint;
}

/**
 * FDE ranges of the entries that start at `entries` (file offsets inside `region`), as the
 * .eh_frame_hdr search table lists them. A corrupt entry ends the walk, as in `parseEhFrame`.
 */
export function parseFdesAt(bytes: Uint8Array, region: EhFrameRegion, entries: readonly number[], addressSize: 4 | 8, notes: string[]): UnwindRange[] {
  const r = new ByteReader(bytes, '.eh_frame');
  const out: UnwindRange[] = [];
  const cies = new Map<number, Cie>();
  const end = region.fileOffset + region.size;
  const mask = (1n << BigInt(addressSize * 8)) - 1n;
  const addressOf = (pos: number): bigint => region.address + BigInt(pos - region.fileOffset);
  try {
    r.require(region.fileOffset, region.size, 'the .eh_frame bytes');
    for (const at of entries.slice(0, MAX_ENTRIES)) {
      if (at < region.fileOffset || at + 8 > end) throw new ScanInputError('corrupt .eh_frame_hdr: a table entry points outside .eh_frame');
      const length = r.u32(at);
      if (length === 0xffffffff || length < 4 || at + 4 + length > end) throw new ScanInputError('corrupt .eh_frame: entry length past the section');
      const body = at + 4;
      const id = r.u32(body);
      const cieAt = body - id;
      if (id === 0 || cieAt < region.fileOffset) throw new ScanInputError('corrupt .eh_frame: FDE refers to no CIE');
      let cie = cies.get(cieAt);
      if (cie === undefined) {
        if (r.u32(cieAt + 4) !== 0) throw new ScanInputError('corrupt .eh_frame: FDE refers to no CIE');
        cie = readCie(r, cieAt + 8, addressSize);
        cies.set(cieAt, cie);
      }
      const range = readFde(new Cursor(r, body + 4), cie, addressOf, addressSize);
      if (range && range.size > 0) out.push({ address: range.address & mask, size: range.size });
    }
  } catch (e) {
    if (!(e instanceof ScanInputError)) throw e;
    notes.push(`${e.message}; kept the ${out.length} function range(s) read before it`);
  }
  return out;
}

function readCie(r: ByteReader, start: number, addressSize: 4 | 8): Cie {
  const c = new Cursor(r, start);
  const version = c.u8();
  const augmentation = r.cString(c.at, 64);
  c.at += augmentation.length + 1;
  if (augmentation.includes('eh')) c.at += 8; // GCC 2.x "eh" data: not produced by anything current
  c.uleb(); // code alignment
  c.sleb(); // data alignment
  if (version === 1) c.u8();
  else c.uleb(); // return address register
  const cie: Cie = { fdeEncoding: 0, hasAugmentationData: augmentation.startsWith('z') };
  if (!cie.hasAugmentationData) return cie;
  c.uleb(); // augmentation data length
  for (const letter of augmentation.slice(1)) {
    if (letter === 'R') cie.fdeEncoding = c.u8();
    else if (letter === 'L') c.u8();
    else if (letter === 'P') {
      const encoding = c.u8();
      c.rawPointer(encoding, addressSize);
    } else if (letter !== 'S' && letter !== 'B') break; // unknown letter: the rest cannot be read, and is not needed
  }
  return cie;
}

function readFde(c: Cursor, cie: Cie, addressOf: (pos: number) => bigint, addressSize: 4 | 8): UnwindRange | undefined {
  if (cie.fdeEncoding === DW_EH_PE_OMIT) return undefined;
  const fieldPos = c.at;
  const raw = c.rawPointer(cie.fdeEncoding, addressSize);
  const application = cie.fdeEncoding & 0x70;
  let address: bigint;
  if (application === 0) address = raw;
  else if (application === DW_EH_PE_PCREL) address = addressOf(fieldPos) + raw;
  else if (application === DW_EH_PE_DATAREL) return undefined; // needs the GOT address; not used on x86 .eh_frame
  else return undefined;
  const range = c.rawPointer(cie.fdeEncoding & 0x0f, addressSize);
  if (range <= 0n || range > 0x7fffffffn) return undefined;
  return { address: BigInt.asUintN(64, address), size: Number(range) };
}
