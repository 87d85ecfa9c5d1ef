// The intrinsics table against the compilers themselves: for every entry, every language it lists
// and every compiler and bitness a provider names, compile a call of it at -O2 (gcc, clang, clang
// targeting windows-msvc for MSVC's names, Debian's rustc), decode the function's bytes with iced-x86
// and check it holds the instruction the table names (same iced Code as NASM assembles the table's
// line to). The cases this machine cannot check are listed with the reason, and the reason itself
// is checked, so an exclusion stops passing the day it stops being true.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { INTRINSICS, type IntrinsicEntry, type IntrinsicProvider } from '../../server/src/analysis/embedded/intrinsics';
import type { HostLanguage } from '../../server/src/analysis/embedded/types';
import { assembleNasm, decodeAll, type Bits, type DecodedInstruction } from '../helpers/assemble';

const DEBIAN_RUSTC = '/usr/bin/rustc';
const PROBE = 'virtlint_probe';

/** How to call each intrinsic from C/C++ (`a b c d` are unsigned locals, `info` an int[4], `aux` an unsigned). */
const C_CALLS: Record<string, string> = {
  __cpuid: 'CPUID_CALL',
  __cpuidex: '__cpuidex(info, 7, 0); a = info[1];',
  __cpuid_count: '__cpuid_count(7, 0, a, b, c, d);',
  __get_cpuid: 'a = __get_cpuid(1, &a, &b, &c, &d);',
  __get_cpuid_count: 'a = __get_cpuid_count(7, 0, &a, &b, &c, &d);',
  __get_cpuid_max: 'a = __get_cpuid_max(0, &b);',
  __rdtsc: 'r = __rdtsc();',
  _rdtsc: 'r = _rdtsc();',
  __builtin_ia32_rdtsc: 'r = __builtin_ia32_rdtsc();',
  __rdtscp: 'r = __rdtscp(&aux);',
  _rdtscp: 'r = _rdtscp(&aux);',
  __builtin_ia32_rdtscp: 'r = __builtin_ia32_rdtscp(&aux);',
  __rdpmc: 'r = __rdpmc(0);',
  _rdpmc: 'r = _rdpmc(0);',
  __builtin_ia32_rdpmc: 'r = __builtin_ia32_rdpmc(0);',
  __readpmc: 'r = __readpmc(0);',
  __readeflags: 'r = __readeflags();',
  __writeeflags: '__writeeflags(x);',
  __builtin_ia32_readeflags_u32: 'r = __builtin_ia32_readeflags_u32();',
  __builtin_ia32_readeflags_u64: 'r = __builtin_ia32_readeflags_u64();',
  __builtin_ia32_writeeflags_u32: '__builtin_ia32_writeeflags_u32((unsigned)x);',
  __builtin_ia32_writeeflags_u64: '__builtin_ia32_writeeflags_u64(x);',
  _xgetbv: 'r = _xgetbv(0);',
  __builtin_ia32_xgetbv: 'r = __builtin_ia32_xgetbv(0);',
  _rdpid_u32: 'r = _rdpid_u32();',
  __builtin_ia32_rdpid: 'r = __builtin_ia32_rdpid();',
  _sgdt: '_sgdt(table);',
  __sidt: '__sidt(table);',
  __segmentlimit: 'r = __segmentlimit((unsigned long)x);',
  __int2c: '__int2c();',
  __fastfail: '__fastfail(3);',
  __debugbreak: '__debugbreak();',
  __builtin_debugtrap: '__builtin_debugtrap();',
};

/** `__cpuid` is a five-argument macro in cpuid.h and a two-argument function in MSVC's intrin.h. */
function cCall(name: string, provider: IntrinsicProvider): string {
  const call = C_CALLS[name];
  assert.ok(call, `no C call written for ${name}: add one to C_CALLS`);
  if (call !== 'CPUID_CALL') return call;
  return provider.compiler === 'msvc' ? '__cpuid(info, 1); a = info[2];' : '__cpuid(1, a, b, c, d);';
}

/** Rust calls, inside `unsafe fn` with `core::arch::{x86,x86_64}::*` in scope. */
const RUST_CALLS: Record<string, string> = {
  __cpuid: '__cpuid(1).ecx as u64',
  __cpuid_count: '__cpuid_count(7, 0).ebx as u64',
  __get_cpuid_max: '__get_cpuid_max(0).0 as u64',
  has_cpuid: 'has_cpuid() as u64',
  _rdtsc: '_rdtsc()',
  __rdtscp: '{ let mut aux = 0u32; __rdtscp(&mut aux) ^ aux as u64 }',
  _xgetbv: '_xgetbv(0)',
  __readeflags: '__readeflags() as u64',
  __writeeflags: '{ __writeeflags(x as _); 0 }',
};

