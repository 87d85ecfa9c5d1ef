// A minimal LSP client over stdio for the benchmarks: spawns the server, frames JSON-RPC
// messages, answers the server's own requests, and lets callers wait for notifications.
import { spawn, type ChildProcessWithoutNullStreams } from 'child_process';
import * as fs from 'fs';

type Json = Record<string, unknown>;

export class LspClient {
  private readonly child: ChildProcessWithoutNullStreams;
  private chunks: Buffer[] = [];
  private queued = 0;
  /** Body length of the message being read, once its header is in. */
  private expected: number | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly listeners: ((method: string, params: Json) => void)[] = [];
  stderr = '';

  /** `settings` answers the server's workspace/configuration requests (the `virtlint` section). */
  constructor(serverScript: string, private readonly settings: Record<string, unknown> = {}) {
    this.child = spawn(process.execPath, [serverScript, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-4000)));
    this.child.on('exit', (code) => {
      for (const p of this.pending.values()) p.reject(new Error(`server exited (${code}): ${this.stderr}`));
      this.pending.clear();
    });
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

  private send(message: Json): void {
    const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...message }), 'utf8');
    this.child.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.child.stdin.write(body);
  }

  request<T = unknown>(method: string, params: unknown, timeoutMs = 30_000): Promise<T> {
    const id = this.nextId++;
    this.send({ id, method, params });
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  notify(method: string, params: unknown): void {
    this.send({ method, params });
  }

  /** Resolves with the first notification of `method` whose params satisfy `match`. */
  waitFor(method: string, match: (params: Json) => boolean, timeoutMs = 30_000): Promise<Json> {
    return new Promise<Json>((resolve, reject) => {
      const timer = setTimeout(() => {
        remove();
        reject(new Error(`no ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (m: string, params: Json): void => {
        if (m === method && match(params)) {
          clearTimeout(timer);
          remove();
          resolve(params);
        }
      };
      const remove = (): void => {
        const i = this.listeners.indexOf(listener);
        if (i >= 0) this.listeners.splice(i, 1);
      };
      this.listeners.push(listener);
    });
  }

  async close(): Promise<void> {
    try {
      await this.request('shutdown', null, 5000);
      this.notify('exit', null);
    } catch {
      // fall through to kill
    }
    await new Promise((r) => setTimeout(r, 100));
    if (this.child.exitCode === null) this.child.kill();
  }

  /**
   * Chunks are queued and joined only once a whole message is there: joining on every 64 KB
   * chunk would copy a megabyte-sized message dozens of times and bill that to the server.
   */
  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.queued += chunk.length;
    for (;;) {
      if (this.expected === undefined) {
        const head = this.join();
        const headerEnd = head.indexOf('\r\n\r\n');
        if (headerEnd < 0) return;
        const header = head.subarray(0, headerEnd).toString('ascii');
        const m = /Content-Length:\s*(\d+)/i.exec(header);
        if (!m) throw new Error(`bad LSP header: ${header}`);
        this.expected = Number(m[1]);
        this.chunks = [head.subarray(headerEnd + 4)];
        this.queued = this.chunks[0]!.length;
      }
      if (this.queued < this.expected) return;
      const all = this.join();
      const body = all.subarray(0, this.expected).toString('utf8');
      this.chunks = [all.subarray(this.expected)];
      this.queued = this.chunks[0]!.length;
      this.expected = undefined;
      this.dispatch(JSON.parse(body) as Json);
    }
  }

  private join(): Buffer {
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks, this.queued)];
    return this.chunks[0]!;
  }

  private dispatch(message: Json): void {
    if ('id' in message && ('result' in message || 'error' in message) && !('method' in message)) {
      const p = this.pending.get(message.id as number);
      this.pending.delete(message.id as number);
      if (!p) return;
      if (message.error) p.reject(new Error(JSON.stringify(message.error)));
      else p.resolve(message.result);
      return;
    }
    if ('method' in message && 'id' in message) {
      // A request from the server: answer configuration with the settings given, anything else with null.
      const params = message.params as { items?: unknown[] } | undefined;
      const result = message.method === 'workspace/configuration' ? (params?.items ?? []).map(() => this.settings) : null;
      this.send({ id: message.id, result });
      return;
    }
    if ('method' in message) for (const l of [...this.listeners]) l(message.method as string, (message.params ?? {}) as Json);
  }
}
