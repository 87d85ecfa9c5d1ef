// Plain data shared by every part of the analysis. No LSP, no IO.
// Positions follow LSP conventions: 0-based lines, 0-based UTF-16 character offsets.

export type Dialect = 'nasm' | 'gas-att' | 'gas-intel' | 'masm' | 'fasm';
/** Instruction sets whose assembly is recognised and left alone (syntax/architecture.ts). */
export type ForeignArchitecture = 'arm64' | 'arm' | 'riscv' | 'powerpc' | 'mips';
export const DIALECTS: readonly Dialect[] = ['nasm', 'gas-att', 'gas-intel', 'masm', 'fasm'];

/** Every rule id: the 25 instruction rules, the VM-detection idioms and the five meta rules. rules.ts holds one entry for each. */
export const RULE_IDS = [
  'sgdt', 'sidt', 'sldt', 'smsw', 'str', 'pushf', 'popf', 'lar', 'lsl', 'verr', 'verw', 'push-sreg', 'pop-sreg', 'mov-sreg',
  'far-call', 'far-jmp', 'far-ret', 'int', 'iret', 'cpuid', 'rdtsc', 'rdtscp', 'rdpmc', 'rdpid', 'xgetbv',
  'hypervisor-leaf', 'hypervisor-bit', 'hypervisor-signature', 'timing-check', 'vmware-backdoor', 'virtualpc-backdoor', 'red-pill',
  'invalid-in-mode', 'unknown-mnemonic', 'unknown-rule', 'unresolved-include', 'undecided-expansion',
] as const;
export type RuleId = (typeof RULE_IDS)[number];

export type Bits = 16 | 32 | 64;
export const BITS: readonly Bits[] = [16, 32, 64];

/**
 * The processor mode code runs in, as far as the analysis can know it: `real` (no CPL, no
 * protection checks), `v86` (virtual-8086: CPL 3, real-mode segments, IOPL-sensitive flags and
 * INT n), `pm16`/`pm32` (protected mode with a 16- or 32-bit code segment), `long` (64-bit mode),
 * or `unknown` (16-bit code with nothing to say whether it runs before or after CR0.PE is set).
 */
export type ExecutionMode = 'real' | 'v86' | 'pm16' | 'pm32' | 'long' | 'unknown';
export const EXECUTION_MODES: readonly ExecutionMode[] = ['real', 'v86', 'pm16', 'pm32', 'long', 'unknown'];
/** The modes a user can name (a setting, `; virtlint: mode=…`): every mode but `unknown`. */
export type DeclaredMode = Exclude<ExecutionMode, 'unknown'>;
export const DECLARED_MODES: readonly DeclaredMode[] = ['real', 'v86', 'pm16', 'pm32', 'long'];

/** The hypercall interfaces the fixes can call (`custom` takes a user template). */
export const HYPERCALL_ABIS = ['kvm', 'kvm-amd', 'xen', 'hyperv', 'custom'] as const;
export type HypercallAbi = (typeof HYPERCALL_ABIS)[number];

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export type Severity = 'error' | 'warning' | 'info' | 'hint';
export type SeverityOrOff = Severity | 'off';

/** Register classes the resolver cares about. */
export type RegisterClass =
  | 'gpr8'
  | 'gpr16'
  | 'gpr32'
  | 'gpr64'
  | 'sreg'
  | 'cr'
  | 'dr'
  | 'tr'
  | 'st'
  | 'mm'
  | 'xmm'
  | 'ymm'
  | 'zmm'
  | 'k'
  | 'bnd'
  | 'ip';

export type Operand =
  | RegisterOperand
  | MemoryOperand
  | ImmediateOperand
  | FarPointerOperand
  | SymbolOperand
  | UnknownOperand;

interface OperandBase {
  /** The operand exactly as written. */
  text: string;
  range: Range;
}

export interface RegisterOperand extends OperandBase {
  kind: 'reg';
  /** Lower-case canonical name without `%`, e.g. `eax`, `cs`, `cr0`. */
  reg: string;
  cls: RegisterClass;
  /** Size in bytes (segment registers: 2). */
  size: number;
}

