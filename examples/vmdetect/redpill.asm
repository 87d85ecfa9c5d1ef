; Four classic checks that tell a virtual machine from bare metal, as 32-bit MASM routines
; callable from C (cdecl). Each returns 1 in EAX when the check says "virtual machine".
; Lint with the audit profile: npx virtlint --profile vm-detection-audit examples/vmdetect/redpill.asm
;
; The checks read state that a trap-and-emulate VMM cannot hide, because the instructions
; run at CPL 3 without trapping. With hardware virtualization or CR4.UMIP most of them stop working.

        .686p
        .model flat, c

        .data
idtr_image      db 6 dup (0)            ; limit (2 bytes) + base (4 bytes)

        .code

; Red Pill: SIDT stores the IDTR. Early VMMs relocated the guest's IDT high in memory, so a
; base with 0xD0 or more in the top byte meant "not the real IDT".
redpill PROC
        sidt    fword ptr [idtr_image]
        mov     eax, dword ptr [idtr_image + 2]
        shr     eax, 24
        cmp     eax, 0D0h
        setae   al
        movzx   eax, al
        ret
redpill ENDP

; No Pill: SLDT stores the LDTR selector. Windows does not use an LDT, so a non-zero
; selector came from the VMM.
nopill PROC
        sldt    ax
        movzx   eax, ax
        test    eax, eax
        setnz   al
        movzx   eax, al
        ret
nopill ENDP

; STR 0x4000 check: some VMMs gave the guest a task register selector of 4000h.
str_check PROC
        xor     eax, eax
        str     ax
        cmp     ax, 4000h
        sete    al
        movzx   eax, al
        ret
str_check ENDP

; CPUID is present when the ID flag (EFLAGS bit 21) can be changed; only that bit is used.
cpuid_present PROC
        ; virtlint-disable-next-line pushf -- only the ID bit is read, never IF or IOPL
        pushfd
        pop     eax
        mov     ecx, eax
        xor     eax, 200000h
        push    eax
        popfd                           ; virtlint-disable-line popf -- changes only the ID bit
        pushfd                          ; virtlint-disable-line pushf -- reads back the ID bit
        pop     eax
        xor     eax, ecx
        shr     eax, 21
        and     eax, 1
        ret
cpuid_present ENDP

; CPUID leaf 1 ECX bit 31 is reserved on real hardware; hypervisors set it.
hypervisor_bit PROC
        push    ebx                     ; CPUID overwrites EBX, which cdecl callers expect kept
        mov     eax, 1
        cpuid
        bt      ecx, 31
        setc    al
        movzx   eax, al
        pop     ebx
        ret
hypervisor_bit ENDP

        END
