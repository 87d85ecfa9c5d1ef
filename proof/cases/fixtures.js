'use strict';
// What each fix case runs around the analyzed instruction. `source` is the only text given
// to the analyzer and the fix engine; everything else is scaffolding that is the same in
// ring 0 (original) and ring 3 (replacement): reset the buffer, preset registers and flags,
// then dump registers, pushed stack bytes and the buffer.

const { hex } = require('../lib/observe');

function presetRegisters(bits, overrides = {}) {
  const value = (n) => (bits === 64 ? '0x' + n.repeat(16) : '0x' + n.repeat(8));
  const regs = { zax: value('1'), zbx: value('2'), zcx: value('3'), zdx: value('4'), zsi: value('6'), zdi: value('7'), zbp: value('8'), ...overrides };
  return Object.entries(regs).map(([r, v]) => `  mov ${r}, ${v}`).join('\n');
}

/** What the slot below the stack pointer holds before a PUSH of a segment register. */
const SLOT_PRIME = 0x5a5a5a5a;

function resetBuffer() {
  return `  mov zdi, fx_buf
  mov ecx, 16
  mov al, 0xA5
  rep stosb`;
}

/** Flags start as 0x202 (IF=1, arithmetic clear) in both rings. */
const PRESET_FLAGS = `  push 0x202
  popf`;

const STANDARD_AFTER = `.after_snippet:
  DUMP "after"
  STACKDUMP "stack"
  MEMDUMP "mem", fx_buf, 16`;

const FS_AFTER = `${STANDARD_AFTER}
  mov ax, fs
  movzx eax, ax
  REPORT "fs", zax`;

const DATA = `
align 16
fx_buf: times 16 db 0xA5
fx_continue: DW_ 0
fx_saved_sp: DW_ 0
fx_ptr: dd fx_target
        dw SEL_CODE0
fx_target:                       ; far transfers land here in either ring and go back to that ring's after-code
  jmp PTR [fx_continue]`;


function simple(rule, source, overrides = {}, extra = {}) {
  return {
    rule,
    source: typeof source === 'function' ? source : () => source,
    setup: (bits) => `${resetBuffer()}
${presetRegisters(bits, typeof overrides === 'function' ? overrides(bits) : overrides)}
${PRESET_FLAGS}`,
    after: () => STANDARD_AFTER,
    data: () => DATA,
    ...extra,
  };
}

const tscVolatile = {
  volatile: ['ax', 'dx'],
  compare(j, a, b, differences) {
    const t0 = (a.dx << 32n) | (a.ax & 0xffffffffn);
    const t3 = (b.dx << 32n) | (b.ax & 0xffffffffn);
    if (!(t3 > t0 && t3 - t0 < 1n << 40n)) differences.push(`time-stamp counter: CPL 0 read ${hex(t0)}, fixed read ${hex(t3)} (must be later and close)`);
  },
};

/** Both the original at CPL 0 and the replacement raise the same exception (QEMU TCG lacks the instruction's function). */
function sameFault(j) {
  const f0 = j.faults().filter((e) => e.cpl === 0);
  const f3 = j.faults().filter((e) => e.cpl === 3);
  return f0.length === 1 && f3.length === 1 && f0[0].vec === f3[0].vec ? f0[0].vec : undefined;
}

/** `why` by model: the models on which the instruction itself faults at CPL 0; elsewhere it is compared like any other. */
const faultingFixture = (rule, source, why) => ({
  ...simple(rule, source, { zcx: '0' }),
  setup: (bits) => `${resetBuffer()}
${presetRegisters(bits, { zcx: '0' })}
${PRESET_FLAGS}
  ON_FAULT .after_snippet`,
  expectSameFault: why,
});

