// The oracle's own machinery, checked on sources whose answer is known by construction: the host
// compilers helper (compile, link, DWARF lines, iced decoding, call-site credit) and the host-text
// lexer that the column check relies on.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compileHost, type CompiledInstruction, type HostCompilation, type HostCompileOptions } from '../helpers/hostCompilers';
import { stringLiteralSpans } from './hostText';

function withSource(name: string, text: string, run: (file: string) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtlint-oracle-helper-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return run(file).finally(() => fs.rmSync(dir, { recursive: true, force: true }));
}

function codesAt(compilation: HostCompilation, file: string, line: number): string[] {
  return (compilation.byLine.get(file)?.get(line) ?? []).map((i) => i.codeName);
}

function compile(file: string, options: Omit<HostCompileOptions, 'source'>): Promise<HostCompilation> {
  return compileHost({ source: file, ...options });
}

/** 1-based line of the first line of `text` that contains `marker`. */
function lineOf(text: string, marker: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(marker));
  assert.ok(index >= 0, `marker ${marker} not found`);
  return index + 1;
}

const MULTI_LINE_C = [
  'unsigned long probe(void) {',
  '  unsigned long tr;',
  '  asm volatile("sgdt (%%esp)\\n\\t" /* statement */',
  '               "nop\\n\\t"',
  '               "str %0" : "=r"(tr) : : "memory");',
  '  return tr;',
  '}',
  'asm(".globl file_scope\\nfile_scope: rdtsc\\n ret");',
  '',
].join('\n');

