// The real GNU tools as the macro stage's oracle: the `.text` bytes of a project assembled by `as`
// and per-line bytes from its listing, and for `.S` files what `cpp -P` makes of them and the bytes
// of `gcc -c`.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { assembledLines, type StageRun } from '../helpers/memoryEnv';

/**
 * The stage's output as one source for `as`: `.include` lines (their files are already read in)
 * become blank lines.
 */
export function expandedSource(run: StageRun): string {
  return assembledLines(run.lines).map((l) => (/^\s*\.include\b/i.test(l.text) ? '' : l.text)).join('\n') + '\n';
}

export class GasFailedError extends Error {}

export interface GasOutput {
  /** The `.text` section's bytes. */
  text: Buffer;
  /** 1-based line of the root file → bytes the listing shows for it (`-al`: a macro's bytes on its invocation, a repeat's on its `.endr`). */
  listing: Map<number, string>;
}

/** Assembles `files[root]` with the real `as` (files written to a temporary directory, `-I` as given relative to it). */
export function assembleWithAs(files: Record<string, string>, root: string, options: { bits: 32 | 64; includePaths?: string[] }): GasOutput {
  return inTempDir(files, 'virtlint-gas-', (dir) => {
    const includes = (options.includePaths ?? []).flatMap((p) => ['-I', p]);
    const result = spawnSync('as', [`--${options.bits}`, '-al=out.lst', ...includes, '-o', 'out.o', root], { cwd: dir, encoding: 'utf8' });
    if (result.error) throw new GasFailedError(`as could not be run: ${result.error.message} (apt-get install -y binutils)`);
    if (result.status !== 0 || /Error:/.test(result.stderr)) throw new GasFailedError(`as failed on ${root}:\n${result.stderr}`);
    return { text: textSection(dir), listing: parseListing(fs.readFileSync(path.join(dir, 'out.lst'), 'utf8')) };
  });
}

/** `.S` files: what `cpp -P` (as gcc runs it for assembler-with-cpp) makes of `files[root]`, and the `.text` bytes of `gcc -c`. */
export function cppAndGcc(files: Record<string, string>, root: string, options: { bits: 32 | 64; defines: string[] }): { preprocessed: string; text: Buffer } {
  return inTempDir(files, 'virtlint-gas-cpp-', (dir) => {
    const defines = options.defines.map((d) => `-D${d}`);
    const cpp = spawnSync('cpp', ['-P', '-x', 'assembler-with-cpp', ...defines, root], { cwd: dir, encoding: 'utf8' });
    if (cpp.error || cpp.status !== 0) throw new GasFailedError(`cpp failed on ${root}: ${cpp.error?.message ?? cpp.stderr}`);
    const gcc = spawnSync('gcc', ['-c', `-m${options.bits}`, ...defines, '-o', 'out.o', root], { cwd: dir, encoding: 'utf8' });
    if (gcc.error || gcc.status !== 0) throw new GasFailedError(`gcc -c failed on ${root}: ${gcc.error?.message ?? gcc.stderr}`);
    return { preprocessed: cpp.stdout, text: textSection(dir) };
  });
}

/** Writes `files` (paths relative to it) into a new temporary directory, runs `work` there, and removes it. */
function inTempDir<T>(files: Record<string, string>, prefix: string, work: (dir: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  try {
    for (const [name, text] of Object.entries(files)) {
      const file = path.join(dir, name);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
    }
    return work(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The `.text` bytes of `out.o` in `dir`. */
function textSection(dir: string): Buffer {
  const copy = spawnSync('objcopy', ['-O', 'binary', '--only-section=.text', 'out.o', 'out.bin'], { cwd: dir, encoding: 'utf8' });
  if (copy.status !== 0) throw new GasFailedError(`objcopy failed: ${copy.stderr}`);
  return fs.readFileSync(path.join(dir, 'out.bin'));
}

/** Listing lines `  12 0004 6640     \t...` and their continuations `  12      7C72`: bytes by line. */
function parseListing(listing: string): Map<number, string> {
  const bytes = new Map<number, string>();
  for (const row of listing.split('\n')) {
    const match = /^\s*(\d+) (?:\S{4}|    ) ([0-9A-F]+)/.exec(row);
    if (!match) continue;
    const line = Number(match[1]);
    bytes.set(line, (bytes.get(line) ?? '') + match[2]);
  }
  return bytes;
}
