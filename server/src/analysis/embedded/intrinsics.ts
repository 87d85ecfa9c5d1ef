// Compiler intrinsics and builtins that compile to a sensitive instruction, per host language.
// Each mapping is a fact taken from the compiler's own header or documentation (named in `source`);
// the inline-asm oracle compiles a call of each and checks the instruction the compiler emitted.
import type { Bits } from '../types';
import type { HostLanguage } from './types';
import { NameHashes } from './c/nameFilter';

export type IntrinsicCompiler = 'gcc' | 'clang' | 'msvc' | 'rustc';

/** One compiler that offers the intrinsic, where it declares it, and in which bitness. */
export interface IntrinsicProvider {
  readonly compiler: IntrinsicCompiler;
  /** The header (`cpuid.h`), `builtin`, or Rust module (`core::arch::x86_64`). */
  readonly from: string;
  /** The bitness the compiler offers it in (`__builtin_ia32_readeflags_u32` is 32-bit only). */
  readonly bits: readonly Bits[];
}

export interface IntrinsicEntry {
  /** The name as called (`__rdtsc`, `__builtin_ia32_rdtsc`, `_xgetbv`; Rust: the function's last path segment). */
  readonly name: string;
  readonly languages: readonly HostLanguage[];
  /** The instruction it compiles to: one NASM-syntax line valid in `bits` (`pushfq` in 64-bit, `pushfd` in 32-bit…). */
  instruction(bits: Bits): string;
  /** The header or page that states the mapping (`gcc ia32intrin.h`, `MSVC docs: __sidt`, `core::arch::x86_64::_rdtsc`). */
  readonly source: string;
  readonly providers: readonly IntrinsicProvider[];
  /** Where the call compiles to the instruction at all (Rust `has_cpuid` runs `pushfd` on x86 only); every bitness when absent. */
  readonly bits?: readonly Bits[];
  /** Other sensitive instructions every call also runs, one NASM line each (`__get_cpuid` on 32-bit probes EFLAGS.ID first). */
  alsoEmits?(bits: Bits): readonly string[];
}

const BOTH_WIDTHS: readonly Bits[] = [32, 64];
const C_FAMILY: readonly HostLanguage[] = ['c', 'cpp'];
const RUST: readonly HostLanguage[] = ['rust'];

/** gcc -m16 code uses 32-bit operand forms, so 16 and 32 share the 32-bit spelling. */
function byWidth(narrow: string, wide: string): (bits: Bits) => string {
  return (bits) => (bits === 64 ? wide : narrow);
}

function always(line: string): (bits: Bits) => string {
  return () => line;
}

const gcc = (from: string, bits: readonly Bits[] = BOTH_WIDTHS): IntrinsicProvider => ({ compiler: 'gcc', from, bits });
const clang = (from: string, bits: readonly Bits[] = BOTH_WIDTHS): IntrinsicProvider => ({ compiler: 'clang', from, bits });
const msvc: IntrinsicProvider = { compiler: 'msvc', from: 'intrin.h', bits: BOTH_WIDTHS };
const rustBoth: readonly IntrinsicProvider[] = [
  { compiler: 'rustc', from: 'core::arch::x86', bits: [32] },
  { compiler: 'rustc', from: 'core::arch::x86_64', bits: [64] },
];

/** The EFLAGS.ID probe gcc's and clang's cpuid.h run before cpuid on 32-bit x86. */
function eflagsProbe(bits: Bits): readonly string[] {
  return bits === 64 ? [] : ['pushfd', 'popfd'];
}

const cpuid = always('cpuid');
const rdtsc = always('rdtsc');
const rdtscp = always('rdtscp');
const rdpmc = always('rdpmc');
const xgetbv = always('xgetbv');
const rdpid = byWidth('rdpid eax', 'rdpid rax');
const pushf = byWidth('pushfd', 'pushfq');
const popf = byWidth('popfd', 'popfq');

