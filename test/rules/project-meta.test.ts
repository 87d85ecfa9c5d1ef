// The two meta rules only the project model reports, in every dialect: an include that cannot be
// followed, and an expansion that cannot be decided.
import * as assert from 'assert';
import { analyzeProject } from '../../server/src/analysis/project/index';
import type { Dialect } from '../../server/src/analysis/types';

interface DialectCase {
  dialect: Dialect;
  file: string;
  missingInclude: string;
  undecided: string;
}

const CASES: DialectCase[] = [
  { dialect: 'nasm', file: '/p/a.asm', missingInclude: '%include "nowhere.inc"', undecided: '%if UNKNOWN_SIZE > 4\nnop\n%endif' },
  { dialect: 'gas-att', file: '/p/a.S', missingInclude: '#include "nowhere.h"', undecided: '#ifdef CONFIG_UNKNOWN\nnop\n#endif' },
  { dialect: 'gas-intel', file: '/p/a.s', missingInclude: '.intel_syntax noprefix\n.include "nowhere.inc"', undecided: '.intel_syntax noprefix\n.if UNKNOWN_SIZE > 4\nnop\n.endif' },
  { dialect: 'fasm', file: '/p/a.asm', missingInclude: "format binary\ninclude 'nowhere.inc'", undecided: 'format binary\nmatch =UNKNOWN, UNKNOWN { nop }\nrept UNKNOWN_COUNT { nop }' },
  { dialect: 'masm', file: '/p/a.asm', missingInclude: '.model small\nINCLUDE nowhere.inc', undecided: '.model small\nIF UNKNOWN_SIZE GT 4\nnop\nENDIF' },
];

function ruleLines(text: string, file: string, dialect: Dialect, ruleId: string): number[] {
  const result = analyzeProject({
    files: [file],
    reader: { read: (path) => (path === file ? { text } : { error: 'not found' }) },
    options: { analysis: {}, settingsFor: () => ({ dialect }) },
  });
  return result.files.get(file)!.result.findings.filter((f) => f.ruleId === ruleId).map((f) => f.range.start.line);
}

describe('rule unresolved-include', () => {
  for (const c of CASES) {
    it(`${c.dialect}: reported on the directive naming a file that does not exist`, () => {
      const line = c.missingInclude.split('\n').length - 1;
      assert.deepStrictEqual(ruleLines(c.missingInclude, c.file, c.dialect, 'unresolved-include'), [line]);
    });
  }
});

describe('rule undecided-expansion', () => {
  for (const c of CASES) {
    it(`${c.dialect}: reported where a condition or count depends on a symbol nobody defines`, () => {
      const lines = ruleLines(c.undecided, c.file, c.dialect, 'undecided-expansion');
      assert.ok(lines.length >= 1, `no undecided-expansion finding in:\n${c.undecided}`);
    });
  }
});
