// gcc as the oracle for the C front end's template substitution: each template is compiled with
// `gcc -S` (which prints, between #APP and #NO_APP, the assembler text it made from the template)
// and the front end's lines must have the same instructions with operands of the same kind
// (register of the same width, memory, immediate of the same value, symbol).
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanC } from '../../server/src/analysis/embedded/c';
import type { Bits } from '../../server/src/analysis/types';

/** One function per template; each declares the variables its operands name. */
const FUNCTIONS = [
  'void f_pushf(unsigned long *o) { unsigned long fl; asm volatile("pushf ; pop %0" : "=r"(fl)); *o = fl; }',
  'void f_savesegment(unsigned short *o) { unsigned short sel; asm volatile("mov %%ds,%0" : "=r"(sel)); *o = sel; }',
  'void f_movw(unsigned long *o) { unsigned long v; asm volatile("movw %%es,%0" : "=r"(v)); *o = v; }',
  'struct dt { unsigned short limit; unsigned long base; } __attribute__((packed));\nvoid f_sgdt(struct dt *o) { struct dt d; asm volatile("sgdt %0" : "=m"(d)); *o = d; }',
  'void f_sidt(struct dt *p) { asm volatile("sidt %0" : "=m"(*p)); }',
  'void f_str(unsigned short *o) { unsigned short tr; asm volatile("str %0" : "=r"(tr)); *o = tr; }',
  'void f_sldt(unsigned int *o) { unsigned int l; asm volatile("sldt %0" : "=r"(l)); *o = l; }',
  'void f_int(void) { asm volatile("int %0" :: "i"(0x80)); }',
  'void f_int_c(void) { asm volatile("int $%c0; push $%P0" :: "i"(3)); }',
  'void f_outb(unsigned char v) { asm volatile("outb %0, %1" :: "a"(v), "Nd"(0x70)); }',
  'void f_inb(unsigned short port, unsigned char *o) { unsigned char v; asm volatile("inb %w1, %b0" : "=a"(v) : "d"(port)); *o = v; }',
  'void f_modifiers(unsigned int x) { asm volatile("mov %k0, %%eax; mov %w0, %%ax; mov %b0, %%al; mov %h0, %%ah" :: "Q"(x) : "eax"); }',
  'void f_named(unsigned int *o) { unsigned int lim; unsigned int sel = 0x10; asm("lsl %[s], %[l]" : [l] "=r"(lim) : [s] "r"(sel)); *o = lim; }',
  'void f_lar(unsigned int sel, unsigned int *o) { unsigned int ar; asm volatile("lar %1, %0" : "=r"(ar) : "r"(sel)); *o = ar; }',
  'void f_verw(unsigned short sel) { asm volatile("verw %0" :: "m"(sel)); }',
  'void f_tied(unsigned int a, unsigned int *o) { unsigned int r; asm("xchg %0, %1" : "=r"(r) : "0"(a)); *o = r; }',
  'void f_dialects(unsigned short *o) { unsigned short s; asm volatile("{movw %%ss,%0|mov %0, ss}" : "=r"(s)); *o = s; }',
  'void f_suffix(unsigned short *o) { unsigned short s; asm volatile("mov%z0 %%fs,%0" : "=r"(s)); *o = s; }',
  'void f_goto(void) { asm goto("jmp %l0" :::: out); out: return; }',
  'void f_cpuid(unsigned int *o) { unsigned int a, b, c, d; asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0)); o[0] = a + b + c + d; }',
  // Macros redefined between two statements: each is read and expanded with the definition in force there.
  '#define VL_OP(x) "push %" #x "; pop %" #x\nvoid f_op_a(unsigned int v) { asm volatile(VL_OP(0) :: "r"(v)); }',
  '#undef VL_OP\n#define VL_OP(x) "sldt %" #x\nvoid f_op_b(unsigned int *o) { unsigned int l; asm volatile(VL_OP(0) : "=r"(l)); *o = l; }',
  '#define VL_INSN(op, x) asm volatile(op " %0" :: "r"(x))\nvoid f_insn_a(unsigned int v) { VL_INSN("push", v); }',
  '#undef VL_INSN\n#define VL_INSN(op, x) asm volatile(op " %0, %0" : "+r"(x))\nvoid f_insn_b(unsigned int v) { VL_INSN("lsl", v); }',
];

/** Templates only valid in 64-bit code. */
const FUNCTIONS_64 = ['void f_q(unsigned long x) { asm volatile("push %q0; pop %q0" :: "r"(x)); }'];

/** Dialect-neutral templates for -masm=intel (operands with no `%%` registers). */
const INTEL_FUNCTIONS = [
  'struct dt { unsigned short limit; unsigned long base; } __attribute__((packed));\nvoid f_sgdt(struct dt *p) { asm volatile("sgdt %0" : "=m"(*p)); }',
  'void f_str(unsigned short *o) { unsigned short tr; asm volatile("str %0" : "=r"(tr)); *o = tr; }',
  'void f_int(void) { asm volatile("int %0" :: "i"(0x80)); }',
  'void f_dialects(unsigned short *o) { unsigned short s; asm volatile("{movw %%ss,%0|mov %0, ss}" : "=r"(s)); *o = s; }',
  'void f_pushf(unsigned long *o) { unsigned long fl; asm volatile("pushf\\n\\tpop %0" : "=r"(fl)); *o = fl; }',
];

