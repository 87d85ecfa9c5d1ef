import { att, fasm, intel, masm, nasm, runRule } from './ruletester';

runRule('sgdt', {
  valid: [
    nasm(64, 'lgdt [rax]', { why: 'LGDT is privileged: it traps' }),
    nasm(32, 'sgdt_buffer: dd 0, 0'),
    nasm(32, 'mov eax, sgdt_buffer\nsgdt_buffer: dd 0, 0'),
    att(64, 'lgdt (%rax)'),
    att(32, '.ascii "sgdt"'),
    intel(64, 'lgdt [rax] # sgdt'),
    masm(32, 'lgdt fword ptr [eax]'),
    fasm(32, 'lgdt [eax]'),
  ],
  invalid: [
    nasm(16, 'sgdt [bx]', { line: 1, column: 1 }),
    nasm(32, 'sgdt [eax]'),
    nasm(64, 'sgdt [rax]'),
    nasm(64, '    sgdt [rsp+16]', { column: 5 }),
    nasm(64, 'a32 sgdt [eax]', { column: 5 }),
    att(16, 'sgdt (%bx)'),
    att(32, 'sgdtl 8(%esp)'),
    att(64, 'sgdt (%rax)'),
    att(64, 'sgdtq (%rax)'),
    intel(32, 'sgdt [eax]'),
    intel(64, 'sgdt [rax]'),
    masm(32, 'sgdt fword ptr [eax]'),
    masm(64, 'sgdt [rax]'),
    fasm(16, 'sgdt [bx]'),
    fasm(32, 'sgdt [eax]'),
    fasm(64, 'sgdt [rax]'),
  ],
});
