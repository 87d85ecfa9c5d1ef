'use strict';
// One case per catalogue rule: the behaviour the catalogue states, shown at CPL 3, and a
// control that gives the other answer (the same probe at CPL 0, a DPL-3 selector or gate,
// or the CR4 bit that makes the instruction trap). Each judge returns one line of what was
// seen; a failed expectation is recorded on the Judge.
//
// Assembly is written with the harness's width-neutral registers (zax, zbx, ... and PTR),
// so one text serves 32-bit protected mode and 64-bit long mode unless a case says otherwise.

const { hex, faultText } = require('../lib/observe');

const EFL_CF = 0x1n;
const EFL_ZF = 0x40n;
const EFL_IF = 0x200n;
const EFL_IOPL = 0x3000n;

const flagsText = (v) => `IF=${(v & EFL_IF) !== 0n ? 1 : 0} IOPL=${(v & EFL_IOPL) >> 12n} CF=${Number(v & EFL_CF)}`;
const zf = (v) => ((v & EFL_ZF) !== 0n ? 1 : 0);

// ---------- SGDT / SIDT: memory stores of a descriptor-table register ----------

function tableStoreCase(rule, mnemonic, loadedPtr) {
  const upper = mnemonic.toUpperCase();
  return {
    name: `${rule}-leak`,
    rule,
    claim: `${upper} at CPL 3 stores ring 0's ${rule === 'sgdt' ? 'GDTR' : 'IDTR'} without a fault; CR4.UMIP makes it #GP`,
    ring0: () => `
  ${mnemonic} [${rule}_cpl0_buf]
  movzx eax, word [${rule}_cpl0_buf]
  REPORT "cpl0.limit", zax
  REPORT "cpl0.base", PTR [${rule}_cpl0_buf + 2]
  movzx eax, word [${loadedPtr}]
  REPORT "loaded.limit", zax
  REPORT "loaded.base", PTR [${loadedPtr} + 2]
  ret`,
    ring3: () => `
  MONITOR_OFF
  REPORT "before.base", PTR [${rule}_cpl3_buf + 2]
.probe:
  ${mnemonic} [${rule}_cpl3_buf]
  REPORT "probe.ip", .probe
  movzx eax, word [${rule}_cpl3_buf]
  REPORT "cpl3.limit", zax
  REPORT "cpl3.base", PTR [${rule}_cpl3_buf + 2]
  CR4_SET CR4_UMIP
  ON_FAULT .after_umip
.probe_umip:
  ${mnemonic} [${rule}_cpl3_buf2]
.after_umip:
  REPORT "umip.ip", .probe_umip
  CR4_CLEAR CR4_UMIP
  EXIT`,
    data: () => `
${rule}_cpl0_buf: times 16 db 0xA5
${rule}_cpl3_buf: times 16 db 0xA5
${rule}_cpl3_buf2: times 16 db 0xA5`,
    judge(j) {
      const base = j.r('cpl3.base', 3);
      const limit = j.r('cpl3.limit', 3);
      const loadedBase = j.r('loaded.base', 0);
      const loadedLimit = j.r('loaded.limit', 0);
      j.expect(j.r('before.base', 3) === j.sentinel, 'the buffer did not start as the sentinel');
      j.expectNoFault('probe.ip', `${upper} at CPL 3`);
      j.expect(base === loadedBase && limit === loadedLimit, `CPL 3 read base ${hex(base)} limit ${hex(limit)}, ring 0 loaded base ${hex(loadedBase)} limit ${hex(loadedLimit)}`);
      j.expect(base !== j.sentinel, 'the buffer still holds the sentinel: the store did not happen');
      j.expect(j.r('cpl0.base', 0) === loadedBase, 'the CPL 0 control disagrees with what ring 0 loaded');
      const umip = j.expectFault('umip.ip', 13, 0, `${upper} with CR4.UMIP`);
      j.expectOnlyFaultsAt(['umip.ip']);
      return `${upper} at CPL 3 stored base ${hex(base)} limit ${hex(limit)} (ring 0's own value, buffer was ${hex(j.sentinel)}), no fault; with CR4.UMIP=1: ${faultText(umip)}`;
    },
  };
}

// ---------- SLDT / STR / SMSW: register stores ----------

function registerStoreCase(rule, probe, referenceAsm, what) {
  const upper = probe.split(' ')[0].toUpperCase();
  return {
    name: `${rule}-leak`,
    rule,
    claim: `${upper} at CPL 3 returns ring 0's ${what} without a fault; CR4.UMIP makes it #GP`,
    ring0: () => `
${referenceAsm}
  REPORT "reference", zax
  mov zax, SENT
  ${probe}
  REPORT "cpl0", zax
  ret`,
    ring3: () => `
  MONITOR_OFF
  mov zax, SENT
.probe:
  ${probe}
  REPORT "probe.ip", .probe
  REPORT "cpl3", zax
  ON_FAULT .after_cr
.probe_cr:
  mov zax, cr0
.after_cr:
  REPORT "movcr.ip", .probe_cr
  CR4_SET CR4_UMIP
  ON_FAULT .after_umip
.probe_umip:
  ${probe}
.after_umip:
  REPORT "umip.ip", .probe_umip
  CR4_CLEAR CR4_UMIP
  EXIT`,
    judge(j) {
      const v = j.r('cpl3', 3);
      const reference = j.r('reference', 0);
      const low16 = (x) => x & 0xffffn;
      j.expectNoFault('probe.ip', `${upper} at CPL 3`);
      j.expect(v !== j.sentinel, 'the register still holds the sentinel: the instruction did not run');
      j.expect(low16(v) === low16(reference), `CPL 3 read ${hex(low16(v))}, ring 0's ${what} is ${hex(low16(reference))}`);
      j.expect(low16(j.r('cpl0', 0)) === low16(reference), 'the CPL 0 control disagrees with the reference');
      // MOV from CR0 is privileged: a #GP at CPL 3 whatever the rule
      const movcr = j.expectFault('movcr.ip', 13, 0, 'MOV from CR0 at CPL 3');
      const umip = j.expectFault('umip.ip', 13, 0, `${upper} with CR4.UMIP`);
      j.expectOnlyFaultsAt(['movcr.ip', 'umip.ip']);
      const full = rule === 'smsw' ? ` (whole register ${hex(v)}; CR0 is ${hex(reference)})` : '';
      return `${upper} at CPL 3 returned ${hex(low16(v))} = ring 0's ${what}${full}, no fault; MOV from CR0 at CPL 3: ${faultText(movcr)}; with CR4.UMIP=1: ${faultText(umip)}`;
    },
  };
}

