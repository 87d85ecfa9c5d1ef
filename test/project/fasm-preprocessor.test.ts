// The FASM preprocessor stage. Oracle: fasm itself assembles each fixture as written and as our
// stage rewrote it, and the two binaries must be byte-identical. Unit cases check where each
// output line is attributed and how bad input ends.
import * as assert from 'node:assert/strict';
import { assembledLines, runFasmPreprocessor, type ToolRunOptions } from '../helpers/memoryEnv';
import { compareFixture } from './fasmOracle';

function run(files: Record<string, string>, options: ToolRunOptions = {}) {
  return runFasmPreprocessor(files, '/p/main.asm', options);
}

describe('FASM preprocessor: fasm oracle (byte-identical binaries)', () => {
  for (const fixture of ['boot16', 'macros32', 'continued']) {
    it(`${fixture}: fasm assembles our output to the same bytes as the source`, () => {
      const result = compareFixture(fixture);
      assert.ok(result.original.length > 0, 'the fixture assembles to something');
      assert.deepEqual(result.run.problems, []);
      assert.ok(result.expanded.equals(result.original), `binaries differ\n--- expanded ---\n${result.expandedText}`);
    });
  }

  it('boot16: push es di passes through verbatim, the macro lines are attributed to their invocations', () => {
    const { run: { lines } } = compareFixture('boot16');
    const pushLine = lines.find((line) => line.text.includes('push es di'))!;
    assert.equal(pushLine.verbatim, true);
    assert.equal(pushLine.macros.length, 0);
    const pushf = lines.find((line) => line.text.trim() === 'pushf' && !line.definition)!;
    assert.equal(pushf.verbatim, false);
    assert.match(pushf.at.file.path, /main\.asm$/);
    assert.deepEqual(pushf.macros.map((use) => [use.name, use.kind]), [['save_flags', 'macro']]);
    assert.match(pushf.macros[0]!.definedAt!.file.path, /lib\/io\.inc$/);
    assert.equal(pushf.macros[0]!.definedAt!.file.includedAt!.file.path, pushf.at.file.path);
    assert.match(pushf.body!.file.path, /lib\/io\.inc$/);
  });
});

describe('FASM preprocessor: attribution', () => {
  it('an ordinary line is passed on as the same object; a definition is marked', () => {
    const { lines, definitions } = run({ '/p/main.asm': 'macro m a\n{\n  push a\n}\nnop\nm ax\n' });
    assert.deepEqual(lines.map((line) => [line.text, line.definition ?? false, line.verbatim]), [
      ['macro m a', true, true], ['{', true, true], ['  push a', true, true], ['}', true, true], ['nop', false, true], ['  push ax', false, false],
    ]);
    assert.deepEqual(definitions.map((d) => [d.name, d.kind, d.at.line]), [['m', 'macro', 0]]);
    const pushed = lines[5]!;
    assert.equal(pushed.at.line, 5);
    assert.equal(pushed.body!.line, 2);
    assert.deepEqual(pushed.macros[0]!.columns, { start: 0, end: 1 });
    assert.equal(pushed.macros[0]!.invokedAt.line, 5);
  });

  it('nested macros: at is the outermost invocation, uses run outermost first, the body is the inner line', () => {
    const { lines } = run({ '/p/main.asm': 'macro inner { pushf }\nmacro outer {\n inner\n}\nouter\n' });
    const out = assembledLines(lines);
    assert.equal(out.length, 1);
    assert.equal(out[0]!.text.trim(), 'pushf');
    assert.equal(out[0]!.at.line, 4);
    assert.deepEqual(out[0]!.macros.map((use) => [use.name, use.invokedAt.line, use.definedAt!.line]), [['outer', 4, 1], ['inner', 2, 0]]);
    assert.equal(out[0]!.body!.line, 0);
  });

  it('a rept block in the file reports its lines where they are written, verbatim when unchanged', () => {
    const { lines } = run({ '/p/main.asm': 'rept 2 i\n{\n  nop ; stays\n  db i\n}\n' });
    const out = assembledLines(lines);
    assert.deepEqual(out.map((line) => [line.text, line.at.line, line.verbatim]), [
      ['  nop ; stays', 2, true], ['  db 1', 3, false], ['  nop ; stays', 2, true], ['  db 2', 3, false],
    ]);
    assert.deepEqual(out[0]!.macros.map((use) => [use.name, use.kind, use.invokedAt.line]), [['rept', 'repeat', 0]]);
  });

  it('equ and fix replacements make a non-verbatim line with a define or fix use', () => {
    const { lines } = run({ '/p/main.asm': 'F equ pushf\nP fix popf\nF\nP\nnop\n' });
    const out = assembledLines(lines);
    assert.deepEqual(out.map((line) => [line.text, line.verbatim, line.macros.map((use) => `${use.kind}:${use.name}@${use.definedAt!.line}`).join()]), [
      ['pushf', false, 'define:F@0'], ['popf', false, 'fix:P@1'], ['nop', true, ''],
    ]);
  });

  it('a struc gets its label and dotted names', () => {
    const { lines } = run({ '/p/main.asm': 'struc pair a,b { .a db a\n .b db b }\nxy pair 1,2\n' });
    assert.deepEqual(assembledLines(lines).map((line) => [line.text.trim(), line.at.line, line.macros[0]!.kind]), [['xy:', 2, 'struc'], ['xy.a db 1', 2, 'struc'], ['xy.b db 2', 2, 'struc']]);
  });

  it('if/else/end if are the assembler\'s: passed through', () => {
    const { lines } = run({ '/p/main.asm': 'if 0\npushf\nelse\npopf\nend if\n' });
    assert.ok(lines.every((line) => line.verbatim && !line.definition));
    assert.equal(lines.length, 5);
  });
});