const C_AND_CPP: IntrinsicEntry[] = [
  {
    name: '__cpuid',
    languages: C_FAMILY,
    instruction: cpuid,
    source:
      'gcc 12 and clang 14 cpuid.h: macro __cpuid(level, a, b, c, d) around asm "cpuid"; MSVC docs __cpuid, __cpuidex: void __cpuid(int[4], int) generates cpuid',
    providers: [gcc('cpuid.h'), clang('cpuid.h'), msvc],
  },
  {
    name: '__cpuidex',
    languages: C_FAMILY,
    instruction: cpuid,
    source: 'gcc 12 cpuid.h: __cpuidex(int[4], leaf, subleaf) runs __cpuid_count; MSVC docs __cpuid, __cpuidex: generates cpuid with ecx = subleaf',
    providers: [gcc('cpuid.h'), msvc],
  },
  {
    name: '__cpuid_count',
    languages: C_FAMILY,
    instruction: cpuid,
    source: 'gcc 12 and clang 14 cpuid.h: macro __cpuid_count(level, count, a, b, c, d) around asm "cpuid"',
    providers: [gcc('cpuid.h'), clang('cpuid.h')],
  },
  {
    name: '__get_cpuid',
    languages: C_FAMILY,
    instruction: cpuid,
    alsoEmits: eflagsProbe,
    source: 'gcc 12 and clang 14 cpuid.h: __get_cpuid calls __get_cpuid_max (pushf/popf probe of EFLAGS.ID on i386) then __cpuid',
    providers: [gcc('cpuid.h'), clang('cpuid.h')],
  },
  {
    name: '__get_cpuid_count',
    languages: C_FAMILY,
    instruction: cpuid,
    alsoEmits: eflagsProbe,
    source: 'gcc 12 and clang 14 cpuid.h: __get_cpuid_count calls __get_cpuid_max (pushf/popf probe on i386) then __cpuid_count',
    providers: [gcc('cpuid.h'), clang('cpuid.h')],
  },
  {
    name: '__get_cpuid_max',
    languages: C_FAMILY,
    instruction: cpuid,
    alsoEmits: eflagsProbe,
    source: 'gcc 12 and clang 14 cpuid.h: __get_cpuid_max probes EFLAGS.ID with pushf/popf on i386, then runs __cpuid',
    providers: [gcc('cpuid.h'), clang('cpuid.h')],
  },
  {
    name: '__rdtsc',
    languages: C_FAMILY,
    instruction: rdtsc,
    source: 'gcc 12 ia32intrin.h: __rdtsc returns __builtin_ia32_rdtsc(); clang 14: builtin __rdtsc; MSVC docs __rdtsc: generates rdtsc',
    providers: [gcc('x86gprintrin.h'), clang('x86intrin.h'), msvc],
  },
  {
    name: '_rdtsc',
    languages: C_FAMILY,
    instruction: rdtsc,
    source: 'gcc 12 and clang 14 ia32intrin.h: #define _rdtsc() __rdtsc()',
    providers: [gcc('x86gprintrin.h'), clang('x86intrin.h')],
  },
  {
    name: '__builtin_ia32_rdtsc',
    languages: C_FAMILY,
    instruction: rdtsc,
    source: 'gcc 12 and clang 14 ia32intrin.h: __rdtsc is __builtin_ia32_rdtsc()',
    providers: [gcc('builtin'), clang('builtin')],
  },
  {
    name: '__rdtscp',
    languages: C_FAMILY,
    instruction: rdtscp,
    source: 'gcc 12 and clang 14 ia32intrin.h: __rdtscp returns __builtin_ia32_rdtscp(p); MSVC docs __rdtscp: generates rdtscp',
    providers: [gcc('x86gprintrin.h'), clang('x86intrin.h'), msvc],
  },
  {
    name: '_rdtscp',
    languages: C_FAMILY,
    instruction: rdtscp,
    source: 'gcc 12 ia32intrin.h: #define _rdtscp(a) __rdtscp(a)',
    providers: [gcc('x86gprintrin.h')],
  },
  {
    name: '__builtin_ia32_rdtscp',
    languages: C_FAMILY,
    instruction: rdtscp,
    source: 'gcc 12 and clang 14 ia32intrin.h: __rdtscp is __builtin_ia32_rdtscp(p)',
    providers: [gcc('builtin'), clang('builtin')],
  },
  {
    name: '__rdpmc',
    languages: C_FAMILY,
    instruction: rdpmc,
    source: 'gcc 12 and clang 14 ia32intrin.h: __rdpmc(int) returns __builtin_ia32_rdpmc',
    providers: [gcc('x86gprintrin.h'), clang('x86intrin.h')],
  },
  {
    name: '_rdpmc',
    languages: C_FAMILY,
    instruction: rdpmc,
    source: 'gcc 12 and clang 14 ia32intrin.h: #define _rdpmc(a) __rdpmc(a)',
    providers: [gcc('x86gprintrin.h'), clang('x86intrin.h')],
  },
  {
    name: '__builtin_ia32_rdpmc',
    languages: C_FAMILY,
    instruction: rdpmc,
    source: 'gcc 12 and clang 14 ia32intrin.h: __rdpmc is __builtin_ia32_rdpmc(counter)',
    providers: [gcc('builtin'), clang('builtin')],
  },
  {
    name: '__readpmc',
    languages: C_FAMILY,
    instruction: rdpmc,
    source: 'MSVC docs __readpmc: generates rdpmc (reads the performance monitoring counter)',
    providers: [msvc],
  },
  {
    name: '__readeflags',
    languages: C_FAMILY,
    instruction: pushf,
    source:
      'gcc 12 and clang 14 ia32intrin.h: __readeflags is __builtin_ia32_readeflags_u64 on x86-64, _u32 on i386; MSVC docs __readeflags: reads EFLAGS (pushfd/pushfq)',
    providers: [gcc('x86gprintrin.h'), clang('x86intrin.h'), msvc],
  },
  {
    name: '__writeeflags',
    languages: C_FAMILY,
    instruction: popf,
    source:
      'gcc 12 and clang 14 ia32intrin.h: __writeeflags is __builtin_ia32_writeeflags_u64 on x86-64, _u32 on i386; MSVC docs __writeeflags: writes EFLAGS (popfd/popfq)',
    providers: [gcc('x86gprintrin.h'), clang('x86intrin.h'), msvc],
  },
  {
    name: '__builtin_ia32_readeflags_u32',
    languages: C_FAMILY,
    instruction: pushf,
    bits: [16, 32],
    source: 'gcc 12 and clang 14 ia32intrin.h: the i386 __readeflags; clang: "only available on 32-bit targets"',
    providers: [gcc('builtin', [32]), clang('builtin', [32])],
  },
  {
    name: '__builtin_ia32_readeflags_u64',
    languages: C_FAMILY,
    instruction: pushf,
    bits: [64],
    source: 'gcc 12 and clang 14 ia32intrin.h: the x86-64 __readeflags',
    providers: [gcc('builtin', [64]), clang('builtin', [64])],
  },
  {
    name: '__builtin_ia32_writeeflags_u32',
    languages: C_FAMILY,
    instruction: popf,
    bits: [16, 32],
    source: 'gcc 12 and clang 14 ia32intrin.h: the i386 __writeeflags; clang: "only available on 32-bit targets"',
    providers: [gcc('builtin', [32]), clang('builtin', [32])],
  },
  {
    name: '__builtin_ia32_writeeflags_u64',
    languages: C_FAMILY,
    instruction: popf,
    bits: [64],
    source: 'gcc 12 and clang 14 ia32intrin.h: the x86-64 __writeeflags',
    providers: [gcc('builtin', [64]), clang('builtin', [64])],
  },
  {
    name: '_xgetbv',
    languages: C_FAMILY,
    instruction: xgetbv,
    source: 'gcc 12 xsaveintrin.h: _xgetbv returns __builtin_ia32_xgetbv; clang 14 xsaveintrin.h: #define _xgetbv(A) __builtin_ia32_xgetbv; MSVC docs _xgetbv',
    providers: [gcc('x86gprintrin.h'), clang('immintrin.h'), msvc],
  },
  {
    name: '__builtin_ia32_xgetbv',
    languages: C_FAMILY,
    instruction: xgetbv,
    source: 'gcc 12 and clang 14 xsaveintrin.h: _xgetbv is __builtin_ia32_xgetbv',
    providers: [gcc('builtin'), clang('builtin')],
  },
  {
    name: '_rdpid_u32',
    languages: C_FAMILY,
    instruction: rdpid,
    source: 'gcc 12 x86gprintrin.h and clang 14 immintrin.h: _rdpid_u32 returns __builtin_ia32_rdpid (target "rdpid")',
    providers: [gcc('x86gprintrin.h'), clang('immintrin.h')],
  },
  {
    name: '__builtin_ia32_rdpid',
    languages: C_FAMILY,
    instruction: rdpid,
    source: 'gcc 12 x86gprintrin.h and clang 14 immintrin.h: _rdpid_u32 is __builtin_ia32_rdpid',
    providers: [gcc('builtin'), clang('builtin')],
  },
  {
    name: '_sgdt',
    languages: C_FAMILY,
    instruction: byWidth('sgdt [eax]', 'sgdt [rax]'),
    source: 'MSVC docs _sgdt: stores the GDTR at the pointer (the SGDT instruction), x86 and x64, intrin.h',
    providers: [msvc],
  },
  {
    name: '__sidt',
    languages: C_FAMILY,
    instruction: byWidth('sidt [eax]', 'sidt [rax]'),
    source: 'MSVC docs __sidt: stores the IDTR at the pointer, equivalent to the SIDT machine instruction, x86 and x64',
    providers: [msvc],
  },
  {
    name: '__segmentlimit',
    languages: C_FAMILY,
    instruction: always('lsl eax, ecx'),
    source: 'MSVC docs __segmentlimit: "Generates the lsl (Load Segment Limit) instruction"',
    providers: [msvc],
  },
  {
    name: '__int2c',
    languages: C_FAMILY,
    instruction: always('int 0x2c'),
    source: 'MSVC docs __int2c: generates the int 2c instruction (x86, x64)',
    providers: [msvc],
  },
  {
    name: '__fastfail',
    languages: C_FAMILY,
    instruction: always('int 0x29'),
    source: 'MSVC docs __fastfail: raises the fail-fast exception with int 0x29 on x86 and x64',
    providers: [msvc],
  },
  {
    name: '__debugbreak',
    languages: C_FAMILY,
    instruction: always('int3'),
    source: 'MSVC docs __debugbreak: similar to __asm { int 3 } on x86 (and x64)',
    providers: [msvc],
  },
  {
    name: '__builtin_debugtrap',
    languages: C_FAMILY,
    instruction: always('int3'),
    source: 'clang 14 LanguageExtensions: __builtin_debugtrap stops the program so a debugger can catch it (int3 on x86)',
    providers: [clang('builtin')],
  },
];

