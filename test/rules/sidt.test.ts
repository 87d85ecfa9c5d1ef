import { att, fasm, intel, masm, nasm, runRule } from './ruletester';

runRule('sidt', {
  valid: [
    nasm(64, 'lidt [rax]', { why: 'LIDT is privileged: it traps' }),
    nasm(32, 'sidt_area: dd 0'),
    att(32, 'lidt (%eax)'),
    att(32, '# sidt (%eax)'),
    intel(64, 'lidt [rax]'),
    masm(32, 'lidt fword ptr [eax]'),
    fasm(64, "db 'sidt'"),
  ],
  invalid: [
    nasm(16, 'sidt [si+4]', { line: 1, column: 1 }),
    nasm(32, 'sidt [esp+8]'),
    nasm(64, 'sidt [rax]'),
    nasm(64, 'start: sidt [rax]', { column: 8 }),
    att(16, 'sidt (%bx,%si)'),
    att(32, 'sidtl (%ebx)'),
    att(64, 'sidt (%rbx)'),
    intel(32, 'sidt [eax]'),
    intel(64, 'sidt [rsp+16]'),
    masm(32, 'sidt fword ptr [ebx]'),
    masm(64, 'sidt [rbx]'),
    fasm(16, 'sidt [bx]'),
    fasm(32, 'sidt [esp+8]'),
    fasm(64, 'sidt [rsp+16]'),
  ],
});
