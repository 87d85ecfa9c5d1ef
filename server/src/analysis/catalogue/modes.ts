// What a finding says, and how loud it is, for the execution mode the code runs in, the profile
// and the operand form. The catalogue entry's `message` is the protected-mode sentence for the
// deprivileged-kernel profile (the docs page quotes it); this module chooses the sentence a
// finding actually carries. Facts: Intel SDM (real mode has no CPL; virtual-8086 mode runs at
// CPL 3 with real-mode segments, and there CLI, STI, PUSHF, POPF, INT n and IRET are
// IOPL-sensitive; LAR, LSL, VERR, VERW, SLDT and STR raise #UD outside protected mode).
import type { ExecutionMode, RuleId, Severity, SeverityOrOff } from '../types';
import { RULES } from './rules';
import type { ProfileId, RuleEntry } from './schema';

const ENTRY_BY_ID = new Map<string, RuleEntry>(RULES.map((entry) => [entry.id, entry]));

function ruleById(id: string): RuleEntry | undefined {
  return ENTRY_BY_ID.get(id);
}

/** Which segment register an instruction names, and whether it loads or stores it. */
export interface SegmentForm {
  access: 'load' | 'store';
  /** `cs` and `ss` hold the CPL in their low bits; the data segments do not. */
  register: 'cs' | 'ss' | 'data';
}

export interface ModeContext {
  mode: ExecutionMode;
  profile: ProfileId;
  /** Segment-register rules only. */
  segment?: SegmentForm;
}

/** Protected-mode sentences for the profiles other than the default (whose sentence is the entry's `message`). */
type ProtectedVoice = Record<Exclude<ProfileId, 'deprivileged-kernel'>, string>;

interface RuleVoice {
  /** Protected mode (16-bit, 32-bit or long mode), one sentence per profile. */
  protected: ProtectedVoice;
  /** Real mode: no CPL and no protection checks. */
  real: string;
  /** Virtual-8086 mode: CPL 3, real-mode segments. */
  v86: string;
  /** The real-mode fact in a few words, for 16-bit code whose mode is unknown. */
  realBrief: string;
  /** Why, in real or virtual-8086 mode (the hover's paragraph). */
  realWhy: string;
  /** Real mode under VT-x/AMD-V, where that differs from a software VMM. */
  realHardware?: string;
}

const KERNEL = 'deprivileged-kernel' satisfies ProfileId;
const HARDWARE = 'hardware-assisted-guest' satisfies ProfileId;
const AUDIT = 'vm-detection-audit' satisfies ProfileId;

function voice(audit: string, hardware: string): ProtectedVoice {
  return { [AUDIT]: audit, [HARDWARE]: hardware } as ProtectedVoice;
}

// ---------------------------------------------------------------------------------------------
// Shared sentences

const TABLE_STORE_REAL_WHY =
  'Real mode has no CPL, so nothing guards this read. A software VMM runs real-mode code in virtual-8086 mode at CPL 3, where the store still works and returns the VMM\'s register; only CR4.UMIP makes it fault. Under VT-x with unrestricted guest the code runs natively and reads its own register.';
const PROTECTED_ONLY_REAL_WHY =
  'The instruction exists only in protected mode: in real mode and in virtual-8086 mode the processor raises #UD whether or not a VMM is present, so the line cannot do what it says.';
const IOPL_REAL_WHY =
  'Real mode has no CPL. A software VMM runs it in virtual-8086 mode, where PUSHF, POPF, INT n, IRET, CLI and STI are IOPL-sensitive: with IOPL < 3 each raises #GP and the VMM emulates it. Under VT-x with unrestricted guest they run natively.';
const SEGMENT_REAL_WHY =
  'Real mode and virtual-8086 mode load a segment register by shifting the selector left by four: there are no descriptors, no privilege checks and no CPL in the selector, so the instruction behaves the same under a VMM.';
