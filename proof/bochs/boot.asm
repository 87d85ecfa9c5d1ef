; virtlint proof bench: a hard-disk image that boots the multiboot harness on Bochs.
;
; Build: nasm -f bin -DKERNEL='"case.bin"' boot.asm -o disk.img
;
; Bochs has no multiboot loader, so this sector does the part of one the harness needs:
; it reads the kernel (which follows it on the disk) with the BIOS's LBA reads into
; conventional memory, checks the multiboot header's a.out fields, enters flat 32-bit
; protected mode with A20 on, copies the kernel to its load address and jumps to its
; entry point with EAX = 0x2BADB002, as a multiboot loader would. Any failure prints a
; FATAL line on port 0xE9 and stops the emulator through Bochs's shutdown port.

%ifndef KERNEL
  %error "define KERNEL as the path of the harness binary"
%endif

BUFFER_SEG    equ 0x1000          ; the kernel is read to 0x10000 ...
BUFFER_LIMIT  equ 0x9F000         ; ... and must end below the EBDA
CHUNK_SECTORS equ 64              ; one BIOS read: 32 KiB
MB_MAGIC      equ 0x1BADB002

  [bits 16]
  org 0x7C00

start:
  cli
  xor ax, ax
  mov ds, ax
  mov ss, ax
  mov sp, 0x7C00
  mov [boot_drive], dl
  sti
  mov ax, BUFFER_SEG
  mov [dap_segment], ax
  mov cx, KERNEL_SECTORS
.read:
  mov ax, CHUNK_SECTORS
  cmp cx, ax
  jae .count_ok
  mov ax, cx
.count_ok:
  mov [dap_count], ax
  mov si, dap
  mov dl, [boot_drive]
  mov ah, 0x42
  int 0x13
  jc fail_read
  mov ax, [dap_count]
  add [dap_lba], ax
  shl ax, 5                       ; sectors -> paragraphs
  add [dap_segment], ax
  sub cx, [dap_count]
  jnz .read

  cli
  in al, 0x92                     ; fast A20
  or al, 2
  and al, 0xFE
  out 0x92, al
  lgdt [gdt_ptr]
  mov eax, cr0
  or eax, 1
  mov cr0, eax
  jmp 0x08:protected

fail_read:
  mov si, msg_read
  ; fall through
fail16:                           ; si = message
  lodsb
  test al, al
  jz shutdown16
  out 0xE9, al
  jmp fail16
shutdown16:
  mov si, shutdown_text
.next:
  lodsb
  test al, al
  jz .halt
  mov dx, 0x8900
  out dx, al
  jmp .next
.halt:
  cli
  hlt
  jmp .halt

  [bits 32]
protected:
  mov ax, 0x10
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov esp, 0x7C00
  mov esi, BUFFER_SEG * 16
  cmp dword [esi], MB_MAGIC
  jne .no_header
  mov edi, [esi + 16]             ; load_addr (the header is the first thing in the file)
  mov ecx, [esi + 20]             ; load_end_addr
  sub ecx, edi
  cmp ecx, KERNEL_SECTORS * 512
  ja .no_header
  cld
  rep movsb
  mov ecx, [BUFFER_SEG * 16 + 24] ; bss_end_addr
  sub ecx, edi
  jbe .enter
  xor eax, eax
  rep stosb
.enter:
  mov eax, 0x2BADB002
  xor ebx, ebx
  jmp [BUFFER_SEG * 16 + 28]      ; entry_addr
.no_header:
  mov esi, msg_header
.print:
  lodsb
  test al, al
  jz .stop
  out 0xE9, al
  jmp .print
.stop:
  mov esi, shutdown_text
  mov dx, 0x8900
.shut:
  lodsb
  test al, al
  jz .halt
  out dx, al
  jmp .shut
.halt:
  cli
  hlt
  jmp .halt

msg_read:      db 'FATAL boot: BIOS disk read failed', 10, 0
msg_header:    db 'FATAL boot: no multiboot a.out header at the start of the kernel', 10, 0
shutdown_text: db 'Shutdown', 0
boot_drive:    db 0

align 4
dap:           db 0x10, 0
dap_count:     dw 0
               dw 0
dap_segment:   dw 0
dap_lba:       dq 1

align 8
gdt:
  dq 0
  dq 0x00CF9A000000FFFF           ; 0x08 flat code
  dq 0x00CF92000000FFFF           ; 0x10 flat data
gdt_ptr:
  dw gdt_ptr - gdt - 1
  dd gdt

  times 510 - ($ - $$) db 0
  dw 0xAA55

kernel:
  incbin KERNEL
kernel_end:
KERNEL_SECTORS equ (kernel_end - kernel + 511) / 512
%if KERNEL_SECTORS * 512 > BUFFER_LIMIT - BUFFER_SEG * 16
  %error "the kernel does not fit in conventional memory"
%endif
  ; Bochs takes the geometry of a flat image from its size: whole cylinders of 16 heads x 63 sectors
  times (516096 - ($ - $$) % 516096) % 516096 db 0