/** Target features a Rust call needs (given only there: a feature on the caller keeps rustc 1.63 from inlining the others). */
const RUST_FEATURES: Record<string, string> = { _xgetbv: 'xsave' };

/** What this machine cannot compile, and why: checked below, so the reason has to stay true. */
const NOT_CHECKABLE: Record<string, string> = {
  'msvc:_sgdt': 'clang 14 does not provide _sgdt (intrin.h does not declare it; there is no builtin)',
  'msvc:__sidt': 'clang 14 declares __sidt in intrin.h but implements no builtin: the call stays an external call',
  'msvc:__readpmc': 'clang 14 declares __readpmc in intrin.h but implements no builtin: the call stays an external call',
  'msvc:__segmentlimit': 'clang 14 declares __segmentlimit in intrin.h but implements no builtin: the call stays an external call',
};
// i686 asm! is compiled as a `#![no_core]` crate (RUSTC_BOOTSTRAP=1, the statement oracle), but the
// intrinsics are functions of `core::arch::x86`, which such a crate does not have.
const RUST_32_REASON = "Debian's rustc ships the x86_64 core library only: an i686 #![no_core] crate compiles asm! but has no core::arch::x86 to take the intrinsics from";

interface Probe {
  entry: IntrinsicEntry;
  provider: IntrinsicProvider;
  language: HostLanguage;
  bits: Bits;
}

function providesFor(provider: IntrinsicProvider, language: HostLanguage): boolean {
  return language === 'rust' ? provider.compiler === 'rustc' : provider.compiler !== 'rustc';
}

/** gcc -m16 emits 32-bit-operand code in a 16-bit segment: checked too wherever gcc offers the 32-bit form. */
function probeBits(provider: IntrinsicProvider): Bits[] {
  const bits: Bits[] = [];
  for (const b of provider.bits) bits.push(b);
  if (provider.compiler === 'gcc' && provider.bits.includes(32)) bits.push(16);
  return bits;
}

function allProbes(): Probe[] {
  const probes: Probe[] = [];
  for (const entry of INTRINSICS) {
    for (const language of entry.languages) {
      for (const provider of entry.providers) {
        if (!providesFor(provider, language)) continue;
        for (const bits of probeBits(provider)) probes.push({ entry, provider, language, bits });
      }
    }
  }
  return probes;
}

function exclusionOf(probe: Probe): string | undefined {
  if (probe.provider.compiler === 'rustc' && probe.bits !== 64) return RUST_32_REASON;
  return NOT_CHECKABLE[`${probe.provider.compiler}:${probe.entry.name}`];
}

// ---------------------------------------------------------------- sources

function cSource(probe: Probe): string {
  const { entry, provider, language } = probe;
  const includes: string[] = [];
  if (provider.compiler === 'msvc') includes.push('#include <intrin.h>');
  else if (provider.from !== 'builtin') includes.push(`#include <${provider.from}>`);
  const linkage = language === 'cpp' ? 'extern "C" ' : '';
  const features = provider.compiler === 'msvc' ? '' : '__attribute__((target("xsave,rdpid"))) ';
  return [
    ...includes,
    'int info[4]; unsigned aux; char table[16];',
    `${linkage}${features}unsigned long long ${PROBE}(unsigned long long x) {`,
    '  unsigned a = 0, b = 0, c = 0, d = 0; unsigned long long r = 0;',
    `  ${cCall(entry.name, provider)}`,
    '  (void)x; return r ^ a ^ b ^ c ^ d;',
    '}',
    '',
  ].join('\n');
}

function rustSource(probe: Probe): string {
  const call = RUST_CALLS[probe.entry.name];
  assert.ok(call, `no Rust call written for ${probe.entry.name}: add one to RUST_CALLS`);
  const module = probe.bits === 64 ? 'x86_64' : 'x86';
  return [
    '#![allow(deprecated, unused_unsafe)]',
    `use core::arch::${module}::*;`,
    '#[no_mangle]',
    ...(RUST_FEATURES[probe.entry.name] ? [`#[target_feature(enable = "${RUST_FEATURES[probe.entry.name]}")]`] : []),
    `pub unsafe fn ${PROBE}(x: u64) -> u64 { let _ = x; ${call} }`,
    '',
  ].join('\n');
}

// ---------------------------------------------------------------- compiling

interface Compiled {
  ok: boolean;
  command: string;
  diagnostics: string;
  object?: string;
}

