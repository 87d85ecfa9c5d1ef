// The two files a project needs next to hypercall fixes: the guest-side definitions of the
// symbolic numbers (in the file's dialect) and a C header for the hypervisor side.
import { insertedComment } from '../syntax/dialects';
import type { Dialect } from '../types';
import type { HypercallAbi } from './context';
import { HYPERCALL_RULES, HYPERV_PAGE_POINTER, SEGMENT_REGISTERS, XEN, XEN_SYMBOLS, hypercallNumber, hypercallSymbol, segmentSymbol } from './numbers';
import { formatNumber } from './render';

interface Constant {
  name: string;
  value: number;
  note: string;
}

/** What a guest-side reader of the definitions file needs beyond the rule name. */
const GUEST_NOTE: Partial<Record<string, string>> = {
  smsw: ' (arg1 = bytes of CR0 to store: 2 memory/r16, 4 r32, 8 r64)',
};

function constants(abi: HypercallAbi): Constant[] {
  const list: Constant[] = HYPERCALL_RULES.map((rule) => ({ name: hypercallSymbol(rule), value: hypercallNumber(rule, abi), note: `replaces ${rule.toUpperCase()}${GUEST_NOTE[rule] ?? ''}` }));
  SEGMENT_REGISTERS.forEach((sreg, value) => list.push({ name: segmentSymbol(sreg), value, note: `segment register ${sreg.toUpperCase()} (PUSH/POP/MOV Sreg hypercalls; in 16-bit code, the segment of an address)` }));
  if (abi === 'xen') {
    list.push(
      { name: XEN_SYMBOLS.iret, value: XEN.iret, note: '__HYPERVISOR_iret' },
      { name: XEN_SYMBOLS.xenVersion, value: XEN.xenVersion, note: '__HYPERVISOR_xen_version' },
      { name: XEN_SYMBOLS.pending, value: XEN.upcallPendingOffset, note: 'offsetof(struct vcpu_info, evtchn_upcall_pending)' },
      { name: XEN_SYMBOLS.mask, value: XEN.upcallMaskOffset, note: 'offsetof(struct vcpu_info, evtchn_upcall_mask)' },
    );
  }
  return list;
}

/** Symbols the ABI's sequences use that the program defines elsewhere. */
const EXTERNAL_SYMBOLS: Partial<Record<HypercallAbi, string[]>> = {
  xen: [XEN_SYMBOLS.page, XEN_SYMBOLS.vcpuInfo],
  hyperv: [HYPERV_PAGE_POINTER],
};

const ABI_NOTE: Record<HypercallAbi, string> = {
  kvm: 'KVM: VMCALL, number in EAX/RAX, arguments in RBX, RCX, RDX, RSI, status in RAX.',
  'kvm-amd': 'KVM on AMD: VMMCALL, number in EAX/RAX, arguments in RBX, RCX, RDX, RSI, status in RAX.',
  xen: `Xen PV: call ${XEN_SYMBOLS.page} + number*32; arguments in RDI, RSI, RDX, R10, R8 (64-bit) or EBX, ECX, EDX, ESI, EDI (32-bit); result in RAX/EAX. The code also assumes ${XEN_SYMBOLS.vcpuInfo} = this vCPU's struct vcpu_info.`,
  hyperv: `Hyper-V: call through the pointer ${HYPERV_PAGE_POINTER}; control (call code) in RCX, input block address in RDX, output address in R8 (32-bit: EDX:EAX, EBX:ECX, EDI:ESI); status in RAX. Addresses are guest-virtual.`,
  custom: 'Custom ABI: the register convention and call sequence come from the virtlint.fix.customTemplate setting (KVM convention by default).',
};

export function hypercallDefinitions(dialect: Dialect, abi: HypercallAbi): string {
  const note = (text: string): string => insertedComment(dialect, text);
  const out: string[] = [
    note(`virtlint hypercall numbers (${abi}). Generated; include this file before code fixed by virtlint.`),
    note(ABI_NOTE[abi]),
    note('The values are placeholders: change them to the numbers your hypervisor implements.'),
  ];
  if (abi === 'xen') out.push(note(`Define ${XEN_SYMBOLS.page} and ${XEN_SYMBOLS.vcpuInfo} elsewhere (linker script or kernel data).`));
  if (abi === 'hyperv') out.push(note(`Define ${HYPERV_PAGE_POINTER} elsewhere: a pointer to the hypercall page.`));
  const external = EXTERNAL_SYMBOLS[abi];
  if (dialect === 'nasm' && external) {
    // NASM needs external symbols declared in an object file and refuses them in a flat binary.
    out.push('%ifnidni __?OUTPUT_FORMAT?__, bin', `extern ${external.join(', ')}`, '%endif');
  }
  for (const k of constants(abi)) {
    const value = formatNumber(k.value, dialect);
    switch (dialect) {
      case 'nasm':
        out.push(`%define ${k.name} ${value} ${note(k.note)}`);
        break;
      case 'gas-att':
      case 'gas-intel':
        out.push(`.equ ${k.name}, ${value} ${note(k.note)}`);
        break;
      case 'masm':
        out.push(`${k.name} EQU ${value} ${note(k.note)}`);
        break;
      case 'fasm':
        out.push(`${k.name} = ${value} ${note(k.note)}`);
        break;
    }
  }
  return out.join('\n') + '\n';
}

