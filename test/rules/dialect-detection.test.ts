// Auto-detection of dialect and bitness from content, modelines, and per-region bitness.
import * as assert from 'node:assert/strict';
import { analyzeText, type AnalysisOptions, type Bits, type Dialect } from '../../server/src/analysis';

interface DetectionCase {
  name: string;
  code: string;
  dialect: Dialect;
  /** Bitness at the top of the file, when the content says it. */
  bits?: Bits;
  options?: AnalysisOptions;
}

const lines = (...l: string[]): string => l.join('\n') + '\n';

const DETECTION_CASES: readonly DetectionCase[] = [
  // NASM
  { name: 'NASM `bits 16`', code: lines('bits 16', 'org 0x7c00', 'start: mov ax, 0x07c0', '  mov ds, ax', '  jmp $'), dialect: 'nasm', bits: 16 },
  { name: 'NASM `[bits 32]`', code: lines('[bits 32]', 'global entry', 'entry:', '  mov eax, [esp+4]', '  ret'), dialect: 'nasm', bits: 32 },
  { name: 'NASM `BITS 64` upper case', code: lines('BITS 64', 'mov rax, [rel value]', 'value: dq 0'), dialect: 'nasm', bits: 64 },
  { name: 'NASM `section .text` + `global`', code: lines('section .text', 'global _start', '_start:', '  mov rax, 60', '  xor edi, edi', '  syscall'), dialect: 'nasm', bits: 64 },
  { name: 'NASM `%macro`', code: lines('%macro save 0', '  push rax', '%endmacro', 'save'), dialect: 'nasm' },
  { name: 'NASM `default rel` and `resb`', code: lines('default rel', 'section .bss', 'buf: resb 64'), dialect: 'nasm' },
  { name: 'NASM `%include` / `%define`', code: lines('%define WIDTH 4', '%include "defs.inc"', 'mov eax, WIDTH'), dialect: 'nasm' },
  // GNU as, AT&T
  { name: 'GNU `.code16`', code: lines('.code16', '.text', 'start:', '  movw $0x07c0, %ax', '  movw %ax, %ds'), dialect: 'gas-att', bits: 16 },
  { name: 'GNU `.code32`', code: lines('.code32', '.text', '  movl 4(%esp), %eax', '  ret'), dialect: 'gas-att', bits: 32 },
  { name: 'GNU `.code64`', code: lines('.code64', '.text', '  movq %rsp, %rbp'), dialect: 'gas-att', bits: 64 },
  { name: 'GNU `%eax` registers and `$` immediates', code: lines('.text', '.globl f', 'f:', '  movl $1, %eax', '  ret'), dialect: 'gas-att' },
  { name: 'GNU `%rax` registers mean 64-bit', code: lines('.text', '.globl main', 'main:', '  pushq %rbp', '  movq %rsp, %rbp', '  popq %rbp', '  ret'), dialect: 'gas-att', bits: 64 },
  { name: 'GNU `.section .text` + `.type`', code: lines('.section .text', '.type f, @function', 'f:', '  xorl %eax, %eax'), dialect: 'gas-att' },
  // GNU as, Intel
  { name: 'GNU `.intel_syntax noprefix`', code: lines('.intel_syntax noprefix', '.text', '.globl main', 'main:', '  mov rax, qword ptr [rsp+8]', '  ret'), dialect: 'gas-intel', bits: 64 },
  { name: 'GNU `.intel_syntax noprefix` + `.code32`', code: lines('.intel_syntax noprefix', '.code32', '  mov eax, dword ptr [esp+4]'), dialect: 'gas-intel', bits: 32 },
  // MASM
  { name: 'MASM `.model flat` + `.386`', code: lines('.386', '.model flat, stdcall', '.code', 'main PROC', '  pushfd', '  ret', 'main ENDP', 'END'), dialect: 'masm', bits: 32 },
  { name: 'MASM `PROC` / `ENDP` with `dword ptr`', code: lines('.code', 'f PROC', '  mov eax, dword ptr [ecx]', '  ret', 'f ENDP', 'END'), dialect: 'masm' },
  { name: 'MASM ml64 style', code: lines('.code', 'main PROC', '  sub rsp, 28h', '  mov rax, qword ptr gs:[60h]', '  add rsp, 28h', '  ret', 'main ENDP', 'END'), dialect: 'masm', bits: 64 },
  { name: 'MASM 16-bit `.model small`', code: lines('.model small', '.stack 100h', '.code', 'start:', '  mov ax, @data', '  mov ds, ax', '  int 21h', 'END start'), dialect: 'masm', bits: 16 },
  // FASM
  { name: 'FASM `use16`', code: lines('use16', 'org 0x7c00', '  mov ax, cs', '  jmp $'), dialect: 'fasm', bits: 16 },
  { name: 'FASM `use32`', code: lines('use32', '  mov eax, [esp+4]', '  ret'), dialect: 'fasm', bits: 32 },
  { name: 'FASM `use64`', code: lines('use64', '  mov rax, [rsp+8]', '  ret'), dialect: 'fasm', bits: 64 },
  { name: 'FASM `format PE`', code: lines('format PE console', 'entry start', "section '.text' code readable executable", 'start:', '  push 0', '  ret'), dialect: 'fasm', bits: 32 },
  { name: 'FASM `format PE64`', code: lines('format PE64 console', 'entry start', "section '.text' code readable executable", 'start:', '  sub rsp, 8', '  ret'), dialect: 'fasm', bits: 64 },
  { name: 'FASM `format ELF64`', code: lines('format ELF64 executable 3', 'entry start', 'start:', '  xor edi, edi'), dialect: 'fasm', bits: 64 },
  // Modelines
  { name: 'modeline picks NASM 16', code: lines('; virtlint: dialect=nasm bits=16', 'mov ax, bx', 'pushf'), dialect: 'nasm', bits: 16 },
  { name: 'modeline picks GNU Intel 32', code: lines('# virtlint: dialect=gas-intel bits=32', 'mov eax, ebx'), dialect: 'gas-intel', bits: 32 },
  { name: 'modeline picks MASM 64', code: lines('; virtlint: dialect=masm bits=64', 'mov rax, rbx'), dialect: 'masm', bits: 64 },
  {
    name: 'modeline beats contrary content',
    code: lines('; virtlint: dialect=fasm bits=32', 'section .text', 'bits 64', 'global _start'),
    dialect: 'fasm',
    bits: 32,
  },
  {
    name: 'modeline beats forced options',
    code: lines('; virtlint: dialect=nasm bits=16', 'pushf'),
    dialect: 'nasm',
    bits: 16,
    options: { dialect: 'gas-att', bits: 64 },
  },
  { name: 'forced dialect beats content', code: lines('.code32', 'movl %eax, %ebx'), dialect: 'nasm', options: { dialect: 'nasm' } },
];

