// Every instruction rule in every execution mode (real, virtual-8086, 16- and 32-bit protected,
// long, and 16-bit code of unknown mode): whether it is reported, how loudly, and what the
// message claims. The expectations restate the SDM facts, not virtlint's output:
// - real mode has no CPL and checks no segment loads or far transfers;
// - virtual-8086 mode runs at CPL 3, loads segments the real-mode way, and makes PUSHF, POPF,
//   INT n and IRET trap when IOPL < 3;
// - SLDT, STR, LAR, LSL, VERR and VERW raise #UD outside protected mode;
// - in protected and long mode the privilege checks use the real CPL.
import * as assert from 'node:assert/strict';
import { analyzeText, type Bits, type Finding, type RuleId, type Severity } from '../../server/src/analysis';
import { defaultSeverity, RULES, type ProfileId } from '../../server/src/analysis/catalogue/index';

type Mode = 'real' | 'v86' | 'pm16' | 'pm32' | 'long';

/** One NASM statement per rule and bitness that assembles in that bitness. */
const FORMS: Record<string, Record<Bits, string>> = {
  sgdt: { 16: 'sgdt [bx]', 32: 'sgdt [ebx]', 64: 'sgdt [rbx]' },
  sidt: { 16: 'sidt [bx]', 32: 'sidt [ebx]', 64: 'sidt [rbx]' },
  sldt: { 16: 'sldt ax', 32: 'sldt ax', 64: 'sldt ax' },
  smsw: { 16: 'smsw ax', 32: 'smsw eax', 64: 'smsw rax' },
  str: { 16: 'str ax', 32: 'str ax', 64: 'str ax' },
  pushf: { 16: 'pushf', 32: 'pushfd', 64: 'pushfq' },
  popf: { 16: 'popf', 32: 'popfd', 64: 'popfq' },
  lar: { 16: 'lar ax, bx', 32: 'lar eax, bx', 64: 'lar eax, bx' },
  lsl: { 16: 'lsl ax, bx', 32: 'lsl eax, bx', 64: 'lsl eax, bx' },
  verr: { 16: 'verr ax', 32: 'verr ax', 64: 'verr ax' },
  verw: { 16: 'verw ax', 32: 'verw ax', 64: 'verw ax' },
  'push-sreg': { 16: 'push cs', 32: 'push cs', 64: 'push fs' },
  'pop-sreg': { 16: 'pop ds', 32: 'pop ds', 64: 'pop fs' },
  'mov-sreg': { 16: 'mov ax, ss', 32: 'mov ax, ss', 64: 'mov ax, ss' },
  'far-call': { 16: 'call 0x08:0x1000', 32: 'call 0x08:0x1000', 64: 'call far [rax]' },
  'far-jmp': { 16: 'jmp 0x08:0x1000', 32: 'jmp 0x08:0x1000', 64: 'jmp far [rax]' },
  'far-ret': { 16: 'retf', 32: 'retf', 64: 'retf' },
  int: { 16: 'int 0x80', 32: 'int 0x80', 64: 'int 0x80' },
  iret: { 16: 'iret', 32: 'iretd', 64: 'iretq' },
  cpuid: { 16: 'cpuid', 32: 'cpuid', 64: 'cpuid' },
  rdtsc: { 16: 'rdtsc', 32: 'rdtsc', 64: 'rdtsc' },
  rdtscp: { 16: 'rdtscp', 32: 'rdtscp', 64: 'rdtscp' },
  rdpmc: { 16: 'rdpmc', 32: 'rdpmc', 64: 'rdpmc' },
  rdpid: { 16: 'rdpid eax', 32: 'rdpid eax', 64: 'rdpid rax' },
  xgetbv: { 16: 'xgetbv', 32: 'xgetbv', 64: 'xgetbv' },
};

const BITS_OF: Record<Mode, Bits> = { real: 16, v86: 16, pm16: 16, pm32: 32, long: 64 };

/** IOPL-sensitive in virtual-8086 mode [SDM Vol. 3A 20.2.7]. */
const IOPL_SENSITIVE = new Set(['pushf', 'popf', 'int', 'iret']);
/** Protected-mode-only: #UD in real and virtual-8086 mode. */
const PROTECTED_ONLY = new Set(['sldt', 'str', 'lar', 'lsl', 'verr', 'verw']);
/** No CPL, no check outside protected mode. */
const UNCHECKED_OUTSIDE_PROTECTED = new Set(['push-sreg', 'pop-sreg', 'mov-sreg', 'far-call', 'far-jmp', 'far-ret']);

