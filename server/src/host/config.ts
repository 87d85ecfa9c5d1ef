// Finding and reading the project's files: virtlint.config.json (the nearest one at or above a
// directory) and a compilation database. Reading only; what the text means is the analysis's
// (analysis/project/config.ts, compileCommands.ts). Reads are bounded like every other read.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeFsError, readRegularFile } from './boundedRead';

/** A configuration file is small; a compilation database of a large build is not. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
export const MAX_COMPILE_COMMANDS_BYTES = 256 * 1024 * 1024;

export type TextRead = { ok: true; path: string; text: string } | { ok: false; path: string; problem: string };

/** The nearest file named `name` (virtlint.config.json) in `dir` or a directory above it, or undefined. */
export function findUpward(dir: string, name: string): string | undefined {
  let current = path.resolve(dir);
  for (;;) {
    const candidate = path.join(current, name);
    if (isFile(candidate)) return candidate;
    const parent = path.dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

/** The file named `name` (compile_commands.json) directly in `dir`, when there is one. */
export function findIn(dir: string, name: string): string | undefined {
  const candidate = path.join(dir, name);
  return isFile(candidate) ? candidate : undefined;
}

/** Reads a UTF-8 text file of at most `maxBytes`; the problem says why it could not. */
export function readTextFile(file: string, maxBytes: number): TextRead {
  const read = readRegularFile(file, maxBytes);
  if (read.ok) {
    try {
      return { ok: true, path: file, text: new TextDecoder('utf-8', { fatal: true }).decode(read.bytes) };
    } catch {
      return { ok: false, path: file, problem: 'not UTF-8 text' };
    }
  }
  if (read.reason === 'too-large') return { ok: false, path: file, problem: `larger than ${maxBytes} bytes` };
  if (read.reason === 'not-regular') return { ok: false, path: file, problem: `${read.kind}, not a regular file` };
  return { ok: false, path: file, problem: describeFsError(read.error) };
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
