// How the C front end reads headers: a header's `#define` body is kept as an offset and lexed
// when first used, and the names the pre-filter needs are read without token objects. Each must
// give what reading the line's tokens (`readDirective` + `parseDefine`, the host file's path) gives.
import * as assert from 'node:assert/strict';
import { CMacroCache, scanC } from '../../server/src/analysis/embedded/c';
import { CLexer } from '../../server/src/analysis/embedded/c/lexer';
import { nameHash } from '../../server/src/analysis/embedded/c/nameFilter';
import { pastesArgumentToName, readDirective, readHeaderDirective } from '../../server/src/analysis/embedded/c/directives';
import { parseDefine, readDefine } from '../../server/src/analysis/embedded/c/macros';
import { SourceFile, type CMacro } from '../../server/src/analysis/embedded/c/source';
import type { EmbeddedScan } from '../../server/src/analysis/embedded/types';
import type { SourceReader } from '../../server/src/analysis/project/source';
import { seededRandom } from '../helpers/seededRandom';

function memoryReader(files: Record<string, string>): SourceReader {
  return { read: (path) => (path in files ? { text: files[path]! } : { error: 'not found' }) };
}

function found(result: EmbeddedScan): string[] {
  return result.blocks.map((b) => b.lines.map((l) => l.text).join('/'));
}

/** The macro, where reading stopped, and the body's names as the host path reads them. */
function eagerly(text: string): { macro: CMacro | undefined; offset: number; names: string[]; pastesArgument: boolean } {
  const file = new SourceFile('/h.h', text, false);
  const lexer = new CLexer(text);
  lexer.quiet = true;
  const macro = parseDefine(readDirective(lexer, lexer.next()).tokens, file);
  const body = macro?.body ?? [];
  const names = body.filter((b) => b.kind === 'ident' && b.param < 0).map((b) => b.text);
  const pastesArgument = body.some((b, i) => b.paste && pastesArgumentToName(body, i));
  return { macro, offset: lexer.offset, names, pastesArgument };
}

function lazily(text: string): { macro: CMacro | undefined; offset: number; names: string[]; pastesArgument: boolean } {
  const file = new SourceFile('/h.h', text, false);
  const lexer = new CLexer(text);
  lexer.quiet = true;
  assert.equal(readHeaderDirective(lexer, 0).name, 'define');
  const names = { names: [] as string[], pastesArgument: false };
  const macro = readDefine(lexer, file, names);
  // The offset is taken before the body is asked for: lexing it must not move the header's reading.
  const offset = lexer.offset;
  return { macro, offset, names: [...names.names], pastesArgument: names.pastesArgument };
}

function sameAsEager(text: string): void {
  const want = eagerly(text);
  const got = lazily(text);
  const shown = JSON.stringify(text);
  assert.equal(got.offset, want.offset, `offset after ${shown}`);
  assert.equal(got.macro === undefined, want.macro === undefined, `malformed? ${shown}`);
  if (!want.macro || !got.macro) return;
  const head = (m: CMacro): unknown[] => [m.name, m.params, m.variadic, m.nameStart, m.nameEnd, m.builtin];
  assert.deepEqual(head(got.macro), head(want.macro), `head of ${shown}`);
  assert.deepEqual(got.names, want.names, `names of ${shown}`);
  assert.equal(got.pastesArgument, want.pastesArgument, `pastes of ${shown}`);
  const plain = (m: CMacro): unknown[] => m.body.map((b) => ({ ...b, file: b.file.path }));
  assert.deepEqual(plain(got.macro), plain(want.macro), `body of ${shown}`);
  for (const b of got.macro.body) assert.equal(b.file, got.macro.file);
}

