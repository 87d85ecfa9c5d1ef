// Suppression comments and `virtlint-fixed:` markers, in each dialect's comment syntax.
import * as assert from 'node:assert/strict';
import { analyzeText } from '../../server/src/analysis';
import { att, fasm, intel, masm, nasm, runRule } from './ruletester';

runRule('popf', {
  valid: [
    nasm(64, '; virtlint-disable-next-line popf -- restores flags saved by the caller\npopfq'),
    nasm(64, '    popfq ; virtlint-disable-line popf'),
    nasm(64, 'popfq ; virtlint-disable-line', { why: 'no ids = every rule' }),
    nasm(64, '; virtlint-disable popf\npopfq\nnop\npopf\n; virtlint-enable popf'),
    nasm(64, '; virtlint-disable\npopfq\n; virtlint-enable'),
    nasm(64, '; virtlint-disable-file popf\nnop\npopfq\nnop\npopf'),
    nasm(64, 'nop\npopfq\n; virtlint-disable-file popf', { why: 'a file-level marker applies wherever it is written' }),
    nasm(64, 'popfq ; virtlint-fixed: popf', { why: 'fix engine marker: the POPF is kept on purpose' }),
    att(64, '# virtlint-disable-next-line popf -- reason\npopfq'),
    att(64, 'popfq # virtlint-disable-line popf'),
    att(32, '# virtlint-disable popf\npopfl\n# virtlint-enable popf'),
    att(64, 'popfq # virtlint-fixed: popf'),
    intel(64, 'popfq # virtlint-disable-line popf'),
    intel(32, '# virtlint-disable-next-line popf\npopfd'),
    masm(32, '; virtlint-disable-next-line popf -- reason\npopfd'),
    masm(64, 'popfq ; virtlint-disable-line popf'),
    fasm(32, 'popfd ; virtlint-disable-line popf'),
    fasm(64, '; virtlint-disable-file popf\npopfq'),
    nasm(64, 'popfq', { options: { severities: { popf: 'off' } }, why: 'a severity override of off silences the rule' }),
    att(32, 'popfl', { options: { rules: ['pushf'] }, why: 'not selected' }),
  ],
  invalid: [
    nasm(64, '; virtlint-disable-next-line popf\npopfq\npopfq', { line: 3, count: 1, why: 'next-line covers one line only' }),
    nasm(64, 'popfq ; virtlint-disable-line pushf', { why: 'another rule is disabled' }),
    nasm(64, '; virtlint-disable popf\npopfq\n; virtlint-enable popf\npopfq', { line: 4, count: 1 }),
    nasm(64, '; virtlint-disable pushf\npushfq\npopfq', { line: 3 }),
    nasm(64, 'popfq ; virtlint-fixed: pushf', { why: 'the marker names another rule' }),
    nasm(64, "msg db 'virtlint-disable-file popf', 0\npopfq", { line: 2, why: 'a marker inside a string is not a comment' }),
    nasm(64, '; virtlint-disable-next-line popff\npopfq', { expect: 'unknown-rule', line: 1, why: 'misspelt id' }),
    nasm(64, '; virtlint-disable-next-line popff\npopfq', { line: 2, why: 'an unknown id suppresses nothing' }),
    att(64, '# virtlint-disable-line nosuchrule\npopfq', { expect: 'unknown-rule', line: 1 }),
    att(64, 'popfq # virtlint-disable-next-line popf\npopfq', { line: 1, count: 1, why: 'next-line does not cover its own line' }),
    masm(32, '; virtlint-disable-next-line bogus-rule\npopfd', { expect: 'unknown-rule' }),
    fasm(32, '; virtlint-disable-next-line popf\nnop\npopfd', { line: 3 }),
    nasm(64, 'popfq', { options: { severities: { pushf: 'off' } }, why: 'another rule is off' }),
    nasm(64, 'popfq', { options: { rules: ['core'] } }),
    att(64, 'popfq', { options: { severities: { popf: 'error' } }, severity: 'error' }),
    masm(64, 'popfq', { options: { severities: { popf: 'hint' } }, severity: 'hint' }),
  ],
});

describe('suppressed findings', () => {
  it('are kept in result.suppressed, not result.findings', () => {
    const result = analyzeText('pushfq\npopfq ; virtlint-disable-line popf -- kept on purpose\n', { dialect: 'nasm', bits: 64, rules: ['all'] });
    assert.deepEqual(
      result.findings.map((f) => f.ruleId),
      ['pushf'],
    );
    assert.deepEqual(
      result.suppressed.map((f) => [f.ruleId, f.mnemonicRange.start.line]),
      [['popf', 1]],
    );
  });

  it('a disable marker does not touch meta findings for another line', () => {
    const result = analyzeText('; virtlint-disable popf\npush cs\n', { dialect: 'nasm', bits: 64, rules: ['all'] });
    assert.deepEqual(
      result.findings.map((f) => f.ruleId),
      ['invalid-in-mode'],
    );
  });
});
