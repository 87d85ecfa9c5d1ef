// The GNU as macro stage's contract: what each output line says about where it came from, what is
// reported as undecided, and that limits and garbage end with a report, never a throw or a hang.
import * as assert from 'assert';
import { linesOf, type ExpandedLine, type FileInstance, type MacroUse } from '../../server/src/analysis/project/source';
import { cleanText, splitStatements } from '../../server/src/analysis/project/gas/statements';
import { INITIAL_LEX_STATE, lexLine } from '../../server/src/analysis/syntax/lexer';
import { assembledLines, runGas, runGasText, splitLines } from '../helpers/memoryEnv';
import { seededRandom } from '../helpers/seededRandom';

const texts = (lines: readonly ExpandedLine[]): string[] => lines.map((l) => l.text.trim());
const messages = (run: { problems: { message: string; at: { line: number } }[] }): string[] => run.problems.map((p) => `${p.at.line}: ${p.message}`);

describe('GNU as macro stage: output lines', () => {
  it('passes ordinary lines on as the same objects', () => {
    const file: FileInstance = { id: 0, path: 'main.s' };
    const input = [...linesOf(file, ['start:', '\tpushf # flags', '', '/* block */ nop'])];
    const run = runGas({}, 'main.s', { input: () => input });
    assert.strictEqual(run.lines.length, input.length);
    run.lines.forEach((line, i) => assert.strictEqual(line, input[i]));
  });

  it('puts a macro body line at the invocation, with the body line, the use and its columns', () => {
    const run = runGasText('.macro SAVE reg\n\tpush %\\()\\reg\n.endm\nx:  SAVE eax  # c\n');
    const [line] = assembledLines(run.lines);
    assert.deepStrictEqual(assembledLines(run.lines).length, 1);
    assert.strictEqual(line!.text, '\tpush %eax');
    assert.strictEqual(line!.verbatim, false);
    assert.deepStrictEqual([line!.at.line, line!.body?.line], [3, 1]);
    assert.strictEqual(line!.macros.length, 1);
    const use = line!.macros[0]!;
    assert.deepStrictEqual([use.name, use.kind, use.definedAt?.line, use.invokedAt.line, use.columns], ['SAVE', 'macro', 0, 3, { start: 4, end: 12 }]);
  });

  it('passes definition lines on as definitions, with their text, and tells the env', () => {
    const run = runGasText('.macro m a\n .byte \\a\n.endm\n');
    assert.deepStrictEqual(run.lines.map((l) => [l.definition, l.text]), [[true, '.macro m a'], [true, ' .byte \\a'], [true, '.endm']]);
    assert.deepStrictEqual(run.definitions.map((d) => [d.name, d.kind, d.at.line]), [['m', 'macro', 0]]);
  });

  it('chains uses for a macro invoked in a macro, outermost first', () => {
    const run = runGasText('.macro inner\n\tpushf\n.endm\n.macro outer\n\tinner\n.endm\n\touter\n');
    const [line] = assembledLines(run.lines);
    assert.deepStrictEqual(line!.macros.map((m: MacroUse) => [m.name, m.definedAt?.line, m.invokedAt.line]), [['outer', 3, 6], ['inner', 0, 6]]);
    assert.deepStrictEqual([line!.at.line, line!.body?.line], [6, 1]);
  });

  it('reads a repeat block written in the file at its own lines, as a repeat use', () => {
    const run = runGasText('.rept 2\n\tpushf\n.endr\n.irp r, ax, bx\n\tpush %\\r\n.endr\n');
    const lines = assembledLines(run.lines);
    assert.deepStrictEqual(lines.map((l) => [l.text.trim(), l.at.line, l.verbatim]), [
      ['pushf', 1, true], ['pushf', 1, true], ['push %ax', 4, false], ['push %bx', 4, false],
    ]);
    assert.deepStrictEqual(lines[0]!.macros.map((m) => [m.name, m.kind, m.definedAt?.line, m.invokedAt.line]), [['.rept', 'repeat', 0, 0]]);
    assert.deepStrictEqual(run.lines.filter((l) => l.definition).map((l) => l.at.line), [0, 2, 3, 5]);
  });

  it('keeps an earlier stage\'s at and uses, and adds its own after them', () => {
    const file: FileInstance = { id: 0, path: 'main.S' };
    const cppUse: MacroUse = { name: 'BODY', kind: 'cpp', invokedAt: { file, line: 1 } };
    const input: ExpandedLine[] = [
      { text: '.macro m', at: { file, line: 0 }, verbatim: true, macros: [] },
      { text: ' pushf', at: { file, line: 1 }, verbatim: false, body: { file, line: 9 }, macros: [cppUse] },
      { text: '.endm', at: { file, line: 2 }, verbatim: true, macros: [] },
      { text: ' m', at: { file, line: 3 }, verbatim: false, macros: [cppUse] },
    ];
    const run = runGas({}, 'main.S', { input: () => input });
    const [line] = assembledLines(run.lines);
    assert.deepStrictEqual([line!.at.line, line!.body?.line], [3, 9]);
    assert.deepStrictEqual(line!.macros.map((m) => m.name), ['BODY', 'm']);
    assert.strictEqual(line!.macros[1]!.columns, undefined);
  });

  it('splits statements on ; outside strings and comments, and keeps the others of a line', () => {
    const run = runGasText('.macro m\n\tnop\n.endm\n\t.ascii "a;m" ; m ; cli # m ; m\n');
    assert.deepStrictEqual(texts(assembledLines(run.lines)), ['.ascii "a;m"', 'nop', 'cli # m ; m']);
    assert.deepStrictEqual(assembledLines(run.lines).map((l) => l.at.line), [3, 3, 3]);
  });

  it('splits a line into its statements: none, one, several, with labels and an assignment', () => {
    const read = (masked: string): string[] => splitStatements(masked).map((s) => `${s.start}-${s.end} [${s.labels.join(',')}] ${s.word}@${s.wordStart}-${s.wordEnd}${s.assignment ? ' =' : ''}`);
    assert.deepStrictEqual(read(''), ['0-0 [] @0-0']);
    assert.deepStrictEqual(read('a: b: movl %eax, %ebx'), ['0-21 [a,b] movl@6-10']);
    assert.deepStrictEqual(read('x = 1; nop ;'), ['0-5 [] x@0-1 =', '6-11 [] nop@7-10', '12-12 [] @12-12']);
    assert.deepStrictEqual(read(';l: ret'), ['0-0 [] @0-0', '1-7 [l] ret@4-7']);
  });

  it('reads a line the same the first, second and third time its text is met (the lexing cache keeps it from the second)', () => {
    // Texts no other test uses: the cache is the process's.
    const macro = '.macro s34c_m\n\tnop\n.endm\n';
    const lines = ['s34c_a: .byte 1 ; s34c_m ; .byte 2', '\ts34c_m # s34c_m ; s34c_m', 's34c_c = 3; s34c_m'];
    const once = texts(assembledLines(runGasText(`${macro}${lines.join('\n')}\n`).lines));
    assert.deepStrictEqual(once, ['s34c_a: .byte 1', 'nop', '.byte 2', 'nop', 's34c_c = 3', 'nop']);
    const thrice = texts(assembledLines(runGasText(`${macro}${[...lines, ...lines, ...lines].join('\n')}\n`).lines));
    assert.deepStrictEqual(thrice, [...once, ...once, ...once]);
  });

  it('reads a statement\'s text with each comment character as a space and strings as written', () => {
    const line = '\tm 1/*c*/2,\t"a # b" # tail';
    const { masked } = lexLine(line, 'gas-att', INITIAL_LEX_STATE);
    const [statement] = splitStatements(masked);
    assert.strictEqual(cleanText(line, masked, statement!.wordEnd, statement!.end), '1     2,\t"a # b"');
  });

  it('treats macro names without case and parameter names with case', () => {
    const run = runGasText('.macro Foo X\n\t.byte \\X, \\x\n.endm\n\tFOO 3\n');
    assert.deepStrictEqual(texts(assembledLines(run.lines)), ['.byte 3, \\x']);
  });

  it('numbers expansions with \\@ across macros, and .irp sees the current number', () => {
    const run = runGasText('.macro a\n\t.byte \\@\n.endm\n\ta\n.irp v, 1\n\t.byte \\@\n.endr\n\ta\n');
    assert.deepStrictEqual(texts(assembledLines(run.lines)), ['.byte 0', '.byte 1', '.byte 1']);
  });

  it('reports a refused invocation each time its arguments repeat, at each invocation', () => {
    const run = runGasText('.macro m a\n\t.byte \\a\n.endm\n\tm 1, 2\n\tm 1, 2\n\tm 1\n');
    assert.deepStrictEqual(texts(assembledLines(run.lines)), ['.byte 1']);
    assert.deepStrictEqual(messages(run), ['3: too many arguments for macro `m`', '4: too many arguments for macro `m`']);
  });

  it('ends a macro at .exitm, closing the conditionals it opened', () => {
    const run = runGasText('.macro m\n\t.byte 1\n\t.if 1\n\t.exitm\n\t.endif\n\t.byte 2\n.endm\n\tm\n\t.byte 3\n');
    assert.deepStrictEqual(texts(assembledLines(run.lines)), ['.byte 1', '.byte 3']);
    assert.deepStrictEqual(run.problems, []);
  });

  it('forgets a purged macro: its name is an instruction again', () => {
    const run = runGasText('.macro pushf\n\tnop\n.endm\n\tpushf\n.purgem pushf\n\tpushf\n');
    assert.deepStrictEqual(texts(assembledLines(run.lines)), ['nop', 'pushf']);
  });

  it('does not expand a macro named in a comment or a string', () => {
    const run = runGasText('.macro m\n\tnop\n.endm\n# m\n/* m */\n\t.ascii "m"\n');
    assert.deepStrictEqual(texts(assembledLines(run.lines)), ['# m', '/* m */', '.ascii "m"']);
  });

  it('reads an include with the same state, and goes on when one is missing', () => {
    const run = runGas({ 'main.s': '.set X, 1\n.include "a.inc"\n.include "missing.inc"\n\tm\n', 'a.inc': '.if X\n.macro m\n\tcpuid\n.endm\n.endif\n' }, 'main.s');
    assert.deepStrictEqual(texts(assembledLines(run.lines)), ['.set X, 1', '.include "a.inc"', '.include "missing.inc"', 'cpuid']);
    assert.deepStrictEqual(run.problems.map((p) => p.kind), ['include']);
  });
});

