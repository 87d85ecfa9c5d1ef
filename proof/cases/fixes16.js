'use strict';
// 16-bit fix cases: for every rule whose finding in 16-bit code gets a fix, the engine's exact
// replacement runs at CPL 3 in 16-bit protected mode and the original instruction at CPL 0 in
// 16-bit protected mode, both in one 16-bit blob copied to LOW_BASE (harness: lowrun, lowrun0),
// after the same set-up. Two strategies, one unit each per case:
// - hypercall (KVM's VMCALL and KVM on AMD's VMMCALL; Xen and Hyper-V have no 16-bit
//   convention): the VMCALL/VMMCALL raises #UD, which the harness's low_ud hands to the same hv_*
//   routines the 32- and 64-bit cases use, adding the base of the segment register the call names
//   to its address argument;
// - trap (the forced-emulation prefix with KVM's and Xen's bytes, MOV from CR0 for SMSW, CLI/STI
//   for POPF's IF change): low_ud and low_gp_monitor take the prefix's #UD, MOV from CR0's and
//   CLI/STI's #GP as the 32-bit monitor does; low_emulate runs the instruction once at CPL 0 in
//   16-bit protected mode on the guest's stack and segments, and low_db brings it back.
// The judge compares registers, arithmetic flags, IF (the monitor's virtual IF for the
// replacement), the stack pointer, the pushed bytes and the memory operand.
//
// The text comes from out/server/src/analysis, never from here.

const { hex } = require('../lib/observe');

const ABIS16 = ['kvm', 'kvm-amd'];
/** hc_abi values of the 16-bit dispatchers (the 32-bit image's dispatch block includes them). */
const ABI_INDEX16 = { kvm: 5, 'kvm-amd': 6 };
const ARITH_FLAGS = 0x8d5n;
const EFL_IF = 0x200n;
const LOW_SP = 0xfe00n;
const REGS = ['ax', 'bx', 'cx', 'dx', 'si', 'di', 'bp', 'sp', 'fl'];
const PRESET = { eax: '0x11111111', ebx: '0x22222222', ecx: '0x33333333', edx: '0x44444444', esi: '0x66666666', edi: '0x77777777', ebp: '0x88888888' };

/**
 * One 16-bit case. `source` is the only text the analyzer and the fix engine see (`fx16_buf` is
 * the 16 bytes at LOW_FIX_BUF, `fx16_shifted_buf` the same bytes through FS/GS, whose base is
 * LOW_SHIFT higher than DS's). `setup` runs after the common set-up, in both rings.
 */
function case16(rule, source, extra = {}) {
  return { rule, source, registers: {}, setup: '', ...extra };
}

/** FS or GS holds a DPL-3 selector based LOW_SHIFT above DS: a hypervisor that ignored the segment argument would write LOW_SHIFT bytes too low. */
function shifted(rule, sreg, source) {
  return case16(rule, source, { variant: `${sreg}-mem`, setup: `  mov ax, SEL_SHIFTED16_3\n  mov ${sreg}, ax` });
}

const tscVolatile = {
  volatile: ['ax', 'dx'],
  compare(a, b, differences) {
    const t0 = (a.dx << 32n) | a.ax;
    const t3 = (b.dx << 32n) | b.ax;
    if (!(t3 > t0 && t3 - t0 < 1n << 40n)) differences.push(`time-stamp counter: CPL 0 read ${hex(t0)}, fixed read ${hex(t3)} (must be later and close)`);
  },
};

