// The shape of one catalogue entry. One rule = one entry + its test cases in every
// dialect + its docs page (docs/rules/<id>.md), kept in agreement by a test.
import type { SeverityOrOff } from '../types';
import type { RuleId } from '../types';

export { RULE_IDS, type RuleId } from '../types';


export type ProfileId = 'deprivileged-kernel' | 'hardware-assisted-guest' | 'vm-detection-audit';
export const PROFILES: readonly ProfileId[] = ['deprivileged-kernel', 'hardware-assisted-guest', 'vm-detection-audit'];
export const DEFAULT_PROFILE: ProfileId = 'deprivileged-kernel';

/**
 * `core`: Robin & Irvine's list plus IRET; `extended`: later VM-detection relevant reads; `idiom`:
 * VM-detection idioms, several instructions read together (only the `vm-detection-audit` profile
 * runs them); `meta`: diagnostics about the source itself.
 */
export type RuleGroup = 'core' | 'extended' | 'idiom' | 'meta';

/** Robin & Irvine's two groups, a later addition, or a detection idiom built from them. */
export type RuleFamily = 'sensitive-register' | 'protection-system' | 'later-addition' | 'detection-idiom' | 'meta';

export type FixKind =
  /** An ISA instruction doing the same job that faults at CPL>0 (SMSW → MOV from CR0, POPF's IF → CLI/STI). */
  | 'trap-equivalent'
  /** A real hypervisor's forced-emulation prefix (ud2 + "xen"/"kvm") before the instruction. */
  | 'forced-emulation'
  /** A call through a hypercall ABI (KVM, Xen, Hyper-V, custom). */
  | 'hypercall'
  /** A control register setting that makes the instruction itself fault (CR4.UMIP, CR4.TSD, CR4.PCE). */
  | 'cr4-control';

export interface Source {
  /** Short key, e.g. `SDM-POPF`. */
  key: string;
  title: string;
  url: string;
}

export interface RuleEntry {
  id: RuleId;
  group: RuleGroup;
  family: RuleFamily;
  /** Upper-case mnemonics the rule covers, for display: ['PUSHF', 'PUSHFD', 'PUSHFQ']. */
  mnemonics: string[];
  /** Short title: "SGDT reveals the GDTR without trapping". */
  title: string;
  /** One-line diagnostic message (no trailing period). May use `{mnemonic}`. */
  message: string;
  /** What the instruction does at CPL>0 and which Popek–Goldberg requirement fails. Markdown, a few sentences. */
  problem: string;
  /** What hardware-assisted virtualization changes. */
  vtx: string;
  amdv: string;
  /** CR4.UMIP (or CR4.TSD / CR4.PCE where relevant) and what it changes. */
  controls: string;
  /** Fix kinds that apply to this rule, in the order they are offered. */
  fixes: FixKind[];
  /** What to do, in plain words (Markdown). */
  advice: string;
  /** VM-detection idioms built on it, if any. */
  detection?: string;
  /** Default severity per profile. */
  severity: Record<ProfileId, SeverityOrOff>;
  sources: Source[];
  /** Idioms: MITRE ATT&CK and MBC identifiers (`T1497.001`, `B0009`, `B0009.034`), shown in the hover, the docs, JSON and SARIF. */
  tags?: readonly TaxonomyTag[];
}

/** One technique of a public taxonomy of malware behaviour. */
export interface TaxonomyTag {
  taxonomy: 'ATT&CK' | 'MBC';
  id: string;
  name: string;
}
