import { att, c, cpp, fasm, intel, masm, MASM_INTEL, nasm, runRule, rust } from './ruletester';

runRule('verw', {
  valid: [
    nasm(32, 'verr ax', { why: 'a different rule' }),
    nasm(32, 'verw_ok: nop'),
    att(32, '.ascii "verw"'),
    intel(64, 'nop # verw ax'),
    masm(32, "db 'verw', 0"),
    fasm(32, 'nop ; verw'),
    // Host files: C and C++ (GCC extended and basic asm, intrinsics) and Rust asm!.
    c(64, 'void f(unsigned short sel) { asm volatile("verr %0" : : "r"(sel) : "cc"); }', { why: 'VERR is its own rule' }),
    c(64, 'int printf(const char *, ...);\nvoid f(void) { printf("verw %%ax\\n"); }'),
    c(64, '// verw for MDS\nvoid f(void) {}'),
  ],
  invalid: [
    nasm(16, 'verw cx', { line: 1, column: 1 }),
    nasm(16, 'verw [bp+2]'),
    nasm(32, 'verw ax'),
    nasm(32, 'verw word [ebx]'),
    nasm(64, 'verw [rdi]'),
    nasm(64, 'verw dx'),
    att(16, 'verw %cx'),
    att(32, 'verw (%ebx)'),
    att(64, 'verw (%rdi)'),
    intel(32, 'verw ax'),
    intel(64, 'verw word ptr [rdi]'),
    masm(32, 'verw ax'),
    masm(64, 'verw word ptr [rdi]'),
    fasm(16, 'verw cx'),
    fasm(32, 'verw word [ebx]'),
    fasm(64, 'verw [rdi]'),
    // Host files: the line and column are the mnemonic's inside the string literal, or the intrinsic's name.
    c(64, 'static inline void mds_clear_cpu_buffers(void)\n{\n\tstatic const unsigned short ds = 0x18;\n\tasm volatile("verw %[ds]" : : [ds] "m" (ds) : "cc");\n}\nvoid f(void) { mds_clear_cpu_buffers(); }', { line: 4, column: 16, why: 'Linux MDS mitigation' }),
    c(32, 'void f(unsigned short sel) { asm volatile("verw %0" : : "r"(sel) : "cc"); }', { line: 1, column: 44 }),
    c(64, 'void f(unsigned short sel) { asm volatile("{verw %0|verw %0}" : : "r"(sel) : "cc"); }', { ...MASM_INTEL, line: 1, column: 53 }),
    cpp(64, 'void clear_buffers(const unsigned short &sel) { asm volatile("verw %0" : : "m"(sel) : "cc"); }', { line: 1, column: 63 }),
    rust(64, 'pub unsafe fn verw(s: u16) { core::arch::asm!("verw {0:x}", in(reg) s); }', { line: 1, column: 48 }),
    rust(64, 'pub unsafe fn verw(s: u16) { core::arch::asm!("verw {0:x}", in(reg) s, options(att_syntax)); }', { line: 1, column: 48 }),
    rust(32, 'pub unsafe fn verw(s: u16) { core::arch::asm!("verw {0:x}", in(reg) s); }', { line: 1, column: 48 }),
  ],
});
