import { att, c, cpp, fasm, intel, masm, MASM_INTEL, nasm, runRule, rust } from './ruletester';

runRule('verr', {
  valid: [
    nasm(32, 'verw ax', { why: 'a different rule' }),
    nasm(32, 'verr_ok: nop'),
    att(32, '.ascii "verr"'),
    intel(64, 'nop # verr ax'),
    masm(32, "db 'verr', 0"),
    fasm(32, 'nop ; verr'),
    // Host files: C and C++ (GCC extended and basic asm, intrinsics) and Rust asm!.
    c(64, 'void f(unsigned short sel) { asm volatile("verw %0" : : "r"(sel) : "cc"); }', { why: 'VERW is its own rule' }),
    c(64, 'int printf(const char *, ...);\nvoid f(void) { printf("verr %%ax\\n"); }'),
    c(64, 'void f(void) {} /* verr */'),
  ],
  invalid: [
    nasm(16, 'verr ax', { line: 1, column: 1 }),
    nasm(16, 'verr word [bx]'),
    nasm(32, 'verr ax'),
    nasm(32, 'verr [ebx]'),
    nasm(64, 'verr word [rbx]'),
    nasm(64, 'verr ax'),
    att(16, 'verr %ax'),
    att(32, 'verr (%ebx)'),
    att(64, 'verr (%rbx)'),
    intel(32, 'verr word ptr [ebx]'),
    intel(64, 'verr ax'),
    masm(32, 'verr ax'),
    masm(64, 'verr word ptr [rbx]'),
    fasm(16, 'verr ax'),
    fasm(32, 'verr [ebx]'),
    fasm(64, 'verr word [rbx]'),
    // Host files: the line and column are the mnemonic's inside the string literal, or the intrinsic's name.
    c(32, 'int f(unsigned short sel) { unsigned char ok; asm("verr %1; setz %0" : "=q"(ok) : "r"(sel) : "cc"); return ok; }', { line: 1, column: 52 }),
    c(64, 'void f(const unsigned short *p) { asm volatile("verr %0" : : "m"(*p) : "cc"); }', { line: 1, column: 49 }),
    c(64, 'int f(unsigned short sel) { unsigned char ok; asm("{verr %1; setz %0|verr %1; setz %0}" : "=q"(ok) : "r"(sel) : "cc"); return ok; }', { ...MASM_INTEL, line: 1, column: 70 }),
    cpp(64, 'bool readable(unsigned short sel) { bool ok; asm("verr %1\\n\\tsetz %0" : "=q"(ok) : "r"(sel) : "cc"); return ok; }', { line: 1, column: 51 }),
    rust(64, 'pub unsafe fn verr(s: u16) { core::arch::asm!("verr {0:x}", in(reg) s); }', { line: 1, column: 48 }),
    rust(64, 'pub unsafe fn verr(s: u16) { core::arch::asm!("verr {0:x}", in(reg) s, options(att_syntax)); }', { line: 1, column: 48 }),
    rust(32, 'pub unsafe fn verr(s: u16) { core::arch::asm!("verr {0:x}", in(reg) s); }', { line: 1, column: 48 }),
  ],
});
