// The meta kinds that are not virtualization findings: `unknown-mnemonic` (a typo, or a macro
// the file never defines) and `invalid-in-mode` (a real mnemonic in a form the mode lacks).
// Directives, labels, macro invocations and data must never be mistaken for instructions.
import { att, fasm, intel, masm, nasm, runRule } from './ruletester';

runRule('unknown-mnemonic', {
  valid: [
    nasm(32, 'section .text\nglobal entry\nentry:\n  nop'),
    nasm(64, 'default rel\nalign 16\n  ret'),
    nasm(32, '%macro SAVE_FLAGS 0\n  pushfd\n%endmacro\n  SAVE_FLAGS\n  SAVE_FLAGS'),
    nasm(32, '%define COUNT 4\n  times COUNT nop'),
    nasm(32, 'value: dd 1, 2, 3\ntext: db "cpuid", 0\nbuf: resb 16'),
    nasm(64, 'struc point\n  .x: resd 1\n  .y: resd 1\nendstruc'),
    nasm(16, 'org 0x7c00\nstart: jmp start\n  times 510-($-$$) db 0\n  dw 0xaa55'),
    att(64, '.text\n.globl main\n.type main, @function\nmain:\n  .cfi_startproc\n  ret\n  .cfi_endproc\n.size main, .-main'),
    att(32, '.macro save\n  pushfl\n.endm\n  save'),
    att(64, '.section .rodata\nmsg: .asciz "rdtsc"\n.balign 8\n.quad 0'),
    att(32, '.set SELECTOR, 0x08\n  ljmp $SELECTOR, $1f\n1: nop'),
    intel(64, '.intel_syntax noprefix\n.text\n  mov rax, QWORD PTR [rsp+8]\n  ret'),
    masm(32, '.386\n.model flat, stdcall\noption casemap:none\n.code\nmain PROC\n  ret\nmain ENDP\nEND main'),
    masm(32, 'save MACRO\n  pushfd\nENDM\n.code\n  save'),
    masm(64, 'EXTERN ExitProcess:PROC\nPUBLIC start\n.data\nmsg BYTE "cpuid", 0\n.code\nstart PROC\n  sub rsp, 28h\n  ret\nstart ENDP\nEND'),
    fasm(32, "format PE console\nentry start\nsection '.text' code readable executable\nstart:\n  ret"),
    fasm(32, 'macro save {\n  pushfd\n}\n  save'),
    fasm(64, 'align 8\nvalue dq 0\n  ret'),
    fasm(32, 'buffer: times 16 db 0\n  times 3 nop', { why: 'FASM has TIMES too' }),
  ],
  invalid: [
    nasm(32, 'cpiud eax', { line: 1, column: 1, why: 'typo (alone on a line NASM would take it for a label)' }),
    nasm(64, 'nop\n    pushfx 1', { line: 2, column: 5 }),
    att(64, 'movqq %rax, %rbx'),
    intel(64, 'rdtscc'),
    masm(32, 'pushfdd'),
    fasm(32, 'sgdtt [eax]'),
  ],
});

runRule('pushf', {
  valid: [nasm(32, '%macro SAVE_FLAGS 0\n  nop\n%endmacro\n  SAVE_FLAGS', { why: 'the macro body has no PUSHF' })],
  invalid: [
    nasm(32, '%macro SAVE_FLAGS 0\n  pushfd\n%endmacro\n  SAVE_FLAGS\n  SAVE_FLAGS', { line: 2, column: 3, count: 1, why: 'reported once, in the macro body' }),
    att(32, '.macro save\n  pushfl\n.endm\n  save', { line: 2, count: 1 }),
    masm(32, 'save MACRO\n  pushfd\nENDM\n.code\n  save', { line: 2, count: 1 }),
    fasm(32, 'macro save {\n  pushfd\n}\n  save', { line: 2, count: 1 }),
  ],
});
