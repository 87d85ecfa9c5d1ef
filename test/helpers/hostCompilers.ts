// Test-only helpers: compile a C, C++ or Rust source with a real compiler (gcc, clang, Debian's
// rustc), link the object at a fixed address so every code section gets its own addresses, decode
// the code with iced-x86 and say, for each instruction, which line of the user's source it came
// from: the DWARF line table through `addr2line -i` (binutils), which also names the lines an
// inlined function was called from. Instructions of a function the user did not write (a
// `cpuid.h` helper the compiler kept out of line, a `core::arch` wrapper at opt-level 0) are
// credited to the user's line that calls them. Instructions outside every function (top-level
// asm, padding) or on no line are listed apart, for tests to exclude and print.
// A missing compiler is an error with an install hint, never a skip.
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as iced from 'iced-x86';
import { ruleForCode } from '../../server/src/analysis';
import type { RuleId } from '../../server/src/analysis/types';

export type Bits = 16 | 32 | 64;
export type HostCompiler = 'gcc' | 'clang' | 'rustc';

/** Debian's rustc (1.63): what CI has. A newer rustc elsewhere on PATH must not be used. */
export const DEBIAN_RUSTC = '/usr/bin/rustc';

const EXECUTABLE: Record<HostCompiler, string> = { gcc: 'gcc', clang: 'clang', rustc: DEBIAN_RUSTC };
const INSTALL_HINT: Record<HostCompiler, string> = {
  gcc: 'apt-get install -y gcc',
  clang: 'apt-get install -y clang',
  rustc: 'apt-get install -y rustc (Debian\'s, at /usr/bin/rustc)',
};

export class HostCompilerMissingError extends Error {}
export class HostCompileFailedError extends Error {}

export interface HostCompileOptions {
  compiler: HostCompiler;
  /** Absolute path of the source file. */
  source: string;
  bits: Bits;
  optimize: 0 | 2;
  /** Extra flags, e.g. `-masm=intel`, `-fms-extensions -fasm-blocks`, `-x c++`, `-DNAME`. */
  flags?: readonly string[];
  /** `-I` directories (C and C++), absolute. */
  includeDirs?: readonly string[];
  /** Files under these directories are the user's code; default: the source's directory. */
  userDirs?: readonly string[];
  /** Extra environment for the compiler (`RUSTC_BOOTSTRAP=1` for a `#![no_core]` crate: Debian ships no i686 `core`). */
  env?: Readonly<Record<string, string>>;
}

export interface SourceLocation {
  /** Absolute, normalised. */
  file: string;
  /** 1-based. */
  line: number;
}

export interface CompiledInstruction {
  address: number;
  bytes: string;
  code: number;
  codeName: string;
  rule?: RuleId;
  /** The function symbol holding the instruction (undefined outside every function). */
  functionName?: string;
  /** DWARF locations, innermost first (the inlined callee, then who inlined it…). Empty: no line. */
  chain: SourceLocation[];
  /** The first location of `chain` in a user file, or for `via` instructions the call site. */
  at?: SourceLocation;
  /** Set on a copy credited to the call site: the non-user function the call reached (through calls). */
  via?: string;
  /** For near calls: the target address. */
  callTarget?: number;
}

export interface HostCompilation {
  /** The command lines run, for messages. */
  commands: string[];
  bits: Bits;
  /** Every decoded instruction of every code section, in address order. */
  instructions: CompiledInstruction[];
  /** User file → 1-based line → instructions credited to that line (including `via` copies). */
  byLine: Map<string, Map<number, CompiledInstruction[]>>;
  /**
   * Instructions credited to no user line: outside every function (top-level asm, padding),
   * on no line (line 0), or in non-user functions (their sensitive ones also appear as `via` copies at their callers).
   */
  unattributed: CompiledInstruction[];
}

// ---------------------------------------------------------------- tools

const checked = new Set<string>();

