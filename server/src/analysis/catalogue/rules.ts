// The rule catalogue: one entry per rule id. Facts follow the project's domain reference
// (Intel SDM, Robin & Irvine 2000, Linux/Xen/KVM sources); the prose is ours.
// Severity per profile is justified in docs/overview.md (generated from profiles.ts).
import type { ProfileId, RuleEntry } from './schema';
import { sourcesOf } from './sources';

type Severities = RuleEntry['severity'];

function severities(deprivileged: Severities[ProfileId], hardware: Severities[ProfileId], audit: Severities[ProfileId]): Severities {
  return { 'deprivileged-kernel': deprivileged, 'hardware-assisted-guest': hardware, 'vm-detection-audit': audit };
}

// Shared wording for the descriptor-table stores covered by UMIP.
const UMIP_COVERED =
  'CR4.UMIP (bit 11; Intel Cannon Lake / Goldmont Plus and AMD Zen 2 onwards) makes this instruction raise #GP at CPL>0, ' +
  'so a VMM or kernel regains control and can return a made-up value. Linux enables UMIP and emulates the instruction for user space with fixed dummy results.';
const DESCRIPTOR_TABLE_EXITING =
  'The guest kernel runs at its real CPL 0 with its own descriptor-table registers loaded from the VMCS, so nothing of the host leaks. ' +
  'The instruction exits only if the VMM sets the "descriptor-table exiting" secondary control';
const PROTECTION_CHECK_NATIVE_VTX =
  'No exit control exists and none is needed: the guest kernel runs at its real CPL 0 against its own descriptor tables, so the checks give the answers the kernel expects.';
const PROTECTION_CHECK_NATIVE_SVM = 'No intercept exists; as with VT-x, the guest kernel is at its real CPL 0 and the instruction behaves natively.';
const NO_CONTROL = 'None. UMIP does not cover this instruction and no CR4 bit makes it fault.';

const SEGMENT_PV_ADVICE =
  'Do not assume the kernel runs at ring 0. Compare selectors against the kernel RPL the hypervisor reports (Linux: `get_kernel_rpl()`), ' +
  'or mask the RPL bits before comparing, and load only the flat selectors the hypervisor provides.';

