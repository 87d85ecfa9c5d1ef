// `--jobs`: the lint command's work spread over worker threads, with exactly the serial result.
//
// Two kinds of job: a consecutive slice of the project's roots walked (the project model's
// `ProgramRun.walkPart`), and a batch of C, C++ and Rust files linted. This thread takes walks
// first (it needs them all before it merges them into per-file results), the workers C files
// first. Walks are handed out by message; C batches are claimed from a counter in shared memory,
// so a worker goes from one batch to the next without waiting for this thread (which may be deep
// in a long walk); this thread, its walks done, claims batches too only while most are unclaimed
// (or when no worker is left). The slices are
// merged in root order and the host reports put back in input order, so neither the split nor
// which thread ran a job changes the output. Each worker re-reads the command line and the
// configuration itself: the project's settings hold functions, which cannot be posted.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { ProgramRun, type ProgramPart } from '../analysis/project';
import type { FileReport } from '../report';
import type { CommandIo } from '../report/options';
import { parseArgs, type CliOptions } from './args';
import { lintHostFile, newHostRun, type HostRun } from './embeddedLint';
import type { InputFile } from './files';
import { loadProject, type Project } from './project';
import { projectInput, ProjectReader, type ProjectAnalyzer } from './projectLint';

/** Without `--jobs`, fewer C, C++ and Rust files than this are linted on this thread alone (a worker takes ~100 ms to start). */
export const PARALLEL_MIN_FILES = 64;
/** Roots per walk job and files per host batch: small enough to balance the threads, big enough to keep messages few. */
const ROOTS_PER_JOB = 8;
const HOST_FILES_PER_JOB = 4;
/** Jobs a worker holds at once, so it never waits for this thread to hand it the next. */
const JOBS_IN_FLIGHT = 2;
/** Instance ids of the walk slices (and of the walks run after them) must not meet. */
const INSTANCE_ID_STRIDE = 1_000_000_000;

const WORKER_KIND = 'virtlint-lint-worker';

/** Jobs the workers of this process have finished, by kind (tests check that a run really was shared). */
export const workerJobsDone = { walk: 0, host: 0 };

let thisThreadTakesJobs = true;

let workersDieAfterHostBatch = false;

/** Tests: with true, a worker ends itself after its first C batch, holding the next one it claimed, which this thread must then run. */
export function setWorkersDieAfterHostBatch(die: boolean): void {
  workersDieAfterHostBatch = die;
}

/** Tests: with false, this thread leaves every job to the workers while one is alive, so their part is certain. */
export function setThisThreadTakesJobs(takes: boolean): void {
  thisThreadTakesJobs = takes;
}

interface WorkerSetup {
  kind: typeof WORKER_KIND;
  argv: string[];
  cwd: string;
  /** Its slot's number plus one, as it notes the C batches it claims. */
  slotMark: number;
  /** Tests (`setWorkersDieAfterHostBatch`). */
  dieAfterHostBatch?: boolean;
}

/** What a worker is posted: walks only (C batches are claimed through `HostShare`). */
type JobMessage = { kind: 'walk'; roots: string[]; firstInstanceId: number };
/**
 * The C files of a run, cut in batches a thread claims by adding one to `claims[0]`; a worker
 * notes itself in `claims[1 + batch]` (its slot's number plus one), so the batches of a worker
 * that dies are run here.
 */
interface HostShare {
  kind: 'hosts';
  files: InputFile[];
  batchSize: number;
  claims: Int32Array;
}
type WorkerReply = { ready: true } | { hostsDone: true } | { batch: number; linted?: HostLinted[]; error?: string } | { id: number; outcome?: JobOutcome; error?: string };
export type HostLinted = { report: FileReport; failed: boolean };
type JobOutcome = { kind: 'walk'; part: ProgramPart } | { kind: 'host'; linted: HostLinted[] };

interface Job {
  /** Runs the job on this thread (when no worker took it, or its worker failed). */
  local(): JobOutcome;
  done(outcome: JobOutcome): void;
  failed(error: unknown): void;
}

/** A job a worker may be posted. */
interface WalkJob extends Job {
  message: JobMessage;
}

/** Runs a job here; an error it throws is its promise's, as it would have been the serial run's. */
function runHere(job: Job): void {
  let outcome: JobOutcome;
  try {
    outcome = job.local();
  } catch (e) {
    job.failed(e);
    return;
  }
  job.done(outcome);
}

interface WorkerSlot {
  worker: Worker;
  ready: boolean;
  dead: boolean;
  /** Claiming C batches: no walk is posted to it until it says it is done. */
  claimingHosts: boolean;
  inFlight: Map<number, WalkJob>;
}

