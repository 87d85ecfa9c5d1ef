// Bibliography for the catalogue. Keys follow the domain reference; every rule cites
// a subset of these so the hover card and the docs page can link to them.
import type { Source } from './schema';

function source(key: string, title: string, url: string): Source {
  return { key, title, url };
}

export const SOURCES = {
  RI: source(
    'RI',
    'Robin & Irvine, "Analysis of the Intel Pentium\'s Ability to Support a Secure Virtual Machine Monitor", USENIX Security 2000',
    'https://www.usenix.org/legacy/events/sec00/full_papers/robin/robin_html/index.html',
  ),
  PG74: source('PG74', 'Popek & Goldberg, "Formal Requirements for Virtualizable Third Generation Architectures", CACM 1974', 'https://dl.acm.org/doi/10.1145/361011.361073'),
  WP: source('WP', 'Wikipedia: Popek and Goldberg virtualization requirements', 'https://en.wikipedia.org/wiki/Popek_and_Goldberg_virtualization_requirements'),
  AA06: source('AA06', 'Adams & Agesen, "A Comparison of Software and Hardware Techniques for x86 Virtualization", ASPLOS 2006', 'https://www.vmware.com/pdf/asplos235_adams.pdf'),
  SDM_SGDT: source('SDM-SGDT', 'Intel SDM: SGDT / SIDT', 'https://felixcloutier.com/x86/SGDT.html'),
  SDM_STR: source('SDM-STR', 'Intel SDM: STR', 'https://namazso.github.io/x86/html/STR.html'),
  SDM_SMSW: source('SDM-SMSW', 'Intel SDM: SMSW', 'https://namazso.github.io/x86/html/SMSW.html'),
  SDM_PUSHF: source('SDM-PUSHF', 'Intel SDM: PUSHF/PUSHFD/PUSHFQ', 'https://yubsoft.com/x86doc/PUSHF_PUSHFD_PUSHFQ.html'),
  SDM_POPF: source('SDM-POPF', 'Intel SDM: POPF/POPFD/POPFQ', 'https://namazso.github.io/x86/html/POPF_POPFD_POPFQ.html'),
  SDM_LAR: source('SDM-LAR', 'Intel SDM: LAR', 'https://namazso.github.io/x86/html/LAR.html'),
  SDM_VERR: source('SDM-VERR', 'Intel SDM: VERR/VERW', 'https://namazso.github.io/x86/html/VERR_VERW.html'),
  SDM_PUSH: source('SDM-PUSH', 'Intel SDM: PUSH', 'http://ftp.neutrino.es/x86InstructionSet/PUSH.html'),
  SDM_POP: source('SDM-POP', 'Intel SDM: POP', 'https://namazso.github.io/x86/html/POP.html'),
  SDM_MOV: source('SDM-MOV', 'Intel SDM: MOV (segment register forms)', 'http://c-jump.com/CIS77/reference/Intel/CIS77_24319102/pg_0445.htm'),
  SDM_CALL: source('SDM-CALL', 'Intel SDM: CALL', 'https://www.manualsdir.com/manuals/129202/intel-253666-024us.html?page=133'),
  SDM_JMP_OP: source('SDM-JMP-OP', 'Intel SDM: JMP (operation)', 'http://office.manualsonline.com/manuals/mfg/intel/253666024us.html?p=559'),
  SDM_RET: source('SDM-RET', 'Intel SDM: RET', 'http://c-jump.com/CIS77/reference/Intel/CIS77_24319102/pg_0648.htm'),
  SDM_INT: source('SDM-INT', 'Intel SDM: INT n / INTO / INT3 / INT1', 'http://c-jump.com/CIS77/reference/Intel/CIS77_24319102/pg_0355.htm'),
  SDM_IRET: source('SDM-IRET', 'Intel SDM: IRET/IRETD/IRETQ', 'http://c-jump.com/CIS77/reference/Intel/CIS77_24319102/pg_0366.htm'),
  SDM_CLI: source('SDM-CLI', 'Intel SDM: CLI', 'https://www.manualsdir.com/manuals/129202/intel-253666-024us.html?page=157'),
  SDM_RDTSC: source('SDM-RDTSC', 'Intel SDM: RDTSC', 'https://norton-guides.davep.dev/x86/x86-123791.html'),
  SDM_RDTSCP: source('SDM-RDTSCP', 'Intel SDM: RDTSCP', 'https://namazso.github.io/x86/html/RDTSCP.html'),
  SDM_RDPMC: source(
    'SDM-RDPMC',
    'Intel SDM Vol. 3B: performance monitoring (CR4.PCE)',
    'https://www.manualshelf.com/manual/intel/pentium-4-processor-2-80-ghz-512k-cache-533-mhz-fsb/intel-64-and-ia-32-architectures-software-developers-manual-volume-3b-system-programming-guide-part-2/page-96.html',
  ),
  SDM_RDPID: source('SDM-RDPID', 'Intel SDM: RDPID', 'https://hjlebbink.github.io/x86doc/html/RDPID.html'),
  SDM_XGETBV: source('SDM-XGETBV', 'Intel SDM: XGETBV', 'https://felixcloutier.com/x86/xgetbv'),
  SDM_T2_3: source('SDM-T2-3', 'Intel SDM Vol. 3A Table 2-3: system instructions', 'https://xem.github.io/minix86/manual/intel-x86-and-64-manual-vol3/o_fe12b1e2a880e0ce-83.html'),
  SDM_CR4: source('SDM-CR4', 'Intel SDM Vol. 3A §2.5: CR4 (UMIP, TSD, PCE)', 'https://xem.github.io/minix86/manual/intel-x86-and-64-manual-vol3/o_fe12b1e2a880e0ce-80.html'),
  SDM_5_9: source('SDM-5.9', 'Intel SDM Vol. 3A §5.9: privileged instructions', 'https://xem.github.io/minix86/manual/intel-x86-and-64-manual-vol3/o_fe12b1e2a880e0ce-176.html'),
  VMX_EXITS_UNCOND: source('VMX-25.1.2', 'Intel SDM Vol. 3C: instructions that cause VM exits unconditionally', 'https://xem.github.io/minix86/manual/intel-x86-and-64-manual-vol3/o_fe12b1e2a880e0ce-1076.html'),
  VMX_EXITS_COND: source('VMX-25.1.3', 'Intel SDM Vol. 3C: instructions that cause VM exits conditionally', 'https://xem.github.io/minix86/manual/intel-x86-and-64-manual-vol3/o_fe12b1e2a880e0ce-1077.html'),
  VMX_EXIT_REASONS: source('VMX-EXITS', 'Intel SDM Vol. 3C Appendix C: VM-exit reasons (46, 47)', 'https://xem.github.io/minix86/manual/intel-x86-and-64-manual-vol3/o_fe12b1e2a880e0ce-1963.html'),
  VMX_SMSW: source(
    'VMX-SMSW',
    'Intel SDM Vol. 3B: SMSW and the CR0 read shadow in VMX non-root operation',
    'https://www.manualshelf.com/manual/intel/pentium-4-processor-2-80-ghz-512k-cache-533-mhz-fsb/intel-64-and-ia-32-architectures-software-developers-manual-volume-3b-system-programming-guide-part-2/page-211.html',
  ),
  VMX_EVBLOCK: source(
    'VMX-EVBLOCK',
    'Intel SDM Vol. 3B: event blocking and task switches in VMX non-root operation',
    'https://www.manualshelf.com/manual/intel/pentium-4-processor-2-80-ghz-512k-cache-533-mhz-fsb/intel-64-and-ia-32-architectures-software-developers-manual-volume-3b-system-programming-guide-part-2/page-216.html',
  ),
  VMX_IRET: source('VMX-IRET', 'Intel SDM Vol. 3C: IRET in VMX non-root operation', 'https://xem.github.io/minix86/manual/intel-x86-and-64-manual-vol3/o_fe12b1e2a880e0ce-1081.html'),
  VMX_SWEX: source('VMX-SWEX', 'Intel SDM Vol. 3C: software exceptions and the exception bitmap', 'https://xem.github.io/minix86/manual/intel-x86-and-64-manual-vol3/o_fe12b1e2a880e0ce-1131.html'),
  VMX_RDTSC: source('VMX-RDTSC', 'Intel SDM Vol. 3C: RDTSC exiting and TSC offsetting', 'https://xem.github.io/minix86/manual/intel-x86-and-64-manual-vol3/o_fe12b1e2a880e0ce-1083.html'),
  SVM: source('SVM', 'Linux arch/x86/include/asm/svm.h (SVM intercept bits)', 'https://github.com/torvalds/linux/blob/master/arch/x86/include/asm/svm.h'),
  UMIP: source('UMIP', 'Linux arch/x86/kernel/umip.c (UMIP emulation for user space)', 'https://github.com/torvalds/linux/blob/master/arch/x86/kernel/umip.c'),
  WIKICHIP_UMIP: source('WIKICHIP', 'WikiChip: x86 UMIP', 'https://en.wikichip.org/wiki/x86/umip'),
  PV_H: source('PV-H', 'Linux arch/x86/include/asm/paravirt.h', 'https://github.com/torvalds/linux/blob/master/arch/x86/include/asm/paravirt.h'),
  XEN_PUB: source('XEN-PUB', 'Xen public interface xen/include/public/xen.h', 'https://github.com/xen-project/xen/blob/master/xen/include/public/xen.h'),
  XEN_ENL: source('XEN-ENL', 'Linux arch/x86/xen/enlighten.c (Xen PV operations)', 'https://github.com/torvalds/linux/blob/master/arch/x86/xen/enlighten.c'),
  XEN_ASM: source('XEN-ASM', 'Linux arch/x86/xen/xen-asm.S', 'https://github.com/torvalds/linux/blob/master/arch/x86/xen/xen-asm.S'),
  XEN_IF: source('XEN-IF', 'Linux arch/x86/include/asm/xen/interface.h (XEN_EMULATE_PREFIX)', 'https://github.com/torvalds/linux/blob/master/arch/x86/include/asm/xen/interface.h'),
  KVM_DOC: source('KVM-DOC', 'Linux Documentation/virt/kvm/x86/hypercalls.rst', 'https://docs.kernel.org/virt/kvm/x86/hypercalls.html'),
  LKML_CPUIDF: source('LKML-CPUIDF', 'LKML: CPUID faulting support (arch_prctl ARCH_SET_CPUID)', 'https://lkml.iu.edu/hypermail/linux/kernel/1609.1/05167.html'),
  REDPILL: source('REDPILL', 'Rutkowska, "Red Pill... or how to detect VMM using (almost) one CPU instruction", 2004', 'http://web.archive.org/web/20070325211649/http://www.invisiblethings.org/papers/redpill.html'),
  NOPILL: source('NOPILL', 'Quist & Smith, "Detecting the Presence of Virtual Machines Using the Local Data Table"', 'http://www.offensivecomputing.net/files/active/0/vm.pdf'),
  OMELLA: source('OMELLA', 'Omella (S21sec), "Methods for Virtual Machine Detection"', 'http://www.s21sec.com/descargas/vmware-eng.pdf'),
  SCOOPY: source('SCOOPY', 'Klein, ScoopyNG VMware detection tool', 'http://www.trapkit.de/research/vmm/scoopyng/index.html'),
  PAFISH: source('PAFISH', 'pafish pafish/cpu.c (CPUID and timing checks)', 'https://github.com/a0rtega/pafish/blob/master/pafish/cpu.c'),
  CPEV: source('CPEV', 'Check Point Evasions encyclopedia: CPU techniques', 'https://github.com/CheckPointSW/Evasions/blob/master/_techniques/cpu.md'),
  VMKB: source('VMKB', 'VMware KB 1009458: detecting a VMware virtual machine', 'https://kb.vmware.com/selfservice/microsites/search.do?language=en_US&cmd=displayKC&externalId=1009458'),
  ATTACK_T1497_001: source('ATTACK-T1497.001', 'MITRE ATT&CK T1497.001: Virtualization/Sandbox Evasion: System Checks', 'https://attack.mitre.org/techniques/T1497/001/'),
  MBC_B0009: source('MBC-B0009', 'MBC B0009: Virtual Machine Detection', 'https://github.com/MBCProject/mbc-markdown/blob/main/anti-behavioral-analysis/virtual-machine-detection.md'),
  KVM_CPUID: source('KVM-CPUID', 'Linux Documentation/virt/kvm/x86/cpuid.rst (KVM CPUID bits and signature)', 'https://docs.kernel.org/virt/kvm/x86/cpuid.html'),
  HV_TLFS: source('HV-TLFS', 'Microsoft Hypervisor Top-Level Functional Specification: feature discovery', 'https://learn.microsoft.com/en-us/virtualization/hyper-v-on-windows/tlfs/feature-discovery'),
  LINUX_HV: source('LINUX-HV', 'Linux arch/x86/include/asm/cpuid.h (cpuid_base: the hypervisor leaf scan)', 'https://github.com/torvalds/linux/blob/master/arch/x86/include/asm/cpuid.h'),
  CORKAMI: source('CORKAMI', 'corkami: SMSW-based anti-emulation tricks', 'http://corkami.blogspot.com/2010/01/policeman-got-no-gun-u-dont-have-2-run.html'),
} as const satisfies Record<string, Source>;

export type SourceName = keyof typeof SOURCES;

export function sourcesOf(...names: SourceName[]): Source[] {
  return names.map((name) => SOURCES[name]);
}
