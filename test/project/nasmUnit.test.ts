// The NASM stage on what nasm cannot be asked about: conditions it cannot decide here, limits,
// broken input, and the shape of the lines handed to the walk (verbatim, definitions, defines).
import * as assert from 'node:assert/strict';
import { assembledLines, runNasmText, type StageRun } from '../helpers/memoryEnv';
import { seededRandom } from '../helpers/seededRandom';

const src = (...lines: string[]): string => lines.join('\n') + '\n';

function undecided(run: StageRun): string[] {
  return run.problems.filter((p) => p.kind === 'undecided').map((p) => `${p.at.line}: ${p.message}`);
}

function trimmed(run: StageRun): string[] {
  return assembledLines(run.lines).map((l) => l.text.trim());
}

describe('nasm stage: conditions it cannot decide', () => {
  it('%ifdef of a name defined nowhere reads both branches and names it', () => {
    const run = runNasmText(src('%ifdef DEBUG', '  pushf', '%else', '  popf', '%endif'));
    assert.deepEqual(trimmed(run), ['pushf', 'popf']);
    assert.equal(run.problems.length, 1);
    assert.match(run.problems[0]!.message, /DEBUG/);
    assert.equal(run.problems[0]!.at.line, 0);
  });

  it('a name from the build (env.defines) decides it', () => {
    const run = runNasmText(src('%ifdef DEBUG', '  pushf', '%else', '  popf', '%endif'), { defines: { DEBUG: '' } });
    assert.deepEqual(trimmed(run), ['pushf']);
    assert.deepEqual(run.problems, []);
  });

  it('an include guard is decided: the guard name is defined in the text', () => {
    const run = runNasmText(src('%ifndef GUARD', '%define GUARD', '  cpuid', '%endif', '%ifndef GUARD', '  rdtsc', '%endif'));
    assert.deepEqual(trimmed(run), ['cpuid']);
    assert.deepEqual(run.problems, []);
  });

  it('an unknown %if reads every branch not decided false, and stops after one decided true', () => {
    const run = runNasmText(src('%if __?BITS?__ == 16', '  a', '%elif 0', '  b', '%elif 1', '  c', '%else', '  d', '%endif'));
    assert.deepEqual(trimmed(run), ['a', 'c']);
    assert.deepEqual(undecided(run), ['0: condition depends on `__?BITS?__`, which is not known here']);
  });

  it('an %ifidn on a standard macro nasm fills in is undecided', () => {
    const run = runNasmText(src('%ifidn __OUTPUT_FORMAT__, elf64', '  a', '%else', '  b', '%endif'));
    assert.deepEqual(trimmed(run), ['a', 'b']);
    assert.equal(undecided(run).length, 1);
  });

  it('a false branch reads nothing, not even its nested conditions', () => {
    const run = runNasmText(src('%if 0', '%ifdef NOWHERE', '  a', '%endif', '  b', '%endif', '  c'));
    assert.deepEqual(trimmed(run), ['c']);
    assert.deepEqual(run.problems, []);
  });

  it('%assign from an unknown value is reported, and a later %if on it stays undecided', () => {
    const run = runNasmText(src('%assign n SOMESYM + 1', '%if n > 2', '  a', '%else', '  b', '%endif'));
    assert.deepEqual(trimmed(run), ['a', 'b']);
    assert.equal(undecided(run).length, 2);
  });
});

