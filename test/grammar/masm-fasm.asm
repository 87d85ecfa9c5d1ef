; SYNTAX TEST "source.x86asm.virtlint" "MASM and FASM"
.model flat, stdcall
; <- keyword.control.directive.x86asm
.386
; <- keyword.control.directive.x86asm
_TEXT SEGMENT
; <- entity.name.function.x86asm
;     ^^^^^^^ keyword.control.directive.x86asm
Probe PROC
; <- entity.name.function.x86asm
;     ^^^^ keyword.control.directive.x86asm
    CPUID
;   ^^^^^ keyword.other.sensitive.virtlint.x86asm
    RDTSC
;   ^^^^^ keyword.other.sensitive.virtlint.x86asm
    xgetbv
;   ^^^^^^ keyword.other.sensitive.virtlint.x86asm
    rdpmc
;   ^^^^^ keyword.other.sensitive.virtlint.x86asm
    rdpid rax
;   ^^^^^ keyword.other.sensitive.virtlint.x86asm
    call FAR PTR target
;        ^^^ storage.modifier.far.sensitive.virtlint.x86asm
    mov eax, OFFSET buffer
;            ^^^^^^ storage.modifier.x86asm
@@: dec ecx
; <- entity.name.function.label.x86asm
;   ^^^ keyword.other.instruction.x86asm
    ret
;   ^^^ keyword.other.instruction.x86asm
;   ^^^ - keyword.other.sensitive.virtlint.x86asm
Probe ENDP
; <- entity.name.function.x86asm
count = 4
; <- entity.name.constant.x86asm
;     ^ keyword.operator.assignment.x86asm
format PE console
; <- keyword.control.directive.x86asm
use16
; <- keyword.control.directive.x86asm
buf rb 64
; <- entity.name.variable.x86asm
;   ^^ keyword.control.directive.data.x86asm
