// The C/C++ front end on its own: which asm statements, MSVC blocks and intrinsic calls it finds,
// the text it hands the core after the compiler's substitutions, and source maps checked
// character by character against the host text.
import * as assert from 'node:assert/strict';
import { CMacroCache, scanC, type CScanOptions } from '../../server/src/analysis/embedded/c';
import { CLexer, type CToken } from '../../server/src/analysis/embedded/c/lexer';
import { AsmNames, pastedNameAffixes, readDirective } from '../../server/src/analysis/embedded/c/directives';
import { parseDefine } from '../../server/src/analysis/embedded/c/macros';
import { SourceFile, type CMacro } from '../../server/src/analysis/embedded/c/source';
import { analyzeEmbedded } from '../../server/src/analysis/embedded/analyze';
import { intrinsicNamed } from '../../server/src/analysis/embedded/intrinsics';
import type { AsmBlock, AsmLine, EmbeddedScan, HostBuild } from '../../server/src/analysis/embedded/types';
import type { SourceReader } from '../../server/src/analysis/project/source';
import type { Range } from '../../server/src/analysis/types';
import { seededRandom } from '../helpers/seededRandom';
import { TEMPLATE_FROM_PIECES } from '../helpers/templatePieces';

function offsetsOf(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\n') starts.push(i + 1);
    else if (text[i] === '\r') {
      if (text[i + 1] === '\n') i++;
      starts.push(i + 1);
    }
  }
  return starts;
}

function hostSlice(text: string, range: Range): string {
  const starts = offsetsOf(text);
  return text.slice(starts[range.start.line]! + range.start.character, starts[range.end.line]! + range.end.character);
}

/** Every exact segment reads the same in the host; every other one covers host text; sorted, inside the line. */
function checkMap(text: string, line: AsmLine): void {
  let last = 0;
  for (const segment of line.segments) {
    assert.ok(segment.textStart >= last && segment.textEnd <= line.text.length && segment.textStart < segment.textEnd, `segments of "${line.text}"`);
    last = segment.textEnd;
    const host = hostSlice(text, segment.host);
    if (segment.exact) assert.equal(host, line.text.slice(segment.textStart, segment.textEnd), `exact segment of "${line.text}"`);
    else assert.ok(host.length > 0, `inexact segment of "${line.text}" covers no host text`);
  }
}

function scan(text: string, options: Partial<CScanOptions> = {}): EmbeddedScan {
  const result = scanC(text, { language: 'c', ...options });
  for (const block of result.blocks) for (const line of block.lines) checkMap(text, line);
  return result;
}

function texts(block: AsmBlock | undefined): string[] {
  assert.ok(block, 'no block');
  return block.lines.map((line) => line.text);
}

function only(result: EmbeddedScan): AsmBlock {
  assert.equal(result.blocks.length, 1, `blocks: ${JSON.stringify(result.blocks.map((b) => texts(b)))}`);
  return result.blocks[0]!;
}

/** The host text the characters of `part` (a substring of the line) map to, segment by segment. */
function sourceOf(text: string, line: AsmLine, part: string): string {
  const at = line.text.indexOf(part);
  assert.ok(at >= 0, `"${part}" not in "${line.text}"`);
  const end = at + part.length;
  const covering = line.segments.filter((s) => s.textStart < end && s.textEnd > at);
  assert.ok(covering.length > 0, `"${part}" of "${line.text}" is not mapped`);
  return covering
    .map((s) => {
      const host = hostSlice(text, s.host);
      // An exact segment maps character to character: take only the characters of `part`.
      return s.exact ? host.slice(Math.max(at, s.textStart) - s.textStart, Math.min(end, s.textEnd) - s.textStart) : host;
    })
    .join('|');
}

function line(block: AsmBlock, index = 0): AsmLine {
  const l = block.lines[index];
  assert.ok(l, `no line ${index} in ${JSON.stringify(texts(block))}`);
  return l;
}

function memoryReader(files: Record<string, string>): SourceReader {
  return { read: (path) => (path in files ? { text: files[path]! } : { error: 'not found' }) };
}

describe('C front end: asm statement forms', () => {
  it('finds asm, __asm__ and __asm with their qualifiers', () => {
    const text = [
      'void f(void) {',
      '  asm("cli");',
      '  __asm__ __volatile__("sti");',
      '  __asm volatile inline("hlt");',
      '  asm goto("jmp %l0" : : : : out);',
      'out:;',
      '}',
    ].join('\n');
    const result = scan(text);
    assert.deepEqual(result.blocks.map((b) => [b.form, texts(b).join('/')]), [
      ['gnu-basic', 'cli'],
      ['gnu-basic', 'sti'],
      ['gnu-basic', 'hlt'],
      ['gnu-goto', 'jmp .Lout'],
    ]);
    const keyword = result.blocks[1]!.keywordRange;
    assert.equal(hostSlice(text, keyword), '__asm__');
    assert.equal(hostSlice(text, result.blocks[1]!.range), '__asm__ __volatile__("sti")');
  });

  it('reads file-scope asm as top-level, basic asm verbatim and extended asm with substitutions', () => {
    const text = 'asm(".globl f\\nf: movl %%eax, %%ebx");\nvoid g(void) { asm("movl %%eax, %%ebx" ::); }\n';
    const result = scan(text);
    assert.equal(result.blocks[0]!.form, 'gnu-toplevel');
    assert.deepEqual(texts(result.blocks[0]), ['.globl f', 'f: movl %%eax, %%ebx']);
    assert.equal(result.blocks[1]!.form, 'gnu-extended');
    assert.deepEqual(texts(result.blocks[1]), ['movl %eax, %ebx']);
  });

  it('joins adjacent literals, decodes escapes and cuts lines at \\n', () => {
    const text = 'void f(void) { unsigned long fl; asm volatile("# save\\n\\t" "pushf ; pop %0" : "=rm"(fl)); }';
    const block = only(scan(text));
    assert.deepEqual(texts(block), ['# save', '\tpushf ; pop %rax']);
    assert.equal(sourceOf(text, line(block, 1), 'pushf'), 'pushf');
    assert.equal(sourceOf(text, line(block, 1), '\t'), '\\t');
    assert.equal(sourceOf(text, line(block, 1), '%rax'), '%0');
  });

  it('decodes octal and hex escapes and quotes, mapping each to its spelling', () => {
    const text = 'void f(void) { asm("\\x73gdt (%%eax) # \\"x\\" \\101" ::); }';
    const block = only(scan(text));
    assert.deepEqual(texts(block), ['sgdt (%eax) # "x" A']);
    assert.equal(sourceOf(text, line(block), 's'), '\\x73');
    assert.equal(sourceOf(text, line(block), 'A'), '\\101');
    assert.equal(sourceOf(text, line(block), 'gdt'), 'gdt');
  });

  it('never takes strings, characters, comments or raw strings for code', () => {
    const text = [
      'const char *s = "asm(\\"sgdt %0\\")";',
      "char c = '\"'; // asm(\"sidt x\")",
      '/* asm("str %ax"); */',
      'const char *r = R"x(asm("sldt %ax"); )" )x";',
    ].join('\n');
    const result = scan(text, { language: 'cpp' });
    assert.equal(result.blocks.length, 0);
    assert.equal(result.problems.length, 0);
  });
});

