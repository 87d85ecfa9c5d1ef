// How both commands end when something goes wrong: bad usage, unusable input or an internal error
// each print one line (text from the input escaped) and exit 2; a finished run may add one line
// saying why its status is 1.
import { escapeControlCharacters } from '../report/terminalText';
import { EXIT_UNUSABLE, InputError, UsageError, type CommandIo, type Verdict } from '../report/options';
import { environment } from './terminal';

/** Runs a command's body; `command` is how messages start (`virtlint`, `virtlint scan`). */
export async function runCommand(command: string, io: CommandIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`${command}: ${escapeControlCharacters(e.message)}\nRun \`${command} --help\` for usage.\n`);
    } else if (e instanceof InputError) {
      io.stderr.write(`${command}: ${escapeControlCharacters(e.message)}\n`);
    } else {
      reportInternalError(command, e, io);
    }
    return EXIT_UNUSABLE;
  }
}

export function reportInternalError(command: string, e: unknown, io: CommandIo): void {
  io.stderr.write(`${command}: internal error: ${escapeControlCharacters((e as Error)?.message ?? String(e))}\n`);
  if (environment(io).VIRTLINT_DEBUG) io.stderr.write(`${(e as Error)?.stack ?? ''}\n`);
  else io.stderr.write('(set VIRTLINT_DEBUG=1 for details, and please report it)\n');
}

/** The exit status, after saying on stderr when too many warnings decided it. */
export function settle(command: string, io: CommandIo, verdict: Verdict): number {
  if (verdict.complaint !== undefined) io.stderr.write(`${command}: ${verdict.complaint}\n`);
  return verdict.status;
}