const CASES16 = [
  case16('sgdt', '  sgdt [fx16_buf]\n'),
  case16('sidt', '  sidt [fx16_buf]\n'),
  case16('sldt', '  sldt ax\n'),
  { ...case16('sldt', '  sldt [fx16_buf]\n'), variant: 'mem' },
  { ...case16('smsw', '  smsw [fx16_buf]\n'), variant: 'mem' },
  case16('str', '  str ax\n'),
  { ...case16('smsw', '  smsw eax\n'), variant: 'r32' },
  { ...case16('smsw', '  smsw ax\n'), variant: 'r16' },
  shifted('sgdt', 'fs', '  sgdt [fs:fx16_shifted_buf]\n'),
  shifted('sidt', 'gs', '  sidt [gs:fx16_shifted_buf]\n'),
  shifted('str', 'fs', '  str [fs:fx16_shifted_buf]\n'),
  shifted('smsw', 'gs', '  smsw [gs:fx16_shifted_buf]\n'),
  case16('pushf', '  pushf\n'),
  // PUSHFD/POPFD in 16-bit code move 4 bytes: the fix reads the width from the mnemonic
  { ...case16('pushf', '  pushfd\n'), variant: 'd' },
  case16('popf', '  popf\n', { setup: '  push word 0xC7                 ; CF PF ZF SF set, IF clear' }),
  { ...case16('popf', '  popfd\n', { setup: '  push dword 0xC7                ; CF PF ZF SF set, IF clear' }), variant: 'd' },
  case16('lar', '  lar eax, bx\n', { registers: { ebx: '0x08' } }),
  case16('lsl', '  lsl eax, bx\n', { registers: { ebx: '0x10' } }),
  case16('verr', '  verr bx\n', { registers: { ebx: '0x10' } }),
  case16('verw', '  verw bx\n', { registers: { ebx: '0x10' } }),
  case16('push-sreg', '  push cs\n'),
  { ...case16('push-sreg', '  push ss\n'), variant: 'ss' },
  case16('pop-sreg', '  pop fs\n', { setup: '  push word SEL_DATA0', compareFs: true }),
  { ...case16('mov-sreg', '  mov ax, cs\n'), variant: 'read-cs' },
  { ...case16('mov-sreg', '  mov [fx16_buf], cs\n'), variant: 'store-cs' },
  case16('mov-sreg', '  mov fs, bx\n', { registers: { ebx: '0x10' }, compareFs: true }),
  case16('int', '  int 0x40\n', { gateOnce: true }),
  case16('cpuid', '  cpuid\n', { registers: { eax: '0', ecx: '0' } }),
  case16('rdtsc', '  rdtsc\n', tscVolatile),
  case16('rdtscp', '  rdtscp\n', tscVolatile),
  case16('rdpmc', '  rdpmc\n', { registers: { ecx: '0' }, expectSameFault: { 'qemu-tcg': 'QEMU TCG does not implement performance counters: RDPMC is #UD at CPL 0 too' } }),
  case16('rdpid', '  rdpid eax\n', { expectSameFault: { 'qemu-tcg': 'this QEMU TCG CPU model lacks RDPID: #UD at CPL 0 too' } }),
  case16('xgetbv', '  xgetbv\n', {
    registers: { ecx: '0' },
    // XCR0 = 3 once; CR4.OSXSAVE on around the runs (all launched from ring 0)
    ring0Before: `  mov eax, cr4
  or eax, CR4_OSXSAVE
  mov cr4, eax
  xor ecx, ecx
  mov eax, 3
  xor edx, edx
  xsetbv`,
    ring0After: `  mov eax, cr4
  and eax, ~CR4_OSXSAVE
  mov cr4, eax`,
  }),
];

/**
 * The ABIs whose 16-bit trap-strategy fixes differ: the forced-emulation prefix is KVM's or Xen's
 * bytes; the trapping equivalents (MOV from CR0, CLI/STI) are the same text under every ABI.
 */
const TRAP_ABIS16 = ['kvm', 'xen'];

/** NASM's `..@` labels are global: two units in one image must not both define one (packImages keeps them apart). */
function globalLabels(text) {
  return new Set(text.match(/\.\.@\w+/g) ?? []);
}

