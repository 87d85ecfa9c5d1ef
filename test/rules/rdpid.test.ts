import { att, c, cpp, intel, masm, MASM_INTEL, nasm, runRule, rust } from './ruletester';

runRule('rdpid', {
  valid: [
    nasm(64, 'rdtscp', { why: 'RDTSCP also returns TSC_AUX but is its own rule' }),
    nasm(32, 'rdpid_value: dd 0'),
    att(64, '.ascii "rdpid %rax"'),
    intel(64, 'nop # rdpid rax'),
    masm(64, 'nop ; rdpid rax'),
    // Host files: C and C++ (GCC extended and basic asm, intrinsics) and Rust asm!.
    c(64, 'unsigned f(void) { unsigned lo, hi, aux; asm volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux)); return aux; }', { why: 'RDTSCP also returns TSC_AUX but is its own rule' }),
    c(64, 'int printf(const char *, ...);\nvoid f(void) { printf("rdpid %%rax\\n"); }'),
    c(64, '/* rdpid */ void f(void) {}'),
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
    // Host files: the line and column are the mnemonic's inside the string literal, or the intrinsic's name.
    c(64, 'unsigned long f(void) { unsigned long p; asm volatile("rdpid %0" : "=r"(p)); return p; }', { line: 1, column: 56 }),
    c(32, 'unsigned f(void) { unsigned p; asm volatile("rdpid %0" : "=r"(p)); return p; }', { line: 1, column: 46 }),
    c(64, 'unsigned long f(void) { unsigned long p; asm volatile("{rdpid %0|rdpid %0}" : "=r"(p)); return p; }', { ...MASM_INTEL, line: 1, column: 66 }),
    c(64, '#include <x86intrin.h>\nunsigned f(void) { return _rdpid_u32(); }', { line: 2, column: 27, compileFlags: ["-mrdpid"] }),
    cpp(64, 'unsigned long cpu_id() { unsigned long p; asm volatile("rdpid %0" : "=r"(p)); return p; }', { line: 1, column: 57 }),
    rust(64, 'pub unsafe fn rdpid() -> u64 { let p: u64; core::arch::asm!("rdpid {}", out(reg) p); p }', { line: 1, column: 62 }),
    rust(64, 'pub unsafe fn rdpid() -> u64 { let p: u64; core::arch::asm!("rdpid {}", out(reg) p, options(att_syntax)); p }', { line: 1, column: 62 }),
    rust(32, 'pub unsafe fn rdpid() -> u32 { let p: u32; core::arch::asm!("rdpid {}", out(reg) p); p }', { line: 1, column: 62 }),
  ],
});