describe('GNU as macro stage: undecided conditions', () => {
  it('reads every branch of a condition on an unknown symbol and names it', () => {
    const run = runGasText('.if UNKNOWN\n\tsgdt (%eax)\n.else\n\tsidt (%eax)\n.endif\n');
    assert.deepStrictEqual(texts(assembledLines(run.lines)), ['sgdt (%eax)', 'sidt (%eax)']);
    assert.strictEqual(run.problems.length, 1);
    assert.strictEqual(run.problems[0]!.kind, 'undecided');
    assert.match(run.problems[0]!.message, /UNKNOWN/);
    assert.deepStrictEqual(run.problems[0]!.columns, { start: 0, end: 11 });
  });

  it('counts a label as defined for .ifdef but not as a value for .if', () => {
    const run = runGasText('.ifdef here\n\t.byte 1\n.endif\nhere:\n.ifdef here\n\t.byte 2\n.endif\n.if here\n\t.byte 3\n.endif\n');
    assert.deepStrictEqual(texts(assembledLines(run.lines)), ['here:', '.byte 2', '.byte 3']);
    assert.deepStrictEqual(messages(run).length, 1);
    assert.match(messages(run)[0]!, /^7: .*`here`/);
  });

  it('skips branches decided false after an undecided one, and stops after one decided true', () => {
    const run = runGasText('.if A\n\t.byte 1\n.elseif 0\n\t.byte 2\n.elseif 1\n\t.byte 3\n.else\n\t.byte 4\n.endif\n');
    assert.deepStrictEqual(texts(assembledLines(run.lines)), ['.byte 1', '.byte 3']);
  });

  it('does not trust a value set in a branch read only because it was undecided', () => {
    const run = runGasText('.set N, 1\n.if A\n.set N, 2\n.endif\n.if N == 1\n\t.byte 1\n.endif\n');
    assert.deepStrictEqual(texts(assembledLines(run.lines)).filter((t) => t.startsWith('.byte')), ['.byte 1']);
    assert.strictEqual(run.problems.length, 2);
    assert.match(run.problems[1]!.message, /`N`/);
  });

  it('reads an undecided .rept count once and says so', () => {
    const run = runGasText('.rept COUNT\n\tpushf\n.endr\n');
    assert.deepStrictEqual(texts(assembledLines(run.lines)), ['pushf']);
    assert.match(messages(run)[0]!, /^0: .*COUNT/);
  });
});