function requireTool(executable: string, versionFlag: string, hint: string, ErrorType: new (message: string) => Error): void {
  if (checked.has(executable)) return;
  const probe = spawnSync(executable, [versionFlag], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    const why = probe.error ? probe.error.message : `exit ${String(probe.status)}: ${probe.stderr}`;
    throw new ErrorType(`${executable} is required by this test but could not be run (${why}). Install it: ${hint}`);
  }
  checked.add(executable);
}

/** Throws HostCompilerMissingError (with an install hint) when the compiler or binutils cannot be run. */
export function requireHostCompiler(compiler: HostCompiler): void {
  requireTool(EXECUTABLE[compiler], '--version', INSTALL_HINT[compiler], HostCompilerMissingError);
  for (const tool of ['ld', 'addr2line']) requireTool(tool, '--version', 'apt-get install -y binutils', HostCompilerMissingError);
}

function runTool(executable: string, args: readonly string[], cwd: string, input?: string, env?: Readonly<Record<string, string>>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(executable, args, { cwd, env: env ? { ...process.env, ...env } : process.env, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new HostCompileFailedError(`${executable} ${args.join(' ')} failed (${error.code ?? error.signal ?? 'error'}):\n${stderr}${stdout}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

// ---------------------------------------------------------------- command lines

/** The compiler's command line (without `-o`). */
export function compilerArguments(options: HostCompileOptions): string[] {
  const flags = options.flags ?? [];
  if (options.compiler === 'rustc') {
    const target = options.bits === 64 ? 'x86_64-unknown-linux-gnu' : 'i686-unknown-linux-gnu';
    return ['--edition=2021', '--crate-type=lib', '--emit=obj', '-g', '-C', `opt-level=${options.optimize}`, '-C', 'panic=abort', '--target', target, ...flags, options.source];
  }
  const includes: string[] = [];
  for (const dir of options.includeDirs ?? []) includes.push('-I', dir);
  // -m32/-m16 have no libc headers here (no multilib): <x86intrin.h> pulls in <stdlib.h>, which
  // the stub directory answers with the two declarations it needs.
  return [`-m${options.bits}`, '-g', '-gdwarf-4', `-O${options.optimize}`, '-c', '-isystem', LIBC_STUB_DIR, ...includes, ...flags, options.source];
}

export const LIBC_STUB_DIR = path.join(packageRoot(), 'test', 'fixtures', 'embedded', 'libc-stub');

function packageRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above ' + __dirname);
    dir = parent;
  }
  return dir;
}

// ---------------------------------------------------------------- compile, link, decode

export async function compileHost(options: HostCompileOptions): Promise<HostCompilation> {
  requireHostCompiler(options.compiler);
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'virtlint-host-'));
  try {
    const object = path.join(dir, 'unit.o');
    const image = path.join(dir, 'unit.elf');
    const compile = [...compilerArguments(options), '-o', object];
    const link = ['-m', options.bits === 64 ? 'elf_x86_64' : 'elf_i386', '-Ttext=0x1000', '-e', '0', '--unresolved-symbols=ignore-all', '-z', 'noexecstack', '-o', image, object];
    await runTool(EXECUTABLE[options.compiler], compile, dir, undefined, options.env);
    await runTool('ld', link, dir);
    const commands = [`${EXECUTABLE[options.compiler]} ${compile.join(' ')}`, `ld ${link.join(' ')}`];
    const elf = readElf(await fs.promises.readFile(image));
    const instructions = decodeCode(elf, options.bits);
    await locate(instructions, image, dir);
    const userDirs = (options.userDirs ?? [path.dirname(options.source)]).map((d) => path.resolve(d) + path.sep);
    return { commands, bits: options.bits, ...attribute(instructions, (file) => userDirs.some((d) => file.startsWith(d))), instructions };
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}

/** Runs `work` over `items` with at most `limit` at a time; results in input order. */
export async function mapPool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  }
  const workers: Promise<void>[] = [];
  for (let i = 0; i < Math.min(limit, items.length); i++) workers.push(worker());
  await Promise.all(workers);
  return results;
}

// ---------------------------------------------------------------- ELF

interface ElfSection {
  name: string;
  address: number;
  bytes: Uint8Array;
  executable: boolean;
}

interface ElfSymbol {
  name: string;
  address: number;
  size: number;
  isFunction: boolean;
}

interface Elf {
  sections: ElfSection[];
  symbols: ElfSymbol[];
}

const SHT_PROGBITS = 1;
const SHT_SYMTAB = 2;
const SHF_EXECINSTR = 0x4;
const STT_FUNC = 2;
const STT_SECTION = 3;
const STT_FILE = 4;

/** Section headers and the symbol table of a little-endian ELF32/ELF64 file. */
export function readElf(file: Buffer): Elf {
  if (file.readUInt32BE(0) !== 0x7f454c46) throw new Error('not an ELF file');
  const is64 = file[4] === 2;
  const word = (offset: number): number => (is64 ? Number(file.readBigUInt64LE(offset)) : file.readUInt32LE(offset));
  const sectionTable = word(is64 ? 0x28 : 0x20);
  const entrySize = file.readUInt16LE(is64 ? 0x3a : 0x2e);
  const count = file.readUInt16LE(is64 ? 0x3c : 0x30);
  const namesIndex = file.readUInt16LE(is64 ? 0x3e : 0x32);
  interface Header { name: number; type: number; flags: number; address: number; offset: number; size: number; link: number; entsize: number }
  const headers: Header[] = [];
  for (let i = 0; i < count; i++) {
    const at = sectionTable + i * entrySize;
    headers.push(is64
      ? { name: file.readUInt32LE(at), type: file.readUInt32LE(at + 4), flags: word(at + 8), address: word(at + 16), offset: word(at + 24), size: word(at + 32), link: file.readUInt32LE(at + 40), entsize: word(at + 56) }
      : { name: file.readUInt32LE(at), type: file.readUInt32LE(at + 4), flags: file.readUInt32LE(at + 8), address: file.readUInt32LE(at + 12), offset: file.readUInt32LE(at + 16), size: file.readUInt32LE(at + 20), link: file.readUInt32LE(at + 24), entsize: file.readUInt32LE(at + 36) });
  }
  const stringAt = (table: Header, offset: number): string => {
    const start = table.offset + offset;
    const end = file.indexOf(0, start);
    return file.toString('latin1', start, end < 0 ? start : end);
  };
  const names = headers[namesIndex]!;
  const sections: ElfSection[] = [];
  const symbols: ElfSymbol[] = [];
  for (const header of headers) {
    if (header.type === SHT_PROGBITS) {
      sections.push({ name: stringAt(names, header.name), address: header.address, bytes: file.subarray(header.offset, header.offset + header.size), executable: (header.flags & SHF_EXECINSTR) !== 0 });
    } else if (header.type === SHT_SYMTAB) {
      const strings = headers[header.link]!;
      for (let at = header.offset + header.entsize; at < header.offset + header.size; at += header.entsize) {
        const info = is64 ? file[at + 4]! : file[at + 12]!;
        const type = info & 0xf;
        if (type === STT_SECTION || type === STT_FILE) continue;
        const address = is64 ? Number(file.readBigUInt64LE(at + 8)) : file.readUInt32LE(at + 4);
        const size = is64 ? Number(file.readBigUInt64LE(at + 16)) : file.readUInt32LE(at + 8);
        symbols.push({ name: stringAt(strings, file.readUInt32LE(at)), address, size, isFunction: type === STT_FUNC && size > 0 });
      }
    }
  }
  return { sections, symbols };
}

const CODE_NAMES: string[] = [];
for (const [name, value] of Object.entries(iced.Code)) if (typeof value === 'number') CODE_NAMES[value] = name;

const NEAR_BRANCH_KINDS = new Set<number>([iced.OpKind.NearBranch16, iced.OpKind.NearBranch32, iced.OpKind.NearBranch64]);

/**
 * Decodes every executable section, restarting at every symbol so data or padding between
 * functions cannot shift the decoding of the next one.
 */
function decodeCode(elf: Elf, bits: Bits): CompiledInstruction[] {
  const functions = elf.symbols.filter((s) => s.isFunction).sort((a, b) => a.address - b.address);
  const decoded: CompiledInstruction[] = [];
  for (const section of elf.sections) {
    if (!section.executable || section.bytes.length === 0) continue;
    const end = section.address + section.bytes.length;
    const starts = new Set<number>([section.address]);
    for (const symbol of elf.symbols) {
      if (symbol.address > section.address && symbol.address < end) starts.add(symbol.address);
      if (symbol.isFunction && symbol.address + symbol.size > section.address && symbol.address + symbol.size < end) starts.add(symbol.address + symbol.size);
    }
    const sorted = Array.from(starts).sort((a, b) => a - b);
    for (let i = 0; i < sorted.length; i++) {
      const from = sorted[i]!;
      const to = sorted[i + 1] ?? end;
      decodeRange(section.bytes.subarray(from - section.address, to - section.address), from, bits, functions, decoded);
    }
  }
  return decoded;
}

function decodeRange(bytes: Uint8Array, address: number, bits: Bits, functions: readonly ElfSymbol[], into: CompiledInstruction[]): void {
  const decoder = new iced.Decoder(bits, bytes, iced.DecoderOptions.None);
  decoder.ip = BigInt(address);
  try {
    while (decoder.canDecode) {
      const instruction = decoder.decode();
      try {
        const at = Number(instruction.ip);
        const length = instruction.length;
        const offset = at - address;
        const entry: CompiledInstruction = {
          address: at,
          bytes: Buffer.from(bytes.subarray(offset, offset + length)).toString('hex'),
          code: instruction.code,
          codeName: CODE_NAMES[instruction.code] ?? `Code#${instruction.code}`,
          chain: [],
        };
        const rule = ruleForCode(instruction.code);
        if (rule) entry.rule = rule;
        const holder = functionAt(functions, at);
        if (holder) entry.functionName = holder.name;
        if (instruction.flowControl === iced.FlowControl.Call && NEAR_BRANCH_KINDS.has(instruction.op0Kind)) {
          entry.callTarget = Number(instruction.nearBranchTarget);
        }
        into.push(entry);
      } finally {
        instruction.free();
      }
    }
  } finally {
    decoder.free();
  }
}