/** The C batches of the run: what came back, and how to run one here. */
interface HostBatches {
  share: HostShare;
  count: number;
  done: (HostLinted[] | undefined)[];
  left: number;
  runHere(batch: number): HostLinted[];
  settled: Promise<void>;
  settle(batch: number, linted: HostLinted[]): void;
  fail(error: unknown): void;
}

/**
 * Threads for this run: `--jobs`, or else the cores (at most four) when there are enough C, C++
 * and Rust files to share. Walks alone are not spread unless `--jobs` asks: a worker copies its
 * walks back and warms its own caches, which on two cores costs about what it saves (V8's
 * compiler and collector threads already take much of the second core). On two cores C files
 * alone stay on this thread too: each thread reads every header again, and the two run slower
 * side by side (arch/x86's C files: 2.35 s on two threads, 1.99 s on one); a worker pays off
 * there only while this thread has assembly to read.
 */
export function threadCount(jobs: number | undefined, hostFiles: number, available: number, thisThreadHasAssembly: boolean): number {
  if (jobs !== undefined) return jobs;
  if (hostFiles < PARALLEL_MIN_FILES || (available <= 2 && !thisThreadHasAssembly)) return 1;
  return Math.max(1, Math.min(available, 4));
}

/**
 * Whether this thread, its walks done, claims C batches too: always when no worker lives, else
 * only while most are unclaimed. Its first batch reads every header again (about half a second of
 * CPU over arch/x86), which a worker already warm on them would mostly have finished meanwhile:
 * joining late only adds that work and the memory traffic that slows the worker down.
 */
export function mainThreadJoinsHostBatches(claimed: number, count: number, workerAlive: boolean): boolean {
  return !workerAlive || claimed * 2 < count;
}

/** The script a worker runs: the command's own entry (the bundle, or the tsc output's main/virtlint.js). */
function workerScript(): string | undefined {
  const candidate = path.basename(__filename) === 'parallel.js' ? path.join(__dirname, '..', 'main', 'virtlint.js') : __filename;
  return fs.existsSync(candidate) ? candidate : undefined;
}

/**
 * A worker starts on C files only once it has loaded the bundle: through the launcher's V8 code
 * cache (bin/compileCache.js, next to dist/) it skips compiling what the main thread's runs
 * compiled, as the command itself does. The bundle serves as a worker when it is loaded.
 */
function startWorker(script: string, setup: WorkerSetup): Worker {
  const loader = path.join(path.dirname(script), '..', 'bin', 'compileCache.js');
  if (path.basename(script) !== 'cli.js' || !fs.existsSync(loader)) return new Worker(script, { workerData: setup });
  const boot = `require(${JSON.stringify(loader)}).requireWithCompileCache(${JSON.stringify(script)});`;
  return new Worker(boot, { eval: true, workerData: setup });
}

export class LintWorkers {
  private readonly slots: WorkerSlot[] = [];
  /** Jobs no thread has taken: walks first. */
  private readonly walks: WalkJob[] = [];
  /** C batches a dead worker had claimed, to run here. */
  private readonly orphanBatches: number[] = [];
  private hostBatches: HostBatches | undefined;
  private nextJobId = 1;

  private constructor(
    private readonly project: Project,
    private readonly options: CliOptions,
    private readonly workersWalk: boolean,
  ) {}

  /**
   * Starts `threads - 1` workers (this thread is the other); undefined when there is nothing to
   * start or no script to start it from. Without `workersWalk` the workers take only C files.
   */
  static start(threads: number, workersWalk: boolean, argv: readonly string[], cwd: string, project: Project, options: CliOptions): LintWorkers | undefined {
    const script = workerScript();
    if (threads < 2 || script === undefined) return undefined;
    const workers = new LintWorkers(project, options, workersWalk);
    for (let i = 1; i < threads; i++) workers.spawn(script, { kind: WORKER_KIND, argv: [...argv], cwd, slotMark: i, ...(workersDieAfterHostBatch ? { dieAfterHostBatch: true } : {}) });
    return workers;
  }

  /** The project model's analysis with the walks spread over the threads. */
  analyzer(): ProjectAnalyzer {
    return async (roots, reader) => {
      const run = new ProgramRun(projectInput(roots, reader, this.project, this.options));
      const ordered = run.roots();
      const parts: Promise<JobOutcome>[] = [];
      for (let start = 0, slice = 1; start < ordered.length; start += ROOTS_PER_JOB, slice++) {
        const message: JobMessage = { kind: 'walk', roots: ordered.slice(start, start + ROOTS_PER_JOB), firstInstanceId: slice * INSTANCE_ID_STRIDE };
        parts.push(this.submit(this.walks, message, () => ({ kind: 'walk', part: run.walkPart(message.roots, message.firstInstanceId) })));
      }
      const outcomes = await this.drain(Promise.all(parts));
      return run.filesOf(outcomes.map(walkPart), 0);
    };
  }

