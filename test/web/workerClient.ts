// An LSP client for the server running in the test page's Worker: JSON-RPC objects go through
// postMessage (the browser transport has no framing), answers are collected from the page.
import { LIST_FILES_REQUEST, READ_FILE_REQUEST } from '../../server/src/lsp/protocol';
import type { WorkerPage } from './browser';

type Json = Record<string, unknown>;
interface Message {
  id?: number | string;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { message: string };
}
interface HarnessWindow {
  fromServer: Message[];
  workerErrors: string[];
  toServer(message: unknown): void;
}

const POLL_MS = 25;

export class WorkerLspClient {
  private nextId = 1;
  private readonly responses = new Map<number | string, Message>();
  private readonly notifications: Message[] = [];
  readonly workerErrors: string[] = [];

  /** `readFile` and `listFiles` answer the server's virtlint/readFile and virtlint/listFiles requests (the web client's part); without them they get null. */
  constructor(
    private readonly page: WorkerPage,
    private readonly readFile?: (params: unknown) => unknown,
    private readonly listFiles?: (params: unknown) => unknown,
  ) {}

  async request<T>(method: string, params: unknown, timeoutMs = 30_000): Promise<T> {
    const id = this.nextId++;
    await this.post({ jsonrpc: '2.0', id, method, params });
    const response = await this.until(`the answer to ${method}`, timeoutMs, () => this.responses.get(id));
    if (response.error) throw new Error(`${method} failed: ${response.error.message}`);
    return response.result as T;
  }

  notify(method: string, params: unknown): Promise<void> {
    return this.post({ jsonrpc: '2.0', method, params });
  }

  /** The first notification (already received or still to come) of `method` that `match` accepts. */
  waitFor(method: string, match: (params: Json) => boolean, timeoutMs = 30_000): Promise<Json> {
    return this.until(`a ${method} notification`, timeoutMs, () => {
      const found = this.notifications.find((message) => message.method === method && match((message.params ?? {}) as Json));
      return found ? ((found.params ?? {}) as Json) : undefined;
    });
  }

  /** Drops the notifications received so far: a later `waitFor` sees only what comes after. */
  async forgetNotifications(): Promise<void> {
    await this.drain();
    this.notifications.length = 0;
  }

  private post(message: unknown): Promise<void> {
    return this.page.evaluate((sent) => (globalThis as unknown as HarnessWindow).toServer(sent), message);
  }

  private async until<T>(what: string, timeoutMs: number, found: () => T | undefined): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.drain();
      const value = found();
      if (value !== undefined) return value;
      if (this.workerErrors.length > 0) throw new Error(`the worker failed: ${this.workerErrors.join('; ')}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  private async drain(): Promise<void> {
    const { messages, errors } = await this.page.evaluate(() => {
      const harness = globalThis as unknown as HarnessWindow;
      return { messages: harness.fromServer.splice(0), errors: harness.workerErrors.splice(0) };
    }, undefined);
    for (const error of errors) this.workerErrors.push(error);
    for (const message of messages) await this.receive(message);
  }

  /** Answers the server's own requests as the Node benchmark client does (settings empty, the rest null), and virtlint/readFile and virtlint/listFiles from the test's folder. */
  private async receive(message: Message): Promise<void> {
    if (message.method === undefined) {
      if (message.id !== undefined) this.responses.set(message.id, message);
      return;
    }
    if (message.id === undefined) {
      this.notifications.push(message);
      return;
    }
    const items = (message.params as { items?: unknown[] } | undefined)?.items ?? [];
    const result =
      message.method === 'workspace/configuration'
        ? items.map(() => ({}))
        : message.method === READ_FILE_REQUEST && this.readFile
          ? this.readFile(message.params)
          : message.method === LIST_FILES_REQUEST && this.listFiles
            ? this.listFiles(message.params)
            : null;
    await this.post({ jsonrpc: '2.0', id: message.id, result });
  }
}