function functionAt(functions: readonly ElfSymbol[], address: number): ElfSymbol | undefined {
  let low = 0;
  let high = functions.length - 1;
  let best: ElfSymbol | undefined;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const candidate = functions[middle]!;
    if (candidate.address <= address) {
      best = candidate;
      low = middle + 1;
    } else high = middle - 1;
  }
  return best && address < best.address + best.size ? best : undefined;
}

// ---------------------------------------------------------------- lines

// `0x00001102: __rdtsc at /usr/…/ia32intrin.h:114` then ` (inlined by) f at /tmp/a.c:8`;
// `?? ??:0` or `file:?` when there is no line; ` (discriminator N)` may follow.
const ADDRESS_LINE = /^0x([0-9a-f]+): (.*)$/;
const FRAME = /^(?:\s*\(inlined by\) )?(?:\S+ at )?(.+):(\d+|\?)(?: \(discriminator \d+\))?$/;

/** Fills `chain` of every instruction inside a function from `addr2line -a -i -p -f`. */
async function locate(instructions: CompiledInstruction[], image: string, cwd: string): Promise<void> {
  const located = instructions.filter((i) => i.functionName !== undefined);
  if (located.length === 0) return;
  const output = await runTool('addr2line', ['-e', image, '-a', '-i', '-p', '-f'], cwd, located.map((i) => '0x' + i.address.toString(16)).join('\n') + '\n');
  const byAddress = new Map<number, SourceLocation[]>();
  let current: SourceLocation[] | undefined;
  for (const raw of output.split('\n')) {
    if (raw.length === 0) continue;
    const head = ADDRESS_LINE.exec(raw);
    const frameText = head ? head[2]! : raw;
    if (head) byAddress.set(parseInt(head[1]!, 16), (current = []));
    const frame = FRAME.exec(frameText);
    if (!current || !frame || frame[2] === '?' || frame[1]!.startsWith('??')) continue;
    const line = Number(frame[2]);
    if (line > 0) current.push({ file: path.resolve(cwd, frame[1]!), line });
  }
  for (const instruction of located) instruction.chain = byAddress.get(instruction.address) ?? [];
}

