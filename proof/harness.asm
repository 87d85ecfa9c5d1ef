; virtlint proof bench: a bare-metal multiboot kernel that runs one case at CPL 3.
;
; Build: nasm -f bin -DLM=0|1 -DCASE_FILE='"case.inc"' harness.asm -o case.bin
; Run:   qemu-system-x86_64 -accel tcg -cpu max -kernel case.bin -debugcon stdio
;        -device isa-debug-exit,iobase=0xf4,iosize=4 ...
;        or on Bochs from a disk image built with bochs/boot.asm (see lib/models.js)
;
; Ring 0 builds a GDT (ring 0/3 code and data, TSS, LDT), an IDT whose every
; exception reports vector, error code and faulting IP on port 0xE9, a few DPL-3
; service gates, and a minimal monitor that recognises trapping replacements
; (forced-emulation prefix, VMCALL/VMMCALL, the hypercall page, MOV from CR0,
; CLI/STI) and emulates them. It then drops to ring 3 (IOPL 0) with IRET.
;
; The case file supplies:
;   case_ring0:  called at CPL 0 before the drop (controls, CR4/MSR set-up); ends with RET
;   case_ring3:  entered at CPL 3; ends with EXIT
;   hc_dispatch: (optional, CASE_HAS_HC) ring-0 hypercall emulation, see below
;
; Output lines (one per event, all numbers hex):
;   R <cpl> <name> <value>           a REPORT
;   D <cpl> <name> ax=.. bx=.. cx=.. dx=.. si=.. di=.. bp=.. sp=.. fl=..   a DUMP
;   X <cpl> <vector> <error> <ip>    an exception that no monitor path claimed
;   M <cpl> <kind> <ip> <detail>     the monitor recognised and emulated something
;   G <cpl> <vector>                 a test gate (0x40 DPL 0, 0x41 DPL 3) was entered
;   S <text>                         a harness service message
;   END / FATAL <why>

%ifndef LM
  %define LM 0
%endif

ORG_ADDR   equ 0x100000
SEL_CODE0  equ 0x08
SEL_DATA0  equ 0x10
SEL_CODE3  equ 0x1B
SEL_DATA3  equ 0x23
SEL_TSS    equ 0x28
SEL_LDT    equ 0x38

%if LM
SENT equ 0xA5A5A5A5A5A5A5A5    ; a value no probed instruction produces
%else
SENT equ 0xA5A5A5A5
%endif
TSC_AUX_VALUE equ 0x5A3       ; what ring 0 writes to IA32_TSC_AUX

EFL_CF  equ 0x0001
EFL_TF  equ 0x0100
EFL_IF  equ 0x0200
EFL_DF  equ 0x0400
EFL_IOPL equ 0x3000

CR4_TSD   equ 1 << 2
CR4_PCE   equ 1 << 8
CR4_UMIP  equ 1 << 11
CR4_OSXSAVE equ 1 << 18

%if LM
  %define zax rax
  %define zbx rbx
  %define zcx rcx
  %define zdx rdx
  %define zsi rsi
  %define zdi rdi
  %define zbp rbp
  %define zsp rsp
  %define PTR qword
  %define DW_ dq
  WSZ equ 8
%else
  %define zax eax
  %define zbx ebx
  %define zcx ecx
  %define zdx edx
  %define zsi esi
  %define zdi edi
  %define zbp ebp
  %define zsp esp
  %define PTR dword
  %define DW_ dd
  WSZ equ 4
%endif

; Frame built by isr_common, addressed from zbp.
%if LM
  F_R15 equ 0
  F_R14 equ 8
  F_R13 equ 16
  F_R12 equ 24
  F_R11 equ 32
  F_R10 equ 40
  F_R9  equ 48
  F_R8  equ 56
  F_DI  equ 64
  F_SI  equ 72
  F_BP  equ 80
  F_BX  equ 88
  F_DX  equ 96
  F_CX  equ 104
  F_AX  equ 112
  F_VEC equ 120
  F_ERR equ 128
  F_IP  equ 136
  F_CS  equ 144
  F_FL  equ 152
  F_SP  equ 160
  F_SS  equ 168
  F_SIZE equ 176
%else
  F_DI  equ 0
  F_SI  equ 4
  F_BP  equ 8
  F_SPX equ 12                 ; pushad's copy of ESP, unused
  F_BX  equ 16
  F_DX  equ 20
  F_CX  equ 24
  F_AX  equ 28
  F_VEC equ 32
  F_ERR equ 36
  F_IP  equ 40
  F_CS  equ 44
  F_FL  equ 48
  F_SP  equ 52                 ; only present when the interrupted code was at CPL 3
  F_SS  equ 56
  F_SIZE equ 60
%endif

%define ABS(x) ((x) - $$ + ORG_ADDR)

; ---- macros for cases -------------------------------------------------------

; REPORT "name", value   value: a z-register, an immediate or PTR [mem]. Keeps every register and flag.
%macro REPORT 2
  push %2
  push %%name
  int 0x80
  lea zsp, [zsp + 2*WSZ]
  jmp %%over
%%name: db %1, 0
%%over:
%endmacro

; DUMP "name": prints every general register and the flags as they are. Keeps everything.
%macro DUMP 1
  push %%name
  int 0x81
  lea zsp, [zsp + WSZ]
  jmp %%over
%%name: db %1, 0
%%over:
%endmacro

; MEMDUMP "name", address, length(bytes): prints the bytes. Keeps everything.
%macro MEMDUMP 3
  push %3
  push %2
  push %%name
  push 3
  int 0x82
  lea zsp, [zsp + 4*WSZ]
  jmp %%over
%%name: db %1, 0
%%over:
%endmacro

; STACKDUMP "name": prints 4*WSZ bytes from the stack pointer as it is. Keeps everything.
%macro STACKDUMP 1
  push %%name
  push 4
  int 0x82
  lea zsp, [zsp + 2*WSZ]
  jmp %%over
%%name: db %1, 0
%%over:
%endmacro

; ON_FAULT label: the next unclaimed exception resumes at label (once).
%macro ON_FAULT 1
  mov PTR [resume_ip], %1
%endmacro

; CR4_SET bits / CR4_CLEAR bits: ask ring 0 to change CR4 (keeps registers).
%macro CR4_SET 1
  push %1
  push 1
  int 0x82
  lea zsp, [zsp + 2*WSZ]
%endmacro
%macro CR4_CLEAR 1
  push %1
  push 2
  int 0x82
  lea zsp, [zsp + 2*WSZ]
%endmacro

; MONITOR_OFF / MONITOR_ON: with the monitor off every #UD/#GP is reported raw (X line).
%macro MONITOR_OFF 0
  mov byte [monitor_off], 1
%endmacro
%macro MONITOR_ON 0
  mov byte [monitor_off], 0
%endmacro

%macro EXIT 0
  push 0
  int 0x82
%endmacro

; ---- macros of the harness itself ------------------------------------------

; The guest's IF and IOPL in the flags image in eax become the monitor's virtual ones (edx is lost).
%macro VIRTUAL_FLAGS_FROM_EAX 0
  mov edx, eax
  shr edx, 9
  and dl, 1
  mov [virtual_if], dl
  mov edx, eax
  shr edx, 12
  and dl, 3
  mov [virtual_iopl], dl
%endmacro

; A trap from the 16-bit guest (the vector and an error code pushed): saves its registers and
; segment registers (low_guest_sregs: ES, CS, SS, DS, FS, GS), points DS and ES at flat data, and
; leaves ebp = the frame, esi = the linear address of the instruction that trapped.
%macro LOW_GUEST_FRAME 0
  pushad
  mov ebp, esp
  mov [ss:low_guest_sregs + 0], es
  mov [ss:low_guest_sregs + 6], ds
  mov [ss:low_guest_sregs + 8], fs
  mov [ss:low_guest_sregs + 10], gs
  mov ax, SEL_DATA0
  mov ds, ax
  mov es, ax
  cld
  mov eax, [ebp + F_SS]
  mov [low_guest_sregs + 4], ax
  mov eax, [ebp + F_CS]
  mov [low_guest_sregs + 2], ax
  call descriptor_base
  add eax, [ebp + F_IP]
  mov esi, eax
%endmacro

; ---- image -------------------------------------------------------------------

  [bits 32]
  org ORG_ADDR

multiboot_header:
  dd 0x1BADB002
  dd 0x00010000
  dd -(0x1BADB002 + 0x00010000)
  dd ABS(multiboot_header)
  dd ORG_ADDR
  dd ABS(image_end)
  dd ABS(image_end)
  dd ABS(boot32)

boot32:
  cli
  mov al, 0xFF                 ; mask both PICs: no device interrupt may land on an exception vector
  out 0x21, al
  out 0xA1, al
  lgdt [gdt_ptr]
  mov ax, SEL_DATA0
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov esp, ABS(stack0_top)
%if LM
  ; identity-map the first 1 GiB with 2 MiB user-accessible pages
  mov edi, pd
  xor eax, eax
  mov ecx, 512