export const RULES: readonly RuleEntry[] = [
  {
    id: 'sgdt',
    group: 'core',
    family: 'sensitive-register',
    mnemonics: ['SGDT'],
    title: 'SGDT reveals the GDTR without trapping',
    message: '{mnemonic} stores the GDTR without trapping: a deprivileged kernel reads the VMM\'s GDT base, not the one it loaded',
    problem:
      'SGDT writes the limit and linear base of the global descriptor table to memory at any privilege level; only the matching load, LGDT, is privileged. ' +
      'A deprivileged guest kernel therefore reads the GDTR that the VMM installed for it, not the table it believes it loaded, and the VMM never gets a chance to substitute the virtual value. ' +
      'This breaks the Popek–Goldberg requirement that every instruction which reads machine state must trap when executed outside the most privileged mode.',
    vtx: `${DESCRIPTOR_TABLE_EXITING} (exit reason 46).`,
    amdv: 'The VMCB intercept `STORE_GDTR` can make it exit; without it the guest reads its own GDTR.',
    controls: UMIP_COVERED,
    fixes: ['forced-emulation', 'hypercall', 'cr4-control'],
    advice:
      'Keep your own copy of the GDT descriptor you handed to LGDT (or to the hypervisor\'s `set_gdt` call under Xen) and read that instead of executing SGDT. ' +
      'If the code must run unmodified, enable CR4.UMIP so the instruction faults and can be emulated.',
    detection:
      'VM-detection tools such as ScoopyNG and al-khaser compare the top byte of the stored GDT base with 0xff, which identified older VMware releases.',
    severity: severities('warning', 'hint', 'warning'),
    sources: sourcesOf('RI', 'SDM_SGDT', 'SDM_T2_3', 'SDM_CR4', 'VMX_EXIT_REASONS', 'SVM', 'UMIP', 'XEN_ENL', 'SCOOPY'),
  },
  {
    id: 'sidt',
    group: 'core',
    family: 'sensitive-register',
    mnemonics: ['SIDT'],
    title: 'SIDT reveals the IDTR without trapping',
    message: '{mnemonic} stores the IDTR without trapping: a deprivileged kernel reads the VMM\'s IDT base, not the one it loaded',
    problem:
      'SIDT stores the interrupt descriptor table register at any CPL, while only LIDT is privileged. ' +
      'Under a software VMM there is one physical IDTR and it points at the VMM\'s table, so a guest that executes SIDT sees where the VMM keeps its IDT rather than the table it set up. ' +
      'The read never traps, so the VMM cannot hand back the virtual IDTR: a sensitive instruction is not privileged, which is exactly the Popek–Goldberg violation.',
    vtx: `${DESCRIPTOR_TABLE_EXITING} (exit reason 46).`,
    amdv: 'The VMCB intercept `STORE_IDTR` can make it exit; without it the guest reads its own IDTR.',
    controls: UMIP_COVERED,
    fixes: ['forced-emulation', 'hypercall', 'cr4-control'],
    advice:
      'Record the IDT descriptor when you install it (Xen PV kernels pass their table to `set_trap_table` and keep a private copy) and consult that copy instead of SIDT. ' +
      'Code that must stay unmodified can run with CR4.UMIP set so the instruction faults and is emulated.',
    detection:
      'Red Pill (Joanna Rutkowska, 2004) executes SIDT and treats an IDT base whose top byte is above 0xd0 as a VM: VMware relocated the IDT to 0xffXXXXXX and Virtual PC to 0xe8XXXXXX. ScoopyNG uses the same test with 0xff.',
    severity: severities('warning', 'hint', 'warning'),
    sources: sourcesOf('RI', 'SDM_SGDT', 'SDM_CR4', 'VMX_EXIT_REASONS', 'SVM', 'UMIP', 'XEN_ENL', 'REDPILL', 'SCOOPY'),
  },
  {
    id: 'sldt',
    group: 'core',
    family: 'sensitive-register',
    mnemonics: ['SLDT'],
    title: 'SLDT reveals the LDTR selector without trapping',
    message: '{mnemonic} reads the LDTR selector without trapping: a deprivileged kernel sees the selector the VMM loaded',
    problem:
      'SLDT copies the local descriptor table selector into a register or memory at any CPL; LLDT, which changes it, is privileged. ' +
      'A guest kernel running deprivileged therefore observes the LDT selector that the VMM chose, not the one it loaded, and the VMM is never asked. ' +
      'The read of processor state does not trap, so the instruction is sensitive but unprivileged.',
    vtx: `${DESCRIPTOR_TABLE_EXITING} (exit reason 47).`,
    amdv: 'The VMCB intercept `STORE_LDTR` can make it exit; without it the guest reads its own LDTR.',
    controls: `${UMIP_COVERED} Since 2020 Linux also spoofs SLDT for user space (it returns the kernel's LDT selector or 0) because some Windows programs under Wine use it.`,
    fixes: ['forced-emulation', 'hypercall', 'cr4-control'],
    advice:
      'Remember the selector you passed to LLDT (or the LDT you registered with the hypervisor, e.g. Xen\'s `mmuext_op` with `MMUEXT_SET_LDT`) and use that value instead of reading the register.',
    detection:
      'No Pill (Quist & Smith) treats a non-zero LDTR as a sign of a VM, since Windows on bare metal runs with LDTR 0; ScoopyNG includes the same check.',
    severity: severities('warning', 'hint', 'warning'),
    sources: sourcesOf('RI', 'SDM_T2_3', 'SDM_CR4', 'VMX_EXIT_REASONS', 'SVM', 'UMIP', 'XEN_ENL', 'NOPILL', 'SCOOPY'),
  },
  {
    id: 'smsw',
    group: 'core',
    family: 'sensitive-register',
    mnemonics: ['SMSW'],
    title: 'SMSW reveals CR0 without trapping',
    message: '{mnemonic} reads CR0 without trapping: a deprivileged kernel sees the real PE, MP, EM and TS bits, not its virtual CR0',
    problem:
      'SMSW stores the low 16 bits of CR0 (the machine status word: PE, MP, EM, TS, ET, NE); in 64-bit mode the 32- and 64-bit register forms return the whole of CR0. ' +
      'It works at every CPL, unlike MOV from CR0, which is privileged. ' +
      'A guest that thinks it is in real mode while the VMM runs it in protected mode reads PE = 1 and draws the wrong conclusion about its own mode, and the VMM never sees the read.',
    vtx: 'SMSW never causes a VM exit. For every CR0 bit the VMM owns (set in the CR0 guest/host mask) the guest reads the value from the CR0 read shadow, so the guest sees the CR0 it expects.',
    amdv: 'SVM has a CR0-read intercept; whether it also covers SMSW is not confirmed in our sources. Without an intercept the guest reads its own CR0.',
    controls: `${UMIP_COVERED} Linux returns the CR0 value the kernel set at boot.`,
    fixes: ['trap-equivalent', 'forced-emulation', 'hypercall', 'cr4-control'],
    advice:
      'Read CR0 with `MOV reg, CR0` instead: it does the same job, the SDM recommends it over SMSW, and it faults at CPL>0 so a trap-and-emulate VMM sees it. ' +
      'MOV from CR0 only writes a register, so a memory-destination SMSW needs a scratch register and a 16-bit store. Paravirtual kernels call their `read_cr0` hook.',
    detection: 'Anti-emulator code checks the MP and TS bits that SMSW returns, for instance before and after an FPU instruction.',
    severity: severities('warning', 'hint', 'warning'),
    sources: sourcesOf('RI', 'SDM_SMSW', 'SDM_5_9', 'SDM_CR4', 'VMX_SMSW', 'SVM', 'UMIP', 'PV_H', 'CORKAMI'),
  },
  {
    id: 'str',
    group: 'core',
    family: 'protection-system',
    mnemonics: ['STR'],
    title: 'STR reveals the task register without trapping',
    message: '{mnemonic} reads the task register without trapping: a deprivileged kernel sees the VMM\'s TSS selector',
    problem:
      'STR stores the selector of the current task-state segment at any CPL (LTR, which loads it, is privileged). ' +
      'Robin & Irvine list it with the protection-system instructions: a guest running at CPL 3 that inspects the selector can tell it is not at the privilege level it assumes. ' +
      'In practice it also returns the TSS selector the VMM uses, and the read is never seen by the VMM.',
    vtx: `${DESCRIPTOR_TABLE_EXITING} (exit reason 47).`,
    amdv: 'The VMCB intercept `STORE_TR` can make it exit; without it the guest reads its own TR.',
    controls: `${UMIP_COVERED} Linux returns the selector of its own TSS entry to user space.`,
    fixes: ['forced-emulation', 'hypercall', 'cr4-control'],
    advice:
      'Use the TSS selector you loaded with LTR (a constant in most kernels) instead of reading TR. Xen PV kernels do this through the `store_tr` hook, which simply returns 0.',
    detection: 'Omella\'s method stores TR and recognises VMware by the value 0x4000 (bytes 00 40); ScoopyNG and al-khaser implement it.',
    severity: severities('warning', 'hint', 'warning'),
    sources: sourcesOf('RI', 'SDM_STR', 'SDM_CR4', 'VMX_EXIT_REASONS', 'SVM', 'UMIP', 'XEN_ENL', 'OMELLA', 'SCOOPY'),
  },
  {
    id: 'pushf',
    group: 'core',
    family: 'sensitive-register',
    mnemonics: ['PUSHF', 'PUSHFD', 'PUSHFQ'],
    title: 'PUSHF exposes the real EFLAGS without trapping',
    message: '{mnemonic} exposes the real EFLAGS (IF, IOPL) without trapping: a deprivileged kernel sees the VMM\'s interrupt state, not its own',
    problem:
      'PUSHF pushes EFLAGS, including the interrupt flag and the I/O privilege level, at any CPL in protected mode (only virtual-8086 mode with IOPL < 3 makes it fault). ' +
      'A deprivileged guest kernel that disabled interrupts with a trapped CLI still finds IF = 1 on the stack, because the VMM kept the real flag set; it reads the VMM\'s state instead of its own virtual state. ' +
      'That read of sensitive state without a trap breaks the Popek–Goldberg condition.',
    vtx: 'No exit control exists; the guest runs at its real CPL 0 and pushes its own RFLAGS, so the value is correct.',
    amdv: 'SVM offers a `PUSHF` intercept; without it the guest pushes its own RFLAGS.',
    controls: NO_CONTROL,
    fixes: ['forced-emulation', 'hypercall'],
    advice:
      'Keep the virtual interrupt state where the VMM can see it and read it from there: Linux paravirtual kernels call `save_fl`, and a Xen PV kernel derives IF from the `evtchn_upcall_mask` byte in its `vcpu_info`. ' +
      'A PUSHF used only to save arithmetic flags is harmless; suppress the finding with a reason.',
    severity: severities('warning', 'off', 'info'),
    sources: sourcesOf('RI', 'SDM_PUSHF', 'VMX_EXITS_COND', 'SVM', 'PV_H', 'XEN_ASM'),
  },
  {
    id: 'popf',
    group: 'core',
    family: 'sensitive-register',
    mnemonics: ['POPF', 'POPFD', 'POPFQ'],
    title: 'POPF silently ignores IF and IOPL changes at CPL>0',
    message: '{mnemonic} silently ignores IF and IOPL changes at CPL>0: the VMM never learns the guest wanted interrupts on or off',
    problem:
      'POPF loads EFLAGS from the stack. When CPL > IOPL the interrupt flag is left unchanged, and at any CPL above 0 the IOPL field is left unchanged, without any exception. ' +
      'A deprivileged kernel that restores interrupts with POPF (the irqsave/irqrestore pattern) therefore does nothing, and since no trap happens the VMM cannot emulate the change. ' +
      'This is the classic case of a sensitive instruction that misbehaves silently instead of trapping.',
    vtx: 'No exit control exists; at its real CPL 0 the guest changes its own IF and IOPL as intended, and the VMM keeps control of interrupts with external-interrupt exiting.',
    amdv: 'SVM offers a `POPF` intercept; without it the guest updates its own RFLAGS natively.',
    controls: NO_CONTROL,
    fixes: ['trap-equivalent', 'forced-emulation', 'hypercall'],
    advice:
      'Restore the interrupt flag explicitly: test the saved IF bit and execute STI (or CLI) accordingly. Both fault when CPL > IOPL, so a trap-and-emulate VMM sees the intent. ' +
      'Keep POPF for the other flags (DF, AC, arithmetic flags), where dropping the privileged bits is harmless. ' +
      'Paravirtual kernels restore the virtual IF through the hypervisor (Linux: enable interrupts if the saved flags had IF set; Xen: clear the event mask and check for pending events); IOPL goes through Xen\'s `PHYSDEVOP_set_iopl`.',
    severity: severities('error', 'off', 'info'),
    sources: sourcesOf('RI', 'SDM_POPF', 'SDM_CLI', 'SVM', 'PV_H', 'XEN_ASM', 'XEN_ENL'),
  },
  {
    id: 'lar',
    group: 'core',
    family: 'protection-system',
    mnemonics: ['LAR'],
    title: 'LAR checks descriptors against the real CPL without trapping',
    message: '{mnemonic} checks the descriptor against the real CPL: at CPL>0 it silently reports kernel descriptors as inaccessible instead of trapping',
    problem:
      'LAR loads the access-rights bytes of a descriptor, but only if the descriptor is visible at the current CPL and the selector\'s RPL; otherwise it clears ZF and loads nothing, without a fault. ' +
      'A guest kernel that believes it runs at CPL 0 but is deprivileged gets "not accessible" for its own DPL-0 descriptors, and the VMM never hears about it. ' +
      'The result depends on the machine\'s protection state, so the instruction is sensitive, yet it is not privileged.',
    vtx: PROTECTION_CHECK_NATIVE_VTX,
    amdv: PROTECTION_CHECK_NATIVE_SVM,
    controls: NO_CONTROL,
    fixes: ['forced-emulation', 'hypercall'],
    advice:
      'Look the descriptor up in the kernel\'s own copy of the GDT/LDT and decode the access rights in software. Under Xen PV the descriptors were installed with `update_descriptor`, so the kernel already has them.',
    detection: 'Under VMware binary translation shadow descriptors with DPL 0 are given DPL 1, so the attributes LAR returns can differ from what the guest wrote.',
    severity: severities('warning', 'off', 'info'),
    sources: sourcesOf('RI', 'SDM_LAR', 'SDM_T2_3', 'VMX_EXITS_COND', 'SVM', 'XEN_ENL', 'AA06'),
  },
  {
    id: 'lsl',
    group: 'core',
    family: 'protection-system',
    mnemonics: ['LSL'],
    title: 'LSL checks descriptors against the real CPL without trapping',
    message: '{mnemonic} checks the descriptor against the real CPL: at CPL>0 it silently fails for kernel descriptors instead of trapping',
    problem:
      'LSL loads a segment limit from a descriptor, subject to the same visibility test as LAR: when the CPL or the RPL exceeds the descriptor\'s DPL (and it is not a conforming code segment) it clears ZF and loads nothing. ' +
      'Run deprivileged, a guest kernel is refused its own kernel segments and receives no trap that the VMM could emulate.',
    vtx: PROTECTION_CHECK_NATIVE_VTX,
    amdv: PROTECTION_CHECK_NATIVE_SVM,
    controls: NO_CONTROL,
    fixes: ['forced-emulation', 'hypercall'],
    advice: 'Compute the limit from the kernel\'s own descriptor-table copy instead of asking the processor.',
    severity: severities('warning', 'off', 'info'),
    sources: sourcesOf('RI', 'SDM_LAR', 'SDM_T2_3', 'VMX_EXITS_COND', 'SVM', 'XEN_ENL'),
  },
  {
    id: 'verr',
    group: 'core',
    family: 'protection-system',
    mnemonics: ['VERR'],
    title: 'VERR answers for the real CPL without trapping',
    message: '{mnemonic} tests readability against the real CPL: at CPL>0 it silently reports kernel segments as unreadable',
    problem:
      'VERR sets ZF when the segment named by a selector is readable from the current CPL. Its answer depends on the CPL, so a deprivileged guest kernel is told that its DPL-0 segments cannot be read, ' +
      'while it expects the ring-0 answer. No exception occurs, so the VMM cannot correct the result.',
    vtx: PROTECTION_CHECK_NATIVE_VTX,
    amdv: PROTECTION_CHECK_NATIVE_SVM,
    controls: NO_CONTROL,
    fixes: ['forced-emulation', 'hypercall'],
    advice: 'Decide readability from the kernel\'s own descriptor copy (type and DPL fields), not from the processor\'s check at the current CPL.',
    severity: severities('warning', 'off', 'info'),
    sources: sourcesOf('RI', 'SDM_VERR', 'SDM_T2_3', 'VMX_EXITS_COND', 'SVM'),
  },
  {
    id: 'verw',
    group: 'core',
    family: 'protection-system',
    mnemonics: ['VERW'],
    title: 'VERW answers for the real CPL without trapping',
    message: '{mnemonic} tests writability against the real CPL: at CPL>0 it silently reports kernel segments as unwritable',
    problem:
      'VERW sets ZF when the segment is writable from the current CPL. A deprivileged guest kernel gets the answer for its real ring, not for ring 0, and no trap tells the VMM. ' +
      '(Modern kernels also execute VERW with a dummy selector for its side effect of flushing CPU buffers; that use does not depend on the answer.)',
    vtx: PROTECTION_CHECK_NATIVE_VTX,
    amdv: PROTECTION_CHECK_NATIVE_SVM,
    controls: NO_CONTROL,
    fixes: ['forced-emulation', 'hypercall'],
    advice:
      'Decide writability from the kernel\'s own descriptor copy. If VERW is there only for its buffer-clearing side effect and the flags are ignored, suppress the finding with that reason.',
    severity: severities('warning', 'off', 'info'),
    sources: sourcesOf('RI', 'SDM_VERR', 'SDM_T2_3', 'VMX_EXITS_COND', 'SVM'),
  },
  {
    id: 'push-sreg',
    group: 'core',
    family: 'protection-system',
    mnemonics: ['PUSH CS', 'PUSH SS', 'PUSH DS', 'PUSH ES', 'PUSH FS', 'PUSH GS'],
    title: 'PUSH of a segment register reveals the real CPL',
    message: '{mnemonic} of a segment register pushes a selector whose low bits hold the real CPL: a deprivileged kernel can see it is not in ring 0',
    problem:
      'The two low bits of CS and SS hold the current privilege level. Pushing CS or SS therefore tells a guest kernel which ring it really runs in, ' +
      'and a kernel that checks for RPL 0 (for instance to tell kernel from user frames) takes the wrong branch when the VMM runs it in ring 1 or 3. Nothing traps. ' +
      'PUSH CS/SS/DS/ES cannot be encoded in 64-bit mode; PUSH FS/GS can.',
    vtx: PROTECTION_CHECK_NATIVE_VTX,
    amdv: PROTECTION_CHECK_NATIVE_SVM,
    controls: NO_CONTROL,
    fixes: ['forced-emulation', 'hypercall'],
    advice: SEGMENT_PV_ADVICE,
    severity: severities('warning', 'off', 'info'),
    sources: sourcesOf('RI', 'SDM_PUSH', 'PV_H'),
  },
  {
    id: 'pop-sreg',
    group: 'core',
    family: 'protection-system',
    mnemonics: ['POP SS', 'POP DS', 'POP ES', 'POP FS', 'POP GS'],
    title: 'POP into a segment register is checked against the real CPL',
    message: '{mnemonic} into a segment register is checked against the real CPL: kernel selectors fail or behave differently when deprivileged',
    problem:
      'Loading a segment register runs the protection checks with the current CPL: SS needs RPL = DPL = CPL, and data segments need a DPL no lower than CPL and RPL. ' +
      'A guest kernel that assumes ring 0 and pops its DPL-0 selectors while actually at ring 1 or 3 gets #GP faults or must be handed different selectors, so its view of segmentation diverges from a real machine. ' +
      'The refusal is a fault, not a silent failure: it reaches the VMM, which can emulate the load, at the cost of a trap each time. ' +
      'POP DS/ES/SS cannot be encoded in 64-bit mode, and POP CS does not exist after the 8086.',
    vtx: PROTECTION_CHECK_NATIVE_VTX,
    amdv: PROTECTION_CHECK_NATIVE_SVM,
    controls: NO_CONTROL,
    fixes: ['forced-emulation', 'hypercall'],
    advice:
      'Load only the selectors the hypervisor defines for the deprivileged kernel (Xen: `FLAT_KERNEL_DS` and friends) and set FS/GS bases through the hypervisor (Xen: `set_segment_base`).',
    severity: severities('warning', 'off', 'info'),
    sources: sourcesOf('RI', 'SDM_POP', 'SDM_MOV', 'XEN_PUB'),
  },
  {
    id: 'mov-sreg',
    group: 'core',
    family: 'protection-system',
    mnemonics: ['MOV r/m, Sreg', 'MOV Sreg, r/m'],
    title: 'MOV to or from a segment register depends on the real CPL',
    message: '{mnemonic} with a segment register depends on the real CPL: a CS or SS store reveals it, a selector load is checked against it',
    problem:
      'Reading CS or SS with MOV exposes the CPL in the selector\'s low two bits, just like PUSH CS, and that read never traps. ' +
      'Writing a segment register runs the same privilege checks as POP: SS must match the CPL exactly, data segments need a DPL no lower than the CPL and RPL, and MOV to CS raises #UD. ' +
      'A deprivileged guest kernel therefore sees a ring other than 0 without the VMM knowing, and has its kernel selectors refused with #GP, which does reach the VMM. ' +
      'Reading DS, ES, FS or GS gives back the selector last loaded, so it reveals nothing the code did not choose itself.',
    vtx: PROTECTION_CHECK_NATIVE_VTX,
    amdv: PROTECTION_CHECK_NATIVE_SVM,
    controls: NO_CONTROL,
    fixes: ['forced-emulation', 'hypercall'],
    advice: SEGMENT_PV_ADVICE,
    severity: severities('warning', 'off', 'info'),
    sources: sourcesOf('RI', 'SDM_MOV', 'PV_H', 'XEN_PUB'),
  },
  {
    id: 'far-call',
    group: 'core',
    family: 'protection-system',
    mnemonics: ['CALL FAR', 'LCALL'],
    title: 'Far CALL runs privilege checks with the real CPL',
    message: 'A far {mnemonic} checks RPL, DPL and call gates against the real CPL: a deprivileged kernel\'s ring transitions go wrong or fault to the VMM',
    problem:
      'A far CALL loads CS, and the processor compares the target\'s DPL, the selector\'s RPL and any call gate\'s DPL with the current CPL. ' +
      'Kernel code that calls through gates or into ring-0 code expecting CPL 0 is refused or lands at a different privilege level when it runs deprivileged, without the VMM being involved. ' +
      'The direct form (ptr16:16/32) cannot be encoded in 64-bit mode; the memory-indirect form can.',
    vtx: 'Ordinary far calls run natively at the guest\'s real CPL 0. A far CALL that causes a task switch always exits, because task switches are not allowed in VMX non-root operation.',
    amdv: 'SVM can intercept task switches; other far calls run natively.',
    controls: NO_CONTROL,
    fixes: ['forced-emulation', 'hypercall'],
    advice:
      'Avoid far transfers in code that may run deprivileged. Ring transitions belong to the hypervisor: Xen PV kernels register entry points with `set_callbacks`/`callback_op` and return with the `iret` hypercall.',
    severity: severities('warning', 'info', 'info'),
    sources: sourcesOf('RI', 'SDM_CALL', 'SDM_JMP_OP', 'VMX_EVBLOCK', 'SVM', 'XEN_PUB'),
  },
  {
    id: 'far-jmp',
    group: 'core',
    family: 'protection-system',
    mnemonics: ['JMP FAR', 'LJMP'],
    title: 'Far JMP runs privilege checks with the real CPL',
    message: 'A far {mnemonic} checks RPL and DPL against the real CPL: a deprivileged kernel\'s jumps to ring-0 code fault to the VMM',
    problem:
      'A far JMP to non-conforming code requires the selector\'s RPL not to exceed CPL and the segment\'s DPL to equal CPL; through a call gate the gate\'s DPL must be at least CPL. ' +
      'All of these are judged with the real CPL, so a deprivileged kernel jumping to its DPL-0 code segment gets #GP or needs different selectors. ' +
      'The direct form (ptr16:16/32) cannot be encoded in 64-bit mode; the memory-indirect form can.',
    vtx: 'Ordinary far jumps run natively at the guest\'s real CPL 0. A far JMP through a task gate or to a TSS always exits, because task switches are not allowed in VMX non-root operation.',
    amdv: 'SVM can intercept task switches; other far jumps run natively.',
    controls: NO_CONTROL,
    fixes: ['forced-emulation', 'hypercall'],
    advice: 'Use the hypervisor-provided flat code selectors, and leave ring and task transitions to the hypervisor interface instead of far jumps.',
    severity: severities('warning', 'info', 'info'),
    sources: sourcesOf('RI', 'SDM_JMP_OP', 'VMX_EVBLOCK', 'SVM'),
  },
  {
    id: 'far-ret',
    group: 'core',
    family: 'protection-system',
    mnemonics: ['RETF', 'LRET'],
    title: 'Far RET checks the return selector against the real CPL',
    message: '{mnemonic} checks the return selector\'s RPL against the real CPL: a deprivileged kernel cannot return the way it expects',
    problem:
      'A far return pops CS (and, when returning to an outer ring, SS and the stack pointer) and requires the return selector\'s RPL to be at least the current CPL. ' +
      'A guest kernel that believes it is in ring 0 builds return frames for that ring; run in ring 1 or 3 its returns are refused or switch stacks differently, and the VMM is not consulted.',
    vtx: PROTECTION_CHECK_NATIVE_VTX,
    amdv: PROTECTION_CHECK_NATIVE_SVM,
    controls: NO_CONTROL,
    fixes: ['forced-emulation', 'hypercall'],
    advice: 'Return to user space through the hypervisor (Xen: the `iret` hypercall) and keep far returns out of code that may run deprivileged.',
    severity: severities('warning', 'off', 'info'),
    sources: sourcesOf('RI', 'SDM_RET', 'XEN_ASM'),
  },
  {
    id: 'int',
    group: 'core',
    family: 'protection-system',
    mnemonics: ['INT n', 'INTO', 'INT1', 'INT3'],
    title: 'INT n checks the gate DPL against the real CPL',
    message: '{mnemonic} checks the gate DPL against the real CPL: a deprivileged kernel\'s software interrupts to DPL-0 gates fault to the VMM as #GP instead of arriving as the vector',
    problem:
      'A software interrupt raises #GP when the gate\'s DPL is below the current CPL. Kernel code that issues INT n to its own DPL-0 gates works at ring 0 but faults when the kernel is deprivileged, ' +
      'and the interrupt then reaches the VMM as a protection fault rather than as the intended vector. ' +
      'INTO cannot be encoded in 64-bit mode. INT3 is reported only when you select `all` rules: it is the debugger breakpoint and its gate is normally DPL 3, so it behaves the same at any ring.',
    vtx: 'There is no VM exit for INT n. INT3 and INTO raise #BP and #OF, which exit only if the VMM sets them in the exception bitmap.',
    amdv: 'SVM offers an `INTn` intercept plus per-exception intercepts.',
    controls: NO_CONTROL,
    fixes: ['forced-emulation', 'hypercall'],
    advice:
      'Call kernel services directly instead of through a software interrupt, or register a virtual IDT with the hypervisor (Xen: `set_trap_table`, where each entry carries the DPL the guest intended).',
    severity: severities('warning', 'off', 'info'),
    sources: sourcesOf('RI', 'SDM_INT', 'VMX_SWEX', 'SVM', 'XEN_ENL'),
  },
  {
    id: 'iret',
    group: 'core',
    family: 'later-addition',
    mnemonics: ['IRET', 'IRETD', 'IRETQ'],
    title: 'IRET silently drops IF and IOPL changes at CPL>0',
    message: '{mnemonic} silently ignores IF and IOPL in the popped flags at CPL>0: the VMM never learns the guest re-enabled interrupts',
    problem:
      'IRET restores EFLAGS with the same rules as POPF: IF changes only when CPL ≤ IOPL and IOPL changes only at CPL 0, and the other cases are dropped without an exception. ' +
      'It also runs the far-return privilege checks on the popped CS. A deprivileged kernel that returns from an interrupt with IF set in the frame may keep interrupts masked, and the VMM never sees it. ' +
      'Robin & Irvine do not list IRET; it is included here because it shares POPF\'s silent behaviour.',
    vtx: 'IRET does not exit; it only changes how NMI blocking is handled. At the guest\'s real CPL 0 it restores the flags natively.',
    amdv: 'SVM offers an `IRET` intercept.',
    controls: NO_CONTROL,
    fixes: ['forced-emulation', 'hypercall'],
    advice:
      'In a paravirtual kernel return through the hypervisor: Xen PV kernels jump to the `iret` hypercall slot (hypercall 23) in the hypercall page instead of executing IRET.',
    severity: severities('error', 'off', 'info'),
    sources: sourcesOf('SDM_IRET', 'VMX_IRET', 'SVM', 'XEN_PUB', 'XEN_ASM'),
  },
  {
    id: 'cpuid',
    group: 'extended',
    family: 'later-addition',
    mnemonics: ['CPUID'],
    title: 'CPUID reveals the host CPU and the hypervisor',
    message: '{mnemonic} reports the host CPU\'s features at any CPL: it does not break a deprivileged kernel, but shows host details unless the VMM filters it',
    problem:
      'CPUID is unprivileged and, without CPUID faulting, never traps on its own. A guest therefore sees the host processor\'s model and feature bits unless the VMM intercepts it; ' +
      'under hardware virtualization it exposes the hypervisor-present bit (leaf 1, ECX bit 31) and the hypervisor leaves from 0x40000000. ' +
      'It reads machine state, so it is sensitive, and on hardware without CPUID faulting it is not privileged.',
    vtx: 'CPUID always causes a VM exit. The VMM chooses every value the guest sees, but each CPUID costs an exit, which makes it a reliable timing probe.',
    amdv: 'SVM can intercept CPUID (`CPUID` intercept); it is not unconditional.',
    controls: 'CPUID faulting (an MSR feature on Intel since Ivy Bridge, exposed by Linux through `arch_prctl(ARCH_SET_CPUID)`) makes CPUID at CPL>0 raise #GP. No CR4 bit covers it.',
    fixes: ['forced-emulation', 'hypercall'],
    advice:
      'Under Xen PV, prefix CPUID with the forced-emulation sequence (ud2 followed by the bytes "xen"), which is what Linux\'s `xen_cpuid` does, so the hypervisor filters the result. ' +
      'Elsewhere, call CPUID once at start-up and cache the result rather than executing it on hot paths.',
    detection:
      'Detection code checks the hypervisor-present bit and the vendor signature at leaf 0x40000000 ("KVMKVMKVM", "Microsoft Hv", "VMwareVMware", "XenVMMXenVMM"), and times CPUID with RDTSC: pafish treats an average above 1000 cycles as a VM.',
    severity: severities('off', 'info', 'warning'),
    sources: sourcesOf('VMX_EXITS_UNCOND', 'SVM', 'LKML_CPUIDF', 'XEN_IF', 'XEN_ENL', 'VMKB', 'PAFISH', 'CPEV'),
  },
  {
    id: 'rdtsc',
    group: 'extended',
    family: 'later-addition',
    mnemonics: ['RDTSC'],
    title: 'RDTSC reads the host time-stamp counter',
    message: '{mnemonic} reads the time-stamp counter at CPL>0 unless CR4.TSD is set: the value is the host\'s unless the VMM offsets it',
    problem:
      'RDTSC returns the processor\'s time-stamp counter and is allowed at every CPL while CR4.TSD is clear. ' +
      'A guest can use it to measure how long trapped instructions take and so notice the VMM, and the values it sees are the host\'s unless the VMM offsets or intercepts them.',
    vtx: 'Exits only with "RDTSC exiting"; otherwise the processor applies the VMM\'s TSC offset (and scaling) and the instruction runs natively.',
    amdv: 'SVM offers an `RDTSC` intercept and a TSC offset in the VMCB.',
    controls: 'Setting CR4.TSD (bit 2) makes RDTSC raise #GP at CPL>0, so a VMM sees every read; this slows user-space time reads.',
    fixes: ['forced-emulation', 'hypercall', 'cr4-control'],
    advice:
      'Take time from a paravirtual clock (KVM: kvmclock, registered through `MSR_KVM_SYSTEM_TIME_NEW`; Xen: `vcpu_time_info`) instead of raw RDTSC, or set CR4.TSD where every read must be mediated.',
    detection: 'pafish times back-to-back RDTSC (an average above 750 cycles counts as a VM) and RDTSC around CPUID to detect the cost of exits.',
    severity: severities('off', 'info', 'warning'),
    sources: sourcesOf('SDM_RDTSC', 'SDM_5_9', 'VMX_RDTSC', 'VMX_EXITS_COND', 'SVM', 'PAFISH'),
  },
  {
    id: 'rdtscp',
    group: 'extended',
    family: 'later-addition',
    mnemonics: ['RDTSCP'],
    title: 'RDTSCP reads the host time-stamp counter and TSC_AUX',
    message: '{mnemonic} reads the time-stamp counter and IA32_TSC_AUX at CPL>0 unless CR4.TSD is set: it exposes host time and CPU identity',
    problem:
      'RDTSCP returns the time-stamp counter together with IA32_TSC_AUX, which operating systems fill with a CPU number. It is gated only by CR4.TSD, ' +
      'so a guest can time the VMM and learn which physical CPU it runs on unless the VMM virtualizes both values.',
    vtx: 'Raises #UD unless the VMM sets "enable RDTSCP"; with that control and "RDTSC exiting" it exits, otherwise it runs natively with the TSC offset applied.',
    amdv: 'SVM offers an `RDTSCP` intercept.',
    controls: 'CR4.TSD (bit 2) makes RDTSCP raise #GP at CPL>0.',
    fixes: ['forced-emulation', 'hypercall', 'cr4-control'],
    advice: 'Use the paravirtual clock for time and ask the OS for the current CPU number instead of reading TSC_AUX directly; set CR4.TSD where every read must be mediated.',
    detection: 'Like RDTSC, it serves as a timer around instructions that exit.',
    severity: severities('off', 'info', 'warning'),
    sources: sourcesOf('SDM_RDTSCP', 'VMX_RDTSC', 'VMX_EXITS_COND', 'SVM', 'PAFISH'),
  },
  {
    id: 'rdpmc',
    group: 'extended',
    family: 'later-addition',
    mnemonics: ['RDPMC'],
    title: 'RDPMC reads performance counters when CR4.PCE allows it',
    message: '{mnemonic} reads a performance counter at CPL>0 when CR4.PCE is set: it can show host activity',
    problem:
      'RDPMC reads a performance counter. When CR4.PCE is set it works at every CPL, and the counters then reflect whatever the physical CPU has been doing, VMM included, unless the VMM virtualizes them.',
    vtx: 'Exits only with "RDPMC exiting".',
    amdv: 'SVM offers an `RDPMC` intercept.',
    controls: 'With CR4.PCE (bit 8) clear, RDPMC at CPL>0 raises #GP, so a VMM can emulate it.',
    fixes: ['forced-emulation', 'hypercall', 'cr4-control'],
    advice: 'Leave CR4.PCE clear in deprivileged guests and read counters through the kernel or hypervisor interface (Linux Xen PV: `xen_read_pmc`).',
    detection: 'Counter values and their rate of change can reveal extra work done by a VMM.',
    severity: severities('off', 'hint', 'warning'),
    sources: sourcesOf('SDM_RDPMC', 'VMX_EXITS_COND', 'SVM', 'PV_H'),
  },
  {
    id: 'rdpid',
    group: 'extended',
    family: 'later-addition',
    mnemonics: ['RDPID'],
    title: 'RDPID reads IA32_TSC_AUX with no privilege check',
    message: '{mnemonic} reads IA32_TSC_AUX at any CPL with no control bit: it returns the processor id the host assigned',
    problem:
      'RDPID returns IA32_TSC_AUX, normally the CPU number chosen by the operating system. Its only fault conditions are a LOCK prefix or missing CPU support; no CPL test and no CR4 bit apply, ' +
      'so the guest reads whatever the host put there unless the VMM virtualizes the MSR.',
    vtx: 'No dedicated exit; KVM ties its availability to the "enable RDTSCP" control, so it raises #UD when that is clear.',
    amdv: 'Behaviour under SVM is not confirmed in our sources.',
    controls: 'None: RDPID is not affected by UMIP, CR4.TSD or CR4.PCE.',
    fixes: ['forced-emulation', 'hypercall'],
    advice: 'Ask the kernel for the current CPU number (for example through the vDSO `getcpu`) rather than reading the MSR directly.',
    detection: 'A TSC_AUX value that does not match the guest\'s own CPU numbering hints at a VMM.',
    severity: severities('off', 'hint', 'warning'),
    sources: sourcesOf('SDM_RDPID', 'SVM'),
  },
  {
    id: 'xgetbv',
    group: 'extended',
    family: 'later-addition',
    mnemonics: ['XGETBV'],
    title: 'XGETBV reads XCR0 without any exit',
    message: '{mnemonic} reads XCR0 at any CPL without a VM exit: it shows which state components the host or VMM enabled',
    problem:
      'XGETBV reads an extended control register, normally XCR0, which lists the processor state components (x87, SSE, AVX, ...) the operating system enabled. ' +
      'It faults only when CR4.OSXSAVE is clear. A guest therefore sees the enabled set chosen by whoever owns the real XCR0, which can differ from what the virtual CPU advertises.',
    vtx: 'Not in the VM-exit lists, so it always runs natively (XSETBV, the write, exits unconditionally).',
    amdv: 'Only XSETBV can be intercepted.',
    controls: 'None beyond CR4.OSXSAVE, which disables XSAVE support entirely.',
    fixes: ['forced-emulation', 'hypercall'],
    advice: 'Compare XGETBV results with the CPUID-reported features rather than trusting either alone; in most code this finding is informational.',
    detection: 'A mismatch between XCR0 and the CPUID feature leaves can reveal a VMM that filters CPUID but not XCR0.',
    severity: severities('off', 'off', 'warning'),
    sources: sourcesOf('SDM_XGETBV', 'VMX_EXITS_UNCOND', 'SVM'),
  },
];

