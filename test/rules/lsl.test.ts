import { att, fasm, intel, masm, nasm, runRule } from './ruletester';

runRule('lsl', {
  valid: [
    nasm(32, 'shl eax, 1'),
    nasm(64, 'lss rsp, [rax]', { why: 'LSS loads SS:RSP; not LSL' }),
    nasm(32, 'lsl_limit: dd 0'),
    att(32, 'sall $1, %eax'),
    intel(64, 'shl rax, 1 # lsl'),
    masm(32, 'shl eax, 1'),
    fasm(64, 'shl rax, 1'),
  ],
  invalid: [
    nasm(16, 'lsl ax, dx', { line: 1, column: 1 }),
    nasm(16, 'lsl eax, ecx'),
    nasm(32, 'lsl eax, edx'),
    nasm(32, 'lsl eax, word [ebx+4]'),
    nasm(64, 'lsl rax, [rbx]'),
    nasm(64, 'lsl eax, edx'),
    att(16, 'lsl %dx, %ax'),
    att(32, 'lsll 4(%ebx), %eax'),
    att(64, 'lsl (%rbx), %rax'),
    intel(32, 'lsl eax, edx'),
    intel(64, 'lsl rax, word ptr [rbx]'),
    masm(32, 'lsl eax, edx'),
    masm(64, 'lsl rax, word ptr [rbx]'),
    fasm(16, 'lsl ax, dx'),
    fasm(32, 'lsl eax, dx'),
    fasm(64, 'lsl rax, word [rbx]'),
  ],
});
