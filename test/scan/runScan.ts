// Runs `virtlint scan` in-process with captured output (no terminal: colour is off).
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