describe('dialect and bitness detection', () => {
  for (const c of DETECTION_CASES) {
    it(`${c.name} → ${c.dialect}${c.bits ? `/${c.bits}` : ''}`, () => {
      const result = analyzeText(c.code, c.options ?? {});
      assert.equal(result.dialect, c.dialect, `dialect (source ${result.dialectSource}) for:\n${c.code}`);
      if (c.bits !== undefined) assert.equal(result.bits, c.bits, `bits (source ${result.bitsSource}) for:\n${c.code}`);
    });
  }

  it('reports where the setting came from', () => {
    const modeline = analyzeText(lines('; virtlint: dialect=nasm bits=16', 'pushf'));
    assert.equal(modeline.dialectSource, 'modeline');
    assert.equal(modeline.bitsSource, 'modeline');
    const forced = analyzeText(lines('pushf'), { dialect: 'fasm', bits: 32 });
    assert.equal(forced.dialectSource, 'override');
    assert.equal(forced.bitsSource, 'override');
    const directive = analyzeText(lines('bits 16', 'pushf'));
    assert.ok(['directive', 'content'].includes(directive.bitsSource), `bitsSource ${directive.bitsSource}`);
  });
});

interface RegionCase {
  name: string;
  dialect: Dialect;
  code: string;
  /** 1-based line of each PUSHF and the bitness it must be analysed at. */
  pushfBits: [number, Bits][];
}

