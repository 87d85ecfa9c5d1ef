import { att, fasm, intel, masm, nasm, runRule } from './ruletester';

runRule('rdtscp', {
  valid: [
    nasm(64, 'rdtsc', { why: 'RDTSC is its own rule' }),
    nasm(32, 'rdtscp_value: dd 0'),
    nasm(32, "db 'rdtscp', 0"),
    att(64, '.ascii "rdtscp"'),
    intel(64, 'nop # rdtscp'),
    masm(64, 'nop ; rdtscp'),
    fasm(32, 'nop ; rdtscp'),
    nasm(64, 'rdtscpx: nop', { why: 'label that starts like the mnemonic' }),
  ],
  invalid: [
    nasm(16, 'rdtscp', { line: 1, column: 1 }),
    nasm(32, '    rdtscp', { line: 1, column: 5 }),
    nasm(64, 'nop\nrdtscp', { line: 2 }),
    nasm(64, 'again: rdtscp', { column: 8 }),
    att(16, 'rdtscp'),
    att(32, 'rdtscp'),
    att(64, 'nop; rdtscp', { column: 6 }),
    intel(32, 'rdtscp'),
    intel(64, 'rdtscp'),
    masm(32, 'rdtscp'),
    masm(64, 'rdtscp'),
    fasm(16, 'rdtscp'),
    fasm(32, 'rdtscp'),
    fasm(64, 'rdtscp'),
  ],
});
