// Symbolic hypercall numbers: one per rule that has a hypercall replacement. The values are
// placeholders in ranges no real hypercall uses; the hypervisor side implements them.
import type { HypercallAbi } from './context';

export const HYPERCALL_RULES = [
  'sgdt', 'sidt', 'sldt', 'str', 'smsw', 'pushf', 'popf', 'lar', 'lsl', 'verr', 'verw',
  'push-sreg', 'pop-sreg', 'mov-sreg', 'int', 'cpuid', 'rdtsc', 'rdtscp', 'rdpmc', 'rdpid', 'xgetbv',
] as const;

export function hypercallSymbol(ruleId: string): string {
  return `VIRTLINT_HC_${ruleId.toUpperCase().replace(/-/g, '_')}`;
}

export function hypercallNumber(ruleId: string, abi: HypercallAbi): number {
  const index = (HYPERCALL_RULES as readonly string[]).indexOf(ruleId);
  if (index < 0) throw new Error(`no hypercall number for ${ruleId}`);
  switch (abi) {
    case 'xen':
      return 64 + index; // an entry of the 128-slot hypercall page above the public numbers (0–55)
    case 'hyperv':
      return 0x7f00 + index; // a 16-bit call code
    default:
      return 0x564c0001 + index; // "VL" in the high half
  }
}

/** Xen facts the Xen fixes rely on (public `xen.h`). */
export const XEN = {
  iret: 23,
  xenVersion: 17,
  /** struct vcpu_info: uint8_t evtchn_upcall_pending at 0, uint8_t evtchn_upcall_mask at 1. */
  upcallPendingOffset: 0,
  upcallMaskOffset: 1,
} as const;
export const XEN_SYMBOLS = {
  iret: 'VIRTLINT_XEN_HC_IRET',
  xenVersion: 'VIRTLINT_XEN_HC_XEN_VERSION',
  pending: 'VIRTLINT_XEN_VCPU_UPCALL_PENDING',
  mask: 'VIRTLINT_XEN_VCPU_UPCALL_MASK',
  vcpuInfo: 'xen_vcpu_info',
  page: 'hypercall_page',
} as const;
export const HYPERV_PAGE_POINTER = 'hv_hypercall_pg';

/** Segment-register numbers the segment-register hypercalls pass (the order of the ISA's Sreg field). */
export const SEGMENT_REGISTERS = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'] as const;

export function segmentSymbol(sreg: string): string {
  return `VIRTLINT_SREG_${sreg.toUpperCase()}`;
}
