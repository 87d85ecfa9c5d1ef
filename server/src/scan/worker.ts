// Worker-thread entry for parallel scans: sweeps one chunk of a section on request.
// Bundled builds ship it as dist/scan-worker.js (see parallel.ts for how it is found).
import { parentPort } from 'worker_threads';
import { fastSweep, type Bitness } from '../binary/sweep';
import { icedReady } from '../binary/icedReady';

export interface ChunkRequest {
  id: number;
  /** The chunk's bytes plus up to 15 bytes after it (an instruction may run past the chunk end). */
  bytes: Uint8Array;
  bits: Bitness;
  /** Sweep until the first instruction starting at or after this offset (relative to `bytes`). */
  stop: number;
  /** Record instruction starts below this offset, for re-synchronisation with the previous chunk. */
  recordTo: number;
  includeInt3: boolean;
}

export interface ChunkResponse {
  id: number;
  offsets: number[];
  codes: number[];
  boundaries: number[];
  end: number;
  error?: string;
}

const port = parentPort;
if (port) {
  port.on('message', (request: ChunkRequest) => {
    try {
      const boundaries: number[] = [];
      const result = fastSweep(request.bytes, request.bits, { start: 0, stop: request.stop }, {
        includeInt3: request.includeInt3,
        recordFrom: 0,
        recordTo: request.recordTo,
        boundaries,
      });
      const response: ChunkResponse = { id: request.id, offsets: result.offsets, codes: result.codes, boundaries, end: result.end };
      port.postMessage(response);
    } catch (e) {
      const response: ChunkResponse = { id: request.id, offsets: [], codes: [], boundaries: [], end: 0, error: e instanceof Error ? e.message : String(e) };
      port.postMessage(response);
    }
  });
  // Ready once iced-x86 is compiled (in the background, in the bundle): a chunk never waits inside a decode.
  void icedReady().then(() => port.postMessage({ ready: true }));
}
