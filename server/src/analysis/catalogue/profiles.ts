// Profiles: who the code is written for, and therefore how loud each rule should be.
// The per-rule defaults live in each RuleEntry's `severity`; this module adds the
// profile descriptions and the severity a rule gets when the user selects it explicitly.
import type { Severity } from '../types';
import type { ProfileId } from './schema';
import { DEFAULT_PROFILE, PROFILES } from './schema';

export interface ProfileInfo {
  id: ProfileId;
  title: string;
  /** Who should pick this profile, in one sentence. */
  audience: string;
  /** Why the severities look the way they do. Markdown, a few sentences. */
  rationale: string;
  /**
   * Severity of a rule that is off by default in this profile but was named in an
   * explicit selection (`--rules cpuid`, `"virtlint.rules": ["extended"]`).
   */
  selectedSeverity: Severity;
}

export const PROFILE_INFO: Readonly<Record<ProfileId, ProfileInfo>> = {
  'deprivileged-kernel': {
    id: 'deprivileged-kernel',
    title: 'Deprivileged kernel (default)',
    audience:
      'Kernel or firmware code that may run below ring 0 under a software VMM: classic trap-and-emulate, binary translation, or a Xen PV guest.',
    rationale:
      'Here every core instruction is a correctness problem, so all core rules are on. ' +
      '`popf` and `iret` are errors: they lose a write (the IF or IOPL change) with no trap and no visible result, so the kernel\'s state silently diverges from what the code says. ' +
      'The other core rules are warnings: the register reads (`sgdt`, `sidt`, `sldt`, `str`, `smsw`, `pushf`) return the wrong value but only matter if the code uses it, ' +
      'the descriptor checks (`lar`, `lsl`, `verr`, `verw`) give a wrong answer the code can often do without, ' +
      'and the segment loads, far transfers and software interrupts frequently fault at CPL>0, so the VMM at least gets control: a segment-register load is therefore `info`, while a store of CS or SS, which reveals the CPL without a trap, stays a warning. ' +
      'The extended rules (CPUID, time-stamp and counter reads, XGETBV) are off: they leak host details but do not break a deprivileged kernel. ' +
      'Severities also follow the execution mode: in real mode (boot sectors, code before CR0.PE is set) and virtual-8086 mode there is no CPL to check, so segment loads and stores and far transfers are not reported, ' +
      'PUSHF, POPF, IRET and INT n are hints (a virtual-8086 monitor traps them when IOPL < 3), and 16-bit code whose mode cannot be told is never an error.',
    selectedSeverity: 'warning',
  },
  'hardware-assisted-guest': {
    id: 'hardware-assisted-guest',
    title: 'Hardware-assisted guest',
    audience: 'A guest kernel that runs at its real CPL 0 under Intel VT-x or AMD-V (KVM, Hyper-V, modern VMware, Xen HVM/PVH).',
    rationale:
      'Under VT-x/AMD-V the guest has its own GDTR, IDTR, LDTR, TR, RFLAGS and a CR0 read shadow, so the classic list stops being a correctness problem. ' +
      'What is left is exit cost and minor leaks: `cpuid` (always exits under VT-x), `rdtsc`/`rdtscp` and far CALL/JMP (task switches always exit) are `info`; ' +
      'the descriptor-table and CR0 reads and `rdpmc`/`rdpid` are `hint`; the rest are off because they run natively with the right result.',
    selectedSeverity: 'info',
  },
  'vm-detection-audit': {
    id: 'vm-detection-audit',
    title: 'VM-detection audit',
    audience: 'Reviewing code (your own or a sample) for the tricks that tell a virtual machine from bare metal, or for leaks of host state.',
    rationale:
      'The instructions that leak host or hypervisor state and underpin the known detection idioms (Red Pill, No Pill, the STR 0x4000 test, the CPUID hypervisor bit, timing) are warnings: ' +
      '`sgdt`, `sidt`, `sldt`, `str`, `smsw`, `cpuid`, `rdtsc`, `rdtscp`, `rdpmc`, `rdpid`, `xgetbv`. The remaining core rules are `info`, so they stay visible without drowning the leaks. ' +
      'Segment-register loads and stores of DS, ES, FS and GS reveal nothing and are not reported here; a store of CS or SS, which holds the CPL, is.',
    selectedSeverity: 'info',
  },
};

/** Accepts a profile id from settings or the command line; unknown or missing names give the default. */
export function parseProfile(name: string | undefined): ProfileId {
  return (PROFILES as readonly string[]).includes(name ?? '') ? (name as ProfileId) : DEFAULT_PROFILE;
}

export function isProfileId(name: string): name is ProfileId {
  return (PROFILES as readonly string[]).includes(name);
}
