// One representative instruction per rule × dialect × bitness for the assembling tests.
import { ruleIdOf } from '../../server/src/analysis/catalogue';
import type { Bits } from '../../server/src/analysis';
import type { TestDialect } from './fixture';

interface Forms {
  intel: string;
  att: string;
  /** FASM spelling when it differs from NASM's. */
  fasm?: string;
  /** GNU as Intel spelling when it differs from NASM's. */
  gasIntel?: string;
}

const sp = (bits: Bits) => (bits === 64 ? 'rsp' : 'esp');
const r = (bits: Bits, name64: string, name32: string, name16: string) => (bits === 64 ? name64 : bits === 32 ? name32 : name16);

const FORMS: Record<string, (bits: Bits) => Forms | undefined> = {
  sgdt: (b) => (b === 16 ? { intel: 'sgdt [bx+2]', att: 'sgdt 2(%bx)' } : { intel: `sgdt [${sp(b)}+8]`, att: `sgdt 8(%${sp(b)})` }),
  sidt: (b) => {
    const [base, index] = b === 64 ? ['rbx', 'rcx'] : ['ebx', 'ecx'];
    return { intel: `sidt [${base}+${index}*4+16]`, att: `sidt 16(%${base},%${index},4)` };
  },
  sldt: () => ({ intel: 'sldt ax', att: 'sldt %ax' }),
  str: (b) => {
    const base = r(b, 'rdi', 'edi', 'di');
    return { intel: `str word [${base}]`, att: `str (%${base})`, gasIntel: `str word ptr [${base}]` };
  },
  smsw: () => ({ intel: 'smsw ax', att: 'smsw %ax' }),
  pushf: () => ({ intel: 'pushf', att: 'pushf' }),
  popf: () => ({ intel: 'popf', att: 'popf' }),
  lar: (b) => (b === 16 ? { intel: 'lar ax, cx', att: 'lar %cx, %ax' } : { intel: 'lar eax, cx', att: 'lar %cx, %eax' }),
  lsl: (b) => {
    const base = r(b, 'rsi', 'esi', 'si');
    const dest = b === 16 ? 'bx' : 'ebx';
    return { intel: `lsl ${dest}, word [${base}]`, att: `lsl (%${base}), %${dest}`, gasIntel: `lsl ${dest}, word ptr [${base}]` };
  },
  verr: () => ({ intel: 'verr cx', att: 'verr %cx' }),
  verw: (b) => {
    const base = r(b, 'rdi', 'edi', 'di');
    return { intel: `verw word [${base}+2]`, att: `verw 2(%${base})`, gasIntel: `verw word ptr [${base}+2]` };
  },
  'push-sreg': (b) => (b === 64 ? { intel: 'push fs', att: 'push %fs' } : { intel: 'push ds', att: 'push %ds' }),
  'pop-sreg': (b) => (b === 64 ? { intel: 'pop fs', att: 'pop %fs' } : { intel: 'pop ds', att: 'pop %ds' }),
  'mov-sreg': () => ({ intel: 'mov ax, cs', att: 'mov %cs, %ax' }),
  'far-ret': () => ({ intel: 'retf', att: 'lret' }),
  'far-jmp': (b) => (b === 64 ? undefined : { intel: 'jmp 0x10:0x1000', att: 'ljmp $0x10, $0x1000' }),
  'far-call': (b) => (b === 64 ? undefined : { intel: 'call 0x10:0x1000', att: 'lcall $0x10, $0x1000' }),
  int: () => ({ intel: 'int 0x80', att: 'int $0x80' }),
  iret: (b) => (b === 64 ? { intel: 'iretq', att: 'iretq' } : b === 32 ? { intel: 'iretd', att: 'iret' } : { intel: 'iret', att: 'iret' }),
  cpuid: () => ({ intel: 'cpuid', att: 'cpuid' }),
  rdtsc: () => ({ intel: 'rdtsc', att: 'rdtsc' }),
  rdtscp: () => ({ intel: 'rdtscp', att: 'rdtscp' }),
  rdpmc: () => ({ intel: 'rdpmc', att: 'rdpmc' }),
  rdpid: (b) => (b === 16 ? undefined : b === 64 ? { intel: 'rdpid rax', att: 'rdpid %rax' } : { intel: 'rdpid eax', att: 'rdpid %eax' }),
  xgetbv: () => ({ intel: 'xgetbv', att: 'xgetbv' }),
};

export const CASE_RULES = Object.keys(FORMS).map(ruleIdOf);

export function instructionFor(ruleId: string, dialect: TestDialect | 'masm', bits: Bits): string | undefined {
  // fasm 1.73 does not know RDPID (it assembles `rdpid eax` as an error and `rdpid rax` wrongly).
  if (dialect === 'fasm' && ruleId === 'rdpid') return undefined;
  const forms = FORMS[ruleId]?.(bits);
  if (!forms) return undefined;
  switch (dialect) {
    case 'gas-att':
      return forms.att;
    case 'gas-intel':
      return forms.gasIntel ?? forms.intel.replace(/\b(word) \[/, '$1 ptr [');
    case 'fasm':
      return forms.fasm ?? forms.intel;
    case 'masm':
      if (ruleId === 'far-jmp' || ruleId === 'far-call') return undefined; // MASM wants a FAR label, not an immediate pointer
      return forms.intel.replace(/\b(word) \[/, '$1 ptr [').replace(/\b0x([0-9a-f]+)/gi, '0$1h');
    default:
      return forms.intel;
  }
}