.fill_pd:
  mov edx, eax
  shl edx, 21
  or edx, 0x87                 ; present, writable, user, 2 MiB
  mov [edi + eax*8], edx
  mov dword [edi + eax*8 + 4], 0
  inc eax
  loop .fill_pd
  mov dword [pdpt], ABS(pd) + 7
  mov dword [pml4], ABS(pdpt) + 7
  mov eax, cr4
  or eax, 1 << 5               ; PAE
  mov cr4, eax
  mov eax, ABS(pml4)
  mov cr3, eax
  mov ecx, 0xC0000080          ; EFER.LME
  rdmsr
  or eax, 1 << 8
  wrmsr
  mov eax, cr0
  or eax, 0x80000001
  mov cr0, eax
  jmp SEL_CODE0:ABS(kernel_entry)
%else
  ; CR0.WP (bit 16; no effect without paging) gives the 32-bit CR0 a bit above bit 15, as
  ; long mode's PG does, so SMSW r32 (all of CR0) and SMSW r16/m16 (CR0[15:0]) differ
  mov eax, cr0
  or eax, 1 << 16
  mov cr0, eax
  jmp SEL_CODE0:ABS(kernel_entry)
%endif

%if LM
  [bits 64]
%endif
kernel_entry:
  mov ax, SEL_DATA0
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov fs, ax
  mov gs, ax
  mov zsp, ABS(stack0_top)
  call build_idt
  lidt [idt_ptr]
  ; TSS: ring-0 stack for transitions from ring 3
%if LM
  mov qword [tss + 4], ABS(stack0_top)
  mov qword [tss + 36], ABS(stack_db_top)      ; IST1 for #DB
  mov word [tss + 102], tss_end - tss
%else
  mov dword [tss + 4], ABS(stack0_top)
  mov dword [tss + 8], SEL_DATA0
  mov word [tss + 102], tss_end - tss
%endif
  mov ax, SEL_TSS
  ltr ax
  mov ax, SEL_LDT
  lldt ax
  mov zsi, msg_boot
  call puts

  call case_ring0

  ; drop to ring 3 with IOPL 0 and IF 1
  mov ax, SEL_DATA3
  mov ds, ax
  mov es, ax
  mov fs, ax
  mov gs, ax
  push SEL_DATA3
  push ABS(stack3_top)
  push EFL_IF | 2
  push SEL_CODE3
  push ABS(case_ring3)
%if LM
  iretq
%else
  iretd
%endif

; ---- IDT ---------------------------------------------------------------------

; fill one gate: zax = handler, ecx = vector, dl = type/DPL byte (0x8E DPL0, 0xEE DPL3), dh = IST
set_gate:
%if LM
  push rdi
  mov rdi, rcx
  shl rdi, 4
  add rdi, idt
  mov [rdi], ax
  mov word [rdi + 2], SEL_CODE0
  mov [rdi + 4], dh
  mov [rdi + 5], dl
  shr rax, 16
  mov [rdi + 6], ax
  shr rax, 16
  mov [rdi + 8], eax
  mov dword [rdi + 12], 0
  pop rdi
%else
  push edi
  lea edi, [idt + ecx*8]
  mov [edi], ax
  mov word [edi + 2], SEL_CODE0
  mov byte [edi + 4], 0
  mov [edi + 5], dl
  shr eax, 16
  mov [edi + 6], ax
  pop edi
%endif
  ret

build_idt:
  xor ecx, ecx
.exc:
  mov zax, [isr_table + zcx*WSZ]
  mov dl, 0x8E
  mov dh, 0
  cmp ecx, 1
  jne .not_db
  mov dh, 1                    ; #DB on its own stack (long mode; ignored in 32-bit)
.not_db:
  cmp ecx, 3
  jne .not_bp
  mov dl, 0xEE                 ; INT3 gate is DPL 3, as in real kernels
.not_bp:
  call set_gate
  inc ecx
  cmp ecx, 32
  jb .exc
  mov zax, isr_0x40
  mov ecx, 0x40
  mov dx, 0x008E               ; DPL 0 test gate
  call set_gate
  mov zax, isr_0x41
  mov ecx, 0x41
  mov dx, 0x00EE               ; DPL 3 test gate
  call set_gate
  mov zax, isr_0x80
  mov ecx, 0x80
  mov dx, 0x00EE
  call set_gate
  mov zax, isr_0x81
  mov ecx, 0x81
  mov dx, 0x00EE
  call set_gate
  mov zax, isr_0x82
  mov ecx, 0x82
  mov dx, 0x00EE
  call set_gate
  ret

%macro ISR_NOERR 1
isr_%1:
  push 0
  push %1
  jmp isr_common
%endmacro
%macro ISR_ERR 1
isr_%1:
  push %1
  jmp isr_common
%endmacro

%assign v 0
%rep 32
  %if v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30
    ISR_ERR %[v]
  %else
    ISR_NOERR %[v]
  %endif
  %assign v v + 1
%endrep
ISR_NOERR 0x40
ISR_NOERR 0x41
ISR_NOERR 0x80
ISR_NOERR 0x81
ISR_NOERR 0x82

isr_common:
%if LM
  push rax
  push rcx
  push rdx
  push rbx
  push rbp
  push rsi
  push rdi
  push r8
  push r9
  push r10
  push r11
  push r12
  push r13
  push r14
  push r15
%else
  pushad
%endif
  mov zbp, zsp
  cld
  call dispatch
isr_return:
%if LM
  pop r15
  pop r14
  pop r13
  pop r12
  pop r11
  pop r10
  pop r9
  pop r8
  pop rdi
  pop rsi
  pop rbp
  pop rbx
  pop rdx
  pop rcx
  pop rax
  add rsp, 16
  iretq
%else
  popad
  add esp, 8
  iretd
%endif

; ---- output ------------------------------------------------------------------

putc:                          ; al
  out 0xE9, al
  ret

puts:                          ; zsi: NUL-terminated
  push zsi
  push zax
.next:
  lodsb
  test al, al
  jz .done
  out 0xE9, al
  jmp .next
.done:
  pop zax
  pop zsi
  ret

puthex:                        ; zax, all WSZ*2 digits
  push zax
  push zcx
  push zdx
  mov zdx, zax
  mov ecx, WSZ * 2
.digit:
  rol zdx, 4
  mov al, dl
  and al, 0x0F
  add al, '0'
  cmp al, '9'
  jbe .out
  add al, 'a' - '0' - 10
.out:
  out 0xE9, al
  loop .digit
  pop zdx
  pop zcx
  pop zax
  ret

puthex16:                      ; ax as four digits
  push zax
  xchg al, ah
  call puthex8
  xchg al, ah
  call puthex8
  pop zax
  ret

puthex8:                       ; al as two digits
  push zax
  push zdx
  mov dl, al
  shr al, 4
  call .nib
  mov al, dl
  call .nib
  pop zdx
  pop zax
  ret
.nib:
  and al, 0x0F
  add al, '0'
  cmp al, '9'
  jbe .o
  add al, 'a' - '0' - 10
.o:
  out 0xE9, al
  ret

space:
  push zax
  mov al, ' '
  out 0xE9, al
  pop zax
  ret

newline:
  push zax
  mov al, 10
  out 0xE9, al
  pop zax
  ret

; "<letter> <cpl>" for the frame in zbp; al = letter
put_head:
  call putc
  call space
  mov zax, [zbp + F_CS]
  and eax, 3
  add al, '0'
  call putc
  jmp space

; zax = the interrupted stack pointer of the frame in zbp
frame_sp:
%if LM
  mov rax, [rbp + F_SP]
%else
  test dword [ebp + F_CS], 3
  jz .same
  mov eax, [ebp + F_SP]
  ret
.same:
  lea eax, [ebp + F_SP]
%endif
  ret

finish:                        ; al = exit value
  push zax
  mov zsi, msg_end
  call puts
  pop zax
  out 0xF4, al
  jmp bochs_shutdown

fatal:                         ; zsi = reason
  push zsi
  mov zsi, msg_fatal
  call puts
  pop zsi
  call puts
  call newline
  mov al, 3
  out 0xF4, al
  jmp bochs_shutdown

; QEMU has stopped at the isa-debug-exit write above. Bochs has no such device: its
; shutdown port (0x8900) stops the simulation when it is sent the word "Shutdown".
bochs_shutdown:
  cli
  mov zsi, msg_bochs_shutdown
  mov dx, 0x8900
.next:
  lodsb
  test al, al
  jz .halt
  out dx, al
  jmp .next
.halt:
  hlt
  jmp .halt

; ---- dispatcher (zbp = frame) --------------------------------------------------

