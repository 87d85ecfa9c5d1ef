// Suppression comments and `virtlint-fixed:` markers, in each dialect's comment syntax.
import * as assert from 'node:assert/strict';
import { analyzeText } from '../../server/src/analysis';
import { analyzeEmbedded } from '../../server/src/analysis/embedded';
import { att, c, cpp, fasm, intel, masm, nasm, runRule, rust } from './ruletester';

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
    // Host files: the directives are C, C++ and Rust comments.
    c(64, 'void f(unsigned long fl)\n{\n\t// virtlint-disable-next-line popf -- restores the flags the caller saved\n\tasm volatile("push %0; popfq" : : "r"(fl) : "cc");\n}'),
    c(64, 'void f(unsigned long fl) { asm volatile("push %0; popfq" : : "r"(fl) : "cc"); } /* virtlint-disable-line popf */'),
    c(64, '/* virtlint-disable popf */\nvoid f(unsigned long fl) { asm volatile("push %0; popfq" : : "r"(fl) : "cc"); }\n/* virtlint-enable popf */'),
    c(64, 'void f(unsigned long fl) { asm volatile("push %0; popfq" : : "r"(fl) : "cc"); }\n// virtlint-disable-file popf', { why: 'a file-level marker applies wherever it is written' }),
    c(64, 'void f(unsigned long x)\n{\n\t// virtlint-disable-next-line popf -- the intrinsic\n\t__builtin_ia32_writeeflags_u64(x);\n}'),
    cpp(64, '// virtlint-disable-next-line popf\nvoid f(unsigned long fl) { asm volatile("push %0; popfq" : : "r"(fl) : "cc"); }'),
    rust(64, 'pub unsafe fn f(x: u64) {\n    // virtlint-disable-next-line popf -- why\n    core::arch::asm!("push {}", "popfq", in(reg) x);\n}'),
    rust(64, 'pub unsafe fn f(x: u64) {\n    core::arch::asm!("push {}", "popfq", in(reg) x); /* virtlint-disable-line popf */\n}'),
    c(64, 'void f(unsigned long fl) { asm volatile("push %0; popfq" : : "r"(fl) : "cc"); }', { options: { severities: { popf: 'off' } }, why: 'a severity override of off silences the rule' }),
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
    // Host files.
    c(64, '// virtlint-disable-next-line pushf\nvoid f(unsigned long fl) { asm volatile("push %0; popfq" : : "r"(fl) : "cc"); }', { line: 2, column: 51, why: 'another rule is disabled' }),
    c(64, 'void f(unsigned long fl)\n{\n\t// virtlint-disable-next-line popf\n\tasm volatile("push %0; popfq" : : "r"(fl) : "cc");\n\tasm volatile("push %0; popfq" : : "r"(fl) : "cc");\n}', { line: 5, column: 25, why: 'next-line covers one line only' }),
    c(64, 'int printf(const char *, ...);\nvoid f(unsigned long fl)\n{\n\tprintf("// virtlint-disable-next-line popf\\n");\n\tasm volatile("push %0; popfq" : : "r"(fl) : "cc");\n}', { line: 5, column: 25, why: 'a marker inside a C string is not a comment' }),
    c(64, '// virtlint-disable-next-line popff\nvoid f(unsigned long fl) { asm volatile("push %0; popfq" : : "r"(fl) : "cc"); }', { expect: 'unknown-rule', line: 1, why: 'misspelt id' }),
    c(64, '// virtlint-disable-next-line popff\nvoid f(unsigned long fl) { asm volatile("push %0; popfq" : : "r"(fl) : "cc"); }', { line: 2, column: 51, why: 'an unknown id suppresses nothing' }),
    rust(64, '// virtlint-disable-next-line bogus-rule\npub unsafe fn f(x: u64) { core::arch::asm!("push {}", "popfq", in(reg) x); }', { expect: 'unknown-rule', line: 1 }),
    cpp(64, 'void f(unsigned long fl) { asm volatile("push %0; popfq" : : "r"(fl) : "cc"); }', { line: 1, column: 51, options: { severities: { popf: 'error' } }, severity: 'error' }),
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

describe('suppressed findings in host files', () => {
  it('are kept in result.suppressed, on the host file\'s line', () => {
    const code = 'void f(unsigned long fl)\n{\n\tasm volatile("pushfq; popq %0" : "=r"(fl));\n\t// virtlint-disable-next-line popf -- kept on purpose\n\tasm volatile("push %0; popfq" : : "r"(fl));\n}\n';
    const result = analyzeEmbedded(code, { language: 'c', build: { bits: 64 }, rules: ['all'] });
    assert.deepEqual(
      result.findings.map((f) => [f.ruleId, f.mnemonicRange.start.line]),
      [['pushf', 2]],
    );
    assert.deepEqual(
      result.suppressed.map((f) => [f.ruleId, f.mnemonicRange.start.line, f.mnemonicRange.start.character]),
      [['popf', 4, 24]],
    );
  });
});