export interface MemoryOperand extends OperandBase {
  kind: 'mem';
  /** Operand size in bytes when the source says it (`dword ptr`, `qword`, AT&T suffix...). */
  size?: number;
  /** `far`, `fword`, `tword` used as a far pointer, or AT&T `ljmp *mem`. */
  far?: boolean;
  segment?: string;
  base?: string;
  index?: string;
  scale?: number;
  /** Displacement expression as written (may be a symbol or arithmetic). */
  displacement?: string;
  /** AT&T `*` indirection marker was present. */
  indirect?: boolean;
}

export interface ImmediateOperand extends OperandBase {
  kind: 'imm';
  /** Numeric value when it is a plain literal. */
  value?: bigint;
}

export interface FarPointerOperand extends OperandBase {
  kind: 'farptr';
  selector: string;
  offset: string;
}

/** A bare symbol or expression (branch target, `offset foo`, macro parameter...). */
export interface SymbolOperand extends OperandBase {
  kind: 'sym';
  /** AT&T `*` indirection marker was present (`jmp *foo`). */
  indirect?: boolean;
  /** MASM `far ptr label`: a direct far target, not a memory operand. */
  far?: boolean;
}

/** Something we could not classify (macro parameters like `%1` or `\arg`, odd syntax). */
export interface UnknownOperand extends OperandBase {
  kind: 'unknown';
}

/** One instruction statement as written in the source. */
export interface ParsedInstruction {
  dialect: Dialect;
  bits: Bits;
  /** Range of the whole statement: first prefix or mnemonic through the last operand. */
  range: Range;
  /** Range of the mnemonic token (for `column` in reports). */
  mnemonicRange: Range;
  /** Mnemonic as written, lower-cased (`pushfq`, `lret`, `ljmpl`, `retf`). */
  mnemonic: string;
  /** Prefixes as written, lower-cased (`lock`, `rep`, `o16`, `data16`, `cs`...). */
  prefixes: string[];
  operands: Operand[];
  /** The source said "far" explicitly (`far` keyword, `ljmp`/`lcall`/`lret`, `retf`, `fword`). */
  far: boolean;
  /** Operand size in bytes implied by the mnemonic spelling (AT&T suffix, `pushfd`, `iretq`, `o64`...). */
  sizeHint?: number;
  /** Inside a macro definition body; parameters may make operands unknowable. */
  inMacro: boolean;
  /** Line continuations can make a statement span lines; this is the mnemonic's line. */
  line: number;
  /** What iced-x86 makes of it (filled in by the analyzer). */
  resolution?: Resolution;
}

/** Result of matching a parsed instruction against iced-x86's opcode tables. */
export type Resolution =
  /** `approximate`: matched by mnemonic and mode only (its operands cannot matter to any rule), so `code` may be a sibling form. */
  | { status: 'ok'; code: number; codeName: string; approximate?: boolean }
  /** The mnemonic exists but this form cannot be encoded in the current mode (e.g. `push cs` in 64-bit code). */
  | { status: 'invalid-in-mode'; reason: string; validIn: Bits[] }
  /** Not an x86 instruction mnemonic iced knows (macro invocation, typo). */
  | { status: 'unknown-mnemonic' }
  /** Known mnemonic but the operands can't be pinned down (macro parameters...). */
  | { status: 'unresolved'; reason: string };

export interface Finding {
  ruleId: RuleId;
  severity: Severity;
  /** One line, no trailing period. */
  message: string;
  range: Range;
  mnemonicRange: Range;
  instruction?: ParsedInstruction;
  /** iced-x86 Code value and name, when resolved. */
  code?: number;
  codeName?: string;
  /** The execution mode the statement runs in (what the message and severity were chosen for). */
  mode?: ExecutionMode;
  /** Whole-program analysis: every context the finding was seen in (a file included from several places may be read in several). */
  contexts?: FindingContext[];
  /** Whole-program analysis: the macros that produced the instruction, outermost first. */
  macroChain?: MacroStep[];
  /** Other places that explain the finding (the macro body line, the include site). */
  related?: RelatedLocation[];
}

/** A line in some file of a project (0-based line). */
export interface FileLocation {
  path: string;
  line: number;
  range?: Range;
}

export interface RelatedLocation {
  path: string;
  range: Range;
  message: string;
}

/** How a file was read where a finding was seen: from which root, through which include directives, in which mode. */
export interface FindingContext {
  /** The file the walk started from. */
  root: string;
  /** Include directives from the root to the file, outermost first. */
  includes: FileLocation[];
  dialect: Dialect;
  bits: Bits;
  /**
   * A finding's: the execution mode its line ran in there. The file's: the mode it started in,
   * when something outside it decides that (its includer's mode at the include directive, a setting).
   */
  mode?: ExecutionMode;
  /** How the finding reads in this context (findings only): one line read in several modes is one finding that speaks for the loudest. */
  severity?: Severity;
  message?: string;
}

