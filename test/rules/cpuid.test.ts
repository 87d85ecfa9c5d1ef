import { att, fasm, intel, masm, nasm, runRule } from './ruletester';

runRule('cpuid', {
  valid: [
    nasm(32, 'cpuid_leaf: dd 0'),
    nasm(64, 'mov eax, cpuid_leaf\ncpuid_leaf: nop'),
    nasm(32, "db 'cpuid', 0"),
    att(64, '.asciz "cpuid"'),
    intel(64, 'nop # cpuid'),
    masm(64, "cpuid_name db 'cpuid', 0"),
    fasm(64, 'nop ; cpuid'),
  ],
  invalid: [
    nasm(16, 'cpuid', { line: 1, column: 1 }),
    nasm(32, 'cpuid'),
    nasm(64, 'xor eax, eax\ncpuid', { line: 2, column: 1 }),
    nasm(64, 'CPUID', { why: 'mnemonics are case-insensitive' }),
    att(16, 'cpuid'),
    att(32, 'pushfl; popfl; cpuid', { column: 16 }),
    att(64, 'cpuid'),
    intel(32, 'cpuid'),
    intel(64, 'cpuid'),
    masm(32, 'cpuid'),
    masm(64, 'cpuid'),
    fasm(16, 'cpuid'),
    fasm(32, 'cpuid'),
    fasm(64, 'cpuid'),
  ],
});
