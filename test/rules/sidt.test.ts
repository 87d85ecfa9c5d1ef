import { att, c, cpp, fasm, intel, masm, MASM_INTEL, nasm, runRule, rust } from './ruletester';

runRule('sidt', {
  valid: [
    nasm(64, 'lidt [rax]', { why: 'LIDT is privileged: it traps' }),
    nasm(32, 'sidt_area: dd 0'),
    att(32, 'lidt (%eax)'),
    att(32, '# sidt (%eax)'),
    intel(64, 'lidt [rax]'),
    masm(32, 'lidt fword ptr [eax]'),
    fasm(64, "db 'sidt'"),
    // Host files: C and C++ (GCC extended and basic asm, intrinsics) and Rust asm!.
    c(64, 'void f(void *p) { asm volatile("lidt %0" : : "m"(*(char *)p)); }', { why: 'LIDT is privileged' }),
    c(64, 'int printf(const char *, ...);\nvoid f(void) { printf("sidt [rax]\\n"); }'),
    c(64, '// asm("sidt %0" : "=m"(idtr));\nvoid f(void) {}'),
    rust(64, 'pub fn f() -> &\'static str { "sidt [rax]" }'),
  ],
  invalid: [
    nasm(16, 'sidt [si+4]', { line: 1, column: 1 }),
    nasm(32, 'sidt [esp+8]'),
    nasm(64, 'sidt [rax]'),
    nasm(64, 'start: sidt [rax]', { column: 8 }),
    att(16, 'sidt (%bx,%si)'),
    att(32, 'sidtl (%ebx)'),
    att(64, 'sidt (%rbx)'),
    intel(32, 'sidt [eax]'),
    intel(64, 'sidt [rsp+16]'),
    masm(32, 'sidt fword ptr [ebx]'),
    masm(64, 'sidt [rbx]'),
    fasm(16, 'sidt [bx]'),
    fasm(32, 'sidt [esp+8]'),
    fasm(64, 'sidt [rsp+16]'),
    // Host files: the line and column are the mnemonic's inside the string literal, or the intrinsic's name.
    c(64, 'struct desc_ptr { unsigned short size; unsigned long address; } __attribute__((packed));\nstatic inline void store_idt(struct desc_ptr *dtr)\n{\n\tasm volatile("sidt %0":"=m" (*dtr));\n}\nvoid f(struct desc_ptr *d) { store_idt(d); }', { line: 4, column: 16, why: 'Linux asm/desc.h store_idt' }),
    c(32, 'int red_pill(void)\n{\n\tunsigned char m[6];\n\tasm("sidt %0" : "=m"(m));\n\treturn m[5] > 0xd0;\n}', { line: 4, column: 7, why: 'Red Pill' }),
    c(16, 'void f(void *p) { asm volatile("sidt (%0)" : : "r"(p) : "memory"); }', { line: 1, column: 33 }),
    c(64, 'void f(void *p) { asm volatile("{sidt (%0)|sidt [%0]}" : : "r"(p) : "memory"); }', { ...MASM_INTEL, line: 1, column: 44 }),
    c(64, '#include <intrin.h>\nvoid f(void *p) { __sidt(p); }', { line: 2, column: 19, notCompiled: 'MSVC intrinsic (intrin.h): neither gcc nor clang 14 compiles it to the instruction' }),
    cpp(64, 'struct Idtr { unsigned short limit; unsigned long long base; } __attribute__((packed));\nIdtr idtr() { Idtr r; __asm__ __volatile__("sidt %0" : "=m"(r)); return r; }', { line: 2, column: 45 }),
    rust(64, 'pub unsafe fn sidt(p: *mut u8) { core::arch::asm!("sidt [{}]", in(reg) p, options(nostack, preserves_flags)); }', { line: 1, column: 52 }),
    rust(64, 'pub unsafe fn sidt(p: *mut u8) { core::arch::asm!("sidt ({})", in(reg) p, options(att_syntax)); }', { line: 1, column: 52 }),
    rust(32, 'pub unsafe fn sidt(p: *mut u8) { core::arch::asm!("sidt [{}]", in(reg) p); }', { line: 1, column: 52 }),
  ],
});
