// The C front end's lists that code reads both while empty and once they hold objects are made
// with one map from the start (syntax/emptyList.ts): V8 gives `[]` a map for small integers, and
// optimized code that met only one of the two maps deoptimizes at the other. Asked of V8 itself
// (`%HaveSameMap`, in a child process run with natives syntax).
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const C = join(__dirname, '..', '..', 'server', 'src', 'analysis', 'embedded', 'c');

/** Each named expression's `%HaveSameMap` with a list holding an object, as V8 answers in a fresh process. */
function sameMapAsObjectList(setup: string, lists: Record<string, string>): Record<string, boolean> {
  const checks = Object.entries(lists).map(([name, expr]) => `${JSON.stringify(name)}: %HaveSameMap(${expr}, [{}])`);
  const script = `${setup}\nprocess.stdout.write(JSON.stringify({ ${checks.join(', ')} }));`;
  const run = spawnSync(process.execPath, ['--allow-natives-syntax', '-e', script], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as Record<string, boolean>;
}

describe('C lexer: punctuator texts compared by address', () => {
  it('gives every punctuator, pasted ones too, an internalized text (an identifier\'s cut text is not)', () => {
    const punctuators = '... <<= >>= ->* <=> ## -> ++ -- << >> <= >= == != && || *= /= %= += -= &= ^= |= :: .* ( ) { } [ ] ; , < > = ! ~ ? : + - * / % ^ & | # .';
    const setup = [
      `const { CLexer } = require(${JSON.stringify(join(C, 'lexer'))});`,
      `const { expandTokens } = require(${JSON.stringify(join(C, 'expand'))});`,
      `const { parseDefine } = require(${JSON.stringify(join(C, 'macros'))});`,
      `const { SourceFile, fromToken } = require(${JSON.stringify(join(C, 'source'))});`,
      `const lexed = (text) => { const l = new CLexer(text); const out = []; for (let t = l.next(); t.kind !== 'eof'; t = l.next()) out.push(t); return out; };`,
      `const tokens = lexed(${JSON.stringify(`x ${punctuators} name_here`)});`,
      `const puncts = tokens.filter((t) => t.kind === 'punct');`,
      `if (puncts.length !== ${punctuators.split(' ').length}) throw new Error('punctuators: ' + puncts.map((t) => t.text).join(' '));`,
      `const file = new SourceFile('/a.c', '', true);`,
      `const arrow = parseDefine(lexed('ARROW(a, b) a ## b'), new SourceFile('/d.h', '', false));`,
      `const ctx = { lookup: (n) => (n === 'ARROW' ? arrow : undefined), forCondition: false, definedness: () => 'unknown', depthLimit: 64, tokenBudget: 1000, made: 0, stopped: undefined };`,
      `const pasted = expandTokens(lexed('ARROW(-, >)').map((t) => fromToken(t, file, true)), ctx);`,
      `if (pasted.length !== 1 || pasted[0].text !== '->') throw new Error('paste: ' + pasted.map((t) => t.text).join(' '));`,
    ].join('\n');
    const script = `${setup}\nprocess.stdout.write(JSON.stringify({ punctuators: puncts.every((t) => %IsInternalizedString(t.text)), pasted: %IsInternalizedString(pasted[0].text), name: %IsInternalizedString(tokens[tokens.length - 1].text) }));`;
    const run = spawnSync(process.execPath, ['--allow-natives-syntax', '-e', script], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { punctuators: true, pasted: true, name: false });
  });
});

describe('C front end: empty lists made with the map of lists of objects', () => {
  it('an empty literal has another map (what the lists avoid), emptyList and the lists made with it do not', () => {
    const setup = [
      `const { emptyList } = require(${JSON.stringify(join(C, '..', '..', 'syntax', 'emptyList'))});`,
      `const { CLexer } = require(${JSON.stringify(join(C, 'lexer'))});`,
      `const { expandTokens } = require(${JSON.stringify(join(C, 'expand'))});`,
      `const { parseDefine } = require(${JSON.stringify(join(C, 'macros'))});`,
      `const { SourceFile, fromToken } = require(${JSON.stringify(join(C, 'source'))});`,
      `const file = new SourceFile('/a.c', 'EMPTY', true);`,
      `const defines = new SourceFile('/d.h', '', false);`,
      `const lexed = (text) => { const l = new CLexer(text); const out = []; for (let t = l.next(); t.kind !== 'eof'; t = l.next()) out.push(t); return out; };`,
      `const empty = parseDefine(lexed('EMPTY'), defines);`,
      `const ctx = { lookup: (n) => (n === 'EMPTY' ? empty : undefined), forCondition: false, definedness: () => 'unknown', depthLimit: 64, tokenBudget: 1000, made: 0, stopped: undefined };`,
      `const expanded = expandTokens(lexed('EMPTY').map((t) => fromToken(t, file, true)), ctx);`,
      `const lexer = new CLexer('int x;');`,
      `lexer.next();`,
    ].join('\n');
    const answers = sameMapAsObjectList(setup, {
      literal: '[]',
      emptyList: 'emptyList()',
      expansionToNothing: 'expanded',
      lexerComments: 'lexer.comments',
      lexerProblems: 'lexer.problems',
    });
    assert.deepEqual(answers, { literal: false, emptyList: true, expansionToNothing: true, lexerComments: true, lexerProblems: true });
  });

  it('a name the build defines and one only a header defines keep their definitions in lists of one map', () => {
    const setup = [
      `const { CMacroCache, Includes } = require(${JSON.stringify(join(C, 'directives'))});`,
      `const { builtinMacros } = require(${JSON.stringify(join(C, 'macros'))});`,
      `const build = { language: 'c', bits: 64, defines: new Map([['FROM_BUILD', '1']]), definesComplete: false };`,
      `const builtins = builtinMacros(build);`,
      `const reader = { read: (p) => (p === '/inc/h.h' ? { text: '#define FROM_HEADER 2\\n' } : { error: 'none' }) };`,
      `const includes = new Includes(reader, ['/inc'], new CMacroCache(), build, builtins, []);`,
      `includes.include({ spec: 'h.h', system: true }, '/src/a.c');`,
      `const definitions = includes.buildCache.definitions;`,
      `if (!includes.get('FROM_HEADER') || !includes.get('FROM_BUILD')) throw new Error('not defined');`,
    ].join('\n');
    const answers = sameMapAsObjectList(setup, {
      buildOnly: `definitions.get('FROM_BUILD').headers`,
      headerOnly: `definitions.get('FROM_HEADER').headers`,
    });
    assert.deepEqual(answers, { buildOnly: true, headerOnly: true });
  });
});
