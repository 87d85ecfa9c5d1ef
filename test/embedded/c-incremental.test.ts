// Reading an edited C file again from where the edit is (c/incremental.ts) must give exactly what
// a fresh analysis of the new text gives: every edit below is checked against one, field by field
// (findings, instructions, blocks with their source maps, intrinsics, problems).
import * as assert from 'node:assert/strict';
import { analyzeEmbedded, EmbeddedSession, type EmbeddedOptions, type EmbeddedResult } from '../../server/src/analysis/embedded/analyze';
import { CMacroCache, scanC } from '../../server/src/analysis/embedded/c';
import type { SourceReader } from '../../server/src/analysis/project/source';
import { PositionIndex } from '../../server/src/analysis/embedded/positions';
import { lineOffsets, lineStarts } from '../../server/src/analysis/text/lineBreaks';
import { asData, randomEdits, replaceOnce } from '../helpers/editedText';
import { seededRandom } from '../helpers/seededRandom';

const HEADERS: Record<string, string> = {
  '/inc/seg.h': '#define savesegment(seg, value) asm("mov %%" #seg ",%0" : "=r" (value) : : "memory")\n#define PLAIN(x) ((x) + 1)\n',
  '/inc/m.h': '#define I1(s, x) (void)(x)\n#define M(s, x) I1(s, x)\n',
};

const reader: SourceReader = { read: (path) => (path in HEADERS ? { text: HEADERS[path]! } : { error: 'not found' }) };

/** Analyses texts one after the other through one session, each checked against a fresh analysis. */
class Editor {
  readonly session = new EmbeddedSession();
  readonly macros = new CMacroCache();
  last: EmbeddedResult | undefined;

  constructor(private readonly extra: Partial<EmbeddedOptions> = {}) {}

  private options(): EmbeddedOptions {
    return { language: 'c', path: '/src/file.c', reader, includePaths: ['/inc'], macros: this.macros, rules: ['all'], ...this.extra };
  }

  analyze(text: string, what: string): EmbeddedResult {
    const incremental = analyzeEmbedded(text, { ...this.options(), session: this.session });
    const fresh = analyzeEmbedded(text, this.options());
    assert.deepEqual(asData(incremental), asData(fresh), `${what}: the incremental analysis differs from a fresh one`);
    this.last = incremental;
    return incremental;
  }
}

function rules(result: EmbeddedResult): string[] {
  return result.findings.map((f) => `${f.range.start.line}:${f.range.start.character} ${f.ruleId}`);
}

function functions(count: number, body: (k: number) => string): string {
  const out: string[] = ['#include <seg.h>', '#define SEL "sgdt"', ''];
  for (let k = 0; k < count; k++) {
    out.push(`static void f${k}(void *p)`, '{', '\tunsigned short sel;', body(k), '\t/* plain C */ sel = PLAIN(sel);', '}', '');
  }
  return out.join('\n');
}

const BASE = functions(12, (k) => (k % 3 === 0 ? '\tasm volatile(SEL " %0" : "=m" (*(char *)p));' : k % 3 === 1 ? '\tsavesegment(ds, sel);' : '\tasm volatile("sidt %0" : "=m" (*(char *)p)); (void)__rdtsc();'));

