// Builds small binaries at test time with the real toolchain (nasm, ld, strip, nm). A missing tool
// throws with an install hint: these tests never skip.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export function run(tool: string, args: string[], cwd: string): string {
  const result = spawnSync(tool, args, { cwd, encoding: 'utf8' });
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`${tool} is not installed (apt-get install -y ${installHint(tool)})`);
    throw result.error;
  }
  if (result.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed (${result.status}):\n${result.stderr}`);
  return result.stdout;
}

function installHint(tool: string): string {
  if (tool === 'nasm' || tool === 'gcc') return tool;
  if (tool.startsWith('x86_64-w64-mingw32-')) return 'gcc-mingw-w64-x86-64';
  if (tool.startsWith('i686-w64-mingw32-')) return 'gcc-mingw-w64-i686';
  return 'binutils';
}

export function scratchDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'virtlint-scan-'));
}

/** Assemble `source` with nasm in `format` (elf32, elf64, win32, win64, bin); returns the output path. */
export function nasm(dir: string, name: string, source: string, format: string): string {
  const src = path.join(dir, `${name}.asm`);
  fs.writeFileSync(src, source);
  const out = path.join(dir, `${name}.${format === 'bin' ? 'bin' : format.startsWith('win') ? 'obj' : 'o'}`);
  run('nasm', ['-f', format, '-o', out, src], dir);
  return out;
}

export function ld(dir: string, args: string[], output: string): string {
  const out = path.join(dir, output);
  run('ld', [...args, '-o', out], dir);
  return out;
}

/** `nm` symbols of a file: name → address. */
export function nmSymbols(dir: string, file: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const line of run('nm', [file], dir).split('\n')) {
    const m = /^([0-9a-f]+)\s+(\w)\s+(\S+)$/.exec(line.trim());
    if (m) out.set(m[3]!, BigInt('0x' + m[1]!));
  }
  return out;
}

/** Deterministic bytes (xorshift32), so a failure can be reproduced. */
export function randomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}
