import { att, c, cpp, fasm, intel, masm, MASM_INTEL, nasm, runRule, rust } from './ruletester';

runRule('lsl', {
  valid: [
    nasm(32, 'shl eax, 1'),
    nasm(64, 'lss rsp, [rax]', { why: 'LSS loads SS:RSP; not LSL' }),
    nasm(32, 'lsl_limit: dd 0'),
    att(32, 'sall $1, %eax'),
    intel(64, 'shl rax, 1 # lsl'),
    masm(32, 'shl eax, 1'),
    fasm(64, 'shl rax, 1'),
    // Host files: C and C++ (GCC extended and basic asm, intrinsics) and Rust asm!.
    c(64, 'unsigned f(unsigned x) { asm("shll $1, %0" : "+r"(x)); return x; }'),
    c(64, 'int printf(const char *, ...);\nvoid f(void) { printf("lsl eax, ecx\\n"); }'),
    c(64, '// lsl %ecx, %eax\nvoid f(void) {}'),
  ],
  invalid: [
    nasm(16, 'lsl ax, dx', { line: 1, column: 1 }),
    nasm(16, 'lsl eax, ecx'),
    nasm(32, 'lsl eax, edx'),
    nasm(32, 'lsl eax, word [ebx+4]'),
    nasm(64, 'lsl rax, [rbx]'),
    nasm(64, 'lsl eax, edx'),
    att(16, 'lsl %dx, %ax'),
    att(32, 'lsll 4(%ebx), %eax'),
    att(64, 'lsl (%rbx), %rax'),
    intel(32, 'lsl eax, edx'),
    intel(64, 'lsl rax, word ptr [rbx]'),
    masm(32, 'lsl eax, edx'),
    masm(64, 'lsl rax, word ptr [rbx]'),
    fasm(16, 'lsl ax, dx'),
    fasm(32, 'lsl eax, dx'),
    fasm(64, 'lsl rax, word [rbx]'),
    // Host files: the line and column are the mnemonic's inside the string literal, or the intrinsic's name.
    c(32, 'unsigned f(unsigned sel) { unsigned limit; asm("lsl %1, %0" : "=r"(limit) : "r"(sel)); return limit; }', { line: 1, column: 49 }),
    c(64, 'static inline unsigned int vgetcpu_lsl(void)\n{\n\tunsigned int p;\n\tasm volatile("lsl %[seg], %[p]" : [p] "=a" (p) : [seg] "r" (0x7bU));\n\treturn p;\n}\nunsigned f(void) { return vgetcpu_lsl(); }', { line: 4, column: 16, why: 'older Linux vgetcpu: LSL of the per-CPU segment' }),
    c(64, 'unsigned f(unsigned sel) { unsigned l; asm("{lsl %1, %0|lsl %0, %1}" : "=r"(l) : "r"(sel)); return l; }', { ...MASM_INTEL, line: 1, column: 57 }),
    c(64, '#include <intrin.h>\nunsigned long f(unsigned long sel) { return __segmentlimit(sel); }', { line: 2, column: 45, notCompiled: 'MSVC intrinsic (intrin.h): neither gcc nor clang 14 compiles it to the instruction' }),
    cpp(64, 'unsigned segment_limit(unsigned sel) { unsigned l; asm volatile("lsl %1, %0" : "=r"(l) : "r"(sel)); return l; }', { line: 1, column: 66 }),
    rust(64, 'pub unsafe fn lsl(s: u32) -> u32 { let r: u32; core::arch::asm!("lsl {0:e}, {1:e}", out(reg) r, in(reg) s); r }', { line: 1, column: 66 }),
    rust(64, 'pub unsafe fn lsl(s: u32) -> u32 { let r: u32; core::arch::asm!("lsl {1:e}, {0:e}", out(reg) r, in(reg) s, options(att_syntax)); r }', { line: 1, column: 66 }),
    rust(32, 'pub unsafe fn lsl(s: u32) -> u32 { let r: u32; core::arch::asm!("lsl {0}, {1}", out(reg) r, in(reg) s); r }', { line: 1, column: 66 }),
  ],
});