/** Every distinct replacement of `strategy` ('hypercall' or 'trap') the engine offers for the case's 16-bit finding. */
function fixes16For(engine, c, strategy) {
  const text = c.source;
  const result = engine.analysis.analyzeText(text, { dialect: 'nasm', bits: 16, rules: ['all'] });
  const findings = result.findings.filter((f) => f.ruleId === c.rule);
  if (findings.length !== 1) throw new Error(`${c.rule} (16-bit): expected one ${c.rule} finding in ${JSON.stringify(text)}, got ${findings.length}`);
  const out = [];
  const seen = new Set();
  const labels = new Set();
  for (const abi of strategy === 'hypercall' ? ABIS16 : TRAP_ABIS16) {
    for (const qf of engine.fixes.fixesForFinding(text, result, findings[0], { abi })) {
      if (qf.strategy !== strategy) continue;
      const fixed = engine.fixes.applyEdits(text, [qf.edit]);
      if (seen.has(fixed)) continue;
      seen.add(fixed);
      const own = globalLabels(fixed);
      if (strategy === 'hypercall' && own.size > 0) throw new Error(`${c.rule} (16-bit, ${abi}): the replacement defines global labels, which the 16-bit blob does not rename`);
      for (const label of own) {
        if (labels.has(label)) throw new Error(`${c.rule} (16-bit, ${abi}): two replacements of one case define ${label}`);
        labels.add(label);
      }
      const residual = engine.analysis.analyzeText(fixed, { dialect: 'nasm', bits: 16, rules: ['all'] }).findings.map((f) => `${f.ruleId} at line ${f.range.start.line + 1}`);
      const definitions = qf.definitions ? engine.fixes.hypercallDefinitions('nasm', abi) : '';
      out.push({ abi, quickFix: qf, fixed, residual, definitions });
    }
  }
  return out;
}

/** The monitor events (harness msg_*) a replacement may reach the monitor by: its own mechanism only. */
function monitorKinds(fix) {
  switch (fix.quickFix.kind) {
    case 'hypercall':
      return [fix.abi === 'kvm' ? 'vmcall' : 'vmmcall'];
    case 'forced-emulation':
      return [fix.abi === 'xen' ? 'fep-xen' : 'fep-kvm'];
    default:
      return /\bcr0\b/i.test(fix.fixed) ? ['mov-from-cr'] : ['cli', 'sti'];
  }
}

/** `hypercall, kvm` / `forced-emulation, xen` / `trap-equivalent`: how a result line names the fix. */
function fixLabel(fix) {
  const kind = fix.quickFix.kind;
  return kind === 'trap-equivalent' ? kind : `${kind}, ${fix.abi}`;
}

function verbatim(text) {
  return text.endsWith('\n') ? text : text + '\n';
}

/** The 16-bit blob: the original and each replacement, each after the same set-up, then the shared after-code. */
function blobText(p, c, fixes) {
  const registers = { ...PRESET, ...c.registers };
  const setup = (entry) => `${entry}:
  mov ax, ss                     ; DS = ES = the blob's segment (SEL_DATA16_0 at CPL 0, SEL_DATA16_3 at CPL 3); FS = GS = null
  mov ds, ax
  mov es, ax
  xor ax, ax
  mov fs, ax
  mov gs, ax
  mov word [LOW_RESUME], ${p}_after - ${p}_blob
  mov di, LOW_FIX_BUF
  mov cx, 16
  mov al, 0xA5
  cld
  rep stosb
${Object.entries(registers).map(([r, v]) => `  mov ${r}, ${v}`).join('\n')}
  push dword 0x202               ; IF=1, arithmetic flags clear
  popfd
${c.setup}`;
  const parts = ['  [bits 16]', `${p}_blob:`, setup(`${p}_orig`), `${p}_orig_start:`, verbatim(c.source) + `${p}_orig_end:`, `  jmp ${p}_after`];
  fixes.forEach((fix, i) => {
    parts.push(`; ${fix.quickFix.title.replace(/\n/g, ' ')}`, setup(`${p}_v${i}`), fix.definitions, `${p}_v${i}_start:`, verbatim(fix.fixed) + `${p}_v${i}_end:`, `  jmp ${p}_after`);
  });
  parts.push(`${p}_after:
  mov [LOW_FIX_REGS + 0], eax
  mov [LOW_FIX_REGS + 4], ebx
  mov [LOW_FIX_REGS + 8], ecx
  mov [LOW_FIX_REGS + 12], edx
  mov [LOW_FIX_REGS + 16], esi
  mov [LOW_FIX_REGS + 20], edi
  mov [LOW_FIX_REGS + 24], ebp
  mov [LOW_FIX_REGS + 28], esp
  pushfd
  pop dword [LOW_FIX_REGS + 32]
  mov [LOW_FIX_REGS + 36], fs
  mov bx, sp
  mov eax, [ss:bx]
  mov [LOW_FIX_STACK], eax
  mov eax, [ss:bx + 4]
  mov [LOW_FIX_STACK + 4], eax
  mov eax, [ss:bx + 8]
  mov [LOW_FIX_STACK + 8], eax
  mov eax, [ss:bx + 12]
  mov [LOW_FIX_STACK + 12], eax
  mov word [LOW_RESUME], LOW_DONE
${p}_done:
  ud2
${p}_blob_end:
  [bits 32]`);
  return parts.join('\n');
}