describe('embedded: oracle machinery', function () {
  this.timeout(120_000);

  for (const compiler of ['gcc', 'clang'] as const) {
    for (const bits of [16, 32, 64] as const) {
      for (const optimize of [0, 2] as const) {
        it(`${compiler} -m${bits} -O${optimize}: a multi-line asm statement lands on its keyword line; file-scope asm on no line`, () =>
          withSource('multi.c', MULTI_LINE_C, async (file) => {
            const compilation = await compile(file, { compiler, bits, optimize });
            const line = lineOf(MULTI_LINE_C, 'asm volatile');
            const codes = codesAt(compilation, file, line);
            assert.ok(codes.some((c) => c.startsWith('Sgdt')), `sgdt at line ${line}: ${codes.join(' ')}`);
            assert.ok(codes.some((c) => c.startsWith('Str')), `str at line ${line}: ${codes.join(' ')}`);
            for (const other of [line + 1, line + 2]) assert.deepEqual(codesAt(compilation, file, other).filter((c) => c.startsWith('S')), [], `line ${other}`);
            const fileScope = compilation.unattributed.filter((i) => i.codeName === 'Rdtsc');
            assert.equal(fileScope.length, 1, 'the file-scope rdtsc is on no line');
            assert.equal(fileScope[0]!.functionName, undefined);
            const sgdt = compilation.instructions.find((i) => i.codeName.startsWith('Sgdt'))!;
            assert.equal(sgdt.rule, 'sgdt');
          }));
      }
    }
  }

  it('gcc -m32 -O0: a cpuid.h function kept out of line is credited to the line that calls it', () => {
    const text = ['#include <cpuid.h>', 'int probe(void) {', '  unsigned a, b, c, d;', '  return __get_cpuid(1, &a, &b, &c, &d);', '}', ''].join('\n');
    return withSource('calls.c', text, async (file) => {
      const compilation = await compile(file, { compiler: 'gcc', bits: 32, optimize: 0 });
      const credited = compilation.byLine.get(file)?.get(4) ?? [];
      const reached = credited.filter((i: CompiledInstruction) => i.via !== undefined);
      assert.ok(reached.some((i) => i.rule === 'cpuid' && i.via === '__get_cpuid'), credited.map((i) => i.codeName).join(' '));
      assert.ok(compilation.unattributed.some((i) => i.rule === 'cpuid' && i.functionName === '__get_cpuid'), 'the callee itself is on no user line');
    });
  });

  it('gcc -m64 -O2: an inlined intrinsic is credited to the caller through the inline chain', () => {
    const text = ['#include <x86intrin.h>', 'unsigned long long probe(void) {', '  return __rdtsc();', '}', ''].join('\n');
    return withSource('inline.c', text, async (file) => {
      const compilation = await compile(file, { compiler: 'gcc', bits: 64, optimize: 2 });
      const rdtsc = compilation.instructions.find((i) => i.codeName === 'Rdtsc');
      assert.ok(rdtsc, 'rdtsc emitted');
      assert.ok(rdtsc.chain.length >= 2 && path.basename(rdtsc.chain[0]!.file) === 'ia32intrin.h', rdtsc.chain.map((l) => `${l.file}:${l.line}`).join(' < '));
      assert.deepEqual(rdtsc.at, { file, line: 3 });
    });
  });

  for (const optimize of [0, 2] as const) {
    it(`Debian rustc x86_64 opt-level=${optimize}: asm! templates land on the macro's line`, () => {
      const text = ['use core::arch::asm;', '#[no_mangle]', 'pub unsafe fn probe() {', '    asm!("nop",', '         "cpuid", out("eax") _, out("ecx") _, out("edx") _);', '}', ''].join('\n');
      return withSource('probe.rs', text, async (file) => {
        const compilation = await compile(file, { compiler: 'rustc', bits: 64, optimize });
        assert.ok(codesAt(compilation, file, 4).includes('Cpuid'), codesAt(compilation, file, 4).join(' '));
      });
    });
  }

  it('Debian rustc i686 with #![no_core]: 32-bit code decoded at 32 bits', () => {
    const text = [
      '#![feature(no_core, lang_items, rustc_attrs, decl_macro)]',
      '#![no_core]',
      '#[lang = "sized"] pub trait Sized {}',
      '#[rustc_builtin_macro] pub macro asm("assembly template", $(operands,)* $(options($(option),*))?) {}',
      '#[no_mangle] pub unsafe fn probe() { asm!("pushfd", "popfd"); }',
      '',
    ].join('\n');
    return withSource('probe32.rs', text, async (file) => {
      const compilation = await compile(file, { compiler: 'rustc', bits: 32, optimize: 0, env: { RUSTC_BOOTSTRAP: '1' } });
      assert.deepEqual(codesAt(compilation, file, 5).filter((c) => c.startsWith('P')), ['Pushfd', 'Popfd']);
    });
  });

  it('a compile error is reported with the compiler output', async () => {
    await withSource('broken.c', 'int broken( {\n', async (file) => {
      await assert.rejects(compile(file, { compiler: 'gcc', bits: 64, optimize: 0 }), /broken\.c:1/);
    });
  });

  describe('host-text lexer', () => {
    const contents = (text: string, rust: boolean): string[] => stringLiteralSpans(text, rust).map((s) => text.slice(s.start, s.end));

    it('C: escapes, comments and character literals', () => {
      const text = 'asm("mov %%ds, %0\\n\\t\\"x\\"" /* "not" */ : "=r"(x)); // "no"\nchar q = \'"\'; char e = \'\\\'\'; asm("b");';
      assert.deepEqual(contents(text, false), ['mov %%ds, %0\\n\\t\\"x\\"', '=r', 'b']);
    });

    it('Rust: raw strings, lifetimes and multi-line strings', () => {
      const text = 'fn f<\'a>(x: &\'a u8) { asm!(r#"sgdt ["q"]"#, "nop\n  str ax", r"x"); let c = \'"\'; }';
      assert.deepEqual(contents(text, true), ['sgdt ["q"]', 'nop\n  str ax', 'x']);
    });

    it('unterminated input ends the literal at the end of the text', () => {
      assert.deepEqual(contents('asm("never closed', false), ['never closed']);
      assert.deepEqual(contents('/* never closed "x"', false), []);
    });
  });
});
