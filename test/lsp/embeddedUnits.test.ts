// The pieces of the C, C++ and Rust editor support that need no server: which documents are
// host files, whether a line starts inside a string literal (gcc's preprocessor is the oracle),
// and the settings.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { documentHostLanguage, EmbeddedRegions, embeddedFindingsShown } from '../../server/src/lsp/embeddedDocument';
import { lineStartsInsideLiteral } from '../../server/src/lsp/hostLiterals';
import { normalizeSettings } from '../../server/src/lsp/settingsReader';
import type { EmbeddedResult } from '../../server/src/analysis/embedded/index';
import type { Finding } from '../../server/src/analysis/types';

const MARK = 'VIRTLINT_MARK_7f3a';

/** gcc's answer: a `// MARK` line inserted at `line` survives preprocessing only inside a string literal. */
function gccSaysInsideString(lines: readonly string[], line: number, language: 'c' | 'cpp'): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'virtlint-literal-'));
  try {
    const edited = [...lines.slice(0, line), `// ${MARK}`, ...lines.slice(line)];
    const file = join(dir, language === 'cpp' ? 'unit.cpp' : 'unit.c');
    writeFileSync(file, edited.join('\n') + '\n');
    const out = execFileSync(language === 'cpp' ? 'g++' : 'gcc', ['-E', '-P', file], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
    return out.includes(MARK);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('lsp units: which line starts inside a C or C++ string literal (gcc -E as the oracle)', () => {
  const cases: Array<{ name: string; language: 'c' | 'cpp'; lines: string[] }> = [
    { name: 'adjacent literals on their own lines', language: 'c', lines: ['void f(void) {', '\tasm volatile(', '\t\t"sgdt %0\\n\\t"', '\t\t"sidt %1"', '\t\t: "=m"(g), "=m"(i));', '}'] },
    { name: 'a literal continued with a backslash', language: 'c', lines: ['void f(void) {', '\tasm volatile("sgdt %0\\n\\', 'sidt %1" : "=m"(g), "=m"(i));', '}'] },
    { name: 'an escaped quote and a backslash before the line end', language: 'c', lines: ['void f(void) {', '\tasm volatile("sgdt %0 # \\"x\\\\" \\', '\t\t: "=m"(g));', '}'] },
    { name: 'a quote in a character literal and in a comment', language: 'c', lines: ['void f(void) {', "\tchar q = '\"'; /* \" */ // \"", '\tasm volatile("sgdt %0"', '\t\t: "=m"(g));', '}'] },
    { name: 'a C++ raw string over three lines', language: 'cpp', lines: ['void f() {', '\tasm volatile(R"x(sgdt %0', 'sidt %1', ')x" : "=m"(g), "=m"(i));', '}'] },
    { name: 'C++ digit separators', language: 'cpp', lines: ['void f() {', "\tint n = 1'000'000; asm volatile(", '\t\t"sgdt %0" : "=m"(g));', '}'] },
  ];
  for (const { name, language, lines } of cases) {
    it(name, () => {
      const lineText = (line: number): string => lines[line] ?? '';
      const from = { line: 1, character: lines[1]!.search(/\S/) };
      for (let line = 2; line < lines.length; line++) {
        assert.equal(lineStartsInsideLiteral(lineText, from, line, language), gccSaysInsideString(lines, line, language), `line ${line}: ${lines[line]}`);
      }
    });
  }

  it('reads Rust raw strings, lifetimes and nested block comments', () => {
    const lines = [
      'fn f<\'a>(x: &\'a u8) {',
      '    asm!(r#"',
      '        sgdt [{0}]',
      '    "#, /* a /* nested */ " */ in(reg) x);',
      '    asm!("smsw {0:e}",',
      '        out(reg) _);',
      '    asm!("',
      '        str {0:x}', // inside a plain multi-line string
      '    ", out(reg) _, c = const \'"\' as u8);',
      '    asm!("nop");',
      '}',
    ];
    const lineText = (line: number): string => lines[line] ?? '';
    const inside = (line: number) => lineStartsInsideLiteral(lineText, { line: 0, character: 0 }, line, 'rust');
    assert.deepEqual([2, 3, 4, 5, 6, 7, 8, 9, 10].map(inside), [true, true, false, false, false, true, true, false, false]);
  });

  it('answers "inside" past its line budget rather than guess', () => {
    assert.equal(lineStartsInsideLiteral(() => '', { line: 0, character: 0 }, 100_000, 'c'), true);
  });
});

describe('lsp units: host documents', () => {
  it('takes the language id first, then the extension unless the id names assembly', () => {
    assert.equal(documentHostLanguage('c', '/w/a.txt'), 'c');
    assert.equal(documentHostLanguage('cpp', '/w/a.h'), 'cpp');
    assert.equal(documentHostLanguage('rust', '/w/lib.rs'), 'rust');
    assert.equal(documentHostLanguage('plaintext', '/w/lib.rs'), 'rust');
    assert.equal(documentHostLanguage('', '/w/desc.H'), 'c');
    assert.equal(documentHostLanguage('asm', '/w/entry.h'), undefined, 'an assembly id wins over .h');
    assert.equal(documentHostLanguage('x86asm', '/w/boot.c'), undefined);
    assert.equal(documentHostLanguage('plaintext', '/w/boot.S'), undefined);
    assert.equal(documentHostLanguage('toString', '/w/boot.asm'), undefined, 'no prototype keys');
  });

  it('shows findings inside asm statements and intrinsic calls, and unknown-rule in comments, nothing else', () => {
    const range = (l1: number, c1: number, l2: number, c2: number) => ({ start: { line: l1, character: c1 }, end: { line: l2, character: c2 } });
    const finding = (ruleId: string, r: ReturnType<typeof range>): Finding => ({ ruleId, severity: 'warning', message: ruleId, range: r, mnemonicRange: r }) as Finding;
    const result = {
      language: 'c',
      blocks: [{ range: range(2, 1, 4, 20) }, { range: range(10, 0, 10, 30) }, { range: range(10, 10, 10, 12) }],
      intrinsics: [{ range: range(20, 8, 20, 15) }],
      findings: [],
    } as unknown as EmbeddedResult;
    const inBlock = finding('sgdt', range(3, 3, 3, 10));
    const onCall = finding('rdtsc', range(20, 8, 20, 15));
    const unknownRule = finding('unknown-rule', range(1, 30, 1, 34));
    const outside = finding('undecided-expansion', range(5, 0, 5, 10));
    const afterBlock = finding('sidt', range(10, 31, 10, 35));
    const shown = embeddedFindingsShown(result, new EmbeddedRegions(result), [unknownRule, inBlock, outside, finding('str', range(10, 29, 10, 30)), afterBlock, onCall]);
    assert.deepEqual(shown.map((f) => f.ruleId), ['unknown-rule', 'sgdt', 'str', 'rdtsc']);
  });

  it('reads the new settings nested or flattened, with their defaults', () => {
    assert.deepEqual(normalizeSettings({}).languages, { c: true, cpp: true, rust: true });
    assert.equal(normalizeSettings({}).inlineAsm.syntax, 'att');
    assert.deepEqual(normalizeSettings({ languages: { c: false, rust: 'no' } }).languages, { c: false, cpp: true, rust: true });
    assert.deepEqual(normalizeSettings({ 'languages.cpp': false, 'inlineAsm.syntax': 'intel' }).languages, { c: true, cpp: false, rust: true });
    assert.equal(normalizeSettings({ inlineAsm: { syntax: 'intel' } }).inlineAsm.syntax, 'intel');
    assert.equal(normalizeSettings({ inlineAsm: { syntax: 'masm' } }).inlineAsm.syntax, 'att');
  });
});
