// Guards the stdio transport against framing garbage. vscode-jsonrpc's reader stops reading
// for good after a header block without a usable Content-Length, and waits forever for the
// body of a frame that announces an absurd length; this stream passes on only well-formed
// frames and, after garbage, resynchronises on the next `Content-Length:` header.
//
// Work is linear in the input: a body is passed on slice by slice as it arrives (vscode-jsonrpc
// collects the slices and joins them once), and only header bytes are ever copied, at most
// twice MAX_HEADER_BYTES at a time.
import { Transform, type TransformCallback } from 'node:stream';

const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');
const CONTENT_LENGTH_LINE = /^content-length:[ \t]*(\d+)[ \t]*$/i;
const CONTENT_LENGTH_NAME = 'content-length:';
const HEADER_LINE = /^[A-Za-z-]+:/;
/** A header block longer than this is garbage, whatever it contains. */
const MAX_HEADER_BYTES = 8192;
/**
 * A body longer than this is refused. It becomes one JavaScript string (V8 allows about
 * 2^29 characters) and several times that in memory while it is parsed; 256 MiB is far
 * above any document an editor sends, and far below what would exhaust the machine.
 */
export const MAX_CONTENT_LENGTH = 256 * 1024 * 1024;

export class FrameSanitizer extends Transform {
  /** The header block being read (up to and including its blank line), in a reused buffer. */
  private readonly header = Buffer.alloc(2 * MAX_HEADER_BYTES);
  private headerLength = 0;
  /** Body bytes still to pass on for the frame whose header was accepted. */
  private bodyRemaining = 0;
  /** Garbage dropped since the last good frame, reported once in sync again. */
  private skippedBytes = 0;
  private skipReason = '';
  /** Bytes this stream has copied (header bytes only); the tests check that it stays small. */
  copiedBytes = 0;

  constructor(private readonly report: (message: string) => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.bodyRemaining > 0) {
        const end = Math.min(chunk.length, offset + this.bodyRemaining);
        this.push(chunk.subarray(offset, end));
        this.bodyRemaining -= end - offset;
        offset = end;
      } else {
        offset = this.readHeader(chunk, offset);
      }
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    this.skip(this.headerLength, 'input that ended inside a header block');
    this.headerLength = 0;
    this.reportSkipped();
    done();
  }

  /** Takes header bytes from `chunk` up to the end of the header block (or of the chunk); returns where it stopped. */
  private readHeader(chunk: Buffer, offset: number): number {
    const blockEnd = this.findHeaderEnd(chunk, offset);
    const stop = blockEnd < 0 ? chunk.length : blockEnd;
    for (let from = offset; from < stop; ) {
      const room = this.header.length - this.headerLength;
      if (room === 0) {
        this.dropOverlongHeader();
        continue;
      }
      const to = Math.min(stop, from + room);
      chunk.copy(this.header, this.headerLength, from, to);
      this.copiedBytes += to - from;
      this.headerLength += to - from;
      from = to;
    }
    if (blockEnd >= 0) this.acceptHeader();
    return stop;
  }

  /** Index in `chunk` just past the blank line ending the header block, or -1; the blank line may straddle chunks. */
  private findHeaderEnd(chunk: Buffer, offset: number): number {
    const carried = Math.min(this.headerLength, HEADER_END.length - 1);
    if (carried > 0) {
      const seam = Buffer.concat([this.header.subarray(this.headerLength - carried, this.headerLength), chunk.subarray(offset, offset + HEADER_END.length - 1)]);
      const at = seam.indexOf(HEADER_END);
      if (at >= 0) return offset + at + HEADER_END.length - carried;
    }
    const at = chunk.indexOf(HEADER_END, offset);
    return at < 0 ? -1 : at + HEADER_END.length;
  }

  /**
   * The buffer is full and holds no blank line: no header block starting before its last
   * MAX_HEADER_BYTES bytes can still end in time, so drop up to the first `Content-Length:`
   * after that point (keeping a partial one at the very end).
   */
  private dropOverlongHeader(): void {
    const text = this.header.toString('latin1', 0, this.headerLength).toLowerCase();
    const candidate = text.indexOf(CONTENT_LENGTH_NAME, this.headerLength - MAX_HEADER_BYTES - HEADER_END.length);
    const drop = candidate >= 0 ? candidate : this.headerLength - (CONTENT_LENGTH_NAME.length - 1);
    this.skip(drop, 'a header block that never ends');
    this.discardHeaderBytes(drop);
  }

  /** The header holds a complete block: pass it on with its body, or resynchronise. */
  private acceptHeader(): void {
    for (;;) {
      const block = this.header.toString('latin1', 0, this.headerLength - HEADER_END.length);
      const digits = block.length > MAX_HEADER_BYTES ? undefined : contentLengthOf(block);
      if (digits !== undefined) {
        this.reportSkipped();
        // Past 15 digits a double is no longer exact, and far past any limit anyway.
        const significant = digits.replace(/^0+(?=\d)/, '');
        const length = significant.length > 15 ? Infinity : Number(significant);
        if (length > MAX_CONTENT_LENGTH) {
          this.report(`virtlint-lsp: ignored a message announcing ${digits.slice(0, 40)} bytes (more than ${MAX_CONTENT_LENGTH}); looking for the next header`);
          this.headerLength = 0;
          return;
        }
        const header = Buffer.from(this.header.subarray(0, this.headerLength));
        this.copiedBytes += header.length;
        this.push(header);
        this.bodyRemaining = length;
        this.headerLength = 0;
        return;
      }
      const start = usableHeaderStart(block, Math.max(1, block.length - MAX_HEADER_BYTES));
      this.skip(start < 0 ? this.headerLength : start, `a malformed header (${JSON.stringify(block.slice(0, 80))})`);
      if (start < 0) {
        this.headerLength = 0;
        return;
      }
      this.discardHeaderBytes(start);
    }
  }

  private discardHeaderBytes(count: number): void {
    this.header.copyWithin(0, count, this.headerLength);
    this.copiedBytes += this.headerLength - count;
    this.headerLength -= count;
  }

  private skip(count: number, why: string): void {
    if (count <= 0) return;
    if (this.skippedBytes === 0) this.skipReason = why;
    this.skippedBytes += count;
  }

  private reportSkipped(): void {
    if (this.skippedBytes === 0) return;
    this.report(`virtlint-lsp: skipped ${this.skippedBytes} bytes of input after ${this.skipReason}`);
    this.skippedBytes = 0;
  }
}

