import { att, c, cpp, fasm, intel, masm, nasm, runRule, rust } from './ruletester';

runRule('rdpmc', {
  valid: [
    nasm(32, 'rdpmc_value: dd 0'),
    nasm(32, "db 'rdpmc', 0"),
    att(64, '.ascii "rdpmc"'),
    intel(64, 'nop # rdpmc'),
    masm(64, 'nop ; rdpmc'),
    fasm(32, 'nop ; rdpmc'),
    nasm(64, 'rdpmcx: nop', { why: 'label that starts like the mnemonic' }),
    // Host files: C and C++ (GCC extended and basic asm, intrinsics) and Rust asm!.
    c(64, 'unsigned f(unsigned msr) { unsigned lo, hi; asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr)); return lo; }', { why: 'RDMSR is privileged' }),
    c(64, 'int printf(const char *, ...);\nvoid f(void) { printf("rdpmc\\n"); }'),
    c(64, '// native_read_pmc\nvoid f(void) {}'),
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
    // Host files: the line and column are the mnemonic's inside the string literal, or the intrinsic's name.
    c(64, 'static inline unsigned long long native_read_pmc(int counter)\n{\n\tunsigned low, high;\n\tasm volatile("rdpmc" : "=a" (low), "=d" (high) : "c" (counter));\n\treturn low | ((unsigned long long)high << 32);\n}\nunsigned long long f(void) { return native_read_pmc(0); }', { line: 4, column: 16, why: 'Linux native_read_pmc' }),
    c(32, 'unsigned f(int c) { unsigned lo, hi; asm volatile("rdpmc" : "=a"(lo), "=d"(hi) : "c"(c)); return lo; }', { line: 1, column: 52 }),
    c(64, '#include <x86intrin.h>\nunsigned long long f(void) { return __rdpmc(0); }', { line: 2, column: 37 }),
    cpp(64, 'unsigned long long pmc(int c) { unsigned lo, hi; asm volatile("rdpmc" : "=a"(lo), "=d"(hi) : "c"(c)); return lo | (unsigned long long)hi << 32; }', { line: 1, column: 64 }),
    rust(64, 'pub unsafe fn pmc(c: u32) -> u32 { let lo: u32; core::arch::asm!("rdpmc", in("ecx") c, out("eax") lo, out("edx") _); lo }', { line: 1, column: 67 }),
    rust(64, 'pub unsafe fn pmc(c: u32) -> u32 { let lo: u32; core::arch::asm!("rdpmc", in("ecx") c, out("eax") lo, out("edx") _, options(att_syntax)); lo }', { line: 1, column: 67 }),
    rust(32, 'pub unsafe fn pmc(c: u32) -> u32 { let lo: u32; core::arch::asm!("rdpmc", in("ecx") c, out("eax") lo, out("edx") _); lo }', { line: 1, column: 67 }),
  ],
});
