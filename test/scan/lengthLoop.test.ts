// The WebAssembly length loop (server/src/binary/lengthLoop.c): the committed module is its source
// compiled, and it stops exactly where the JavaScript loop (`fastRun`) stops. The sweep tests
// (sweep.test.ts, parallel.test.ts) hold the sweep that runs on it to a plain iced sweep.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { parseElf } from '../../server/src/binary/elf';
import { fastRun } from '../../server/src/binary/lengths';
import { codeMemory, stageCode } from '../../server/src/binary/lengthLoop';
import { fastSweep } from '../../server/src/binary/sweep';
import { LENGTH_LOOP_WASM } from '../../server/src/binary/lengthLoop.generated';
import { ensureShapeTable } from '../../server/src/binary/shapes';
import { compileLengthLoop } from '../../server/src/scan/lengthLoopBuild';
import { randomBytes } from './toolchain';

/** Every position (or every `step`-th) sized one instruction at a time and in runs, by both loops. */
function assertSameStops(bytes: Uint8Array, bits: number, label: string, step = 1): number {
  const staged = stageCode(bytes, 0, bytes.length, bytes.length, bits);
  assert.ok(staged, 'the WebAssembly loop is available once the shape table is loaded');
  let sized = 0;
  for (let pos = 0; pos < bytes.length; pos += step) {
    const one = fastRun(bytes, pos, pos + 1, bytes.length, bits, false);
    assert.equal(staged.run(pos, pos + 1, false), one, `${label}: one instruction at ${pos}: ${Buffer.from(bytes.subarray(pos, pos + 16)).toString('hex')}`);
    if (one > pos) sized++;
    const stop = Math.min(bytes.length, pos + 200);
    assert.equal(staged.run(pos, stop, false), fastRun(bytes, pos, stop, bytes.length, bits, false), `${label}: run from ${pos}`);
  }
  return sized;
}

describe('scan: WebAssembly length loop', function () {
  this.timeout(120_000);
  before(() => ensureShapeTable());

  it('is lengthLoop.c compiled (regenerate with `node out/server/src/scan/generate-length-loop.js`)', () => {
    const committed = Buffer.from(LENGTH_LOOP_WASM, 'base64');
    assert.ok(committed.length > 0, 'lengthLoop.generated.ts holds a module');
    assert.ok(compileLengthLoop().equals(committed), 'lengthLoop.generated.ts differs from clang output for lengthLoop.c');
  });

  for (const bits of [16, 32, 64]) {
    it(`stops where fastRun stops on random bytes, ${bits}-bit`, () => {
      const sized = assertSameStops(randomBytes(40_000, 77 + bits), bits, `random ${bits}`);
      assert.ok(sized > 10_000, `only ${sized} positions were sized`);
    });
  }

  it('stops where fastRun stops on real code (libc .text), at every byte, and at the end of the code', () => {
    const libc = '/lib/x86_64-linux-gnu/libc.so.6';
    const text = parseElf(fs.readFileSync(libc)).sections.find((section) => section.name === '.text');
    assert.ok(text, `${libc} has a .text section`);
    assertSameStops(text.bytes.subarray(0, 200_000), 64, 'libc .text');
    // An instruction cut by the end of the code is refused by both, whatever lies in memory past it.
    const cut = Uint8Array.from([0x48, 0x8b, 0x84, 0x24, 0x10, 0x01, 0x00, 0x00]);
    for (let end = 1; end <= cut.length; end++) assertSameStops(cut.subarray(0, end), 64, `cut at ${end}`);
  });

  it('steps over INT3 runs only when asked, and stops at the stop point', () => {
    const bytes = Uint8Array.from([0x90, ...new Array<number>(37).fill(0xcc), 0x48, 0x89, 0xc3, 0xcc, 0xcc, 0x90]);
    const staged = stageCode(bytes, 0, bytes.length, bytes.length, 64)!;
    assert.equal(staged.run(0, bytes.length, false), 1, 'an INT3 ends the run');
    assert.equal(staged.run(0, bytes.length, true), bytes.length, 'INT3 runs stepped over');
    assert.equal(staged.run(0, 20, true), 20, 'the stop point lies inside a run');
    assert.equal(staged.run(5, bytes.length, true), bytes.length, 'positions are those of the array');
  });

  it('sweeps code read into its memory in place as it sweeps a copy, at any offset in it', () => {
    const code = randomBytes(60_000, 5);
    const resident = codeMemory(code.length + 1000);
    assert.ok(resident, 'code memory is available');
    resident.set(code, 1000);
    const section = resident.subarray(1000);
    for (const bits of [16, 32, 64] as const) {
      for (const includeInt3 of [false, true]) {
        const copied = fastSweep(code, bits, { start: 0, stop: code.length }, { includeInt3 });
        const inPlace = fastSweep(section, bits, { start: 0, stop: code.length }, { includeInt3 });
        assert.deepEqual(inPlace, copied, `${bits}-bit, INT3 ${includeInt3 ? 'reported' : 'skipped'}`);
        const part = fastSweep(section, bits, { start: 123, stop: 40_000 }, { includeInt3 });
        assert.deepEqual(part, fastSweep(code, bits, { start: 123, stop: 40_000 }, { includeInt3 }), `${bits}-bit, part of the code`);
      }
    }
  });
});
