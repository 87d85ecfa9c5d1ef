// Every rule × dialect × bitness × strategy/ABI: apply the fix to a small file, assemble
// before and after with the real assembler, decode with iced-x86 and check the result.
import * as assert from 'node:assert/strict';
import * as iced from 'iced-x86';
import { BITS, type Bits } from '../../server/src/analysis';
import { fixesForFinding, HYPERCALL_RULES, type FixOptions, type QuickFix } from '../../server/src/analysis/fixes';
import { CASE_RULES, instructionFor } from './cases';
import { ASSEMBLED_DIALECTS, buildFixture, checkFix, originalDecoded, type CheckedFix, type Fixture } from './fixture';

const ABIS: FixOptions['abi'][] = ['kvm', 'kvm-amd', 'xen', 'hyperv', 'custom'];
const CONTROL_TRANSFER = new Set(['int', 'iret', 'far-ret', 'far-jmp', 'far-call']);

const HYPERCALL_INSTRUCTION: Record<FixOptions['abi'], RegExp> = {
  kvm: /^Vmcall$/,
  'kvm-amd': /^Vmmcall$/,
  xen: /^(Call|Jmp)_rel32_(32|64)$/,
  hyperv: /^Call_rm(32|64)$/,
  custom: /^Vmcall$/, // the default template
};

/** The user's memory operand must reappear with its displacement moved by the pushes before it. */
function assertMemoryOperandSurvives(fixture: Fixture, checked: CheckedFix): void {
  const original = originalDecoded(fixture).memory;
  if (!original) return;
  let depth = 0;
  const stackBases = new Set(['RSP', 'ESP', 'SP'].map((n) => (iced.Register as unknown as Record<string, number>)[n]));
  for (const line of checked.region) {
    for (const d of line.decoded) {
      const m = d.memory;
      if (m && m.base === original.base && m.index === original.index && m.scale === original.scale) {
        const expected = stackBases.has(original.base) ? original.displacement + BigInt(depth) : original.displacement;
        if (BigInt.asIntN(32, m.displacement) === BigInt.asIntN(32, expected)) return;
      }
      depth -= d.stackDelta;
    }
  }
  assert.fail(`no instruction in the fix uses the original memory operand adjusted for the stack:\n${checked.after}`);
}


/**
 * 16-bit code: the sequence's own stack slots are read through BP (never ESP, whose upper half
 * may hold anything), and a call that passes an address also passes its segment register.
 */
function assertSixteenBitFrame(fix: QuickFix, checked: CheckedFix): void {
  const register = iced.Register as unknown as Record<string, number>;
  for (const line of checked.region) {
    for (const d of line.decoded) {
      if (d.memory && d.memory.base === register.ESP && !d.codeName.startsWith('Lea_')) assert.fail(`"${line.text}" reads the stack through ESP in 16-bit code`);
    }
  }
  const passesAddress = /\blea\s+(e(ax|bx|cx|dx|si|di)\s*,|[^\n]*,\s*%e(ax|bx|cx|dx|si|di)\b)/.test(fix.edit.newText);
  if (passesAddress) assert.match(fix.edit.newText, /VIRTLINT_SREG_(SS|DS|ES|FS|GS)\b/, 'the segment of the address goes along');
}

function checkCommon(fixture: Fixture, fix: QuickFix): CheckedFix {
  const checked = checkFix(fixture, fix);
  if (!CONTROL_TRANSFER.has(fixture.spec.ruleId)) {
    const expected = originalDecoded(fixture).stackDelta;
    assert.equal(checked.netStack, expected, `net stack change ${checked.netStack}, the original instruction's is ${expected}`);
  }
  assertMemoryOperandSurvives(fixture, checked);
  const firstLine = checked.after.split('\n')[fixture.line]!;
  assert.match(firstLine, /^target_site:/, 'the label stays at the start of the line');
  assert.ok(checked.after.includes('keep this comment'), 'the trailing comment is kept');
  return checked;
}

/** 16-bit code has hypercalls where the ABI has a 16-bit convention: KVM's and a register template's, not Xen's or Hyper-V's. */
function hypercallExpected(rule: string, abi: FixOptions['abi'], bits: Bits): boolean {
  if (bits === 16 && (abi === 'xen' || abi === 'hyperv')) return false;
  if (abi === 'xen' && rule === 'iret') return bits !== 16; // Xen's iret hypercall: IRETD and IRETQ frames
  if (abi === 'xen' && rule === 'far-ret') return bits === 32; // a 32-bit RETF frame made an IRETD frame for Xen's iret hypercall
  if (abi === 'xen' && (rule === 'pushf' || rule === 'popf')) return true;
  return (HYPERCALL_RULES as readonly string[]).includes(rule);
}

for (const dialect of ASSEMBLED_DIALECTS) {
  for (const bits of BITS) {
    describe(`fixes: ${dialect} ${bits}-bit`, function () {
      this.timeout(60_000);
      for (const rule of CASE_RULES) {
        const instruction = instructionFor(rule, dialect, bits);
        if (!instruction) continue;
        for (const abi of ['kvm', 'xen'] as const) {
          it(`${rule} (${instruction}) trap strategy, ${abi} prefix`, () => {
            const fixture = buildFixture({ dialect, bits, ruleId: rule, instruction, abi });
            const fixes = fixesForFinding(fixture.text, fixture.result, fixture.finding, { abi }).filter((f) => f.strategy === 'trap');
            const kinds = fixes.map((f) => f.kind);
            const expectEquivalent = rule === 'smsw' || rule === 'popf';
            assert.deepEqual(kinds, expectEquivalent ? ['trap-equivalent', 'forced-emulation'] : ['forced-emulation']);
            for (const fix of fixes) {
              const checked = checkCommon(fixture, fix);
              if (fix.kind === 'trap-equivalent' && rule === 'smsw') assert.ok(checked.allCodes.some((c) => /^Mov_r(32|64)_cr$/.test(c)), checked.allCodes.join(' '));
              if (fix.kind === 'trap-equivalent' && rule === 'popf') {
                for (const needed of ['Cli', 'Sti']) assert.ok(checked.allCodes.includes(needed), `${needed} missing: ${checked.allCodes.join(' ')}`);
                assert.ok(checked.allCodes.some((c) => /^Popf/.test(c)), 'the kept POPF is there');
              }
              if (fix.kind === 'forced-emulation') assert.match(fix.title, abi === 'xen' ? /Xen's/ : /KVM's/);
            }
          });
        }
        for (const abi of ABIS) {
          it(`${rule} (${instruction}) hypercall, ${abi}`, () => {
            const fixture = buildFixture({ dialect, bits, ruleId: rule, instruction, abi });
            const fixes = fixesForFinding(fixture.text, fixture.result, fixture.finding, { abi }).filter((f) => f.strategy === 'hypercall');
            if (!hypercallExpected(rule, abi, bits)) {
              assert.deepEqual(fixes.map((f) => f.title), [], 'no hypercall fix is offered here');
              return;
            }
            assert.equal(fixes.length, 1, 'one hypercall fix');
            const checked = checkCommon(fixture, fixes[0]!);
            const special = abi === 'xen' && (rule === 'pushf' || rule === 'popf');
            if (special) {
              assert.ok(fixes[0]!.edit.newText.includes('xen_vcpu_info+VIRTLINT_XEN_VCPU_UPCALL_MASK'), 'uses the event-channel mask');
            } else {
              assert.ok(checked.allCodes.some((c) => HYPERCALL_INSTRUCTION[abi].test(c)), `no ${String(HYPERCALL_INSTRUCTION[abi])} in ${checked.allCodes.join(' ')}`);
            }
            if (bits === 16) assertSixteenBitFrame(fixes[0]!, checked);
          });
        }
      }
    });
  }
}