export interface MacroStep {
  name: string;
  kind: string;
  definedAt?: FileLocation;
  invokedAt: FileLocation;
}

/** Where a file's dialect or bitness came from, strongest first. */
/** `includer`: the file was read in the state its includer had at the include directive. */
export type SettingSource = 'modeline' | 'override' | 'includer' | 'directive' | 'content' | 'extension' | 'default';

export interface BitsRegion {
  startLine: number;
  bits: Bits;
}

/**
 * Where the execution mode comes from: a `mode=` comment or setting (`modeline`, `directive`,
 * `override`), the control flow (`pe-switch`: a `mov cr0` that sets or clears CR0.PE), the
 * bitness (`bits`: 32-bit code runs in protected mode, 64-bit code in long mode), or a hint
 * (`content`: a boot sector's `org 0x7c00`, BIOS or DOS interrupts).
 */
export type ModeSource = 'modeline' | 'override' | 'directive' | 'pe-switch' | 'bits' | 'content' | 'default';

export interface ModeRegion {
  startLine: number;
  mode: ExecutionMode;
  source: ModeSource;
}

export interface AnalysisResult {
  dialect: Dialect;
  dialectSource: SettingSource;
  /** Bitness at the top of the file. */
  bits: Bits;
  bitsSource: SettingSource;
  /** Bitness changes by line (first entry starts at line 0). */
  bitsRegions: BitsRegion[];
  /** Execution-mode changes by line (first entry starts at line 0); results of the document analyzer have it. */
  modeRegions?: ModeRegion[];
  /** The profile the findings' messages and severities were chosen for; results of the document analyzer have it. */
  profile?: string;
  /** Set when the text is assembly for another instruction set (arm64, arm, riscv, powerpc, mips): nothing is reported. */
  architecture?: ForeignArchitecture;
  instructions: ParsedInstruction[];
  /** Virtualization findings plus the meta kinds (invalid-in-mode, unknown-mnemonic, bad suppressions), after suppression and severity. */
  findings: Finding[];
  /** Findings that a suppression comment removed (for `--report-suppressed` style uses). */
  suppressed: Finding[];
  /**
   * The instructions whose statement touches `line`, without building `instructions` for the
   * whole file (an editor hovers right after each keystroke). Results from the analyzer have it.
   */
  instructionsTouching?: (line: number) => ParsedInstruction[];
}

export interface AnalysisOptions {
  /** Used only as a hint for detection (extension, `_32`/`_64` in the name). */
  fileName?: string;
  /** Forces the dialect (CLI flag or editor setting). A modeline in the file still wins. */
  dialect?: Dialect;
  /**
   * `gas`: the file is GNU as, and which of its two syntaxes it starts in is read from the file
   * (`.intel_syntax` before any AT&T-looking code), AT&T otherwise. `dialect` and a modeline win.
   */
  dialectFamily?: 'gas';
  /** Forces the initial bitness. A modeline still wins; directives in the file still switch regions. */
  bits?: Bits;
  /**
   * The execution mode at the top of the file (a setting: `real`, `v86`, `pm16`, `pm32`, `long`).
   * A `; virtlint: mode=…` modeline wins; later `mode=` comments, a CR0.PE switch and a bitness
   * the mode cannot have (`bits 32` after `mode=real`) still change it further down.
   */
  mode?: DeclaredMode;
  profile?: string;
  /** Rule selection: ids, or the groups `core`, `extended`, `all`. Undefined = the profile's defaults. */
  rules?: string[];
  /** Per-rule severity overrides, applied last. */
  severities?: Record<string, SeverityOrOff>;
  /** Report INT3 under the `int` rule (also turned on by the selection `all`). */
  includeInt3?: boolean;
}

/**
 * A document's text seen line by line, for callers (fixes, code actions) that need a few lines
 * of a big file an editor already holds as lines. A plain string works wherever this does.
 */
export interface SourceLines {
  readonly lineCount: number;
  /** Line `index` without its line break (`''` past the end). */
  line(index: number): string;
  /** The break after line `index` (`\r\n`, `\n` or `\r`; `''` after the last line). */
  lineBreak(index: number): string;
}
