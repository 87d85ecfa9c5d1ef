// The contract between the embedded-assembly front ends (C/C++ and Rust host files) and the core:
// a front end finds the assembly a host file holds, substitutes the operands the compiler would,
// and says where every character came from, so findings land on the host file's own text.
import type { Bits, MacroStep, Range, RelatedLocation } from '../types';

export type HostLanguage = 'c' | 'cpp' | 'rust';
export const HOST_LANGUAGES: readonly HostLanguage[] = ['c', 'cpp', 'rust'];

/** Characters `textStart..textEnd` of an `AsmLine` came from `host` (same length when `exact`). */
export interface SourceMapSegment {
  readonly textStart: number;
  readonly textEnd: number;
  readonly host: Range;
  /** One character of text per character of host source (a plain run inside one string literal). */
  readonly exact: boolean;
}

/** One line of assembly as the assembler will see it, after the compiler's substitutions. */
export interface AsmLine {
  readonly text: string;
  /** Sorted by `textStart`; characters no segment covers map to `fallback`. */
  readonly segments: readonly SourceMapSegment[];
  /** The string literal (or macro invocation) the line came from. */
  readonly fallback: Range;
}

export type AsmForm =
  | 'gnu-basic'
  | 'gnu-extended'
  | 'gnu-goto'
  | 'gnu-toplevel'
  | 'msvc-block'
  | 'msvc-line'
  | 'rust-asm'
  | 'rust-global-asm'
  | 'rust-naked-asm';

/** One asm statement (or MSVC block / Rust macro call) with its template lines. */
export interface AsmBlock {
  readonly form: AsmForm;
  /** The syntax the template starts in; `.intel_syntax`/`.att_syntax` lines inside may switch it. MSVC blocks are `masm`. */
  readonly syntax: 'att' | 'intel' | 'masm';
  readonly lines: readonly AsmLine[];
  /** The whole statement in the host file: keyword through the closing `)`/`}`. */
  readonly range: Range;
  /** The keyword (`asm`, `__asm__`, `__asm`, `asm!`…): where a finding points when nothing better is known. */
  readonly keywordRange: Range;
  /** Set when the statement came out of cpp macros: outermost invocation first. */
  readonly macroChain?: readonly MacroStep[];
  readonly related?: readonly RelatedLocation[];
  /** The statement sits in a preprocessor branch (or `#[cfg]`) that could not be decided: both sides are read. */
  readonly undecidedBranch?: boolean;
  /** Bitness the branch or attribute says the code is for (`#ifdef __x86_64__`, `#[cfg(target_arch = "x86")]`), when it says. */
  readonly bits?: Bits;
}

/** A call of a compiler intrinsic or builtin that compiles to a sensitive instruction. */
export interface IntrinsicCall {
  /** As written (`__rdtsc`, `_xgetbv`, `core::arch::x86_64::__cpuid`). */
  readonly name: string;
  /** The name's range (where the finding points). */
  readonly range: Range;
  /** The instruction it compiles to, one NASM-syntax line valid in `bits` (see intrinsics.ts). */
  readonly instruction: (bits: Bits) => string;
  /** Other sensitive instructions the call always runs (gcc's `__get_cpuid` probes EFLAGS.ID with pushfd/popfd in 32-bit code). */
  readonly alsoEmits?: (bits: Bits) => readonly string[];
  /** The modes the call compiles in at all (`__builtin_ia32_readeflags_u32`: 16 and 32); undefined: every mode. */
  readonly validBits?: readonly Bits[];
  readonly macroChain?: readonly MacroStep[];
  readonly undecidedBranch?: boolean;
  readonly bits?: Bits;
}

/** A host-language comment, for suppression directives (`// virtlint-disable-next-line sgdt -- why`). */
export interface HostComment {
  /** 0-based line of the comment's start (a block comment is cut per line by the front end). */
  readonly line: number;
  /** Column of `text`'s first character. */
  readonly start: number;
  readonly text: string;
}

/** Something the front end could not read (an unterminated string, a limit reached). */
export interface FrontEndProblem {
  readonly range: Range;
  readonly message: string;
}

export interface EmbeddedScan {
  readonly blocks: readonly AsmBlock[];
  readonly intrinsics: readonly IntrinsicCall[];
  readonly comments: readonly HostComment[];
  readonly problems: readonly FrontEndProblem[];
}

/** What the build says about the host file, from the configuration, `compile_commands.json` or the editor's settings. */
export interface HostBuild {
  /** `-m16`/`-m32`/`-m64`, `--target`; 64 when nothing says. */
  readonly bits?: Bits;
  /** GCC/Clang `-masm=intel`. */
  readonly asmSyntax?: 'att' | 'intel';
  /** `-D` defines, name to value (`''` for `-DNAME`). */
  readonly defines?: ReadonlyMap<string, string>;
  /** The defines are all the build gives: other names are undefined, not undecided. */
  readonly definesComplete?: boolean;
}