describe('C front end: asm labels', () => {
  it('skips asm labels on declarations (register variables, symbol names), in code and in macros', () => {
    const text = [
      'extern int g(void) __asm__("g_impl");',
      'int counter asm("real_counter") = 0;',
      '#define ON_STACK(fn) void fn(void) { register void *tos asm("r11"); asm volatile("pushf"); }',
      'ON_STACK(h)',
      'void f(int x) {',
      '  register unsigned long r12 asm("r12") = 0;',
      '  if (x) asm("cli"); else asm("sti");',
      '  do asm("hlt"); while (0);',
      '}',
      'asm(".globl top");',
    ].join('\n');
    const result = scan(text);
    assert.deepEqual(result.blocks.map((b) => [b.range.start.line, b.form, texts(b).join('/')]), [
      [2, 'gnu-basic', 'pushf'],
      [6, 'gnu-basic', 'cli'],
      [6, 'gnu-basic', 'sti'],
      [7, 'gnu-basic', 'hlt'],
      [9, 'gnu-toplevel', '.globl top'],
    ]);
  });
});

describe('C front end: syntax switches inside a template', () => {
  it('reads lines after .intel_syntax as Intel and after .att_syntax as AT&T again (through analyzeEmbedded)', () => {
    const text = [
      'void f(unsigned long *p) {',
      '  asm volatile(".intel_syntax noprefix\\n\\t"',
      '               "sgdt [%0]\\n\\t"',
      '               "mov ax, ds\\n\\t"',
      '               ".att_syntax prefix\\n\\t"',
      '               "sidt (%0)\\n\\t"',
      '               "popq %%rax" : : "r"(p) : "rax");',
      '}',
    ].join('\n');
    const result = analyzeEmbedded(text, { language: 'c', rules: ['all'] });
    const lines = text.split('\n');
    const found = result.findings.map((f) => [f.ruleId, f.range.start.line, lines[f.range.start.line]!.slice(f.range.start.character, f.range.start.character + 4)]);
    assert.deepEqual(found, [
      ['sgdt', 2, 'sgdt'],
      ['mov-sreg', 3, 'mov '],
      ['sidt', 5, 'sidt'],
    ]);
  });
});

