import { att, fasm, intel, masm, nasm, runRule } from './ruletester';

runRule('verw', {
  valid: [
    nasm(32, 'verr ax', { why: 'a different rule' }),
    nasm(32, 'verw_ok: nop'),
    att(32, '.ascii "verw"'),
    intel(64, 'nop # verw ax'),
    masm(32, "db 'verw', 0"),
    fasm(32, 'nop ; verw'),
  ],
  invalid: [
    nasm(16, 'verw cx', { line: 1, column: 1 }),
    nasm(16, 'verw [bp+2]'),
    nasm(32, 'verw ax'),
    nasm(32, 'verw word [ebx]'),
    nasm(64, 'verw [rdi]'),
    nasm(64, 'verw dx'),
    att(16, 'verw %cx'),
    att(32, 'verw (%ebx)'),
    att(64, 'verw (%rdi)'),
    intel(32, 'verw ax'),
    intel(64, 'verw word ptr [rdi]'),
    masm(32, 'verw ax'),
    masm(64, 'verw word ptr [rdi]'),
    fasm(16, 'verw cx'),
    fasm(32, 'verw word [ebx]'),
    fasm(64, 'verw [rdi]'),
  ],
});