describe('C front end: reading an edited file again from the edit', () => {
  it('an edit inside a function changes that function only, and the later blocks are the same objects', () => {
    const editor = new Editor();
    const before = editor.analyze(BASE, 'open');
    assert.ok(rules(before).some((r) => r.endsWith(' sidt')));
    const edited = replaceOnce(BASE, 'sidt', 'sldt', 1);
    const after = editor.analyze(edited, 'sidt -> sldt in f5');
    assert.equal(after.findings.filter((f) => f.ruleId === 'sldt').length, 1);
    // Nothing moved after the edit: the blocks past it were not read again.
    assert.equal(after.blocks[after.blocks.length - 1], before.blocks[before.blocks.length - 1]);
    assert.notEqual(after.blocks[0], undefined);
  });

  it('a session given no macro cache uses its own, so an edit is still read from where it is', () => {
    const session = new EmbeddedSession();
    const options: EmbeddedOptions = { language: 'c', path: '/src/file.c', reader, includePaths: ['/inc'], rules: ['all'] };
    const before = analyzeEmbedded(BASE, { ...options, session });
    const edited = replaceOnce(BASE, 'sidt', 'sldt', 1);
    const after = analyzeEmbedded(edited, { ...options, session });
    assert.deepEqual(asData(after), asData(analyzeEmbedded(edited, options)));
    assert.equal(after.blocks[after.blocks.length - 1], before.blocks[before.blocks.length - 1], 'the blocks past the edit were read again');
  });

  it('an edit to a #define used later reaches every use', () => {
    const editor = new Editor();
    editor.analyze(BASE, 'open');
    const edited = replaceOnce(BASE, '#define SEL "sgdt"', '#define SEL "str"');
    const after = editor.analyze(edited, 'SEL: sgdt -> str');
    assert.equal(after.findings.filter((f) => f.ruleId === 'sgdt').length, 0);
    assert.equal(after.findings.filter((f) => f.ruleId === 'str').length, 4);
  });

  it('an edit that opens an unterminated comment, then closes it, then undoes both', () => {
    const base = BASE.split('/* plain C */').join('// plain C');
    const editor = new Editor();
    const open = editor.analyze(base, 'open');
    const at = base.indexOf('static void f4');
    const unterminated = `${base.slice(0, at)}/* ${base.slice(at)}`;
    const swallowed = editor.analyze(unterminated, 'unterminated comment before f4');
    assert.ok(swallowed.problems.some((p) => p.message === 'unterminated comment'));
    assert.ok(swallowed.blocks.length < open.blocks.length);
    const closeAt = unterminated.indexOf('static void f7');
    editor.analyze(`${unterminated.slice(0, closeAt)}*/ ${unterminated.slice(closeAt)}`, 'comment closed before f7');
    const undone = editor.analyze(base, 'undo');
    assert.deepEqual(asData(undone), asData(open));
  });

  it('lines added or removed before later blocks move their findings, source maps and comments', () => {
    const editor = new Editor();
    editor.analyze(BASE, 'open');
    const grown = replaceOnce(BASE, '\tunsigned short sel;', '\tunsigned short sel;\n\tint a;\n\n\tint b; // virtlint-disable-next-line sgdt -- test\n', 2);
    editor.analyze(grown, 'three lines added in f2');
    editor.analyze(replaceOnce(grown, '\tint a;\n\n', ''), 'two lines removed');
    editor.analyze(replaceOnce(BASE, '{\n\tunsigned', '{ unsigned', 6), 'a line joined');
  });

  it('a declaration whose type changes decides the width of a later register operand', () => {
    const text = ['unsigned short sel;', 'static void f(void)', '{', '\tasm("mov %%ds, %0" : "=r" (sel));', '}', ''].join('\n');
    const editor = new Editor();
    const narrow = editor.analyze(text, 'open');
    const wide = editor.analyze(replaceOnce(text, 'unsigned short sel;', 'unsigned long sel;'), 'short -> long');
    assert.notDeepEqual(JSON.stringify(narrow.instructions), JSON.stringify(wide.instructions));
  });

  it('a new asm statement early in the file renumbers %= in the later ones', () => {
    const body = (k: number): string => `\tasm volatile("1%=: pushf; jmp 1%=b" ::: "memory"); /* ${k} */`;
    const text = functions(5, body);
    const editor = new Editor();
    editor.analyze(text, 'open');
    editor.analyze(replaceOnce(text, '/* 0 */', '/* 0 */ asm("1%=: nop" ::: "memory");'), 'asm added in f0');
  });

  it('a header macro is asked whether it makes asm where a fresh scan would ask, before a later directive changes the answer', () => {
    // M's answer is kept from its first use: before the #undef it is no, after it yes.
    const text = [
      '#include <m.h>',
      'int z;',
      'void a(char *p) { M("sgdt", *p); }',
      '#undef I1',
      '#define I1(s, x) asm(s " %0" : "=m" (x))',
      'void c(char *p) { M("sidt", *p); }',
      '',
    ].join('\n');
    const editor = new Editor();
    const open = editor.analyze(text, 'open');
    const removed = editor.analyze(replaceOnce(text, '{ M("sgdt", *p); }', '{ }'), 'first use removed');
    assert.deepEqual([open.blocks.length, removed.blocks.length], [0, 1]);
    editor.analyze(text, 'first use back');
  });

  it('survives and agrees through random edits', () => {
    const random = seededRandom(13);
    const pieces = ['{', '}', ';', '/*', '*/', '"', "'", '\n', '\n#define SEL "str"\n', '\n#if 0\n', '\n#endif\n', 'asm("sgdt %0" : "=m"(x));', 'savesegment(es, sel);', '__rdtsc()', 'x', ' ', '\\\n', '//'];
    const editor = new Editor();
    editor.analyze(BASE, 'open');
    randomEdits(BASE, pieces, random, 150, (text, step) => editor.analyze(text, `random edit ${step}`));
  });

  it('starts afresh under another build, and for a file with an MSVC block', () => {
    const session = new EmbeddedSession();
    const macros = new CMacroCache();
    const options: EmbeddedOptions = { language: 'c', path: '/src/file.c', reader, includePaths: ['/inc'], macros, session };
    analyzeEmbedded(BASE, options);
    const bits32 = analyzeEmbedded(replaceOnce(BASE, 'sidt', 'sldt'), { ...options, build: { bits: 32 } });
    const fresh32 = analyzeEmbedded(replaceOnce(BASE, 'sidt', 'sldt'), { ...options, build: { bits: 32 }, session: undefined });
    assert.deepEqual(asData(bits32), asData(fresh32));
    const msvc = `${BASE}\nvoid m(void) { __asm { sgdt x } }\n`;
    const editor = new Editor();
    editor.analyze(msvc, 'open with an MSVC block');
    editor.analyze(replaceOnce(msvc, 'sidt', 'sldt'), 'edit before the MSVC block');
  });

  it('an edit at the very start of the file, one that turns a directive into code, and one that empties the file', () => {
    const editor = new Editor();
    editor.analyze(BASE, 'open');
    editor.analyze(`__rdtsc()${BASE}`, 'code glued before the first #include');
    editor.analyze(`\n\n${BASE}`, 'two lines before everything');
    editor.analyze('', 'emptied');
    editor.analyze(BASE, 'pasted back');
  });

  it('the line index of an edited text equals a fresh one', () => {
    const random = seededRandom(7);
    const pieces = ['\n', '\r', '\r\n', 'x', 'ab\ncd', '\n\r'];
    let text = 'a\r\nb\rc\nd';
    let index = new PositionIndex(text);
    for (let step = 0; step < 400; step++) {
      const start = random(text.length + 1);
      const removed = random(3) === 0 ? Math.min(text.length - start, 1 + random(4)) : 0;
      const inserted = random(4) === 0 ? '' : pieces[random(pieces.length)]!;
      const next = text.slice(0, start) + inserted + text.slice(start + removed);
      index = PositionIndex.afterEdit(index, next, start, start + removed, start + inserted.length);
      text = next;
      const fresh = new PositionIndex(text);
      for (let offset = 0; offset <= text.length; offset++) assert.deepEqual(index.position(offset), fresh.position(offset), `step ${step}, offset ${offset} of ${JSON.stringify(text)}`);
    }
  });

  it('lineStarts (a fresh index\'s lines) starts lines where lineOffsets does, with and without carriage returns', () => {
    const random = seededRandom(11);
    const pieces = ['\n', '\r', '\r\n', 'x', 'ab', '\n\r'];
    const texts = ['', '\r', '\n', 'a\r', 'a\n', 'a\r\n', '\r\r\n\n'];
    for (let k = 0; k < 300; k++) {
      let text = '';
      const parts = random(12);
      for (let p = 0; p < parts; p++) text += pieces[k % 2 === 0 ? random(pieces.length) : [0, 3, 4][random(3)]!]!;
      texts.push(text);
    }
    for (const text of texts) assert.deepEqual(lineStarts(text), lineOffsets(text).starts, JSON.stringify(text));
  });

  it('scanC keeps nothing when no state is given, and the record when one is', () => {
    const state = {};
    scanC(BASE, { language: 'c', incremental: state });
    assert.ok('record' in state);
    const empty = {};
    scanC('int x;\n', { language: 'c', incremental: empty });
    assert.ok(!('record' in empty));
  });
});