describe('C front end: operands', () => {
  const one = (body: string, build?: HostBuild): AsmBlock => only(scan(`void f(void) { ${body} }`, { build }));

  it('substitutes %%, %=, numbered and named operands', () => {
    assert.deepEqual(texts(one('unsigned long x; asm("mov %%cs, %[out] # %=" : [out] "=r"(x));')), ['mov %cs, %rax # 0']);
  });

  it('applies the width modifiers to a named register', () => {
    assert.deepEqual(texts(one('asm("# %k0 %w0 %b0 %h0 %q0" :: "a"(v));')), ['# %eax %ax %al %ah %rax']);
    assert.deepEqual(texts(one('asm("# %0 %1 %2 %3" :: "b"(v), "c"(v), "S"(v), "D"(v));')), ['# %rbx %rcx %rsi %rdi']);
  });

  it('prints immediates with $ unless %c or %P, in decimal, and $0 for expressions', () => {
    assert.deepEqual(texts(one('asm("int %0; int $%c0; push %P0" :: "i"(0x80));')), ['int $128; int $128; push 128']);
    assert.deepEqual(texts(one('asm("int %0" :: "i"(VECTOR));')), ['int $0']);
    assert.deepEqual(texts(one('asm("outb %%al, %1" :: "a"(v), "Nd"(0x70));')), ['outb %al, $112']);
    assert.deepEqual(texts(one('asm("outb %%al, %w1" :: "a"(v), "Nd"(port));')), ['outb %al, %dx']);
  });

  it('prints memory operands as an address in a register of the mode', () => {
    assert.deepEqual(texts(one('asm("sgdt %0" : "=m"(*p));')), ['sgdt (%rax)']);
    assert.deepEqual(texts(one('asm("sgdt %0" : "=m"(*p));', { bits: 32 })), ['sgdt (%eax)']);
    assert.deepEqual(texts(one('asm("sgdt %0" : "=m"(*p));', { bits: 16 })), ['sgdt (%eax)']);
    assert.deepEqual(texts(one('asm("sgdt %0" : "=m"(*p));', { asmSyntax: 'intel' })), ['sgdt [rax]']);
  });

  it('takes the register width from the modifier, the C type, the mnemonic suffix, else the word', () => {
    assert.deepEqual(texts(one('asm("popl %0" : "=r"(x));')), ['popl %eax']);
    assert.deepEqual(texts(one('asm("movw %%ds,%0" : "=r"(x));')), ['movw %ds,%ax']);
    assert.deepEqual(texts(one('unsigned long x; asm("movw %%ds,%0" : "=r"(x));')), ['movw %ds,%rax']);
    assert.deepEqual(texts(one('unsigned short sel; asm("str %0" : "=r"(sel));')), ['str %ax']);
    assert.deepEqual(texts(one('u8 b; asm("inb %%dx, %0" : "=a"(b));')), ['inb %dx, %al']);
    assert.deepEqual(texts(one('asm("str %0" : "=r"(x));')), ['str %rax']);
    assert.deepEqual(texts(one('asm("str %0" : "=r"(x));', { bits: 32 })), ['str %eax']);
  });

  it('resolves matching constraints and the + modifier', () => {
    assert.deepEqual(texts(one('asm("xchg %0, %1" : "+r"(a), "=m"(*p) : "0"(a));')), ['xchg %rax, (%rax)']);
  });

  it('takes the side of {att|intel} for the syntax in force', () => {
    const body = 'asm("{pushfl|pushfd}\\n\\t{popl %0|pop %0}" : "=r"(x));';
    assert.deepEqual(texts(one(body)), ['pushfl', '\tpopl %eax']);
    const intel = one(body, { asmSyntax: 'intel' });
    assert.equal(intel.syntax, 'intel');
    assert.deepEqual(texts(intel), ['pushfd', '\tpop rax']);
  });

  it('maps a substituted operand to the operand reference in the host', () => {
    const text = 'void f(void) { asm("lsl %[sel], %k[lim]" : [lim] "=r"(l) : [sel] "rm"(s)); }';
    const block = only(scan(text));
    assert.equal(sourceOf(text, line(block), '%eax'), '%k[lim]');
    assert.equal(sourceOf(text, line(block), 'lsl'), 'lsl');
  });
});

describe('C front end: findings in templates made of several pieces', () => {
  const text = TEMPLATE_FROM_PIECES;

  it('puts each finding on the spellings its instruction was made of: literals, #x, __stringify and %0/%k0', () => {
    const block = only(scan(text));
    assert.deepEqual(texts(block), ['pushf', '\tpop %rax', '\tsgdt (%rax)', '\tmovl %cs, %eax', '\tlsl %eax, %eax']);
    const result = analyzeEmbedded(text, { language: 'c' });
    const found = result.findings.map((f) => [f.ruleId, hostSlice(text, f.range), hostSlice(text, f.mnemonicRange)]);
    assert.deepEqual(found, [
      ['pushf', 'push" "f', 'push" "f'],
      ['sgdt', 'sgdt) " %1', 'sgdt'],
      ['mov-sreg', 'mov" __stringify(l %%cs, %k0', 'mov" __stringify(l'],
      ['lsl', 'lsl %k0, %k0', 'lsl'],
    ]);
    const operands = result.instructions.map((ins) => ins.operands.map((o) => hostSlice(text, o.range)).join(' '));
    assert.deepEqual(operands, ['', '%0', '%1', '%%cs %k0', '%k0 %k0']);
  });
});