describe('C front end: header #define bodies read when first used', () => {
  it('reads each define as its tokens would: splices, comments, parameters, pastes, malformed lines', () => {
    const cases = [
      '#define A\n#define B 2\n',
      '#define A /* none */ \n',
      '#define A 1 // tail \\\n still the comment\n#x\n',
      '#define STORE(x) /* c */ asm volatile( \\\n   /* mid\n spans */ "sgdt %0" \\\n   : "=m"(x)) // end\n#define AFTER 1\n',
      '#define F(a, b) a ## b b ## _t x ## y a ## ## b ##\n',
      '#define G(a...) #a __VA_ARGS__ a\n',
      '#define H(...) X ## __VA_ARGS__\n',
      '#define P (x) x ## y\n',
      '#define P(x)x##x\n',
      '#define P() asm("cli")\r\n#define Q 1\r\n',
      '#define P(x\n#define Q 1\n',
      '#define P(x,) 1\n',
      '#define P(x y) 1\n',
      '#define P(\\\nx, \\\n y) \\\n x ## y\n',
      '#define 1 2\n',
      '#define defined 1\n',
      '#define\n#define Q 1\n',
      '#define S "a \\\n b" \'c\' L"w" R"d(raw\n)d" n\n',
      '#define U "unterminated\n#define V 1\n',
      '#define T 1 /* never closed\n',
      '#define E a ## \\\n',
      '##define Z 1\n',
      '#  /**/ define\tW(a) a\n',
    ];
    for (const text of cases) sameAsEager(text);
  });

  it('reads random define lines as their tokens would', () => {
    const random = seededRandom(33);
    const parts = [' ', '\t', 'x', 'y', 'asm', 'n_1', '##', '#', '(', ')', ',', '...', '"s"', "'c'", '0x1f', '1e+5', '/* c */', '// l\n', '\\\n', '\n', '\r\n', '__VA_ARGS__', '.', '->', '@', '$a'];
    for (let i = 0; i < 3000; i++) {
      let text = random(3) === 0 ? '#define M(x, y' + (random(2) ? ', ...' : '') + ')' : '#define M' + (random(2) ? ' ' : '');
      const length = random(12);
      for (let k = 0; k < length; k++) text += parts[random(parts.length)];
      sameAsEager(`${text}\n#define AFTER 1\n`);
    }
  });

  it('expands a header macro whose body spans spliced lines and comments, and reads the define after it', () => {
    const header = [
      '#define STORE(x) /* the one */ asm volatile( \\',
      '    /* across',
      '       lines */ "sgdt %0" \\',
      '    : "=m"(x)) // done',
      '#define STORE2(x) STORE(x)',
      '#define WHICH 2',
    ].join('\n');
    const reader = memoryReader({ '/inc/s.h': header });
    const text = '#include <s.h>\nvoid f(void) { struct d g;\n#if WHICH == 2\n STORE2(g);\n#endif\n}\n';
    const result = scanC(text, { language: 'c', path: '/src/a.c', reader, includePaths: ['/inc'], macros: new CMacroCache() });
    assert.deepEqual(found(result), ['sgdt (%rax)']);
    assert.deepEqual(result.blocks[0]!.macroChain?.map((m) => m.name), ['STORE2', 'STORE']);
    assert.equal(result.blocks[0]!.related?.[0]?.range.start.line, 0);
  });

  it('keeps each definition of a redefined macro apart', () => {
    const reader = memoryReader({
      '/inc/first.h': '#define OP(x) asm volatile("sgdt %0" : "=m"(x))\n',
      '/inc/both.h': '#include <first.h>\n#undef OP\n#define OP(x) asm volatile("sidt %0" : "=m"(x))\n',
      '/inc/same.h': '#define OQ(x) asm volatile("sgdt %0" : "=m"(x))\n#define OQ(x) asm volatile("sldt %0" : "=m"(x))\n',
    });
    const macros = new CMacroCache();
    const scanOf = (include: string, use: string): string[] =>
      found(scanC(`#include <${include}>\nvoid f(void) { struct d g; ${use}(g); }\n`, { language: 'c', path: `/src/${include}.c`, reader, includePaths: ['/inc'], macros }));
    assert.deepEqual(scanOf('both.h', 'OP'), ['sidt (%rax)']);
    assert.deepEqual(scanOf('first.h', 'OP'), ['sgdt (%rax)']);
    assert.deepEqual(scanOf('same.h', 'OQ'), ['sldt (%rax)']);
  });

  it('finds asm through a header macro defined before the one it uses, each user of a name and each use counted', () => {
    const reader = memoryReader({
      '/inc/u.h': [
        '#define USER_ONE(x) INNER(x) + INNER(x)',
        '#define USER_TWO(x) (INNER(x))',
        '#define USER_THREE(x) INNER(x) INNER(x) USER_TWO(x)',
        '#define INNER(x) asm volatile("str %0" : "=r"(x))',
      ].join('\n'),
    });
    const macros = new CMacroCache();
    for (const user of ['USER_ONE', 'USER_TWO', 'USER_THREE']) {
      const text = `#include <u.h>\nvoid f(void) { unsigned long t; ${user}(t); }\n`;
      const result = scanC(text, { language: 'c', path: `/src/${user}.c`, reader, includePaths: ['/inc'], macros });
      assert.ok(result.blocks.length > 0 && found(result).every((b) => b === 'str %rax'), `${user}: ${JSON.stringify(found(result))}`);
    }
  });

  it('goes on past a header it cannot read', () => {
    const reader = memoryReader({
      '/inc/outer.h': '#include <missing.h>\n#include "gone.h"\n#define SAVE(x) asm volatile("str %0" : "=r"(x))\n',
    });
    const macros = new CMacroCache();
    const text = '#include <unreadable.h>\n#include <outer.h>\nvoid f(void) { unsigned long t; SAVE(t); }\n';
    for (const name of ['a', 'b']) {
      const result = scanC(text, { language: 'c', path: `/src/${name}.c`, reader, includePaths: ['/inc'], macros });
      assert.deepEqual(found(result), ['str %rax'], `scan ${name}`);
    }
  });
});