describe('nasm stage: limits and broken input', () => {
  it('a %rep past the repeat limit is reported and its body read once', () => {
    const run = runNasmText(src('%rep 1000000', '  nop', '%endrep', '  ret'), { limits: { repeat: 1000 } });
    assert.deepEqual(trimmed(run), ['nop', 'ret']);
    assert.match(undecided(run).join(), /past the limit of 1000/);
  });

  it('endless %rmacro recursion ends at the depth limit with a report', () => {
    const run = runNasmText(src('%rmacro forever 0', '  nop', '  forever', '%endmacro', '  forever', '  ret'), { limits: { depth: 10 } });
    assert.equal(trimmed(run).filter((t) => t === 'nop').length, 10);
    assert.equal(trimmed(run).at(-1), 'ret');
    assert.match(undecided(run).join(), /nested past the limit of 10/);
  });

  it('a plain %macro invoking itself is not expanded again (nasm only lets %rmacro)', () => {
    const run = runNasmText(src('%macro again 0', '  nop', '  again', '%endmacro', '  again'));
    assert.deepEqual(trimmed(run), ['nop', 'again']);
    assert.match(undecided(run).join(), /invokes itself/);
  });

  it('%define recursion ends (a macro is not expanded inside itself)', () => {
    const run = runNasmText(src('%define A B', '%define B A', '  mov eax, A'));
    assert.deepEqual(trimmed(run), ['mov eax, A']);
  });

  it('the lines limit stops the stage with one report', () => {
    const run = runNasmText(src('%rep 100', '  nop', '%endrep', '  ret'), { limits: { lines: 10 } });
    assert.equal(run.lines.length, 10);
    assert.equal(undecided(run).length, 1);
  });

  it('unterminated %macro, %rep and %if at the end of input are reported, never thrown', () => {
    for (const text of [src('%macro m 0', '  nop'), src('%rep 3', '  nop'), src('%if 1', '  nop'), src('%if 0', '%else')]) {
      const run = runNasmText(text);
      assert.equal(undecided(run).length, 1, text);
    }
  });

  it('a macro invoked with a count it does not take is reported and left as written', () => {
    const run = runNasmText(src('%macro two 2', '  mov %1, %2', '%endmacro', '  two eax'));
    assert.deepEqual(trimmed(run), ['two eax']);
    assert.match(undecided(run).join(), /not taking 1 parameter/);
  });

  it('stray %endif, %endmacro, %exitrep and unknown directives are reported', () => {
    const run = runNasmText(src('%endif', '%endmacro', '%exitrep', '%bogus 1', '  nop'));
    assert.deepEqual(trimmed(run), ['nop']);
    assert.equal(undecided(run).length, 4);
  });

  it('garbage ends without throwing, and every line points into the text', () => {
    const fragments = ['%macro', '%macro m 1-*', '%endmacro', '%rep', '%rep 3', '%endrep', '%if', '%if 1/0', '%elif', '%else', '%endif', '%define', '%define X(', '%define X(a) a X', '%assign', '%rotate', '%exitrep', '%exitmacro', '%include', '%include "nowhere"', '%push', '%pop', '%$x:', 'm 1,{2', 'm %{1:', 'X(X(X(1)))', '%%l:', 'nop ; \\', '\\', 'mov eax, 1', "db '", '%{', '%+', '%ifidn', '%ifmacro', '%substr S'];
    const random = seededRandom(12345);
    for (let round = 0; round < 200; round++) {
      const lines: string[] = [];
      for (let i = 0; i < 30; i++) lines.push(fragments[random(fragments.length)]!);
      const run = runNasmText(src(...lines), { limits: { lines: 10_000, depth: 16, repeat: 100 } });
      for (const line of run.lines) assert.ok(line.at.line >= 0 && line.at.line < lines.length, `line ${line.at.line} in round ${round}`);
    }
  });
});

describe('nasm stage: the lines handed on', () => {
  it('ordinary lines are passed as written, verbatim, with no macros', () => {
    const text = src('start:  mov eax, 1 ; keep me', '  db "a;b"', '');
    const run = runNasmText(text);
    assert.deepEqual(
      run.lines.map((l) => [l.text, l.verbatim, l.macros.length, l.at.line]),
      [
        ['start:  mov eax, 1 ; keep me', true, 0, 0],
        ['  db "a;b"', true, 0, 1],
        ['', true, 0, 2],
      ],
    );
  });

  it('a line a %define changed carries one define use with the name\'s columns', () => {
    const run = runNasmText(src('%define PORT 0x60', '  in al, PORT ; read'));
    assert.equal(run.lines.length, 1);
    const line = run.lines[0]!;
    assert.equal(line.text, '  in al, 0x60 ; read');
    assert.equal(line.verbatim, false);
    assert.deepEqual(line.macros.map((m) => [m.name, m.kind, m.definedAt?.line, m.invokedAt.line, m.columns?.start, m.columns?.end]), [['PORT', 'define', 0, 1, 9, 13]]);
    assert.deepEqual(run.definitions.map((d) => [d.name, d.kind, d.at.line]), [['PORT', 'define', 0]]);
  });

  it('a macro definition is passed on as definition lines, and defined once', () => {
    const run = runNasmText(src('%macro m 0', '  pushf', '%endmacro', '  m'));
    assert.deepEqual(
      run.lines.map((l) => [l.text, l.definition === true, l.at.line]),
      [
        ['%macro m 0', true, 0],
        ['  pushf', true, 1],
        ['%endmacro', true, 2],
        ['  pushf', false, 3],
      ],
    );
    assert.deepEqual(run.definitions.map((d) => [d.name, d.kind, d.at.line]), [['m', 'macro', 0]]);
  });

  it('a comment ending in a backslash swallows the next line; a code line ending in one joins it', () => {
    const run = runNasmText(src('  nop ; see \\', '  pushf', '  mov eax, \\', 'ebx', '  ret'));
    assert.deepEqual(trimmed(run), ['nop ; see   pushf', 'mov eax, ebx', 'ret']);
    assert.equal(run.lines[0]!.verbatim, false);
  });

  it('%include reaches the walk with its spec and line; a missing file is the walk\'s report', () => {
    const run = runNasmText(src('  nop', '%include "missing.inc"', '  ret'));
    assert.deepEqual(run.includes.map((i) => [i.spec, i.from.line]), [['missing.inc', 1]]);
    assert.deepEqual(trimmed(run), ['nop', 'ret']);
    assert.deepEqual(run.problems.map((p) => p.kind), ['include']);
  });

  it('%rep lines are read once per repetition at their own line', () => {
    const run = runNasmText(src('%rep 3', '  cpuid', '%endrep'));
    assert.deepEqual(run.lines.map((l) => [l.text, l.at.line, l.verbatim]), [
      ['  cpuid', 1, true],
      ['  cpuid', 1, true],
      ['  cpuid', 1, true],
    ]);
  });
});