describe('C front end: macros', () => {
  const segmentH = [
    '#ifndef _ASM_SEGMENT_H',
    '#define _ASM_SEGMENT_H',
    '#define savesegment(seg, value) \\',
    '\tasm("mov %%" #seg ",%0":"=r" (value) : : "memory")',
    '#define __stringify_1(x...) #x',
    '#define __stringify(x...) __stringify_1(x)',
    '#include "more.h"',
    '#endif',
  ].join('\n');
  const moreH = '#define KERNEL_CS 0x10\n#define native_store_gdt(dtr) asm volatile("sgdt %0":"=m" (*dtr))\n';

  it('expands a header macro whose arguments decide the template at each invocation', () => {
    const reader = memoryReader({ '/inc/asm/segment.h': segmentH, '/inc/asm/more.h': moreH });
    const text = '#include <asm/segment.h>\nvoid f(void) {\n  unsigned short sel;\n  savesegment(ds, sel);\n  savesegment(gs, sel);\n}\n';
    const result = scan(text, { path: '/src/a.c', reader, includePaths: ['/inc'] });
    assert.deepEqual(result.blocks.map((b) => texts(b).join('/')), ['mov %ds,%ax', 'mov %gs,%ax']);
    const block = result.blocks[0]!;
    assert.equal(hostSlice(text, block.range), 'savesegment(ds, sel)');
    assert.equal(hostSlice(text, block.keywordRange), 'savesegment');
    assert.equal(sourceOf(text, line(block), 'ds'), 'ds');
    assert.equal(block.macroChain?.[0]?.name, 'savesegment');
    assert.equal(block.macroChain?.[0]?.invokedAt.line, 3);
    assert.equal(block.macroChain?.[0]?.definedAt?.path, '/inc/asm/segment.h');
    assert.equal(block.related?.[0]?.path, '/inc/asm/segment.h');
    assert.equal(block.related?.[0]?.range.start.line, 3);
  });

  it('reports a header macro whose body alone decides the template at each invocation, and at its body in the header', () => {
    const reader = memoryReader({ '/inc/asm/segment.h': segmentH, '/inc/asm/more.h': moreH });
    const text = '#include <asm/segment.h>\nvoid f(struct desc_ptr *d) { native_store_gdt(d); }\n';
    const host = only(scan(text, { path: '/src/a.c', reader, includePaths: ['/inc'] }));
    assert.deepEqual(texts(host), ['sgdt (%rax)']);
    assert.equal(hostSlice(text, host.range), 'native_store_gdt(d)');
    assert.equal(host.macroChain?.[0]?.name, 'native_store_gdt');
    assert.equal(host.related?.[0]?.path, '/inc/asm/more.h');
    const header = scan(moreH, { path: '/inc/asm/more.h' });
    assert.deepEqual(header.blocks.map((b) => texts(b).join('/')), ['sgdt (%rax)']);
    assert.equal(header.blocks[0]!.range.start.line, 1);
    assert.equal(header.blocks[0]!.macroChain, undefined);
  });

  it('reports a file\'s own definition at its body, and argument-dependent ones at the invocation only', () => {
    const text = [
      '#define store_tr(tr) asm volatile("str %0" : "=r"(tr))',
      '#define save(seg, v) asm("mov %%" #seg ",%0" : "=r"(v))',
      'void f(void) { unsigned long t; store_tr(t); save(es, t); }',
    ].join('\n');
    const result = scan(text);
    assert.deepEqual(result.blocks.map((b) => [b.range.start.line, texts(b).join('/')]), [[0, 'str %rax'], [2, 'mov %es,%rax']]);
    assert.equal(sourceOf(text, line(result.blocks[0]!), 'str'), 'str');
  });

  it('builds templates from __stringify and string macros', () => {
    const reader = memoryReader({ '/inc/asm/segment.h': segmentH, '/inc/asm/more.h': moreH });
    const text = '#include <asm/segment.h>\n#define _ASM_PUSHF " pushf" "q "\nvoid f(void) { asm volatile("ljmp $" __stringify(KERNEL_CS) ", $1f\\n1:" _ASM_PUSHF ::); }\n';
    const result = scan(text, { path: '/src/a.c', reader, includePaths: ['/inc'] });
    const block = only(result);
    assert.deepEqual(texts(block), ['ljmp $0x10, $1f', '1: pushfq ']);
    assert.equal(sourceOf(text, line(block, 1), 'pushfq'), '_ASM_PUSHF');
    // Each string of the template keeps its own map: the ones written here exactly, before and after a macro's.
    assert.equal(sourceOf(text, line(block, 0), 'ljmp $'), 'ljmp $');
    assert.equal(sourceOf(text, line(block, 0), '0x10'), '__stringify(KERNEL_CS)');
    assert.equal(sourceOf(text, line(block, 0), ', $1f'), ', $1f');
    assert.equal(sourceOf(text, line(block, 1), '1:'), '1:');
    assert.equal(block.macroChain, undefined);
  });

  it('follows macros that make the asm keyword (asm_inline, alternative-style wrappers)', () => {
    const text = [
      '#define asm_inline asm __inline',
      '#define wrap(insn, out) asm_inline volatile(insn : out)',
      'void f(void) { asm_inline volatile("sidt %0" : "=m"(*p)); wrap("sldt %0", "=r"(x)); }',
    ].join('\n');
    const result = scan(text);
    assert.deepEqual(result.blocks.map((b) => texts(b).join('/')), ['sidt (%rax)', 'sldt %rax']);
    assert.equal(result.blocks[0]!.macroChain?.[0]?.name, 'asm_inline');
    assert.equal(sourceOf(text, line(result.blocks[1]!), 'sldt'), 'sldt');
  });

  it('reports at the invocation when an argument chooses the macro by token pasting (loadsegment)', () => {
    const text = [
      '#define __loadsegment_simple(seg, value) do { unsigned short __val = (value); \\',
      '  asm volatile("1: movl %k0,%%" #seg "\\n" : "+r"(__val) : : "memory"); } while (0)',
      '#define __loadsegment_es(value) __loadsegment_simple(es, (value))',
      '#define loadsegment(seg, value) __loadsegment_ ## seg (value)',
      'void f(unsigned short v) { loadsegment(es, v); }',
    ].join('\n');
    const result = scan(text);
    const atInvocation = result.blocks.filter((b) => b.range.start.line === 4);
    assert.equal(atInvocation.length, 1);
    assert.deepEqual(texts(atInvocation[0]), ['1: movl %eax,%es']);
    assert.deepEqual(atInvocation[0]!.macroChain?.map((m) => m.name), ['loadsegment', '__loadsegment_es', '__loadsegment_simple']);
    assert.equal(hostSlice(text, atInvocation[0]!.range), 'loadsegment(es, v)');
    // The body of __loadsegment_es alone decides its template: it is also reported at that definition.
    assert.deepEqual(result.blocks.filter((b) => b.range.start.line === 2).map((b) => texts(b)), [['1: movl %eax,%es']]);
  });

  it('ends runaway macro recursion and include cycles', () => {
    const reader = memoryReader({ '/i/a.h': '#include "b.h"\n#define A(x) B(x)\n', '/i/b.h': '#include "a.h"\n#define B(x) A(x) asm("cli")\n' });
    const text = '#include "a.h"\n#define S(x) S(x) S(x)\nvoid f(void) { A(1); S(2); }\n';
    const result = scan(text, { path: '/i/m.c', reader });
    assert.ok(result.blocks.length <= 1);
  });

  it('reads each header once through a shared cache', () => {
    let reads = 0;
    const files: Record<string, string> = { '/inc/asm/segment.h': segmentH, '/inc/asm/more.h': moreH };
    const reader: SourceReader = { read: (path) => (reads++, path in files ? { text: files[path]! } : { error: 'no' }) };
    const macros = new CMacroCache();
    const text = '#include <asm/segment.h>\nvoid f(void) { savesegment(fs, x); }\n';
    for (let i = 0; i < 3; i++) assert.equal(scan(text, { path: `/src/${i}.c`, reader, includePaths: ['/inc'], macros }).blocks.length, 1);
    assert.equal(reads, 2);
  });
});

