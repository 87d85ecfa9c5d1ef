// Strategy "trap": the ISA's own trapping equivalent (SMSW → MOV from CR0, the IF part of
// POPF → CLI/STI), or a hypervisor's forced-emulation prefix in front of the instruction.
import type { FixContext, GeneratedFix } from './context';
import { addressFamilies, memoryOperand, registerOperand, upper } from './context';
import { imm, ins, mem, reg, type Line } from './ir';
import { markerComment } from './layout';
import { fullReg, isStackPointer, regOfWidth, saveWidth, stackPointer } from './registers';

/** ud2 followed by a signature: the hypervisor decodes the next instruction and emulates it. */
export const FORCED_EMULATION_PREFIX = {
  kvm: [0x0f, 0x0b, 0x6b, 0x76, 0x6d], // ud2; "kvm" (KVM's force_emulation_prefix)
  xen: [0x0f, 0x0b, 0x78, 0x65, 0x6e], // ud2; "xen" (XEN_EMULATE_PREFIX)
} as const;

export type PrefixFlavour = keyof typeof FORCED_EMULATION_PREFIX;

/**
 * What the prefix needs to work. KVM honours it only with kvm.force_emulation_prefix=1 (a self-test
 * knob); Xen honours it for CPUID from PV guests, and otherwise only with hvm_fep (debug builds).
 * Anywhere else the ud2 raises #UD.
 */
export function prefixNeeds(ruleId: string, flavour: PrefixFlavour): string {
  if (flavour === 'kvm') return 'needs kvm.force_emulation_prefix=1';
  return ruleId === 'cpuid' ? 'Xen emulates CPUID for PV guests' : "needs Xen's hvm_fep (debug builds)";
}

/** The title every forced-emulation fix carries, in assembly files and inside inline assembly alike. */
export function forcedEmulationTitle(mnemonic: string, ruleId: string, flavour: PrefixFlavour): string {
  const name = flavour === 'xen' ? "Xen's" : "KVM's";
  return `Prefix ${upper(mnemonic)} with ${name} forced-emulation marker (${prefixNeeds(ruleId, flavour)})`;
}

export function forcedEmulationFix(ctx: FixContext, flavour: PrefixFlavour): GeneratedFix {
  const needs = prefixNeeds(ctx.ruleId, flavour);
  return {
    title: forcedEmulationTitle(ctx.ins.mnemonic, ctx.ruleId, flavour),
    summary: `${flavour === 'xen' ? 'Xen' : 'KVM'} forced-emulation prefix for ${upper(ctx.ins.mnemonic)}, ${needs}; elsewhere its ud2 is an invalid-opcode fault`,
    kind: 'forced-emulation',
    strategy: 'trap',
    lines: [
      { t: 'bytes', bytes: [...FORCED_EMULATION_PREFIX[flavour]], comment: `${flavour === 'xen' ? 'Xen' : 'KVM'} forced-emulation prefix (ud2 + "${flavour}")` },
      { t: 'raw', text: ctx.site.instructionText, comment: markerComment(ctx.ruleId) },
    ],
  };
}

const SCRATCH_ORDER = ['c', 'a', 'd', 'b', 'si', 'di'];

/**
 * SMSW → MOV from CR0. MOV CR only writes a full 32/64-bit register, so a 16-bit register
 * or a memory destination goes through a saved scratch register. Flags are not touched.
 */
