import { att, c, cpp, fasm, intel, masm, nasm, runRule, rust } from './ruletester';

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
    // Host files: C and C++ (GCC extended and basic asm, intrinsics) and Rust asm!.
    c(64, 'unsigned f(void) { unsigned lo, hi; asm volatile("rdtsc" : "=a"(lo), "=d"(hi)); return lo; }', { why: 'RDTSC is its own rule' }),
    c(64, 'int printf(const char *, ...);\nvoid f(void) { printf("rdtscp\\n"); }'),
    c(64, '/* __rdtscp(&aux) */ void f(void) {}'),
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
    // Host files: the line and column are the mnemonic's inside the string literal, or the intrinsic's name.
    c(64, 'static inline unsigned long long rdtscp(unsigned *aux)\n{\n\tunsigned lo, hi;\n\tasm volatile("rdtscp" : "=a" (lo), "=d" (hi), "=c" (*aux));\n\treturn ((unsigned long long)hi << 32) | lo;\n}\nunsigned long long f(unsigned *a) { return rdtscp(a); }', { line: 4, column: 16 }),
    c(32, 'unsigned f(void) { unsigned lo, hi, aux; asm volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux)); return aux; }', { line: 1, column: 56 }),
    c(64, '#include <x86intrin.h>\nunsigned long long f(unsigned *aux) { return __rdtscp(aux); }', { line: 2, column: 46 }),
    cpp(64, 'unsigned cpu_of_tsc() { unsigned lo, hi, aux; asm volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux)); return aux; }', { line: 1, column: 61 }),
    rust(64, 'pub fn now() -> u64 { let mut aux = 0u32; unsafe { core::arch::x86_64::__rdtscp(&mut aux) } }', { line: 1, column: 52 }),
    rust(64, 'pub unsafe fn aux() -> u32 { let a: u32; core::arch::asm!("rdtscp", out("ecx") a, out("eax") _, out("edx") _); a }', { line: 1, column: 60 }),
    rust(64, 'pub unsafe fn aux() -> u32 { let a: u32; core::arch::asm!("rdtscp", out("ecx") a, out("eax") _, out("edx") _, options(att_syntax)); a }', { line: 1, column: 60 }),
    rust(32, 'pub unsafe fn aux() -> u32 { let a: u32; core::arch::asm!("rdtscp", out("ecx") a, out("eax") _, out("edx") _); a }', { line: 1, column: 60 }),
  ],
});