describe('C front end: shared header cache', () => {
  it('reads each header once when every file brings its own copy of the same defines', () => {
    let reads = 0;
    const files: Record<string, string> = { '/inc/seg.h': '#ifdef WANT\n#define save(seg, v) asm("mov %%" #seg ",%0" : "=r"(v))\n#endif\n' };
    const reader: SourceReader = { read: (path) => (reads++, path in files ? { text: files[path]! } : { error: 'no' }) };
    const macros = new CMacroCache();
    const text = '#include <seg.h>\nvoid f(void) { save(fs, x); }\n';
    for (let i = 0; i < 3; i++) {
      const build = { defines: new Map([['WANT', '1'], ['OTHER', '2']]), definesComplete: true };
      assert.equal(scan(text, { path: `/src/${i}.c`, reader, includePaths: ['/inc'], macros, build }).blocks.length, 1);
    }
    assert.equal(reads, 1);
    const without = scan(text, { path: '/src/3.c', reader, includePaths: ['/inc'], macros, build: { defines: new Map([['OTHER', '2']]), definesComplete: true } });
    assert.equal(without.blocks.length, 0);
  });

  it('sees only the header macros its own includes reach, whatever the scan before it reached', () => {
    const files: Record<string, string> = {
      '/inc/outer.h': '#include <inner.h>\n',
      '/inc/inner.h': '#define cli_now() asm volatile("cli")\n',
      '/inc/other.h': '#define cli_now() do { } while (0)\n',
    };
    const reader: SourceReader = { read: (path) => (path in files ? { text: files[path]! } : { error: 'no' }) };
    const macros = new CMacroCache();
    const use = 'void f(void) { cli_now(); }\n';
    const blocksOf = (text: string, name: string): number => scan(text, { path: `/src/${name}.c`, reader, includePaths: ['/inc'], macros }).blocks.length;
    assert.equal(blocksOf(`#include <outer.h>\n${use}`, 'a'), 1);
    assert.equal(blocksOf(use, 'b'), 0, 'no include: the last scan\'s headers are not this one\'s');
    assert.equal(blocksOf(`#include <other.h>\n${use}`, 'c'), 0, 'the later definition is not the one this scan reached');
    assert.equal(blocksOf(`#include <outer.h>\n${use}`, 'd'), 1, 'inner.h reached again, through outer.h');
  });
});

describe('C front end: pre-filter', () => {
  const files: Record<string, string> = {
    // W is read before INNER makes asm: the pre-filter's names must still learn that W does.
    '/inc/wrap.h': '#define W(x) INNER(x)\n#include "inner.h"\n',
    '/inc/inner.h': '#define INNER(x) __asm__ volatile("sgdt %0" : "=m"(x))\n#define PLAIN(x) ((x) + 1)\n',
  };

  it('finds asm made by a header macro in a file whose text says no asm, once the headers are known', () => {
    const macros = new CMacroCache();
    const reader = memoryReader(files);
    const text = '#include <wrap.h>\nvoid f(void) { struct d g; W(g); }\n';
    for (let i = 0; i < 2; i++) {
      const result = scan(text, { path: `/src/${i}.c`, reader, includePaths: ['/inc'], macros });
      assert.deepEqual(result.blocks.map((b) => [b.range.start.line, texts(b).join('/')]), [[1, 'sgdt (%rax)']]);
    }
  });

  it('still reads intrinsics, suppression comments and pasted names in files without asm', () => {
    const macros = new CMacroCache();
    const reader = memoryReader(files);
    scan('#include <wrap.h>\n', { path: '/src/first.c', reader, includePaths: ['/inc'], macros });
    const intrinsic = scan('#include <wrap.h>\nint f(void) { return __rdtsc() + PLAIN(1); }\n', { path: '/src/a.c', reader, includePaths: ['/inc'], macros });
    assert.deepEqual(intrinsic.intrinsics.map((c) => c.name), ['__rdtsc']);
    const comment = scan('#include <wrap.h>\n// virtlint-disable-next-line nosuchrule\nint x;\n', { path: '/src/b.c', reader, includePaths: ['/inc'], macros });
    assert.equal(comment.comments.length, 1);
    const pasted = scan('#include <wrap.h>\n#define CALL(n, x) IN ## n(x)\nvoid f(void) { struct d g; CALL(NER, g); }\n', { path: '/src/c.c', reader, includePaths: ['/inc'], macros });
    assert.deepEqual(pasted.blocks.map((b) => texts(b).join('/')), ['sgdt (%rax)']);
  });
});