function compile(probe: Probe, dir: string): Compiled {
  const object = path.join(dir, 'probe.o');
  let executable: string;
  let args: string[];
  if (probe.language === 'rust') {
    const source = path.join(dir, 'probe.rs');
    fs.writeFileSync(source, rustSource(probe));
    executable = DEBIAN_RUSTC;
    const target = probe.bits === 64 ? 'x86_64-unknown-linux-gnu' : 'i686-unknown-linux-gnu';
    args = ['--edition=2021', '--crate-type=lib', '--emit=obj', '-O', '-C', 'debuginfo=0', '--target', target, '-o', object, source];
  } else {
    const source = path.join(dir, probe.language === 'cpp' ? 'probe.cpp' : 'probe.c');
    fs.writeFileSync(source, cSource(probe));
    const common = ['-O2', '-ffreestanding', '-Werror=implicit-function-declaration', '-c', '-o', object, source];
    if (probe.provider.compiler === 'msvc') {
      executable = probe.language === 'cpp' ? 'clang++' : 'clang';
      const target = probe.bits === 64 ? 'x86_64-pc-windows-msvc' : 'i686-pc-windows-msvc';
      args = [`--target=${target}`, ...common];
    } else {
      executable = probe.provider.compiler === 'gcc' ? (probe.language === 'cpp' ? 'g++' : 'gcc') : probe.language === 'cpp' ? 'clang++' : 'clang';
      args = [`-m${probe.bits}`, ...common];
    }
  }
  const result = spawnSync(executable, args, { encoding: 'utf8', timeout: 120_000 });
  if (result.error) throw new Error(`${executable} could not run (${result.error.message}): apt-get install -y gcc g++ clang rustc`);
  const command = `${executable} ${args.join(' ')}`;
  return { ok: result.status === 0, command, diagnostics: result.stderr, object: result.status === 0 ? object : undefined };
}

// ---------------------------------------------------------------- reading the object

interface ObjectFunction {
  bytes: number[];
  /** Functions of the same object this one calls directly. */
  callees: Set<string>;
  /** Calls and jumps whose target is outside every function of the object (relocated: external). */
  externalTransfers: number;
}

const FUNCTION_HEADER = /^[0-9a-f]+ <([^>]+)>:$/;
const INSTRUCTION_LINE = /^\s*[0-9a-f]+:\t([0-9a-f ]+?)\s*(?:\t(.*))?$/;
const TRANSFER = /^(?:call|jmp)\w*\s+[0-9a-fx]+ <([^>+]+)(\+0x[0-9a-f]+)?>/;

/** Function name → its bytes, from `objdump -d` (which knows ELF and COFF), decoded by iced later. */
function readFunctions(object: string): Map<string, ObjectFunction> {
  const result = spawnSync('objdump', ['-d', '-z', '--insn-width=16', object], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.status !== 0) throw new Error(`objdump -d failed: ${result.stderr}`);
  const functions = new Map<string, ObjectFunction>();
  const transfers: Array<{ from: ObjectFunction; fromName: string; target: string; offset: boolean }> = [];
  let current: ObjectFunction | undefined;
  let currentName = '';
  for (const line of result.stdout.split('\n')) {
    const header = FUNCTION_HEADER.exec(line);
    if (header) {
      currentName = header[1]!;
      current = { bytes: [], callees: new Set(), externalTransfers: 0 };
      functions.set(currentName, current);
      continue;
    }
    const instruction = current && INSTRUCTION_LINE.exec(line);
    if (!current || !instruction) continue;
    for (const byte of instruction[1]!.split(' ')) if (byte) current.bytes.push(parseInt(byte, 16));
    const transfer = TRANSFER.exec(instruction[2] ?? '');
    if (transfer) transfers.push({ from: current, fromName: currentName, target: transfer[1]!, offset: transfer[2] !== undefined });
  }
  for (const { from, fromName, target, offset } of transfers) {
    if (target !== fromName && functions.has(target) && !offset) from.callees.add(target);
    else if (target === fromName && offset) from.externalTransfers++; // an unrelocated rel32 points into the caller itself
  }
  return functions;
}

function probeFunctionName(functions: Map<string, ObjectFunction>): string {
  for (const name of functions.keys()) if (name === PROBE || name === `_${PROBE}`) return name;
  throw new Error(`no ${PROBE} in the object: ${[...functions.keys()].join(', ')}`);
}