const REGION_CASES: readonly RegionCase[] = [
  {
    name: 'NASM bits 16 → 32 → 64',
    dialect: 'nasm',
    code: lines('bits 16', 'pushf', '[bits 32]', 'pushf', 'bits 64', 'pushf'),
    pushfBits: [
      [2, 16],
      [4, 32],
      [6, 64],
    ],
  },
  {
    name: 'GNU .code16 → .code32 → .code64',
    dialect: 'gas-att',
    code: lines('.code16', 'pushf', '.code32', 'pushf', '.code64', 'pushf'),
    pushfBits: [
      [2, 16],
      [4, 32],
      [6, 64],
    ],
  },
  {
    name: 'GNU Intel syntax .code64 → .code16',
    dialect: 'gas-intel',
    code: lines('.intel_syntax noprefix', '.code64', 'pushf', '.code16', 'pushf'),
    pushfBits: [
      [3, 64],
      [5, 16],
    ],
  },
  {
    name: 'FASM use32 → use16 → use64',
    dialect: 'fasm',
    code: lines('use32', 'pushf', 'use16', 'pushf', 'use64', 'pushf'),
    pushfBits: [
      [2, 32],
      [4, 16],
      [6, 64],
    ],
  },
  {
    name: 'MASM USE32 segment then a USE16 segment',
    dialect: 'masm',
    code: lines('.386', 'code32 SEGMENT USE32', 'pushfd', 'code32 ENDS', 'code16 SEGMENT USE16', 'pushf', 'code16 ENDS', 'END'),
    pushfBits: [
      [3, 32],
      [6, 16],
    ],
  },
];

// PUSHF's encoding default differs per mode (Pushfw / Pushfd / Pushfq), so the resolved iced Code shows the bitness used.
const PUSHF_CODE_FOR_BITS: Record<Bits, string> = { 16: 'Pushfw', 32: 'Pushfd', 64: 'Pushfq' };

describe('per-region bitness', () => {
  for (const c of REGION_CASES) {
    it(c.name, () => {
      const result = analyzeText(c.code, { rules: ['all'] });
      assert.equal(result.dialect, c.dialect);
      const pushfs = result.findings.filter((f) => f.ruleId === 'pushf').map((f) => [f.mnemonicRange.start.line + 1, f.instruction?.bits, f.codeName]);
      assert.deepEqual(
        pushfs,
        c.pushfBits.map(([line, bits]) => [line, bits, PUSHF_CODE_FOR_BITS[bits]]),
        `findings:\n${result.findings.map((f) => `${f.mnemonicRange.start.line + 1} ${f.ruleId} ${f.codeName ?? ''}`).join('\n')}`,
      );
      for (const [line, bits] of c.pushfBits) {
        const region = [...result.bitsRegions].reverse().find((r) => r.startLine <= line - 1);
        assert.equal(region?.bits, bits, `bitsRegions ${JSON.stringify(result.bitsRegions)} at line ${line}`);
      }
    });
  }

  it('a forced bitness still yields to directives further down', () => {
    const result = analyzeText(lines('pushf', 'bits 16', 'pushf'), { dialect: 'nasm', bits: 64, rules: ['all'] });
    assert.deepEqual(
      result.findings.filter((f) => f.ruleId === 'pushf').map((f) => f.codeName),
      ['Pushfq', 'Pushfw'],
    );
  });
});
