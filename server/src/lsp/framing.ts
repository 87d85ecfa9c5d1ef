// Guards the stdio transport against framing garbage. vscode-jsonrpc's reader stops reading
// for good after a header block without a usable Content-Length; this stream passes on only
// well-formed frames and, after garbage, resynchronises on the next `Content-Length:` header.
import { Transform, type TransformCallback } from 'node:stream';

const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');
const CONTENT_LENGTH = /^content-length:[ \t]*(\d+)[ \t]*$/im;
/** A header block longer than this is garbage, whatever it contains. */
const MAX_HEADER_BYTES = 8192;

export class FrameSanitizer extends Transform {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly report: (message: string) => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    for (;;) {
      const headerEnd = this.pending.indexOf(HEADER_END);
      if (headerEnd < 0) {
        if (this.pending.length > MAX_HEADER_BYTES) this.resync('a header block that never ends');
        break;
      }
      const header = this.pending.subarray(0, headerEnd).toString('latin1');
      const length = CONTENT_LENGTH.exec(header);
      if (headerEnd > MAX_HEADER_BYTES || !length || !header.split('\r\n').every((line) => /^[A-Za-z-]+:/.test(line))) {
        this.resync(`a malformed header (${JSON.stringify(header.slice(0, 80))})`);
        continue;
      }
      const total = headerEnd + HEADER_END.length + Number(length[1]);
      if (this.pending.length < total) break;
      this.push(this.pending.subarray(0, total));
      this.pending = this.pending.subarray(total);
    }
    done();
  }

  /** Drops bytes up to the next `Content-Length:` after the start (or everything). */
  private resync(what: string): void {
    const text = this.pending.toString('latin1').toLowerCase();
    const next = text.indexOf('content-length:', 1);
    this.report(`virtlint-lsp: skipped ${next < 0 ? this.pending.length : next} bytes of input after ${what}`);
    this.pending = next < 0 ? Buffer.alloc(0) : this.pending.subarray(next);
  }
}