/** The probe and every function of the object it reaches by direct calls, decoded at `bits`. */
function decodedReach(functions: Map<string, ObjectFunction>, bits: Bits): { decoded: DecodedInstruction[]; externalTransfers: number } {
  const start = probeFunctionName(functions);
  const seen = new Set<string>([start]);
  const queue = [start];
  const decoded: DecodedInstruction[] = [];
  let externalTransfers = 0;
  while (queue.length > 0) {
    const name = queue.shift()!;
    const fn = functions.get(name)!;
    externalTransfers += fn.externalTransfers;
    for (const instruction of decodeAll(Uint8Array.from(fn.bytes), bits)) decoded.push(instruction);
    for (const callee of fn.callees) {
      if (seen.has(callee)) continue;
      seen.add(callee);
      queue.push(callee);
    }
  }
  return { decoded, externalTransfers };
}

// ---------------------------------------------------------------- expectations

const expectedCodeCache = new Map<string, DecodedInstruction>();

/** The iced Code NASM assembles a table line to (so the table's lines must be valid NASM in `bits`). */
function expectedCode(line: string, bits: Bits): DecodedInstruction {
  const key = `${bits}:${line}`;
  let decoded = expectedCodeCache.get(key);
  if (!decoded) {
    const { image } = assembleNasm(`${line}\n`, { bits });
    const all = decodeAll(image, bits);
    assert.equal(all.length, 1, `NASM line "${line}" in ${bits}-bit should be one instruction, got ${all.map((d) => d.codeName).join(', ')}`);
    decoded = all[0]!;
    expectedCodeCache.set(key, decoded);
  }
  return decoded;
}

function expectedLines(entry: IntrinsicEntry, bits: Bits): string[] {
  const lines = [entry.instruction(bits)];
  for (const line of entry.alsoEmits?.(bits) ?? []) lines.push(line);
  return lines;
}

function describeProbe(probe: Probe): string {
  const compiler = probe.provider.compiler === 'msvc' ? 'msvc (clang --target=*-windows-msvc)' : probe.provider.compiler;
  return `${probe.entry.name} [${probe.language}, ${compiler}, ${probe.bits}-bit]`;
}

function withTempDir<T>(work: (dir: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtlint-intrinsic-'));
  try {
    return work(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- the tests

describe('intrinsics table: compiled by the real compilers', function () {
  this.timeout(180_000);
  const probes = allProbes();

  it('every entry has a provider for each language it lists, and every provider a language', () => {
    for (const entry of INTRINSICS) {
      for (const language of entry.languages) {
        assert.ok(entry.providers.some((p) => providesFor(p, language)), `${entry.name}: no compiler for ${language}`);
      }
      for (const provider of entry.providers) {
        assert.ok(entry.languages.some((l) => providesFor(provider, l)), `${entry.name}: ${provider.compiler} serves none of its languages`);
      }
      assert.ok(entry.source.length > 10, `${entry.name}: no source named`);
    }
  });

  it('no name means two entries in one language', () => {
    const seen = new Set<string>();
    for (const entry of INTRINSICS) {
      for (const language of entry.languages) {
        const key = `${language}:${entry.name}`;
        assert.ok(!seen.has(key), `${key} twice`);
        seen.add(key);
      }
    }
  });

  for (const probe of probes) {
    const exclusion = exclusionOf(probe);
    if (exclusion) {
      it(`${describeProbe(probe)} cannot be checked here: ${exclusion}`, () => {
        withTempDir((dir) => {
          const compiled = compile(probe, dir);
          if (!compiled.ok) {
            const because = probe.language === 'rust' ? 'target may not be installed' : probe.entry.name;
            assert.ok(compiled.diagnostics.includes(because), `${compiled.command} failed for another reason:\n${compiled.diagnostics}`);
            return;
          }
          const { decoded, externalTransfers } = decodedReach(readFunctions(compiled.object!), probe.bits);
          const want = expectedCode(probe.entry.instruction(probe.bits), probe.bits);
          assert.ok(
            !decoded.some((d) => d.code === want.code),
            `${compiled.command} now emits ${want.codeName}: the exclusion is stale, check it like the others`,
          );
          assert.ok(externalTransfers > 0, `${compiled.command}: neither the instruction nor an external call`);
        });
      });
      continue;
    }
    it(`${describeProbe(probe)} compiles to ${expectedLines(probe.entry, probe.bits).join(' + ')}`, () => {
      withTempDir((dir) => {
        const compiled = compile(probe, dir);
        assert.ok(compiled.ok, `${compiled.command} failed:\n${compiled.diagnostics}`);
        const { decoded } = decodedReach(readFunctions(compiled.object!), probe.bits);
        for (const line of expectedLines(probe.entry, probe.bits)) {
          const want = expectedCode(line, probe.bits);
          assert.ok(
            decoded.some((d) => d.code === want.code),
            `${compiled.command}: no ${want.codeName} (from "${line}") in ${decoded.map((d) => d.codeName).join(' ')}`,
          );
        }
      });
    });
  }
});
