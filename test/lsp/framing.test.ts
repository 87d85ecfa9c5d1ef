// The stdio frame sanitizer: linear work on big messages, bounded Content-Length, and
// resynchronisation after garbage; first on the stream itself, then through the real server.
import * as assert from 'node:assert/strict';
import { FrameSanitizer, MAX_CONTENT_LENGTH } from '../../server/src/lsp/framing';
import { codesAndLines, fileUri, LspTestClient, messageText } from './client';
import { NASM_EXPECTED, NASM_SOURCE } from './fixtures';

const CHUNK = 64 * 1024;

function frame(body: string | Buffer): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const header = Buffer.from(`Content-Length: ${bytes.length}\r\n\r\n`, 'latin1');
  const joined = Buffer.alloc(header.length + bytes.length);
  header.copy(joined, 0);
  bytes.copy(joined, header.length);
  return joined;
}

/** A didOpen of a `megabytes` MB document, as one frame. */
function bigDidOpen(uri: string, megabytes: number): Buffer {
  const text = '    nop\n'.repeat((megabytes * 1024 * 1024) / 8);
  return frame(JSON.stringify({ jsonrpc: '2.0', method: 'textDocument/didOpen', params: { textDocument: { uri, languageId: 'asm', version: 1, text } } }));
}

/**
 * Feeds `input` to a sanitizer in slices of `chunkSize` and returns what came out, the bytes
 * it copied by its own count and through Buffer.concat (which the spy aborts past `copyLimit`,
 * so a quadratic copier fails fast instead of running for minutes), and what it reported.
 */
function sanitize(input: Buffer, chunkSize: number, copyLimit = Infinity): { output: Buffer[]; copied: number; reports: string[] } {
  const reports: string[] = [];
  const sanitizer = new FrameSanitizer((message) => reports.push(message));
  const output: Buffer[] = [];
  sanitizer.on('data', (piece: Buffer) => output.push(piece));
  const realConcat = Buffer.concat;
  let concatenated = 0;
  Buffer.concat = (list: readonly Uint8Array[], totalLength?: number): ReturnType<typeof realConcat> => {
    const result = realConcat(list, totalLength);
    concatenated += result.length;
    if (concatenated > copyLimit) throw new Error(`the sanitizer copied more than ${copyLimit} bytes`);
    return result;
  };
  try {
    for (let offset = 0; offset < input.length; offset += chunkSize) sanitizer.write(input.subarray(offset, offset + chunkSize));
    sanitizer.end();
  } finally {
    Buffer.concat = realConcat;
  }
  return { output, copied: concatenated + sanitizer.copiedBytes, reports };
}

function joined(pieces: readonly Buffer[]): Buffer {
  return Buffer.concat(pieces);
}

describe('lsp framing: the stdio sanitizer', function () {
  this.timeout(120000);

  it('passes a 50 MB frame fed in 64 KB chunks on whole, copying only its header', () => {
    const input = bigDidOpen(fileUri('fifty.asm'), 50);
    const { output, copied, reports } = sanitize(input, CHUNK, 10 * input.length);
    assert.equal(Buffer.compare(joined(output), input), 0, 'the frame comes out byte for byte');
    assert.ok(copied < 1024, `copied ${copied} bytes for a ${input.length}-byte frame`);
    assert.deepEqual(reports, []);
  });

  it('refuses an absurd Content-Length and still passes the frame after it', () => {
    const valid = frame('{"jsonrpc":"2.0","id":1,"method":"shutdown"}');
    for (const absurd of ['99999999999999999999', String(MAX_CONTENT_LENGTH + 1)]) {
      const input = Buffer.concat([Buffer.from(`Content-Length: ${absurd}\r\n\r\n{"jsonrpc":"2.0","method":"x","params":{}}`, 'latin1'), valid]);
      for (const chunkSize of [1, 7, CHUNK]) {
        const { output, reports } = sanitize(input, chunkSize);
        assert.equal(joined(output).toString('latin1'), valid.toString('latin1'), `Content-Length ${absurd} in ${chunkSize}-byte chunks`);
        assert.ok(reports.some((report) => report.includes(`ignored a message announcing ${absurd} bytes`)), reports.join('\n'));
      }
    }
  });

  it('resynchronises after every kind of garbage, whatever the chunk size', () => {
    const frames = ['{"id":1}', '{"id":2,"text":"Content-Length: 3\\r\\n\\r\\n"}', '{}', '{"id":"é"}'].map((body) => frame(body));
    const garbage = ['Garbage: yes\r\n\r\n{}', 'Content-Length: lots\r\n\r\n{}', '\x00\x01 random bytes \xff\r\n', 'xx', 'Content-Type: text\r\nX\r\n\r\n', 'content-length: 4 2\r\n\r\n'];
    const pieces: Buffer[] = [];
    const expected: Buffer[] = [];
    for (let i = 0; i < 40; i++) {
      pieces.push(Buffer.from(garbage[i % garbage.length] as string, 'latin1'));
      const good = frames[i % frames.length] as Buffer;
      pieces.push(good);
      expected.push(good);
    }
    const input = Buffer.concat(pieces);
    for (const chunkSize of [1, 2, 3, 5, 64, CHUNK]) {
      const { output, reports } = sanitize(input, chunkSize);
      assert.equal(joined(output).toString('latin1'), Buffer.concat(expected).toString('latin1'), `chunks of ${chunkSize}`);
      assert.ok(reports.length > 0 && reports.every((report) => /skipped \d+ bytes of input after/.test(report)));
    }
  });

  it('copies garbage at most a few times over, however it is shaped', () => {
    const valid = frame('{"id":1}');
    const shapes = {
      'a header that never ends': 'content-length: 1'.repeat(200_000),
      'header blocks full of near misses': ('content-length: x\r\n'.repeat(400) + '\r\n').repeat(100),
      'blank lines': '\r\n'.repeat(500_000),
    };
    for (const [shape, text] of Object.entries(shapes)) {
      const garbage = Buffer.from(text, 'latin1');
      const { output, copied } = sanitize(Buffer.concat([garbage, valid]), CHUNK, 4 * garbage.length);
      assert.equal(joined(output).toString('latin1'), valid.toString('latin1'), shape);
      assert.ok(copied <= 3 * garbage.length, `${shape}: copied ${copied} bytes for ${garbage.length} bytes of garbage`);
    }
  });
});

describe('lsp framing: through the server over stdio', function () {
  this.timeout(180000);
  let client: LspTestClient;
  beforeEach(async () => (client = await LspTestClient.start({ pull: true })));
  afterEach(async () => void (await client.stop()));

  it('takes a 50 MB didOpen written in 64 KB pieces and answers about it', async () => {
    const uri = fileUri('fifty-stdio.asm');
    const input = bigDidOpen(uri, 50);
    for (let offset = 0; offset < input.length; offset += CHUNK) client.child.stdin.write(input.subarray(offset, offset + CHUNK));
    const report = await client.pull(uri);
    // The document arrived (it is too big to lint, so it gets the single notice).
    assert.equal(report.items?.length, 1);
    assert.match(messageText(report.items![0]!), /more than virtlint\.maxFileSize/);
  });

  it('answers the request after a frame announcing 99999999999999999999 bytes', async () => {
    client.writeRaw('Content-Length: 99999999999999999999\r\n\r\n');
    const uri = fileUri('after-absurd.asm');
    await client.open(uri, NASM_SOURCE);
    const report = await client.pull(uri);
    assert.deepEqual(codesAndLines(report.items ?? []), NASM_EXPECTED);
    assert.match(client.stderr, /ignored a message announcing 99999999999999999999 bytes/);
  });
});
