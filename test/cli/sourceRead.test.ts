// Reading a source file: the text must be the file's, whatever path the read takes (ASCII read as
// it is, other text decoded strictly as UTF-8), and the read must end where the file does, for
// sizes around the read's chunk and for files whose size the file system does not know.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeSource, readSourceFile } from '../../server/src/cli/files';
import { removeTree, tempTree } from './helpers';

const MAX_BYTES = 1 << 20;
const CHUNK = 64 * 1024;

function textOf(outcome: ReturnType<typeof readSourceFile>): string {
  assert.ok(outcome.ok, outcome.ok ? '' : outcome.problem);
  return outcome.text;
}

describe('CLI: reading source files', () => {
  let dir: string;
  const sized = (n: number): string => Array.from({ length: n }, (_, i) => String.fromCharCode(32 + ((i * 7) % 95))).join('');
  const sizes = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5];
  before(() => {
    const files: Record<string, string | Uint8Array> = {};
    for (const n of sizes) files[`s${n}.asm`] = sized(n);
    files['utf8.asm'] = 'mov al, 1 ; café ✓\n';
    files['bom.asm'] = '\ufeffpushf\n';
    files['bad.asm'] = new Uint8Array([0x70, 0x75, 0x73, 0x68, 0x66, 0xe9, 0x0a]);
    dir = tempTree(files);
  });
  after(() => removeTree(dir));

  it('reads every byte of files around the chunk size, and nothing more', () => {
    for (const n of sizes) assert.equal(textOf(readSourceFile(path.join(dir, `s${n}.asm`), MAX_BYTES)), sized(n), `${n} bytes`);
  });

  it('reads a file the file system gives no size for to its end (/proc)', () => {
    const text = textOf(readSourceFile('/proc/self/status', MAX_BYTES));
    assert.match(text, /^Name:/);
    assert.ok(text.endsWith('\n'));
  });

  it('decodes UTF-8 as UTF-8, drops a byte-order mark, and says where invalid text starts', () => {
    assert.equal(textOf(readSourceFile(path.join(dir, 'utf8.asm'), MAX_BYTES)), 'mov al, 1 ; café ✓\n');
    const bom = readSourceFile(path.join(dir, 'bom.asm'), MAX_BYTES);
    assert.deepEqual(bom, { ok: true, text: 'pushf\n', hasBom: true });
    assert.deepEqual(readSourceFile(path.join(dir, 's1.asm'), MAX_BYTES), { ok: true, text: ' ', hasBom: false });
    const bad = readSourceFile(path.join(dir, 'bad.asm'), MAX_BYTES);
    assert.deepEqual(bad, { ok: false, problem: 'not UTF-8 text (invalid byte sequence at offset 5); not linted' });
  });

  it('decodes text after invalid text as if it came first', () => {
    const encoder = new TextEncoder();
    assert.equal(decodeSource(new Uint8Array([0xc3]), MAX_BYTES).ok, false);
    assert.deepEqual(decodeSource(encoder.encode('é'), MAX_BYTES), { ok: true, text: 'é', hasBom: false });
    assert.deepEqual(decodeSource(encoder.encode('\ufeffé'), MAX_BYTES), { ok: true, text: 'é', hasBom: true });
  });

  it('gives the stat it was handed the same weight as its own', () => {
    const file = path.join(dir, 's1.asm');
    assert.deepEqual(readSourceFile(file, MAX_BYTES, fs.statSync(file)), readSourceFile(file, MAX_BYTES));
    assert.deepEqual(readSourceFile(file, MAX_BYTES, fs.statSync(dir)), readSourceFile(dir, MAX_BYTES));
  });
});