/** Ring 0 (32-bit): the run's state, read from the blob's area after lowrun/lowrun0 returned. */
function stateReports() {
  const offsets = { ax: 0, bx: 4, cx: 8, dx: 12, si: 16, di: 20, bp: 24, sp: 28, fl: 32 };
  const lines = Object.entries(offsets).map(([r, o]) => `  REPORT "s.${r}", PTR [LOW_BASE + LOW_FIX_REGS + ${o}]`);
  const word = (name, at) => `  movzx eax, word [LOW_BASE + ${at}]\n  REPORT "${name}", zax`;
  lines.push(word('s.fs', 'LOW_FIX_REGS + 36'), word('faults', 'LOW_FAULTS'), word('fault.ip', 'LOW_FAULT_IP'), word('fault.vec', 'LOW_FAULT_VEC'), word('end.ip', 'LOW_END_IP'), word('gate', 'LOW_GATE'));
  lines.push('  MEMDUMP "mem", LOW_BASE + LOW_FIX_BUF, 16', '  MEMDUMP "stack", LOW_BASE + LOW_FIX_STACK, 16');
  return lines.join('\n');
}

function unitFor(c, fixes, strategy) {
  const tag = `${c.rule}${c.variant ? '-' + c.variant : ''}`;
  const ring0 = (bits, labels) => {
    const p = `${labels.r0}_f16`;
    const run = (entry, routine) => `  mov esi, ${p}_blob
  mov ecx, ${p}_blob_end - ${p}_blob
  mov eax, EFL_IF | 2
  mov edx, ${entry} - ${p}_blob
  call ${routine}
${stateReports()}`;
    const layout = [`  REPORT "orig.start", ${p}_orig_start - ${p}_blob`, `  REPORT "done.ip", ${p}_done - ${p}_blob`];
    fixes.forEach((_, i) => layout.push(`  REPORT "v${i}.start", ${p}_v${i}_start - ${p}_blob`, `  REPORT "v${i}.end", ${p}_v${i}_end - ${p}_blob`));
    const variants = fixes.map(
      (fix, i) => `  REPORT "run16", ${i + 1}
  mov byte [virtual_if], 1
  mov byte [virtual_iopl], 0
${fix.quickFix.kind === 'hypercall' ? `  mov PTR [hc_abi], ${ABI_INDEX16[fix.abi]}` : ''}
${run(`${p}_v${i}`, 'lowrun')}
  movzx eax, byte [virtual_if]
  REPORT "virtual_if", zax`,
    );
    return `${layout.join('\n')}
${c.ring0Before ?? ''}
  REPORT "run16", 0
${run(`${p}_orig`, 'lowrun0')}
${variants.join('\n')}
${c.ring0After ?? ''}
  ret`;
  };
  const subcases = fixes.map((fix, i) => {
    const kind = fix.quickFix.kind;
    const sc = {
      kind: 'fix',
      name: `fix-${tag}-${kind}${kind === 'trap-equivalent' ? '' : '-' + fix.abi}-16bit`,
      rule: c.rule,
      claim: `${fix.quickFix.title} (16-bit protected mode): reaches the monitor at CPL 3 and leaves what ${c.rule.toUpperCase()} leaves at CPL 0 in 16-bit code`,
      fixText: fix.fixed,
      judge: (j) => judge16(j, c, fix, i),
    };
    return { id: sc.name, c: sc, variant: undefined };
  });
  const labels = new Set();
  fixes.forEach((fix) => globalLabels(fix.fixed).forEach((l) => labels.add(l)));
  return {
    kind: 'fix-group',
    name: `fixes16-${strategy === 'trap' ? 'trap-' : ''}${tag}`,
    rule: c.rule,
    modes: [32],
    hasHypercalls: true,
    globalLabels: labels,
    ring0,
    ring3: () => '  EXIT',
    blocks: (bits, labels) => [{ key: `fix16-${labels.r0}`, text: blobText(`${labels.r0}_f16`, c, fixes) }],
    subcases,
  };
}

