// Oracle: nasm's own preprocessor (`nasm -E`) on fixture projects that use every feature the
// NASM stage expands. The lines nasm would assemble must be the lines our stage hands on, in
// order; and a macro's lines must be attributed to the invocation, with the body line beside it.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { INITIAL_LEX_STATE, lexLine } from '../../server/src/analysis/syntax/lexer';
import type { ExpandedLine } from '../../server/src/analysis/project/source';
import { readFixtureDir, runNasm, runNasmText, splitLines, type StageRun } from '../helpers/memoryEnv';

const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'project', 'nasm');
const INCLUDE_DIR = 'inc/';

function nasmPreprocess(dir: string, allowErrors = true): string[] {
  const result = spawnSync('nasm', ['-E', `-I${INCLUDE_DIR}`, 'main.asm'], { cwd: dir, encoding: 'utf8' });
  if (!allowErrors) assert.doesNotMatch(result.stderr, /error/);
  if (result.error) throw new Error(`nasm could not be started (apt-get install -y nasm): ${result.error.message}`);
  assert.equal(result.status, 0, `nasm -E failed: ${result.stderr}`);
  return splitLines(result.stdout).filter((line) => !line.startsWith('%line'));
}

function withoutComment(text: string): string {
  const comment = lexLine(text, 'nasm', INITIAL_LEX_STATE).comments[0];
  return comment ? text.slice(0, comment.start) : text;
}

/**
 * Lines compared as nasm -E prints them: blank lines dropped, spaces collapsed (and dropped
 * around punctuation), macro-local label numbers renumbered in order of first use.
 */
function normalise(lines: readonly string[]): string[] {
  const ids = new Map<string, number>();
  const out: string[] = [];
  for (const line of lines) {
    const text = line
      .replace(/\s+/g, ' ')
      .trim()
      .replace(/ ?([,:[\]()+\-*]) ?/g, '$1')
      .replace(/\.\.@(\d+)\./g, (_, id: string) => {
        if (!ids.has(id)) ids.set(id, ids.size);
        return `..@${ids.get(id)}.`;
      });
    if (text !== '') out.push(text);
  }
  return out;
}

function assembled(run: StageRun): string[] {
  return run.lines.filter((l) => !l.definition).map((l) => withoutComment(l.text));
}

function runFixture(name: string): { run: StageRun; files: Record<string, string> } {
  const dir = path.join(FIXTURES, name);
  const files = readFixtureDir(dir, 'relative');
  return { run: runNasm(files, 'main.asm', { includePaths: [INCLUDE_DIR] }), files };
}

/** 0-based index of the one line of `file` that contains `needle`. */
function lineOf(files: Record<string, string>, file: string, needle: string): number {
  const lines = splitLines(files[file]!);
  const found = lines.flatMap((l, i) => (l.includes(needle) ? [i] : []));
  assert.equal(found.length, 1, `"${needle}" must occur once in ${file}`);
  return found[0]!;
}

function producedBy(run: StageRun, file: string, line: number): ExpandedLine[] {
  return run.lines.filter((l) => !l.definition && l.at.file.path === file && l.at.line === line);
}

