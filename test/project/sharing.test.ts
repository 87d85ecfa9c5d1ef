// Every root of a project reads the same headers again, and the walk shares what it can between
// them: the parse of a line read in the same state, the lexing of a GNU as line, the cpp replay of
// a header, and lines cpp leaves blank (comments) are not passed on at all. None of that may
// change what a root sees: a header read in two states, or with macros that differ between roots,
// still gets each state's own findings, whichever root was read first and however often.
import * as assert from 'node:assert/strict';
import { analyzeProject, type ProjectOptions, type ProjectResult } from '../../server/src/analysis/project/index';

const OPTIONS: ProjectOptions = { analysis: { rules: ['all'] }, includePaths: ['/inc'] };

function analyze(files: Record<string, string>, roots: readonly string[], options: ProjectOptions = OPTIONS): ProjectResult {
  options = { ...options, definesComplete: true };
  return analyzeProject({ files: roots, reader: { read: (path) => (path in files ? { text: files[path]! } : { error: 'not found' }) }, options });
}

/** `line:rule:roots` for each finding in `path`, sorted. */
function found(result: ProjectResult, path: string): string[] {
  const file = result.files.get(path);
  assert.ok(file, `${path} has no result (have: ${[...result.files.keys()].join(', ')})`);
  return file.result.findings.map((f) => `${f.range.start.line}:${f.ruleId}:${[...new Set(f.contexts?.map((c) => c.root))].sort().join('+')}`).sort();
}

function suppressedIn(result: ProjectResult, path: string): string[] {
  return result.files.get(path)!.result.suppressed.map((f) => `${f.range.start.line}:${f.ruleId}`).sort();
}

/** The analysis of each root alone, in a project of its own, and of all of them together (in both orders) agree on every file. */
function sameAloneAndTogether(files: Record<string, string>, roots: readonly string[], paths: readonly string[]): void {
  const together = analyze(files, roots);
  const reversed = analyze(files, [...roots].reverse());
  for (const path of paths) assert.deepEqual(found(reversed, path), found(together, path), `${path}: the order of the roots changed its findings`);
  for (const root of roots) {
    const alone = analyze(files, [root]);
    for (const path of paths) {
      if (!alone.files.has(path)) continue;
      const own = found(together, path).filter((f) => f.split(':')[2]!.split('+').includes(root)).map((f) => f.replace(/:[^:]*$/, `:${root}`));
      assert.deepEqual(found(alone, path), own, `${path} read from ${root} alone`);
    }
  }
}

