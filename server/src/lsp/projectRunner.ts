// Where project runs happen: on a worker thread running the server's own entry script (so the
// bundle needs no second file), or in the server's thread when no entry script is known (a server
// started in-process by tests) or the worker cannot start or dies.
import { Worker } from 'node:worker_threads';
import { ConfigCache, runProject, type RunOutput, type RunRequest } from './projectRun';

/** `workerData` that makes the entry script (main.ts) serve project runs instead of LSP. */
export const PROJECT_WORKER_FLAG = 'virtlintProjectWorker';

export interface ProjectRunner {
  /** `reloadConfig`: read the configuration again (settings or trust changed). */
  run(request: RunRequest, reloadConfig: boolean): Promise<RunOutput>;
  dispose(): void;
}

let entryScript: string | undefined;

/** Called by the entry point: the script a worker thread can start with PROJECT_WORKER_FLAG. */
export function setProjectWorkerScript(script: string | undefined): void {
  entryScript = script;
}

export function createProjectRunner(log: (message: string) => void): ProjectRunner {
  return entryScript ? new WorkerRunner(entryScript, log) : new InProcessRunner();
}

class InProcessRunner implements ProjectRunner {
  private readonly configs = new ConfigCache();
  run(request: RunRequest, reloadConfig: boolean): Promise<RunOutput> {
    return new Promise((resolve, reject) => {
      try {
        resolve(runProject(request, this.configs, reloadConfig));
      } catch (error) {
        reject(error);
      }
    });
  }
  dispose(): void {}
}

interface Pending {
  resolve(output: RunOutput): void;
  reject(error: Error): void;
  request: RunRequest;
  reloadConfig: boolean;
}

class WorkerRunner implements ProjectRunner {
  private worker: Worker | undefined;
  private fallback: InProcessRunner | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(
    private readonly script: string,
    private readonly log: (message: string) => void,
  ) {}

  run(request: RunRequest, reloadConfig: boolean): Promise<RunOutput> {
    if (this.fallback) return this.fallback.run(request, reloadConfig);
    const worker = this.started();
    if (!worker) return this.useFallback().run(request, reloadConfig);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, request, reloadConfig });
      worker.postMessage({ id, request, reloadConfig });
    });
  }

  dispose(): void {
    void this.worker?.terminate();
    this.worker = undefined;
  }

  private started(): Worker | undefined {
    if (this.worker) return this.worker;
    try {
      const worker = new Worker(this.script, { workerData: { [PROJECT_WORKER_FLAG]: true } });
      worker.unref();
      worker.on('message', (message: { id: number; output?: RunOutput; error?: string }) => {
        const waiting = this.pending.get(message.id);
        if (!waiting) return;
        this.pending.delete(message.id);
        if (message.output) waiting.resolve(message.output);
        else waiting.reject(new Error(message.error ?? 'the project worker failed'));
      });
      worker.on('error', (error) => this.workerFailed(error.message));
      worker.on('exit', (code) => this.workerFailed(`it exited with code ${code}`));
      this.worker = worker;
      return worker;
    } catch (error) {
      this.log(`virtlint: cannot start the project worker (${error instanceof Error ? error.message : String(error)}); analysing in the server's thread`);
      return undefined;
    }
  }

  /** Runs the requests the worker left unanswered in the server's thread, and every later one too. */
  private workerFailed(why: string): void {
    if (!this.worker) return;
    this.worker = undefined;
    this.log(`virtlint: the project worker stopped (${why}); analysing in the server's thread`);
    const fallback = this.useFallback();
    for (const [id, waiting] of this.pending) {
      this.pending.delete(id);
      fallback.run(waiting.request, waiting.reloadConfig).then(waiting.resolve, waiting.reject);
    }
  }

  private useFallback(): InProcessRunner {
    return (this.fallback ??= new InProcessRunner());
  }
}