const TIMER_REAL_WHY =
  'Real mode has no CPL gate on this instruction. Under a VMM it still returns the host\'s value unless the VMM offsets or intercepts it; in virtual-8086 mode (CPL 3) the CR4 control bit applies as it does to user code.';
const LEAK_REAL_WHY =
  'The instruction has no privilege check in any mode, so real-mode code sees what the VMM or the host left in place unless the VMM intercepts it.';

const UNCHECKED_SEGMENT = 'real mode checks nothing here';
const NO_CPL_TRANSFER = 'real mode checks nothing here';
const IOPL_BRIEF = 'in real mode a virtual-8086 monitor traps it when IOPL < 3';
const UD_BRIEF = 'in real mode it raises #UD';
const TABLE_BRIEF = 'in real mode it leaks just the same';

function tableStore(register: string, audit: string, hardware: string): RuleVoice {
  return {
    realHardware: `{mnemonic} in real mode runs natively under VT-x with unrestricted guest and returns the guest's own ${register}; without it the VMM emulates the code, at the cost of an exit per instruction`,
    protected: voice(audit, hardware),
    real: `{mnemonic} has no privilege check in real mode: a software VMM runs this code in virtual-8086 mode, where it returns the VMM's ${register} unless CR4.UMIP makes it fault`,
    v86: `{mnemonic} runs at CPL 3 in virtual-8086 mode without trapping: it returns the monitor's ${register} unless CR4.UMIP makes it fault`,
    realBrief: TABLE_BRIEF,
    realWhy: TABLE_STORE_REAL_WHY,
  };
}

function protectedOnly(protectedVoice: ProtectedVoice): RuleVoice {
  return {
    protected: protectedVoice,
    real: '{mnemonic} raises #UD in real mode: it exists only in protected mode, so this line faults with or without a VMM',
    v86: '{mnemonic} raises #UD in virtual-8086 mode: it exists only in protected mode, so this line faults with or without a VMM',
    realBrief: UD_BRIEF,
    realWhy: PROTECTED_ONLY_REAL_WHY,
  };
}

function ioplSensitive(protectedVoice: ProtectedVoice, real: string, v86: string): RuleVoice {
  return { protected: protectedVoice, real, v86, realBrief: IOPL_BRIEF, realWhy: IOPL_REAL_WHY };
}

function farTransfer(protectedVoice: ProtectedVoice): RuleVoice {
  return {
    protected: protectedVoice,
    real: '{mnemonic} in real mode loads CS as a plain paragraph number: there is no CPL and no privilege check, so it behaves the same under a VMM',
    v86: '{mnemonic} in virtual-8086 mode loads CS the real-mode way, without privilege checks, so it behaves the same under a virtual-8086 monitor',
    realBrief: NO_CPL_TRANSFER,
    realWhy: 'Real mode and virtual-8086 mode have no descriptors behind CS: a far transfer only sets CS to the paragraph it names, with no RPL, DPL or CPL check, so a VMM changes nothing.',
  };
}

function leak(protectedVoice: ProtectedVoice, real: string, v86: string, why = LEAK_REAL_WHY): RuleVoice {
  return { protected: protectedVoice, real, v86, realBrief: 'real mode changes nothing', realWhy: why };
}

const DESCRIPTOR_CHECK_HARDWARE = '{mnemonic} runs natively under VT-x/AMD-V with no exit: at its real CPL 0 the guest gets the answer it expects';

// ---------------------------------------------------------------------------------------------
// Per rule