const CONTRACT: Record<string, string> = {
  sgdt: 'arg0 = address of a 10-byte (64-bit) or 6-byte area; write the virtual GDTR (limit, base) there.',
  sidt: 'arg0 = address of a 10-byte (64-bit) or 6-byte area; write the virtual IDTR (limit, base) there.',
  sldt: 'arg0 = address; write the virtual LDTR selector there (2 bytes; the guest zero-extends it for wider registers).',
  str: 'arg0 = address; write the virtual TR selector there (2 bytes).',
  smsw: 'arg0 = address, arg1 = byte count (2, 4 or 8); write exactly arg1 bytes there: the low arg1 bytes of the virtual CR0, little-endian, as SMSW stores them. 2 = a memory or 16-bit register destination (CR0[15:0]; write nothing past those 2 bytes: they belong to the guest), 4 = a 32-bit register (CR0[31:0]), 8 = a 64-bit register (CR0[63:0]). The guest zero-extends a 32-bit result in 64-bit code and keeps the upper bits of a 16-bit register.',
  pushf: 'arg0 = address of the pushed slot, arg1 = its size (2, 4 or 8: the operand size of the PUSHF); write the guest flags image there with the virtual IF and IOPL, and RF and VM clear (as PUSHF does).',
  popf: 'arg0 = flags image; load the guest RFLAGS from it (IF and IOPL virtualized) before resuming.',
  lar: 'arg0 = address of the result, arg1 = selector, arg2 = current destination value; write 4 bytes (16- or 32-bit code) or 8 bytes (64-bit code): the access rights zero-extended, or arg2 unchanged when invalid; set guest ZF = valid.',
  lsl: 'arg0 = address of the result, arg1 = selector, arg2 = current destination value; write 4 bytes (16- or 32-bit code) or 8 bytes (64-bit code): the segment limit zero-extended, or arg2 unchanged when invalid; set guest ZF = valid.',
  verr: 'arg0 = selector; set guest ZF = readable at the guest\'s virtual CPL.',
  verw: 'arg0 = selector; set guest ZF = writable at the guest\'s virtual CPL.',
  'push-sreg': 'arg0 = address of the pushed slot, arg1 = segment register (ES 0, CS 1, SS 2, DS 3, FS 4, GS 5), arg2 = slot size (2, 4 or 8); fill the slot with the zero-extended virtual selector.',
  'pop-sreg': 'arg0 = segment register number, arg1 = selector; load the segment register (the guest discards the stack slot).',
  'mov-sreg': 'read form: arg0 = address of the result, arg1 = segment register number; write the virtual selector (2 bytes). Write form: arg0 = segment register number, arg1 = selector; load it.',
  int: 'arg0 = vector; deliver the software interrupt to the guest\'s virtual IDT, returning after the call.',
  cpuid: 'arg0 = address of a 16-byte buffer, arg1 = leaf (EAX), arg2 = subleaf (ECX); write EAX, EBX, ECX, EDX as dwords.',
  rdtsc: 'arg0 = address of an 8-byte buffer; write the virtual TSC as EAX, EDX dwords.',
  rdtscp: 'arg0 = address of a 16-byte buffer; write EAX, EDX, ECX (TSC_AUX) dwords.',
  rdpmc: 'arg0 = address of an 8-byte buffer, arg1 = counter (ECX); write EAX, EDX dwords.',
  rdpid: 'arg0 = address of a buffer; write the virtual TSC_AUX (4 bytes; the guest zero-extends it).',
  xgetbv: 'arg0 = address of an 8-byte buffer, arg1 = XCR number (ECX); write EAX, EDX dwords.',
};

export function hypercallHeader(abi: HypercallAbi): string {
  const out: string[] = [
    '/* virtlint hypercall numbers: the hypervisor side of the guest fixes. Generated. */',
    `/* ${ABI_NOTE[abi]} */`,
    '/* Argument order: arg0 is the first argument register of the ABI (Hyper-V: the first */',
    '/* 8-byte field of the input block; the result address is the output address). */',
    '/* The guest sequences write no flags themselves: return with RFLAGS unchanged unless a */',
    '/* contract below says to set a flag. Every address is a guest-virtual address. */',
    '/* Write exactly the bytes a contract names and nothing after them: a destination */',
    '/* may be the guest\'s own memory operand, whose neighbouring bytes are live data. */',
    '/* 16-bit code (KVM and register-template ABIs): the guest passes 32-bit registers, an */',
    '/* address argument is a 16- or 32-bit offset, and the number of the segment register it */',
    '/* is relative to (VIRTLINT_SREG_*) follows the last argument a contract names: the */',
    '/* address is that register\'s base plus the offset. */',
    '#ifndef VIRTLINT_HYPERCALLS_H',
    '#define VIRTLINT_HYPERCALLS_H',
    '',
  ];
  for (const k of constants(abi)) {
    const rule = HYPERCALL_RULES.find((r) => hypercallSymbol(r) === k.name);
    const contract = rule ? CONTRACT[rule] : k.note;
    if (rule) {
      const args = contract ?? '';
      const hyperv = abi === 'hyperv' ? ' (Hyper-V: the result address goes in the output address; the other arguments fill the input block in order.)' : '';
      out.push(`/* ${k.name}: ${args}${hyperv} */`);
    } else out.push(`/* ${k.note} */`);
    out.push(`#define ${k.name} 0x${k.value.toString(16)}`);
  }
  out.push('', '#endif');
  return out.join('\n') + '\n';
}
