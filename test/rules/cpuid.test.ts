import { att, c, cpp, fasm, intel, masm, nasm, runRule, rust } from './ruletester';

runRule('cpuid', {
  valid: [
    nasm(32, 'cpuid_leaf: dd 0'),
    nasm(64, 'mov eax, cpuid_leaf\ncpuid_leaf: nop'),
    nasm(32, "db 'cpuid', 0"),
    att(64, '.asciz "cpuid"'),
    intel(64, 'nop # cpuid'),
    masm(64, "cpuid_name db 'cpuid', 0"),
    fasm(64, 'nop ; cpuid'),
    // Host files: C and C++ (GCC extended and basic asm, intrinsics) and Rust asm!.
    c(64, 'int printf(const char *, ...);\nvoid f(void) { printf("cpuid leaf %d\\n", 1); }'),
    c(64, '// __cpuid(1, a, b, c, d);\nvoid f(void) {}', { why: 'an intrinsic in a comment' }),
    rust(64, '// core::arch::x86_64::__cpuid(1)\npub fn f() {}'),
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
    // Host files: the line and column are the mnemonic's inside the string literal, or the intrinsic's name.
    c(64, 'static inline void native_cpuid(unsigned *eax, unsigned *ebx, unsigned *ecx, unsigned *edx)\n{\n\tasm volatile("cpuid"\n\t    : "=a" (*eax), "=b" (*ebx), "=c" (*ecx), "=d" (*edx)\n\t    : "0" (*eax), "2" (*ecx)\n\t    : "memory");\n}\nvoid f(unsigned *r) { native_cpuid(r, r + 1, r + 2, r + 3); }', { line: 3, column: 16, why: 'Linux asm/processor.h native_cpuid' }),
    c(32, 'unsigned f(unsigned leaf) { unsigned a, b, c, d; asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(leaf)); return a ^ b ^ c ^ d; }', { line: 1, column: 64 }),
    c(64, '#include <cpuid.h>\nunsigned f(void) { unsigned a, b, c, d; __cpuid(1, a, b, c, d); return c; }', { line: 2, column: 41, why: 'cpuid.h' }),
    c(32, '#include <cpuid.h>\nunsigned f(void) { unsigned a, b, c, d; __cpuid_count(7, 0, a, b, c, d); return b; }', { line: 2, column: 41 }),
    cpp(64, 'static void cpuid(unsigned leaf, unsigned regs[4]) { asm volatile("cpuid" : "=a"(regs[0]), "=b"(regs[1]), "=c"(regs[2]), "=d"(regs[3]) : "a"(leaf), "c"(0)); }\nunsigned hypervisor_bit() { unsigned r[4]; cpuid(1, r); return r[2] >> 31; }', { line: 1, column: 68, why: 'VM detection: the hypervisor-present bit' }),
    rust(64, 'pub fn leaf1() -> u32 { unsafe { core::arch::x86_64::__cpuid(1).ecx } }', { line: 1, column: 34, why: 'core::arch intrinsic' }),
    rust(64, 'pub unsafe fn cpuid(leaf: u32) -> u32 { let a: u32; core::arch::asm!("push rbx", "cpuid", "pop rbx", inout("eax") leaf => a, out("ecx") _, out("edx") _); a }', { line: 1, column: 83 }),
    rust(64, 'pub unsafe fn cpuid(leaf: u32) -> u32 { let a: u32; core::arch::asm!("push %rbx", "cpuid", "pop %rbx", inout("eax") leaf => a, out("ecx") _, out("edx") _, options(att_syntax)); a }', { line: 1, column: 84 }),
    rust(32, 'pub unsafe fn cpuid(leaf: u32) -> u32 { let a: u32; core::arch::asm!("push ebx", "cpuid", "pop ebx", inout("eax") leaf => a, out("ecx") _, out("edx") _); a }', { line: 1, column: 83 }),
  ],
});
