// A small RuleTester in the spirit of ESLint's: each rule file lists code that must not
// trigger the rule (`valid`) and code that must (`invalid`), with where and how often.
// Positions are 1-based: `line` is the mnemonic's line, `column` the first character of
// the mnemonic (like ESLint's reports and the CLI's output).
import * as assert from 'node:assert/strict';
import { analyzeText, type AnalysisOptions, type AnalysisResult, type Bits, type Dialect, type Finding, type Severity } from '../../server/src/analysis';

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

export interface RuleCases {
  valid: readonly Case[];
  invalid: readonly Case[];
}

export function analyzeCase(testCase: Case): AnalysisResult {
  return analyzeText(testCase.code, { dialect: testCase.dialect, bits: testCase.bits, rules: ['all'], ...testCase.options });
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

function title(kind: 'valid' | 'invalid', testCase: Case): string {
  const firstLine = testCase.code.split('\n').find((l) => l.trim() !== '' && !/^\s*[;#]/.test(l)) ?? testCase.code;
  const snippet = testCase.code.includes('\n') ? `${firstLine.trim()} …` : firstLine.trim();
  return `${kind} ${testCase.dialect}/${testCase.bits}: ${snippet}${testCase.why ? ` (${testCase.why})` : ''}`;
}

export function checkValid(ruleId: string, testCase: Case): void {
  const result = analyzeCase(testCase);
  const hits = result.findings.filter((f) => f.ruleId === ruleId);
  assert.equal(hits.length, 0, `expected no "${ruleId}" finding in:\n${testCase.code}\ngot:\n${describeFindings(result.findings)}`);
}

export function checkInvalid(ruleId: string, testCase: Case): void {
  const expected = testCase.expect ?? ruleId;
  const result = analyzeCase(testCase);
  const hits = result.findings.filter((f) => f.ruleId === expected).sort(byPosition);
  const context = `in:\n${testCase.code}\ngot:\n${describeFindings(result.findings)}`;
  assert.equal(hits.length, testCase.count ?? 1, `expected ${testCase.count ?? 1} "${expected}" finding(s) ${context}`);
  if (testCase.expect === 'invalid-in-mode') {
    // A form that cannot be encoded in this mode must not also be reported as the rule.
    assert.equal(result.findings.filter((f) => f.ruleId === ruleId).length, 0, `"${ruleId}" must not be reported alongside "${expected}" ${context}`);
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

/** Every case declared through runRule, so a separate test can check them against real assemblers. */
export const REGISTERED_CASES: RegisteredCase[] = [];

/** Declares a mocha suite for one rule. */
export function runRule(ruleId: string, cases: RuleCases): void {
  for (const testCase of cases.valid) REGISTERED_CASES.push({ ruleId, kind: 'valid', testCase });
  for (const testCase of cases.invalid) REGISTERED_CASES.push({ ruleId, kind: 'invalid', testCase });
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
