// Test-only: assembles a file in its own folder, as a user's build would (the assembler run in
// that folder, the includes the fix added found there, no extra flags), into an object file,
// and returns the code section's bytes for decoding with iced-x86.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Bits, Dialect } from '../../server/src/analysis';
import { runFasm } from '../helpers/fasm';

export interface Built {
  ok: boolean;
  /** The assembler's complaint when it failed. */
  message: string;
  /** The .text section (the whole output for fasm's flat binaries). */
  code: Uint8Array;
}

function run(command: string, args: string[], cwd: string): { status: number | null; output: string } {
  const result = command === 'fasm' ? runFasm(args, cwd) : spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (result.error) throw new Error(`${command} is required by this test and could not be run: ${result.error.message}`);
  return { status: result.status, output: `${result.stderr ?? ''}${result.stdout ?? ''}` };
}

function textSection(dir: string, object: string): Uint8Array {
  const copy = run('objcopy', ['-O', 'binary', '--only-section=.text', object, 'text.bin'], dir);
  if (copy.status !== 0) throw new Error(`objcopy failed: ${copy.output}`);
  return fs.readFileSync(path.join(dir, 'text.bin'));
}

/** nasm -f elf32/elf64, as --32/--64, or fasm (its `format` line decides), run in the file's folder. */
export function buildObject(dialect: Dialect, bits: Exclude<Bits, 16>, file: string): Built {
  const dir = path.dirname(file);
  const name = path.basename(file);
  const assembled =
    dialect === 'nasm'
      ? run('nasm', ['-f', bits === 64 ? 'elf64' : 'elf32', '-o', 'out.o', name], dir)
      : dialect === 'fasm'
        ? run('fasm', [name, 'out.o'], dir)
        : run('as', [bits === 64 ? '--64' : '--32', '-o', 'out.o', name], dir);
  if (assembled.status !== 0) return { ok: false, message: assembled.output, code: new Uint8Array() };
  return { ok: true, message: '', code: textSection(dir, 'out.o') };
}
