// The fast-path shape table, computed from iced-x86 by `node out/server/src/scan/generate-shapes.js` and
// stored (deflated) in shapes.generated.ts, so that a scan does not spend ~100 ms asking iced
// about ~2,000 shapes first. test/scan/parallel.test.ts recomputes it and fails if it is stale
// (e.g. after an iced-x86 upgrade). Shapes missing from the table are still checked lazily.
import * as zlib from 'zlib';
import { fastRun, loadShapeBitset } from './lengths';
import { FAST_SHAPES } from './shapes.generated';

let loaded = false;
let primed = false;

export function decodeShapeTable(encoded: string): Uint8Array {
  return encoded === '' ? new Uint8Array(0) : new Uint8Array(zlib.inflateRawSync(Buffer.from(encoded, 'base64')));
}

export function encodeShapeTable(bitset: Uint8Array): string {
  return zlib.deflateRawSync(bitset, { level: 9 }).toString('base64');
}

/** Installs the generated table once (cheap: about a millisecond). */
export function ensureShapeTable(): void {
  if (loaded) return;
  loaded = true;
  loadShapeBitset(decodeShapeTable(FAST_SHAPES));
}

/**
 * The table, and the JavaScript length loop primed, for callers that size with `fastRun` itself
 * (code discovery). The sweep runs the WebAssembly loop and skips the priming (~2 ms).
 */
export function ensureShapeTableAndPrimedLoop(): void {
  ensureShapeTable();
  if (primed) return;
  primed = true;
  primeFastRun();
}

/**
 * Runs the length decoder over a few kilobytes of varied bytes in every mode before real code.
 * V8 optimises the hot loop after a short while, from what each comparison has seen so far; a
 * branch not yet taken then throws the optimised code away when it first is, and the loop is
 * compiled again. A kernel sweep paid five such compilations (~50 ms of CPU); primed, it pays one.
 */
function primeFastRun(): void {
  const bytes = new Uint8Array(PRIMER_BYTES);
  let x = 0x9e3779b9;
  for (let i = 0; i < bytes.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  for (const bits of [16, 32, 64]) {
    let pos = 0;
    while (pos < bytes.length) {
      const next = fastRun(bytes, pos, bytes.length, bytes.length, bits, false);
      pos = next === pos ? pos + 1 : next;
    }
  }
}

const PRIMER_BYTES = 2048;
