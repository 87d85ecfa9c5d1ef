// A small RuleTester in the spirit of ESLint's: each rule file lists code that must not
// trigger the rule (`valid`) and code that must (`invalid`), with where and how often.
// Positions are 1-based: `line` is the mnemonic's line, `column` the first character of
// the mnemonic (like ESLint's reports and the CLI's output). Host cases (C, C++, Rust) are
// whole host files read through analyzeEmbedded: their line and column are the mnemonic's
// inside the string literal in the host file, or the intrinsic's name at its call.
import * as assert from 'node:assert/strict';
import { analyzeText, type AnalysisOptions, type AnalysisResult, type Bits, type Dialect, type Finding, type Severity } from '../../server/src/analysis';
import { analyzeEmbedded, type HostBuild, type HostLanguage } from '../../server/src/analysis/embedded';

export interface Case {
  code: string;
  dialect: Dialect;
  bits: Bits;
  /** Invalid cases: 1-based line of the first expected finding. */
  line?: number;
  /** Invalid cases: 1-based column of the first character of the mnemonic. */
  column?: number;
  /** Invalid cases: how many findings of the expected kind (default 1). */
  count?: number;
  /** Invalid cases: the severity the first finding must carry. */
  severity?: Severity;
  /** The finding kind expected instead of the rule under test (e.g. `invalid-in-mode`, `unknown-rule`). */
  expect?: string;
  /** Extra analyzer options; by default every rule runs (`rules: ['all']`). */
  options?: Partial<AnalysisOptions>;
  /** Why this case exists, shown in the test title. */
  why?: string;
}

/** Expectations shared by assembly and host cases. */
type Expectations = Omit<Case, 'code' | 'dialect' | 'bits'>;

/** A whole C, C++ or Rust file, read through analyzeEmbedded as the build (`bits`, `build`) says. */
export interface HostCase extends Expectations {
  code: string;
  host: HostLanguage;
  /** `-m16`/`-m32`/`-m64` (Rust: the target's width). */
  bits: Bits;
  /** The rest of the build: `-masm=intel`, `-D` defines. */
  build?: Omit<HostBuild, 'bits'>;
  /** Only the compiler oracle reads it: extra flags (`-mrdpid`) the code needs to compile. */
  compileFlags?: readonly string[];
  /** Why the compiler oracle cannot check this case (an MSVC-only intrinsic); the analyzer still is. */
  notCompiled?: string;
}

export type AnyCase = Case | HostCase;

export function isHostCase(testCase: AnyCase): testCase is HostCase {
  return 'host' in testCase;
}

export interface RuleCases {
  valid: readonly AnyCase[];
  invalid: readonly AnyCase[];
}

export function analyzeCase(testCase: Case): AnalysisResult {
  return analyzeText(testCase.code, { dialect: testCase.dialect, bits: testCase.bits, rules: ['all'], ...testCase.options });
}

export function analyzeHostCase(testCase: HostCase): { findings: Finding[] } {
  return analyzeEmbedded(testCase.code, { language: testCase.host, build: { bits: testCase.bits, ...testCase.build }, rules: ['all'], ...testCase.options });
}

function findingsOf(testCase: AnyCase): Finding[] {
  return isHostCase(testCase) ? analyzeHostCase(testCase).findings : analyzeCase(testCase).findings;
}

function byPosition(a: Finding, b: Finding): number {
  return a.mnemonicRange.start.line - b.mnemonicRange.start.line || a.mnemonicRange.start.character - b.mnemonicRange.start.character;
}

function describeFindings(findings: readonly Finding[]): string {
  if (findings.length === 0) return '  (no findings)';
  return findings
    .map((f) => `  ${f.mnemonicRange.start.line + 1}:${f.mnemonicRange.start.character + 1} ${f.ruleId} — ${f.message}`)
    .join('\n');
}

/** `c/64`, `c/32 -masm=intel`, `rust/64`, or the assembly dialect and bitness. */
export function modeLabel(testCase: AnyCase): string {
  if (!isHostCase(testCase)) return `${testCase.dialect}/${testCase.bits}`;
  return `${testCase.host}/${testCase.bits}${testCase.build?.asmSyntax === 'intel' ? ' -masm=intel' : ''}`;
}

