// The cpp stage's own behaviour beyond what gcc's output shows: which lines pass untouched, where
// expanded lines and macro uses point, the third (unknown) state of conditions and its reports,
// and the limits and garbage that must end with a report instead of a throw or a hang.
import * as assert from 'node:assert/strict';
import { createCppPreprocessor } from '../../server/src/analysis/project/cpp';
import type { ExpandedLine, FileInstance, MacroUse } from '../../server/src/analysis/project/source';
import { MemoryEnv, memoryReader, runCpp, runCppText, type StageRun } from '../helpers/memoryEnv';
import { seededRandom } from '../helpers/seededRandom';

function src(...lines: string[]): string {
  return lines.join('\n');
}

function textsOf(run: StageRun): string[] {
  return run.lines.map((l) => l.text);
}

function trimmed(texts: string[]): string[] {
  return texts.map((t) => t.trim());
}

describe('cpp stage: lines out', () => {
  it('passes lines without macros on as the very input lines', () => {
    const r = runCppText(src('#define X 1', '\tmov %eax, %ebx // X is not here', '\tnop /* X */', '\tmovl $X, %eax'));
    assert.equal(r.lines.length, 3);
    assert.equal(r.lines[0], r.input[1]);
    assert.equal(r.lines[1], r.input[2]);
    assert.equal(r.lines[1]!.verbatim, true);
    assert.equal(r.lines[2]!.verbatim, false);
  });

  it('keeps each body token\'s own spacing where bodies share their tokens (as gcc -E -P spaces them)', () => {
    // gcc -E -P -x assembler-with-cpp on this text prints these three lines.
    const r = runCppText(src('#define S34C_A s34c_x+s34c_y', '#define S34C_B s34c_x + s34c_y', '\t.long S34C_A', '\t.long S34C_B', '#define S34C_C(p) p +s34c_x', '\t.long S34C_C(1), S34C_A'));
    assert.deepEqual(trimmed(textsOf(r)), ['.long s34c_x+s34c_y', '.long s34c_x + s34c_y', '.long 1 +s34c_x, s34c_x+s34c_y']);
  });

  it('emits a spliced line once, at its first physical line', () => {
    const r = runCppText(src('\tmovl $1, \\', '\t  %eax', '\tnop'));
    assert.deepEqual(trimmed(textsOf(r)), ['movl $1, \t  %eax', 'nop']);
    assert.equal(r.lines[0]!.at.line, 0);
    assert.equal(r.lines[0]!.verbatim, false);
    assert.equal(r.lines[1]!.at.line, 2);
  });

  it('names each macro used on a line, with its columns, definition and body line', () => {
    const r = runCppText(src('#define ONE 1', '#define PAIR(a, b) a, b', '\t.long PAIR(ONE, 2), ONE'));
    const line = r.lines[0]!;
    assert.equal(line.text, '\t.long 1, 2, 1');
    assert.equal(line.at.line, 2);
    assert.equal(line.body?.line, 1);
    const written = r.input[2]!.text;
    const uses = line.macros.map((m) => ({ name: m.name, kind: m.kind, def: m.definedAt?.line, inv: m.invokedAt.line, text: written.slice(m.columns!.start, m.columns!.end) }));
    assert.deepEqual(uses, [
      { name: 'PAIR', kind: 'cpp', def: 1, inv: 2, text: 'PAIR(ONE, 2)' },
      { name: 'ONE', kind: 'cpp', def: 0, inv: 2, text: 'ONE' },
    ]);
  });

  it('keeps an earlier stage\'s line: its `at` and macro uses come first', () => {
    const file: FileInstance = { id: 7, path: '/src/x.S' };
    const earlier: MacroUse = { name: 'OUTER', kind: 'macro', invokedAt: { file, line: 40 } };
    const input: ExpandedLine[] = [
      { text: '#define V 5', at: { file, line: 3 }, verbatim: true, macros: [] },
      { text: '\tmovl $V, %eax', at: { file, line: 40 }, verbatim: false, body: { file, line: 10 }, macros: [earlier] },
      { text: '\tnop', at: { file, line: 41 }, verbatim: false, macros: [earlier] },
    ];
    const env = new MemoryEnv(memoryReader({}), { dialect: 'gas-att', includes: { relativeTo: 'includer', maxDepth: 40 } });
    const out = Array.from(createCppPreprocessor({ language: 'assembler' })(input, env));
    assert.equal(out[0]!.at.line, 40);
    assert.equal(out[0]!.text, '\tmovl $5, %eax');
    assert.deepEqual(out[0]!.macros.map((m) => m.name), ['OUTER', 'V']);
    assert.equal(out[0]!.macros[1]!.columns, undefined, 'no columns on a line that is not as written');
    assert.equal(out[1], input[2]);
  });

  it('reads arguments over several lines and emits the line at the invocation', () => {
    const r = runCppText(src('#define SUM(a, b) a + b', '\t.long SUM(1,', '\t\t2), 3', '\tnop'));
    assert.deepEqual(trimmed(textsOf(r)), ['.long 1 + 2, 3', 'nop']);
    assert.deepEqual(r.lines.map((l) => l.at.line), [1, 3]);
    assert.deepEqual(r.lines[0]!.macros[0]!.columns, { start: 7, end: 13 });
  });

  it('puts an expanded argument wherever its parameter stands, spaced as the body has it (as gcc -E)', () => {
    // The first use of an argument's expansion takes its tokens, a later use copies them.
    const r = runCppText(src('#define V 42', '#define SQ(x) (x*x)', '#define TWICE(x) x x', '\t.long SQ( V), TWICE(SQ(V))', '\t.long TWICE( V)'));
    assert.deepEqual(trimmed(textsOf(r)), ['.long (42*42), (42*42) (42*42)', '.long 42 42']);
  });

  it('keeps the written text between written tokens, but not across a macro that expanded to nothing', () => {
    // gcc -E: "movl %eax,%ebx" and "movl $1 , %ecx" (it squeezes the written spaces too).
    const r = runCppText(src('#define EMPTY', '#define NOTHING()', '\tmovl EMPTY %eax,EMPTY%ebx', '\tmovl NOTHING() $1 ,  %ecx'));
    assert.deepEqual(textsOf(r), ['\tmovl %eax,%ebx', '\tmovl $1 ,  %ecx']);
  });

  it('reads comments again on the line after one with an unterminated quote (as gcc -E)', () => {
    const r = runCppText(src('#define X 1', "\t.byte 'a", '\tmovl $X, %eax /* X */'));
    assert.deepEqual(textsOf(r), ["\t.byte 'a", '\tmovl $1, %eax']);
  });

  it('drops directives and false groups; passes unknown # lines in assembler mode only', () => {
    const text = src('#if 0', 'gone', '#endif', '# a gas comment', '#', '#pragma once', '#error stop', '#warning careful', 'kept');
    assert.deepEqual(textsOf(runCppText(text, 'assembler')), ['# a gas comment', 'kept']);
    assert.deepEqual(textsOf(runCppText(text, 'c')), ['kept']);
  });

  it('reads `$` as part of a C identifier, not an assembler one', () => {
    const text = src('#define X 3', '$X');
    assert.deepEqual(textsOf(runCppText(text, 'assembler')), ['$3']);
    assert.deepEqual(textsOf(runCppText(text, 'c')), ['$X']);
  });

  it('tells the walk about each #define', () => {
    const r = runCppText(src('#define A 1', '#if 0', '#define B 2', '#endif', '#define C(x) x'));
    assert.deepEqual(r.definitions.map((d) => [d.name, d.kind, d.at.line]), [['A', 'cpp', 0], ['C', 'cpp', 4]]);
  });

  it('opens includes through the walk and reads them with the same macros', () => {
    const files = {
      '/p/main.S': src('#define FROM_MAIN 1', '#include "h.inc"', '#include <sys.h>', '#include_next <sys.h>', '\t.long FROM_HEADER'),
      '/p/h.inc': src('#define FROM_HEADER 2', '\t.long FROM_MAIN'),
      '/inc/sys.h': '\tsys',
    };
    const r = runCpp('assembler', files, '/p/main.S', { includePaths: ['/inc'] });
    assert.deepEqual(trimmed(textsOf(r)), ['.long 1', 'sys', 'sys', '.long 2']);
    assert.deepEqual(r.includes.map((c) => [c.spec, c.system, c.from.line]), [['h.inc', false, 1], ['sys.h', true, 2], ['sys.h', true, 3]]);
    assert.deepEqual(r.includes[0]!.columns, { start: 9, end: 16 });
    assert.equal(r.lines[0]!.at.file.path, '/p/h.inc');
  });
});

