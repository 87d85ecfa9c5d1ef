import { att, c, cpp, fasm, intel, masm, nasm, runRule, rust } from './ruletester';

runRule('xgetbv', {
  valid: [
    nasm(32, 'xgetbv_value: dd 0'),
    nasm(32, "db 'xgetbv', 0"),
    att(64, '.ascii "xgetbv"'),
    intel(64, 'nop # xgetbv'),
    masm(64, 'nop ; xgetbv'),
    fasm(32, 'nop ; xgetbv'),
    nasm(64, 'xgetbvx: nop', { why: 'label that starts like the mnemonic' }),
    // Host files: C and C++ (GCC extended and basic asm, intrinsics) and Rust asm!.
    c(64, 'void f(unsigned lo, unsigned hi) { asm volatile("xsetbv" : : "a"(lo), "d"(hi), "c"(0)); }', { why: 'XSETBV is privileged' }),
    c(64, 'int printf(const char *, ...);\nvoid f(void) { printf("xgetbv\\n"); }'),
    c(64, '// _xgetbv(0)\nvoid f(void) {}'),
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
    // Host files: the line and column are the mnemonic's inside the string literal, or the intrinsic's name.
    c(64, 'static inline unsigned long long xgetbv(unsigned int index)\n{\n\tunsigned int eax, edx;\n\tasm volatile("xgetbv" : "=a" (eax), "=d" (edx) : "c" (index));\n\treturn eax + ((unsigned long long)edx << 32);\n}\nunsigned long long f(void) { return xgetbv(0); }', { line: 4, column: 16, why: 'Linux asm/fpu/xcr.h xgetbv' }),
    c(32, 'unsigned f(void) { unsigned lo, hi; asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0)); return lo; }', { line: 1, column: 51 }),
    c(64, '#include <x86intrin.h>\nunsigned long long f(void) { return _xgetbv(0); }', { line: 2, column: 37, compileFlags: ["-mxsave"] }),
    cpp(64, 'unsigned long long xcr0() { unsigned lo, hi; asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0)); return lo | (unsigned long long)hi << 32; }', { line: 1, column: 60 }),
    rust(64, '#[target_feature(enable = "xsave")]\npub unsafe fn xcr0() -> u64 { core::arch::x86_64::_xgetbv(0) }', { line: 2, column: 31, why: 'core::arch intrinsic' }),
    rust(64, 'pub unsafe fn xcr0() -> u32 { let lo: u32; core::arch::asm!("xgetbv", in("ecx") 0, out("eax") lo, out("edx") _); lo }', { line: 1, column: 62 }),
    rust(64, 'pub unsafe fn xcr0() -> u32 { let lo: u32; core::arch::asm!("xgetbv", in("ecx") 0, out("eax") lo, out("edx") _, options(att_syntax)); lo }', { line: 1, column: 62 }),
    rust(32, 'pub unsafe fn xcr0() -> u32 { let lo: u32; core::arch::asm!("xgetbv", in("ecx") 0, out("eax") lo, out("edx") _); lo }', { line: 1, column: 62 }),
  ],
});