const VOICES: Partial<Record<RuleId, RuleVoice>> = {
  sgdt: tableStore(
    'GDT base',
    '{mnemonic} reveals the GDT base the VMM installed (detectors compare its top byte with 0xff); it never traps unless CR4.UMIP is set',
    '{mnemonic} runs natively under VT-x/AMD-V and returns the guest\'s own GDTR; it costs a VM exit only when the VMM turns on descriptor-table exiting',
  ),
  sidt: tableStore(
    'IDT base',
    '{mnemonic} reveals the IDT base the VMM installed (the Red Pill test); it never traps unless CR4.UMIP is set',
    '{mnemonic} runs natively under VT-x/AMD-V and returns the guest\'s own IDTR; it costs a VM exit only when the VMM turns on descriptor-table exiting',
  ),
  sldt: protectedOnly(
    voice(
      '{mnemonic} reveals the LDT selector the VMM loaded (the No Pill test treats a non-zero LDTR as a VM); it never traps unless CR4.UMIP is set',
      '{mnemonic} runs natively under VT-x/AMD-V and returns the guest\'s own LDTR; it costs a VM exit only when the VMM turns on descriptor-table exiting',
    ),
  ),
  str: protectedOnly(
    voice(
      '{mnemonic} reveals the VMM\'s TSS selector (the STR test recognises VMware by 0x4000); it never traps unless CR4.UMIP is set',
      '{mnemonic} runs natively under VT-x/AMD-V and returns the guest\'s own TR; it costs a VM exit only when the VMM turns on descriptor-table exiting',
    ),
  ),
  smsw: {
    realHardware: '{mnemonic} in real mode reads the CR0 read shadow under VT-x, so the guest sees the PE bit it set, with no exit',
    protected: voice(
      '{mnemonic} reveals the real CR0 bits (MP, TS and, for code that thinks it runs in real mode, PE); it never traps unless CR4.UMIP is set',
      '{mnemonic} never exits under VT-x: the guest reads the VMM\'s CR0 read shadow, so the value is right and the cost is nil',
    ),
    real: '{mnemonic} in real mode under a software VMM reads the real CR0, whose PE bit is 1: the code sees protected mode although it believes it runs in real mode',
    v86: '{mnemonic} runs at CPL 3 in virtual-8086 mode without trapping: it returns the real CR0, PE = 1 included, unless CR4.UMIP makes it fault',
    realBrief: 'in real mode under a VMM it shows PE = 1',
    realWhy:
      'SMSW has no privilege check in real mode. A software VMM runs real-mode code in virtual-8086 mode, inside protected mode, so the machine status word it returns has PE set: the example Robin & Irvine give. CR4.UMIP makes it fault at CPL 3; under VT-x the CR0 read shadow hides PE.',
  },
  pushf: ioplSensitive(
    voice(
      '{mnemonic} reveals the real IF and IOPL: a detector sees flags the VMM set rather than the ones the code expects',
      '{mnemonic} runs natively under VT-x/AMD-V with no exit: the guest pushes its own RFLAGS',
    ),
    '{mnemonic} in real mode has no CPL to check: under a software VMM this code runs in virtual-8086 mode, where it traps when IOPL < 3 and the VMM supplies the flags',
    '{mnemonic} is IOPL-sensitive in virtual-8086 mode: it traps to the monitor when IOPL < 3, and with IOPL = 3 it pushes the real IF',
  ),
  popf: ioplSensitive(
    voice(
      '{mnemonic} shows, to code that checks, that an IF or IOPL change did not take effect',
      '{mnemonic} runs natively under VT-x/AMD-V with no exit: at its real CPL 0 the guest changes its own IF and IOPL',
    ),
    '{mnemonic} in real mode has no CPL to check: under a software VMM this code runs in virtual-8086 mode, where it traps when IOPL < 3 and the VMM applies the IF change',
    '{mnemonic} is IOPL-sensitive in virtual-8086 mode: it traps to the monitor when IOPL < 3; with IOPL = 3 it changes the real IF but never IOPL',
  ),
  iret: ioplSensitive(
    voice(
      '{mnemonic} shows, to code that checks, that the IF or IOPL it popped did not take effect',
      '{mnemonic} runs natively under VT-x/AMD-V with no exit (it only changes NMI blocking): the guest restores its own flags',
    ),
    '{mnemonic} in real mode pops IP, CS and FLAGS with no CPL check: under a software VMM this code runs in virtual-8086 mode, where it traps when IOPL < 3',
    '{mnemonic} is IOPL-sensitive in virtual-8086 mode: it traps to the monitor when IOPL < 3',
  ),
  int: ioplSensitive(
    voice(
      '{mnemonic} reveals little by itself: a software interrupt to a DPL-0 gate faults only when the code is not at CPL 0',
      '{mnemonic} runs natively under VT-x/AMD-V with no exit unless the VMM intercepts the vector\'s exception',
    ),
    '{mnemonic} in real mode goes through the interrupt vector table with no CPL check: under a software VMM this code runs in virtual-8086 mode, where it traps when IOPL < 3 and the VMM reflects it',
    '{mnemonic} is IOPL-sensitive in virtual-8086 mode: it traps to the monitor when IOPL < 3 (CR4.VME can redirect it to the real-mode vector table)',
  ),
  lar: protectedOnly(
    voice(
      '{mnemonic} reveals the real CPL: a DPL-0 descriptor reported inaccessible means the code is not at CPL 0 (and VMware\'s shadow descriptors show DPL 1)',
      DESCRIPTOR_CHECK_HARDWARE,
    ),
  ),
  lsl: protectedOnly(
    voice(
      '{mnemonic} reveals the real CPL: a DPL-0 segment whose limit cannot be read means the code is not at CPL 0',
      DESCRIPTOR_CHECK_HARDWARE,
    ),
  ),
  verr: protectedOnly(
    voice(
      '{mnemonic} reveals the real CPL: a DPL-0 segment reported unreadable means the code is not at CPL 0',
      DESCRIPTOR_CHECK_HARDWARE,
    ),
  ),
  verw: protectedOnly(
    voice(
      '{mnemonic} reveals the real CPL: a DPL-0 segment reported unwritable means the code is not at CPL 0',
      DESCRIPTOR_CHECK_HARDWARE,
    ),
  ),
  'far-call': farTransfer(
    voice(
      'A far {mnemonic} reveals little by itself: only a call that a DPL-0 target refuses tells the code it is not at CPL 0',
      'A far {mnemonic} runs natively under VT-x/AMD-V; only one that switches tasks costs a VM exit',
    ),
  ),
  'far-jmp': farTransfer(
    voice(
      'A far {mnemonic} reveals little by itself: only a jump that a DPL-0 target refuses tells the code it is not at CPL 0',
      'A far {mnemonic} runs natively under VT-x/AMD-V; only one that switches tasks costs a VM exit',
    ),
  ),
  'far-ret': farTransfer(
    voice(
      '{mnemonic} reveals little by itself: only a return that is refused tells the code it is not at the CPL it assumed',
      '{mnemonic} runs natively under VT-x/AMD-V with no exit: at its real CPL 0 the guest returns as it expects',
    ),
  ),
  cpuid: leak(
    voice(
      '{mnemonic} reveals the hypervisor: the hypervisor-present bit, the 0x40000000 vendor leaves and, timed, the cost of the exit',
      '{mnemonic} always causes a VM exit under VT-x: keep it off hot paths and cache its results',
    ),
    '{mnemonic} works in real mode as in any other: it reports the host CPU\'s features and, under hardware assistance, the hypervisor-present bit',
    '{mnemonic} works in virtual-8086 mode as in any other: it reports the host CPU\'s features unless the monitor uses CPUID faulting',
  ),
  rdtsc: leak(
    voice(
      '{mnemonic} reveals host time and, around an exiting instruction, the cost of a VM exit',
      '{mnemonic} runs natively with the VMM\'s TSC offset; it costs a VM exit only with RDTSC exiting on',
    ),
    '{mnemonic} has no CPL gate in real mode: it returns the host\'s time-stamp counter unless the VMM offsets or intercepts it',
    '{mnemonic} runs at CPL 3 in virtual-8086 mode: it reads the host\'s counter unless CR4.TSD makes it fault',
    TIMER_REAL_WHY,
  ),
  rdtscp: leak(
    voice(
      '{mnemonic} reveals host time and the CPU number the host put in IA32_TSC_AUX',
      '{mnemonic} runs natively with the VMM\'s TSC offset (or raises #UD if the VMM did not enable it); it exits only with RDTSC exiting on',
    ),
    '{mnemonic} has no CPL gate in real mode: it returns the host\'s counter and IA32_TSC_AUX unless the VMM intercepts it',
    '{mnemonic} runs at CPL 3 in virtual-8086 mode: it reads the host\'s counter and IA32_TSC_AUX unless CR4.TSD makes it fault',
    TIMER_REAL_WHY,
  ),
  rdpmc: leak(
    voice(
      '{mnemonic} reveals counters that include the VMM\'s own work',
      '{mnemonic} runs natively unless the VMM turns on RDPMC exiting, which then costs a VM exit per read',
    ),
    '{mnemonic} has no CPL gate in real mode: it reads counters that include the VMM\'s work unless the VMM intercepts it',
    '{mnemonic} runs at CPL 3 in virtual-8086 mode: it works only when CR4.PCE is set, and then shows host activity',
    TIMER_REAL_WHY,
  ),
  rdpid: leak(
    voice(
      '{mnemonic} reveals the processor id the host assigned',
      '{mnemonic} has no VM exit of its own; it raises #UD when the VMM leaves RDTSCP disabled',
    ),
    '{mnemonic} works in real mode as in any other: it returns the processor id the host assigned',
    '{mnemonic} works in virtual-8086 mode as in any other: it returns the processor id the host assigned',
  ),
  xgetbv: leak(
    voice(
      '{mnemonic} reveals the XCR0 the host or VMM chose, which can disagree with the CPUID the VMM shows',
      '{mnemonic} never exits under VT-x/AMD-V: it costs nothing and shows the XCR0 the VMM set up',
    ),
    '{mnemonic} works in real mode when CR4.OSXSAVE is set: it shows the XCR0 the host or VMM chose',
    '{mnemonic} works in virtual-8086 mode when CR4.OSXSAVE is set: it shows the XCR0 the host or VMM chose',
  ),
};