describe('cpp stage: conditions the configuration does not decide', () => {
  it('reads both branches of #ifdef on an unknown name, with one report', () => {
    const r = runCppText(src('#ifdef CONFIG_X86_64', '\tpushq %rax', '#else', '\tpushl %eax', '#endif'));
    assert.deepEqual(trimmed(textsOf(r)), ['pushq %rax', 'pushl %eax']);
    assert.equal(r.problems.length, 1);
    const report = r.problems[0]!;
    assert.equal(report.kind, 'undecided');
    assert.equal(report.at.line, 0);
    assert.deepEqual(report.columns, { start: 0, end: 20 });
    assert.equal(report.message, "#ifdef CONFIG_X86_64: CONFIG_X86_64 is not defined by the project's configuration; both branches are read");
  });

  it('names every unknown identifier of a #if', () => {
    const r = runCppText(src('#if CONFIG_A > 2 && defined(CONFIG_B)', 'a', '#endif'));
    assert.deepEqual(textsOf(r), ['a']);
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0]!.message, /^#if CONFIG_A > 2 && defined\(CONFIG_B\): CONFIG_A, CONFIG_B are not defined/);
  });

  const decided: [string, boolean][] = [
    ['0 && UNKNOWN', false],
    ['UNKNOWN && 0', false],
    ['1 || UNKNOWN', true],
    ['UNKNOWN || 2', true],
    ['UNKNOWN * 0', false],
    ['(UNKNOWN & 0) + 1', true],
    ['UNKNOWN ? 4 : 4', true],
    ['defined(UNKNOWN) && 0', false],
    ['__x86_64__', false],
    ['defined __x86_64__ || _Reserved', false],
    ['!defined(__ASSEMBLER__)', false],
  ];
  for (const [expression, value] of decided) {
    it(`decides #if ${expression} as cpp would (${value ? 1 : 0}) without a report`, () => {
      const r = runCppText(src(`#if ${expression}`, 'yes', '#else', 'no', '#endif'));
      assert.deepEqual(textsOf(r), [value ? 'yes' : 'no']);
      assert.deepEqual(r.problems, []);
    });
  }

  it('takes defines from the configuration; a bare -DNAME is empty text and 1 in #if', () => {
    const r = runCppText(src('#if CONFIG_A == 2 && CONFIG_B', '\t.long CONFIG_A CONFIG_B', '#endif'), 'assembler', { defines: { CONFIG_A: '2', CONFIG_B: '' } });
    assert.deepEqual(trimmed(textsOf(r)), ['.long 2']);
    assert.deepEqual(r.problems, []);
  });

  it('reads the configuration in order, as gcc does: a later define of a name wins, whatever its spelling, and replaces a predefined one', () => {
    const text = src('\t.long TWICE(3) __STDC__ ONE');
    const later = runCppText(text, 'assembler', { defines: { 'TWICE(x)': 'x+x', TWICE: 'plain', __STDC__: '7', ONE: '1' } });
    assert.deepEqual(trimmed(textsOf(later)), ['.long plain(3) 7 1']);
    const earlier = runCppText(text, 'assembler', { defines: { TWICE: 'plain', 'TWICE(x)': 'x+x', ONE: '1' } });
    assert.deepEqual(trimmed(textsOf(earlier)), ['.long 3 +3 1 1']);
    const notAName = runCppText(src('\tdefined'), 'assembler', { defines: { defined: '1' } });
    assert.deepEqual(trimmed(textsOf(notAName)), ['defined']);
  });

  it('knows a name the text #undef-ed, and an include guard, without a report', () => {
    const header = src('#ifndef MY_HEADER_H', '#define MY_HEADER_H', '\tonce', '#endif');
    const r = runCpp('assembler', { '/p/main.S': src('#define X', '#undef X', '#ifdef X', 'no', '#endif', '#include "h.h"', '#include "h.h"'), '/p/h.h': header }, '/p/main.S');
    assert.deepEqual(trimmed(textsOf(r)), ['once']);
    assert.deepEqual(r.problems, []);
  });

  it('reads every branch of an #elif chain not decided false, and stops at one decided true', () => {
    const first = runCppText(src('#if UNKNOWN', 'a', '#elif 1', 'b', '#else', 'c', '#endif'));
    assert.deepEqual(textsOf(first), ['a', 'b']);
    const second = runCppText(src('#if 0', 'a', '#elif UNKNOWN', 'b', '#else', 'c', '#endif'));
    assert.deepEqual(textsOf(second), ['b', 'c']);
    assert.match(second.problems[0]!.message, /this branch is read too$/);
  });

  it('decides groups nested in an unknown one, and says nothing about unknowns in a false group', () => {
    const r = runCppText(src('#if 0', '#ifdef UNKNOWN_A', 'x', '#endif', '#endif', '#ifdef UNKNOWN_B', '#if 1', 'in', '#else', 'out', '#endif', '#endif'));
    assert.deepEqual(textsOf(r), ['in']);
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0]!.message, /UNKNOWN_B/);
  });

  it('reads both branches when a #if cannot be evaluated', () => {
    const r = runCppText(src('#if 1 +', 'a', '#else', 'b', '#endif', '#if 1/0', 'c', '#endif'));
    assert.deepEqual(textsOf(r), ['a', 'b', 'c']);
    assert.equal(r.problems.length, 2);
    assert.match(r.problems[0]!.message, /cannot be evaluated/);
    assert.match(r.problems[1]!.message, /division by zero/);
  });
});

