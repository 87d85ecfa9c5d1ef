// The benchmarks' LSP client: spawns the server over stdio, with vscode-jsonrpc doing the framing
// (as the test client in test/lsp/client.ts does), answers the server's own requests, and lets
// callers wait for notifications. Timeouts are the server's own `withTimeout`.
import { spawn, type ChildProcessWithoutNullStreams } from 'child_process';
import * as fs from 'fs';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { withTimeout } from '../server/src/lsp/timeout';

type Json = Record<string, unknown>;

export class LspClient {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly connection: MessageConnection;
  private readonly listeners: ((method: string, params: Json) => void)[] = [];
  stderr = '';

  /** `settings` answers the server's workspace/configuration requests (the `virtlint` section). */
  constructor(serverScript: string, private readonly settings: Record<string, unknown> = {}) {
    this.child = spawn(process.execPath, [serverScript, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-4000)));
    this.connection = createMessageConnection(new StreamMessageReader(this.child.stdout), new StreamMessageWriter(this.child.stdin));
    this.connection.onRequest((method: string, params: unknown) => {
      if (method !== 'workspace/configuration') return null;
      return ((params as { items?: unknown[] } | undefined)?.items ?? []).map(() => this.settings);
    });
    this.connection.onNotification((method: string, params: unknown) => {
      for (const listener of this.listeners.slice()) listener(method, (params ?? {}) as Json);
    });
    this.connection.listen();
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Resident set size of the server process, from /proc (Linux). */
  rssBytes(): number {
    const status = fs.readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    return m ? Number(m[1]) * 1024 : NaN;
  }

  request<T = unknown>(method: string, params: unknown, timeoutMs = 30_000): Promise<T> {
    return withTimeout(this.connection.sendRequest<T>(method, params), timeoutMs).catch((error: Error) => {
      throw new Error(`${method}: ${error.message}${this.child.exitCode !== null ? ` (server exited: ${this.stderr})` : ''}`);
    });
  }

  notify(method: string, params: unknown): void {
    void this.connection.sendNotification(method, params);
  }

  /** Resolves with the first notification of `method` whose params satisfy `match`. */
  waitFor(method: string, match: (params: Json) => boolean, timeoutMs = 30_000): Promise<Json> {
    let listener: ((m: string, params: Json) => void) | undefined;
    const arrived = new Promise<Json>((resolve) => {
      listener = (m, params) => {
        if (m === method && match(params)) resolve(params);
      };
      this.listeners.push(listener);
    });
    const remove = (): void => {
      const i = this.listeners.indexOf(listener!);
      if (i >= 0) this.listeners.splice(i, 1);
    };
    return withTimeout(arrived, timeoutMs).then(
      (params) => {
        remove();
        return params;
      },
      (error: Error) => {
        remove();
        throw new Error(`no ${method}: ${error.message}`);
      },
    );
  }

  async close(): Promise<void> {
    try {
      await this.request('shutdown', null, 5000);
      this.notify('exit', null);
    } catch {
      // fall through to kill
    }
    await new Promise((r) => setTimeout(r, 100));
    this.connection.dispose();
    if (this.child.exitCode === null) this.child.kill();
  }
}