export const META_RULES: readonly RuleEntry[] = [
  {
    id: 'invalid-in-mode',
    group: 'meta',
    family: 'meta',
    mnemonics: [],
    title: 'Instruction form cannot be encoded in this mode',
    message: '{mnemonic} cannot be encoded in the current mode',
    problem:
      'Some sensitive forms do not exist in every mode: PUSH/POP of CS, SS, DS and ES, direct far CALL/JMP (ptr16:16/32) and INTO are invalid in 64-bit mode, and POP CS does not exist after the 8086. ' +
      'The assembler rejects them or the processor raises #UD, so they are reported as source errors rather than as virtualization findings. ' +
      'If the file mixes 16-, 32- and 64-bit code, check that the `bits`/`.code32` directive (or a `virtlint: bits=` modeline) is where you expect.',
    vtx: 'Not applicable.',
    amdv: 'Not applicable.',
    controls: 'Not applicable.',
    fixes: [],
    advice: 'Use the form that exists in this mode (for example `mov ax, ds` / `push rax` instead of `push ds` in 64-bit code), or fix the bitness directive.',
    severity: severities('error', 'error', 'error'),
    sources: sourcesOf('SDM_PUSH', 'SDM_POP', 'SDM_CALL', 'SDM_INT'),
  },
  {
    id: 'unknown-mnemonic',
    group: 'meta',
    family: 'meta',
    mnemonics: [],
    title: 'Unknown mnemonic',
    message: '{mnemonic} is not an x86 instruction virtlint knows; it is not checked',
    problem:
      'The statement starts with a word that is neither an instruction iced-x86 knows nor a directive of the detected dialect. It is usually a macro invocation or a typo. ' +
      'virtlint cannot see what a macro expands to, so a sensitive instruction hidden inside it is only found where the macro is defined.',
    vtx: 'Not applicable.',
    amdv: 'Not applicable.',
    controls: 'Not applicable.',
    fixes: [],
    advice: 'If it is a macro, nothing needs doing. If the dialect was detected wrongly, add a modeline such as `; virtlint: dialect=nasm bits=64`.',
    severity: severities('hint', 'hint', 'hint'),
    sources: [],
  },
  {
    id: 'unknown-rule',
    group: 'meta',
    family: 'meta',
    mnemonics: [],
    title: 'Unknown rule id in a suppression comment',
    message: 'Unknown rule id in a virtlint suppression comment',
    problem: 'A `virtlint-disable...`, `virtlint-enable` or `virtlint-fixed:` comment names a rule id that does not exist, so it suppresses nothing.',
    vtx: 'Not applicable.',
    amdv: 'Not applicable.',
    controls: 'Not applicable.',
    fixes: [],
    advice: 'Use one of the rule ids listed in docs/overview.md, or the groups `core`, `extended` and `all` where a selection is accepted.',
    severity: severities('warning', 'warning', 'warning'),
    sources: [],
  },
  {
    id: 'unresolved-include',
    group: 'meta',
    family: 'meta',
    mnemonics: [],
    title: 'Include that cannot be followed',
    message: 'The included file cannot be read, so the code it holds is not checked',
    problem:
      'An include directive (`%include`, `include`, `.include`, `#include`, `INCLUDE`) names a file virtlint cannot find in the including file\'s folder or on the include path, or a file that would include itself. ' +
      'The assembler would stop here; virtlint goes on without the file, so whatever sensitive instructions and mode changes it holds are missing from the results.',
    vtx: 'Not applicable.',
    amdv: 'Not applicable.',
    controls: 'Not applicable.',
    fixes: [],
    advice: 'Add the folder to `includePaths` in `virtlint.config.json` (or pass `-I dir`), or point virtlint at the `compile_commands.json` the build writes.',
    severity: severities('warning', 'warning', 'warning'),
    sources: [],
  },
  {
    id: 'undecided-expansion',
    group: 'meta',
    family: 'meta',
    mnemonics: [],
    title: 'Conditional or macro expansion that cannot be decided',
    message: 'virtlint cannot decide how this expands',
    problem:
      'A conditional tests a symbol that only the build defines (`#ifdef CONFIG_X86_64`, `%ifdef DEBUG`, `.if SIZE > 4`), or a macro or repeat block runs past virtlint\'s limits. ' +
      'Rather than guess, virtlint says so here: it reads every branch it cannot rule out, and stops an expansion that runs away.',
    vtx: 'Not applicable.',
    amdv: 'Not applicable.',
    controls: 'Not applicable.',
    fixes: [],
    advice: 'Give the symbol a value under `defines` in `virtlint.config.json` (or `-D NAME=value`, or a `compile_commands.json`), so virtlint reads only the branch the build assembles.',
    severity: severities('hint', 'hint', 'hint'),
    sources: [],
  },
];
