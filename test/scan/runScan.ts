// Runs `virtlint scan` in-process with captured output (no terminal: colour is off).
import * as assert from 'node:assert/strict';
import { runScan } from '../../server/src/scan/command';

export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

export async function scan(argv: string[], cwd: string): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const code = await runScan(argv, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) }, cwd, env: {} });
  return { code, stdout, stderr };
}

/** The first report's messages of `virtlint scan --format json --rules core,extended [extra] file`; a usage error fails. */
export async function scanMessages<Message>(dir: string, file: string, extra: string[] = []): Promise<Message[]> {
  const result = await scan(['--format', 'json', '--rules', 'core,extended', ...extra, file], dir);
  assert.notEqual(result.code, 2, result.stdout + result.stderr);
  return (JSON.parse(result.stdout) as { messages: Message[] }[])[0]!.messages;
}