describe('cpp stage: limits and garbage', () => {
  it('ends self- and mutually recursive macros with the standard result', () => {
    const r = runCppText(src('#define foo foo + 1', '#define a b', '#define b a', '#define f(x) f(x) g', 'foo a b f(1)'));
    assert.deepEqual(textsOf(r), ['foo + 1 a b f(1) g']);
    assert.deepEqual(r.problems, []);
  });

  it('stops an expansion that doubles forty times, and reports it', () => {
    const defines = ['#define A0 x x'];
    for (let i = 1; i <= 40; i++) defines.push(`#define A${i} A${i - 1} A${i - 1}`);
    const r = runCppText(src(...defines, 'A40', 'after'));
    assert.equal(r.lines.length, 2);
    assert.equal(r.lines[1]!.text, 'after');
    assert.ok(r.lines[0]!.text.length < 4_000_000);
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0]!.message, /^macro expansion stopped: the expansion grows past/);
  });

  it('stops macros nested deeper than the depth limit', () => {
    const defines: string[] = [];
    for (let i = 0; i < 100; i++) defines.push(`#define M${i} M${i + 1}`);
    const r = runCppText(src(...defines, 'M0'), 'assembler', { limits: { depth: 64 } });
    assert.deepEqual(textsOf(r), ['M64']);
    assert.match(r.problems[0]!.message, /macros nest more than 64 deep/);
  });

  it('stops after the lines limit', () => {
    const lines: string[] = [];
    for (let i = 0; i < 100; i++) lines.push(`line${i}`);
    const r = runCppText(src(...lines), 'assembler', { limits: { lines: 10 } });
    assert.equal(r.lines.length, 10);
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0]!.message, /more than 10 lines/);
  });

  it('reports an unterminated #if and an unterminated comment, and emits what it read', () => {
    const r = runCppText(src('#if 1', 'a', '#ifdef __X', '#endif', 'b /* open', 'c', '#endif'));
    assert.deepEqual(textsOf(r), ['a', 'b /* open', 'c', '#endif']);
    assert.deepEqual(r.problems.map((p) => p.message), [
      'unterminated comment: it runs to the end of the file',
      'unterminated conditional: 1 #if group still open at the end of the file',
    ]);
  });

  it('leaves a call whose parentheses never close, and reads the lines after it', () => {
    const r = runCppText(src('#define F(x) [x]', 'F(1, (2', 'next', '#define G 1', 'G F(3)'));
    assert.deepEqual(textsOf(r), ['F(1, (2', 'next', '1 [3]']);
  });

  it('reads a file that says #pragma once only once', () => {
    const r = runCpp('assembler', { '/p/main.S': src('#include "o.h"', '#include "o.h"', 'end'), '/p/o.h': src('#pragma once', 'once_body') }, '/p/main.S');
    assert.deepEqual(textsOf(r), ['once_body', 'end']);
  });

  it('survives a file that includes itself', () => {
    const r = runCpp('assembler', { '/p/main.S': src('x', '#include "main.S"') }, '/p/main.S');
    assert.ok(r.lines.length > 1);
    assert.ok(r.problems.some((p) => p.kind === 'include'));
  });

  it('never throws or runs on for random garbage', () => {
    const pieces = ['#', '#if', '#ifdef X', '#elif', '#else', '#endif', '#define', '#define F(a, ...) a ## __VA_ARGS__ # a', '#define G(x) F(x, x) G', '#undef', '#include', '#if (1', '/*', '*/', '//', '\\', '"', "'", '(', ')', ',', 'F', 'G', 'F(', 'G(', 'X', '__VA_OPT__(', '##', ' ', '\t', '0x', '1/0', '?', ':', 'defined', '<', '>', '__LINE__'];
    const random = seededRandom(12345);
    for (let round = 0; round < 300; round++) {
      const lines: string[] = [];
      const count = 1 + random(30);
      for (let l = 0; l < count; l++) {
        let line = '';
        const parts = random(8);
        for (let p = 0; p < parts; p++) line += pieces[random(pieces.length)]! + (random(2) ? ' ' : '');
        lines.push(line);
      }
      for (const language of ['assembler', 'c'] as const) {
        const r = runCppText(src(...lines), language);
        assert.ok(r.lines.length <= lines.length, `round ${round}: no more lines out than in`);
      }
    }
  });
});
