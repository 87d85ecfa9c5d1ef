; SYNTAX TEST "source.x86asm.virtlint" "GNU as, AT&T syntax, preprocessed .S"
#include <asm/linkage.h>
; <- punctuation.definition.directive.x86asm
;^^^^^^^ keyword.control.directive.preprocessor.x86asm
;        ^^^^^^^^^^^^^^^ string.quoted.other.lt-gt.include.x86asm
    .code16
;   ^^^^^^^ keyword.control.directive.x86asm
    .globl  entry
;   ^^^^^^ keyword.control.directive.x86asm
entry:
; <- entity.name.function.label.x86asm
    pushfl                  # save flags
;   ^^^^^^ keyword.other.sensitive.virtlint.x86asm
;                           ^^^^^^^^^^^^ comment.line.number-sign.x86asm
    popfq
;   ^^^^^ keyword.other.sensitive.virtlint.x86asm
    movl    $0x10, %eax
;   ^^^^ keyword.other.instruction.x86asm
;           ^ keyword.operator.immediate.x86asm
;            ^^^^ constant.numeric.hex.x86asm
;                  ^^^^ variable.language.register.general.x86asm
    movw    %ax, %ds
;                ^^^ variable.language.register.segment.x86asm
    ljmp    $0x08, $1f
;   ^^^^ keyword.other.sensitive.virtlint.x86asm
    lcalll  *(%ebx)
;   ^^^^^^ keyword.other.sensitive.virtlint.x86asm
;             ^^^^ variable.language.register.general.x86asm
1:  lretq
; <- entity.name.function.label.x86asm
;   ^^^^^ keyword.other.sensitive.virtlint.x86asm
    sgdtl   gdt_save(%rip)
;   ^^^^^ keyword.other.sensitive.virtlint.x86asm
;                    ^^^^ variable.language.register.general.x86asm
    smsww   %ax
;   ^^^^^ keyword.other.sensitive.virtlint.x86asm
    larl    %ecx, %eax
;   ^^^^ keyword.other.sensitive.virtlint.x86asm
    lsl     %ecx, %eax
;   ^^^ keyword.other.sensitive.virtlint.x86asm
    verr    %ax
;   ^^^^ keyword.other.sensitive.virtlint.x86asm
    verw    %ax
;   ^^^^ keyword.other.sensitive.virtlint.x86asm
    sldt    %ax
;   ^^^^ keyword.other.sensitive.virtlint.x86asm
    iretq
;   ^^^^^ keyword.other.sensitive.virtlint.x86asm
    fldl    %st(1)
;           ^^^^^^ variable.language.register.vector.x86asm
    /* block comment
;   ^^^^^^^^^^^^^^^^ comment.block.x86asm
       still a comment with pushf */
;      ^^^^^^^^^^^^^^^^^^^^^^^^^^^^ comment.block.x86asm
;                          ^^^^^ - keyword.other.sensitive.virtlint.x86asm
    .byte 0x0f, 0xa2        // cpuid, hand-encoded
;   ^^^^^ keyword.control.directive.x86asm
;                           ^^^^^^^^^^^^^^^^^^^^^^ comment.line.double-slash.x86asm
    .intel_syntax noprefix
;   ^^^^^^^^^^^^^ keyword.control.directive.x86asm
    mov eax, DWORD PTR [ebx+8]
;            ^^^^^ storage.type.size.x86asm
;                  ^^^ storage.modifier.x86asm
    rdtscp
;   ^^^^^^ keyword.other.sensitive.virtlint.x86asm