dispatch:
  mov zax, [zbp + F_VEC]
  cmp byte [emu_active], 0
  je .not_emu
  cmp eax, 1
  je emu_finish
  ; INT n being emulated: its handler runs, then the emulation ends after the INT
  ; (TF is clear inside the handler, so no #DB would come until one more instruction)
  cmp eax, 0x40
  je .emu_gate
  cmp eax, 0x41
  je .emu_gate
  jmp emu_fault
.emu_gate:
  call svc_gate
  jmp emu_finish
.not_emu:
  cmp eax, 0x80
  je svc_report
  cmp eax, 0x81
  je svc_dump
  cmp eax, 0x82
  je svc_misc
  cmp eax, 0x40
  je svc_gate
  cmp eax, 0x41
  je svc_gate
  cmp byte [monitor_off], 0
  jne report_exception
  cmp eax, 6
  je .monitor
  cmp eax, 13
  je .monitor
  jmp report_exception
.monitor:
  call monitor_try
  test eax, eax
  jnz .claimed
  jmp report_exception
.claimed:
  ret

report_exception:
  ; a fault the ring-0 hypervisor code expected (it set r0_fixup): continue there instead
  test byte [zbp + F_CS], 3
  jnz .not_fixup
  mov zax, [r0_fixup]
  test zax, zax
  jz .not_fixup
  mov [zbp + F_IP], zax
  mov PTR [r0_fixup], 0
  mov zax, [zbp + F_VEC]
  mov [r0_fault_vec], zax
  mov zax, [zbp + F_ERR]
  mov [r0_fault_err], zax
  ret
.not_fixup:
  mov al, 'X'
  call put_head
  mov zax, [zbp + F_VEC]
  call puthex8
  call space
  mov zax, [zbp + F_ERR]
  call puthex
  call space
  mov zax, [zbp + F_IP]
  call puthex
  call newline
  mov zax, [resume_ip]
  test zax, zax
  jz .fatal
  mov [zbp + F_IP], zax
  mov PTR [resume_ip], 0
  ret
.fatal:
  mov zsi, msg_unexpected
  jmp fatal

svc_gate:
  mov al, 'G'
  call put_head
  mov zax, [zbp + F_VEC]
  call puthex8
  call newline
  ret

svc_report:                    ; [sp] = name, [sp+WSZ] = value
  mov al, 'R'
  call put_head
  call frame_sp
  mov zbx, zax
  mov zsi, [zbx]
  call puts
  call space
  mov zax, [zbx + WSZ]
  call puthex
  call newline
  ret

%macro PUT_REG 2               ; "label", frame offset
  mov zsi, %%l
  call puts
  mov zax, [zbp + %2]
  call puthex
  jmp %%o
%%l: db ' ', %1, '=', 0
%%o:
%endmacro

svc_dump:                      ; [sp] = name
  mov al, 'D'
  call put_head
  call frame_sp
  mov zbx, zax
  mov zsi, [zbx]
  call puts
  PUT_REG 'ax', F_AX
  PUT_REG 'bx', F_BX
  PUT_REG 'cx', F_CX
  PUT_REG 'dx', F_DX
  PUT_REG 'si', F_SI
  PUT_REG 'di', F_DI
  PUT_REG 'bp', F_BP
  mov zsi, msg_sp
  call puts
  lea zax, [zbx + WSZ]          ; the stack pointer before DUMP pushed its name
  call puthex
  PUT_REG 'fl', F_FL
  call newline
  ret

svc_misc:                      ; [sp] = function
  call frame_sp
  mov zbx, zax
  mov zax, [zbx]
  cmp eax, 0
  je .exit
  cmp eax, 1
  je .cr4_set
  cmp eax, 2
  je .cr4_clear
  cmp eax, 3
  je .memdump
  cmp eax, 4
  je .stackdump
  mov zsi, msg_bad_service
  jmp fatal
.exit:
  mov al, 0
  jmp finish
.cr4_set:
  mov zcx, [zbx + WSZ]
  test ecx, CR4_UMIP
  jz .set_ok
  ; QEMU 7.2 TCG livelocks on CR4.UMIP when the CPU model lacks it: ask CPUID first
  push zbx
  push zcx
  mov eax, 7
  xor ecx, ecx
  cpuid
  mov eax, ecx
  pop zcx
  pop zbx
  test eax, 1 << 2
  jnz .set_ok
  mov zsi, msg_no_umip
  jmp fatal
.set_ok:
  mov zax, cr4
  or zax, zcx
  mov cr4, zax
  jmp .cr4_show
.cr4_clear:
  mov zcx, [zbx + WSZ]
  not zcx
  mov zax, cr4
  and zax, zcx
  mov cr4, zax
.cr4_show:
  mov zsi, msg_cr4
  call puts
  mov zax, cr4
  call puthex
  call newline
  ret
.stackdump:                    ; [sp+WSZ] name; dumps 4*WSZ bytes from the caller's stack pointer
  mov al, 'B'
  call put_head
  mov zsi, [zbx + WSZ]
  call puts
  call space
  lea zsi, [zbx + 2*WSZ]
  mov zcx, 4*WSZ
  jmp .byte
.memdump:                      ; [sp+WSZ] name, [sp+2W] address, [sp+3W] length
  mov al, 'B'
  call put_head
  mov zsi, [zbx + WSZ]
  call puts
  call space
  mov zsi, [zbx + 2*WSZ]
  mov zcx, [zbx + 3*WSZ]
.byte:
  test zcx, zcx
  jz .bytes_done
  lodsb
  call puthex8
  dec zcx
  jmp .byte
.bytes_done:
  call newline
  ret

; ---- monitor -------------------------------------------------------------------
; Returns eax = 1 when it recognised the faulting instruction and took care of it.

monitor_try:
  mov zsi, [zbp + F_IP]
  mov eax, [zbp + F_VEC]
  cmp eax, 6
  jne .gp
  ; #UD: forced-emulation prefix ud2 + "kvm"/"xen"?
  cmp word [zsi], 0x0B0F
  jne .ud_not_fep
  cmp byte [zsi + 2], 'k'
  jne .try_xen
  cmp word [zsi + 3], 'vm'
  jne .ud_not_fep
  mov zdi, msg_fep_kvm
  jmp .fep
.try_xen:
  cmp byte [zsi + 2], 'x'
  jne .ud_not_fep
  cmp word [zsi + 3], 'en'
  jne .ud_not_fep
  mov zdi, msg_fep_xen
.fep:
  call monitor_event
  add zsi, 5
  jmp emu_start                ; never returns here
.ud_not_fep:
  ; VMCALL (0f 01 c1) / VMMCALL (0f 01 d9): hypercall number in eax
  cmp word [zsi], 0x010F
  jne .ud_not_vmcall
  mov zdi, msg_vmcall
  cmp byte [zsi + 2], 0xC1
  je .vmcall
  mov zdi, msg_vmmcall
  cmp byte [zsi + 2], 0xD9
  jne .ud_not_vmcall
.vmcall:
  mov zax, [zbp + F_IP]
  mov [hc_site_ip], zax
  mov zax, [zbp + F_AX]
  call monitor_event_nr
  add PTR [zbp + F_IP], 3
  jmp hypercall
.ud_not_vmcall:
  ; a stub of the hypercall page: number = offset / 32
  mov zax, zsi
  sub zax, hypercall_page
  cmp zax, 4096
  jae .no
  shr eax, 5
  push zax
  mov zax, [zbp + F_IP]
  mov [hc_site_ip], zax
  pop zax
  mov zdi, msg_hcpage
  call monitor_event_nr
  add PTR [zbp + F_IP], 2      ; past the stub's ud2; its RET returns to the caller
  jmp hypercall
.gp:
  ; #GP at CPL 3 only
  test byte [zbp + F_CS], 3
  jz .no
  mov al, [zsi]
  cmp al, 0xFA
  je .cli
  cmp al, 0xFB
  je .sti
  mov zdi, zsi
%if LM
  mov al, [zdi]
  and al, 0xF0
  cmp al, 0x40                 ; REX
  jne .no_rex
  inc zdi
.no_rex:
%endif
  cmp word [zdi], 0x200F        ; MOV r, CRn: emulate by running it at CPL 0
  jne .no
  mov zdi, msg_movcr
  call monitor_event
  jmp emu_start
.cli:
  mov byte [virtual_if], 0
  mov zdi, msg_cli
  call monitor_event
  inc PTR [zbp + F_IP]
  mov eax, 1
  ret
.sti:
  mov byte [virtual_if], 1
  mov zdi, msg_sti
  call monitor_event
  inc PTR [zbp + F_IP]
  mov eax, 1
  ret
.no:
  xor eax, eax
  ret

; "M <cpl> <kind> <ip>" ; zdi = kind
monitor_event:
  push zax
  push zsi
  mov al, 'M'
  call put_head
  mov zsi, zdi
  call puts
  call space
  mov zax, [zbp + F_IP]
  call puthex
  call newline
  pop zsi
  pop zax
  ret

; "M <cpl> <kind> <ip> <nr>" ; zdi = kind, zax = number
monitor_event_nr:
  push zax
  push zsi
  push zax
  mov al, 'M'
  call put_head
  mov zsi, zdi
  call puts
  call space
  mov zax, [zbp + F_IP]
  call puthex
  call space
  pop zax
  call puthex
  call newline
  pop zsi
  pop zax
  ret

; Hypercall: zax = number. The case's hc_dispatch (ring 0, zbp = frame) does the
; work and returns eax = 1 if it knew the number.
hypercall:
%ifdef CASE_HAS_HC
  call hc_dispatch
  test eax, eax
  jz .unknown
  mov eax, 1
  ret
%endif
.unknown:
  mov zsi, msg_unknown_hc
  jmp fatal


; ---- hypervisor side of the VIRTLINT_HC_* hypercalls ---------------------------
; The case's hc_dispatch (generated per ABI) fetches the number and arguments from the
; frame into hc_out (where results go; 0 = none) and hc_in0..3, then jumps to one of the
; hv_* routines below. Each performs the original instruction's CPL 0 meaning with the
; monitor's virtual IF/IOPL, writes results, adjusts the guest's flags in the frame when
; the instruction would, and returns eax = 1. The fix sequences themselves move results
; from hc_out into place. Every routine writes exactly the bytes the contract in the fix
; engine's hypercallHeader names (hc_out may be the guest's own memory operand, whose
; neighbouring bytes are live), whatever the case being run.

