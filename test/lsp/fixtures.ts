// Sources used by the protocol tests. Line numbers in the expectations are 0-based.
export const NASM_SOURCE = [
  '; virtlint: dialect=nasm bits=32', // 0
  'bits 32', // 1
  'section .text', // 2
  'start:', // 3
  '    sgdt [gdtr]', // 4
  '    mov eax, 1', // 5
  '    pushf', // 6
  '    popf', // 7
  '    cpuid', // 8
  '    ret', // 9
  'gdtr: dq 0', // 10
  '',
].join('\n');

/** Rule ids and lines the default profile reports for NASM_SOURCE (cpuid is off in deprivileged-kernel). */
export const NASM_EXPECTED: ReadonlyArray<[string, number]> = [
  ['sgdt', 4],
  ['pushf', 6],
  ['popf', 7],
];

export const GAS_SOURCE = [
  '# virtlint: dialect=gas-att bits=64', // 0
  '    .text', // 1
  '    .globl entry', // 2
  'entry:', // 3
  '    sidt idtr(%rip)', // 4
  '    pushfq', // 5
  '    popfq', // 6
  '    movq %rax, %rbx', // 7
  '    smsw %ax', // 8
  '    ret', // 9
  '    .data', // 10
  'idtr: .quad 0, 0', // 11
  '',
].join('\n');

export const GAS_EXPECTED: ReadonlyArray<[string, number]> = [
  ['sidt', 4],
  ['pushf', 5],
  ['popf', 6],
  ['smsw', 8],
];

/** Lines with and without sensitive instructions, for random edits. */
export const NASM_LINES = ['    sgdt [gdtr]', '    sidt [idtr]', '    pushf', '    popf', '    mov eax, ebx', '    str ax', '    smsw ax', 'label:', '    push cs', '    mov ds, ax', '    cpuid', '    rdtsc', '    int 0x80', '    iret', '    ret', '; comment sgdt', 'bits 16', 'bits 64', '    lar eax, ebx', '    jmp far [ptr]', '    nop'];
export const GAS_LINES = ['    sgdt gdtr', '    pushfl', '    popfl', '    movl %eax, %ebx', '    str %ax', '    smsw %ax', 'label:', '    push %cs', '    movw %ax, %ds', '    cpuid', '    rdtsc', '    int $0x80', '    iret', '    ret', '# sgdt in a comment', '    .code16', '    .code32', '    lret', '    ljmp $0x10, $next', '/* block', 'still comment */ nop'];

export const MASM_SOURCE = ['; virtlint: dialect=masm bits=32', '.386p', '.model flat', '.code', 'start proc', '    sgdt fword ptr [gdtr]', '    pushfd', '    popfd', '    ret', 'start endp', 'end', ''].join('\n');
export const MASM_LINES = ['    sgdt fword ptr [ebx]', '    pushfd', '    popfd', '    mov eax, ebx', '    str ax', '    smsw ax', 'lbl:', '    push cs', '    mov ds, ax', '    cpuid', '    retf', '    iretd', 'comment ~', 'still a comment sgdt ~', '    lar eax, ebx', '    db 0'];

export const FASM_SOURCE = ['; virtlint: dialect=fasm bits=16', 'use16', 'org 100h', '    sgdt [gdtr]', '    pushf', '    popf', '    ret', 'gdtr dq 0', ''].join('\n');
export const FASM_LINES = ['    sgdt [bx]', '    pushf', '    popf', '    mov ax, bx', '    str ax', '    smsw ax', 'lbl:', '    push cs', '    pop ds', '    mov ds, ax', '    cpuid', '    retf', '    iret', 'use32', 'use16', '    jmp far dword [bx]'];

export const GAS_INTEL_SOURCE = ['# virtlint: dialect=gas-intel bits=64', '    .intel_syntax noprefix', '    .text', 'entry:', '    sidt [rip + idtr]', '    pushfq', '    popfq', '    ret', ''].join('\n');
export const GAS_INTEL_LINES = ['    sgdt [rbx]', '    pushfq', '    popfq', '    mov rax, rbx', '    str ax', '    smsw ax', 'lbl:', '    mov ds, ax', '    cpuid', '    rdtscp', '    iretq', '    .code32', '    .code64', '/* c */ sldt ax', '    lar eax, ebx'];
