// Xen PV has real mechanisms for four of the rules: the per-vCPU event-channel mask
// stands in for IF (PUSHF, POPF), and hypercall 23 performs IRET and so a 32-bit far RET.
// Assumed symbols (see hypercallDefinitions): `xen_vcpu_info` = this vCPU's struct
// vcpu_info, `hypercall_page` = the page Xen filled with hypercall stubs.
import type { FixContext, GeneratedFix } from './context';
import { stackOperandWidth, upper } from './context';
import { imm, ins, mem, reg, symMem, type Line } from './ir';
import { markerComment } from './layout';
import { XEN_SYMBOLS } from './numbers';
import { definitionsFileName } from './definitionsFile';
import { fullReg, stackPointer } from './registers';

const maskByte = () => symMem(`${XEN_SYMBOLS.vcpuInfo}+${XEN_SYMBOLS.mask}`, 0, 1);
const pendingByte = () => symMem(`${XEN_SYMBOLS.vcpuInfo}+${XEN_SYMBOLS.pending}`, 0, 1);

/** What every Xen PV fix carries: its summary, the numbers it names, and that it is Xen's own mechanism. */
function paravirt(ctx: FixContext, what: string, needs: readonly string[]): Pick<GeneratedFix, 'summary' | 'usesNumbers' | 'paravirt'> {
  return { summary: `Xen PV ${upper(ctx.ins.mnemonic)} ${what}; needs ${needs.join(' and ')}, numbers in ${definitionsFileName(ctx.dialect, ctx.options.definitionsFolder)}`, usesNumbers: true, paravirt: true };
}

function title(ctx: FixContext, what: string): string {
  return `Replace ${upper(ctx.ins.mnemonic)}${what}`;
}

/**
 * PUSHF: push the real image (right for every flag but IF), push a second copy, set IF in
 * the first from !evtchn_upcall_mask, then POPF the copy to undo the AND/CMP/OR flag changes.
 * Both kept PUSHFs and the POPF are marked as intended.
 */
export function xenPushfFix(ctx: FixContext): GeneratedFix | undefined {
  if (ctx.bits === 16) return undefined;
  const width = stackOperandWidth(ctx.ins);
  const popText = ctx.site.instructionText.replace(/push/i, (m) => (m === 'PUSH' ? 'POP' : 'pop'));
  const sp = stackPointer(ctx.bits);
  const skip = ctx.label('xenif');
  const lines: Line[] = [
    { t: 'raw', text: ctx.site.instructionText, comment: markerComment('pushf') },
    { t: 'raw', text: ctx.site.instructionText, comment: markerComment('pushf') },
    { t: 'ins', op: 'and', args: [mem(sp, width, 2), imm(0xfdff)], comment: 'clear IF in the result image' },
    { t: 'ins', op: 'cmp', args: [maskByte(), imm(0)], comment: 'events masked = virtual IF clear' },
    { t: 'branch', op: 'jne', target: skip, toLabel: true },
    ins('or', mem(sp, width, 2), imm(0x200)),
    { t: 'label', name: skip },
    { t: 'raw', text: popText, comment: markerComment('popf') },
  ];
  return { title: title(ctx, " with Xen's event-channel mask as IF"), kind: 'hypercall', strategy: 'hypercall', lines, ...paravirt(ctx, "reads IF from Xen's event-channel mask", [XEN_SYMBOLS.vcpuInfo]) };
}

/**
 * POPF: set evtchn_upcall_mask from the image's IF; when unmasking with an event pending,
 * make Xen deliver it (xen_version hypercall, as Linux does). The kept POPF restores the
 * other flags; its IF change is ignored at CPL > IOPL, which is now intended.
 */
export function xenPopfFix(ctx: FixContext): GeneratedFix | undefined {
  const { bits } = ctx;
  if (bits === 16) return undefined;
  const sp = stackPointer(bits);
  const masked = ctx.label('xenmask');
  const done = ctx.label('xenpopf');
  const [arg0, arg1] = bits === 64 ? ['di', 'si'] : ['b', 'c'];
  const saves = ['a', arg0!, arg1!].map((f) => fullReg(f, bits));
  const lines: Line[] = [
    { t: 'ins', op: 'test', args: [mem(sp, 0, 2), imm(0x200)], comment: 'IF (bit 9) of the saved flags image' },
    { t: 'branch', op: 'jz', target: masked, toLabel: true },
    { t: 'ins', op: 'mov', args: [maskByte(), imm(0)], comment: 'unmask events (virtual STI)' },
    ins('cmp', pendingByte(), imm(0)),
    { t: 'branch', op: 'je', target: done, toLabel: true },
    ...saves.map((r) => ins('push', reg(r))),
    { t: 'ins', op: 'mov', args: [reg(fullReg(arg0!, bits).replace(/^r/, 'e')), imm(0)], comment: 'xen_version(0, NULL) delivers the pending event' },
    ins('mov', reg(fullReg(arg1!, bits).replace(/^r/, 'e')), imm(0)),
    { t: 'branch', op: 'call', target: `${XEN_SYMBOLS.page} + ${XEN_SYMBOLS.xenVersion}*32` },
    ...[...saves].reverse().map((r) => ins('pop', reg(r))),
    { t: 'branch', op: 'jmp', target: done, toLabel: true },
    { t: 'label', name: masked },
    { t: 'ins', op: 'mov', args: [maskByte(), imm(1)], comment: 'mask events (virtual CLI)' },
    { t: 'label', name: done },
    { t: 'raw', text: ctx.site.instructionText, comment: markerComment('popf') },
  ];
  return { title: title(ctx, "'s IF change with Xen's event-channel mask"), kind: 'hypercall', strategy: 'hypercall', lines, ...paravirt(ctx, "sets Xen's event-channel mask from IF", [XEN_SYMBOLS.vcpuInfo, XEN_SYMBOLS.page]) };
}

