// NASM joins a line that ends in a backslash with the next one before it looks for comments, so a
// `;` comment ending in `\` swallows the whole next line. virtlint must read such files as nasm
// does: the oracle is nasm's own bytes, decoded by iced-x86, line by line.
import * as assert from 'node:assert/strict';
import { analyzeText, DocumentAnalyzer, ruleForCode, type AnalysisResult } from '../../server/src/analysis';
import { assemble, decodeAll } from '../helpers/assemble';

/** `line:rule` for every sensitive instruction nasm emitted. */
function oracleFindings(source: string): string[] {
  const found: string[] = [];
  for (const [line, bytes] of assemble('nasm', source, { bits: 32 })) {
    for (const decoded of decodeAll(bytes, 32)) {
      const rule = ruleForCode(decoded.code);
      if (rule) found.push(`${line}:${rule}`);
    }
  }
  return found.sort();
}

const OPTIONS = { dialect: 'nasm', bits: 32, rules: ['all'] } as const;

function findingsOf(result: AnalysisResult): string[] {
  return result.findings.map((f) => `${f.range.start.line + 1}:${f.ruleId}`).sort();
}

function virtlintFindings(source: string): string[] {
  return findingsOf(analyzeText(source, { ...OPTIONS, rules: [...OPTIONS.rules] }));
}

const CASES: Record<string, string[]> = {
  'a trailing comment ending in a backslash swallows the next line': ['nop ; see C:\\', 'pushf', 'popf', 'ret'],
  'a whole-line comment does the same, and chains': ['; one \\', '; two \\', 'cpuid', 'sidt [eax]', 'ret'],
  'a space after the backslash ends the comment': ['nop ; not joined \\ ', 'pushf', 'ret'],
  'a doubled backslash still joins': ['nop ; a path \\\\', 'popf', 'pushf', 'ret'],
  'a backslash inside a string is not a comment': ["db 'x\\'", 'pushf', 'ret'],
};

describe('oracle: comments that NASM continues onto the next line', () => {
  for (const [name, lines] of Object.entries(CASES)) {
    it(name, () => {
      const source = ['bits 32', ...lines].join('\n') + '\n';
      const expected = oracleFindings(source);
      assert.ok(expected.length > 0, 'each case keeps at least one sensitive instruction, so the comparison is not vacuous');
      assert.deepEqual(virtlintFindings(source), expected);
    });
  }

  it('an edit that removes or adds the backslash re-reads the next line (incremental analysis)', () => {
    const source = ['bits 32', 'nop ; x \\', 'pushf', 'ret'].join('\n') + '\n';
    const analyzer = new DocumentAnalyzer(source, { ...OPTIONS, rules: [...OPTIONS.rules] });
    assert.deepEqual(findingsOf(analyzer.result()), oracleFindings(source));
    const backslash = { start: { line: 1, character: 8 }, end: { line: 1, character: 9 } };
    analyzer.update([{ range: backslash, text: '' }]);
    assert.deepEqual(findingsOf(analyzer.result()), oracleFindings(analyzer.text));
    assert.deepEqual(findingsOf(analyzer.result()), ['3:pushf']);
    analyzer.update([{ range: { start: backslash.start, end: backslash.start }, text: '\\' }]);
    assert.deepEqual(findingsOf(analyzer.result()), []);
  });
});
