// The parallel sweep (worker threads over chunks, re-synchronised at chunk boundaries) must give
// exactly one sequential sweep's hits, whatever the chunking.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseElf } from '../../server/src/binary/elf';
import { parallelSweep, SweepWorkers, workerScriptPath, type SeamStats } from '../../server/src/scan/parallel';
import { computeShapeBitset } from '../../server/src/binary/lengths';
import { decodeShapeTable } from '../../server/src/binary/shapes';
import { FAST_SHAPES } from '../../server/src/binary/shapes.generated';
import { fastSweep, type Bitness } from '../../server/src/binary/sweep';
import { randomBytes } from './toolchain';

describe('scan: parallel sweep equals one sequential sweep', function () {
  this.timeout(120_000);
  let workers: SweepWorkers;

  before(async () => {
    const script = workerScriptPath();
    assert.ok(script, 'the scan worker script (worker.js next to parallel.js) is missing: run tsc');
    workers = new SweepWorkers(3, script);
    await workers.allStarted(); // so that every seam below is joined with a worker's sweep
  });
  after(async () => workers.close());

  async function assertSame(bytes: Uint8Array, bits: Bitness, label: string): Promise<SeamStats> {
    const sequential = fastSweep(bytes, bits, { start: 0, stop: bytes.length }, { includeInt3: true });
    const stats: SeamStats = { joined: 0, reswept: 0 };
    for (const chunks of [2, 3, 4, 7]) {
      const parallel = await parallelSweep(bytes, bits, true, workers, chunks, stats);
      assert.equal(parallel.offsets.length, sequential.offsets.length, `${label}, ${chunks} chunks: hit count`);
      assert.deepEqual(parallel.offsets, sequential.offsets, `${label}, ${chunks} chunks: offsets`);
      assert.deepEqual(parallel.codes, sequential.codes, `${label}, ${chunks} chunks: codes`);
    }
    return stats;
  }

  for (const bits of [16, 32, 64] as const) {
    it(`random bytes, ${bits}-bit, 2 to 7 chunks`, async () => {
      for (const seed of [11, 12]) await assertSame(randomBytes(200_000 + seed, seed * 31 + bits), bits, `seed ${seed}`);
    });
  }

  it('real code: the .text of libc / node, chunk boundaries in the middle of instructions', async () => {
    let checked = 0;
    for (const file of ['/lib/x86_64-linux-gnu/libc.so.6', process.execPath]) {
      if (!fs.existsSync(file)) continue;
      const text = parseElf(new Uint8Array(fs.readFileSync(file))).sections.find((s) => s.name === '.text');
      if (!text) continue;
      const stats = await assertSame(text.bytes.subarray(0, Math.min(text.bytes.length, 3_000_000)), 64, file);
      assert.equal(stats.joined, 1 + 2 + 3 + 6, `${file}: every seam joined the worker's sweep`);
      checked++;
    }
    assert.ok(checked > 0, 'no real ELF .text found (expected libc or the node binary)');
  });

  it('a block that never re-synchronises within the window still comes out exact', async () => {
    // B0 B0 B0 ... is MOV AL, 0xB0 over and over: sweeps from an even and from an odd offset never
    // meet, so a worker that starts at an odd chunk boundary is useless and the chunk is re-swept.
    const bytes = new Uint8Array(120_001).fill(0xb0);
    bytes.fill(0x9c, 0, 64); // some PUSHF hits before the first seam
    bytes.fill(0x9c, bytes.length - 64); // and after the last one
    const stats = await assertSame(bytes, 64, 'never re-synchronising');
    assert.ok(stats.reswept > 0, 'the fallback re-sweep was exercised');
  });

  it('does not wait for workers that have not started: this thread sweeps their chunks', async () => {
    // A worker that never says it is ready stands for one still starting (Node takes ~100 ms of CPU).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtlint-slow-worker-'));
    const script = path.join(dir, 'never-ready.js');
    fs.writeFileSync(script, "require('worker_threads').parentPort.on('message', () => {});\n");
    const slow = new SweepWorkers(2, script);
    try {
      const bytes = randomBytes(100_000, 5);
      const sequential = fastSweep(bytes, 64, { start: 0, stop: bytes.length }, { includeInt3: true });
      const stats: SeamStats = { joined: 0, reswept: 0 };
      const parallel = await parallelSweep(bytes, 64, true, slow, 3, stats);
      assert.deepEqual(parallel.offsets, sequential.offsets);
      assert.deepEqual(parallel.codes, sequential.codes);
      assert.equal(stats.local, 2, 'both chunks swept on this thread');
    } finally {
      await slow.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('scan: generated shape table', function () {
  this.timeout(120_000);

  it('equals the table recomputed from iced-x86 (regenerate with `node out/server/src/scan/generate-shapes.js`)', () => {
    const stored = decodeShapeTable(FAST_SHAPES);
    const fresh = computeShapeBitset();
    assert.equal(stored.length, fresh.length, 'table size');
    const differing = fresh.findIndex((byte, i) => byte !== stored[i]);
    assert.equal(differing, -1, `first differing byte ${differing}`);
    assert.ok(fresh.some((b) => b !== 0), 'the fast path covers some shapes');
  });
});