/** The events of run `k` (0 = the original, i+1 = variant i), cut at the `run16` markers. */
function runEvents(j, k) {
  const isMarker = (e) => e.type === 'R' && e.cpl === 0 && e.name === 'run16';
  const start = j.events.findIndex((e) => isMarker(e) && e.value === BigInt(k));
  if (start < 0) {
    j.fail(`run ${k} never started`);
    return [];
  }
  const end = j.events.findIndex((e, i) => i > start && (isMarker(e) || e.type === 'END'));
  return j.events.slice(start + 1, end < 0 ? j.events.length : end);
}

function reader(j, events, what) {
  return {
    r(name) {
      const e = events.find((x) => x.type === 'R' && x.name === name);
      if (!e) j.fail(`${what}: missing report ${name}`);
      return e ? e.value : -1n;
    },
    bytes(name) {
      const e = events.find((x) => x.type === 'B' && x.name === name);
      if (!e) j.fail(`${what}: missing memory dump ${name}`);
      return e ? e.bytes : Buffer.alloc(0);
    },
  };
}

function judge16(j, c, fix, i) {
  j.expect(fix.residual.length === 0, `virtlint still reports the replacement text: ${fix.residual.join(', ')}`);
  const orig = reader(j, runEvents(j, 0), 'original at CPL 0');
  const fixedEvents = runEvents(j, i + 1);
  const fixed = reader(j, fixedEvents, 'replacement at CPL 3');
  const done = j.r('done.ip', 0);
  const start = j.r(`v${i}.start`, 0);
  const end = j.r(`v${i}.end`, 0);
  j.expect(orig.r('end.ip') === done, `the original's run ended at ${hex(orig.r('end.ip'))}, not at the blob's end ${hex(done)}`);
  j.expect(fixed.r('end.ip') === done, `the replacement's run ended at ${hex(fixed.r('end.ip'))}, not at the blob's end ${hex(done)}`);

  const monitor = fixedEvents.filter((e) => e.type === 'M');
  const reached = monitor.filter((e) => e.cpl === 3 && e.ip >= start && e.ip < end);
  const kinds = monitorKinds(fix);
  const isHypercall = fix.quickFix.kind === 'hypercall';
  j.expect(reached.length > 0, `the replacement never reached the monitor (monitor events: ${monitor.map((e) => `${e.kind} at ${hex(e.ip)}`).join(', ') || 'none'})`);
  j.expect(monitor.length === reached.length && reached.every((e) => kinds.includes(e.kind)), `a ${fixLabel(fix)} fix should reach the monitor only as ${kinds.join(' or ')} inside its text; it did as ${monitor.map((e) => `${e.kind} at CPL ${e.cpl} ${hex(e.ip)}`).join(', ')}`);

  const reflected = fixedEvents.filter((e) => e.type === 'X');
  const faultWhy = c.expectSameFault?.[j.model];
  let sameVector;
  if (faultWhy) {
    const f0 = { n: orig.r('faults'), vec: Number(orig.r('fault.vec')), ip: orig.r('fault.ip') };
    const origIp = j.r('orig.start', 0);
    j.expect(f0.n === 1n && f0.ip === origIp, `expected the original to fault once at ${hex(origIp)} (${faultWhy}); saw ${f0.n} faults, first at ${hex(f0.ip)}`);
    if (isHypercall) {
      j.expect(reflected.length === 1 && reflected[0].cpl === 3 && reflected[0].vec === f0.vec && reflected[0].ip >= start && reflected[0].ip < end, `expected the hypervisor to reflect vector ${f0.vec} at the hypercall site; saw ${reflected.map((x) => `vector ${x.vec} at ${hex(x.ip)}`).join(', ') || 'none'}`);
      j.expect(fixed.r('faults') === 0n, `the replacement faulted: vector ${fixed.r('fault.vec')} at ${hex(fixed.r('fault.ip'))}`);
    } else {
      // the monitor ran the instruction at CPL 0 and it faulted there, as the original did
      const f3 = { n: fixed.r('faults'), vec: Number(fixed.r('fault.vec')), ip: fixed.r('fault.ip') };
      j.expect(reflected.length === 0, `unexpected exceptions in the replacement's run: ${reflected.map((x) => `vector ${x.vec} at ${hex(x.ip)}`).join(', ')}`);
      j.expect(f3.n === 1n && f3.vec === f0.vec && f3.ip >= start && f3.ip < end, `expected the instruction the monitor ran at CPL 0 to raise vector ${f0.vec} inside the replacement; saw ${f3.n} faults, vector ${f3.vec} at ${hex(f3.ip)}`);
    }
    sameVector = f0.vec;
  } else {
    j.expect(orig.r('faults') === 0n, `the original faulted at CPL 0: vector ${orig.r('fault.vec')} at ${hex(orig.r('fault.ip'))}`);
    j.expect(reflected.length === 0, `unexpected exceptions in the replacement's run: ${reflected.map((x) => `vector ${x.vec} at ${hex(x.ip)}`).join(', ')}`);
    j.expect(fixed.r('faults') === 0n, `the replacement faulted: vector ${fixed.r('fault.vec')} at ${hex(fixed.r('fault.ip'))}`);
  }
  if (sameVector !== undefined) {
    const where = isHypercall ? "the hypervisor's CPL 0 instruction raised" : 'the instruction the monitor ran at CPL 0 raised';
    return `${fix.quickFix.title} [${fixLabel(fix)}, 16-bit protected mode]: trapped to the monitor (${reached[0]?.kind}); ${where} vector ${sameVector}, as the original did at CPL 0 (${faultWhy})`;
  }

  const a = Object.fromEntries(REGS.map((r) => [r, orig.r(`s.${r}`)]));
  const b = Object.fromEntries(REGS.map((r) => [r, fixed.r(`s.${r}`)]));
  const differences = [];
  for (const r of ['ax', 'bx', 'cx', 'dx', 'si', 'di', 'bp']) {
    if ((c.volatile ?? []).includes(r)) continue;
    if (a[r] !== b[r]) differences.push(`${r}: CPL 0 ${hex(a[r])}, fixed ${hex(b[r])}`);
  }
  // SP only: on a 16-bit stack the CPU's IRET back to CPL 3 (from the hypercall's #UD) loads SP and
  // leaves ESP's upper half as ring 0 had it, as on hardware (the leak Linux's espfix hides)
  if ((a.sp & 0xffffn) !== (b.sp & 0xffffn)) differences.push(`stack pointer: SP ${hex(a.sp & 0xffffn)} at CPL 0, ${hex(b.sp & 0xffffn)} fixed (both started at ${hex(LOW_SP)})`);
  if ((a.fl & ARITH_FLAGS) !== (b.fl & ARITH_FLAGS)) differences.push(`arithmetic flags: CPL 0 ${hex(a.fl & ARITH_FLAGS)}, fixed ${hex(b.fl & ARITH_FLAGS)}`);
  const realIf = (a.fl & EFL_IF) !== 0n ? 1n : 0n;
  const virtualIf = fixed.r('virtual_if');
  if (realIf !== virtualIf) differences.push(`IF: CPL 0 ${realIf}, the monitor's virtual IF after the fix ${virtualIf}`);
  const pushed = Number((LOW_SP - a.sp) & 0xffffn);
  if (pushed > 0 && pushed <= 16) {
    const sa = orig.bytes('stack').subarray(0, pushed);
    const sb = fixed.bytes('stack').subarray(0, pushed);
    if (!sa.equals(sb)) differences.push(`pushed bytes: CPL 0 ${sa.toString('hex')}, fixed ${sb.toString('hex')}`);
  }
  const ma = orig.bytes('mem');
  const mb = fixed.bytes('mem');
  if (!ma.equals(mb)) differences.push(`memory: CPL 0 ${ma.toString('hex')}, fixed ${mb.toString('hex')}`);
  if (c.compare) c.compare(a, b, differences);
  if (c.compareFs) {
    // a segment load: the monitor keeps the loaded selector as virtual state (its E line)
    const emulated = fixedEvents.filter((e) => e.type === 'E');
    const fsFixed = emulated.length > 0 ? BigInt(emulated[emulated.length - 1].sregs.fs) : fixed.r('s.fs');
    if (orig.r('s.fs') !== fsFixed) differences.push(`FS: CPL 0 loaded ${hex(orig.r('s.fs'))}, the replacement left ${hex(fsFixed)}`);
  }
  if (c.gateOnce) {
    const ga = orig.r('gate');
    const gb = fixed.r('gate');
    if (ga !== 1n || gb !== 1n) differences.push(`gate 0x40 entered ${ga} times by the original, ${gb} times by the replacement; expected once each`);
  }
  for (const d of differences) j.fail(`meaning changed: ${d}`);
  const how = [...new Set(reached.map((e) => (isHypercall ? `${e.kind} #${hex(e.nr ?? 0n)}` : e.kind)))].join(', ');
  return `${fix.quickFix.title} [${fixLabel(fix)}, 16-bit protected mode]: trapped to the monitor (${how}); registers, flags, stack and memory equal the CPL 0 original in 16-bit code`;
}

/**
 * The 16-bit fix units, one per case and strategy (the hypercall fixes, the trap-strategy fixes);
 * problems are reported, not skipped. `gaps`: only the known gaps, else all but them.
 */
function fixCases16(engine, { gaps = false } = {}) {
  const cases = [];
  const problems = [];
  for (const c of CASES16) {
    if (Boolean(c.gap) !== gaps) continue;
    for (const strategy of ['hypercall', 'trap']) {
      let fixes;
      try {
        fixes = fixes16For(engine, c, strategy);
      } catch (e) {
        problems.push(e instanceof Error ? e.message : String(e));
        continue;
      }
      if (fixes.length === 0) {
        problems.push(`${c.rule} (16-bit): the fix engine offered no ${strategy} fix`);
        continue;
      }
      cases.push(unitFor(c, fixes, strategy));
    }
  }
  return { cases, problems };
}

/** The known gaps of the fix engine the 16-bit cases list (`node proof/bench.js --gaps` runs them). */
const GAPS16 = CASES16.filter((c) => c.gap).map((c) => `${c.source.trim()}: ${c.gap}`);

module.exports = { fixCases16, CASES16, ABIS16, ABI_INDEX16, GAPS16 };