/**
 * IRET through Xen's iret hypercall (23), which does not return. 64-bit: IRETQ → `push 0` (the
 * flags word: not returning from a syscall) and the jump; the page's stub pushes RCX, R11 and RAX.
 * 32-bit: IRETD → the jump alone; the page's stub pushes EAX, and Xen reads EIP, CS, EFLAGS (and
 * ESP, SS for an outer ring) above it, the frame IRETD would have popped. A 16-bit frame has none.
 */
export function xenIretFix(ctx: FixContext): GeneratedFix | undefined {
  const jump: Line = { t: 'branch', op: 'jmp', target: `${XEN_SYMBOLS.page} + ${XEN_SYMBOLS.iret}*32`, comment: 'HYPERVISOR_iret: does not return' };
  let lines: Line[];
  if (ctx.bits === 64 && (ctx.codeName === 'Iretq' || ctx.ins.mnemonic === 'iretq')) {
    lines = [{ t: 'ins', op: 'push', args: [imm(0)], suffixWidth: 8, comment: 'flags word: not returning from a syscall' }, jump];
  } else if (ctx.bits === 32 && isIretd(ctx)) {
    lines = [jump];
  } else return undefined;
  return { title: title(ctx, " with Xen's iret hypercall"), kind: 'hypercall', strategy: 'hypercall', lines, ...paravirt(ctx, "returns through Xen's iret hypercall", [XEN_SYMBOLS.page]) };
}

/** A 32-bit frame: IRETD, or IRET/IRETL written in 32-bit code without a 16-bit operand size. */
function isIretd(ctx: FixContext): boolean {
  if (ctx.codeName !== undefined) return ctx.codeName === 'Iretd';
  if (ctx.ins.prefixes.some((p) => p === 'o16' || p === 'data16')) return false;
  return /^iret[dl]?$/.test(ctx.ins.mnemonic);
}

/**
 * A 32-bit far RET (no immediate) through Xen's iret hypercall: the frame RETF would pop (EIP, CS,
 * and ESP, SS for an outer ring) becomes an IRETD frame by moving EIP and CS down one slot and
 * putting the flags between CS and the rest, with IF = !evtchn_upcall_mask. The stack ends where
 * RETF leaves it. The kept PUSHF only captures the flags before the sequence changes them.
 */
export function xenFarRetFix(ctx: FixContext): GeneratedFix | undefined {
  if (ctx.bits !== 32 || ctx.ins.operands.length > 0 || !isRetfd(ctx)) return undefined;
  const sp = stackPointer(32);
  const eax = reg('eax');
  const virtualIfClear = ctx.label('xenretf');
  const lines: Line[] = [
    { t: 'ins', op: 'lea', args: [reg(sp), mem(sp, -4)], comment: 'room for the flags between CS and what RETF leaves' },
    { t: 'ins', op: 'pushf', args: [], comment: markerComment('pushf') },
    ins('push', eax),
    { t: 'ins', op: 'mov', args: [eax, mem(sp, 12)], comment: 'EIP down one slot' },
    ins('mov', mem(sp, 8), eax),
    { t: 'ins', op: 'mov', args: [eax, mem(sp, 16)], comment: 'CS down one slot' },
    ins('mov', mem(sp, 12), eax),
    { t: 'ins', op: 'mov', args: [eax, mem(sp, 4)], comment: 'the flags, IF from the event-channel mask' },
    ins('and', eax, imm(0xfffffdff)),
    { t: 'ins', op: 'cmp', args: [maskByte(), imm(0)], comment: 'events masked = virtual IF clear' },
    { t: 'branch', op: 'jne', target: virtualIfClear, toLabel: true },
    ins('or', eax, imm(0x200)),
    { t: 'label', name: virtualIfClear },
    ins('mov', mem(sp, 16), eax),
    ins('pop', eax),
    { t: 'ins', op: 'lea', args: [reg(sp), mem(sp, 4)], comment: 'ESP at the IRETD frame: EIP, CS, EFLAGS' },
    { t: 'branch', op: 'jmp', target: `${XEN_SYMBOLS.page} + ${XEN_SYMBOLS.iret}*32`, comment: 'HYPERVISOR_iret: does not return' },
  ];
  return {
    title: title(ctx, " with Xen's iret hypercall"),
    kind: 'hypercall',
    strategy: 'hypercall',
    lines,
    ...paravirt(ctx, "returns through Xen's iret hypercall", [XEN_SYMBOLS.page, XEN_SYMBOLS.vcpuInfo]),
  };
}

/** A 32-bit far RET without an immediate: RETF, LRET or LRETL in 32-bit code without a 16-bit operand size. */
function isRetfd(ctx: FixContext): boolean {
  if (ctx.codeName !== undefined) return ctx.codeName === 'Retfd';
  if (ctx.ins.prefixes.some((p) => p === 'o16' || p === 'data16')) return false;
  return /^(retf|retfd|lret|lretl)$/.test(ctx.ins.mnemonic);
}
