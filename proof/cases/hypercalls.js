'use strict';
// Ring-0 side of the hypercall fixes for one case: the engine's definitions text for the ABI
// (VIRTLINT_HC_* numbers and friends, copied verbatim), the symbols replacement text refers
// to (the Hyper-V page pointer, Xen's vcpu_info), and hc_dispatch, which reads the number
// and arguments the way the ABI passes them and jumps to the harness's hv_* routine that
// performs the original instruction's CPL 0 meaning.
//
// Register ABIs pass the output address first when the instruction produces something
// (see the fix engine's plans): hc_out = arg 0, inputs follow; otherwise the inputs start
// at arg 0. Hyper-V passes inputs in an 8-byte-per-field block and the output address apart.
// Sizes travel as inputs too (SMSW's byte count, PUSHF's and PUSH Sreg's slot size): the hv_*
// routines write exactly that many bytes, as the engine's hypercallHeader contract says.

const HYPERV_SLOT = 127; // hv_hypercall_pg points at this slot of the stub page

/** rule id -> [harness routine, whether the hypercall has an output address] */
const ROUTINES = {
  sgdt: ['hv_sgdt', true],
  sidt: ['hv_sidt', true],
  sldt: ['hv_sldt', true],
  str: ['hv_str', true],
  smsw: ['hv_smsw', true],
  pushf: ['hv_pushf', true],
  popf: ['hv_popf', false],
  lar: ['hv_lar', true],
  lsl: ['hv_lsl', true],
  verr: ['hv_verr', false],
  verw: ['hv_verw', false],
  'push-sreg': ['hv_push_sreg', true],
  'pop-sreg': ['hv_pop_sreg', false],
  'mov-sreg': ['hv_mov_sreg', 'by-first-argument'],
  int: ['hv_int', false],
  cpuid: ['hv_cpuid', true],
  rdtsc: ['hv_rdtsc', true],
  rdtscp: ['hv_rdtscp', true],
  rdpmc: ['hv_rdpmc', true],
  rdpid: ['hv_rdpid', true],
  xgetbv: ['hv_xgetbv', true],
};

/**
 * 16-bit code: how many arguments each contract names for the calls that pass an address. The
 * number of the segment register the address is relative to (VIRTLINT_SREG_*) follows them, so
 * it is argument number N; the hypervisor adds that register's base to arg0.
 */
const CONTRACT_ARGS_WITH_ADDRESS = {
  sgdt: 1,
  sidt: 1,
  sldt: 1,
  str: 1,
  smsw: 2,
  pushf: 2,
  lar: 3,
  lsl: 3,
  'push-sreg': 3,
  'mov-sreg': 2,
  cpuid: 3,
  rdtsc: 1,
  rdtscp: 1,
  rdpmc: 2,
  rdpid: 1,
  xgetbv: 2,
};

const XEN_EXTRA = [
  ['VIRTLINT_XEN_HC_IRET', 'hv_xen_iret', false, undefined], // IRETQ and IRETD frames
  ['VIRTLINT_XEN_HC_XEN_VERSION', 'hv_nop', false, undefined],
];

function symbolFor(rule) {
  return `VIRTLINT_HC_${rule.toUpperCase().replace(/-/g, '_')}`;
}

function defines(text, symbol) {
  return new RegExp(`(^|[^A-Za-z0-9_])${symbol}([^A-Za-z0-9_]|$)`, 'm').test(text);
}

function argRegisters(abi, bits) {
  if (abi === 'kvm' || abi === 'kvm-amd') return ['F_BX', 'F_CX', 'F_DX', 'F_SI'];
  if (abi === 'xen') return bits === 64 ? ['F_DI', 'F_SI', 'F_DX', 'F_R10', 'F_R8'] : ['F_BX', 'F_CX', 'F_DX', 'F_SI', 'F_DI'];
  return [];
}

/**
 * `segmented`: the caller is 16-bit code (KVM ABIs only): an output address is an offset in the
 * segment whose number follows the contract's arguments, and the harness's hv16_seg_base gives
 * that segment's base as the guest held it.
 */
