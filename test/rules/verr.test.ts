import { att, fasm, intel, masm, nasm, runRule } from './ruletester';

runRule('verr', {
  valid: [
    nasm(32, 'verw ax', { why: 'a different rule' }),
    nasm(32, 'verr_ok: nop'),
    att(32, '.ascii "verr"'),
    intel(64, 'nop # verr ax'),
    masm(32, "db 'verr', 0"),
    fasm(32, 'nop ; verr'),
  ],
  invalid: [
    nasm(16, 'verr ax', { line: 1, column: 1 }),
    nasm(16, 'verr word [bx]'),
    nasm(32, 'verr ax'),
    nasm(32, 'verr [ebx]'),
    nasm(64, 'verr word [rbx]'),
    nasm(64, 'verr ax'),
    att(16, 'verr %ax'),
    att(32, 'verr (%ebx)'),
    att(64, 'verr (%rbx)'),
    intel(32, 'verr word ptr [ebx]'),
    intel(64, 'verr ax'),
    masm(32, 'verr ax'),
    masm(64, 'verr word ptr [rbx]'),
    fasm(16, 'verr ax'),
    fasm(32, 'verr [ebx]'),
    fasm(64, 'verr word [rbx]'),
  ],
});
