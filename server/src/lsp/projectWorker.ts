// The worker side of project runs: requests in, results (plain data) out, one at a time.
import { parentPort } from 'node:worker_threads';
import { ConfigCache, runProject, type RunRequest } from './projectRun';

export function serveProjectRuns(): void {
  const port = parentPort;
  if (!port) return;
  const configs = new ConfigCache();
  port.on('message', (message: { id: number; request: RunRequest; reloadConfig: boolean }) => {
    try {
      port.postMessage({ id: message.id, output: runProject(message.request, configs, message.reloadConfig) });
    } catch (error) {
      port.postMessage({ id: message.id, error: error instanceof Error ? error.message : String(error) });
    }
  });
}
