// Running a command against the real process: its output, its exit status, and a closed pipe
// (`virtlint ... | head`) that is no error. Shared by the two entries, main/virtlint.ts and main/scan.ts.
import { EXIT_UNUSABLE, reportInternalError, type CommandIo } from '../cli/processBasics';

export type RunCommand = (argv: string[], io: CommandIo) => Promise<number>;

export function runWithProcess(command: RunCommand, argv: string[]): void {
  const io: CommandIo = { stdout: process.stdout, stderr: process.stderr };
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    // `virtlint ... | head` closes the pipe early: not an error. The exit status stays the result.
    if (e.code !== 'EPIPE') throw e;
  });
  command(argv, io).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      reportInternalError('virtlint', e, io);
      process.exitCode = EXIT_UNUSABLE;
    },
  );
}