describe('FASM preprocessor: includes', () => {
  it('includes are processed recursively through env.include, relative to the includer', () => {
    const { lines, includes } = run({ '/p/main.asm': "include 'a/one.inc'\nuse_it", '/p/a/one.inc': "include 'two.inc'\nmacro use_it { cpuid }", '/p/a/two.inc': 'sgdt [0]' });
    assert.deepEqual(includes.map((inc) => [inc.spec, inc.from.file.path]), [['a/one.inc', '/p/main.asm'], ['two.inc', '/p/a/one.inc']]);
    const out = assembledLines(lines);
    assert.deepEqual(out.map((line) => [line.text.trim(), line.at.file.path]), [['sgdt [0]', '/p/a/two.inc'], ['cpuid', '/p/main.asm']]);
  });

  it('an environment variable in the path comes from the defines, and is undecided without them', () => {
    const files = { '/p/main.asm': "include '%INC%/x.inc'", '/p/lib/x.inc': 'pushf' };
    const known = run(files, { defines: { INC: 'lib' } });
    assert.deepEqual(assembledLines(known.lines).map((line) => line.text), ['pushf']);
    const unknown = run(files);
    assert.deepEqual(assembledLines(unknown.lines), []);
    assert.deepEqual(unknown.problems.map((p) => [p.kind, p.at.line]), [['undecided', 0]]);
    assert.match(unknown.problems[0]!.message, /INC/);
  });
});

describe('FASM preprocessor: bad input ends with a report', () => {
  it('an unterminated macro is reported at its header', () => {
    const { lines, problems } = run({ '/p/main.asm': 'nop\nmacro m {\n pushf\n' });
    assert.equal(lines.filter((line) => !line.definition).length, 1);
    assert.deepEqual(problems.map((p) => [p.kind, p.at.line]), [['undecided', 1]]);
  });

  it('a huge rept count is undecided and the body is skipped', () => {
    const { lines, problems } = run({ '/p/main.asm': 'rept 1000000000 { nop }\nhlt\n' }, { limits: { repeat: 1000 } });
    assert.deepEqual(assembledLines(lines).map((line) => line.text), ['hlt']);
    assert.equal(problems.length, 1);
  });

  it('a rept count the preprocessor cannot compute is undecided', () => {
    const { problems } = run({ '/p/main.asm': 'rept COUNT { nop }\n' });
    assert.equal(problems[0]?.kind, 'undecided');
  });

  it('a bitwise operation on a shift that leaves no whole number is undecided, not a throw', () => {
    for (const count of ['(1 shl -1) and 1', '(1 shl 2000) or 1']) {
      const { lines, problems } = run({ '/p/main.asm': `rept ${count} { nop }\nhlt\n` });
      assert.deepEqual(problems.map((p) => [p.kind, p.at.line]), [['undecided', 0]], count);
      assert.ok(lines.some((line) => line.text === 'hlt'), count);
    }
  });

  it('nesting past the depth limit stops with a report', () => {
    const { problems } = run({ '/p/main.asm': 'macro a { b }\nmacro b { c }\nmacro c { d }\nmacro d { nop }\na\n' }, { limits: { depth: 2 } });
    assert.equal(problems.length, 1);
    assert.match(problems[0]!.message, /nested/);
  });

  it('exponential growth stops at the line limit', () => {
    const { lines, problems } = run({ '/p/main.asm': 'rept 1000 { rept 1000 \\{ rept 1000 \\\\{ nop \\\\} \\} }\n' }, { limits: { lines: 5000 } });
    assert.ok(lines.length <= 5000);
    assert.equal(problems.length, 1);
  });

  it('garbage and stray braces never throw', () => {
    const garbage = ['macro', 'struc', 'rept', 'irp', 'irps x', 'match', '}', '{', 'include', "include 'x", 'define', 'restore', 'purge', 'a equ', 'x fix', '\\', '`', '#', 'rept 3 n:', 'irp x,<a,b', 'macro m [a', 'm'];
    const { problems } = run({ '/p/main.asm': garbage.join('\n') });
    assert.ok(problems.length > 0);
  });
});