%macro HV_STORE_W 0            ; store zax (WSZ bytes) at [hc_out]: LAR/LSL's 4 or 8 bytes
  mov zdi, [hc_out]
  mov [zdi], zax
%endmacro

%macro HV_STORE_N 1            ; store the low %1 bytes (a constant 2 or 4) of zax at [hc_out]
  mov zdi, [hc_out]
%if %1 == 2
  mov [zdi], ax
%elif %1 == 4
  mov [zdi], eax
%else
  %error HV_STORE_N takes 2 or 4
%endif
%endmacro

%macro HV_ZF 0                 ; copy the current ZF into the guest's flags
  pushf
  pop zdx
  and edx, 0x40
  and PTR [zbp + F_FL], ~0x40
  or [zbp + F_FL], zdx
%endmacro

hv_done:
  mov eax, 1
  ret

; store the low zcx bytes of zax at [hc_out]; zcx comes from the guest and must be one of
; the sizes the contract allows: 2, 4 or (long mode) 8
hv_store_sized:
  mov zdi, [hc_out]
  cmp zcx, 2
  je .word
  cmp zcx, 4
  je .dword
%if LM
  cmp zcx, 8
  je .qword
%endif
  mov zsi, msg_bad_hc_size
  jmp fatal
.word:
  mov [zdi], ax
  ret
.dword:
  mov [zdi], eax
  ret
%if LM
.qword:
  mov [zdi], rax
  ret
%endif

hv_sgdt:
  mov zdi, [hc_out]
  sgdt [zdi]
  jmp hv_done
hv_sidt:
  mov zdi, [hc_out]
  sidt [zdi]
  jmp hv_done
hv_sldt:                       ; 2 bytes: the selector
  sldt ax
  HV_STORE_N 2
  jmp hv_done
hv_str:                        ; 2 bytes: the selector
  str ax
  HV_STORE_N 2
  jmp hv_done
hv_smsw:                       ; hc_in0 = byte count: the low 2, 4 or 8 bytes of CR0
  mov zax, cr0
  mov zcx, [hc_in0]
  call hv_store_sized
  jmp hv_done

; the flags image PUSHF would give at CPL 0: the guest's flags with the virtual IF/IOPL
hv_flags_image:
  mov zax, [zbp + F_FL]
  and eax, ~(EFL_TF | EFL_IF | EFL_IOPL | 0x10000)
  movzx edx, byte [virtual_if]
  shl edx, 9
  or eax, edx
  movzx edx, byte [virtual_iopl]
  shl edx, 12
  or eax, edx
  ret
hv_pushf:                      ; hc_in0 = slot size (2, 4 or 8)
  call hv_flags_image
  mov zcx, [hc_in0]
  call hv_store_sized
  jmp hv_done
hv_popf:                       ; hc_in0 = the image
  mov zax, [hc_in0]
  VIRTUAL_FLAGS_FROM_EAX
  and eax, 0x244DD5            ; CF PF AF ZF SF DF OF NT AC ID
  mov zdx, [zbp + F_FL]
  and edx, ~0x244DD5
  or zax, zdx
  mov [zbp + F_FL], zax
  jmp hv_done

hv_lar:                        ; hc_in0 = selector, hc_in1 = old destination
  mov zcx, [hc_in0]
  lar zax, cx
  jmp hv_check_result
hv_lsl:
  mov zcx, [hc_in0]
  lsl zax, cx
hv_check_result:
  jz .valid
  mov zax, [hc_in1]
.valid:
  HV_ZF
  HV_STORE_W
  jmp hv_done
hv_verr:
  mov zcx, [hc_in0]
  verr cx
  HV_ZF
  jmp hv_done
hv_verw:
  mov zcx, [hc_in0]
  verw cx
  HV_ZF
  jmp hv_done

; zax = segment register number (0 es, 1 cs, 2 ss, 3 ds, 4 fs, 5 gs) -> zax = the value
; the deprivileged kernel would see at CPL 0 (its own CS/SS are the ring-0 selectors)
hv_sreg_value:
%if LM == 0
  cmp byte [hv_guest16], 0
  jne hv16_sreg_value
%endif
  cmp eax, 1
  je .cs
  cmp eax, 2
  je .ss
  cmp eax, 0
  je .es
  cmp eax, 3
  je .ds
  cmp eax, 4
  je .fs
  mov ax, gs
  jmp .out
.es:
  mov ax, es
  jmp .out
.ds:
  mov ax, ds
  jmp .out
.fs:
  mov ax, fs
.out:
  movzx eax, ax
  ret
.cs:
  mov eax, SEL_CODE0
  ret
.ss:
  mov eax, SEL_DATA0
  ret

hv_push_sreg:                  ; hc_in0 = register number, hc_in1 = slot size (2, 4 or 8)
  mov zax, [hc_in0]
  call hv_sreg_value
  mov zcx, [hc_in1]
  call hv_store_sized
  jmp hv_done