describe('C front end: the pre-filter pass', () => {
  const found = (text: string): number => scanC(text, { language: 'cpp' }).blocks.length;

  it('finds asm after literals and comments that hold quotes', () => {
    assert.equal(found(`char c = '"'; void f(void) { asm("cli"); }\n`), 1);
    assert.equal(found(`char *s = "\\" /*"; void f(void) { asm("cli"); }\n`), 1);
    assert.equal(found(`// a comment \\\nint x; asm("cli");\nvoid f(void) { asm("cli"); }\n`), 1);
    assert.equal(found(`int n = 1'000; void f(void) { asm("cli"); }\n`), 1);
    assert.equal(found(`const char *r = R"( " )"; void f(void) { asm("cli"); }\n`), 1);
    assert.equal(found(`#include <asm/desc.h>\nvoid f(void) { __asm__("cli"); }\n`), 1);
  });

  it('does not lex a file whose only "asm" is in include lines, strings and comments', () => {
    // An open #if is reported only when the file is lexed.
    const text = '#include <asm/desc.h>\n#if X\nconst char *s = "blowfish-asm"; /* inline asm */\n';
    assert.equal(scanC(text, { language: 'c' }).problems.length, 0);
    assert.equal(scanC(`${text}void f(void) { asm("cli"); }\n`, { language: 'c' }).problems.length, 1);
  });
});