const RUST_CORE_ARCH: IntrinsicEntry[] = [
  {
    name: '__cpuid',
    languages: RUST,
    instruction: cpuid,
    source: 'core::arch::{x86,x86_64}::__cpuid (stdarch x86/cpuid.rs): __cpuid_count(leaf, 0), asm "cpuid"',
    providers: rustBoth,
  },
  {
    name: '__cpuid_count',
    languages: RUST,
    instruction: cpuid,
    source: 'core::arch::{x86,x86_64}::__cpuid_count (stdarch x86/cpuid.rs): asm "cpuid" with eax = leaf, ecx = sub_leaf',
    providers: rustBoth,
  },
  {
    name: '__get_cpuid_max',
    languages: RUST,
    instruction: cpuid,
    source: 'core::arch::{x86,x86_64}::__get_cpuid_max (stdarch x86/cpuid.rs): returns __cpuid(leaf).eax and .ebx',
    providers: rustBoth,
  },
  {
    name: 'has_cpuid',
    languages: RUST,
    instruction: always('pushfd'),
    alsoEmits: () => ['popfd'],
    bits: [16, 32],
    source: 'core::arch::x86::has_cpuid (stdarch x86/cpuid.rs): on x86 flips EFLAGS.ID with pushfd/popfd; on x86_64 it returns true',
    providers: [{ compiler: 'rustc', from: 'core::arch::x86', bits: [32] }],
  },
  {
    name: '_rdtsc',
    languages: RUST,
    instruction: rdtsc,
    source: 'core::arch::{x86,x86_64}::_rdtsc (stdarch x86/rdtsc.rs): "Reads the current value of the processor’s time-stamp counter", llvm.x86.rdtsc',
    providers: rustBoth,
  },
  {
    name: '__rdtscp',
    languages: RUST,
    instruction: rdtscp,
    source: 'core::arch::{x86,x86_64}::__rdtscp (stdarch x86/rdtsc.rs): llvm.x86.rdtscp',
    providers: rustBoth,
  },
  {
    name: '_xgetbv',
    languages: RUST,
    instruction: xgetbv,
    source: 'core::arch::{x86,x86_64}::_xgetbv (stdarch x86/xsave.rs, target feature xsave): llvm.x86.xgetbv',
    providers: rustBoth,
  },
  {
    name: '__readeflags',
    languages: RUST,
    instruction: pushf,
    source: 'core::arch::{x86,x86_64}::__readeflags (stdarch x86/eflags.rs, deprecated): asm "pushfd"/"pushfq" then pop',
    providers: rustBoth,
  },
  {
    name: '__writeeflags',
    languages: RUST,
    instruction: popf,
    source: 'core::arch::{x86,x86_64}::__writeeflags (stdarch x86/eflags.rs, deprecated): asm push then "popfd"/"popfq"',
    providers: rustBoth,
  },
];

export const INTRINSICS: readonly IntrinsicEntry[] = [...C_AND_CPP, ...RUST_CORE_ARCH];

const byLanguage = new Map<HostLanguage, Map<string, IntrinsicEntry>>();
const hashesByLanguage = new Map<HostLanguage, NameHashes>();

/** The names of `language`'s intrinsics as hashes, for the pre-filter's pass. */
export function intrinsicNameHashes(language: HostLanguage): NameHashes {
  let hashes = hashesByLanguage.get(language);
  if (!hashes) {
    hashes = new NameHashes();
    for (const entry of INTRINSICS) if (entry.languages.includes(language)) hashes.add(entry.name);
    hashesByLanguage.set(language, hashes);
  }
  return hashes;
}

/** The intrinsic `name` names in `language`, if it is one that compiles to a sensitive instruction. */
export function intrinsicNamed(name: string, language: HostLanguage): IntrinsicEntry | undefined {
  let table = byLanguage.get(language);
  if (!table) {
    table = new Map();
    for (const entry of INTRINSICS) if (entry.languages.includes(language)) table.set(entry.name, entry);
    byLanguage.set(language, table);
  }
  return table.get(name);
}
