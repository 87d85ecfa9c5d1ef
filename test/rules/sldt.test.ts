import { att, fasm, intel, masm, nasm, runRule } from './ruletester';

runRule('sldt', {
  valid: [
    nasm(64, 'lldt ax', { why: 'LLDT is privileged' }),
    nasm(32, 'sldt_value: dw 0'),
    att(32, 'lldt %ax'),
    intel(64, 'lldt ax'),
    masm(32, 'lldt ax ; sldt'),
    fasm(32, 'lldt ax'),
  ],
  invalid: [
    nasm(16, 'sldt ax', { line: 1, column: 1 }),
    nasm(16, 'sldt [bx]'),
    nasm(32, 'sldt eax'),
    nasm(32, 'sldt ax'),
    nasm(32, 'sldt [ebx]'),
    nasm(64, 'sldt rax'),
    nasm(64, 'sldt eax'),
    nasm(64, 'sldt [rbx]'),
    att(16, 'sldt %ax'),
    att(32, 'sldt %eax'),
    att(32, 'sldtw (%ebx)'),
    att(64, 'sldt %rax'),
    intel(32, 'sldt word ptr [ebx]'),
    intel(64, 'sldt rax'),
    masm(32, 'sldt ax'),
    masm(64, 'sldt word ptr [rbx]'),
    fasm(16, 'sldt ax'),
    fasm(32, 'sldt [ebx]'),
    fasm(64, 'sldt rax'),
  ],
});
