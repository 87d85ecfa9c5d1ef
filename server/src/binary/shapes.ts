// The fast-path shape table, computed from iced-x86 by `node out/server/src/scan/generate-shapes.js` and
// stored (deflated) in shapes.generated.ts, so that a scan does not spend ~100 ms asking iced
// about ~2,000 shapes first. test/scan/parallel.test.ts recomputes it and fails if it is stale
// (e.g. after an iced-x86 upgrade). Shapes missing from the table are still checked lazily.
import * as zlib from 'zlib';
import { loadShapeBitset } from './lengths';
import { FAST_SHAPES } from './shapes.generated';

let loaded = false;

export function decodeShapeTable(encoded: string): Uint8Array {
  return encoded === '' ? new Uint8Array(0) : new Uint8Array(zlib.inflateRawSync(Buffer.from(encoded, 'base64')));
}

export function encodeShapeTable(bitset: Uint8Array): string {
  return zlib.deflateRawSync(bitset, { level: 9 }).toString('base64');
}

/** Installs the generated table once (cheap: a few milliseconds). */
export function ensureShapeTable(): void {
  if (loaded) return;
  loaded = true;
  loadShapeBitset(decodeShapeTable(FAST_SHAPES));
}