// ---------- PUSHF / POPF / IRET: the interrupt flag and IOPL ----------

const pushfCase = {
  name: 'pushf-real-if',
  rule: 'pushf',
  claim: 'after a CLI that the monitor virtualised, PUSHF at CPL 3 still shows the real IF=1 (and IOPL 0)',
  ring0: () => `
  cli
  pushf
  pop zax
  REPORT "cpl0.after_cli", zax
  sti
  ret`,
  ring3: () => `
  cli
  movzx eax, byte [virtual_if]
  REPORT "virtual_if", zax
  mov zax, SENT
  mov [zsp - WSZ], zax           ; the slot PUSHF will write
.probe:
  pushf
  pop zax
  REPORT "probe.ip", .probe
  REPORT "cpl3.pushf", zax
  EXIT`,
  judge(j) {
    const v = j.r('cpl3.pushf', 3);
    const c = j.r('cpl0.after_cli', 0);
    j.expect(j.monitorEvents('cli').length === 1, 'the CLI at CPL 3 did not trap to the monitor');
    j.expect(j.r('virtual_if', 3) === 0n, 'the monitor did not record virtual IF=0');
    j.expect(v !== j.sentinel, 'PUSHF did not store');
    j.expect((v & EFL_IF) !== 0n && (v & EFL_IOPL) === 0n, `PUSHF at CPL 3 read ${flagsText(v)}`);
    j.expect((c & EFL_IF) === 0n, `control: PUSHF after CLI at CPL 0 read ${flagsText(c)}`);
    j.expectOnlyFaultsAt([]);
    return `CLI at CPL 3 trapped (monitor set virtual IF=0), then PUSHF at CPL 3 read ${hex(v)} (${flagsText(v)}): the real flags, not the virtual IF; control at CPL 0: CLI then PUSHF read ${hex(c)} (${flagsText(c)})`;
  },
};

const popfCase = {
  name: 'popf-silent',
  rule: 'popf',
  claim: 'POPF at CPL 3 silently ignores IF and IOPL while still loading the other flags',
  ring0: () => `
  pushf
  pop zbx
  mov zax, zbx
  and zax, ~EFL_IF
  or zax, EFL_IOPL | EFL_CF
  push zax
  popf
  pushf
  pop zcx
  push zbx
  popf
  REPORT "cpl0.after", zcx
  ret`,
  ring3: () => `
  MONITOR_OFF
  pushf
  pop zax
  and zax, ~EFL_IF
  or zax, EFL_IOPL | EFL_CF
  REPORT "requested", zax
  push zax
.probe:
  popf
  pushf
  pop zcx
  REPORT "probe.ip", .probe
  REPORT "cpl3.after", zcx
  ON_FAULT .after_cli
.cli:
  cli
.after_cli:
  REPORT "cli.ip", .cli
  EXIT`,
  judge(j) {
    const req = j.r('requested', 3);
    const after = j.r('cpl3.after', 3);
    const c = j.r('cpl0.after', 0);
    j.expect((req & EFL_IF) === 0n && (req & EFL_IOPL) === EFL_IOPL, 'the requested image does not ask for IF=0 IOPL=3');
    j.expectNoFault('probe.ip', 'POPF at CPL 3');
    j.expect((after & EFL_CF) !== 0n, 'CF did not change: POPF did not run');
    j.expect((after & EFL_IF) !== 0n && (after & EFL_IOPL) === 0n, `after POPF at CPL 3: ${flagsText(after)}`);
    j.expect((c & EFL_IF) === 0n && (c & EFL_IOPL) === EFL_IOPL, `control: after POPF at CPL 0: ${flagsText(c)}`);
    const cli = j.expectFault('cli.ip', 13, 0, 'CLI at CPL 3');
    j.expectOnlyFaultsAt(['cli.ip']);
    return `POPF at CPL 3 of ${hex(req)} (${flagsText(req)}) gave ${hex(after)} (${flagsText(after)}), no fault: CF loaded, IF and IOPL silently kept; control at CPL 0 gave ${flagsText(c)}; CLI at CPL 3: ${faultText(cli)}`;
  },
};