describe('nasm stage: oracle nasm -E', () => {
  for (const fixture of ['macros', 'includes', 'conditions']) {
    it(`${fixture}: the lines nasm assembles, in order`, () => {
      const expected = normalise(nasmPreprocess(path.join(FIXTURES, fixture)));
      assert.ok(expected.length >= 12, 'the fixture produces enough lines for the comparison to mean something');
      const { run } = runFixture(fixture);
      assert.deepEqual(normalise(assembled(run)), expected);
    });
  }

  it('macros: an invocation\'s lines are at the invocation, each with its body line and the macro', () => {
    const { run, files } = runFixture('macros');
    const invocation = lineOf(files, 'main.asm', 'save eax, ebx');
    const lines = producedBy(run, 'main.asm', invocation);
    assert.deepEqual(
      lines.map((l) => withoutComment(l.text).trim()),
      ['push eax', 'push ebx'],
    );
    const definition = lineOf(files, 'main.asm', '%macro save 2');
    assert.deepEqual(
      lines.map((l) => l.body?.line),
      [lineOf(files, 'main.asm', 'push %1 ; first'), lineOf(files, 'main.asm', 'push %2')],
    );
    for (const line of lines) {
      assert.equal(line.verbatim, false);
      assert.equal(line.macros.length, 1);
      const use = line.macros[0]!;
      assert.equal(use.name, 'save');
      assert.equal(use.kind, 'macro');
      assert.equal(use.definedAt?.line, definition);
      assert.equal(use.invokedAt.line, invocation);
      const written = splitLines(files['main.asm']!)[invocation]!;
      assert.equal(written.slice(use.columns!.start, use.columns!.end), 'save');
    }
  });

  it('macros: a nested invocation appends its use, invoked at the outer body line', () => {
    const { run, files } = runFixture('macros');
    const invocation = lineOf(files, 'main.asm', 'twice ds');
    const pause = producedBy(run, 'main.asm', invocation).find((l) => l.text.includes('pause'))!;
    assert.deepEqual(
      pause.macros.map((m) => m.name),
      ['twice', 'spin'],
    );
    // `spin` is invoked on the body line just above `save %1, %1` in `twice`.
    assert.equal(pause.macros[1]!.invokedAt.line, lineOf(files, 'main.asm', 'save %1, %1') - 1);
    assert.equal(pause.at.line, invocation);
    assert.equal(pause.body?.line, lineOf(files, 'main.asm', '  pause'));
  });

  it('includes: lines keep their own file, macros from includes attribute to their bodies there', () => {
    const { run, files } = runFixture('includes');
    const smsw = run.lines.find((l) => l.text.includes('smsw'))!;
    assert.equal(smsw.at.file.path, 'inc/deep/c.inc');
    assert.equal(smsw.verbatim, true);
    assert.equal(smsw.at.file.includedAt?.file.path, 'inc/a.inc');
    const fromC = producedBy(run, 'main.asm', lineOf(files, 'main.asm', 'FROM_C'));
    assert.deepEqual(
      fromC.map((l) => [l.text.trim(), l.body?.file.path, l.macros.map((m) => m.name).join('>')]),
      [
        ['rdtsc', 'inc/deep/c.inc', 'FROM_C'],
        ['mov eax, 3', 'inc/a.inc', 'FROM_C>FROM_A'],
        ['int 0x80', 'inc/a.inc', 'FROM_C>FROM_A'],
      ],
    );
    const deep = run.lines.find((l) => l.text.includes('mov eax, 42'))!;
    assert.equal(deep.macros[0]?.kind, 'define');
    assert.equal(deep.macros[0]?.definedAt?.file.path, 'inc/deep/c.inc');
    assert.deepEqual(run.problems, []);
  });

  // Small sources, each on its own, for forms the fixtures do not reach.
  const CASES: Record<string, string[]> = {
    'a plain macro invoking itself is left as written': ['%macro again 0', '  nop', '  again', '%endmacro', '  again'],
    '%0 counts the defaults that were filled in, and a greedy tail': ['%macro d 1-3+ 7, 8', '  db %0, %1', '  db %3', '%endmacro', '  d 1', '  d 1, 2', '  d 1, 2, 3, 4, {5}'],
    'single-line macros overloaded by argument count, and case-insensitive ones': ['%define E 1', '%define F(a) a+2', '%define F(a,b) a*b', '%idefine g 9', '  db E, F(3), F(2, 5), G, g', '%ixdefine h F(G)', '%undef F', '  db h, F(1)'],
    '%unmacro removes one overload': ['%macro o 1', '  db 1', '%endmacro', '%macro o 2', '  db 2', '%endmacro', '%unmacro o 1', '  o x, y', '  o x'],
    'nested %rep with %assign and %exitrep inside a macro': ['%macro table 2', '%assign k %1', '%rep %2', '  dd k', '%assign k k * 2', '%if k > 40', '%exitrep', '%endif', '%endrep', '%endmacro', '  table 3, 10'],
    'arguments in braces, empty arguments, and %{} ranges': ['%macro r 3', '  db %{1:2}, %3', '  db %2', '%endmacro', '  r {1, 2}, , 3', '  r , , '],
  };
  for (const [name, lines] of Object.entries(CASES)) {
    it(name, () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtlint-nasm-'));
      try {
        const text = lines.join('\n') + '\n';
        fs.writeFileSync(path.join(dir, 'main.asm'), text);
        const expected = normalise(nasmPreprocess(dir, false));
        assert.ok(expected.length > 0);
        assert.deepEqual(normalise(assembled(runNasmText(text))), expected);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