describe('C front end: names made by pasting an argument', () => {
  const headers: Record<string, string> = {
    '/inc/tables.h': [
      '#define ABC(x) asm volatile("sgdt %0" : "=m"(x))',
      '#define gdt_store(x) asm volatile("sidt %0" : "=m"(x))',
      '#define HX(x) OWN(x)',
      '#define PLAIN_1(x) ((x) + 1)',
    ].join('\n'),
  };
  const scanWith = (text: string): EmbeddedScan => scan(text, { path: '/src/p.c', reader: memoryReader(headers), includePaths: ['/inc'], macros: new CMacroCache() });
  const found = (result: EmbeddedScan): string[] => result.blocks.map((b) => texts(b).join('/'));

  it('knows the words written on both sides of the argument in a chain of pastes', () => {
    const macro = (text: string): CMacro['body'] => {
      const lexer = new CLexer(text);
      return parseDefine(readDirective(lexer, lexer.next()).tokens, new SourceFile('/m.h', text, false))!.body;
    };
    assert.deepEqual(pastedNameAffixes(macro('#define M(n) A ## B ## n'), 3), { prefix: 'AB', suffix: '' });
    assert.deepEqual(pastedNameAffixes(macro('#define M(n) n ## _st ## ore'), 1), { prefix: '', suffix: '_store' });
    assert.deepEqual(pastedNameAffixes(macro('#define M(n) x ## n ## 1'), 1), { prefix: 'x', suffix: '1' });
    assert.equal(pastedNameAffixes(macro('#define M(n, m) n ## m'), 1), undefined);
    assert.equal(pastedNameAffixes(macro('#define M(n) n ## ->'), 1), undefined);
  });

  it('lists the asm-making names with given affixes, including those marked after an earlier ask', () => {
    const names = new AsmNames();
    const uses = (name: string, ...used: string[]): void => names.addUses(name, { names: used, pastesArgument: false });
    uses('__loadsegment_fs', 'asm');
    uses('gs_store', 'asm');
    uses('ab', 'asm');
    uses('__loadsegment_gs', 'LATER');
    assert.deepEqual(names.withAffixes('__loadsegment_', ''), ['__loadsegment_fs']);
    assert.deepEqual(names.withAffixes('', '_store'), ['gs_store']);
    assert.deepEqual(names.withAffixes('a', ''), ['ab']);
    assert.deepEqual(names.withAffixes('__lo', 'fs'), ['__loadsegment_fs']);
    uses('LATER', '__asm__');
    uses('ss_store', 'asm');
    assert.deepEqual(names.withAffixes('__loadsegment_', ''), ['__loadsegment_fs', '__loadsegment_gs']);
    assert.deepEqual(names.withAffixes('', '_store'), ['gs_store', 'ss_store']);
    assert.deepEqual(names.withAffixes('', ''), ['__loadsegment_fs', 'gs_store', 'ab', 'LATER', '__loadsegment_gs', 'ss_store']);
  });

  it('finds the header macro a pasted name can only be, from its first and last words', () => {
    const text = [
      '#include <tables.h>',
      '#define CAT(n, x) A ## B ## n(x)',
      '#define TBL(k, x) k ## _st ## ore(x)',
      '#define ONE(k, x) PLAIN_ ## k(x)',
      'void f(void) { struct d g; CAT(C, g); TBL(gdt, g); ONE(1, g); }',
    ].join('\n');
    assert.deepEqual(found(scanWith(text)), ['sgdt (%rax)', 'sidt (%rax)']);
  });

  it('takes a header macro to hold asm through one of the file\'s own macros', () => {
    const text = [
      '#include <tables.h>',
      '#define OWN(x) asm volatile("sldt %0" : "=m"(x))',
      '#define PICK(n, x) H ## n(x)',
      'void f(void) { struct d g; PICK(X, g); }',
    ].join('\n');
    assert.deepEqual(found(scanWith(text)), ['sldt (%rax)']);
  });
});

describe('C front end: preprocessor conditionals', () => {
  const text = [
    'void f(void) {',
    '#ifdef CONFIG_X86_32',
    '  asm("pushfl");',
    '#else',
    '  asm("pushfq");',
    '#endif',
    '#if 0',
    '  asm("sgdt x");',
    '#endif',
    '#ifdef __x86_64__',
    '  asm("sidt x");',
    '#else',
    '  asm("sldt x");',
    '#endif',
    '}',
  ].join('\n');

  it('reads undecided branches both ways with the bitness their condition names, and skips decided-false ones', () => {
    const result = scan(text);
    assert.deepEqual(result.blocks.map((b) => [texts(b)[0], b.undecidedBranch ?? false, b.bits]), [
      ['pushfl', true, 32],
      ['pushfq', true, 64],
      ['sidt x', false, undefined],
    ]);
  });

  it('decides with the build: its bitness and its defines', () => {
    const build: HostBuild = { bits: 32, defines: new Map([['CONFIG_X86_32', '']]), definesComplete: true };
    assert.deepEqual(scan(text, { build }).blocks.map((b) => [texts(b)[0], b.undecidedBranch ?? false]), [
      ['pushfl', false],
      ['sldt x', false],
    ]);
  });

  it('knows C++ from C', () => {
    const cxx = '#ifdef __cplusplus\nvoid f() { asm("cpuid"); }\n#endif\n';
    assert.equal(scan(cxx).blocks.length, 0);
    assert.equal(scan(cxx, { language: 'cpp' }).blocks.length, 1);
  });

  it('takes `#ifndef X` (or `#if !defined X`) right before `#define X` as an include guard, decided; not when code or another directive comes first', () => {
    const branches = (text: string): [string, boolean][] => scan(text).blocks.map((b) => [texts(b)[0]!, b.undecidedBranch ?? false]);
    // Guards: the `#define` right after (comments and blank lines between are skipped), in a header or in the host.
    assert.deepEqual(branches('#ifndef G1\n#define G1\nasm("cpuid");\n#endif\n'), [['cpuid', false]]);
    assert.deepEqual(branches('#if !defined(G2)\n  /* guard */\n\n  #  define G2 1\nasm("rdtsc");\n#endif\n'), [['rdtsc', false]]);
    // Not guards: code, another name, or another directive first; the name stays undecided.
    assert.deepEqual(branches('#ifndef G3\nasm("cpuid");\n#define G3\n#endif\n'), [['cpuid', true]]);
    assert.deepEqual(branches('#ifndef G4\n#define G5\nasm("cpuid");\n#endif\n'), [['cpuid', true]]);
    assert.deepEqual(branches('#ifndef G6\n#undef G6\n#define G6\nasm("cpuid");\n#endif\n'), [['cpuid', true]]);
  });

  it('marks #elif chains after an undecided branch as undecided', () => {
    const chain = '#if defined(CONFIG_A)\nasm("cpuid");\n#elif 1\nasm("rdtsc");\n#else\nasm("rdpmc");\n#endif\n';
    assert.deepEqual(scan(chain).blocks.map((b) => [texts(b)[0], b.undecidedBranch ?? false]), [
      ['cpuid', true],
      ['rdtsc', true],
    ]);
  });
});