; load segment register number hc_in0 with selector hc_in1 at CPL 0 (a fault is the guest's)
hv_load_sreg:
  mov zcx, [hc_in1]
  mov PTR [r0_fixup], .faulted
  mov zax, [hc_in0]
  cmp eax, 0
  je .es
  cmp eax, 3
  je .ds
  cmp eax, 4
  je .fs
  cmp eax, 5
  je .gs
  mov PTR [r0_fixup], 0
  mov zsi, msg_bad_sreg
  jmp fatal
.es:
  mov es, cx
  jmp .loaded
.ds:
  mov ds, cx
  jmp .loaded
.fs:
  mov fs, cx
  jmp .loaded
.gs:
  mov gs, cx
.loaded:
  mov PTR [r0_fixup], 0
  call print_sregs
  jmp hv_done
.faulted:
  jmp hv_reflect_fault

hv_pop_sreg:
  jmp hv_load_sreg
hv_mov_sreg:                   ; from a segment register when there is an output, else a load
  cmp PTR [hc_out], 0
  je hv_load_sreg
  mov zax, [hc_in0]
  call hv_sreg_value
  HV_STORE_N 2                 ; 2 bytes: the selector
  jmp hv_done

hv_int:                        ; hc_in0 = vector: deliver it at CPL 0 through the IDT
  mov zax, [hc_in0]
  mov [hv_int_insn + 1], al
  call hv_int_insn
  jmp hv_done

hv_cpuid:
  mov zax, [hc_in0]
  mov zcx, [hc_in1]
  cpuid
  mov zdi, [hc_out]
  mov [zdi], eax
  mov [zdi + 4], ebx
  mov [zdi + 8], ecx
  mov [zdi + 12], edx
  jmp hv_done
hv_rdtsc:
  rdtsc
  mov zdi, [hc_out]
  mov [zdi], eax
  mov [zdi + 4], edx
  jmp hv_done
hv_rdtscp:
  rdtscp
  mov zdi, [hc_out]
  mov [zdi], eax
  mov [zdi + 4], edx
  mov [zdi + 8], ecx
  jmp hv_done
hv_rdpmc:
  mov zcx, [hc_in0]
  mov PTR [r0_fixup], hv_reflect_fault
  rdpmc
  mov PTR [r0_fixup], 0
  mov zdi, [hc_out]
  mov [zdi], eax
  mov [zdi + 4], edx
  jmp hv_done
hv_rdpid:
  mov PTR [r0_fixup], hv_reflect_fault
  rdpid zax
  mov PTR [r0_fixup], 0
  HV_STORE_N 4                 ; 4 bytes: TSC_AUX
  jmp hv_done
hv_xgetbv:
  mov zcx, [hc_in0]
  xgetbv
  mov zdi, [hc_out]
  mov [zdi], eax
  mov [zdi + 4], edx
  jmp hv_done

hv_nop:                        ; e.g. Xen's xen_version, used only to get pending events delivered
  jmp hv_done

%if LM
; Xen HYPERVISOR_iret (64-bit): the guest jumped to the stub with
; [rsp] = flags word, then RIP, CS, RFLAGS, RSP, SS of the frame it wants to return to.
hv_xen_iret:
  mov rsi, [rbp + F_SP]
  mov rax, [rsi + 8]
  mov [rbp + F_IP], rax
  mov rax, [rsi + 24]
  mov rdx, rax
  shr edx, 9
  and dl, 1
  mov [virtual_if], dl
  mov rdx, rax
  shr edx, 12
  and dl, 3
  mov [virtual_iopl], dl
  and eax, 0x244DD5
  mov rdx, [rbp + F_FL]
  and edx, ~0x244DD5
  or rax, rdx
  mov [rbp + F_FL], rax
  mov rax, [rsi + 32]
  mov [rbp + F_SP], rax
  jmp hv_done
%else
; Xen HYPERVISOR_iret (32-bit PV): the guest jumped to the stub with the frame IRETD would have
; popped at [esp]: EIP, CS, EFLAGS (a same-ring return, no ESP and SS). Xen's own stub pushes
; EAX in front of the frame and restores it; this page's stub is UD2, so the frame is on top.
hv_xen_iret:
  mov esi, [ebp + F_SP]
  mov eax, [esi]
  mov [ebp + F_IP], eax
  mov eax, [esi + 8]
  VIRTUAL_FLAGS_FROM_EAX
  and eax, 0x244DD5
  mov edx, [ebp + F_FL]
  and edx, ~0x244DD5
  or eax, edx
  mov [ebp + F_FL], eax
  add esi, 12
  mov [ebp + F_SP], esi
  jmp hv_done
%endif

; The emulated instruction faulted at CPL 0 (r0_fault_vec): the guest gets that fault at
; its hypercall site, and resumes at resume_ip.
hv_reflect_fault:
  mov al, 'X'
  call put_head
  mov zax, [r0_fault_vec]
  call puthex8
  call space
  mov zax, [r0_fault_err]
  call puthex
  call space
  mov zax, [hc_site_ip]
  call puthex
  call newline
  mov zax, [resume_ip]
  test zax, zax
  jnz .resume
  mov zsi, msg_unexpected
  jmp fatal
.resume:
  mov [zbp + F_IP], zax
  mov PTR [resume_ip], 0
  jmp hv_done

hv_int_insn:
  int 0x00
  ret

; Emulate the instruction at zsi by running it once at CPL 0 with the guest's
; registers, stack and arithmetic flags, the monitor's virtual IF/IOPL, and TF set;
; #DB brings control back to emu_finish, which makes the resulting IF/IOPL the new
; virtual ones and returns to ring 3 after the instruction.
emu_start:
  mov byte [emu_active], 1
  mov zax, [zbp + F_IP]
  mov [emu_guest_ip], zax
  mov zax, [zbp + F_CS]
  mov [emu_saved_cs], zax
  mov zax, [zbp + F_FL]
  mov [emu_saved_fl], zax
  call frame_sp
  mov [emu_saved_sp], zax
%if LM
  mov zax, [zbp + F_SS]
  mov [emu_saved_ss], zax
%endif
  ; PUSHF under TF would store TF=1: note the opcode so emu_finish can clear it
  mov zdi, zsi
.skip_prefix:
  mov al, [zdi]
  cmp al, 0x66
  je .prefix
%if LM
  and al, 0xF0
  cmp al, 0x40
  je .prefix
%endif
  jmp .opcode
.prefix:
  inc zdi
  jmp .skip_prefix
.opcode:
  mov al, [zdi]
  mov [emu_opcode], al
  ; copy the register part of the frame
  mov zcx, F_VEC / WSZ
  xor edx, edx
.copy:
  mov zax, [zbp + zdx*WSZ]
  mov [emu_frame + zdx*WSZ], zax
  inc edx
  loop .copy
  mov [emu_frame + F_IP], zsi
  mov PTR [emu_frame + F_CS], SEL_CODE0
  mov zax, [emu_saved_fl]
  and eax, 0x8D5 | EFL_DF      ; arithmetic flags and DF carry over
  movzx edx, byte [virtual_if]
  shl edx, 9
  or eax, edx
  movzx edx, byte [virtual_iopl]
  shl edx, 12
  or eax, edx
  or eax, EFL_TF | 2
  mov [emu_frame + F_FL], zax
%if LM
  mov zax, [emu_saved_sp]
  mov [emu_frame + F_SP], zax
  mov PTR [emu_frame + F_SS], SEL_DATA0
  mov rsp, emu_frame
  jmp isr_return
%else
  ; a same-privilege IRET does not load ESP: put its 3-word frame just below the guest's stack
  mov eax, [emu_saved_sp]
  sub eax, 12
  mov [emu_tmp_sp], eax
  mov edx, [emu_frame + F_IP]
  mov [eax], edx
  mov dword [eax + 4], SEL_CODE0
  mov edx, [emu_frame + F_FL]
  mov [eax + 8], edx
  mov esp, emu_frame
  popad
  mov esp, [emu_tmp_sp]
  iretd
%endif

; "E ds es fs gs" and a new line (keeps every register but the flags).
print_sregs:
  push zax
  push zsi
  mov zsi, msg_emu_sregs
  call puts
  mov ax, ds
  call puthex16
  call space
  mov ax, es
  call puthex16
  call space
  mov ax, fs
  call puthex16
  call space
  mov ax, gs
  call puthex16
  call newline
  pop zsi
  pop zax
  ret

; #DB after the single step: return to ring 3 just after the emulated instruction.
emu_finish:
  mov byte [emu_active], 0
  ; "E ds es fs gs": the segment registers the instruction left at CPL 0 (a monitor keeps
  ; them as the guest's virtual state; the return to ring 3 nulls DPL-0 data selectors)
  call print_sregs
  mov zcx, F_VEC / WSZ
  xor edx, edx
.copy:
  mov zax, [zbp + zdx*WSZ]
  mov [emu_frame + zdx*WSZ], zax
  inc edx
  loop .copy
  mov zax, [zbp + F_IP]
  mov [emu_frame + F_IP], zax
  mov zax, [emu_saved_cs]
  mov [emu_frame + F_CS], zax
  ; the instruction's IF/IOPL become the virtual ones
  mov zax, [zbp + F_FL]
  VIRTUAL_FLAGS_FROM_EAX
  ; ring 3 keeps its real IF/IOPL and loses TF
  and eax, ~(EFL_TF | EFL_IF | EFL_IOPL)
  mov zdx, [emu_saved_fl]
  and edx, EFL_IF | EFL_IOPL
  or zax, zdx
  mov [emu_frame + F_FL], zax
  call frame_sp
  mov [emu_frame + F_SP], zax
  cmp byte [emu_opcode], 0x9C
  jne .not_pushf
  and PTR [zax], ~EFL_TF
.not_pushf:
%if LM
  mov zax, [emu_saved_ss]
%else
  mov eax, SEL_DATA3
%endif
  mov [emu_frame + F_SS], zax
  mov zsp, emu_frame
  jmp isr_return

; An exception while the instruction ran at CPL 0: report it as the guest's own fault
; (at the trapping instruction) and resume ring 3 at resume_ip, with its registers as
; they were before the attempt.
emu_fault:
  mov byte [emu_active], 0
  mov zsi, msg_emu_fault_head
  call puts
  mov zax, [zbp + F_VEC]
  call puthex8
  call space
  mov zax, [zbp + F_ERR]
  call puthex
  call space
  mov zax, [emu_guest_ip]
  call puthex
  call newline
  mov zax, [resume_ip]
  test zax, zax
  jnz .resume
  mov zsi, msg_emu_fault
  jmp fatal
.resume:
  mov [emu_frame + F_IP], zax
  mov PTR [resume_ip], 0
  mov zax, [emu_saved_cs]
  mov [emu_frame + F_CS], zax
  mov zax, [emu_saved_fl]
  mov [emu_frame + F_FL], zax
  mov zax, [emu_saved_sp]
  mov [emu_frame + F_SP], zax
%if LM
  mov zax, [emu_saved_ss]
%else
  mov eax, SEL_DATA3
%endif
  mov [emu_frame + F_SS], zax
  mov zsp, emu_frame
  jmp isr_return

; ---- 16-bit code: at CPL 3 in virtual-8086 and 16-bit protected mode, at CPL 0 in 16-bit protected mode (32-bit image only) ----
;
; lowrun copies a case's 16-bit blob to LOW_BASE and enters it at CPL 3 from ring 0 with an
; IRET: in virtual-8086 mode (EFLAGS.VM in the flags asked for; CS = SS = LOW_SEG) or in 16-bit
; protected mode (CS = SEL_CODE16_3, SS = SEL_DATA16_3, both based at LOW_BASE). lowrun0 runs
; the same blob at CPL 0 in 16-bit protected mode (CS = SEL_CODE16_0, SS = SEL_DATA16_0, the
; ring-0 twins of those descriptors, same base): the fix cases run the original instruction
; there. Offsets are the same in every mode. While a blob runs, #GP, #UD, INT LOW_GATE_VECTOR
; and the DPL-0 test gate LOW_TEST_GATE go to the handlers below (at CPL 3 on their own stack).
; The blob keeps its state in the area at LOW_AREA: before a probe it writes where a fault
; should resume (LOW_RESUME); each #GP or #UD is logged and resumes there once; it ends by
; writing LOW_DONE and executing HLT (CPL 3) or UD2 (either CPL), whose fault brings lowrun
; back to its caller. A VMCALL or VMMCALL at CPL 3 is a hypercall: low_ud hands it to the
; case's hc_dispatch, with the guest's segment registers kept for the address arguments.

%if LM == 0
LOW_BASE        equ 0x30000
LOW_SEG         equ LOW_BASE >> 4
LOW_SP          equ 0xFE00
LOW_AREA        equ 0xFF00
LOW_RESUME      equ LOW_AREA + 0x00   ; word: where the next fault resumes; LOW_DONE ends the run
LOW_FAULTS      equ LOW_AREA + 0x02   ; word: faults taken before the end
LOW_GATE        equ LOW_AREA + 0x04   ; word: entries through INT LOW_GATE_VECTOR or LOW_TEST_GATE
LOW_END_IP      equ LOW_AREA + 0x06   ; word: IP of the fault that ended the run
LOW_GATE_FL     equ LOW_AREA + 0x08   ; dword: EFLAGS the last gate entry saved
LOW_FAULT_IP    equ LOW_AREA + 0x10   ; word[4]: IP of each logged fault
LOW_FAULT_ERR   equ LOW_AREA + 0x18   ; word[4]: its error code (0 for #UD)
LOW_FAULT_VEC   equ LOW_AREA + 0x20   ; word[4]: its vector (13 #GP, 6 #UD)
LOW_RESULT      equ LOW_AREA + 0x40   ; word[4]: what the blob stores
LOW_FIX_BUF     equ LOW_AREA + 0x80   ; 16 bytes: the 16-bit fix cases' memory operand
LOW_FIX_REGS    equ LOW_AREA + 0xA0   ; the fix cases' state after the code: EAX EBX ECX EDX ESI EDI EBP ESP EFLAGS (dwords), FS (word)
LOW_FIX_STACK   equ LOW_AREA + 0xD0   ; 16 bytes from SS:SP after the code
LOW_DONE        equ 0xFFFF
LOW_GATE_VECTOR equ 0x42
LOW_TEST_GATE   equ 0x40
EFL_VM          equ 1 << 17
SEL_CODE16_3    equ 0x33
SEL_DATA16_3    equ 0x43
SEL_CODE16_0    equ 0x48
SEL_DATA16_0    equ 0x50
SEL_SHIFTED16_3 equ 0x5B             ; base LOW_BASE + LOW_SHIFT
LOW_SHIFT       equ 0x10
fx16_buf        equ LOW_FIX_BUF                ; the 16-bit fix cases' memory operand through DS
fx16_shifted_buf equ LOW_FIX_BUF - LOW_SHIFT   ; the same bytes through SEL_SHIFTED16_3

; esi = blob, ecx = its length, eax = EFLAGS for the run (IOPL, IF, VM), edx = entry offset
lowrun0:                         ; at CPL 0, 16-bit protected mode (no VM)
  mov byte [low_ring0], 1
  jmp lowrun.start
lowrun:                          ; at CPL 3
  mov byte [low_ring0], 0
.start:
  pushad
  mov [low_flags], eax
  mov [low_entry], edx
  mov edi, LOW_BASE
  rep movsb
  mov ecx, 16                    ; nothing stale after the final UD2 (an earlier blob's "kvm"/"xen" would make it a prefix)
  xor eax, eax
  rep stosb
  mov edi, LOW_BASE + LOW_AREA
  mov ecx, 0x100
  mov al, 0xA5
  rep stosb
  mov word [LOW_BASE + LOW_FAULTS], 0
  mov word [LOW_BASE + LOW_GATE], 0
  mov dword [LOW_BASE + LOW_GATE_FL], 0
  mov word [LOW_BASE + LOW_RESUME], LOW_DONE
  mov eax, [tss + 4]
  mov [low_saved_esp0], eax
  mov dword [tss + 4], low_stack_top
  mov eax, low_gp
  mov ecx, 13
  mov dx, 0x008E
  call set_gate
  mov eax, low_ud
  mov ecx, 6
  mov dx, 0x008E
  call set_gate
  mov eax, low_db
  mov ecx, 1
  mov dx, 0x008E
  call set_gate
  mov byte [low_emu_active], 0
  mov eax, low_gate
  mov ecx, LOW_GATE_VECTOR
  mov dx, 0x00EE
  call set_gate
  mov eax, low_gate
  mov ecx, LOW_TEST_GATE
  mov dx, 0x008E
  call set_gate
  mov [low_saved_esp], esp
  mov eax, [low_flags]
  test eax, EFL_VM
  jz .protected16
  push dword LOW_SEG             ; GS, FS, DS, ES of the virtual-8086 task
  push dword LOW_SEG
  push dword LOW_SEG
  push dword LOW_SEG
  push dword LOW_SEG
  push dword LOW_SP
  push eax
  push dword LOW_SEG
  push dword [low_entry]
  iretd
.protected16:
  cmp byte [low_ring0], 0
  jne .ring0
  push dword SEL_DATA16_3
  push dword LOW_SP
  push eax
  push dword SEL_CODE16_3
  push dword [low_entry]
  iretd
.ring0:
  ; an IRETD to the same ring loads neither SS nor ESP: move to the blob's stack first
  mov edx, [low_entry]
  mov cx, SEL_DATA16_0
  mov ss, cx
  mov esp, LOW_SP
  push eax
  push dword SEL_CODE16_0
  push edx
  iretd

; #GP while a blob runs. Stack: eax, ds, error code, EIP, CS, EFLAGS (ESP, SS from CPL 3; ES..GS from VM86).
low_gp:
  push ds
  push eax
  mov ax, SEL_DATA0
  mov ds, ax
  mov byte [low_vec], 13
  test dword [esp + 20], EFL_VM
  jnz low_fault
  test byte [esp + 16], 3
  jnz low_gp_monitor
low_fault:                       ; the same stack, DS flat, low_vec = the vector
  movzx eax, word [LOW_BASE + LOW_RESUME]
  cmp eax, LOW_DONE
  je .done
  push ebx
  movzx ebx, word [LOW_BASE + LOW_FAULTS]
  inc word [LOW_BASE + LOW_FAULTS]
  cmp ebx, 4
  jae .logged
  mov eax, [esp + 16]            ; EIP
  mov [LOW_BASE + LOW_FAULT_IP + ebx*2], ax
  mov eax, [esp + 12]            ; error code
  mov [LOW_BASE + LOW_FAULT_ERR + ebx*2], ax
  movzx eax, byte [low_vec]
  mov [LOW_BASE + LOW_FAULT_VEC + ebx*2], ax
.logged:
  movzx eax, word [LOW_BASE + LOW_RESUME]
  mov [esp + 16], eax
  and dword [esp + 24], ~EFL_TF  ; an instruction low_emulate ran faulted: the blob resumes unstepped
  mov byte [low_emu_active], 0
  mov word [LOW_BASE + LOW_RESUME], LOW_DONE   ; one resume per probe: another fault ends the run
  pop ebx
  pop eax
  pop ds
  add esp, 4
  iretd
.done:
  mov eax, [esp + 12]
  mov [LOW_BASE + LOW_END_IP], ax
  mov ax, SEL_DATA0
  mov es, ax
  mov fs, ax
  mov gs, ax
  mov ss, ax                     ; a run at CPL 0 ends on the blob's 16-bit stack
  mov esp, [low_saved_esp]
  mov eax, [isr_table + 13*4]
  mov ecx, 13
  mov dx, 0x008E
  call set_gate
  mov eax, [isr_table + 6*4]
  mov ecx, 6
  mov dx, 0x008E
  call set_gate
  mov eax, [isr_table + 1*4]
  mov ecx, 1
  mov dx, 0x008E
  call set_gate
  mov byte [low_emu_active], 0
  mov eax, isr_0x40
  mov ecx, LOW_TEST_GATE
  mov dx, 0x008E
  call set_gate
  mov dword [idt + LOW_GATE_VECTOR*8], 0
  mov dword [idt + LOW_GATE_VECTOR*8 + 4], 0
  mov eax, [low_saved_esp0]
  mov [tss + 4], eax
  popad
  ret

; #UD while a blob runs. The harness's own ring-0 code (a hypervisor routine running the
; instruction) goes to the ordinary handler; a VMCALL or VMMCALL at CPL 3 is a hypercall, served
; like the monitor serves one from 32-bit code, in the frame isr_common builds; anything else is
; logged like a #GP, with error code 0.
low_ud:
  cmp dword [esp + 4], SEL_CODE0
  je isr_6
  push 0                         ; #UD pushes no error code
  test byte [esp + 8], 3
  jz .fault
  push 6
  LOW_GUEST_FRAME
  test dword [ebp + F_FL], EFL_VM
  jnz .not_fep
  ; the forced-emulation prefix (ud2 + "kvm"/"xen"): run the instruction after it at CPL 0
  cmp word [esi], 0x0B0F
  jne .not_fep
  mov edi, msg_fep_kvm
  cmp byte [esi + 2], 'k'
  jne .fep_xen
  cmp word [esi + 3], 'vm'
  je .fep
  jmp .not_fep
.fep_xen:
  mov edi, msg_fep_xen
  cmp byte [esi + 2], 'x'
  jne .not_fep
  cmp word [esi + 3], 'en'
  jne .not_fep
.fep:
  call monitor_event
  add dword [ebp + F_IP], 5
  jmp low_emulate
.not_fep:
  cmp word [esi], 0x010F
  jne .not_hypercall
  mov edi, msg_vmcall
  cmp byte [esi + 2], 0xC1
  je .hypercall
  mov edi, msg_vmmcall
  cmp byte [esi + 2], 0xD9
  jne .not_hypercall
.hypercall:
  mov eax, [ebp + F_IP]
  mov [hc_site_ip], eax
  ; a fault the hypervisor reflects (the instruction faulted at CPL 0 too) resumes where the blob said
  movzx eax, word [LOW_BASE + LOW_RESUME]
  cmp eax, LOW_DONE
  jne .resume_known
  xor eax, eax
.resume_known:
  mov [resume_ip], eax
  mov eax, [ebp + F_AX]
  call monitor_event_nr
  add dword [ebp + F_IP], 3
  mov byte [hv_guest16], 1
  call hypercall
  mov byte [hv_guest16], 0
  mov dword [resume_ip], 0
  mov es, [low_guest_sregs + 0]
  mov fs, [low_guest_sregs + 8]
  mov gs, [low_guest_sregs + 10]
  mov ds, [low_guest_sregs + 6]  ; last: the loads above go through DS
  popad
  add esp, 8
  iretd
.not_hypercall:
  mov es, [low_guest_sregs + 0]
  mov ds, [low_guest_sregs + 6]
  popad
  add esp, 4                     ; the vector; the error code stays
.fault:
  push ds
  push eax
  mov ax, SEL_DATA0
  mov ds, ax
  mov byte [low_vec], 6
  jmp low_fault

; #GP at CPL 3 in 16-bit protected mode (stack: eax, ds, error code, EIP, CS, EFLAGS, ESP, SS; DS
; flat). CLI and STI change the monitor's virtual IF; MOV from CR0 runs at CPL 0 (low_emulate),
; as the 32-bit monitor serves them; anything else is logged like any #GP.
low_gp_monitor:
  pop eax
  pop ds
  push 13
  LOW_GUEST_FRAME
  mov al, [esi]
  cmp al, 0xFA
  je .cli
  cmp al, 0xFB
  je .sti
  cmp word [esi], 0x200F         ; MOV r32, CRn
  jne .not_ours
  mov edi, msg_movcr
  call monitor_event
  jmp low_emulate
.cli:
  mov byte [virtual_if], 0
  mov edi, msg_cli
  jmp .stepped
.sti:
  mov byte [virtual_if], 1
  mov edi, msg_sti
.stepped:
  call monitor_event
  inc dword [ebp + F_IP]
  mov es, [low_guest_sregs + 0]
  mov ds, [low_guest_sregs + 6]
  popad
  add esp, 8
  iretd
.not_ours:
  mov es, [low_guest_sregs + 0]
  mov ds, [low_guest_sregs + 6]
  popad
  add esp, 4                     ; the vector; the error code stays
  push ds
  push eax
  mov ax, SEL_DATA0
  mov ds, ax
  jmp low_fault

; Runs the 16-bit guest's instruction at its F_IP once at CPL 0 (ebp = the frame low_ud or
; low_gp_monitor built, DS = ES = flat, the guest's segment registers in low_guest_sregs): in
; 16-bit protected mode through SEL_CODE16_0, on the guest's stack through SEL_DATA16_0 (the
; same base as its SS), with its registers, DS, ES, FS and GS, arithmetic flags and DF, the
; monitor's virtual IF and IOPL, and TF set. The #DB after it (low_db) returns to CPL 3 just after
; the instruction; a fault in it is logged as the blob's own (low_fault).
low_emulate:
  mov byte [low_emu_active], 1
  mov eax, [ebp + F_FL]
  mov [low_emu_guest_fl], eax
  mov eax, [ebp + F_CS]
  mov [low_emu_guest_cs], eax
  mov eax, [ebp + F_SS]
  mov [low_emu_guest_ss], eax
  ; the opcode after operand- and address-size prefixes: PUSHF under TF stores TF=1 (low_db clears it)
  mov eax, [ebp + F_CS]
  call descriptor_base
  add eax, [ebp + F_IP]
  mov edi, eax
.skip_prefix:
  mov al, [edi]
  cmp al, 0x66
  je .prefix
  cmp al, 0x67
  jne .opcode
.prefix:
  inc edi
  jmp .skip_prefix
.opcode:
  mov [low_emu_opcode], al
  ; a same-privilege IRETD loads neither SS nor ESP: its frame goes just below the guest's SP
  mov eax, SEL_DATA16_0
  call descriptor_base
  movzx edx, word [ebp + F_SP]
  sub edx, 12
  mov [low_emu_ssesp], edx
  mov word [low_emu_ssesp + 4], SEL_DATA16_0
  add eax, edx
  mov ecx, [ebp + F_IP]
  mov [eax], ecx
  mov dword [eax + 4], SEL_CODE16_0
  mov ecx, [ebp + F_FL]
  and ecx, 0x8D5 | EFL_DF
  movzx edx, byte [virtual_if]
  shl edx, 9
  or ecx, edx
  movzx edx, byte [virtual_iopl]
  shl edx, 12
  or ecx, edx
  or ecx, EFL_TF | 2
  mov [eax + 8], ecx
  mov ax, [low_guest_sregs + 6]
  mov [low_emu_ds], ax
  mov es, [low_guest_sregs + 0]
  mov fs, [low_guest_sregs + 8]
  mov gs, [low_guest_sregs + 10]
  popad
  mov ds, [ss:low_emu_ds]
  lss esp, [ss:low_emu_ssesp]
  iretd

; #DB while a blob runs: the single step low_emulate started. Entered at CPL 0 on the guest's
; 16-bit stack (the frame: EIP, CS, EFLAGS below what the instruction left). Reports the segment
; registers the instruction left (the monitor's "E" line), makes its IF and IOPL the virtual ones,
; and returns to CPL 3 after it with its registers and stack, the guest's own IF and IOPL, no TF.
low_db:
  push ds
  push eax
  mov ax, SEL_DATA0
  mov ds, ax
  cmp byte [low_emu_active], 0
  je .stray
  mov byte [low_emu_active], 0
  mov ax, [ss:esp + 4]
  mov [low_emu_ds], ax
  mov eax, [ss:esp + 8]
  mov [low_emu_next], eax
  mov eax, [ss:esp + 16]
  mov [low_emu_out_fl], eax
  pop eax
  mov [low_emu_eax], eax
  lea eax, [esp + 16]            ; the guest's SP after the instruction: past DS and the #DB frame
  mov [low_emu_ssesp], eax
  mov ax, SEL_DATA0
  mov ss, ax
  mov esp, low_stack_top
  mov eax, [low_emu_eax]
  pushad
  mov esi, msg_emu_sregs
  call puts
  mov ax, [low_emu_ds]
  call puthex16
  call space
  mov ax, es
  call puthex16
  call space
  mov ax, fs
  call puthex16
  call space
  mov ax, gs
  call puthex16
  call newline
  mov eax, [low_emu_out_fl]
  VIRTUAL_FLAGS_FROM_EAX
  and eax, ~(EFL_TF | EFL_IF | EFL_IOPL)
  mov edx, [low_emu_guest_fl]
  and edx, EFL_IF | EFL_IOPL
  or eax, edx
  mov [low_emu_out_fl], eax
  cmp byte [low_emu_opcode], 0x9C
  jne .not_pushf
  mov eax, SEL_DATA16_0
  call descriptor_base
  movzx edx, word [low_emu_ssesp]
  and word [eax + edx], ~EFL_TF
.not_pushf:
  popad
  push dword [low_emu_guest_ss]
  push dword [low_emu_ssesp]
  push dword [low_emu_out_fl]
  push dword [low_emu_guest_cs]
  push dword [low_emu_next]
  mov ds, [low_emu_ds]
  iretd
.stray:
  pop eax
  pop ds
  jmp isr_1

; eax = selector -> eax = the base in its GDT or LDT descriptor (0 for a null selector)
descriptor_base:
  push ebx
  mov ebx, gdt
  test eax, 4
  jz .table
  mov ebx, ldt
.table:
  and eax, 0xFFF8
  jnz .read
  xor eax, eax
  jmp .out
.read:
  add ebx, eax
  movzx eax, byte [ebx + 7]
  shl eax, 8
  mov al, [ebx + 4]
  shl eax, 16
  mov ax, [ebx + 2]
.out:
  pop ebx
  ret

; 16-bit hypercalls: eax = a VIRTLINT_SREG_* number the guest passed -> eax = the base of that
; segment register as the guest held it at the call
hv16_seg_base:
  cmp eax, 5
  ja .bad
  movzx eax, word [low_guest_sregs + eax*2]
  jmp descriptor_base
.bad:
  mov esi, msg_bad_hc_sreg
  jmp fatal

; hv_sreg_value for a 16-bit guest: CS and SS are its ring-0 twins (what the deprivileged code
; reads at CPL 0), the others what the guest holds
hv16_sreg_value:
  cmp eax, 5
  ja hv16_seg_base.bad
  cmp eax, 1
  je .cs
  cmp eax, 2
  je .ss
  movzx eax, word [low_guest_sregs + eax*2]
  ret
.cs:
  mov eax, SEL_CODE16_0
  ret
.ss:
  mov eax, SEL_DATA16_0
  ret

; INT LOW_GATE_VECTOR (DPL 3) or LOW_TEST_GATE (DPL 0) while a blob runs: count it, keep the EFLAGS it saved, return.
low_gate:
  push ds
  push eax
  mov ax, SEL_DATA0
  mov ds, ax
  inc word [LOW_BASE + LOW_GATE]
  mov eax, [esp + 16]            ; EFLAGS
  mov [LOW_BASE + LOW_GATE_FL], eax
  pop eax
  pop ds
  iretd

align 4
low_flags:      dd 0
low_entry:      dd 0
low_saved_esp:  dd 0
low_saved_esp0: dd 0
low_guest_sregs: times 6 dw 0   ; ES CS SS DS FS GS at the last 16-bit hypercall
low_ring0:      db 0
low_vec:        db 0
hv_guest16:     db 0            ; set while a 16-bit guest's hypercall is served
low_emu_active: db 0            ; low_emulate's single step is under way
low_emu_opcode: db 0
low_emu_ds:     dw 0            ; the guest's DS into and out of the emulated instruction
align 4
low_emu_ssesp:  dd 0            ; ESP, then SS (a far pointer for LSS); low_db: the guest's SP after the instruction
                dw 0
align 4
low_emu_guest_fl: dd 0
low_emu_guest_cs: dd 0
low_emu_guest_ss: dd 0
low_emu_next:   dd 0
low_emu_out_fl: dd 0
low_emu_eax:    dd 0
msg_bad_hc_sreg: db 'hypercall passed a segment register number above 5', 0
align 4
low_stack:      times 1024 db 0
low_stack_top:
%endif

; ---- the case ------------------------------------------------------------------

%include CASE_FILE

; ---- data (never executed) -----------------------------------------------------

%if LM
msg_boot:        db 'S boot long-mode', 10, 0
%else
msg_boot:        db 'S boot protected-mode', 10, 0
%endif
msg_end:         db 'END', 10, 0
msg_bochs_shutdown: db 'Shutdown', 0
msg_fatal:       db 'FATAL ', 0
msg_unexpected:  db 'unexpected exception', 0
msg_emu_fault:   db 'the emulated instruction faulted at CPL 0 and no resume point was set', 0
msg_bad_sreg:    db 'hypercall asked to load CS or SS', 0
msg_emu_sregs:   db 'E ', 0
msg_emu_fault_head: db 'X 3 ', 0
msg_bad_service: db 'bad service number', 0
msg_no_umip:     db 'CPU lacks UMIP (CPUID.7.0:ECX[2]=0); refusing to set CR4.UMIP', 0
msg_unknown_hc:  db 'unknown hypercall number', 0
msg_bad_hc_size: db 'hypercall byte count is not one the contract allows', 0
msg_cr4:         db 'S cr4=', 0
msg_sp:          db ' sp=', 0
msg_fep_kvm:     db 'fep-kvm', 0
msg_fep_xen:     db 'fep-xen', 0
msg_vmcall:      db 'vmcall', 0
msg_vmmcall:     db 'vmmcall', 0
msg_hcpage:      db 'hypercall-page', 0
msg_movcr:       db 'mov-from-cr', 0
msg_cli:         db 'cli', 0
msg_sti:         db 'sti', 0

align 8
isr_table:
%assign v 0
%rep 32
  DW_ isr_%[v]
  %assign v v + 1
%endrep

align 16
gdt:
  dq 0
%if LM
  dq 0x00AF9A000000FFFF          ; 0x08 ring-0 code, 64-bit
  dq 0x00CF92000000FFFF          ; 0x10 ring-0 data
  dq 0x00AFFA000000FFFF          ; 0x18 ring-3 code, 64-bit
  dq 0x00CFF2000000FFFF          ; 0x20 ring-3 data
%else
  dq 0x00CF9A000000FFFF          ; 0x08 ring-0 code, 32-bit
  dq 0x00CF92000000FFFF          ; 0x10 ring-0 data
  dq 0x00CFFA000000FFFF          ; 0x18 ring-3 code, 32-bit
  dq 0x00CFF2000000FFFF          ; 0x20 ring-3 data
%endif
  ; 0x28 TSS (16 bytes in long mode; in 32-bit the second half holds a 16-bit ring-3 code segment)
  dw tss_end - tss - 1
  dw ABS(tss) & 0xFFFF
  db (ABS(tss) >> 16) & 0xFF
  db 0x89
  db 0x00
  db (ABS(tss) >> 24) & 0xFF
%if LM
  dq 0
%else
  dq 0x0000FA030000FFFF          ; 0x30 ring-3 code, 16-bit, base 0x30000 (lowrun's 16-bit protected mode)
%endif
  ; 0x38 LDT
  dw ldt_end - ldt - 1
  dw ABS(ldt) & 0xFFFF
  db (ABS(ldt) >> 16) & 0xFF
  db 0x82
  db 0x00
  db (ABS(ldt) >> 24) & 0xFF
%if LM
  dq 0
%else
  dq 0x0000F2030000FFFF          ; 0x40 ring-3 data, 16-bit, base 0x30000
  dq 0x00009A030000FFFF          ; 0x48 ring-0 code, 16-bit, base 0x30000 (lowrun0: the 16-bit originals of the fix cases)
  dq 0x000092030000FFFF          ; 0x50 ring-0 data, 16-bit, base 0x30000
  dq 0x0000F2030010FFFF          ; 0x58 ring-3 data, 16-bit, base 0x30010: FS/GS for the 16-bit fix cases, a base DS and SS do not have
%endif
gdt_end:

align 16
  dw 0
gdt_ptr:
  dw gdt_end - gdt - 1
  DW_ ABS(gdt)

align 16
  dw 0
idt_ptr:
%if LM
  dw 256 * 16 - 1
%else
  dw 256 * 8 - 1
%endif
  DW_ ABS(idt)

align 8
ldt:
  dq 0x00CFF2000000FFFF          ; selector 0x07: DPL-3 data
ldt_end:

align 16
tss:
  times 104 db 0
tss_end:

align 8
resume_ip:     DW_ 0
emu_saved_cs:  DW_ 0
emu_saved_fl:  DW_ 0
emu_saved_sp:  DW_ 0
emu_saved_ss:  DW_ 0
emu_tmp_sp:    DW_ 0
emu_active:    db 0
virtual_if:    db 1
virtual_iopl:  db 0
align 8
hc_site_ip:    DW_ 0
hc_out:        DW_ 0
hc_in0:        DW_ 0
hc_in1:        DW_ 0
hc_in2:        DW_ 0
hc_in3:        DW_ 0
r0_fixup:      DW_ 0
r0_fault_vec:  DW_ 0
r0_fault_err:  DW_ 0
emu_opcode:    db 0
align 8
emu_guest_ip:  DW_ 0
monitor_off:   db 0
align 16
emu_frame:     times F_SIZE + 16 db 0

; Xen: struct vcpu_info (evtchn_upcall_pending at 0, evtchn_upcall_mask at 1; mask 0 = virtual IF set)
align 64
xen_vcpu_info: times 64 db 0

; a page of hypercall stubs: slot n (at hypercall_page + n*32) is "ud2; ret"
align 4096
hypercall_page:
%rep 128
  ud2
  ret
  times 29 db 0xCC
%endrep

align 16
idt:
  times 256 * 16 db 0

align 4096
%if LM
pml4: times 4096 db 0
pdpt: times 4096 db 0
pd:   times 4096 db 0
%endif
stack_db: times 4096 db 0
stack_db_top:
stack0: times 8192 db 0
stack0_top:
stack3: times 8192 db 0
stack3_top:
image_end:
