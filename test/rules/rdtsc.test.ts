import { att, fasm, intel, masm, nasm, runRule } from './ruletester';

runRule('rdtsc', {
  valid: [
    nasm(64, 'rdtscp', { why: 'RDTSCP is its own rule' }),
    att(32, 'rdtscp'),
    nasm(32, 'rdtsc_value: dd 0'),
    nasm(32, "db 'rdtsc', 0"),
    att(64, '.ascii "rdtsc"'),
    intel(64, 'nop # rdtsc'),
    masm(64, 'nop ; rdtsc'),
    fasm(32, 'nop ; rdtsc'),
    nasm(64, 'rdtscx: nop', { why: 'label that starts like the mnemonic' }),
  ],
  invalid: [
    nasm(16, 'rdtsc', { line: 1, column: 1 }),
    nasm(32, '    rdtsc', { line: 1, column: 5 }),
    nasm(64, 'nop\nrdtsc', { line: 2 }),
    nasm(64, 'again: rdtsc', { column: 8 }),
    att(16, 'rdtsc'),
    att(32, 'rdtsc'),
    att(64, 'nop; rdtsc', { column: 6 }),
    intel(32, 'rdtsc'),
    intel(64, 'rdtsc'),
    masm(32, 'rdtsc'),
    masm(64, 'rdtsc'),
    fasm(16, 'rdtsc'),
    fasm(32, 'rdtsc'),
    fasm(64, 'rdtsc'),
  ],
});