// Segment registers: the sentence depends on load or store and on which register.
const SEGMENT_REAL =
  '{mnemonic} of a segment register in real mode is a plain paragraph load or store: no CPL, no privilege check, nothing a VMM changes';
const SEGMENT_V86 =
  '{mnemonic} of a segment register in virtual-8086 mode is a real-mode load or store with no privilege check, so the monitor changes nothing';

/** Segment-register sentences for every profile: their form decides more than the rule does. */
function segmentVoice(ruleId: string, form: SegmentForm): Record<ProfileId, string> {
  const all = (kernel: string, audit: string, hardware: string): Record<ProfileId, string> => ({ [KERNEL]: kernel, [AUDIT]: audit, [HARDWARE]: hardware }) as Record<ProfileId, string>;
  if (form.access === 'store') {
    const stores = ruleId === 'push-sreg' ? 'pushes' : 'stores';
    if (form.register !== 'data') {
      const name = form.register.toUpperCase();
      return all(
        `{mnemonic} ${stores} ${name}, whose low two bits are the real CPL: a deprivileged kernel can see it is not in ring 0, and nothing traps`,
        `{mnemonic} ${stores} ${name} and so reveals the real CPL in its low two bits`,
        `{mnemonic} of ${name} runs natively under VT-x/AMD-V with no exit: the guest sees its real CPL 0`,
      );
    }
    return all(
      `{mnemonic} ${stores} a data segment selector: it gives back what was loaded, so it matters only if the VMM loaded selectors the kernel did not choose`,
      `{mnemonic} ${stores} a data segment selector, which reveals nothing about the VMM`,
      '{mnemonic} of a data segment register runs natively under VT-x/AMD-V with no exit',
    );
  }
  if (form.register === 'cs') {
    const undefinedEverywhere = '{mnemonic} to CS raises #UD on every processor since the 8086: load CS with a far JMP, CALL or RET';
    return all(undefinedEverywhere, undefinedEverywhere, undefinedEverywhere);
  }
  const check = form.register === 'ss' ? 'SS needs RPL = DPL = CPL' : 'a data segment needs DPL ≥ CPL and RPL';
  return all(
    `{mnemonic} loads a selector checked against the real CPL (${check}): a deprivileged kernel's own selectors raise #GP, which reaches the VMM, so each load costs a trap`,
    '{mnemonic} loads a segment register, which reveals nothing about the VMM',
    '{mnemonic} loads a segment register natively under VT-x/AMD-V with no exit',
  );
}

