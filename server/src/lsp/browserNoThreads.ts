// `node:worker_threads` for the web bundle. The web worker's project runs happen in its own
// thread (browserMain.ts never names a worker script, so projectRunner.ts never starts one).

export const isMainThread = true;
export const workerData = null;
export const parentPort = null;

export class Worker {
  constructor() {
    throw new Error('virtlint: no worker threads in the web worker');
  }
}