/** Host-file lines that only set the scene (includes, declarations) are skipped in titles. */
const SCENERY = /^\s*(?:[;#]|\/\/|#include|use |typedef |struct [^(]*\{)/;

function title(kind: 'valid' | 'invalid', testCase: AnyCase): string {
  const lines = testCase.code.split('\n');
  const firstLine = lines.find((l) => l.trim() !== '' && !SCENERY.test(l)) ?? lines.find((l) => l.trim() !== '') ?? testCase.code;
  const snippet = testCase.code.includes('\n') ? `${firstLine.trim()} …` : firstLine.trim();
  return `${kind} ${modeLabel(testCase)}: ${snippet}${testCase.why ? ` (${testCase.why})` : ''}`;
}

export function checkValid(ruleId: string, testCase: AnyCase): void {
  const findings = findingsOf(testCase);
  const hits = findings.filter((f) => f.ruleId === ruleId);
  assert.equal(hits.length, 0, `expected no "${ruleId}" finding (${modeLabel(testCase)}) in:\n${testCase.code}\ngot:\n${describeFindings(findings)}`);
}

export function checkInvalid(ruleId: string, testCase: AnyCase): void {
  const expected = testCase.expect ?? ruleId;
  const findings = findingsOf(testCase);
  const hits = findings.filter((f) => f.ruleId === expected).sort(byPosition);
  const context = `(${modeLabel(testCase)}) in:\n${testCase.code}\ngot:\n${describeFindings(findings)}`;
  assert.equal(hits.length, testCase.count ?? 1, `expected ${testCase.count ?? 1} "${expected}" finding(s) ${context}`);
  if (testCase.expect === 'invalid-in-mode') {
    // A form that cannot be encoded in this mode must not also be reported as the rule.
    assert.equal(findings.filter((f) => f.ruleId === ruleId).length, 0, `"${ruleId}" must not be reported alongside "${expected}" ${context}`);
  }
  const first = hits[0]!;
  if (testCase.line !== undefined) assert.equal(first.mnemonicRange.start.line + 1, testCase.line, `line of the first "${expected}" ${context}`);
  if (testCase.column !== undefined) {
    assert.equal(first.mnemonicRange.start.character + 1, testCase.column, `column of the first "${expected}" ${context}`);
  }
  if (testCase.severity !== undefined) assert.equal(first.severity, testCase.severity, `severity of the first "${expected}" ${context}`);
  assert.ok(first.message.trim().length > 0, `finding has an empty message ${context}`);
}

export interface RegisteredCase {
  ruleId: string;
  kind: 'valid' | 'invalid';
  testCase: Case;
}

export interface RegisteredHostCase {
  ruleId: string;
  kind: 'valid' | 'invalid';
  testCase: HostCase;
}

/** Every assembly case declared through runRule, so a separate test can check them against real assemblers. */
export const REGISTERED_CASES: RegisteredCase[] = [];
/** Every host case declared through runRule, for the test that compiles them with gcc, g++ and rustc. */
export const REGISTERED_HOST_CASES: RegisteredHostCase[] = [];

function register(ruleId: string, kind: 'valid' | 'invalid', testCase: AnyCase): void {
  if (isHostCase(testCase)) REGISTERED_HOST_CASES.push({ ruleId, kind, testCase });
  else REGISTERED_CASES.push({ ruleId, kind, testCase });
}

/** Declares a mocha suite for one rule. */
export function runRule(ruleId: string, cases: RuleCases): void {
  for (const testCase of cases.valid) register(ruleId, 'valid', testCase);
  for (const testCase of cases.invalid) register(ruleId, 'invalid', testCase);
  describe(`rule ${ruleId}`, () => {
    it('has both valid and invalid cases', () => {
      assert.ok(cases.valid.length > 0 && cases.invalid.length > 0);
    });
    cases.valid.forEach((testCase) => it(title('valid', testCase), () => checkValid(ruleId, testCase)));
    cases.invalid.forEach((testCase) => it(title('invalid', testCase), () => checkInvalid(ruleId, testCase)));
  });
}

/** Shorthand for building cases: `nasm(64, 'pushfq', {line:1})`. */
export function at(dialect: Dialect, bits: Bits, code: string, extra: Omit<Case, 'code' | 'dialect' | 'bits'> = {}): Case {
  return { code, dialect, bits, ...extra };
}
export const nasm = (bits: Bits, code: string, extra?: Omit<Case, 'code' | 'dialect' | 'bits'>): Case => at('nasm', bits, code, extra);
export const att = (bits: Bits, code: string, extra?: Omit<Case, 'code' | 'dialect' | 'bits'>): Case => at('gas-att', bits, code, extra);
export const intel = (bits: Bits, code: string, extra?: Omit<Case, 'code' | 'dialect' | 'bits'>): Case => at('gas-intel', bits, code, extra);
export const masm = (bits: Bits, code: string, extra?: Omit<Case, 'code' | 'dialect' | 'bits'>): Case => at('masm', bits, code, extra);
export const fasm = (bits: Bits, code: string, extra?: Omit<Case, 'code' | 'dialect' | 'bits'>): Case => at('fasm', bits, code, extra);

type HostExtra = Omit<HostCase, 'code' | 'host' | 'bits'>;
/** A C file built with `gcc -m<bits>`: `c(64, 'void f(void) { asm volatile("cpuid" ::: "eax", "ebx", "ecx", "edx"); }')`. */
export const c = (bits: Bits, code: string, extra: HostExtra = {}): HostCase => ({ code, host: 'c', bits, ...extra });
/** A C++ file built with `g++ -m<bits>`. */
export const cpp = (bits: Bits, code: string, extra: HostExtra = {}): HostCase => ({ code, host: 'cpp', bits, ...extra });
/** A Rust file built for x86_64 (64) or i686 (32). */
export const rust = (bits: Bits, code: string, extra: HostExtra = {}): HostCase => ({ code, host: 'rust', bits, ...extra });
/** `-masm=intel`: the `{att|intel}` alternatives take their second half, and the template is Intel syntax. */
export const MASM_INTEL: Pick<HostCase, 'build'> = { build: { asmSyntax: 'intel' } };
