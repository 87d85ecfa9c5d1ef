; SYNTAX TEST "source.x86asm.virtlint" "virtlint comment markers"
    sidt [idtr]  ; virtlint-disable-line sidt -- measured on purpose
;                  ^^^^^^^^^^^^^^^^^^^^^ keyword.control.directive.suppression.virtlint.x86asm
;                                        ^^^^ constant.language.rule-id.virtlint.x86asm
;                                             ^^^^^^^^^^^^^^^^^^^^^^^ comment.line.semicolon.x86asm
;                                                ^^^^^^^^ - constant.language.rule-id.virtlint.x86asm
; virtlint-disable-next-line pushf, popf
; ^^^^^^^^^^^^^^^^^^^^^^^^^^ keyword.control.directive.suppression.virtlint.x86asm
;                            ^^^^^ constant.language.rule-id.virtlint.x86asm
;                                 ^ punctuation.separator.delimiter.x86asm
;                                   ^^^^ constant.language.rule-id.virtlint.x86asm
    popf        ; virtlint-fixed: popf
;   ^^^^ keyword.other.sensitive.virtlint.x86asm
;                 ^^^^^^^^^^^^^^ keyword.control.directive.suppression.virtlint.x86asm
;                                 ^^^^ constant.language.rule-id.virtlint.x86asm
# virtlint-disable-file far-ret
; <- comment.line.number-sign.x86asm
; ^^^^^^^^^^^^^^^^^^^^^ keyword.control.directive.suppression.virtlint.x86asm
;                       ^^^^^^^ constant.language.rule-id.virtlint.x86asm
    mov eax, 10 ; pushf in a comment is not an instruction
;                 ^^^^^ comment.line.semicolon.x86asm
;                 ^^^^^ - keyword.other.sensitive.virtlint.x86asm
    db "sidt ; not a comment", 0
;       ^^^^^^^^^^^^^^^^^^^^ string.quoted.double.x86asm
;            ^ - comment.line.semicolon.x86asm