const SEGMENT_RULES = new Set<string>(['push-sreg', 'pop-sreg', 'mov-sreg']);

function isProtected(mode: ExecutionMode): boolean {
  return mode === 'pm16' || mode === 'pm32' || mode === 'long';
}

/** The protected-mode sentence for a profile (what 16-bit code of unknown mode would say in protected mode). */
function protectedMessage(ruleId: string, context: ModeContext): string | undefined {
  if (SEGMENT_RULES.has(ruleId)) return segmentVoice(ruleId, context.segment ?? defaultSegmentForm(ruleId))[context.profile];
  const { profile } = context;
  if (profile === KERNEL) return ruleById(ruleId)?.message;
  return VOICES[ruleId as RuleId]?.protected[profile];
}

function defaultSegmentForm(ruleId: string): SegmentForm {
  return { access: ruleId === 'push-sreg' ? 'store' : 'load', register: 'data' };
}

/** The message template (with `{mnemonic}`) a finding of `ruleId` carries in this context; undefined for rules without a voice (the meta kinds). */
export function modeMessageTemplate(ruleId: string, context: ModeContext): string | undefined {
  const { mode } = context;
  if (SEGMENT_RULES.has(ruleId)) {
    if (mode === 'real') return SEGMENT_REAL;
    if (mode === 'v86') return SEGMENT_V86;
  }
  const ruleVoice = VOICES[ruleId as RuleId];
  // In virtual-8086 mode the monitor is the guest's own kernel under VT-x/AMD-V, so the v86 sentence holds there too.
  if (mode === 'real' && context.profile === HARDWARE && ruleVoice?.realHardware) return ruleVoice.realHardware;
  if (mode === 'real') return ruleVoice?.real;
  if (mode === 'v86') return ruleVoice?.v86;
  const inProtectedMode = protectedMessage(ruleId, context);
  if (!inProtectedMode || isProtected(mode)) return inProtectedMode;
  const brief = SEGMENT_RULES.has(ruleId) ? UNCHECKED_SEGMENT : ruleVoice?.realBrief;
  return `${inProtectedMode} (if this 16-bit code runs in protected mode; ${brief}; say which with \`virtlint: mode=\`)`;
}

