// fast-check: random operands (registers and memory forms, stack-relative ones included)
// for the rules that take them, in NASM and GNU as AT&T/Intel, 32- and 64-bit; every fix is
// assembled and decoded with the same checks as the fixed matrix.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import * as iced from 'iced-x86';
import type { Bits, RuleId } from '../../server/src/analysis';
import { fixesForFinding, type FixOptions } from '../../server/src/analysis/fixes';
import { buildFixture, checkFix, originalDecoded, type TestDialect } from './fixture';

interface Mem {
  base: string;
  index?: string;
  scale: 1 | 2 | 4 | 8;
  disp: number;
}

const BASES: Record<32 | 64, string[]> = {
  64: ['rsp', 'rsp', 'rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'r8', 'r11'],
  32: ['esp', 'esp', 'eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp'],
};
const INDEXES: Record<32 | 64, string[]> = {
  64: ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'r9'],
  32: ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi'],
};

function memArbitrary(bits: 32 | 64): fc.Arbitrary<Mem> {
  return fc.record({
    base: fc.constantFrom(...BASES[bits]),
    index: fc.option(fc.constantFrom(...INDEXES[bits]), { nil: undefined }),
    scale: fc.constantFrom(1 as const, 2 as const, 4 as const, 8 as const),
    disp: fc.oneof(fc.constant(0), fc.integer({ min: -128, max: 256 }), fc.integer({ min: -4096, max: 65536 })),
  });
}

function intelMem(m: Mem, ptr: boolean): string {
  const index = m.index ? `+${m.index}*${m.scale}` : '';
  const disp = m.disp === 0 ? '' : m.disp > 0 ? `+${m.disp}` : `${m.disp}`;
  return `word ${ptr ? 'ptr ' : ''}[${m.base}${index}${disp}]`;
}

function attMem(m: Mem): string {
  const index = m.index ? `,%${m.index},${m.scale}` : '';
  return `${m.disp === 0 ? '' : m.disp}(%${m.base}${index})`;
}

function memText(m: Mem, dialect: TestDialect): string {
  return dialect === 'gas-att' ? attMem(m) : intelMem(m, dialect === 'gas-intel');
}

/** Rules whose operand is one memory destination or source. */
const MEM_RULES: { rule: RuleId; intel: (m: string) => string; att: (m: string) => string }[] = [
  { rule: 'sgdt', intel: (m: string) => `sgdt ${m.replace(/^word (ptr )?/, '')}`, att: (m: string) => `sgdt ${m}` },
  { rule: 'smsw', intel: (m: string) => `smsw ${m}`, att: (m: string) => `smsw ${m}` },
  { rule: 'sldt', intel: (m: string) => `sldt ${m}`, att: (m: string) => `sldt ${m}` },
  { rule: 'str', intel: (m: string) => `str ${m}`, att: (m: string) => `str ${m}` },
  { rule: 'verw', intel: (m: string) => `verw ${m}`, att: (m: string) => `verw ${m}` },
  { rule: 'lsl', intel: (m: string) => `lsl edx, ${m}`, att: (m: string) => `lsl ${m}, %edx` },
  { rule: 'mov-sreg', intel: (m: string) => `mov ${m}, ss`, att: (m: string) => `mov %ss, ${m}` },
];

const REGS16 = ['ax', 'bx', 'cx', 'dx', 'si', 'di', 'bp'];
const REG_RULES: { rule: RuleId; widths: number[] }[] = [
  { rule: 'smsw', widths: [2, 4, 8] },
  { rule: 'sldt', widths: [2, 4, 8] },
  { rule: 'str', widths: [2, 4, 8] },
  { rule: 'lar', widths: [2, 4, 8] },
  { rule: 'verr', widths: [2] },
];

function widen(reg16: string, width: number): string {
  if (width === 2) return reg16;
  return (width === 4 ? 'e' : 'r') + reg16;
}