const iretCase = {
  name: 'iret-silent',
  rule: 'iret',
  claim: 'IRET at CPL 3 silently ignores IF and IOPL in the popped flags; an IRET to ring 0 is #GP',
  ring0: (bits) => `
  pushf
  pop zbx
  mov zax, zbx
  and zax, ~EFL_IF
  or zax, EFL_IOPL | EFL_CF
${iretFrame(bits, 'SEL_DATA0', 'SEL_CODE0', '.back0')}
.back0:
  pushf
  pop zcx
  push zbx
  popf
  REPORT "cpl0.after", zcx
  ret`,
  ring3: (bits) => `
  MONITOR_OFF
  pushf
  pop zax
  and zax, ~EFL_IF
  or zax, EFL_IOPL | EFL_CF
  REPORT "requested", zax
${iretFrame(bits, 'SEL_DATA3', 'SEL_CODE3', '.back3', '.probe')}
.back3:
  pushf
  pop zcx
  REPORT "probe.ip", .probe
  REPORT "cpl3.after", zcx
  ; IRET to a ring-0 code selector from CPL 3
  pushf
  pop zax
  ON_FAULT .after_up
${iretFrame(bits, 'SEL_DATA0', 'SEL_CODE0', '.never', '.up')}
.never:
  hlt
.after_up:
  REPORT "up.ip", .up
  EXIT`,
  judge(j) {
    const req = j.r('requested', 3);
    const after = j.r('cpl3.after', 3);
    const c = j.r('cpl0.after', 0);
    j.expectNoFault('probe.ip', 'IRET at CPL 3');
    j.expect((after & EFL_CF) !== 0n, 'CF did not change: IRET did not load the flags');
    j.expect((after & EFL_IF) !== 0n && (after & EFL_IOPL) === 0n, `after IRET at CPL 3: ${flagsText(after)}`);
    j.expect((c & EFL_IF) === 0n && (c & EFL_IOPL) === EFL_IOPL, `control: after IRET at CPL 0: ${flagsText(c)}`);
    const up = j.expectFault('up.ip', 13, 0x08, 'IRET to ring 0 code from CPL 3');
    j.expectOnlyFaultsAt(['up.ip']);
    return `IRET at CPL 3 with flags ${hex(req)} (${flagsText(req)}) continued with ${flagsText(after)}, no fault; control at CPL 0 gave ${flagsText(c)}; IRET to selector 0x8 from CPL 3: ${faultText(up)}`;
  },
};

/** Builds an IRET frame for flags in zax returning to `label` with code selector `cs` (stack selector `ss` in long mode). */
function iretFrame(bits, ss, cs, label, probeLabel) {
  const probe = probeLabel ? `${probeLabel}:\n` : '';
  if (bits === 64) {
    return `  mov zdx, rsp
  push ${ss}
  push zdx
  push zax
  push ${cs}
  push ${label}
${probe}  iretq`;
  }
  return `  push zax
  push ${cs}
  push ${label}
${probe}  iretd`;
}

// ---------- LAR / LSL / VERR / VERW: silent failures ----------

function checkCase(rule, probe, privileged, user, what) {
  const upper = probe.toUpperCase();
  const hasDest = rule === 'lar' || rule === 'lsl';
  // ZF is primed to the opposite of the expected answer, so a skipped instruction would show
  const run = (tag, sel, expectZf) => `
  mov ebx, ${sel}
  mov zax, SENT
  ${expectZf ? 'cmp esp, 0                     ; ZF=0' : 'cmp eax, eax                   ; ZF=1'}
  ${hasDest ? `${probe} zax, bx` : `${probe} bx`}
  pushf
  pop zcx
  REPORT "${tag}.flags", zcx
  REPORT "${tag}.value", zax`;
  return {
    name: `${rule}-silent-fail`,
    rule,
    claim: `${upper} at CPL 3 on a DPL-0 ${what} selector clears ZF without a fault; a DPL-3 selector sets ZF`,
    ring0: () => `${run('cpl0', privileged, true)}
  ret`,
    ring3: () => `
  MONITOR_OFF${run('cpl3.dpl0', privileged, false)}${run('cpl3.dpl3', user, true)}
  EXIT`,
    judge(j) {
      const f0 = j.r('cpl3.dpl0.flags', 3);
      const v0 = j.r('cpl3.dpl0.value', 3);
      const f3 = j.r('cpl3.dpl3.flags', 3);
      const v3 = j.r('cpl3.dpl3.value', 3);
      const c = j.r('cpl0.flags', 0);
      const cv = j.r('cpl0.value', 0);
      j.expect(zf(f0) === 0, `${upper} on a DPL-0 selector at CPL 3 set ZF`);
      j.expect(zf(f3) === 1, `control: ${upper} on a DPL-3 selector at CPL 3 cleared ZF`);
      j.expect(zf(c) === 1, `control: ${upper} on the DPL-0 selector at CPL 0 cleared ZF`);
      if (hasDest) {
        j.expect(v0 === j.sentinel, 'the destination changed although the check failed');
        j.expect(v3 !== j.sentinel && cv !== j.sentinel, 'the successful controls did not write the destination');
      }
      j.expectOnlyFaultsAt([]);
      const dest = hasDest ? `, destination left at ${hex(v0)}` : '';
      const good = hasDest ? ` (${hex(v3)})` : '';
      const ctl = hasDest ? ` (${hex(cv)})` : '';
      return `${upper} at CPL 3 on DPL-0 selector ${privileged}: ZF=0${dest}, no fault; DPL-3 selector ${user}: ZF=1${good}; same DPL-0 selector at CPL 0: ZF=1${ctl}`;
    },
  };
}

// ---------- segment registers ----------