function hypercallSupport(fix, bits, label = 'hc_dispatch', { segmented = false } = {}) {
  const abi = fix.abi;
  const text = fix.definitions ?? '';
  const lines = [`${label}:`];
  if (abi === 'kvm' || abi === 'kvm-amd') lines.push('  mov zax, [zbp + F_AX]');
  else if (abi === 'hyperv') {
    lines.push(`  cmp eax, ${HYPERV_SLOT}`, '  jne .unknown');
    lines.push(bits === 64 ? '  mov rax, [rbp + F_CX]' : '  mov eax, [ebp + F_AX]', '  and eax, 0xFFFF                 ; the call code');
  }
  // raw arguments
  if (abi === 'hyperv') {
    lines.push(bits === 64 ? '  mov rcx, [rbp + F_R8]' : '  mov ecx, [ebp + F_SI]', '  mov [hc_out], zcx');
    lines.push(bits === 64 ? '  mov rsi, [rbp + F_DX]' : '  mov esi, [ebp + F_CX]');
    for (let i = 0; i < 4; i++) lines.push(`  mov zcx, [zsi + ${8 * i}]`, `  mov [hc_in${i}], zcx`);
  } else {
    argRegisters(abi, bits).forEach((r, i) => lines.push(`  mov zcx, [zbp + ${r}]`, `  mov [hc_raw + ${i}*WSZ], zcx`));
  }
  const targets = [];
  for (const [rule, [routine, hasOutput]] of Object.entries(ROUTINES)) {
    const symbol = symbolFor(rule);
    if (defines(text, symbol)) targets.push({ symbol, routine, hasOutput, segmentArg: segmented ? CONTRACT_ARGS_WITH_ADDRESS[rule] : undefined });
  }
  if (segmented && abi !== 'kvm' && abi !== 'kvm-amd') throw new Error(`no 16-bit hypercall convention for ${abi}`);
  if (abi === 'xen') {
    for (const [symbol, routine, hasOutput, onlyBits] of XEN_EXTRA) {
      if (defines(text, symbol) && (onlyBits === undefined || onlyBits === bits)) targets.push({ symbol, routine, hasOutput });
    }
  }
  targets.forEach((t, i) => lines.push(`  cmp zax, ${t.symbol}`, `  je .t${i}`));
  lines.push('.unknown:', '  xor eax, eax', '  ret');
  targets.forEach((t, i) => {
    lines.push(`.t${i}:`);
    if (abi !== 'hyperv') {
      // 16-bit: the output address plus the base of the segment passed after the contract's arguments
      const addBase = t.segmentArg === undefined ? [] : [`  mov zax, [hc_raw + ${t.segmentArg}*WSZ]`, '  call hv16_seg_base', '  add [hc_out], zax'];
      if (t.hasOutput === 'by-first-argument') {
        // MOV to a segment register passes the register number (0-5) first; MOV from one passes an address
        lines.push('  cmp PTR [hc_raw], 6', `  jb .t${i}_load`, '  call hc_args_with_output', ...addBase, `  jmp ${t.routine}`, `.t${i}_load:`, '  call hc_args_without_output', `  jmp ${t.routine}`);
        return;
      }
      lines.push(t.hasOutput ? '  call hc_args_with_output' : '  call hc_args_without_output', ...(t.hasOutput ? addBase : []));
    }
    lines.push(`  jmp ${t.routine}`);
  });

  return {
    prelude: text,
    dispatch: `${lines.join('\n')}\n`,
  };
}

/** Shared by every dispatcher of an image: argument scratch and the symbols replacement text names. */
function hypercallSymbols() {
  return [
    'hc_args_with_output:',
    '  mov zcx, [hc_raw]',
    '  mov [hc_out], zcx',
    ...[0, 1, 2, 3].flatMap((i) => [`  mov zcx, [hc_raw + ${i + 1}*WSZ]`, `  mov [hc_in${i}], zcx`]),
    '  ret',
    'hc_args_without_output:',
    '  mov PTR [hc_out], 0',
    ...[0, 1, 2, 3].flatMap((i) => [`  mov zcx, [hc_raw + ${i}*WSZ]`, `  mov [hc_in${i}], zcx`]),
    '  ret',
    'align 8',
    'hc_raw: times 6 DW_ 0',
    `hv_hypercall_pg: DW_ hypercall_page + ${HYPERV_SLOT}*32   ; Hyper-V: the pointer to the hypercall page`,
  ].join('\n');
}

module.exports = { hypercallSupport, hypercallSymbols, HYPERV_SLOT };