  /**
   * Shares the C, C++ and Rust files on disk with the workers, so they start on them at once; the
   * returned function waits for their reports (in the order given), running what is left here.
   */
  queueHostFiles(files: readonly InputFile[], run: HostRun): () => Promise<HostLinted[]> {
    const count = batchCount(files.length, HOST_FILES_PER_JOB);
    const share: HostShare = { kind: 'hosts', files: [...files], batchSize: HOST_FILES_PER_JOB, claims: new Int32Array(new SharedArrayBuffer(4 * (1 + count))) };
    let resolve!: () => void;
    let reject!: (error: unknown) => void;
    const settled = new Promise<void>((yes, no) => ((resolve = yes), (reject = no)));
    settled.catch(() => undefined);
    const batches: HostBatches = {
      share,
      count,
      done: new Array<HostLinted[] | undefined>(count),
      left: count,
      runHere: (batch) => batchOf(share, batch).map((file) => lintHostFile(file, this.project, this.options, run)),
      settled,
      settle(batch, linted) {
        if (batches.done[batch] !== undefined) return;
        batches.done[batch] = linted;
        if (--batches.left === 0) resolve();
      },
      fail: reject,
    };
    if (count === 0) resolve();
    this.hostBatches = batches;
    for (const slot of this.slots) {
      if (slot.dead) continue;
      slot.claimingHosts = true;
      slot.worker.postMessage(share);
    }
    return async () => {
      await this.drain(settled);
      const linted: HostLinted[] = [];
      for (const batch of batches.done) for (const one of batch!) linted.push(one);
      return linted;
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }

  private spawn(script: string, setup: WorkerSetup): void {
    const worker = startWorker(script, setup);
    worker.unref();
    const slot: WorkerSlot = { worker, ready: false, dead: false, claimingHosts: false, inFlight: new Map() };
    this.slots.push(slot);
    const slotMark = this.slots.length;
    worker.on('message', (reply: WorkerReply) => {
      if ('ready' in reply) {
        slot.ready = true;
      } else if ('hostsDone' in reply) {
        slot.claimingHosts = false;
      } else if ('batch' in reply) {
        // A batch the worker could not finish is run here: the result is this thread's, as without workers.
        if (reply.linted !== undefined) {
          workerJobsDone.host++;
          this.hostBatches?.settle(reply.batch, reply.linted);
        } else {
          this.orphanBatches.push(reply.batch);
        }
      } else {
        const job = slot.inFlight.get(reply.id);
        slot.inFlight.delete(reply.id);
        if (job !== undefined && reply.outcome !== undefined) {
          workerJobsDone[reply.outcome.kind]++;
          job.done(reply.outcome);
        } else if (job !== undefined) {
          runHere(job);
        }
      }
      this.feed(slot);
    });
    const fail = (): void => {
      if (slot.dead) return;
      slot.dead = true;
      const orphans = [...slot.inFlight.values()];
      slot.inFlight.clear();
      for (const job of orphans) this.walks.unshift(job);
      const batches = this.hostBatches;
      if (batches === undefined) return;
      // Its claimed batches that never came back, and any claimed by a thread that had not yet noted itself (run twice at worst: the first result is kept).
      const claimed = Math.min(Atomics.load(batches.share.claims, 0), batches.count);
      for (let batch = 0; batch < claimed; batch++) {
        const owner = Atomics.load(batches.share.claims, 1 + batch);
        if (batches.done[batch] === undefined && (owner === slotMark || owner === 0)) this.orphanBatches.push(batch);
      }
    };
    worker.on('error', fail);
    worker.on('exit', fail);
  }

  private submit(queue: WalkJob[], message: JobMessage, local: () => JobOutcome): Promise<JobOutcome> {
    return new Promise<JobOutcome>((resolve, reject) => {
      queue.push({ message, local, done: resolve, failed: reject });
      for (const slot of this.slots) this.feed(slot);
    });
  }

  /**
   * This thread walks (it merges the walks), workers lint C files: each kind's caches (headers'
   * cpp recordings and parsed lines; C headers' macros) then warm up on one thread first. Workers
   * help with walks when they may; this thread may claim C batches once it has no walk to run
   * (`mainThreadJoinsHostBatches`).
   */
  private take(): Job | undefined {
    return this.walks.shift() ?? this.hostJob();
  }

  private takeForWorker(): WalkJob | undefined {
    return this.workersWalk ? this.walks.shift() : undefined;
  }

  /** A C batch for this thread: one a dead worker left, or the next unclaimed one. */
  private hostJob(): Job | undefined {
    const batches = this.hostBatches;
    if (batches === undefined || batches.left === 0) return undefined;
    let batch = this.orphanBatches.shift();
    while (batch !== undefined && batches.done[batch] !== undefined) batch = this.orphanBatches.shift();
    if (batch === undefined) {
      if (!mainThreadJoinsHostBatches(Atomics.load(batches.share.claims, 0), batches.count, this.slots.some((slot) => !slot.dead))) return undefined;
      const claimed = Atomics.add(batches.share.claims, 0, 1);
      if (claimed >= batches.count) return undefined;
      batch = claimed;
    }
    const at = batch;
    return {
      local: () => ({ kind: 'host', linted: batches.runHere(at) }),
      done: (outcome) => batches.settle(at, (outcome as { linted: HostLinted[] }).linted),
      failed: (error) => batches.fail(error),
    };
  }

  private feed(slot: WorkerSlot): void {
    while (slot.ready && !slot.dead && !slot.claimingHosts && slot.inFlight.size < JOBS_IN_FLIGHT) {
      const job = this.takeForWorker();
      if (job === undefined) return;
      const id = this.nextJobId++;
      slot.inFlight.set(id, job);
      slot.worker.postMessage({ id, job: job.message });
    }
  }

  /** Runs queued jobs on this thread until `pending` has settled, letting the workers' messages in between jobs. */
  private async drain<T>(pending: Promise<T>): Promise<T> {
    let settled = false;
    const all = pending.finally(() => (settled = true));
    // Seen as handled while a job runs here; the error is still thrown by the await below.
    all.catch(() => undefined);
    while (!settled) {
      const allDead = this.slots.every((slot) => slot.dead);
      const job = thisThreadTakesJobs || allDead ? this.take() : undefined;
      if (job === undefined) {
        // Nothing left to run and no worker to wait for: a job was lost (a bug), which must not hang the command.
        if (allDead) throw new Error('lint workers: jobs were lost with their workers');
        await Promise.race([all, nextTurn(50)]);
        continue;
      }
      runHere(job);
      await nextTurn(0);
    }
    return all;
  }
}

function nextTurn(ms: number): Promise<void> {
  return new Promise((resolve) => (ms === 0 ? setImmediate(resolve) : setTimeout(resolve, ms).unref()));
}

function batchCount(files: number, batchSize: number): number {
  return Math.ceil(files / batchSize);
}

function batchOf(share: HostShare, batch: number): InputFile[] {
  return share.files.slice(batch * share.batchSize, (batch + 1) * share.batchSize);
}

function walkPart(outcome: JobOutcome): ProgramPart {
  if (outcome.kind !== 'walk') throw new Error('a walk job came back as a host job');
  return outcome.part;
}

/** True in a thread `LintWorkers` started; it then serves jobs until it is terminated. */
export function serveIfLintWorker(): boolean {
  if (isMainThread || parentPort === null || (workerData as Partial<WorkerSetup> | undefined)?.kind !== WORKER_KIND) return false;
  const port = parentPort;
  const setup = workerData as WorkerSetup;
  const silent: CommandIo = { stdout: { write: () => true }, stderr: { write: () => true }, cwd: setup.cwd };
  const loaded = loadProject(parseArgs(setup.argv), setup.cwd, silent);
  const reader = new ProjectReader(loaded.options.maxFileSize);
  const run = new ProgramRun(projectInput([], reader, loaded.project, loaded.options));
  const hostRun = newHostRun(new ProjectReader(loaded.options.maxFileSize));
  const lintBatches = (share: HostShare, mark: number): void => {
    const count = batchCount(share.files.length, share.batchSize);
    for (let batch = Atomics.add(share.claims, 0, 1); batch < count; batch = Atomics.add(share.claims, 0, 1)) {
      Atomics.store(share.claims, 1 + batch, mark);
      if (setup.dieAfterHostBatch && batch > 0) process.exit(1);
      try {
        port.postMessage({ batch, linted: batchOf(share, batch).map((file) => lintHostFile(file, loaded.project, loaded.options, hostRun)) });
      } catch {
        port.postMessage({ batch });
      }
    }
    port.postMessage({ hostsDone: true });
  };
  port.on('message', (message: { id: number; job: JobMessage } | HostShare) => {
    if ('kind' in message) {
      lintBatches(message, setup.slotMark);
      return;
    }
    const { id, job } = message;
    try {
      const outcome: JobOutcome = { kind: 'walk', part: run.walkPart(job.roots, job.firstInstanceId) };
      port.postMessage({ id, outcome });
    } catch (e) {
      port.postMessage({ id, error: (e as Error)?.message ?? String(e) });
    }
  });
  port.postMessage({ ready: true });
  return true;
}