describe('C lexer: identifiers', () => {
  it('reads `$` and non-ASCII characters inside identifiers as GCC does', () => {
    // `gcc -E` of `#define a$b 1` / `#define café 2` / `a$b + café + a$b$` gives `1 + 2 + a$b$`: each is one identifier.
    const text = 'a$b + café + a$b$ + _x9 + 9z';
    const lexer = new CLexer(text);
    const tokens: string[] = [];
    for (let t = lexer.next(); t.kind !== 'eof'; t = lexer.next()) tokens.push(`${t.kind}:${t.text}`);
    assert.deepEqual(tokens, ['ident:a$b', 'punct:+', 'ident:café', 'punct:+', 'ident:a$b$', 'punct:+', 'ident:_x9', 'punct:+', 'number:9z']);
  });

  it('hashes each identifier as it reads it, as `nameHash` hashes its text, and no other token', () => {
    const random = seededRandom(35);
    const alphabet = ['a', 'Z', '_', '$', '0', '9', 'é', '\u{1F600}', 'x', 'Q'];
    const separators = [' ', '+', '\\\n', '/* c */', '"s"', "'c'", '\n#', '1.5e+3', 'L"w"', 'u8R"d(raw)d"'];
    for (let round = 0; round < 200; round++) {
      let text = '';
      for (let k = 0; k < 12; k++) {
        text += separators[random(separators.length)];
        const first = alphabet[random(4)]!;
        let name = first === '0' ? 'a' : first;
        for (let n = random(8); n > 0; n--) name += alphabet[random(alphabet.length)];
        text += name;
      }
      const lexer = new CLexer(text);
      for (let t = lexer.next(); t.kind !== 'eof'; t = lexer.next()) {
        assert.equal(t.hash, t.kind === 'ident' ? nameHash(t.text) : 0, `${t.kind} ${JSON.stringify(t.text)} in ${JSON.stringify(text)}`);
      }
    }
  });
});

describe('C front end: the names code looks up', () => {
  const callsFrom = (result: EmbeddedScan): string[] => result.intrinsics.map((c) => c.name);

  it('finds a header macro first read, and a name the file defines itself, after other scans of the build', () => {
    const reader = memoryReader({
      '/inc/early.h': '#define EARLY 1\n',
      '/inc/late.h': '#define LATE_STORE(x) asm volatile("sgdt %0" : "=m"(x))\n',
    });
    const macros = new CMacroCache();
    const scan = (path: string, text: string): EmbeddedScan => scanC(text, { language: 'c', path, reader, includePaths: ['/inc'], macros });
    const uses = 'void f(void) { struct d g; LATE_STORE(g); OWN_OP("sidt", g); unsigned long long t = __rdtsc(); }\n';
    // The build's first scans know neither name: each is no macro there.
    assert.deepEqual(found(scan('/src/a.c', `#include <early.h>\n${uses}`)), []);
    // Read later in the same build, the header's macro and the file's own are found where used.
    const own = '#define OWN_OP(op, x) asm volatile(op " %0" : "=m"(x))\n';
    const later = scan('/src/b.c', `#include <early.h>\n#include <late.h>\n${own}${uses}`);
    assert.deepEqual(found(later), ['sgdt (%rax)', 'sidt (%rax)']);
    assert.deepEqual(callsFrom(later), ['__rdtsc']);
    // A name another file defined is still no macro here.
    assert.deepEqual(found(scan('/src/c.c', `#include <early.h>\n${uses}`)), []);
  });

  it('finds macros named in bodies, in arguments and by pastes, each name looked up by its hash', () => {
    const reader = memoryReader({
      '/inc/ops.h': [
        '#define PICK(kind, x) STORE_ ## kind(x)',
        '#define STORE_GDT(x) asm volatile("sgdt %0" : "=m"(x))',
        '#define STORE_IDT(x) asm volatile("sidt %0" : "=m"(x))',
        '#define VIA_BODY(x) STORE_IDT(x)',
        '#define WRAP(stmt) do { stmt; } while (0)',
        '#define QUIET(x) (x)',
        '#define THEN(f, x) asm volatile("nop"); f(x)',
        '#define THEN_QUIET(x) asm volatile("nop"); QUIET(STORE_GDT(x))',
      ].join('\n'),
    });
    const text = [
      '#include <ops.h>',
      'void f(void) { struct d g;',
      '  PICK(GDT, g);',
      '  VIA_BODY(g);',
      '  WRAP(QUIET(STORE_GDT(g)));',
      '  THEN(STORE_IDT, g);',
      '  THEN_QUIET(g);',
      '}',
    ].join('\n');
    const result = scanC(text, { language: 'c', path: '/src/ops.c', reader, includePaths: ['/inc'], macros: new CMacroCache() });
    assert.deepEqual(found(result), ['sgdt (%rax)', 'sidt (%rax)', 'sgdt (%rax)', 'nop', 'sidt (%rax)', 'nop', 'sgdt (%rax)']);
  });
});