const STRATEGIES: { label: string; options: FixOptions; pick: 'trap' | 'hypercall' }[] = [
  { label: 'trap', options: { abi: 'kvm' }, pick: 'trap' },
  { label: 'kvm', options: { abi: 'kvm' }, pick: 'hypercall' },
  { label: 'xen', options: { abi: 'xen' }, pick: 'hypercall' },
  { label: 'hyperv', options: { abi: 'hyperv' }, pick: 'hypercall' },
];

const STACK_BASES = new Set([iced.Register.RSP, iced.Register.ESP]);

function checkAll(dialect: TestDialect, bits: Bits, rule: RuleId, instruction: string, pick: 'trap' | 'hypercall', options: FixOptions): void {
  const fixture = buildFixture({ dialect, bits, ruleId: rule, instruction, abi: options.abi });
  const fixes = fixesForFinding(fixture.text, fixture.result, fixture.finding, options).filter((f) => f.strategy === pick);
  assert.ok(fixes.length > 0, `no ${pick} fix for ${instruction}`);
  const original = originalDecoded(fixture);
  for (const fix of fixes) {
    const checked = checkFix(fixture, fix);
    assert.equal(checked.netStack, original.stackDelta, 'stack balanced');
    if (original.memory) {
      let depth = 0;
      let found = false;
      for (const line of checked.region) {
        for (const d of line.decoded) {
          const m = d.memory;
          if (m && m.base === original.memory.base && m.index === original.memory.index && m.scale === original.memory.scale) {
            const expected = STACK_BASES.has(original.memory.base) ? original.memory.displacement + BigInt(depth) : original.memory.displacement;
            if (BigInt.asIntN(32, m.displacement) === BigInt.asIntN(32, expected)) found = true;
          }
          depth -= d.stackDelta;
        }
      }
      assert.ok(found, `the memory operand of "${instruction}" is not used with the right stack adjustment:\n${checked.after}`);
    }
  }
}

const DIALECTS: TestDialect[] = ['nasm', 'gas-att', 'gas-intel'];

describe('fixes: generated operands (fast-check)', function () {
  this.timeout(300_000);
  for (const bits of [32, 64] as const) {
    for (const { label, options, pick } of STRATEGIES) {
      it(`${bits}-bit memory operands, ${label}`, () => {
        fc.assert(
          fc.property(fc.constantFrom(...DIALECTS), fc.constantFrom(...MEM_RULES), memArbitrary(bits), (dialect, spec, m) => {
            const operand = memText(m, dialect);
            const instruction = dialect === 'gas-att' ? spec.att(operand) : spec.intel(operand);
            checkAll(dialect, bits, spec.rule, instruction, pick, options);
          }),
          { numRuns: 30, seed: 20261123 + bits, endOnFailure: true },
        );
      });
      it(`${bits}-bit register operands, ${label}`, () => {
        fc.assert(
          fc.property(fc.constantFrom(...DIALECTS), fc.constantFrom(...REG_RULES), fc.constantFrom(...REGS16), fc.constantFrom(...REGS16), fc.nat(2), (dialect, spec, r1, r2, w) => {
            const width = spec.widths[Math.min(w, spec.widths.length - 1)]!;
            if (width === 8 && bits === 32) return;
            const dest = widen(r1, width);
            const p = dialect === 'gas-att' ? '%' : '';
            let instruction: string;
            if (spec.rule === 'lar') instruction = dialect === 'gas-att' ? `lar %${r2}, %${dest}` : `lar ${dest}, ${r2}`;
            else if (spec.rule === 'verr') instruction = `verr ${p}${r1}`;
            else instruction = `${spec.rule} ${p}${dest}`;
            checkAll(dialect, bits, spec.rule, instruction, pick, options);
          }),
          { numRuns: 30, seed: 20261124 + bits, endOnFailure: true },
        );
      });
    }
  }
});