/** The Content-Length digits of a header block whose lines are all `Name: value` headers, or undefined. */
function contentLengthOf(block: string): string | undefined {
  const lines = block.split('\r\n');
  if (!lines.every((line) => HEADER_LINE.test(line))) return undefined;
  for (const line of lines) {
    const match = CONTENT_LENGTH_LINE.exec(line);
    if (match) return match[1];
  }
  return undefined;
}

/**
 * Where inside a malformed header block (at `from` or later) a usable one starts: at a
 * `Content-Length:` from which every following line is a header line and some line from there
 * on gives a length; -1 when there is none. One pass over the block, however many candidates.
 */
function usableHeaderStart(block: string, from: number): number {
  const lines = block.split('\r\n');
  // For each line: are all the lines after it header lines, and does one of them give a length?
  const restAreHeaders: boolean[] = new Array<boolean>(lines.length);
  const restHasLength: boolean[] = new Array<boolean>(lines.length);
  let headersSoFar = true;
  let lengthSoFar = false;
  for (let i = lines.length - 1; i >= 0; i--) {
    restAreHeaders[i] = headersSoFar;
    restHasLength[i] = lengthSoFar;
    const line = lines[i] as string;
    headersSoFar &&= HEADER_LINE.test(line);
    lengthSoFar ||= CONTENT_LENGTH_LINE.test(line);
  }
  const lower = block.toLowerCase();
  let lineIndex = 0;
  let lineStart = 0;
  for (let at = lower.indexOf(CONTENT_LENGTH_NAME, from); at >= 0; at = lower.indexOf(CONTENT_LENGTH_NAME, at + 1)) {
    while (lineStart + (lines[lineIndex] as string).length < at) {
      lineStart += (lines[lineIndex] as string).length + 2;
      lineIndex++;
    }
    if (!restAreHeaders[lineIndex]) continue;
    const ownLine = block.slice(at, lineStart + (lines[lineIndex] as string).length);
    if (CONTENT_LENGTH_LINE.test(ownLine) || restHasLength[lineIndex]) return at;
  }
  return -1;
}
