// A minimal language-server client over stdio (Content-Length framing), enough to check that an
// installed `virtlint-lsp` starts, answers `initialize` and publishes diagnostics.
import { ChildProcess, spawn } from 'node:child_process';

interface Message {
  id?: number;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: unknown;
}

export class LspSession {
  private readonly child: ChildProcess;
  private buffer = Buffer.alloc(0);
  private readonly received: Message[] = [];
  private waiters: Array<() => void> = [];
  private nextId = 1;
  stderr = '';

  constructor(command: string, args: readonly string[], cwd: string) {
    this.child = spawn(command, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (chunk: Buffer) => this.onData(chunk));
    this.child.stderr?.on('data', (chunk: Buffer) => { this.stderr += chunk.toString('utf8'); });
    this.child.on('exit', () => this.wake());
  }

  request(method: string, params: unknown): number {
    const id = this.nextId++;
    this.send({ jsonrpc: '2.0', id, method, params });
    return id;
  }

  notify(method: string, params: unknown): void {
    this.send({ jsonrpc: '2.0', method, params });
  }

  /** The first message (already received or arriving within the timeout) that matches. */
  async waitFor(match: (message: Message) => boolean, timeoutMs: number, what: string): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0 || this.child.exitCode !== null) {
        throw new Error(`no ${what} within ${timeoutMs} ms (server exit ${this.child.exitCode}); stderr: ${this.stderr.slice(-2000)}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  /** Answers server-to-client requests (workspace/configuration and the like) with nulls. */
  answerServerRequests(): void {
    for (const message of this.received) {
      if (message.id !== undefined && message.method !== undefined && !(message as { answered?: boolean }).answered) {
        (message as { answered?: boolean }).answered = true;
        const items = (message.params as { items?: unknown[] } | undefined)?.items;
        this.send({ jsonrpc: '2.0', id: message.id, result: Array.isArray(items) ? items.map(() => null) : null });
      }
    }
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  private send(message: object): void {
    const body = Buffer.from(JSON.stringify(message), 'utf8');
    this.child.stdin?.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.child.stdin?.write(body);
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const headerEnd = this.buffer.indexOf('\r\n\r\n');
      if (headerEnd < 0) break;
      const length = Number(/Content-Length: *(\d+)/i.exec(this.buffer.subarray(0, headerEnd).toString('ascii'))?.[1]);
      if (!Number.isFinite(length) || this.buffer.length < headerEnd + 4 + length) break;
      const body = this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString('utf8');
      this.buffer = this.buffer.subarray(headerEnd + 4 + length);
      this.received.push(JSON.parse(body) as Message);
    }
    this.answerServerRequests();
    this.wake();
  }

  private wake(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const resolve of waiting) resolve();
  }
}