describe('C front end: MSVC inline assembly', () => {
  it('reads __asm blocks across lines, with ; comments that are not C', () => {
    const text = [
      'void f(void) {',
      '  __asm {',
      "    mov ax, ds ; don't trap",
      '    sgdt gdtr  // C comment',
      '  }',
      '  _asm { str ax }',
      '}',
    ].join('\n');
    const result = scan(text);
    assert.deepEqual(result.blocks.map((b) => [b.form, b.syntax, texts(b).join('/')]), [
      ['msvc-block', 'masm', 'mov ax, ds/sgdt gdtr'],
      ['msvc-block', 'masm', 'str ax'],
    ]);
    assert.equal(hostSlice(text, line(result.blocks[0]!, 1).segments[0]!.host), 'sgdt gdtr');
    assert.equal(result.problems.length, 0);
    assert.ok(result.comments.some((c) => c.text === '// C comment' && c.line === 3));
  });

  it('reads several single-line __asm statements on one line', () => {
    const text = 'void f(void) {\n  __asm mov ax, es __asm sidt idtr ; comment\n  __asm push cs\n}\n';
    const result = scan(text);
    assert.deepEqual(result.blocks.map((b) => [b.form, texts(b).join('/')]), [
      ['msvc-line', 'mov ax, es'],
      ['msvc-line', 'sidt idtr'],
      ['msvc-line', 'push cs'],
    ]);
    assert.equal(hostSlice(text, result.blocks[1]!.keywordRange), '__asm');
  });

  it('reads an __asm block whose brace is on a following line, and a GNU __asm whose ( is', () => {
    const text = 'void f(void) {\n  __asm\n\n  {\n    pushfd\n    cpuid\n  }\n  __asm\n  ("cli");\n}\n';
    const result = scan(text);
    assert.deepEqual(result.blocks.map((b) => [b.form, texts(b).join('/')]), [
      ['msvc-block', 'pushfd/cpuid'],
      ['gnu-basic', 'cli'],
    ]);
    assert.equal(hostSlice(text, result.blocks[0]!.range), '__asm\n\n  {\n    pushfd\n    cpuid\n  }');
    assert.equal(result.problems.length, 0);
  });

  it('splits a block line at each __asm, reads _emit as a data byte, and takes a /* */ comment that ends a single line as a host comment', () => {
    const text = [
      'void f(void *p) {',
      '  __asm {',
      '    _emit 0x0f __asm _emit 0x0b __asm sgdt [eax]',
      '  }',
      '  __asm _emit 0x90 /* virtlint-disable-line sidt */ __asm sidt [eax]',
      '}',
    ].join('\n');
    const result = scan(text);
    assert.deepEqual(result.blocks.map((b) => [b.form, texts(b).join('/')]), [
      ['msvc-block', 'db    0x0f/db    0x0b/sgdt [eax]'],
      ['msvc-line', 'db    0x90'],
      ['msvc-line', 'sidt [eax]'],
    ]);
    for (const block of result.blocks) for (const asmLine of block.lines) checkMap(text, asmLine);
    assert.ok(result.comments.some((c) => c.line === 4 && c.text === '/* virtlint-disable-line sidt */'));
    const analysed = analyzeEmbedded(text, { language: 'c', rules: ['all'], build: { bits: 32 } });
    assert.deepEqual(analysed.findings.map((f) => [f.ruleId, hostSlice(text, f.range)]), [['sgdt', 'sgdt [eax]']], 'no unknown-mnemonic for _emit; sidt suppressed by the comment');
    assert.deepEqual(analysed.suppressed.map((f) => f.ruleId), ['sidt']);
  });

  it('tells GNU __asm (…) from MSVC __asm', () => {
    const result = scan('void f(void) { __asm ("cli"); __asm volatile ("sti"); __asm cli }');
    assert.deepEqual(result.blocks.map((b) => b.form), ['gnu-basic', 'gnu-basic', 'msvc-line']);
  });
});