describe('GNU as macro stage: limits and bad input', () => {
  it('stops endless recursion at limits.depth with a report', () => {
    const run = runGasText('.macro r\n\tnop\n\tr\n.endm\n\tr\n', { limits: { depth: 10 } });
    assert.strictEqual(assembledLines(run.lines).length, 10);
    assert.deepStrictEqual(run.problems.map((p) => [p.kind, p.at.line]), [['undecided', 4]]);
    assert.match(run.problems[0]!.message, /10 deep/);
  });

  it('reads a huge .rept only up to limits.repeat', () => {
    const run = runGasText('.rept 1000000000000\n\tnop\n.endr\n', { limits: { repeat: 50 } });
    assert.strictEqual(assembledLines(run.lines).length, 50);
    assert.match(messages(run)[0]!, /^0: .*limit of 50/);
  });

  it('stops all expansion past limits.lines', () => {
    const run = runGasText('.macro twice\n\tnop\n\tnop\n.endm\n.rept 100\n\ttwice\n.endr\n', { limits: { lines: 50 } });
    assert.ok(assembledLines(run.lines).length <= 50);
    assert.ok(run.problems.some((p) => /more than 50 lines/.test(p.message)));
  });

  it('stops a macro doubling itself at limits.lines', () => {
    const run = runGasText('.macro d\n\td\n\td\n.endm\n\td\n', { limits: { lines: 1000, depth: 64 } });
    assert.strictEqual(assembledLines(run.lines).length, 0);
    assert.ok(run.problems.some((p) => /more than 1000 lines/.test(p.message)));
  });

  it('reports unterminated blocks and stray ends', () => {
    assert.match(messages(runGasText('.macro m\n\tnop\n'))[0]!, /^0: `.macro` without `.endm`/);
    assert.match(messages(runGasText('.rept 3\n\tnop\n'))[0]!, /^0: `.rept` without `.endr`/);
    assert.match(messages(runGasText('\tnop\n.if 1\n\tnop\n'))[0]!, /^1: `.if` without `.endif`/);
    assert.match(messages(runGasText('.endif\n.endm\n.endr\n.exitm\n')).join('|'), /^0: `.endif` without `.if`\|1: .*\|2: .*\|3: `.exitm` outside a macro$/);
  });

  it('reports bad invocations: too many arguments, unknown keywords, missing required values', () => {
    const run = runGasText('.macro m a, b:req\n\t.byte \\a, \\b\n.endm\n\tm 1, 2, 3\n\tm c=1, b=2\n\tm 1\n');
    assert.deepStrictEqual(texts(assembledLines(run.lines)), ['.byte , 2', '.byte 1,']);
    assert.deepStrictEqual(messages(run), [
      '3: too many arguments for macro `m`',
      '4: macro `m` has no parameter `c`',
      '5: macro `m` needs a value for `b`',
    ]);
  });

  it('keeps the first of two definitions, as as does', () => {
    const run = runGasText('.macro m\n\t.byte 1\n.endm\n.macro M\n\t.byte 2\n.endm\n\tm\n');
    assert.deepStrictEqual(texts(assembledLines(run.lines)), ['.byte 1']);
    assert.match(messages(run)[0]!, /^3: macro `M` is already defined/);
  });

  it('never throws or hangs on garbage', () => {
    const pieces = ['.macro', '.endm', '.rept', '.endr', '.irp', '.irpc', '.if', '.else', '.elseif', '.endif', '.exitm', '.purgem',
      '.include', '.set', 'm', 'x', '\\', '\\@', '\\()', '"', "'", ',', ';', '=', '(', ')', '1', '99999999', '-', '/*', '*/', '#', ':', ' '];
    const random = seededRandom(12345);
    for (let round = 0; round < 200; round++) {
      const lines: string[] = [];
      for (let l = 0; l < 30; l++) {
        let line = '';
        for (let w = random(6); w >= 0; w--) line += pieces[random(pieces.length)]! + (random(2) ? ' ' : '');
        lines.push(line);
      }
      const run = runGas({ 'main.s': lines.join('\n'), m: '.include "m"\n' }, 'main.s', { limits: { depth: 8, repeat: 100, lines: 5000 } });
      assert.ok(run.lines.length <= 5000 + splitLines(lines.join('\n')).length * 2, `round ${round}`);
    }
  });
});
