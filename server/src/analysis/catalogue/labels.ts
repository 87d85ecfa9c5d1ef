// Display names and one-sentence explanations shared by the docs pages and the hover card.
import type { FixKind, RuleEntry, RuleFamily } from './schema';

export const FAMILY_LABEL: Readonly<Record<RuleFamily, string>> = {
  'sensitive-register': 'Sensitive register instruction (Robin & Irvine 2000)',
  'protection-system': 'Protection system reference (Robin & Irvine 2000)',
  'later-addition': 'Later addition (not in Robin & Irvine\'s list)',
  'detection-idiom': 'VM-detection idiom (several instructions read together)',
  meta: 'Meta diagnostic (about the source, not about virtualization)',
};

export const FIX_LABEL: Readonly<Record<FixKind, string>> = {
  'trap-equivalent': 'Trapping equivalent',
  'forced-emulation': 'Forced-emulation prefix',
  hypercall: 'Hypercall',
  'cr4-control': 'CR4 control',
};

/** One sentence per fix kind, specialised where the rule has its own trapping equivalent. */
export function describeFix(entry: RuleEntry, kind: FixKind): string {
  switch (kind) {
    case 'trap-equivalent':
      return entry.id === 'smsw'
        ? 'Replace it with `MOV reg, CR0`, which reads the same register but is privileged, so it faults at CPL>0 and the VMM can emulate it.'
        : 'Replace the IF part with `STI`/`CLI` chosen by the saved IF bit (both fault when CPL > IOPL); the line keeps POPF for the other flags and is marked `virtlint-fixed: popf`.';
    case 'forced-emulation':
      return 'Put a hypervisor\'s forced-emulation prefix (`ud2` followed by a signature such as "xen" or "kvm") before the instruction, so the hypervisor traps and emulates it; the kept instruction is marked `virtlint-fixed`.';
    case 'hypercall':
      return 'Call the hypervisor instead, through the ABI you choose (KVM, Xen, Hyper-V or a custom template); virtlint inserts the call and the definitions it needs.';
    case 'cr4-control':
      return entry.id === 'rdpmc'
        ? 'Leave CR4.PCE clear so the instruction itself faults at CPL>0 (a system setting, not an edit to this line).'
        : entry.id === 'rdtsc' || entry.id === 'rdtscp'
          ? 'Set CR4.TSD so the instruction itself faults at CPL>0 (a system setting, not an edit to this line).'
          : 'Set CR4.UMIP so the instruction itself faults at CPL>0 and can be emulated (a system setting, not an edit to this line).';
  }
}
