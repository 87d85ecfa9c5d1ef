// Colour for the stylish report. Whether to colour is the command's decision (--color/--no-color,
// else stdout is a terminal and NO_COLOR is unset); util.styleText only writes the codes. It is
// told not to look at a stream itself (validateStream: false): Node 22 would otherwise check
// process.stdout and the environment, which are not what a test or `-o` writes to.
import { styleText } from 'node:util';
import type { CommandIo } from '../report/options';
import type { Stylist } from '../report/types';

/** The environment a command reads (NO_COLOR, VIRTLINT_DEBUG). */
export function environment(io: CommandIo): Record<string, string | undefined> {
  return io.env ?? process.env;
}

/** `forced` is --color (true) or --no-color (false); a report written to a file is never coloured. */
export function wantsColor(forced: boolean | undefined, io: CommandIo, toStdout: boolean): boolean {
  if (!toStdout) return false;
  return forced ?? (io.stdout.isTTY === true && !environment(io).NO_COLOR);
}

const terminalStylist: Stylist = (style, text) => styleText(style, text, { validateStream: false });

export function stylist(color: boolean): Stylist | undefined {
  return color ? terminalStylist : undefined;
}
