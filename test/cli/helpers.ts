// Shared by the CLI tests: run the CLI in-process with a fake terminal, or as a real process.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../server/src/main/virtlint';
import type { CommandIo } from '../../server/src/report/options';

/** The repository root (tests run from out/test/cli/). */
export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const CLI_SCRIPT = path.join(ROOT, 'out', 'server', 'src', 'main', 'virtlint.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  stdin?: string | Uint8Array;
  /** runCli only: standard input as a sequence of chunks (it may be endless). */
  stdinChunks?: Iterable<Uint8Array | string>;
  isTTY?: boolean;
  env?: Record<string, string | undefined>;
}

export async function runCli(argv: string[], options: RunOptions = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CommandIo = {
    stdout: { write: (text: string) => (stdout += text), isTTY: options.isTTY ?? false },
    stderr: { write: (text: string) => (stderr += text) },
    cwd: options.cwd ?? ROOT,
    env: options.env ?? {},
    stdin: options.stdinChunks ?? (options.stdin === undefined ? [] : [options.stdin]),
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

/** Runs the compiled CLI as a separate node process (exit status, real stdin, no shared state). */
export function spawnCli(argv: string[], options: RunOptions = {}): CliRun {
  const result = spawnSync(process.execPath, [CLI_SCRIPT, ...argv], {
    cwd: options.cwd ?? ROOT,
    input: options.stdin ?? '',
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...(options.env ?? {}) },
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** A fresh temporary directory holding the given files (relative path → content). */
export function tempTree(files: Record<string, string | Uint8Array>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtlint-cli-'));
  for (const [name, content] of Object.entries(files)) {
    const full = path.join(dir, name);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, content);
  }
  return dir;
}

export function removeTree(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

export interface JsonMessage {
  ruleId: string | null;
  severity: 1 | 2;
  message: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  level?: string;
  fatal?: boolean;
}

export interface JsonResult {
  filePath: string;
  messages: JsonMessage[];
  errorCount: number;
  warningCount: number;
  fatalErrorCount: number;
  fixableErrorCount: number;
  fixableWarningCount: number;
  dialect?: string;
  bits?: number;
  note?: string;
}

export function parseJsonReport(text: string): JsonResult[] {
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed)) throw new Error(`expected a JSON array, got ${text.slice(0, 200)}`);
  return parsed as JsonResult[];
}

/** 1-based number of the first line of `text` that contains `needle` (throws when absent). */
export function lineOf(text: string, needle: string | RegExp): number {
  const lines = text.split('\n');
  const index = lines.findIndex((line) => (typeof needle === 'string' ? line.includes(needle) : needle.test(line)));
  if (index < 0) throw new Error(`fixture has no line matching ${String(needle)}`);
  return index + 1;
}

/** "line:ruleId" pairs of a result, sorted, for compact comparisons. */
export function ruleLines(result: JsonResult): string[] {
  return result.messages.map((m) => `${m.line}:${m.ruleId}`).sort(byLineThenText);
}

function byLineThenText(a: string, b: string): number {
  return parseInt(a, 10) - parseInt(b, 10) || (a < b ? -1 : a > b ? 1 : 0);
}