const pushSregCase = {
  name: 'push-sreg-cpl',
  rule: 'push-sreg',
  claim: 'PUSH CS / PUSH SS at CPL 3 push selectors whose low bits are the real CPL (3); PUSH CS is #UD in 64-bit mode',
  ring0: (bits) => bits === 64 ? '  ret' : `
  push cs
  pop zax
  REPORT "cpl0.cs", zax
  push ss
  pop zax
  REPORT "cpl0.ss", zax
  ret`,
  ring3: (bits) => bits === 64 ? `
  MONITOR_OFF
  ON_FAULT .after
.probe:
  db 0x0E                        ; PUSH CS has no 64-bit encoding
.after:
  REPORT "probe.ip", .probe
  EXIT` : `
  MONITOR_OFF
  push PTR SENT
  pop zax
.probe:
  push cs
  pop zax
  REPORT "probe.ip", .probe
  REPORT "cpl3.cs", zax
  push ss
  pop zax
  REPORT "cpl3.ss", zax
  EXIT`,
  judge(j) {
    if (j.bits === 64) {
      const f = j.expectFault('probe.ip', 6, 0, 'PUSH CS in 64-bit mode');
      j.expectOnlyFaultsAt(['probe.ip']);
      return `in 64-bit mode the PUSH CS opcode (0x0E) at CPL 3 raised ${faultText(f)}`;
    }
    const cs = j.r('cpl3.cs', 3);
    const ss = j.r('cpl3.ss', 3);
    const cs0 = j.r('cpl0.cs', 0);
    const ss0 = j.r('cpl0.ss', 0);
    j.expect((cs & 3n) === 3n && (ss & 3n) === 3n, `PUSH CS/SS at CPL 3 gave ${hex(cs)}/${hex(ss)}`);
    j.expect((cs0 & 3n) === 0n && (ss0 & 3n) === 0n, `control at CPL 0 gave ${hex(cs0)}/${hex(ss0)}`);
    j.expectOnlyFaultsAt([]);
    const upper = slotUpperHalf(j, cs);
    return `PUSH CS / PUSH SS at CPL 3 pushed ${hex(cs & 0xffffn)} / ${hex(ss & 0xffffn)} (low bits 3 = the real CPL), no fault; at CPL 0 they pushed ${hex(cs0 & 0xffffn)} / ${hex(ss0 & 0xffffn)}; ${upper}`;
  },
  coversIn: [32],
};

/**
 * PUSH of a segment register with a 32-bit operand size: the SDM (PUSH, Vol. 2B) allows a
 * zero-extended push or a 16-bit move that leaves the slot's upper half as it was (what
 * recent Intel cores do). The slot was primed with the sentinel, so either shows.
 */
function slotUpperHalf(j, pushed) {
  const upper = pushed >> 16n;
  const kept = j.sentinel >> 16n & 0xffffn;
  j.expect(upper === 0n || upper === kept, `PUSH CS left ${hex(upper)} in the upper half of its slot: neither zero-extended nor the earlier ${hex(kept)}`);
  const text = upper === 0n
    ? 'the 4-byte slot was zero-extended (one of the two behaviours the SDM allows)'
    : `only the 2-byte selector was written, the slot's upper half kept ${hex(kept)} (the other behaviour the SDM allows, the one it names for recent Intel cores)`;
  j.behaviour('push-sreg-slot', upper === 0n ? 'zero-extend' : '16-bit move', text);
  return text;
}

const popSregCase = {
  name: 'pop-sreg-privilege',
  rule: 'pop-sreg',
  claim: 'POP FS at CPL 3 of a DPL-0 data selector is #GP(selector): the check uses the real CPL',
  ring0: () => `
  push SEL_DATA0
  pop fs
  mov ax, fs
  movzx eax, ax
  REPORT "cpl0.fs", zax
  ret`,
  ring3: () => `
  MONITOR_OFF
  push SEL_DATA0
  ON_FAULT .after
.probe:
  pop fs
.after:
  lea zsp, [zsp + WSZ]
  REPORT "probe.ip", .probe
  push SEL_DATA3
.control:
  pop fs
  mov ax, fs
  movzx eax, ax
  REPORT "control.ip", .control
  REPORT "cpl3.fs", zax
  EXIT`,
  judge(j) {
    const f = j.expectFault('probe.ip', 13, 0x10, 'POP FS of selector 0x10 at CPL 3');
    j.expectNoFault('control.ip', 'POP FS of DPL-3 selector 0x23');
    const fs3 = j.r('cpl3.fs', 3);
    const fs0 = j.r('cpl0.fs', 0);
    j.expect(fs3 === 0x23n, `control: FS after POP of 0x23 is ${hex(fs3)}`);
    j.expect(fs0 === 0x10n, `control: at CPL 0 FS after POP of 0x10 is ${hex(fs0)}`);
    j.expectOnlyFaultsAt(['probe.ip']);
    return `POP FS of DPL-0 selector 0x10 at CPL 3: ${faultText(f)}; DPL-3 selector 0x23 loaded fine; the same POP of 0x10 at CPL 0 loaded FS=${hex(fs0)}`;
  },
};

const movSregCase = {
  name: 'mov-sreg-cpl',
  rule: 'mov-sreg',
  claim: 'MOV from CS/SS at CPL 3 shows the real CPL; MOV FS of a DPL-0 selector is #GP(selector)',
  ring0: () => `
  mov ax, cs
  movzx eax, ax
  REPORT "cpl0.cs", zax
  mov ax, ss
  movzx eax, ax
  REPORT "cpl0.ss", zax
  mov ax, SEL_DATA0
  mov fs, ax
  ret`,
  ring3: () => `
  MONITOR_OFF
  mov zax, SENT
.probe:
  mov ax, cs
  REPORT "probe.ip", .probe
  REPORT "cpl3.cs", zax
  mov zax, SENT
  mov ax, ss
  REPORT "cpl3.ss", zax
  mov ax, SEL_DATA0
  ON_FAULT .after
.load:
  mov fs, ax
.after:
  REPORT "load.ip", .load
  mov ax, SEL_DATA3
.control:
  mov fs, ax
  REPORT "control.ip", .control
  EXIT`,
  judge(j) {
    const cs = j.r('cpl3.cs', 3) & 0xffffn;
    const ss = j.r('cpl3.ss', 3) & 0xffffn;
    const cs0 = j.r('cpl0.cs', 0);
    const ss0 = j.r('cpl0.ss', 0);
    j.expect((cs & 3n) === 3n && (ss & 3n) === 3n, `MOV from CS/SS at CPL 3 gave ${hex(cs)}/${hex(ss)}`);
    j.expect((cs0 & 3n) === 0n && (ss0 & 3n) === 0n, `control at CPL 0 gave ${hex(cs0)}/${hex(ss0)}`);
    const f = j.expectFault('load.ip', 13, 0x10, 'MOV FS,0x10 at CPL 3');
    j.expectNoFault('control.ip', 'MOV FS,0x23 at CPL 3');
    j.expectOnlyFaultsAt(['load.ip']);
    return `MOV AX,CS / MOV AX,SS at CPL 3 gave ${hex(cs)} / ${hex(ss)} (CPL 3 in the low bits; CPL 0 gave ${hex(cs0)} / ${hex(ss0)}); MOV FS of DPL-0 selector 0x10: ${faultText(f)}, of 0x23: no fault`;
  },
};

// ---------- far transfers and INT n ----------

const farCallCase = {
  name: 'far-call-privilege',
  rule: 'far-call',
  claim: 'a far CALL from CPL 3 to ring-0 code is #GP(selector); to ring-3 code it works',
  ring0: () => `
  call far dword [ptr_code0]
  ret`,
  ring3: () => `
  MONITOR_OFF
  ON_FAULT .after
.probe:
  call far dword [ptr_code0]
.after:
  REPORT "probe.ip", .probe
.control:
  call far dword [ptr_code3]
  REPORT "control.ip", .control
  EXIT
.target:
  mov ax, cs
  movzx eax, ax
  REPORT "reached.cs", zax
  retf`,
  data: (bits, unit) => `
ptr_code0: dd ${unit.r3}.target
           dw SEL_CODE0
ptr_code3: dd ${unit.r3}.target
           dw SEL_CODE3`,
  judge(j) {
    const f = j.expectFault('probe.ip', 13, 0x08, 'far CALL to 0x08 from CPL 3');
    j.expectNoFault('control.ip', 'far CALL to 0x1b from CPL 3');
    const reached = j.events.filter((e) => e.type === 'R' && e.name === 'reached.cs').map((e) => e.value);
    j.expect(reached.length === 2 && reached.includes(0x08n) && reached.includes(0x1bn), `the target was reached with CS ${reached.map(hex).join(', ')}; expected 0x8 (control at CPL 0) and 0x1b`);
    j.expectOnlyFaultsAt(['probe.ip']);
    return `far CALL to ring-0 selector 0x8 from CPL 3: ${faultText(f)}; to ring-3 selector 0x1b it ran (CS=0x1b), and at CPL 0 the call to 0x8 ran (CS=0x8)`;
  },
};

const farJmpCase = {
  name: 'far-jmp-privilege',
  rule: 'far-jmp',
  claim: 'a far JMP from CPL 3 to ring-0 code is #GP(selector); to ring-3 code it works',
  ring0: () => `
  jmp far dword [ptr_land0]
.land0:
  mov ax, cs
  movzx eax, ax
  REPORT "cpl0.cs", zax
  ret`,
  ring3: () => `
  MONITOR_OFF
  ON_FAULT .after
.probe:
  jmp far dword [ptr_code0j]
.after:
  REPORT "probe.ip", .probe
.control:
  jmp far dword [ptr_land3]
  hlt
.land3:
  mov ax, cs
  movzx eax, ax
  REPORT "control.ip", .control
  REPORT "cpl3.cs", zax
  EXIT`,
  data: (bits, unit) => `
ptr_land0:  dd ${unit.r0}.land0
            dw SEL_CODE0
ptr_code0j: dd ${unit.r3}.land3
            dw SEL_CODE0
ptr_land3:  dd ${unit.r3}.land3
            dw SEL_CODE3`,
  judge(j) {
    const f = j.expectFault('probe.ip', 13, 0x08, 'far JMP to 0x08 from CPL 3');
    j.expectNoFault('control.ip', 'far JMP to 0x1b');
    j.expect(j.r('cpl3.cs', 3) === 0x1bn, 'control: far JMP to 0x1b did not land in ring-3 code');
    j.expect(j.r('cpl0.cs', 0) === 0x08n, 'control: far JMP to 0x8 at CPL 0 did not land');
    j.expectOnlyFaultsAt(['probe.ip']);
    return `far JMP to ring-0 selector 0x8 from CPL 3: ${faultText(f)}; to 0x1b it landed with CS=0x1b; at CPL 0 the jump to 0x8 landed with CS=0x8`;
  },
};

const farRetCase = {
  name: 'far-ret-privilege',
  rule: 'far-ret',
  claim: 'a far RET at CPL 3 to ring-0 code is #GP(selector); to ring-3 code it works',
  ring0: (bits) => `
  push SEL_CODE0
  push .back0
  ${bits === 64 ? 'o64 retf' : 'retf'}
.back0:
  mov ax, cs
  movzx eax, ax
  REPORT "cpl0.cs", zax
  ret`,
  ring3: (bits) => `
  MONITOR_OFF
  push SEL_CODE0
  push .never
  ON_FAULT .after
.probe:
  ${bits === 64 ? 'o64 retf' : 'retf'}
.never:
  hlt
.after:
  lea zsp, [zsp + 2*WSZ]
  REPORT "probe.ip", .probe
  push SEL_CODE3
  push .back3
.control:
  ${bits === 64 ? 'o64 retf' : 'retf'}
.back3:
  mov ax, cs
  movzx eax, ax
  REPORT "control.ip", .control
  REPORT "cpl3.cs", zax
  EXIT`,
  judge(j) {
    const f = j.expectFault('probe.ip', 13, 0x08, 'far RET to 0x08 from CPL 3');
    j.expectNoFault('control.ip', 'far RET to 0x1b');
    j.expect(j.r('cpl3.cs', 3) === 0x1bn, 'control: far RET to 0x1b did not land');
    j.expect(j.r('cpl0.cs', 0) === 0x08n, 'control: far RET to 0x8 at CPL 0 did not land');
    j.expectOnlyFaultsAt(['probe.ip']);
    return `far RET to ring-0 selector 0x8 at CPL 3: ${faultText(f)}; to 0x1b it returned (CS=0x1b); at CPL 0 the return to 0x8 worked`;
  },
};

const intCase = {
  name: 'int-gate-dpl',
  rule: 'int',
  claim: 'INT n at CPL 3 through a DPL-0 gate is #GP(n*8+2); through a DPL-3 gate it enters ring 0',
  ring0: () => `
  int 0x40
  ret`,
  ring3: () => `
  MONITOR_OFF
  ON_FAULT .after
.probe:
  int 0x40
.after:
  REPORT "probe.ip", .probe
.control:
  int 0x41
  REPORT "control.ip", .control
  EXIT`,
  judge(j) {
    // The error code names the gate: (vector << 3) | 2 (IDT bit). QEMU 7.2 TCG reports
    // (vector << 4) | 2 in long mode, its 16-byte gate offset; both name vector 0x40.
    const f = j.expectFault('probe.ip', 13, undefined, 'INT 0x40 (DPL-0 gate) at CPL 3');
    const accepted = j.bits === 64 && j.model === 'qemu-tcg' ? [0x202n, 0x402n] : [0x202n];
    j.expect(f !== undefined && accepted.includes(f.err), `INT 0x40 at CPL 3: error code ${f ? hex(f.err) : '-'} does not name gate 0x40 with the IDT bit`);
    j.expectNoFault('control.ip', 'INT 0x41 (DPL-3 gate) at CPL 3');
    j.expect(j.gates(0x41, 3).length === 1, 'control: the DPL-3 gate 0x41 was not entered from CPL 3');
    j.expect(j.gates(0x40, 0).length === 1, 'control: gate 0x40 was not entered from CPL 0');
    j.expect(j.gates(0x40, 3).length === 0, 'gate 0x40 was entered from CPL 3');
    j.expectOnlyFaultsAt(['probe.ip']);
    const errNote = f && f.err === 0x402n ? ' (QEMU TCG long-mode encoding vector*16+2; the SDM gives 0x202)' : ' (0x202 = vector 0x40 with the IDT bit)';
    if (f) j.behaviour('gp-error-code', hex(f.err), `#GP(${hex(f.err)})${f.err === 0x402n ? ', vector*16+2' : ', vector*8+2 as the SDM describes'}`);
    return `INT 0x40 through a DPL-0 gate at CPL 3: ${faultText(f)}${errNote}; INT 0x41 through a DPL-3 gate entered ring 0; INT 0x40 at CPL 0 entered its handler`;
  },
};

// ---------- extended rules: what the instruction reveals ----------

const cpuidCase = {
  name: 'cpuid-reveals',
  rule: 'cpuid',
  claim: 'CPUID at CPL 3 runs without a fault and returns what ring 0 sees (vendor, hypervisor bit, leaf 0x40000000)',
  ring0: () => cpuidProbe('cpl0') + '\n  ret',
  ring3: () => `
  MONITOR_OFF
${cpuidProbe('cpl3', '.probe')}
  REPORT "probe.ip", .probe
  EXIT`,
  judge(j) {
    const names = ['l0.ebx', 'l0.edx', 'l0.ecx', 'l1.ecx', 'hv.eax', 'hv.ebx', 'hv.ecx', 'hv.edx'];
    for (const n of names) {
      const a = j.r(`cpl3.${n}`, 3);
      const b = j.r(`cpl0.${n}`, 0);
      j.expect(a === b, `CPUID ${n}: CPL 3 ${hex(a)} differs from CPL 0 ${hex(b)}`);
      j.expect(a !== j.sentinel, `CPUID ${n} at CPL 3 left the sentinel`);
    }
    j.expectNoFault('probe.ip', 'CPUID at CPL 3');
    j.expectOnlyFaultsAt([]);
    const vendor = ['l0.ebx', 'l0.edx', 'l0.ecx'].map((n) => le32(j.r(`cpl3.${n}`, 3))).join('');
    const hvBit = (j.r('cpl3.l1.ecx', 3) >> 31n) & 1n;
    const hvSig = ['hv.ebx', 'hv.ecx', 'hv.edx'].map((n) => le32(j.r(`cpl3.${n}`, 3))).join('');
    return `CPUID at CPL 3 ran without a fault (registers preloaded with ${hex(j.sentinel)}) and matched CPL 0: vendor "${vendor}", leaf 1 ECX[31] (hypervisor bit)=${hvBit}, leaf 0x40000000 EAX=${hex(j.r('cpl3.hv.eax', 3))} signature ${JSON.stringify(hvSig)}; no CPUID-faulting control exists on this CPU model`;
  },
};

function le32(v) {
  let s = '';
  for (let i = 0n; i < 4n; i++) {
    const c = Number((v >> (8n * i)) & 0xffn);
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.';
  }
  return s;
}

function cpuidProbe(tag, label) {
  const pre = `  mov zbx, SENT
  mov zcx, SENT
  mov zdx, SENT`;
  return `${pre}
  mov eax, 0
  xor ecx, ecx
${label ? label + ':\n' : ''}  cpuid
  REPORT "${tag}.l0.ebx", zbx
  REPORT "${tag}.l0.edx", zdx
  REPORT "${tag}.l0.ecx", zcx
${pre}
  mov eax, 1
  xor ecx, ecx
  cpuid
  REPORT "${tag}.l1.ecx", zcx
${pre}
  mov eax, 0x40000000
  xor ecx, ecx
  cpuid
  REPORT "${tag}.hv.eax", zax
  REPORT "${tag}.hv.ebx", zbx
  REPORT "${tag}.hv.ecx", zcx
  REPORT "${tag}.hv.edx", zdx`;
}

const rdtscCase = {
  name: 'rdtsc-reveals',
  rule: 'rdtsc',
  claim: 'RDTSC at CPL 3 reads the real time-stamp counter without a fault; CR4.TSD makes it #GP',
  ring0: () => `
  mov zax, cr4
  or zax, CR4_TSD
  mov cr4, zax
  mov zax, SENT
  mov zdx, SENT
  rdtsc
  REPORT "cpl0.tsd.eax", zax
  mov zax, cr4
  and zax, ~CR4_TSD
  mov cr4, zax
  ret`,
  ring3: () => `
  MONITOR_OFF
  mov zax, SENT
  mov zdx, SENT
.probe:
  rdtsc
  REPORT "first.eax", zax
  REPORT "first.edx", zdx
  rdtsc
  REPORT "second.eax", zax
  REPORT "second.edx", zdx
  REPORT "probe.ip", .probe
  CR4_SET CR4_TSD
  ON_FAULT .after
.tsd:
  rdtsc
.after:
  REPORT "tsd.ip", .tsd
  CR4_CLEAR CR4_TSD
  EXIT`,
  judge(j) {
    const t1 = (j.r('first.edx', 3) << 32n) | j.r('first.eax', 3);
    const t2 = (j.r('second.edx', 3) << 32n) | j.r('second.eax', 3);
    j.expectNoFault('probe.ip', 'RDTSC at CPL 3');
    j.expect(j.r('first.eax', 3) !== j.sentinel && j.r('first.edx', 3) !== j.sentinel, 'RDTSC left the sentinel');
    j.expect(t2 > t1, `the counter did not advance (${hex(t1)} then ${hex(t2)})`);
    j.expect(j.r('cpl0.tsd.eax', 0) !== j.sentinel, 'control: RDTSC at CPL 0 with CR4.TSD did not run');
    const f = j.expectFault('tsd.ip', 13, 0, 'RDTSC with CR4.TSD at CPL 3');
    j.expectOnlyFaultsAt(['tsd.ip']);
    // the counter values change from run to run; the docs quote only what is stable
    return `RDTSC at CPL 3 read the time-stamp counter twice (registers preloaded with ${hex(j.sentinel)}; the second read was larger), no fault; with CR4.TSD=1: ${faultText(f)} at CPL 3 while CPL 0 still reads it`;
  },
};

const rdtscpCase = {
  name: 'rdtscp-reveals',
  rule: 'rdtscp',
  claim: 'RDTSCP at CPL 3 reads the counter and ring 0\'s IA32_TSC_AUX without a fault; CR4.TSD makes it #GP',
  ring0: () => `
  mov ecx, 0xC0000103
  mov eax, TSC_AUX_VALUE
  xor edx, edx
  wrmsr
  rdmsr
  REPORT "tsc_aux", zax
  ret`,
  ring3: () => `
  MONITOR_OFF
  mov zax, SENT
  mov zcx, SENT
  mov zdx, SENT
.probe:
  rdtscp
  REPORT "probe.ip", .probe
  REPORT "cpl3.eax", zax
  REPORT "cpl3.ecx", zcx
  CR4_SET CR4_TSD
  ON_FAULT .after
.tsd:
  rdtscp
.after:
  REPORT "tsd.ip", .tsd
  CR4_CLEAR CR4_TSD
  EXIT`,
  judge(j) {
    const aux = j.r('tsc_aux', 0);
    const ecx = j.r('cpl3.ecx', 3);
    j.expectNoFault('probe.ip', 'RDTSCP at CPL 3');
    j.expect(j.r('cpl3.eax', 3) !== j.sentinel, 'RDTSCP left the sentinel in EAX');
    j.expect(ecx === aux, `RDTSCP ECX ${hex(ecx)} is not ring 0's TSC_AUX ${hex(aux)}`);
    const f = j.expectFault('tsd.ip', 13, 0, 'RDTSCP with CR4.TSD at CPL 3');
    j.expectOnlyFaultsAt(['tsd.ip']);
    return `RDTSCP at CPL 3 returned ECX=${hex(ecx)} = the IA32_TSC_AUX ring 0 wrote, no fault; with CR4.TSD=1: ${faultText(f)}`;
  },
};

const rdpmcCase = {
  name: 'rdpmc-pce',
  rule: 'rdpmc',
  claim: 'RDPMC at CPL 3 is #GP with CR4.PCE clear and gets past the privilege check with CR4.PCE set',
  ring0: () => '  ret',
  ring3: () => `
  MONITOR_OFF
  xor ecx, ecx
  ON_FAULT .after
.probe:
  rdpmc
.after:
  REPORT "probe.ip", .probe
  CR4_SET CR4_PCE
  xor ecx, ecx
  mov zax, SENT
  ON_FAULT .after_pce
.pce:
  rdpmc
  REPORT "pce.eax", zax
.after_pce:
  REPORT "pce.ip", .pce
  CR4_CLEAR CR4_PCE
  EXIT`,
  judge(j) {
    const f = j.expectFault('probe.ip', 13, 0, 'RDPMC with CR4.PCE=0 at CPL 3');
    const g = j.faultAt('pce.ip');
    j.expect(!g || g.vec !== 13, 'RDPMC with CR4.PCE=1 at CPL 3 still raised #GP');
    j.expectOnlyFaultsAt(['probe.ip', 'pce.ip']);
    const withPce = g ? `${faultText(g)} (this emulator does not implement the counters, so it fails after the privilege check)` : `read EAX=${hex(j.r('pce.eax', 3))}, no fault`;
    j.behaviour('with-pce', g ? faultText(g) : 'read', `with CR4.PCE=1 RDPMC ${g ? `raised ${faultText(g)} after the privilege check (no counters emulated; the SDM has the read succeed)` : 'read counter 0 without a fault, as the SDM describes'}`);
    return `RDPMC at CPL 3 with CR4.PCE=0: ${faultText(f)}; with CR4.PCE=1: ${withPce}`;
  },
};

