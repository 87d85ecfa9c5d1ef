; SYNTAX TEST "source.x86asm.virtlint" "NASM / YASM"
; virtlint: dialect=nasm bits=32
; ^^^^^^^^ keyword.control.directive.modeline.virtlint.x86asm
%define GDT_SIZE 6
; <- punctuation.definition.directive.x86asm
;^^^^^^ keyword.control.directive.preprocessor.x86asm
;       ^^^^^^^^ entity.name.function.macro.x86asm
;                ^ constant.numeric.decimal.x86asm
[bits 32]
; <- punctuation.definition.directive.begin.x86asm
;^^^^ keyword.control.directive.x86asm
;     ^^ constant.numeric.decimal.x86asm
section .text
; <- keyword.control.directive.x86asm
global probe
; <- keyword.control.directive.x86asm
probe:
; <- entity.name.function.label.x86asm
;    ^ punctuation.separator.label.x86asm
    sidt [gdt_buf]          ; leaks the IDTR base
;   ^^^^ keyword.other.sensitive.virtlint.x86asm
;        ^ punctuation.definition.memory.begin.x86asm
;                ^ punctuation.definition.memory.end.x86asm
;                           ^^^^^^^^^^^^^^^^^^^^^^ comment.line.semicolon.x86asm
    mov eax, [esp+4]
;   ^^^ keyword.other.instruction.x86asm
;   ^^^ - keyword.other.sensitive.virtlint.x86asm
;       ^^^ variable.language.register.general.x86asm
;             ^^^ variable.language.register.general.x86asm
;                 ^ constant.numeric.decimal.x86asm
    mov ds, ax
;   ^^^ keyword.other.instruction.x86asm
;       ^^ variable.language.register.segment.x86asm
    push cs
;   ^^^^ keyword.other.instruction.x86asm
;        ^^ variable.language.register.segment.x86asm
.loop:  pushfd
; <- entity.name.function.label.x86asm
;       ^^^^^^ keyword.other.sensitive.virtlint.x86asm
    lock cmpxchg [ebx], ecx
;   ^^^^ storage.modifier.prefix.x86asm
;        ^^^^^^^ keyword.other.instruction.x86asm
    o16 popf
;   ^^^ storage.modifier.prefix.x86asm
;       ^^^^ keyword.other.sensitive.virtlint.x86asm
    jmp far [farptr]
;   ^^^ keyword.other.instruction.x86asm
;       ^^^ storage.modifier.far.sensitive.virtlint.x86asm
    call dword far [farptr]
;        ^^^^^ storage.type.size.x86asm
;              ^^^ storage.modifier.far.sensitive.virtlint.x86asm
    jmp short .loop
;   ^^^ keyword.other.instruction.x86asm
;       ^^^^^ storage.modifier.x86asm
    retf
;   ^^^^ keyword.other.sensitive.virtlint.x86asm
    iretd
;   ^^^^^ keyword.other.sensitive.virtlint.x86asm
    int 0x80
;   ^^^ keyword.other.sensitive.virtlint.x86asm
;       ^^^^ constant.numeric.hex.x86asm
    int3
;   ^^^^ keyword.other.instruction.x86asm
    mov cr0, eax
;       ^^^ variable.language.register.system.x86asm
    movaps xmm0, [rel table]
;          ^^^^ variable.language.register.vector.x86asm
;                 ^^^ storage.modifier.x86asm
    mov byte [es:di], 0FFh
;       ^^^^ storage.type.size.x86asm
;             ^^ variable.language.register.segment.x86asm
;               ^ punctuation.separator.segment.x86asm
;                     ^^^^ constant.numeric.hex.x86asm
    mov al, 1010b
;           ^^^^^ constant.numeric.binary.x86asm
    mov al, 17q
;           ^^^ constant.numeric.octal.x86asm
msg db "hi\n", 0, `tab\t`
; <- entity.name.variable.x86asm
;   ^^ keyword.control.directive.data.x86asm
;      ^^^^^^ string.quoted.double.x86asm
;         ^^ constant.character.escape.x86asm
;                 ^^^^^^^ string.quoted.other.backtick.x86asm
SIZE equ 16
; <- entity.name.constant.x86asm
;    ^^^ keyword.control.directive.x86asm
times 510-($-$$) db 0
; <- keyword.control.directive.x86asm
;          ^ variable.language.location-counter.x86asm
;            ^^ variable.language.location-counter.x86asm
;                ^^ keyword.control.directive.data.x86asm
%macro SAVE 1
;      ^^^^ entity.name.function.macro.x86asm
    push %1
;        ^^ variable.parameter.macro.x86asm
%endmacro
;^^^^^^^^ keyword.control.directive.preprocessor.x86asm
    str ax
;   ^^^ keyword.other.sensitive.virtlint.x86asm
    mov [str], eax
;        ^^^ - keyword.other.sensitive.virtlint.x86asm
