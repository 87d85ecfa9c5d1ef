// The VM-detection idioms: several instructions that only make sense together as a test for a
// hypervisor. Each is one catalogue entry like the instruction rules; the matching lives in
// analysis/idioms/. Only the `vm-detection-audit` profile runs them, and there an instruction
// that belongs to an idiom is reported once, as the idiom.
import type { ProfileId, RuleEntry, TaxonomyTag } from './schema';
import { sourcesOf } from './sources';

const AUDIT_ONLY: Record<ProfileId, 'off' | 'warning'> = { 'deprivileged-kernel': 'off', 'hardware-assisted-guest': 'off', 'vm-detection-audit': 'warning' };

const SYSTEM_CHECKS: TaxonomyTag = { taxonomy: 'ATT&CK', id: 'T1497.001', name: 'Virtualization/Sandbox Evasion: System Checks' };
const VM_DETECTION: TaxonomyTag = { taxonomy: 'MBC', id: 'B0009', name: 'Virtual Machine Detection' };
const INSTRUCTION_TESTING: TaxonomyTag = { taxonomy: 'MBC', id: 'B0009.029', name: 'Virtual Machine Detection::Instruction Testing' };

function mbcMethod(id: string, method: string): TaxonomyTag {
  return { taxonomy: 'MBC', id, name: `Virtual Machine Detection::Instruction Testing - ${method}` };
}

const CPUID_METHOD = mbcMethod('B0009.034', 'CPUID');