/**
 * The "why" paragraph for real and virtual-8086 mode, and for the segment-register forms in
 * protected mode; undefined where the entry's problem text applies.
 */
export function modeWhy(ruleId: string, mode: ExecutionMode, segment?: SegmentForm): string | undefined {
  if (mode === 'real' || mode === 'v86') return SEGMENT_RULES.has(ruleId) ? SEGMENT_REAL_WHY : VOICES[ruleId as RuleId]?.realWhy;
  if (!segment) return undefined;
  if (segment.access === 'store') {
    return segment.register === 'data'
      ? 'A data segment register holds whatever selector was last loaded into it; unlike CS and SS, its low bits are the RPL that selector was written with, not the CPL.'
      : 'The low two bits of CS and SS are the current privilege level, and reading them is allowed at every CPL, so a kernel moved out of ring 0 sees 1 or 3 where it expects 0.';
  }
  if (segment.register === 'cs') return 'CS can be loaded only by far transfers, interrupts and their returns; MOV and POP to CS do not exist.';
  return 'Loading a segment register in protected mode checks the selector against the CPL: refused selectors raise #GP rather than failing silently, so a VMM that expects the fault can emulate the load.';
}

// ---------------------------------------------------------------------------------------------
// Severity

/** What real and virtual-8086 mode do to a rule's severity. */
type RealModeLevel = 'keep' | 'hint' | 'off';

