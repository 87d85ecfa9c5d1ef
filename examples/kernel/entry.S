/*
 * 32-bit multiboot-style entry for the teaching kernel, GNU as (AT&T) with the C preprocessor.
 * Build: gcc -c -o entry.o entry.S      Lint: npx virtlint examples/kernel/entry.S
 */
#include "segments.h"

#define STACK_SIZE 0x4000

        .section .text
        .code32
        .globl  _start
_start:
        cli
        movl    $stack_top, %esp

        /* CPUID exists if the ID flag (EFLAGS bit 21) can be toggled. */
        // virtlint-disable-next-line pushf -- only bit 21 (ID) of the pushed flags is used
        pushfl
        popl    %eax
        movl    %eax, %ecx
        xorl    $EFLAGS_ID, %eax
        pushl   %eax
        popfl                           # virtlint-disable-line popf -- only ID changes here; IF is already clear
        pushfl                          /* virtlint-disable-line pushf -- reads back bit 21 only */
        popl    %eax
        pushl   %ecx
        popfl                           # virtlint-disable-line popf -- restores the flags saved above, IF unchanged
        xorl    %ecx, %eax
        testl   $EFLAGS_ID, %eax
        jz      halt

        lgdt    gdt_descriptor
        ljmp    $KERNEL_CS32, $1f       /* reload CS from the new GDT */
1:
        movw    $KERNEL_DS, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %ss

        /* A far return is the other way to load CS: push selector and offset, then LRET. */
        pushl   $KERNEL_CS32
        pushl   $reloaded
        lret
reloaded:
        call    kernel_main32
halt:
        hlt
        jmp     halt

kernel_main32:
        /* Enable interrupts for the duration of a wait, then restore the caller's IF. */
        pushfl
        sti
        hlt
        popfl
        ret

        .code64
        .globl  long_mode_trampoline
long_mode_trampoline:
        /* Reached with a 64-bit CS already loaded; reload it explicitly after changing the GDT. */
        pushq   $KERNEL_CS64
        leaq    2f(%rip), %rax
        pushq   %rax
        lretq
2:
        ret

        .section .data
        .p2align 3
gdt:
        .quad   0
        .quad   0x00cf9a000000ffff      /* 0x08: 32-bit code */
        .quad   0x00cf92000000ffff      /* 0x10: data */
        .quad   0x00af9a000000ffff      /* 0x18: 64-bit code */
gdt_end:
gdt_descriptor:
        .word   gdt_end - gdt - 1
        .long   gdt

        .section .bss
        .p2align 4
stack_bottom:
        .skip   STACK_SIZE
stack_top:
