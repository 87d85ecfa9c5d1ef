'use strict';
// PUSHF, POPF, INT n and IRET in the two modes where 16-bit code runs at CPL 3: virtual-8086
// mode, where they are IOPL-sensitive (with IOPL < 3 and CR4.VME = 0 each raises #GP(0) and a
// virtual-8086 monitor sees it; with IOPL = 3 they run), and 16-bit protected mode, where none
// of them traps at any IOPL (IOPL only decides whether POPF and IRET may change IF). Each case
// runs its probe twice from ring 0 through the harness's `lowrun` (32-bit image only): with
// IOPL 0 (the case) and IOPL 3 (the control). Intel SDM Vol. 3B §20.2 (virtual-8086 mode) and the
// PUSHF, POPF, INT n and IRET pages state these rules.

const { hex } = require('../lib/observe');

const FLAG_CF = 0x1n;
const FLAG_IF = 0x200n;
const FLAG_IOPL = 0x3000n;
const EFL_VM = 0x20000n;
const SENTINEL16 = 0xa5a5n;

const MODES = {
  v86: { key: 'v86', name: 'virtual-8086 mode', flags: 'EFL_VM' },
  pm16: { key: 'pm16', name: '16-bit protected mode', flags: '0' },
};

const flagsText = (v) => `IF=${(v & FLAG_IF) !== 0n ? 1 : 0} IOPL=${(v & FLAG_IOPL) >> 12n} CF=${Number(v & FLAG_CF)}`;

/**
 * The 16-bit probes. Each writes where a #GP must resume before the probe, stores what it saw in
 * LOW_RESULT words, and (in the blob's tail) ends with LOW_DONE and HLT. `L` turns a label into
 * its offset in the blob.
 */
const PROBES = {
  pushf: {
    mnemonic: 'PUSHF',
    body: (p) => `
  mov word [LOW_RESUME], ${p}_after - ${p}_blob
${p}_probe:
  pushf
  pop ax
  mov [LOW_RESULT], ax
${p}_after:`,
  },
  popf: {
    mnemonic: 'POPF',
    body: (p) => `
  mov word [LOW_RESUME], ${p}_after - ${p}_blob
  push word 0x0203               ; IF=1 CF=1
${p}_probe:
  popf
  pushf
  pop ax
  mov [LOW_RESULT], ax
${p}_after:`,
  },
  int: {
    mnemonic: 'INT 0x42',
    body: (p) => `
  mov word [LOW_RESUME], ${p}_after - ${p}_blob
${p}_probe:
  int LOW_GATE_VECTOR
  mov word [LOW_RESULT], 1
${p}_after:`,
  },
  iret: {
    mnemonic: 'IRET',
    body: (p) => `
  mov word [LOW_RESUME], ${p}_after - ${p}_blob
  push word 0x0203               ; the flags image: IF=1 CF=1
  push cs
  push word ${p}_target - ${p}_blob
${p}_probe:
  iret
  jmp ${p}_after
${p}_target:
  pushf
  pop ax
  mov [LOW_RESULT], ax
${p}_after:`,
  },
};

function blobText(p, probe) {
  return `
  [bits 16]
${p}_blob:
  mov ax, ss                     ; DS = the blob's segment (LOW_SEG in virtual-8086 mode, SEL_DATA16_3 in 16-bit protected mode)
  mov ds, ax
${probe.body(p)}
  mov word [LOW_RESUME], LOW_DONE
${p}_done:
  hlt
${p}_blob_end:
  [bits 32]`;
}

/** Ring 0: one run at IOPL `iopl`, then its reports under `iopl<n>.`. */
function runAndReport(p, mode, iopl) {
  const prefix = `iopl${iopl}`;
  const word = (name, offset) => `  movzx eax, word [LOW_BASE + ${offset}]\n  REPORT "${prefix}.${name}", zax`;
  return `
  mov esi, ${p}_blob
  mov ecx, ${p}_blob_end - ${p}_blob
  mov eax, ${mode.flags} | (${iopl} << 12) | 2
  xor edx, edx
  call lowrun
${word('faults', 'LOW_FAULTS')}
${word('fault.ip', 'LOW_FAULT_IP')}
${word('fault.err', 'LOW_FAULT_ERR')}
${word('end.ip', 'LOW_END_IP')}
${word('gate', 'LOW_GATE')}
  mov eax, [LOW_BASE + LOW_GATE_FL]
  REPORT "${prefix}.gate.flags", zax
${word('result', 'LOW_RESULT')}`;
}

/** What one IOPL run showed; failures go to the judge. */
function readRun(j, iopl) {
  const at = (name) => j.r(`iopl${iopl}.${name}`, 0);
  return {
    faults: at('faults'),
    faultIp: at('fault.ip'),
    faultErr: at('fault.err'),
    endIp: at('end.ip'),
    gate: at('gate'),
    gateFlags: at('gate.flags'),
    result: at('result'),
  };
}

/** The probe ran: no #GP before the end, and the run ended at the blob's own HLT. */
function expectRan(j, run, probe, what) {
  j.expect(run.faults === 0n, `${what}: ${run.faults} #GP before the end (first at ${hex(run.faultIp)}, error ${hex(run.faultErr)}), expected none`);
  j.expect(run.endIp === probe.done, `${what}: the run ended at ${hex(run.endIp)}, not at the blob's HLT ${hex(probe.done)}`);
}

/** The probe raised #GP(0) at its own address, and the run went on to the blob's HLT. */
function expectTrapped(j, run, probe, what) {
  j.expect(run.faults === 1n, `${what}: expected one #GP, saw ${run.faults}`);
  j.expect(run.faultIp === probe.ip, `${what}: #GP at ${hex(run.faultIp)}, the probe is at ${hex(probe.ip)}`);
  j.expect(run.faultErr === 0n, `${what}: #GP error code ${hex(run.faultErr)}, expected 0`);
  j.expect(run.endIp === probe.done, `${what}: the run ended at ${hex(run.endIp)}, not at the blob's HLT ${hex(probe.done)}`);
  j.expect(run.result === SENTINEL16, `${what}: the result word changed to ${hex(run.result)} although the probe trapped`);
}

/** What the probe did in a run that did not trap, in words; checks the values the SDM gives. */
function judgeRan(j, rule, mode, iopl, run, what) {
  if (rule === 'pushf') {
    j.expect(((run.result & FLAG_IOPL) >> 12n) === BigInt(iopl), `${what}: PUSHF read ${flagsText(run.result)}, IOPL is ${iopl}`);
    return `PUSHF read ${hex(run.result)} (${flagsText(run.result)})`;
  }
  if (rule === 'popf' || rule === 'iret') {
    const ifExpected = iopl === 3 ? 1n : 0n;
    j.expect((run.result & FLAG_CF) === 1n, `${what}: CF was not loaded (${flagsText(run.result)})`);
    j.expect(((run.result & FLAG_IF) >> 9n) === ifExpected, `${what}: IF=${(run.result & FLAG_IF) >> 9n} after loading IF=1 at IOPL ${iopl}`);
    const verb = rule === 'popf' ? 'POPF' : 'IRET';
    return `${verb} of IF=1 CF=1 gave ${flagsText(run.result)}${ifExpected === 1n ? '' : ' (IF silently kept)'}`;
  }
  // INT n: entered the DPL-3 gate once; the saved EFLAGS show the mode it came from
  const vm = (run.gateFlags & EFL_VM) !== 0n;
  j.expect(run.gate === 1n, `${what}: INT 0x42 entered its gate ${run.gate} times`);
  j.expect(vm === (mode.key === 'v86'), `${what}: the gate saw EFLAGS ${hex(run.gateFlags)} (VM=${vm ? 1 : 0})`);
  j.expect(run.result === 1n, `${what}: the instruction after INT did not run`);
  return `INT 0x42 entered its DPL-3 gate (saved EFLAGS.VM=${vm ? 1 : 0}) and returned`;
}

function lowModeCase(rule, modeKey) {
  const mode = MODES[modeKey];
  const probe = PROBES[rule];
  const p = `low_${modeKey}_${rule}`;
  const traps = mode.key === 'v86';
  return {
    name: `${rule}-${mode.key}`,
    rule,
    modes: [32],
    mode: mode.key,
    modeName: mode.name,
    claim: traps
      ? `${probe.mnemonic} at CPL 3 in virtual-8086 mode with IOPL 0 raises #GP(0) to the monitor; with IOPL 3 (the control) it runs`
      : `${probe.mnemonic} at CPL 3 in 16-bit protected mode runs without a fault at IOPL 0 and at IOPL 3`,
    globalLabels: new Set([`${p}_blob`]),
    ring0: () => `${runAndReport(p, mode, 0)}
${runAndReport(p, mode, 3)}
  REPORT "probe.ip", ${p}_probe - ${p}_blob
  REPORT "done.ip", ${p}_done - ${p}_blob
  ret`,
    ring3: () => '  EXIT',
    data: () => blobText(p, probe),
    judge(j) {
      const where = { ip: j.r('probe.ip', 0), done: j.r('done.ip', 0) };
      const low = readRun(j, 0);
      const high = readRun(j, 3);
      expectRan(j, high, where, `${mode.name}, IOPL 3`);
      const control = judgeRan(j, rule, mode, 3, high, `${mode.name}, IOPL 3`);
      j.expectOnlyFaultsAt([]);
      if (traps) {
        expectTrapped(j, low, where, `${mode.name}, IOPL 0`);
        return `${probe.mnemonic} at CPL 3 with IOPL 0: #GP(0x0) to the monitor at the instruction; control with IOPL 3: ${control}, no fault`;
      }
      expectRan(j, low, where, `${mode.name}, IOPL 0`);
      const quiet = judgeRan(j, rule, mode, 0, low, `${mode.name}, IOPL 0`);
      return `${probe.mnemonic} at CPL 3 with IOPL 0: ${quiet}, no fault; control with IOPL 3: ${control}, no fault`;
    },
  };
}

const LOW_MODE_CASES = [];
for (const modeKey of ['pm16', 'v86']) for (const rule of ['pushf', 'popf', 'int', 'iret']) LOW_MODE_CASES.push(lowModeCase(rule, modeKey));

module.exports = { LOW_MODE_CASES };