function analyze(ruleId: string, mode: Mode | 'unknown', profile: ProfileId = 'deprivileged-kernel'): Finding[] {
  const bits: Bits = mode === 'unknown' ? 16 : BITS_OF[mode];
  const modeline = mode === 'unknown' ? `; virtlint: dialect=nasm bits=${bits}` : `; virtlint: dialect=nasm bits=${bits} mode=${mode}`;
  const result = analyzeText(`${modeline}\n    ${FORMS[ruleId]![bits]}\n`, { rules: ['all'], profile });
  return result.findings.filter((finding) => finding.ruleId === ruleId);
}

/** The severity a rule has when selected explicitly in the default profile. */
function selected(ruleId: string): Severity {
  const byProfile = defaultSeverity(ruleId, 'deprivileged-kernel');
  return byProfile === 'off' ? 'warning' : byProfile;
}

const CPL_CLAIM = /real CPL|CPL>0|CPL > 0/;

describe('rules per execution mode', () => {
  for (const entry of RULES) {
    const ruleId = entry.id as RuleId;
    describe(ruleId, () => {
      it('real mode: says what real mode does, never claims a CPL check', () => {
        const findings = analyze(ruleId, 'real');
        if (UNCHECKED_OUTSIDE_PROTECTED.has(ruleId)) {
          assert.equal(findings.length, 0, `${ruleId} has nothing to check in real mode: ${findings.map((f) => f.message).join(' | ')}`);
          return;
        }
        assert.equal(findings.length, 1);
        const [finding] = findings as [Finding];
        assert.equal(finding.mode, 'real');
        assert.doesNotMatch(finding.message, CPL_CLAIM);
        if (PROTECTED_ONLY.has(ruleId)) {
          assert.match(finding.message, /#UD in real mode/);
        } else if (IOPL_SENSITIVE.has(ruleId)) {
          assert.match(finding.message, /real mode/);
          assert.match(finding.message, /virtual-8086 mode, where it traps when IOPL < 3/);
          assert.equal(finding.severity, 'hint', 'the VMM sees it: noise at a higher level');
        } else {
          assert.match(finding.message, /real mode/);
          assert.equal(finding.severity, selected(ruleId));
        }
      });

      it('virtual-8086 mode: CPL 3, real-mode segments, IOPL-sensitive flags', () => {
        const findings = analyze(ruleId, 'v86');
        if (UNCHECKED_OUTSIDE_PROTECTED.has(ruleId)) {
          assert.equal(findings.length, 0, findings.map((f) => f.message).join(' | '));
          return;
        }
        assert.equal(findings.length, 1);
        const [finding] = findings as [Finding];
        assert.equal(finding.mode, 'v86');
        assert.match(finding.message, /virtual-8086 mode/);
        assert.doesNotMatch(finding.message, CPL_CLAIM);
        if (PROTECTED_ONLY.has(ruleId)) assert.match(finding.message, /#UD/);
        if (IOPL_SENSITIVE.has(ruleId)) {
          assert.match(finding.message, /IOPL < 3/);
          assert.equal(finding.severity, 'hint');
        }
      });

      for (const mode of ['pm16', 'pm32', 'long'] as const) {
        it(`${mode}: the protected-mode story at the profile's severity`, () => {
          const findings = analyze(ruleId, mode);
          assert.equal(findings.length, 1, `${FORMS[ruleId]![BITS_OF[mode]]} in ${mode}`);
          const [finding] = findings as [Finding];
          assert.equal(finding.mode, mode);
          assert.doesNotMatch(finding.message, /real mode|virtual-8086|cannot tell/);
          if (entry.group === 'core') assert.match(finding.message, /CPL|without trapping|VMM/);
          // `mov ax, ss` and `push cs` store a register holding the CPL and keep the rule's severity;
          // a load (`pop ds`) traps when refused, and `push fs` stores a data selector: both are quieter.
          const quieterForm = ruleId === 'pop-sreg' || (ruleId === 'push-sreg' && mode === 'long');
          if (!quieterForm) assert.equal(finding.severity, selected(ruleId));
        });
      }

      it('16-bit code of unknown mode: says the mode is unknown instead of claiming a CPL check', () => {
        const findings = analyze(ruleId, 'unknown');
        assert.equal(findings.length, 1);
        const [finding] = findings as [Finding];
        assert.equal(finding.mode, 'unknown');
        assert.match(finding.message, /if this 16-bit code runs in protected mode/);
        assert.match(finding.message, /virtlint: mode=/);
        assert.notEqual(finding.severity, 'error', 'an error would claim protected mode');
      });
    });
  }
});

describe('messages per operand form and profile', () => {
  function one(code: string, bits: Bits, profile: ProfileId, mode = bits === 16 ? 'pm16' : bits === 32 ? 'pm32' : 'long'): Finding[] {
    return analyzeText(`; virtlint: dialect=nasm bits=${bits} mode=${mode}\n    ${code}\n`, { profile }).findings.filter((finding) => finding.ruleId.endsWith('sreg'));
  }

  it('a CS/SS store reveals the CPL; a data segment load is checked and faults to the VMM', () => {
    const store = one('mov ax, cs', 32, 'deprivileged-kernel');
    assert.equal(store.length, 1);
    assert.match(store[0]!.message, /stores CS, whose low two bits are the real CPL/);
    assert.equal(store[0]!.severity, 'warning');
    const load = one('mov ds, ax', 32, 'deprivileged-kernel');
    assert.equal(load.length, 1);
    assert.match(load[0]!.message, /loads a selector checked against the real CPL/);
    assert.match(load[0]!.message, /#GP, which reaches the VMM/);
    assert.doesNotMatch(load[0]!.message, /storing|stores CS/);
    assert.equal(load[0]!.severity, 'info', 'a refused load traps, so the VMM is not bypassed');
    const ss = one('mov ss, ax', 32, 'deprivileged-kernel');
    assert.match(ss[0]!.message, /SS needs RPL = DPL = CPL/);
  });

  it('vm-detection-audit: loads and data-segment stores reveal nothing and are not reported; CS/SS stores are', () => {
    for (const code of ['mov ds, ax', 'mov ss, ax', 'mov ax, ds', 'pop es']) assert.deepEqual(one(code, 32, 'vm-detection-audit'), [], code);
    assert.deepEqual(one('push ds', 32, 'vm-detection-audit'), []);
    const push = one('push cs', 32, 'vm-detection-audit');
    assert.equal(push.length, 1);
    assert.match(push[0]!.message, /pushes CS and so reveals the real CPL/);
    const store = one('mov ax, ss', 64, 'vm-detection-audit');
    assert.match(store[0]!.message, /reveals the real CPL/);
    assert.doesNotMatch(store[0]!.message, /deprivileged/);
  });

  it('vm-detection-audit speaks of what is revealed, not of a deprivileged kernel', () => {
    for (const ruleId of ['sgdt', 'sidt', 'sldt', 'str', 'smsw', 'cpuid', 'rdtsc', 'rdtscp', 'rdpmc', 'rdpid', 'xgetbv', 'pushf', 'lar']) {
      const findings = analyze(ruleId, 'pm32', 'vm-detection-audit');
      assert.equal(findings.length, 1, ruleId);
      assert.match(findings[0]!.message, /reveal/, ruleId);
      assert.doesNotMatch(findings[0]!.message, /deprivileged/, ruleId);
    }
  });

  it('hardware-assisted-guest speaks of exits', () => {
    for (const ruleId of ['sgdt', 'sidt', 'sldt', 'str', 'smsw', 'cpuid', 'rdtsc', 'rdpmc', 'far-call', 'far-jmp', 'xgetbv']) {
      const findings = analyze(ruleId, 'long', 'hardware-assisted-guest');
      assert.equal(findings.length, 1, ruleId);
      assert.match(findings[0]!.message, /exit/, ruleId);
      assert.doesNotMatch(findings[0]!.message, /deprivileged/, ruleId);
    }
  });

  it('hardware-assisted-guest in real mode: unrestricted guest, not a virtual-8086 monitor', () => {
    for (const ruleId of ['sgdt', 'sidt', 'smsw']) {
      const findings = analyze(ruleId, 'real', 'hardware-assisted-guest');
      assert.equal(findings.length, 1, ruleId);
      assert.match(findings[0]!.message, /real mode/, ruleId);
      assert.match(findings[0]!.message, /VT-x/, ruleId);
      assert.doesNotMatch(findings[0]!.message, /software VMM|virtual-8086/, ruleId);
    }
  });

  it('one voice: the messages say "the VMM", never "the host\'s" register', () => {
    for (const entry of RULES) {
      for (const profile of ['deprivileged-kernel', 'vm-detection-audit', 'hardware-assisted-guest'] as const) {
        for (const mode of ['real', 'v86', 'pm32', 'long'] as const) {
          for (const finding of analyze(entry.id, mode, profile)) {
            assert.doesNotMatch(finding.message, /host's (GDT|IDT|LDT|TSS)/, `${entry.id} ${profile} ${mode}`);
            assert.doesNotMatch(finding.message, /\bdeprivileged guest\b/, `${entry.id} ${profile} ${mode}`);
          }
        }
      }
    }
  });

  it('a severity the user set is kept in every mode', () => {
    const findings = analyzeText('; virtlint: dialect=nasm bits=16 mode=real\n    popf\n    mov ds, ax\n', { severities: { popf: 'error', 'mov-sreg': 'warning' } }).findings;
    assert.deepEqual(
      findings.map((finding) => [finding.ruleId, finding.severity, finding.mode]),
      [
        ['popf', 'error', 'real'],
        ['mov-sreg', 'warning', 'real'],
      ],
    );
    assert.match(findings[1]!.message, /real mode/);
  });
});