const rdpidCase = {
  name: 'rdpid-reveals',
  rule: 'rdpid',
  claim: 'RDPID at CPL 3 returns ring 0\'s IA32_TSC_AUX without a fault',
  ring0: () => `
  mov ecx, 0xC0000103
  mov eax, TSC_AUX_VALUE
  xor edx, edx
  wrmsr
  mov eax, 7
  xor ecx, ecx
  cpuid
  shr ecx, 22
  and ecx, 1
  REPORT "cpuid.rdpid", zcx
  ret`,
  ring3: () => `
  MONITOR_OFF
  mov zax, SENT
  ON_FAULT .after
.probe:
  rdpid zax
  REPORT "cpl3.value", zax
.after:
  REPORT "probe.ip", .probe
  mov zcx, SENT
  rdtscp
  REPORT "rdtscp.ecx", zcx
  EXIT`,
  judge(j) {
    const supported = j.r('cpuid.rdpid', 0) === 1n;
    const aux = j.r('rdtscp.ecx', 3);
    if (!supported) {
      // Not demonstrable here: report what the emulator does and leave the rule uncovered.
      const f = j.expectFault('probe.ip', 6, 0, 'RDPID on a CPU model without RDPID');
      j.expectOnlyFaultsAt(['probe.ip']);
      j.notDemonstrated = 'this CPU model lacks RDPID';
      j.behaviour('rdpid', 'absent', `the CPU model lacks RDPID (CPUID.7.0:ECX[22]=0): ${faultText(f)}`);
      return `this CPU model lacks RDPID (CPUID.7.0:ECX[22]=0): RDPID at CPL 3 raised ${faultText(f)}; the same IA32_TSC_AUX (${hex(aux)}) is readable at CPL 3 through RDTSCP`;
    }
    const v = j.r('cpl3.value', 3);
    j.expectNoFault('probe.ip', 'RDPID at CPL 3');
    j.expect(v === aux && v !== j.sentinel, `RDPID read ${hex(v)}, TSC_AUX is ${hex(aux)}`);
    j.expectOnlyFaultsAt([]);
    j.behaviour('rdpid', 'present', `RDPID at CPL 3 returned ring 0's IA32_TSC_AUX (${hex(v)})`);
    return `RDPID at CPL 3 returned ${hex(v)} = ring 0's IA32_TSC_AUX, no fault`;
  },
};

const xgetbvCase = {
  name: 'xgetbv-reveals',
  rule: 'xgetbv',
  claim: 'XGETBV at CPL 3 returns XCR0 as ring 0 set it without a fault; with CR4.OSXSAVE clear it is #UD',
  ring0: () => `
  mov zax, cr4
  or zax, CR4_OSXSAVE
  mov cr4, zax
  xor ecx, ecx
  mov eax, 3
  xor edx, edx
  xsetbv
  xor ecx, ecx
  xgetbv
  REPORT "cpl0.xcr0", zax
  mov zax, cr4
  and zax, ~CR4_OSXSAVE          ; leave CR4 as found (CPUID.1:ECX.OSXSAVE mirrors it)
  mov cr4, zax
  ret`,
  ring3: () => `
  MONITOR_OFF
  CR4_SET CR4_OSXSAVE
  mov zax, SENT
  xor ecx, ecx
.probe:
  xgetbv
  REPORT "probe.ip", .probe
  REPORT "cpl3.xcr0", zax
  CR4_CLEAR CR4_OSXSAVE
  xor ecx, ecx
  ON_FAULT .after
.off:
  xgetbv
.after:
  REPORT "off.ip", .off
  EXIT`,
  judge(j) {
    const v = j.r('cpl3.xcr0', 3);
    const c = j.r('cpl0.xcr0', 0);
    j.expectNoFault('probe.ip', 'XGETBV at CPL 3');
    j.expect(v === c && v === 3n, `XGETBV at CPL 3 read ${hex(v)}, ring 0 set and read ${hex(c)}`);
    const f = j.expectFault('off.ip', 6, 0, 'XGETBV with CR4.OSXSAVE=0');
    j.expectOnlyFaultsAt(['off.ip']);
    return `XGETBV at CPL 3 read XCR0=${hex(v)} (what ring 0 wrote with XSETBV), no fault; with CR4.OSXSAVE=0: ${faultText(f)}`;
  },
};

const RULE_CASES = [
  tableStoreCase('sgdt', 'sgdt', 'gdt_ptr'),
  tableStoreCase('sidt', 'sidt', 'idt_ptr'),
  registerStoreCase('sldt', 'sldt ax', '  mov eax, SEL_LDT', 'LDTR (the selector it loaded with LLDT)'),
  registerStoreCase('str', 'str ax', '  mov eax, SEL_TSS', 'TR (the selector it loaded with LTR)'),
  registerStoreCase('smsw', 'smsw zax', '  mov zax, cr0', 'CR0'),
  pushfCase,
  popfCase,
  checkCase('lar', 'lar', '0x08', '0x1b', 'code'),
  checkCase('lsl', 'lsl', '0x10', '0x23', 'data'),
  checkCase('verr', 'verr', '0x10', '0x23', 'data'),
  checkCase('verw', 'verw', '0x10', '0x23', 'data'),
  pushSregCase,
  popSregCase,
  movSregCase,
  farCallCase,
  farJmpCase,
  farRetCase,
  intCase,
  iretCase,
  cpuidCase,
  rdtscCase,
  rdtscpCase,
  rdpmcCase,
  rdpidCase,
  xgetbvCase,
];

module.exports = { RULE_CASES };