const REAL_MODE_LEVEL: Partial<Record<RuleId, RealModeLevel>> = {
  // IOPL-sensitive under a virtual-8086 monitor: they trap when IOPL < 3, so the VMM sees them.
  pushf: 'hint',
  popf: 'hint',
  iret: 'hint',
  int: 'hint',
  // No CPL and no checks: nothing differs under a VMM.
  'push-sreg': 'off',
  'pop-sreg': 'off',
  'mov-sreg': 'off',
  'far-call': 'off',
  'far-jmp': 'off',
  'far-ret': 'off',
};

/** Outside protected mode these raise #UD: a bug, but they reveal nothing to a detector. */
const UNDEFINED_OUTSIDE_PROTECTED = new Set<string>(['sldt', 'str', 'lar', 'lsl', 'verr', 'verw']);

/**
 * The severity a finding gets in this context, from the severity the profile (or an explicit
 * selection) gave it. Only ever lowers: a mode never makes a finding louder than its profile.
 */
export function modeSeverity(ruleId: string, context: ModeContext, base: Severity): SeverityOrOff {
  const { mode, profile } = context;
  if (mode === 'real' || mode === 'v86') {
    const level = REAL_MODE_LEVEL[ruleId as RuleId] ?? 'keep';
    if (level === 'off') return 'off';
    if (level === 'hint') return 'hint';
    if (profile === AUDIT && UNDEFINED_OUTSIDE_PROTECTED.has(ruleId)) return lower(base, 'info');
    return base;
  }
  const segment = SEGMENT_RULES.has(ruleId) ? (context.segment ?? defaultSegmentForm(ruleId)) : undefined;
  const capped = segment ? segmentSeverity(segment, profile, base) : base;
  if (mode === 'unknown' && capped !== 'off') return lower(capped, 'warning');
  return capped;
}

function segmentSeverity(form: SegmentForm, profile: ProfileId, base: Severity): SeverityOrOff {
  const revealsCpl = form.access === 'store' && form.register !== 'data';
  if (profile === AUDIT) return revealsCpl ? base : 'off';
  if (form.access === 'load' && form.register === 'cs') return base;
  if (form.access === 'load') return lower(base, 'info');
  return revealsCpl ? base : lower(base, 'hint');
}

const RANK: Record<Severity, number> = { error: 3, warning: 2, info: 1, hint: 0 };

/** The quieter of two severities. */
function lower(a: Severity, b: Severity): Severity {
  return RANK[a] <= RANK[b] ? a : b;
}

/** Segment register and direction of a PUSH/POP/MOV with a segment register, from iced's code name and the operands. */
export function segmentFormOf(ruleId: string, codeName: string | undefined, sregName: string | undefined): SegmentForm | undefined {
  if (!SEGMENT_RULES.has(ruleId)) return undefined;
  const access: SegmentForm['access'] = ruleId === 'push-sreg' ? 'store' : ruleId === 'pop-sreg' ? 'load' : /^Mov_Sreg_/i.test(codeName ?? '') ? 'load' : 'store';
  const fromCode = /_(ES|CS|SS|DS|FS|GS)$/i.exec(codeName ?? '')?.[1];
  const name = (sregName ?? fromCode ?? '').toLowerCase();
  const register: SegmentForm['register'] = name === 'cs' || name === 'ss' ? name : 'data';
  return { access, register };
}

/** Words for a mode, as messages and hovers write it. */
export const MODE_LABEL: Readonly<Record<ExecutionMode, string>> = {
  real: 'real mode',
  v86: 'virtual-8086 mode',
  pm16: '16-bit protected mode',
  pm32: '32-bit protected mode',
  long: 'long mode',
  unknown: '16-bit code of unknown mode',
};