export function smswTrapFix(ctx: FixContext): GeneratedFix | undefined {
  const { bits } = ctx;
  const operand = ctx.ins.operands[0];
  const title = 'Replace SMSW with MOV from CR0 (traps at CPL>0)';
  const summary = `${upper(ctx.ins.mnemonic)} as MOV from CR0, which faults at CPL>0 so the VMM emulates it`;
  const make = (lines: Line[]): GeneratedFix => ({ title, summary, kind: 'trap-equivalent', strategy: 'trap', lines });
  const crWidth = bits === 64 ? 8 : 4;
  const dest = registerOperand(operand);
  if (dest) {
    if (dest.family === 'sp' || dest.width === 1) return undefined;
    if (dest.width >= 4) {
      // A 32-bit destination in 64-bit code is zero-extended, which is what MOV r64, CR0 gives (CR0[63:32] = 0).
      return make([{ t: 'ins', op: 'mov', args: [reg(regOfWidth(dest.family, crWidth)), reg('cr0')], comment: 'privileged: faults at CPL>0' }]);
    }
    const scratch = SCRATCH_ORDER.find((f) => f !== dest.family)!;
    return make([
      ins('push', reg(fullReg(scratch, bits))),
      { t: 'ins', op: 'mov', args: [reg(regOfWidth(scratch, crWidth)), reg('cr0')], comment: 'privileged: faults at CPL>0' },
      ins('mov', reg(dest.name), reg(regOfWidth(scratch, 2))),
      ins('pop', reg(fullReg(scratch, bits))),
    ]);
  }
  const target = memoryOperand(operand);
  if (!target) return undefined;
  const avoid = addressFamilies(target);
  const scratch = SCRATCH_ORDER.find((f) => !avoid.has(f));
  if (!scratch) return undefined;
  const adjust = isStackPointer(target.base) ? saveWidth(bits) : 0;
  return make([
    ins('push', reg(fullReg(scratch, bits))),
    { t: 'ins', op: 'mov', args: [reg(regOfWidth(scratch, crWidth)), reg('cr0')], comment: 'privileged: faults at CPL>0' },
    ins('mov', { k: 'orig', operand: target, adjust, width: 2 }, reg(regOfWidth(scratch, 2))),
    ins('pop', reg(fullReg(scratch, bits))),
  ]);
}

/**
 * POPF → CLI or STI chosen from IF (bit 9) of the saved image, then the original POPF for
 * the other flags (marked as intended). CLI/STI fault when CPL > IOPL, so the VMM sees the
 * change. The TEST clobbers flags, but the POPF that follows reloads all of them.
 */
export function popfTrapFix(ctx: FixContext): GeneratedFix | undefined {
  const { bits } = ctx;
  const toCli = ctx.label('cli');
  const done = ctx.label('popf');
  const lines: Line[] = [];
  if (bits === 16) {
    // 16-bit addressing has no [sp]; look at the image through BP, restored before the branch.
    lines.push(ins('push', reg('bp')), ins('mov', reg('bp'), reg('sp')));
    lines.push({ t: 'ins', op: 'test', args: [mem('bp', 2, 2), imm(0x200)], comment: 'IF (bit 9) of the saved flags image' });
    lines.push(ins('pop', reg('bp')));
  } else {
    lines.push({ t: 'ins', op: 'test', args: [mem(stackPointer(bits), 0, 2), imm(0x200)], comment: 'IF (bit 9) of the saved flags image' });
  }
  if (ctx.site.macro && ctx.dialect === 'masm') lines.push(...forwardOnlyChoice(toCli, done));
  else {
    lines.push(
      { t: 'branch', op: 'jz', target: toCli, toLabel: true },
      { t: 'ins', op: 'sti', args: [], comment: 'faults when CPL > IOPL' },
      { t: 'branch', op: 'jmp', target: done, toLabel: true },
      { t: 'label', name: toCli },
      { t: 'ins', op: 'cli', args: [], comment: 'faults when CPL > IOPL' },
      { t: 'label', name: done },
    );
  }
  lines.push({ t: 'raw', text: ctx.site.instructionText, comment: markerComment('popf') });
  return {
    title: `Replace ${upper(ctx.ins.mnemonic)}'s IF change with CLI/STI (trap when CPL>IOPL)`,
    summary: `${upper(ctx.ins.mnemonic)}'s IF change as CLI/STI, which fault when CPL > IOPL so the VMM sees it`,
    kind: 'trap-equivalent',
    strategy: 'trap',
    lines,
  };
}

/**
 * STI or CLI with every jump going forward to the very next label, as MASM's anonymous
 * labels (`@@:` / `@F`) in a macro body need. STI leaves ZF alone, so the second branch
 * sees the TEST's result too.
 */
function forwardOnlyChoice(afterSti: string, done: string): Line[] {
  return [
    { t: 'branch', op: 'jz', target: afterSti, toLabel: true },
    { t: 'ins', op: 'sti', args: [], comment: 'faults when CPL > IOPL' },
    { t: 'label', name: afterSti },
    { t: 'branch', op: 'jnz', target: done, toLabel: true },
    { t: 'ins', op: 'cli', args: [], comment: 'faults when CPL > IOPL' },
    { t: 'label', name: done },
  ];
}