function attribute(instructions: CompiledInstruction[], isUserFile: (file: string) => boolean): Pick<HostCompilation, 'byLine' | 'unattributed'> {
  const byLine = new Map<string, Map<number, CompiledInstruction[]>>();
  const unattributed: CompiledInstruction[] = [];
  const credit = (at: SourceLocation, instruction: CompiledInstruction): void => {
    let lines = byLine.get(at.file);
    if (!lines) byLine.set(at.file, (lines = new Map()));
    let list = lines.get(at.line);
    if (!list) lines.set(at.line, (list = []));
    list.push(instruction);
  };
  const byFunction = new Map<string, CompiledInstruction[]>();
  for (const instruction of instructions) {
    const at = instruction.chain.find((frame) => isUserFile(frame.file));
    if (at) instruction.at = at;
    if (instruction.functionName !== undefined) {
      let list = byFunction.get(instruction.functionName);
      if (!list) byFunction.set(instruction.functionName, (list = []));
      list.push(instruction);
    }
  }
  const functionStarts = new Map<number, string>();
  for (const [name, list] of byFunction) functionStarts.set(list[0]!.address, name);
  const isUserFunction = (name: string): boolean => (byFunction.get(name) ?? []).some((i) => i.at !== undefined);
  for (const instruction of instructions) {
    if (instruction.at) credit(instruction.at, instruction);
    else unattributed.push(instruction);
    if (!instruction.at || instruction.callTarget === undefined) continue;
    const callee = functionStarts.get(instruction.callTarget);
    if (callee === undefined || isUserFunction(callee)) continue;
    for (const reached of sensitiveThroughCalls(callee, byFunction, functionStarts, isUserFunction)) {
      credit(instruction.at, { ...reached, at: instruction.at, via: callee });
    }
  }
  return { byLine, unattributed };
}