describe('C front end: comments and problems', () => {
  it('cuts comments per line with their columns', () => {
    const text = 'int x; // virtlint-disable-next-line sgdt -- why\n/* one\n   two */ int y;\n';
    const result = scan(text);
    assert.deepEqual(result.comments.map((c) => [c.line, c.start, c.text]), [
      [0, 7, '// virtlint-disable-next-line sgdt -- why'],
      [1, 0, '/* one'],
      [2, 0, '   two */'],
    ]);
  });

  it('reports unterminated strings, comments and parentheses without throwing', () => {
    const cases = [
      '#ifdef X\nvoid f(void) { asm("cli"); }\n',
      'void f(void) { asm("sgdt %0 : "=m"(x)); }\n',
      'void f(void) { /* never closed\n asm("cli");',
      'void f(void) { asm volatile("cli" :: "r"(x);\n}\n',
    ];
    for (const text of cases) {
      const result = scan(text);
      assert.ok(result.problems.length > 0, `no problem for ${JSON.stringify(text)}`);
      for (const p of result.problems) assert.ok(p.message.length > 0);
    }
  });

  it('survives random bytes and truncated fixtures', () => {
    const next = seededRandom(1313);
    const random = (): number => next(1_000_000) / 1_000_000;
    const alphabet = 'asm__asm__volatile("%%0:=m{|}\\\'"\n\t #define if else endif include <> /* */ // R"x( )x" __asm { } ; , . 0x1';
    const fixture = [
      '#include "h.h"',
      '#define savesegment(seg, value) asm("mov %%" #seg ",%0":"=r" (value))',
      '#ifdef CONFIG_X86_32',
      'void f(void) { savesegment(ds, v); asm volatile("{pushfl|pushfd}\\n\\tpopl %0" : "=r"(x)); }',
      '#endif',
      'void g(void) { __asm { mov ax, ds } __asm sidt x asm goto("jmp %l[out]" :::: out); out:; }',
    ].join('\n');
    const reader = memoryReader({ '/h.h': fixture });
    for (let round = 0; round < 300; round++) {
      let text = '';
      const n = Math.floor(random() * 400);
      for (let i = 0; i < n; i++) {
        text += random() < 0.5 ? alphabet[Math.floor(random() * alphabet.length)] : String.fromCharCode(Math.floor(random() * 0x3000));
      }
      scan(text, { path: '/r.c', reader });
      scan(fixture.slice(0, Math.floor(random() * fixture.length)), { path: '/h.c', reader, language: random() < 0.5 ? 'c' : 'cpp' });
    }
  });
});

describe('C front end: intrinsic calls', () => {
  it('finds calls of intrinsics inside function bodies, not their declarations', () => {
    assert.ok(intrinsicNamed('__rdtsc', 'c'), 'the intrinsics table names __rdtsc');
    const text = [
      'unsigned long long __rdtsc(void);',
      'static unsigned long long t(void) { return __rdtsc() + __rdtsc(); }',
      'void g(void) { const char *s = "__rdtsc()"; unsigned long long x = (__rdtsc)(); }',
    ].join('\n');
    const result = scan(text);
    const calls = text.split('\n')[1]!;
    assert.deepEqual(result.intrinsics.map((c) => [c.name, c.range.start.line, c.range.start.character]), [
      ['__rdtsc', 1, calls.indexOf('__rdtsc')],
      ['__rdtsc', 1, calls.lastIndexOf('__rdtsc')],
    ]);
    assert.equal(hostSlice(text, result.intrinsics[0]!.range), '__rdtsc');
    assert.ok(result.intrinsics[0]!.instruction(64).toLowerCase().startsWith('rdtsc'));
  });

  it('marks intrinsic calls in undecided branches', () => {
    const result = scan('void f(void) {\n#ifdef CONFIG_X86_64\n  __rdtsc();\n#endif\n}\n');
    assert.equal(result.intrinsics.length, 1);
    assert.equal(result.intrinsics[0]!.undecidedBranch, true);
    assert.equal(result.intrinsics[0]!.bits, 64);
  });
});

describe('C front end: skipping what the preprocessor does not take', () => {
  // Texts where a careless skip would stop early or late: a `#` inside a literal, a raw string or a
  // comment; a directive line continued by a block comment or a splice; `##` first on a line.
  const tricky = [
    'int a; /* x\n# not a directive */ b "c # d" \'#\'\n  # define X 1\nrest',
    'R"x(\n#if 1\n)x" y\n#endif\n',
    'u8"s" L\'c\' q\n## pasted\n#\n',
    'a \\\n# b\n#include <x.h> /* two\nlines */ tail\nnext\n',
    '// line comment \\\n# continued\n#else\n',
    '"unterminated\n#elif 1\n',
    'x /* never closed\n#endif\n',
  ];

  /** Where the lexer goes and what it keeps, read token by token. */
  function byTokens(text: string, lineRest: boolean): { at: CToken; comments: unknown[]; problems: unknown[] } {
    const lexer = new CLexer(text, (offset) => ({ line: offset, column: 0 }));
    if (lineRest) lexer.next();
    if (lineRest) while (lexer.nextOnLine());
    else while (!(lexer.peek().kind === 'eof' || (lexer.peek().bol && lexer.peek().text === '#'))) lexer.next();
    return { at: lexer.peek(), comments: lexer.comments, problems: lexer.problems };
  }

  function bySkipping(text: string, lineRest: boolean): { at: CToken; comments: unknown[]; problems: unknown[] } {
    const lexer = new CLexer(text, (offset) => ({ line: offset, column: 0 }));
    if (lineRest) lexer.next();
    if (lineRest) lexer.skipRestOfLine();
    else lexer.skipToDirective();
    return { at: lexer.peek(), comments: lexer.comments, problems: lexer.problems };
  }

  it('skips to the same next directive, keeping the same comments and problems, as reading every token', () => {
    for (const text of tricky) {
      for (let from = 0; from < text.length; from++) {
        for (const lineRest of [false, true]) {
          const suffix = text.slice(from);
          assert.deepEqual(bySkipping(suffix, lineRest), byTokens(suffix, lineRest), `${lineRest ? 'rest of line' : 'to directive'} from ${from} of ${JSON.stringify(text)}`);
        }
      }
    }
  });

  it('keeps the comments of a branch not taken and finds the asm after it', () => {
    const text = '#if 0\nint x; /* virtlint-disable-next-line */ "#endif"\n#define A /* a\n b */ asm("cli")\n#endif\nvoid f(void) { asm("sti"); }\n';
    const result = scan(text);
    assert.deepEqual(result.blocks.map((b) => b.lines.map((l) => l.text.trim())), [['sti']]);
    assert.deepEqual(result.comments.map((c) => c.text), ['/* virtlint-disable-next-line */', '/* a', ' b */']);
  });
});
