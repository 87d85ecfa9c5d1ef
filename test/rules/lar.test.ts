import { att, fasm, intel, masm, nasm, runRule } from './ruletester';

runRule('lar', {
  valid: [
    nasm(32, 'lea eax, [ebx]'),
    nasm(32, 'lar_table: dd 0'),
    att(32, 'leal (%ebx), %eax'),
    intel(64, 'lea rax, [rbx]'),
    masm(32, 'lea eax, [ebx] ; lar'),
    fasm(32, "db 'lar eax, ecx'"),
  ],
  invalid: [
    nasm(16, 'lar ax, cx', { line: 1, column: 1 }),
    nasm(16, 'lar ax, [bx]'),
    nasm(32, 'lar eax, ecx'),
    nasm(32, 'lar eax, [ebx]'),
    nasm(32, 'lar ax, cx'),
    nasm(64, 'lar rax, rcx'),
    nasm(64, 'lar eax, cx'),
    nasm(64, 'lar ax, word [rbx]'),
    att(16, 'lar %cx, %ax'),
    att(32, 'lar %ecx, %eax'),
    att(32, 'larl (%ebx), %eax'),
    att(64, 'lar %rcx, %rax'),
    intel(32, 'lar eax, word ptr [ebx]'),
    intel(64, 'lar eax, cx'),
    masm(32, 'lar eax, ecx'),
    masm(64, 'lar rax, rcx'),
    fasm(16, 'lar ax, cx'),
    fasm(32, 'lar eax, cx'),
    fasm(64, 'lar rax, cx'),
  ],
});
