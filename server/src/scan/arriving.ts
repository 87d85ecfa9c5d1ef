// A large file's code sections read in libuv's thread pool while this thread works: the page faults
// and copies of a kernel's 15 MB .text (~10 ms) then happen on another core while the scanner
// instantiates iced-x86 and sweeps the part already read. Each range is read in chunks, all asked
// for at once (the pool takes them in order); what has arrived of a range is the part before its
// first chunk still missing.
import * as fs from 'fs';
import { describeFsError } from '../host/boundedRead';
import { ScanInputError } from '../binary/image';
import type { ArrivingCode } from './scanner';

export interface FileRange {
  offset: number;
  length: number;
}

/** The first chunk is small so that the sweep can start early; the rest are large so that they are few. */
const FIRST_CHUNK_BYTES = 128 * 1024;
const CHUNK_BYTES = 1024 * 1024;

interface Chunk {
  offset: number;
  end: number;
  done: boolean;
}

interface RangeProgress {
  offset: number;
  end: number;
  chunks: Chunk[];
  /** Index of the first chunk not yet read. */
  next: number;
}

export class ArrivingBytes implements ArrivingCode {
  private readonly ranges: RangeProgress[];
  private waiting: { resolve: () => void; reject: (error: Error) => void }[] = [];
  private inFlight = 0;
  private failure: ScanInputError | undefined;
  private closed: Promise<void> | undefined;
  private markClosed: () => void = () => undefined;

  /** Starts reading `ranges` of `fd` into `bytes` (at the same offsets); the fd is closed when all are read. */
  constructor(
    private readonly fd: number,
    private readonly bytes: Uint8Array,
    ranges: readonly FileRange[],
  ) {
    this.ranges = ranges.map((range) => ({ offset: range.offset, end: range.offset + range.length, chunks: chunksOf(range), next: 0 }));
    for (const range of this.ranges) for (const chunk of range.chunks) this.read(chunk, chunk.offset);
    if (this.inFlight === 0) this.finish();
  }

  loaded(fileOffset: number, length: number): number {
    const end = fileOffset + length;
    // Bytes outside every range were read before the ranges were handed over; the first byte
    // missing is the earliest of the ranges' first missing bytes.
    let firstMissing = end;
    for (const range of this.ranges) {
      if (end <= range.offset || fileOffset >= range.end) continue;
      const frontier = range.next < range.chunks.length ? range.chunks[range.next]!.offset : range.end;
      if (frontier < Math.min(end, range.end)) firstMissing = Math.min(firstMissing, Math.max(frontier, fileOffset));
    }
    return firstMissing - fileOffset;
  }

  arrival(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  /** Resolves once no read is in flight and the file is closed (also after a failed read). */
  settled(): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      this.markClosed = resolve;
      if (this.inFlight === 0) resolve();
    });
    return this.closed;
  }

  private read(chunk: Chunk, from: number): void {
    this.inFlight++;
    fs.read(this.fd, this.bytes, from, chunk.end - from, from, (error, count) => {
      this.inFlight--;
      if (error) this.failure ??= new ScanInputError(describeFsError(error));
      else if (count > 0 && from + count < chunk.end && !this.failure) return this.read(chunk, from + count);
      // A short read at the end of the file (it shrank) leaves zeros, as a synchronous read does.
      else chunk.done = true;
      this.advance();
    });
  }

  private advance(): void {
    for (const range of this.ranges) while (range.next < range.chunks.length && range.chunks[range.next]!.done) range.next++;
    const waiting = this.waiting;
    this.waiting = [];
    for (const waiter of waiting) {
      if (this.failure) waiter.reject(this.failure);
      else waiter.resolve();
    }
    if (this.inFlight === 0) this.finish();
  }

  private finish(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      // Already closed: nothing to release.
    }
    this.markClosed();
  }
}

function chunksOf(range: FileRange): Chunk[] {
  const chunks: Chunk[] = [];
  const end = range.offset + range.length;
  let offset = range.offset;
  let size = FIRST_CHUNK_BYTES;
  while (offset < end) {
    const chunkEnd = Math.min(end, offset + size);
    chunks.push({ offset, end: chunkEnd, done: false });
    offset = chunkEnd;
    size = CHUNK_BYTES;
  }
  return chunks;
}