const REGISTER_WIDTH = new Map<string, number>();
for (const [width, names] of [
  [8, 'al bl cl dl ah bh ch dh sil dil spl bpl'],
  [16, 'ax bx cx dx si di sp bp'],
  [32, 'eax ebx ecx edx esi edi esp ebp'],
  [64, 'rax rbx rcx rdx rsi rdi rsp rbp'],
] as const) {
  for (const name of names.split(' ')) REGISTER_WIDTH.set(name, width);
}
for (let i = 8; i < 16; i++) {
  REGISTER_WIDTH.set(`r${i}b`, 8);
  REGISTER_WIDTH.set(`r${i}w`, 16);
  REGISTER_WIDTH.set(`r${i}d`, 32);
  REGISTER_WIDTH.set(`r${i}`, 64);
}
const SEGMENTS = new Set(['cs', 'ds', 'es', 'fs', 'gs', 'ss']);

function splitOperands(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of text) {
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    if (c === ',' && depth === 0) {
      out.push(current.trim());
      current = '';
    } else current += c;
  }
  if (current.trim()) out.push(current.trim());
  return out;
}

function operandShape(op: string, intel: boolean): string {
  const bare = op.replace(/^%/, '').toLowerCase();
  const width = REGISTER_WIDTH.get(bare);
  if (width) return `reg${width}`;
  if (SEGMENTS.has(bare)) return `seg:${bare}`;
  if (op.startsWith('$')) return `imm:${op.slice(1)}`;
  if (op.includes('(') || op.includes('[')) return 'mem';
  if (op.startsWith('*')) return `indirect-${operandShape(op.slice(1), intel)}`;
  if (/^-?\d+$/.test(op)) return intel ? `imm:${op}` : `abs:${op}`;
  return 'symbol';
}

/** Each instruction of an assembler text as mnemonic and operand shapes. */
function shapes(lines: readonly string[], intel: boolean): string[] {
  const out: string[] = [];
  for (const line of lines) {
    for (const raw of line.split(';')) {
      const insn = raw.replace(/#.*$/, '').replace(/^\s*(?:[\w.$]+:\s*)*/, '').trim();
      if (!insn) continue;
      const space = insn.search(/\s/);
      const mnemonic = space < 0 ? insn : insn.slice(0, space);
      const operands = space < 0 ? [] : splitOperands(insn.slice(space + 1));
      out.push([mnemonic.toLowerCase(), ...operands.map((o) => operandShape(o, intel))].join(' '));
    }
  }
  return out;
}

/** The assembler text gcc made from each asm statement, per function, in order. */
function gccTemplates(source: string, flags: readonly string[]): string[][] {
  const dir = mkdtempSync(join(tmpdir(), 'virtlint-c-gcc-'));
  try {
    const file = join(dir, 't.c');
    writeFileSync(file, source);
    const asm = execFileSync('gcc', ['-S', '-O2', '-fno-asynchronous-unwind-tables', ...flags, '-o', '-', file], { encoding: 'utf8' });
    const out: string[][] = [];
    let current: string[] | undefined;
    for (const line of asm.split('\n')) {
      if (line.startsWith('#APP')) current = [];
      else if (line.startsWith('#NO_APP')) {
        if (current) out.push(current);
        current = undefined;
      } else if (current && !/^# \d+ "/.test(line)) current.push(line);
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function compare(functions: readonly string[], bits: Bits, intel: boolean): void {
  const source = functions.join('\n');
  const flags = [`-m${bits}`];
  if (intel) flags.push('-masm=intel');
  const expected = gccTemplates(source, flags);
  const scan = scanC(source, { language: 'c', build: { bits, asmSyntax: intel ? 'intel' : 'att' } });
  assert.equal(scan.blocks.length, functions.length, 'one block per function');
  assert.equal(expected.length, functions.length, 'gcc printed one #APP group per function');
  for (let i = 0; i < functions.length; i++) {
    const ours = shapes(scan.blocks[i]!.lines.map((l) => l.text), intel);
    const gcc = shapes(expected[i]!, intel);
    assert.deepEqual(ours, gcc, `${functions[i]}\n  ours: ${JSON.stringify(scan.blocks[i]!.lines.map((l) => l.text))}\n  gcc:  ${JSON.stringify(expected[i])}`);
  }
}

describe('C front end: template substitution against gcc -S', () => {
  for (const bits of [64, 32, 16] as const) {
    it(`AT&T, -m${bits}`, () => compare(bits === 64 ? FUNCTIONS.concat(FUNCTIONS_64) : FUNCTIONS, bits, false));
  }
  for (const bits of [64, 32] as const) {
    it(`-masm=intel, -m${bits}`, () => compare(INTEL_FUNCTIONS, bits, true));
  }
});