describe('project sharing between roots', () => {
  it('a header read in 16-bit and in 64-bit code gets each mode\'s findings, with comments and a suppression in it', () => {
    const files = {
      '/inc/seg.h': [
        '/* SPDX-License-Identifier: GPL-2.0 */', // 0
        '/*', // 1
        ' * pushf and cpuid written in a comment are not code:', // 2
        '\tpushf', // 3
        ' */', // 4
        '', // 5
        '\tpush %ds', // 6
        '/* virtlint-disable-next-line cpuid */', // 7
        '\tcpuid', // 8
        '// a line comment: sgdt (%eax)', // 9
        '\tsgdt (%eax)', // 10
      ].join('\n') + '\n',
      '/p/real.S': '\t.code16\n#include <seg.h>\n',
      '/p/long.S': '\t.code64\n#include <seg.h>\n',
    };
    const roots = ['/p/real.S', '/p/long.S'];
    const result = analyze(files, roots);
    assert.deepEqual(found(result, '/inc/seg.h'), ['10:sgdt:/p/long.S+/p/real.S', '6:invalid-in-mode:/p/long.S', '6:push-sreg:/p/real.S']);
    assert.deepEqual(suppressedIn(result, '/inc/seg.h'), ['8:cpuid']);
    sameAloneAndTogether(files, roots, ['/inc/seg.h']);
  });

  it('a GNU as macro a header defines differently per root expands to each root\'s own body', () => {
    const files = {
      '/inc/flags.h': '#ifdef USE_FLAGS\n.macro SAVE\n\tpushf\n.endm\n#else\n.macro SAVE\n\tnop\n.endm\n#endif\n\tSAVE\n',
      '/p/a.S': '#define USE_FLAGS\n#include <flags.h>\n\tSAVE\n',
      '/p/b.S': '#include <flags.h>\n\tSAVE\n',
      '/p/c.S': '#define USE_FLAGS 1\n#include <flags.h>\n\tSAVE\n',
    };
    const roots = ['/p/a.S', '/p/b.S', '/p/c.S'];
    const result = analyze(files, roots);
    assert.deepEqual(found(result, '/p/a.S'), ['2:pushf:/p/a.S']);
    assert.deepEqual(found(result, '/p/b.S'), []);
    assert.deepEqual(found(result, '/p/c.S'), ['2:pushf:/p/c.S']);
    assert.deepEqual(found(result, '/inc/flags.h'), ['2:pushf:/p/a.S+/p/c.S', '9:pushf:/p/a.S+/p/c.S']);
    sameAloneAndTogether(files, roots, ['/inc/flags.h', '/p/a.S', '/p/b.S', '/p/c.S']);
  });

  it('a macro body line read the same way by two roots in different modes is parsed in each mode', () => {
    const files = {
      '/inc/m.h': '.macro SEG\n\tpush %es\n.endm\n',
      '/p/a.S': '\t.code32\n#include <m.h>\n\tSEG\n',
      '/p/b.S': '\t.code64\n#include <m.h>\n\tSEG\n',
    };
    const roots = ['/p/a.S', '/p/b.S'];
    const result = analyze(files, roots);
    assert.deepEqual(found(result, '/p/a.S'), ['2:push-sreg:/p/a.S']);
    assert.deepEqual(found(result, '/p/b.S'), ['2:invalid-in-mode:/p/b.S']);
    sameAloneAndTogether(files, roots, ['/p/a.S', '/p/b.S']);
  });

  it('a block comment a header leaves open is reported there, whichever root reads it', () => {
    const files = {
      '/inc/open.h': '\tnop\n/* this comment never ends\n\tpushf\n',
      '/p/a.S': '#include <open.h>\n\tcpuid\n',
      '/p/b.S': '#include <open.h>\n\trdtsc\n',
    };
    const roots = ['/p/a.S', '/p/b.S'];
    const result = analyze(files, roots);
    assert.deepEqual(found(result, '/inc/open.h'), ['1:undecided-expansion:/p/a.S+/p/b.S']);
    sameAloneAndTogether(files, roots, ['/inc/open.h', '/p/a.S', '/p/b.S']);
  });

  it('a second analysis of the same project, with every cache warm, gives the same result', () => {
    const files = {
      '/inc/h.h': '/* header */\n.macro TWICE x\n\t\\x\n\t\\x\n.endm\n\n\tTWICE rdtsc\n',
      '/p/a.S': '#include <h.h>\n\tTWICE cpuid\n\n/* end */\n',
      '/p/b.S': '\t.code16\n#include <h.h>\n\tTWICE "push %cs"\n',
    };
    const first = analyze(files, ['/p/a.S', '/p/b.S']);
    const second = analyze(files, ['/p/a.S', '/p/b.S']);
    for (const path of ['/inc/h.h', '/p/a.S', '/p/b.S']) assert.deepEqual(found(second, path), found(first, path));
    assert.deepEqual(found(first, '/p/a.S'), ['1:cpuid:/p/a.S']);
    assert.deepEqual(found(first, '/p/b.S'), ['2:push-sreg:/p/b.S']);
    // The body lines carry one finding each for what their uses produced (no context of their own).
    assert.deepEqual(found(first, '/inc/h.h'), ['2:cpuid:', '2:push-sreg:', '2:rdtsc:', '3:cpuid:', '3:push-sreg:', '3:rdtsc:', '6:rdtsc:/p/a.S+/p/b.S']);
  });
});