const FIXTURES = [
  simple('sgdt', '  sgdt [fx_buf]\n'),
  simple('sidt', '  sidt [fx_buf]\n'),
  simple('sldt', '  sldt ax\n'),
  // Memory destinations get exactly 2 bytes; the 16-byte buffer's 0xA5 sentinel after them
  // shows a hypervisor (or a fix) that writes more.
  { ...simple('sldt', '  sldt [fx_buf]\n'), variant: 'mem' },
  { ...simple('smsw', '  smsw [fx_buf]\n'), variant: 'mem' },
  simple('str', '  str ax\n'),
  // SMSW stores as many bytes of CR0 as the destination holds: all of it into r32/r64 (PG,
  // bit 31, shows the difference), 16 bits into r16 (the rest of the register is kept).
  simple('smsw', (bits) => (bits === 64 ? '  smsw rax\n' : '  smsw eax\n')),
  { ...simple('smsw', '  smsw eax\n'), modes: [64], variant: 'r32' },
  { ...simple('smsw', '  smsw ax\n'), variant: 'r16' },
  simple('pushf', '  pushf\n'),
  {
    ...simple('popf', '  popf\n'),
    setup: (bits) => `${resetBuffer()}
${presetRegisters(bits)}
${PRESET_FLAGS}
  push PTR 0xC7                  ; CF PF ZF SF set, IF clear`,
  },
  {
    ...simple('popf', '  popf\n'),
    variant: 'if-set',
    // IF set in the image: the STI path of the trap fix, and for Xen the unmask path with an
    // event pending, which makes the fix call xen_version so the event gets delivered
    setup: (bits) => `${resetBuffer()}
${presetRegisters(bits)}
  push 0x002
  popf                           ; ring 0 starts this one with IF clear, like the monitor's virtual IF
  mov byte [virtual_if], 0
  mov byte [xen_vcpu_info + 1], 1
  mov byte [xen_vcpu_info + 0], 1
  push PTR 0x2C7                 ; CF PF ZF SF and IF set`,
  },
  // FS/GS-relative destinations: the hypercall fix has the hypervisor fill a stack buffer and
  // copies it through the segment (the base is not the hypervisor's to add). Both rings load
  // the same ring-3 data selector first.
  segmentRelative('sgdt', 'fs', '  sgdt [fs:fx_buf]\n'),
  segmentRelative('sidt', 'gs', '  sidt [gs:fx_buf]\n'),
  segmentRelative('str', 'fs', '  str [fs:fx_buf]\n'),
  segmentRelative('smsw', 'gs', '  smsw [gs:fx_buf]\n'),
  simple('lar', '  lar eax, bx\n', { zbx: '0x08' }),
  simple('lsl', '  lsl eax, bx\n', { zbx: '0x10' }),
  simple('verr', '  verr bx\n', { zbx: '0x10' }),
  simple('verw', '  verw bx\n', { zbx: '0x10' }),
  { ...selectorPush('  push cs\n'), modes: [32] },
  { ...selectorPush('  push ss\n'), modes: [32], variant: 'ss' },
  {
    // 64-bit code has only PUSH FS/GS; both rings load the same selector first
    ...simple('push-sreg', '  push fs\n'),
    modes: [64],
    variant: 'fs',
    setup: (bits) => `${resetBuffer()}
  mov ax, SEL_DATA3
  mov fs, ax
${presetRegisters(bits)}
${PRESET_FLAGS}`,
  },
  {
    ...simple('pop-sreg', '  pop fs\n'),
    setup: (bits) => `${resetBuffer()}
${presetRegisters(bits)}
${PRESET_FLAGS}
  push SEL_DATA0`,
    after: () => FS_AFTER,
    compare: compareVirtualFs,
  },
  { ...simple('mov-sreg', '  mov ax, cs\n'), variant: 'read-cs' },
  { ...simple('mov-sreg', '  mov [fx_buf], cs\n'), variant: 'store-cs' },
  {
    ...simple('mov-sreg', '  mov fs, bx\n', { zbx: '0x10' }),
    after: () => FS_AFTER,
    compare: compareVirtualFs,
  },
  farFixture('far-call', '  call far dword [fx_ptr]\n'),
  farFixture('far-jmp', '  jmp far dword [fx_ptr]\n'),
  {
    ...farFixture('far-ret', '  retf\n'),
    setup: (bits) => `${resetBuffer()}
  mov PTR [fx_continue], .after_snippet
${presetRegisters(bits)}
${PRESET_FLAGS}
  lea zsp, [zsp - 8]
  mov dword [zsp], fx_target
  mov dword [zsp + 4], SEL_CODE0`,
  },
  {
    ...simple('int', '  int 0x40\n'),
    compare(j, a, b, differences) {
      const entered = j.gates(0x40).length;
      if (entered !== 2) differences.push(`gate 0x40 entered ${entered} times; expected once for the original and once for the replacement`);
    },
  },
  {
    ...simple('iret', (bits) => (bits === 64 ? '  iretq\n' : '  iretd\n')),
    setup: (bits) => `${resetBuffer()}
  mov PTR [fx_continue], .after_snippet
${bits === 64 ? `  mov rdx, rsp
  push SEL_DATA0
  push rdx
  push PTR 0xC7
  push SEL_CODE0
  push fx_target` : `  push PTR 0xC7
  push SEL_CODE0
  push fx_target`}
${presetRegisters(bits)}`,
  },
  simple('cpuid', '  cpuid\n', { zax: '0', zcx: '0' }),
  { ...simple('rdtsc', '  rdtsc\n'), ...tscVolatile },
  { ...simple('rdtscp', '  rdtscp\n'), ...tscVolatile },
  faultingFixture('rdpmc', '  rdpmc\n', { 'qemu-tcg': 'QEMU TCG does not implement performance counters: RDPMC is #UD at CPL 0 too' }),
  faultingFixture('rdpid', (bits) => (bits === 64 ? '  rdpid rax\n' : '  rdpid eax\n'), { 'qemu-tcg': 'this QEMU TCG CPU model lacks RDPID: #UD at CPL 0 too' }),
  {
    ...simple('xgetbv', '  xgetbv\n', { zcx: '0' }),
    // XCR0 is set once; CR4.OSXSAVE is on only around each run (CPUID.1:ECX.OSXSAVE mirrors it)
    ring0Init: `  mov zax, cr4
  or zax, CR4_OSXSAVE
  mov cr4, zax
  xor ecx, ecx
  mov eax, 3
  xor edx, edx
  xsetbv
  CR4_CLEAR CR4_OSXSAVE`,
    setup: (bits) => `${resetBuffer()}
  CR4_SET CR4_OSXSAVE
${presetRegisters(bits, { zcx: '0' })}
${PRESET_FLAGS}`,
    after: () => `${STANDARD_AFTER}
  CR4_CLEAR CR4_OSXSAVE`,
  },
];

