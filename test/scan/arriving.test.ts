// Code swept while it is still being read: the passes over what has arrived must make exactly the
// sweep of the whole section (the same findings in the same order), and read nothing that has not
// arrived. Bytes not yet delivered hold PUSHF (0x9C), which a sweep that read them would report.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveRuleSelection } from '../../server/src/analysis/catalogue';
import { referenceSweep, type Bitness } from '../../server/src/binary/sweep';
import { ScanInputError } from '../../server/src/binary/image';
import { ArrivingBytes } from '../../server/src/scan/arriving';
import { loadImage, openImageFile } from '../../server/src/scan/load';
import { scanImage, type ArrivingCode, type BinaryFinding, type ScanOptions } from '../../server/src/scan/scanner';
import { randomBytes } from './toolchain';

const ALL = resolveRuleSelection(['all'], 'deprivileged-kernel');
const POISON = 0x9c;

/** Delivers `source` into `target` a chunk at a time, each time the sweep waits; the rest of `target` is PUSHF. */
class SlowDelivery implements ArrivingCode {
  delivered = 0;
  waits = 0;
  private draw: number;

  constructor(
    private readonly source: Uint8Array,
    private readonly target: Uint8Array,
    private readonly maxChunk: number,
    seed: number,
  ) {
    this.draw = seed;
    target.fill(POISON);
  }

  loaded(fileOffset: number, length: number): number {
    return Math.max(0, Math.min(length, this.delivered - fileOffset));
  }

  arrival(): Promise<void> {
    this.waits++;
    this.draw = (Math.imul(this.draw, 1103515245) + 12345) >>> 0;
    const size = 1 + (this.draw % this.maxChunk);
    const end = Math.min(this.source.length, this.delivered + size);
    this.target.set(this.source.subarray(this.delivered, end), this.delivered);
    this.delivered = end;
    // Resolved later, as a read's completion is.
    return new Promise((resolve) => setImmediate(resolve));
  }
}

function options(includeInt3: boolean, arriving?: ArrivingCode): ScanOptions {
  const base: ScanOptions = { profile: 'deprivileged-kernel', enabled: ALL.enabled, includeInt3, sweep: 'linear' };
  return arriving ? { ...base, arriving } : base;
}

const summary = (findings: BinaryFinding[]): string[] => findings.map((f) => `${f.address.toString(16)} ${f.ruleId} ${f.text} ${f.bytes}`);

describe('scan: code swept as it arrives', function () {
  this.timeout(120_000);

  for (const bits of [16, 32, 64] as const) {
    it(`${bits}-bit random code delivered in small chunks: the findings of the whole sweep, in order`, async () => {
      const code = randomBytes(200_000, 40 + bits);
      for (const includeInt3 of [false, true]) {
        const whole = await scanImage(loadImage(code, { raw: true, bits }), options(includeInt3));
        const target = new Uint8Array(code.length);
        const delivery = new SlowDelivery(code, target, 3000, bits);
        const arriving = await scanImage(loadImage(target, { raw: true, bits }), options(includeInt3, delivery));
        assert.ok(delivery.waits > 50, `the sweep waited for the code (${delivery.waits} times)`);
        assert.deepEqual(summary(arriving.findings), summary(whole.findings), `${bits}-bit, INT3 ${includeInt3 ? 'reported' : 'skipped'}`);
        if (includeInt3) assert.deepEqual(arriving.findings.map((f) => Number(f.address)), reported(code, bits));
        const lengths = instructionLengths(code, bits);
        for (const f of arriving.findings) {
          const at = Number(f.address);
          assert.equal(f.bytes, Buffer.from(code.subarray(at, at + lengths.get(at)!)).toString('hex'), `bytes at ${at}`);
        }
      }
    });
  }

  it('instructions that straddle each delivery: chunks of 1 to 20 bytes', async () => {
    const code = randomBytes(20_000, 7);
    const whole = await scanImage(loadImage(code, { raw: true, bits: 64 }), options(true));
    const target = new Uint8Array(code.length);
    const arriving = await scanImage(loadImage(target, { raw: true, bits: 64 }), options(true, new SlowDelivery(code, target, 20, 3)));
    assert.deepEqual(summary(arriving.findings), summary(whole.findings));
  });

  it('a large ELF read in the background (this node binary): the same findings as reading it whole, linear and with discovery', async () => {
    const file = process.execPath;
    const size = fs.statSync(file).size;
    const opened = openImageFile(file, size, { inBackground: true, sections: ['.text'] });
    assert.ok(opened.arriving, 'the code sections arrive in the background');
    const image = loadImage(opened.bytes, { sections: ['.text'] });
    const linear = await scanImage(image, { ...options(false), arriving: opened.arriving });
    await opened.arriving.settled();
    const whole = loadImage(new Uint8Array(fs.readFileSync(file)), { sections: ['.text'] });
    assert.deepEqual(summary(linear.findings), summary((await scanImage(whole, options(false))).findings));
    assert.ok(linear.findings.length > 0, 'node has findings in .text');

    const again = openImageFile(file, size, { inBackground: true, sections: ['.text'] });
    const discovered = await scanImage(loadImage(again.bytes, { sections: ['.text'] }), { ...options(false), sweep: 'discover', arriving: again.arriving! });
    await again.arriving?.settled();
    assert.deepEqual(summary(discovered.findings), summary((await scanImage(whole, { ...options(false), sweep: 'discover' })).findings));
  });
});

describe('scan: a background read that fails', () => {
  it('ends the scan of that file with the read\'s error (the command\'s fatal report) and closes the file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtlint-arriving-'));
    try {
      // Reading a directory's descriptor fails (EISDIR) as a read error on a real file would.
      const bytes = new Uint8Array(3 << 20);
      const arriving = new ArrivingBytes(fs.openSync(dir, 'r'), bytes, [{ offset: 0, length: 2 << 20 }]);
      const isReadError = (error: unknown): boolean => error instanceof ScanInputError && /directory|EISDIR/i.test(error.message);
      await assert.rejects(arriving.arrival(), isReadError);
      assert.equal(arriving.loaded(0, 2 << 20), 0, 'nothing counts as arrived');
      await arriving.settled();

      const again = new ArrivingBytes(fs.openSync(dir, 'r'), bytes, [{ offset: 0, length: 2 << 20 }]);
      await assert.rejects(scanImage(loadImage(bytes, { raw: true, bits: 64 }), options(false, again)), isReadError);
      await again.settled();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Offsets of the instructions a rule covers, by the plain iced loop. */
function reported(code: Uint8Array, bits: Bitness): number[] {
  return referenceSweep(code, bits).offsets;
}

/** Instruction start → length, by the plain iced loop. */
function instructionLengths(code: Uint8Array, bits: Bitness): Map<number, number> {
  const lengths = new Map<number, number>();
  referenceSweep(code, bits, (offset, length) => lengths.set(offset, length));
  return lengths;
}
