// gcc's preprocessor as the oracle for the C front end's macro expansion (c/expand.ts): each line
// of uses below is expanded by `expandTokens` and by `gcc -E -P`, and the two token sequences
// must be equal. Calls that do not fit their macro (gcc reports an error and drops them) must be
// left as they are written.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { expandTokens, type ExpandContext } from '../../server/src/analysis/embedded/c/expand';
import { CLexer } from '../../server/src/analysis/embedded/c/lexer';
import { MacroTable, parseDefine } from '../../server/src/analysis/embedded/c/macros';
import { SourceFile, fromToken, type CMacro, type XToken } from '../../server/src/analysis/embedded/c/source';

const DEFINES = [
  'ONE(a) [a]',
  'TWO(a, b) <a|b>',
  'NONE() ~',
  'VAR(f, ...) f(__VA_ARGS__)',
  'OBJ ONE',
  'CAT(a, b) a ## b',
  'STR(x) #x',
  'GNU(f, ...) f(0, ## __VA_ARGS__)',
  'SELF SELF + ONE(SELF)',
  'TWICE(x) x x ## _ STR(x)',
  'INNER(x) {x}',
  'OUTER(x) INNER(x) x ## NER',
  // The standard's example of rescanning (C17 6.10.3.5), renamed: hide sets joined through nested arguments.
  'Hx 2',
  'Hf(a) Hf(Hx * (a))',
  'Hg Hf',
  'Hz Hz[0]',
  'Hh Hg(~',
  'Hm(a) a(Hw)',
  'Hw 0,1',
  'Ht(a) a',
  'Hp(x) Hq(x)',
  'Hq(x) x',
];

/** Lines whose every call fits its macro. */
const FITTING = [
  'ONE(x) TWO(p, q) NONE()',
  'ONE((a, b)) TWO((a, b), [c]) ONE(())',
  'OBJ(y) OBJ (z) OBJ',
  'VAR(TWO, 1, 2) VAR(ONE, ) GNU(f) GNU(f, 1)',
  'CAT(ON, E)(w) STR( a  "b\\n"  c ) CAT(x, ) STR((1, 2))',
  'ONE(ONE(ONE(u))) TWO(ONE(v), ONE((w)))',
  'SELF ONE(SELF) TWICE(ONE) TWICE(SELF) TWICE(k)',
  'TWO(ONE(1), TWO(2, (3, 4))) VAR(VAR, TWO, 5, 6)',
  // An argument expanded for one use and pasted at another: the paste's name is free to expand.
  'OUTER(IN)(z) TWICE(ONE(k) z) ONE(ONE(q) ONE(q)) TWICE(ONE(SELF) SELF)',
  'Hf(y+1) + Hf(Hf(Hz)) % Ht(Ht(Hg)(0) + Ht)(1);',
  'Hg(Hx+(3,4)-Hw) | Hh 5) & Hm(Hf)^Hm(Hm);',
  'Ht(Ht(Ht(Hf(Hz)) Hz) SELF) Hf(Ht(Hf(SELF)))',
  // An argument's hide set is the tail of its invocation's: the name it spells stays hidden after.
  'Hp(Hq)(1) Hp(Hp)(2) Hq(Hp(Hq))(3)',
];

/** Lines with calls that do not fit (argument count, no closing parenthesis). */
const NOT_FITTING = ['TWO(1) tail', 'ONE(1, 2) tail', 'NONE(1) tail', 'TWO(ONE(a), b, c) ONE(z)', 'ONE(x, (y) TWO(p, q)'];

function lex(text: string, file: SourceFile): XToken[] {
  const lexer = new CLexer(text);
  const out: XToken[] = [];
  for (let t = lexer.next(); t.kind !== 'eof'; t = lexer.next()) out.push(fromToken(t, file, true));
  return out;
}

function table(): MacroTable {
  const macros = new MacroTable(new Map<string, CMacro>());
  const file = new SourceFile('/defines.h', DEFINES.join('\n'), false);
  for (const line of DEFINES) {
    const lexer = new CLexer(line);
    const tokens = [];
    for (let t = lexer.next(); t.kind !== 'eof'; t = lexer.next()) tokens.push(t);
    const macro = parseDefine(tokens, file);
    assert.ok(macro, line);
    macros.define(macro);
  }
  return macros;
}

function expanded(line: string): string {
  const macros = table();
  const ctx: ExpandContext = {
    lookup: (name) => macros.get(name), forCondition: false, definedness: () => 'unknown', depthLimit: 64, tokenBudget: 100_000, made: 0, stopped: undefined,
  };
  const out = expandTokens(lex(line, new SourceFile('/use.c', line, true)), ctx);
  assert.equal(ctx.stopped, undefined, line);
  return out.map((t) => t.text).join(' ');
}

/** The tokens of a text, spaced one apart (gcc's spacing is not compared). */
function tokensOf(text: string): string {
  return lex(text, new SourceFile('/gcc.out', text, false)).map((t) => t.text).join(' ');
}

function gccExpanded(lines: readonly string[]): string[] {
  const source = DEFINES.map((d) => `#define ${d}\n`).join('') + lines.join('\n') + '\n';
  const run = spawnSync('gcc', ['-E', '-P', '-x', 'c', '-'], { input: source, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const out = run.stdout.split('\n').filter((l) => l.trim() !== '');
  assert.equal(out.length, lines.length, run.stdout);
  return out.map(tokensOf);
}

describe('C front end: macro expansion against gcc -E', () => {
  it('expands every fitting call as gcc does', () => {
    const want = gccExpanded(FITTING);
    FITTING.forEach((line, k) => assert.equal(expanded(line), want[k], line));
  });

  it('leaves the name of a call that does not fit as written, and reads on after it as gcc reads that text', () => {
    const rests = NOT_FITTING.map((line) => line.slice(line.indexOf('(')));
    const want = gccExpanded(rests);
    NOT_FITTING.forEach((line, k) => assert.equal(expanded(line), `${line.slice(0, line.indexOf('('))} ${want[k]}`, line));
  });
});
