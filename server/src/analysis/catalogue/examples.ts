// One flagged statement per rule in each dialect we can assemble here. The catalogue test
// assembles every example with nasm / GNU as, decodes the bytes with iced-x86 and checks the
// instruction belongs to the rule, so the examples in the docs are real and correctly spelled.
import type { Bits } from '../types';

export interface RuleExample {
  bits: Bits;
  nasm: string;
  gasAtt: string;
  gasIntel: string;
}

function same(bits: Bits, statement: string): RuleExample {
  return { bits, nasm: statement, gasAtt: statement, gasIntel: statement };
}

export const EXAMPLES: Readonly<Record<string, RuleExample>> = {
  sgdt: { bits: 64, nasm: 'sgdt [rax]', gasAtt: 'sgdt (%rax)', gasIntel: 'sgdt [rax]' },
  sidt: { bits: 64, nasm: 'sidt [rax]', gasAtt: 'sidt (%rax)', gasIntel: 'sidt [rax]' },
  sldt: { bits: 64, nasm: 'sldt ax', gasAtt: 'sldt %ax', gasIntel: 'sldt ax' },
  smsw: { bits: 64, nasm: 'smsw eax', gasAtt: 'smsw %eax', gasIntel: 'smsw eax' },
  str: { bits: 64, nasm: 'str ax', gasAtt: 'str %ax', gasIntel: 'str ax' },
  pushf: same(64, 'pushfq'),
  popf: same(64, 'popfq'),
  lar: { bits: 64, nasm: 'lar eax, ecx', gasAtt: 'lar %ecx, %eax', gasIntel: 'lar eax, ecx' },
  lsl: { bits: 64, nasm: 'lsl eax, ecx', gasAtt: 'lsl %ecx, %eax', gasIntel: 'lsl eax, ecx' },
  verr: { bits: 64, nasm: 'verr ax', gasAtt: 'verr %ax', gasIntel: 'verr ax' },
  verw: { bits: 64, nasm: 'verw ax', gasAtt: 'verw %ax', gasIntel: 'verw ax' },
  'push-sreg': { bits: 32, nasm: 'push cs', gasAtt: 'push %cs', gasIntel: 'push cs' },
  'pop-sreg': { bits: 32, nasm: 'pop ds', gasAtt: 'pop %ds', gasIntel: 'pop ds' },
  'mov-sreg': { bits: 64, nasm: 'mov ax, ss', gasAtt: 'mov %ss, %ax', gasIntel: 'mov ax, ss' },
  'far-call': { bits: 64, nasm: 'call far [rax]', gasAtt: 'lcall *(%rax)', gasIntel: 'call fword ptr [rax]' },
  'far-jmp': { bits: 32, nasm: 'jmp 0x08:0x1000', gasAtt: 'ljmp $0x08, $0x1000', gasIntel: 'jmp 0x08:0x1000' },
  'far-ret': { bits: 64, nasm: 'retf', gasAtt: 'lretq', gasIntel: 'retf' },
  int: { bits: 64, nasm: 'int 0x80', gasAtt: 'int $0x80', gasIntel: 'int 0x80' },
  iret: same(64, 'iretq'),
  cpuid: same(64, 'cpuid'),
  rdtsc: same(64, 'rdtsc'),
  rdtscp: same(64, 'rdtscp'),
  rdpmc: same(64, 'rdpmc'),
  rdpid: { bits: 64, nasm: 'rdpid rax', gasAtt: 'rdpid %rax', gasIntel: 'rdpid rax' },
  xgetbv: same(64, 'xgetbv'),
};
