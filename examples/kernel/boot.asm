; Teaching-OS kernel entry. The boot sector loads this file at 0x8000 and jumps to it in
; real mode; from here we go to 32-bit protected mode, then to 64-bit long mode, install
; an IDT and finally drop to a ring-3 task with IRETQ.
;
; Build: nasm -f bin -o boot.bin boot.asm
; Lint:  npx virtlint examples/kernel/boot.asm

        bits 16
        org 0x8000

CODE32_SEL      equ 0x08
DATA_SEL        equ 0x10
CODE64_SEL      equ 0x18
USER_DATA_SEL   equ 0x20 | 3
USER_CODE_SEL   equ 0x28 | 3
PML4_ADDR       equ 0x70000
STACK_TOP       equ 0x7c00
USER_STACK_TOP  equ 0x60000

; virtlint-disable mov-sreg -- segment loads while switching modes; this code runs once at boot, before any guest exists
real_mode_entry:
        cli
        xor     ax, ax
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     sp, STACK_TOP

        lgdt    [gdt_descriptor]
        mov     eax, cr0
        or      al, 1                   ; CR0.PE
        mov     cr0, eax
        ; virtlint-disable-next-line far-jmp -- the mode switch needs a far jump; it runs once, before any guest code
        jmp     CODE32_SEL:protected_mode_entry

        bits 32
protected_mode_entry:
        mov     ax, DATA_SEL
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     esp, STACK_TOP
; virtlint-enable mov-sreg

        ; Long mode needs CPUID leaf 0x80000001, EDX bit 29.
        mov     eax, 0x80000000
        cpuid
        cmp     eax, 0x80000001
        jb      no_long_mode
        mov     eax, 0x80000001
        cpuid
        bt      edx, 29
        jnc     no_long_mode

        call    build_page_tables
        mov     eax, cr4
        or      eax, 1 << 5             ; CR4.PAE
        mov     cr4, eax
        mov     eax, PML4_ADDR
        mov     cr3, eax
        mov     ecx, 0xc0000080         ; IA32_EFER
        rdmsr
        or      eax, 1 << 8             ; EFER.LME
        wrmsr
        mov     eax, cr0
        or      eax, 1 << 31            ; CR0.PG
        mov     cr0, eax
        jmp     CODE64_SEL:long_mode_entry  ; virtlint-disable-line far-jmp -- reloads CS to enter 64-bit mode

no_long_mode:
        hlt
        jmp     no_long_mode

; Identity-map the first 2 MiB with one large page.
build_page_tables:
        mov     edi, PML4_ADDR
        mov     ecx, 3 * 4096 / 4
        xor     eax, eax
        rep stosd
        mov     dword [PML4_ADDR], PML4_ADDR + 0x1003
        mov     dword [PML4_ADDR + 0x1000], PML4_ADDR + 0x2003
        mov     dword [PML4_ADDR + 0x2000], 0x83
        ret

        bits 64
long_mode_entry:
        mov     rsp, STACK_TOP
        lidt    [idt_descriptor]

        ; Check that the IDT we just loaded is the one the CPU uses.
        sidt    [idt_check]
        mov     rax, [idt_check + 2]
        cmp     rax, idt_table
        jne     fatal

        ; Critical section: bump the tick count with interrupts off, then restore IF.
        pushfq
        cli
        inc     qword [ticks]
        popfq

        ; Enter user mode: SS, RSP, RFLAGS (IF set), CS, RIP.
        push    qword USER_DATA_SEL
        push    qword USER_STACK_TOP
        push    qword 0x202
        push    qword USER_CODE_SEL
        push    qword user_main
        iretq

fatal:
        cli
        hlt
        jmp     fatal

user_main:
        pause
        jmp     user_main

        align 8
gdt:
        dq 0                            ; null descriptor
        dq 0x00cf9a000000ffff           ; 0x08: 32-bit code
        dq 0x00cf92000000ffff           ; 0x10: data
        dq 0x00af9a000000ffff           ; 0x18: 64-bit code
        dq 0x00cff2000000ffff           ; 0x20: user data
        dq 0x00affa000000ffff           ; 0x28: user 64-bit code
gdt_end:

gdt_descriptor:
        dw gdt_end - gdt - 1
        dd gdt

        align 8
idt_descriptor:
        dw idt_table_end - idt_table - 1
        dq idt_table
idt_check:
        times 10 db 0
ticks:
        dq 0

        align 16
idt_table:
        times 256 * 16 db 0
idt_table_end:
