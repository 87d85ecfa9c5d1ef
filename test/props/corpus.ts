// Generators of assembly text for the property tests and the fuzzer: real-looking lines in
// every dialect (with and without sensitive instructions), plus hostile text.
import fc from 'fast-check';
import type { Dialect } from '../../server/src/analysis/types';

/** Lines that are valid-looking in each dialect. Sensitive ones first; neutral code after. */
export const SEED_LINES: Record<Dialect, readonly string[]> = {
  nasm: [
    'sgdt [rax]', '    sidt [rel idt_ptr]', 'sldt ax', 'smsw eax', 'str ax', 'pushfq', 'popfq', 'pushf', 'popf',
    'lar eax, ebx', 'lsl eax, ecx', 'verr ax', 'verw word [rbx]', 'push fs', 'pop gs', 'mov ax, ss', 'mov ds, ax',
    'call far [rax]', 'jmp far [rbx+8]', 'retf', 'int 0x80', 'int3', 'iretq', 'cpuid', 'rdtsc', 'rdtscp', 'rdpmc',
    'rdpid rax', 'xgetbv', 'label: pushfq ; save flags',
    'mov eax, ebx', 'add rax, 1', 'ret', 'nop', 'xor eax, eax', 'lea rsi, [rdi+8]', 'label:', '.local:', 'db 0x90, 0x90',
    'section .text', 'global start', '; just a comment', '', 'align 16', 'call helper', 'jmp .done', 'bits 16', 'bits 32', '[bits 64]',
  ],
  'gas-att': [
    'sgdt (%rax)', 'sidt idt_ptr(%rip)', 'sldt %ax', 'smsw %eax', 'str %ax', 'pushfq', 'popfq', 'pushfl', 'popfl',
    'lar %ebx, %eax', 'lsl %ecx, %eax', 'verr %ax', 'verw (%rbx)', 'push %fs', 'pop %gs', 'mov %ss, %ax', 'movw %ax, %ds',
    'lcall *(%rax)', 'ljmp *8(%rbx)', 'lret', 'int $0x80', 'int3', 'iretq', 'cpuid', 'rdtsc', 'rdtscp', 'rdpmc',
    'rdpid %rax', 'xgetbv', '1: pushfq # save flags',
    'movl %ebx, %eax', 'addq $1, %rax', 'ret', 'nop', 'xorl %eax, %eax', 'leaq 8(%rdi), %rsi', 'label:', '.text',
    '.globl start', '# comment', '', '.p2align 4', 'call helper', 'jmp 1b', '.code16', '.code32', '.code64',
  ],
  'gas-intel': [
    '.intel_syntax noprefix', 'sgdt [rax]', 'sidt [rip + idt_ptr]', 'sldt ax', 'smsw eax', 'pushfq', 'popfq', 'lar eax, ebx',
    'push fs', 'pop gs', 'mov ax, ss', 'mov ds, ax', 'call fword ptr [rax]', 'retf', 'int 0x80', 'iretq', 'cpuid', 'rdtsc',
    'mov eax, ebx', 'add rax, 1', 'ret', 'nop', 'lea rsi, [rdi + 8]', 'label:', '.text', '# comment', '',
  ],
  masm: [
    'sgdt fword ptr [eax]', 'sidt fword ptr [ebx]', 'sldt ax', 'smsw ax', 'str ax', 'pushfd', 'popfd', 'lar eax, ebx',
    'push cs', 'pop ds', 'mov ax, ss', 'mov es, ax', 'call fword ptr [eax]', 'retf', 'int 21h', 'iretd', 'cpuid', 'rdtsc',
    'mov eax, ebx', 'add eax, 1', 'ret', 'nop', 'lea esi, [edi+8]', 'label:', '.code', '; comment', '', 'proc_a PROC', 'proc_a ENDP',
  ],
  fasm: [
    'use32', 'sgdt [eax]', 'sidt [ebx]', 'sldt ax', 'smsw ax', 'pushfd', 'popfd', 'lar eax, ebx', 'push cs', 'pop ds',
    'mov ax, ss', 'mov es, ax', 'jmp 0x08:start32', 'retf', 'int 0x80', 'iretd', 'cpuid', 'rdtsc',
    'mov eax, ebx', 'add eax, 1', 'ret', 'nop', 'label:', '; comment', '', 'format binary', 'use16', 'use64',
  ],
};

/** Lines with no instruction (for the locality property). */
export const NEUTRAL_LINES: Record<Dialect, readonly string[]> = {
  nasm: ['', '; unrelated comment', '   '],
  'gas-att': ['', '# unrelated comment', '   '],
  'gas-intel': ['', '# unrelated comment', '   '],
  masm: ['', '; unrelated comment', '   '],
  fasm: ['', '; unrelated comment', '   '],
};

const HOSTILE_TOKENS = ['\u0000', '\uFFFD', '\uD800', '\uDFFF', '😀', '\u202E', '\t', '\r', '\\', '%', '$', '::', ',', '[', ']', '(', ')', '"', "'", '0x', 'ptr', 'far', 'rep', 'lock', 'cs:', '%ax', 'virtlint-disable', 'virtlint: dialect=nasm bits=16'];

/** Any UTF-16 code unit, lone surrogates included. */
export const anyCodeUnitString = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 200 });

/** A line made of a seed line, mutated: tokens inserted, characters dropped or duplicated. */
export function mutatedLine(dialect: Dialect): fc.Arbitrary<string> {
  const seeds = SEED_LINES[dialect];
  return fc
    .tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.constantFrom(...HOSTILE_TOKENS), fc.boolean()), { maxLength: 3 }))
    .map(([line, edits]) => {
      let out = line;
      for (const [at, token, drop] of edits) {
        const i = out.length === 0 ? 0 : at % (out.length + 1);
        out = drop ? out.slice(0, i) + out.slice(i + 1) : out.slice(0, i) + token + out.slice(i);
      }
      return out;
    });
}

export const dialectArb = fc.constantFrom<Dialect>('nasm', 'gas-att', 'gas-intel', 'masm', 'fasm');
