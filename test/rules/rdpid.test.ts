import { att, intel, masm, nasm, runRule } from './ruletester';

runRule('rdpid', {
  valid: [
    nasm(64, 'rdtscp', { why: 'RDTSCP also returns TSC_AUX but is its own rule' }),
    nasm(32, 'rdpid_value: dd 0'),
    att(64, '.ascii "rdpid %rax"'),
    intel(64, 'nop # rdpid rax'),
    masm(64, 'nop ; rdpid rax'),
  ],
  invalid: [
    nasm(64, 'rdpid rax', { line: 1, column: 1 }),
    nasm(32, 'rdpid eax'),
    nasm(16, 'rdpid eax'),
    nasm(32, 'rdpid rax', { expect: 'invalid-in-mode', why: '64-bit register outside long mode' }),
    att(64, 'rdpid %rax'),
    att(32, 'rdpid %eax'),
    intel(64, 'rdpid rax'),
    intel(32, 'rdpid eax'),
    masm(64, 'rdpid rax'),
    masm(32, 'rdpid eax'),
  ],
});