/** The sensitive instructions of non-user function `name` and of the non-user functions it calls. */
function sensitiveThroughCalls(
  name: string,
  byFunction: ReadonlyMap<string, CompiledInstruction[]>,
  functionStarts: ReadonlyMap<number, string>,
  isUserFunction: (name: string) => boolean,
): CompiledInstruction[] {
  const found: CompiledInstruction[] = [];
  const seen = new Set<string>([name]);
  const pending = [name];
  while (pending.length > 0) {
    for (const instruction of byFunction.get(pending.pop()!) ?? []) {
      if (instruction.rule) found.push(instruction);
      const callee = instruction.callTarget === undefined ? undefined : functionStarts.get(instruction.callTarget);
      if (callee !== undefined && !seen.has(callee) && !isUserFunction(callee)) {
        seen.add(callee);
        pending.push(callee);
      }
    }
  }
  return found;
}

/** One line per instruction, for failure messages: `0x1102 0f31 Rdtsc [rdtsc] f ia32intrin.h:114 < a.c:8`. */
export function describeInstruction(instruction: CompiledInstruction): string {
  const where = instruction.chain.map((l) => `${path.basename(l.file)}:${l.line}`).join(' < ') || 'no line';
  const rule = instruction.rule ? ` [${instruction.rule}]` : '';
  const via = instruction.via ? ` via ${instruction.via}` : '';
  return `0x${instruction.address.toString(16)} ${instruction.bytes} ${instruction.codeName}${rule} ${instruction.functionName ?? '(no function)'} ${where}${via}`;
}