export const IDIOM_RULES: readonly RuleEntry[] = [
  {
    id: 'hypervisor-leaf',
    group: 'idiom',
    family: 'detection-idiom',
    mnemonics: ['CPUID'],
    title: 'CPUID asks for the hypervisor leaves',
    message: 'CPUID reads a hypervisor leaf (0x40000000-0x400000FF): this code asks which hypervisor it runs under',
    problem:
      'Leaves `0x40000000` to `0x400000FF` are reserved by Intel and AMD for hypervisors. Leaf `0x40000000` returns the highest hypervisor leaf in EAX and a 12-byte vendor signature in EBX, ECX and EDX; the leaves above it describe the hypervisor\'s interface. ' +
      'On bare metal they return nothing of meaning, so a program that loads such a leaf into EAX before CPUID is asking whether, and under which hypervisor, it runs. ' +
      'Guest kernels do this honestly to find paravirtual interfaces (Linux\'s `cpuid_base` scans these leaves for `KVMKVMKVM`, `XenVMMXenVMM`, `Microsoft Hv`); it is detection either way, and the audit reports it as such. ' +
      'In C and C++ the leaf is also followed into a CPUID wrapper (`cpuid`, `cpuid_count`, `cpuid_eax`, `native_cpuid`, or a function of the file whose body is CPUID inline assembly): a literal, a constant the file defines, or a variable whose last assignment (a `for` start, or a loop macro of the file such as Linux\'s `for_each_possible_hypervisor_cpuid_base`) is the vendor leaf `0x40000000`. Through a wrapper only the vendor leaf counts: guest code reads the leaves above it once it knows its hypervisor.',
    vtx: 'CPUID always exits under VT-x, so the hypervisor chooses what every leaf returns.',
    amdv: 'SVM has a CPUID intercept that every mainstream hypervisor sets.',
    controls:
      'A hypervisor can hide itself: KVM and QEMU (`-cpu host,kvm=off,hv_vendor_id=…`), VMware (`hypervisor.cpuid.v0 = "FALSE"`) and Xen (`cpuid=` masks) can return zeros or another signature for these leaves. CPUID faulting (Intel, `arch_prctl(ARCH_SET_CPUID, 0)` on Linux) makes CPUID trap at CPL 3 so a kernel can answer for user space.',
    fixes: [],
    advice: 'If the code is a guest kernel or driver looking for its hypervisor, this is expected: suppress it with a reason. In code that has no business knowing, find out why it asks.',
    detection: 'pafish, al-khaser and VMAware read leaf 0x40000000 and compare the signature with known vendors.',
    severity: AUDIT_ONLY,
    sources: sourcesOf('KVM_CPUID', 'HV_TLFS', 'LINUX_HV', 'PAFISH', 'CPEV', 'ATTACK_T1497_001', 'MBC_B0009'),
    tags: [SYSTEM_CHECKS, VM_DETECTION, CPUID_METHOD],
  },
  {
    id: 'hypervisor-bit',
    group: 'idiom',
    family: 'detection-idiom',
    mnemonics: ['CPUID'],
    title: 'CPUID leaf 1 followed by a test of ECX bit 31',
    message: 'CPUID leaf 1 followed by a test of ECX bit 31: this code checks the hypervisor-present bit',
    problem:
      'CPUID leaf 1 returns feature flags; bit 31 of ECX is reserved by the processor vendors for hypervisors, which set it to say that a hypervisor is present. ' +
      'Code that loads 1 into EAX, executes CPUID and then tests bit 31 of ECX (`bt ecx, 31`, `test ecx, 0x80000000`, a shift by 31, or a sign test of ECX) asks exactly one question: is there a hypervisor? ' +
      'Tests of other leaf-1 bits (SSE4.2, AVX, RDRAND, …) are ordinary feature detection and are not reported as this idiom.',
    vtx: 'CPUID always exits under VT-x; the hypervisor decides the bit.',
    amdv: 'SVM\'s CPUID intercept lets the hypervisor decide the bit.',
    controls:
      'Hypervisors can clear the bit: KVM/QEMU `-cpu …,-hypervisor`, VMware `hypervisor.cpuid.v0 = "FALSE"`, Xen and Hyper-V CPUID policies. CPUID faulting lets a kernel answer CPUID for user space.',
    fixes: [],
    advice: 'Guest-aware code that switches to paravirtual paths uses this bit legitimately; suppress with a reason. Otherwise find out why the code wants to know.',
    detection: 'The first check of almost every VM-detection tool (pafish `cpu_hv`, al-khaser, VMAware).',
    severity: AUDIT_ONLY,
    sources: sourcesOf('KVM_CPUID', 'HV_TLFS', 'PAFISH', 'CPEV', 'ATTACK_T1497_001', 'MBC_B0009'),
    tags: [SYSTEM_CHECKS, VM_DETECTION, CPUID_METHOD],
  },
  {
    id: 'hypervisor-signature',
    group: 'idiom',
    family: 'detection-idiom',
    mnemonics: ['CPUID', 'CMP', 'MOV'],
    title: 'Comparison with a hypervisor vendor signature',
    message: 'Comparison with a hypervisor vendor signature: this code identifies the hypervisor by name',
    problem:
      'CPUID leaf `0x40000000` returns a 12-byte vendor signature in EBX, ECX and EDX: `KVMKVMKVM`, `VMwareVMware`, `Microsoft Hv`, `XenVMMXenVMM`, `VBoxVBoxVBox`, `TCGTCGTCGTCG` (QEMU\'s emulator), `bhyve bhyve `, ` lrpepyh  vr` (Parallels), `ACRNACRNACRN`, `Jailhouse` (padded with NULs). ' +
      'Code that compares a register or a buffer with four bytes of one of these signatures, as an immediate (`cmp ebx, 0x61774d56` is `VMwa`), is identifying the hypervisor it runs under. ' +
      'virtlint reports the comparison once, at the CPUID when one precedes it in the same short run of instructions. ' +
      'In a binary, an instruction after the CPUID that loads the address of a signature string in the image\'s read-only data (`lea rsi, [rip+…]` before `call memcmp`, or a pushed address in 32-bit code) counts as the comparison: the scanner reads the bytes at that address in `.rodata` or `.rdata`. ' +
      'In C and C++, a signature string, or a signature macro (`KVM_SIGNATURE`, or one the file defines), passed to a function that searches the hypervisor leaves (`hypervisor_cpuid_base`, or a function of the file that reads the vendor leaf) is reported at the argument; a signature macro passed to a compare function counts only where the same function runs CPUID, since a hypervisor compares it with the leaves it fills for its guests.',
    vtx: 'CPUID always exits under VT-x; the hypervisor writes the signature.',
    amdv: 'SVM\'s CPUID intercept lets the hypervisor write the signature.',
    controls:
      'The signature is the hypervisor\'s choice: KVM/QEMU `kvm=off` and `hv_vendor_id=`, VMware `hypervisor.cpuid.v0 = "FALSE"`, or a custom CPUID policy hide or change it.',
    fixes: [],
    advice: 'Expected in guest kernels and drivers that pick a paravirtual interface; suppress with a reason there. Elsewhere the code behaves differently under a named hypervisor: find out how.',
    detection: 'pafish, al-khaser, VMAware and many malware families compare the signature with a list of known vendors.',
    severity: AUDIT_ONLY,
    sources: sourcesOf('KVM_CPUID', 'HV_TLFS', 'LINUX_HV', 'PAFISH', 'CPEV', 'ATTACK_T1497_001', 'MBC_B0009'),
    tags: [SYSTEM_CHECKS, VM_DETECTION, CPUID_METHOD],
  },
  {
    id: 'timing-check',
    group: 'idiom',
    family: 'detection-idiom',
    mnemonics: ['RDTSC', 'RDTSCP', 'CPUID'],
    title: 'Time-stamp counter read around an exiting instruction, then compared',
    message: 'Time-stamp counter read before and after a CPUID, then subtracted and compared: this code times a VM exit',
    problem:
      'An instruction that always exits to the hypervisor, CPUID above all, takes hundreds to thousands of cycles under VT-x or AMD-V and a few dozen on bare metal. ' +
      'Reading the time-stamp counter before and after it (RDTSC or RDTSCP), subtracting, and comparing the difference with a threshold detects the exit without asking the hypervisor anything. ' +
      'RDTSC pairs around ordinary code (timing loops, benchmarks that serialise with CPUID outside the measured region) are not this idiom: the exiting instruction must be what is measured.',
    vtx: 'With "use TSC offsetting" and TSC scaling the guest reads a shifted, scaled counter, but the exit itself still costs real cycles; only "RDTSC exiting" lets the hypervisor fake the elapsed time.',
    amdv: 'SVM has TSC offset and ratio fields and an RDTSC intercept with the same trade-off.',
    controls:
      'CR4.TSD makes RDTSC and RDTSCP fault at CPL>0 so a kernel or hypervisor can emulate them. A hypervisor that traps RDTSC (or intercepts it with "RDTSC exiting") can hide the exit by subtracting the time it spent, which defeats the check at some cost in precision; TSC offsetting and scaling alone do not.',
    fixes: [],
    advice: 'Benchmark code that must measure CPUID itself can suppress this with a reason; otherwise the code changes behaviour when it believes it is virtualised.',
    detection: 'pafish `rdtsc_diff_vmexit`, al-khaser and VMAware time CPUID between two RDTSCs; VMAware disables its RDTSC checks by default because of false positives on busy hosts.',
    severity: AUDIT_ONLY,
    sources: sourcesOf('SDM_RDTSC', 'VMX_RDTSC', 'PAFISH', 'CPEV', 'ATTACK_T1497_001', 'MBC_B0009'),
    tags: [SYSTEM_CHECKS, VM_DETECTION, mbcMethod('B0009.036', 'RDTSC')],
  },
  {
    id: 'vmware-backdoor',
    group: 'idiom',
    family: 'detection-idiom',
    mnemonics: ['IN', 'VMCALL', 'VMMCALL', 'MOV'],
    title: 'The VMware backdoor: IN from port 0x5658 with \'VMXh\' in EAX',
    message: 'IN with EAX = 0x564D5868 (\'VMXh\') or DX = 0x5658 (\'VX\'): this code calls the VMware backdoor',
    problem:
      'VMware\'s guest tools talk to the hypervisor through an I/O port: EAX holds the magic `0x564D5868` (`VMXh`), ECX a command number (10 is "get version"), DX the port `0x5658` (`VX`), and an `IN` from that port returns the magic in EBX when VMware answers. ' +
      'On bare metal, or in user space anywhere else, the `IN` faults (CPL > IOPL) or reads nothing; under VMware the hypervisor intercepts the port access even at CPL 3. ' +
      'The IN itself is privileged and trapped, so no instruction rule reports it: only the magic values tell what it is. ' +
      'Newer VMware releases also take the same call as a hypercall, VMCALL or VMMCALL with the magic in EAX; virtlint reports that form too.',
    vtx: 'The IN exits ("unconditional I/O exiting" or the I/O bitmap); VMware answers it.',
    amdv: 'The IOIO intercept catches it; VMware answers it.',
    controls:
      'VMware: `monitor_control.restrict_backdoor = "TRUE"` makes the backdoor refuse unprivileged calls; other hypervisors (KVM with `-machine vmport=off`, the QEMU default off x86 PC machines) do not answer at all.',
    fixes: [],
    advice: 'open-vm-tools and VMware drivers use the backdoor legitimately; suppress with a reason there. Anywhere else it is a VMware check.',
    detection: 'Ken Kato\'s VMware backdoor notes, ScoopyNG, pafish and al-khaser use the "get version" command.',
    severity: AUDIT_ONLY,
    sources: sourcesOf('SCOOPY', 'VMKB', 'CPEV', 'ATTACK_T1497_001', 'MBC_B0009'),
    tags: [SYSTEM_CHECKS, VM_DETECTION, mbcMethod('B0009.035', 'IN')],
  },
  {
    id: 'virtualpc-backdoor',
    group: 'idiom',
    family: 'detection-idiom',
    mnemonics: ['VPCEXT (0F 3F 07 0B)'],
    title: 'VirtualPC\'s vpcext instruction, written as bytes',
    message: 'Bytes 0F 3F 07 0B, VirtualPC\'s vpcext instruction: this code calls the Virtual PC backdoor',
    problem:
      '`0F 3F` is not an x86 instruction: on bare metal and under other hypervisors it raises #UD. Microsoft Virtual PC and Virtual Server intercept it as `vpcext` to talk to their guest additions, so code that executes `0F 3F 07 0B` under an exception handler and sees no #UD knows it runs under Virtual PC. ' +
      'No assembler knows the mnemonic, so the bytes are written as data (`db 0x0f, 0x3f, 0x07, 0x0b`) in the middle of code; virtlint reports that data line, and the same bytes in a binary\'s code sections.',
    vtx: 'The bytes raise #UD in the guest; only a hypervisor that intercepts #UD and decodes them (Virtual PC did) answers.',
    amdv: 'The same: a #UD intercept is the only way to answer.',
    controls: 'Any hypervisor other than Virtual PC and Virtual Server leaves the #UD alone, which defeats the check; no current hypervisor answers it.',
    fixes: [],
    advice: 'Nothing legitimate executes these bytes today; find out why the code does.',
    detection: 'Published by Ken Kato (2005) and used by ScoopyNG, al-khaser and malware of the time.',
    severity: AUDIT_ONLY,
    sources: sourcesOf('SCOOPY', 'CPEV', 'ATTACK_T1497_001', 'MBC_B0009'),
    tags: [SYSTEM_CHECKS, VM_DETECTION, mbcMethod('B0009.038', 'VPCEXT')],
  },
  {
    id: 'red-pill',
    group: 'idiom',
    family: 'detection-idiom',
    mnemonics: ['SIDT', 'SGDT', 'SLDT', 'STR', 'SMSW'],
    title: 'A descriptor-table or CR0 read compared with a constant ("Red Pill" family)',
    message: 'A descriptor-table or CR0 read compared with a constant: this code tells a VM from bare metal by the value it reads',
    problem:
      'SIDT, SGDT, SLDT, STR and SMSW read processor state at any privilege level. Under a software VMM (and still under some hypervisors) the values differ from bare metal: ' +
      'Red Pill (Rutkowska) treats an IDT base above `0xd0000000` as a VM, ScoopyNG and al-khaser test the top byte of the GDT base, No Pill (Quist & Smith) a non-zero LDTR, Omella\'s method a task register of `0x4000`, and anti-emulator code the MP and TS bits of SMSW. ' +
      'The instruction alone is reported by its own rule; stored and then compared with a constant within a few instructions, it is this idiom.',
    vtx: 'The guest has its own descriptor-table registers under VT-x, so these checks no longer see the host; "descriptor-table exiting" lets the hypervisor answer anyway.',
    amdv: 'SVM keeps the guest\'s registers in the VMCB and offers store intercepts (`STORE_IDTR`, `STORE_GDTR`, `STORE_LDTR`, `STORE_TR`).',
    controls: 'CR4.UMIP makes all five fault at CPL>0, and the kernel (Linux, Windows) returns fixed dummy values, which defeats the check for user space.',
    fixes: [],
    advice: 'No legitimate user-space code needs these values; a kernel should keep its own copies. Find out why the code compares them.',
    detection: 'Red Pill, No Pill, ScoopyNG, al-khaser.',
    severity: AUDIT_ONLY,
    sources: sourcesOf('REDPILL', 'NOPILL', 'OMELLA', 'SCOOPY', 'UMIP', 'ATTACK_T1497_001', 'MBC_B0009'),
    tags: [
      SYSTEM_CHECKS,
      VM_DETECTION,
      INSTRUCTION_TESTING,
      mbcMethod('B0009.030', 'SIDT (red pill)'),
      mbcMethod('B0009.031', 'SGDT/SLDT (no pill)'),
      mbcMethod('B0009.032', 'SMSW'),
      mbcMethod('B0009.033', 'STR'),
    ],
  },
];

/** The tags that apply to one finding: the red-pill family names its method by the instruction. */
export function tagsForFinding(entry: RuleEntry, mnemonic: string | undefined): readonly TaxonomyTag[] {
  const tags = entry.tags ?? [];
  if (entry.id !== 'red-pill' || mnemonic === undefined) return tags;
  const method = RED_PILL_METHOD[mnemonic.toLowerCase()];
  return tags.filter((tag) => !/^B0009\.03[0-3]$/.test(tag.id) || tag.id === method);
}

const RED_PILL_METHOD: Record<string, string> = { sidt: 'B0009.030', sgdt: 'B0009.031', sldt: 'B0009.031', smsw: 'B0009.032', str: 'B0009.033' };
