// The inline-asm oracle's matrix: which fixture is built by which compiler, at which bitness,
// optimisation level and with which flags. Every C/C++ fixture builds at -O0 and -O2; the matrix
// leaves out only what a compiler cannot build (64-bit far calls, MSVC blocks with gcc…).
import * as path from 'node:path';
import type { Bits, HostCompiler } from '../helpers/hostCompilers';

export interface OracleConfiguration {
  /** Relative to FIXTURE_ROOT. */
  fixture: string;
  language: 'c' | 'cpp' | 'rust';
  compiler: HostCompiler;
  bits: Bits;
  optimize: 0 | 2;
  flags: string[];
  env?: Record<string, string>;
}

export const FIXTURE_ROOT = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'embedded');
export const FIXTURE_INCLUDE = path.join(FIXTURE_ROOT, 'include');

interface FixtureMatrix {
  fixture: string;
  builds: { compiler: HostCompiler; bits: readonly Bits[]; flags?: string[]; env?: Record<string, string> }[];
}

const GCC_ALL: FixtureMatrix['builds'][number] = { compiler: 'gcc', bits: [16, 32, 64] };
const CLANG_32_64: FixtureMatrix['builds'][number] = { compiler: 'clang', bits: [32, 64] };
const INTEL = ['-masm=intel'];

const MATRIX: readonly FixtureMatrix[] = [
  { fixture: 'c/gnu-operands.c', builds: [GCC_ALL, CLANG_32_64] },
  { fixture: 'c/asm-goto.c', builds: [GCC_ALL, CLANG_32_64] },
  { fixture: 'c/toplevel.c', builds: [GCC_ALL, CLANG_32_64] },
  { fixture: 'c/dialects.c', builds: [GCC_ALL, CLANG_32_64, { compiler: 'gcc', bits: [32, 64], flags: INTEL }, { compiler: 'clang', bits: [64], flags: INTEL }] },
  { fixture: 'c/switch-syntax.c', builds: [GCC_ALL, CLANG_32_64] },
  { fixture: 'c/intel-only.c', builds: [{ compiler: 'gcc', bits: [16, 32, 64], flags: INTEL }, { compiler: 'clang', bits: [32, 64], flags: INTEL }] },
  { fixture: 'c/macros.c', builds: [GCC_ALL, CLANG_32_64] },
  { fixture: 'c/legacy32.c', builds: [{ compiler: 'gcc', bits: [16, 32] }, { compiler: 'clang', bits: [32] }] },
  { fixture: 'c/legacy64.c', builds: [{ compiler: 'gcc', bits: [64] }, { compiler: 'clang', bits: [64] }] },
  { fixture: 'c/intrinsics.c', builds: [{ compiler: 'gcc', bits: [32, 64] }, { compiler: 'clang', bits: [32, 64] }] },
  { fixture: 'c/intrinsics-flags.c', builds: [{ compiler: 'gcc', bits: [32, 64], flags: ['-mxsave', '-mrdpid'] }, { compiler: 'clang', bits: [64], flags: ['-mxsave', '-mrdpid'] }] },
  { fixture: 'c/msvc.c', builds: [{ compiler: 'clang', bits: [32], flags: ['-fms-extensions', '-fasm-blocks'] }] },
  { fixture: 'cpp/class.cpp', builds: [{ compiler: 'gcc', bits: [32, 64] }, { compiler: 'clang', bits: [64] }] },
  { fixture: 'cpp/intrinsics.cpp', builds: [{ compiler: 'gcc', bits: [32, 64] }, { compiler: 'clang', bits: [64] }] },
  { fixture: 'rust/asm.rs', builds: [{ compiler: 'rustc', bits: [64] }] },
  // Without the feature, `_xgetbv` stays a call into core's copy, which is not in the object at opt-level 2.
  { fixture: 'rust/intrinsics.rs', builds: [{ compiler: 'rustc', bits: [64], flags: ['-C', 'target-feature=+xsave'] }] },
  { fixture: 'rust/asm32.rs', builds: [{ compiler: 'rustc', bits: [32], env: { RUSTC_BOOTSTRAP: '1' } }] },
];

function languageOf(fixture: string): OracleConfiguration['language'] {
  if (fixture.endsWith('.rs')) return 'rust';
  return fixture.endsWith('.cpp') ? 'cpp' : 'c';
}

export function oracleConfigurations(): OracleConfiguration[] {
  const all: OracleConfiguration[] = [];
  for (const entry of MATRIX) {
    for (const build of entry.builds) {
      for (const bits of build.bits) {
        for (const optimize of [0, 2] as const) {
          const configuration: OracleConfiguration = { fixture: entry.fixture, language: languageOf(entry.fixture), compiler: build.compiler, bits, optimize, flags: build.flags ?? [] };
          if (build.env) configuration.env = build.env;
          all.push(configuration);
        }
      }
    }
  }
  return all;
}

export function describeConfiguration(c: OracleConfiguration): string {
  return [c.fixture, c.compiler, c.compiler === 'rustc' ? (c.bits === 64 ? 'x86_64' : 'i686') : `-m${c.bits}`, c.compiler === 'rustc' ? `opt-level=${c.optimize}` : `-O${c.optimize}`, ...c.flags].join(' ');
}
