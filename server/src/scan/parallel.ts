// Parallel linear sweep that gives exactly the result of one sequential sweep.
//
// A section is cut into chunks; chunk 0 is swept on the calling thread, the others by workers
// that start decoding at their chunk's first byte and record where their instructions start in
// the first RESYNC_WINDOW bytes. The true sweep (chunk k-1's, which is exact by induction) runs
// up to its chunk end and then, instruction by instruction, until it lands on one of chunk k's
// recorded starts. From that instruction on both sweeps decode the same bytes the same way, so
// chunk k's hits from there are the true ones. x86 code re-synchronises within a few instructions;
// if it does not within the window, the chunk is simply swept again from the true position.
import * as fs from 'fs';
import * as path from 'path';
import type { Worker } from 'worker_threads';
import { appendHits, fastSweep, type Bitness, type SweepHits } from '../binary/sweep';
import type { ChunkRequest, ChunkResponse } from './worker';

export const RESYNC_WINDOW = 4096;
/** Below this size a worker costs more than it saves (a worker takes ~70 ms to start and load iced). */
export const PARALLEL_MIN_BYTES = 2 * 1024 * 1024;

/** Where the worker script is: next to this module (tsc output) or next to the bundle (dist/scan-worker.js). */
export function workerScriptPath(): string | undefined {
  for (const candidate of [path.join(__dirname, 'worker.js'), path.join(__dirname, 'scan-worker.js')]) {
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Started early (before the file is read) so that worker start-up overlaps the main thread's work. */
export class SweepWorkers {
  private readonly workers: { worker: Worker; ready: Promise<void>; started: boolean }[] = [];
  private nextId = 1;
  private readonly pending = new Map<number, (response: ChunkResponse) => void>();

  constructor(count: number, script: string) {
    // Required here, not imported: a scan on one thread (the default) does not load worker_threads.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Worker: WorkerThread } = require('worker_threads') as typeof import('worker_threads');
    for (let i = 0; i < count; i++) {
      const worker = new WorkerThread(script);
      worker.unref();
      let markReady: () => void = () => undefined;
      const ready = new Promise<void>((resolve) => (markReady = resolve));
      const slot = { worker, ready, started: false };
      worker.on('message', (message: ChunkResponse | { ready: true }) => {
        if ('ready' in message) {
          slot.started = true;
          return markReady();
        }
        const done = this.pending.get(message.id);
        this.pending.delete(message.id);
        done?.(message);
      });
      worker.on('error', (error) => {
        for (const [id, done] of this.pending) done({ id, offsets: [], codes: [], boundaries: [], end: 0, error: error.message });
        this.pending.clear();
        slot.started = true;
        markReady();
      });
      this.workers.push(slot);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /** Whether the worker that would take chunk request `index` has started (loaded its script). */
  isStarted(index: number): boolean {
    return this.workers[index % this.workers.length]!.started;
  }

  /** Resolves when every worker has started. */
  async allStarted(): Promise<void> {
    await Promise.all(this.workers.map((slot) => slot.ready));
  }

  /** Sends the request `make` gives once the worker has started; none (undefined) when `make` gives none. */
  async sweep(index: number, make: () => Omit<ChunkRequest, 'id'> | undefined): Promise<ChunkResponse | undefined> {
    const slot = this.workers[index % this.workers.length]!;
    await slot.ready;
    const request = make();
    if (!request) return undefined;
    const id = this.nextId++;
    return new Promise<ChunkResponse>((resolve) => {
      this.pending.set(id, resolve);
      slot.worker.postMessage({ ...request, id }, [request.bytes.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}

/** How the chunk seams were joined (for tests and benchmarks). */
export interface SeamStats {
  /** The true sweep met the chunk's own boundaries: the worker's hits were used. */
  joined: number;
  /** No meeting point within the window: the chunk was swept again on this thread. */
  reswept: number;
  /** The worker had not started when the chunk was due: this thread swept it instead of waiting. */
  local?: number;
}

/** Exact sweep of a whole block, split between this thread and the workers. */
export async function parallelSweep(
  bytes: Uint8Array,
  bits: Bitness,
  includeInt3: boolean,
  workers: SweepWorkers,
  chunks = workers.size + 1,
  stats: SeamStats = { joined: 0, reswept: 0 },
): Promise<SweepHits> {
  if (chunks < 2 || bytes.length < 2 * RESYNC_WINDOW) return fastSweep(bytes, bits, { start: 0, stop: bytes.length }, { includeInt3 });
  const starts: number[] = [];
  for (let k = 0; k < chunks; k++) starts.push(Math.floor((bytes.length * k) / chunks));
  starts.push(bytes.length);

  // A worker takes ~100 ms of CPU to start (Node's bootstrap without its snapshot, the bundle without
  // the code cache), more than a kernel's whole sweep: a chunk whose worker has not started when this
  // thread reaches it is swept here rather than waited for, and is then never sent.
  const taken: boolean[] = [];
  const remote: Promise<ChunkResponse | undefined>[] = [];
  for (let k = 1; k < chunks; k++) {
    const from = starts[k]!;
    const to = starts[k + 1]!;
    // A copy, made when the worker is there: the chunk and the 15 bytes an instruction may run past its end.
    // (Uint8Array's slice, not Buffer's, which would return a view and make postMessage clone the whole file.)
    const request = (): Omit<ChunkRequest, 'id'> | undefined =>
      taken[k] ? undefined : { bytes: Uint8Array.prototype.slice.call(bytes, from, Math.min(bytes.length, to + 15)), bits, stop: to - from, recordTo: RESYNC_WINDOW, includeInt3 };
    remote.push(workers.sweep(k - 1, request));
  }
  const first = fastSweep(bytes, bits, { start: 0, stop: starts[1]! }, { includeInt3 });
  const offsets = first.offsets;
  const codes = first.codes;
  let truePos = first.end;
  /** The true sweep, on this thread, from where it stands up to `stop`. */
  const sweepHere = (stop: number): void => {
    const part = fastSweep(bytes, bits, { start: truePos, stop }, { includeInt3 });
    appendHits(offsets, codes, part);
    truePos = part.end;
  };
  for (let k = 1; k < chunks; k++) {
    const from = starts[k]!;
    const to = starts[k + 1]!;
    if (!workers.isStarted(k - 1)) {
      taken[k] = true;
      stats.local = (stats.local ?? 0) + 1;
      if (truePos < to) sweepHere(to);
      continue;
    }
    const chunk = await remote[k - 1]!;
    if (!chunk) throw new Error('scan worker: a started worker was sent no chunk');
    if (chunk.error) throw new Error(`scan worker failed: ${chunk.error}`);
    const known = new Set(chunk.boundaries.map((b) => b + from));
    // Walk the true sweep forward until it meets one of the chunk's instruction starts.
    const limit = from + RESYNC_WINDOW;
    while (truePos < to && truePos < limit && !known.has(truePos)) sweepHere(truePos + 1);
    if (truePos >= to) continue; // the true sweep already covered this chunk (tiny chunk)
    if (known.has(truePos)) {
      for (let i = 0; i < chunk.offsets.length; i++) {
        const offset = chunk.offsets[i]! + from;
        if (offset >= truePos) {
          offsets.push(offset);
          codes.push(chunk.codes[i]!);
        }
      }
      truePos = chunk.end + from;
      stats.joined++;
    } else {
      stats.reswept++;
      sweepHere(to);
    }
  }
  return { offsets, codes };
}
