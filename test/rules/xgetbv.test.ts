import { att, fasm, intel, masm, nasm, runRule } from './ruletester';

runRule('xgetbv', {
  valid: [
    nasm(32, 'xgetbv_value: dd 0'),
    nasm(32, "db 'xgetbv', 0"),
    att(64, '.ascii "xgetbv"'),
    intel(64, 'nop # xgetbv'),
    masm(64, 'nop ; xgetbv'),
    fasm(32, 'nop ; xgetbv'),
    nasm(64, 'xgetbvx: nop', { why: 'label that starts like the mnemonic' }),
  ],
  invalid: [
    nasm(16, 'xgetbv', { line: 1, column: 1 }),
    nasm(32, '    xgetbv', { line: 1, column: 5 }),
    nasm(64, 'nop\nxgetbv', { line: 2 }),
    nasm(64, 'again: xgetbv', { column: 8 }),
    att(16, 'xgetbv'),
    att(32, 'xgetbv'),
    att(64, 'nop; xgetbv', { column: 6 }),
    intel(32, 'xgetbv'),
    intel(64, 'xgetbv'),
    masm(32, 'xgetbv'),
    masm(64, 'xgetbv'),
    fasm(16, 'xgetbv'),
    fasm(32, 'xgetbv'),
    fasm(64, 'xgetbv'),
  ],
});