/** A memory destination through FS or GS, which both rings load with the same data selector. */
function segmentRelative(rule, sreg, source) {
  return {
    ...simple(rule, source),
    variant: `${sreg}-mem`,
    setup: (bits) => `${resetBuffer()}
  mov ax, SEL_DATA3
  mov ${sreg}, ax
${presetRegisters(bits)}
${PRESET_FLAGS}`,
  };
}

/**
 * PUSH CS/SS with a 32-bit slot: the SDM allows zero extension or a 16-bit move that keeps
 * the slot's upper half (recent Intel cores). The slot is primed in both rings so that the
 * comparison can accept either, as long as the selector bytes are the same.
 */
function selectorPush(source) {
  return {
    ...simple('push-sreg', source),
    // after the sp0 report, whose own pushes use the slot
    primeStack: `  mov dword [esp - 4], ${SLOT_PRIME}\n`,
    summary(j) {
      const upper = (cpl) => j.bytes('stack', cpl)?.subarray(2, 4).toString('hex') ?? '?';
      return `registers, flags, memory and the pushed selector equal the CPL 0 original (upper half of the slot: original ${upper(0)}, fixed ${upper(3)}; the SDM allows zero or unchanged)`;
    },
    comparePushed(sa, sb, pushed, differences) {
      const keptUpper = SLOT_PRIME >>> 16;
      const upperOk = (buf) => [0, keptUpper].includes(buf.readUInt16LE(2));
      if (pushed !== 4 || !sa.subarray(0, 2).equals(sb.subarray(0, 2)) || !upperOk(sa) || !upperOk(sb)) {
        differences.push(`pushed bytes: CPL 0 ${sa.subarray(0, pushed).toString('hex')}, fixed ${sb.subarray(0, pushed).toString('hex')} (the selector must match; the upper half may be zero or the primed ${hex(BigInt(keptUpper))})`);
      }
    },
  };
}

function farFixture(rule, source) {
  return {
    ...simple(rule, source),
    setup: (bits) => `${resetBuffer()}
  mov PTR [fx_continue], .after_snippet
${presetRegisters(bits)}
${PRESET_FLAGS}`,
    returnAddressInStack: rule === 'far-call',
  };
}

/** A segment load: ring 0 keeps FS; after an emulated load the monitor holds it as virtual state (the E line). */
function compareVirtualFs(j, a, b, differences) {
  const fs0 = j.r('fs', 0);
  const emulated = j.events.filter((e) => e.type === 'E');
  const fsFixed = emulated.length > 0 ? BigInt(emulated[emulated.length - 1].sregs.fs) : j.r('fs', 3);
  if ((fs0 & 0xffffn) !== fsFixed) differences.push(`FS: CPL 0 loaded ${hex(fs0)}, the replacement left ${hex(fsFixed)}`);
}

module.exports = { FIXTURES, presetRegisters, sameFault };
