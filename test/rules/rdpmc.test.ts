import { att, fasm, intel, masm, nasm, runRule } from './ruletester';

runRule('rdpmc', {
  valid: [
    nasm(32, 'rdpmc_value: dd 0'),
    nasm(32, "db 'rdpmc', 0"),
    att(64, '.ascii "rdpmc"'),
    intel(64, 'nop # rdpmc'),
    masm(64, 'nop ; rdpmc'),
    fasm(32, 'nop ; rdpmc'),
    nasm(64, 'rdpmcx: nop', { why: 'label that starts like the mnemonic' }),
  ],
  invalid: [
    nasm(16, 'rdpmc', { line: 1, column: 1 }),
    nasm(32, '    rdpmc', { line: 1, column: 5 }),
    nasm(64, 'nop\nrdpmc', { line: 2 }),
    nasm(64, 'again: rdpmc', { column: 8 }),
    att(16, 'rdpmc'),
    att(32, 'rdpmc'),
    att(64, 'nop; rdpmc', { column: 6 }),
    intel(32, 'rdpmc'),
    intel(64, 'rdpmc'),
    masm(32, 'rdpmc'),
    masm(64, 'rdpmc'),
    fasm(16, 'rdpmc'),
    fasm(32, 'rdpmc'),
    fasm(64, 'rdpmc'),
  ],
});
