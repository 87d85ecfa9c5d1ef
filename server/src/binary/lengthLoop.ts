// The sweep's length loop as WebAssembly (`lengthLoop.c`, built into lengthLoop.generated.ts).
//
// Why: in JavaScript the loop is interpreted, then compiled by TurboFan several times while it runs
// (a kernel sweep paid ~20 ms of a ~70 ms sweep for that), and a scan is over before the work pays
// off. V8 compiles this small module with Liftoff at once, so the loop runs at machine speed from
// its first instruction. The tables it reads are written from lengths.ts, so the generated shape
// table stays the one source of what is fast-pathed; `fastRun` remains the loop code discovery uses.
import { LENGTH_LOOP_WASM } from './lengthLoop.generated';
import { LENGTH_LOOP_TABLE_BYTES, lengthLoopTables } from './lengths';
import { ensureShapeTable } from './shapes';

interface LoopExports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  tables(): number;
  prepare(): void;
  free_memory(): number;
  sweep_run(bytes: number, pos: number, stop: number, end: number, bits: number, skipInt3: number): number;
}

/** The part of WebAssembly this module uses (the project's TypeScript libraries do not declare it). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

const PAGE = 65536;
/** The loop may read this far past the code it is given (lengthLoop.c `fast_run`). */
const READ_AHEAD = 32;

let compiled: object | undefined;
let unavailable = false;
/** The instance that sizes copies of code that lives elsewhere. */
let scratch: LoopExports | undefined;
/** Instances whose memory holds a file's bytes (`codeMemory`), by that memory's buffer; they never grow. */
const resident = new WeakMap<ArrayBuffer, LoopExports>();

/** A new instance with its tables written, or undefined when there is no shape table or no WebAssembly. */
function instantiate(): LoopExports | undefined {
  if (unavailable) return undefined;
  ensureShapeTable();
  const tables = lengthLoopTables();
  const wasm = (globalThis as unknown as { WebAssembly?: WebAssemblyApi }).WebAssembly;
  if (!tables || !wasm) {
    unavailable = true;
    return undefined;
  }
  compiled ??= new wasm.Module(Buffer.from(LENGTH_LOOP_WASM, 'base64'));
  const made = new wasm.Instance(compiled, {}).exports as LoopExports;
  new Uint8Array(made.memory.buffer, made.tables(), LENGTH_LOOP_TABLE_BYTES).set(tables);
  made.prepare();
  return made;
}

/** Grows the instance's memory to at least `bytes` (detaching views of its old buffer). */
function reserve(loop: LoopExports, bytes: number): void {
  const missing = bytes - loop.memory.buffer.byteLength;
  if (missing > 0) loop.memory.grow(Math.ceil(missing / PAGE));
}

/**
 * `size` zero bytes in memory the loop reads in place: code read into them (a file) is swept
 * without being copied. Undefined when the loop cannot run or the size does not fit its memory.
 */
export function codeMemory(size: number): Uint8Array | undefined {
  const loop = instantiate();
  if (!loop) return undefined;
  const base = loop.free_memory();
  try {
    reserve(loop, base + size + READ_AHEAD);
  } catch {
    return undefined; // past WebAssembly's 4 GB, or no memory: the caller reads into an ordinary array
  }
  const buffer = loop.memory.buffer;
  resident.set(buffer, loop);
  return new Uint8Array(buffer, base, size);
}

/** Sizes code for the sweep; positions are those of the caller's array. */
export interface StagedCode {
  /**
   * Where `fastRun(bytes, pos, stop, end, bits, false)` would stop, with runs of bare INT3 stepped
   * over when `skipInt3` is set (they end a run of the JavaScript loop).
   */
  run(pos: number, stop: number, skipInt3: boolean): number;
}

/**
 * Makes `bytes[from, to)` ready for the loop: in place when they lie in `codeMemory`, else copied
 * into its own memory. `to` must reach 15 bytes past the last instruction start asked about, or
 * the end of the code (`end`, which an instruction may not cross). A copy is good until the next
 * call (there is one scratch area; sweeps do not nest). Undefined when the loop cannot run (no
 * shape table): use `fastRun` then.
 */
export function stageCode(bytes: Uint8Array, from: number, to: number, end: number, bits: number): StagedCode | undefined {
  const limit = Math.min(end, to);
  const inPlace = resident.get(bytes.buffer as ArrayBuffer);
  if (inPlace) {
    const sweepRun = inPlace.sweep_run;
    const at = bytes.byteOffset;
    return { run: (pos, stop, skipInt3) => sweepRun(at, pos, Math.min(stop, limit), limit, bits, skipInt3 ? 1 : 0) };
  }
  scratch ??= instantiate();
  if (!scratch) return undefined;
  const base = scratch.free_memory();
  reserve(scratch, base + (to - from) + READ_AHEAD);
  new Uint8Array(scratch.memory.buffer, base, to - from).set(bytes.subarray(from, to));
  const sweepRun = scratch.sweep_run;
  return { run: (pos, stop, skipInt3) => from + sweepRun(base, pos - from, Math.min(stop, limit) - from, limit - from, bits, skipInt3 ? 1 : 0) };
}
