// Re-linting a fixed file finds nothing on the fixed lines: virtlint recognises its own
// replacements (`virtlint-fixed:` markers, prefixes, hypercall sequences). Needs the real
// analyzer (analyzeText); the same fixture must be flagged before the fix.
import * as assert from 'node:assert/strict';
import { analyzeText, BITS } from '../../server/src/analysis';
import { applyEdits, fixesForFinding, type FixOptions } from '../../server/src/analysis/fixes';
import { CASE_RULES, instructionFor } from './cases';
import { ASSEMBLED_DIALECTS, buildFixture } from './fixture';

const RUNS: { label: string; abi: FixOptions['abi']; strategy: 'trap' | 'hypercall' }[] = [
  { label: 'trap (KVM prefix)', abi: 'kvm', strategy: 'trap' },
  { label: 'trap (Xen prefix)', abi: 'xen', strategy: 'trap' },
  { label: 'hypercall KVM', abi: 'kvm', strategy: 'hypercall' },
  { label: 'hypercall Xen', abi: 'xen', strategy: 'hypercall' },
  { label: 'hypercall Hyper-V', abi: 'hyperv', strategy: 'hypercall' },
];

describe('fixes: re-lint finds nothing on fixed lines', () => {
  for (const dialect of [...ASSEMBLED_DIALECTS, 'masm' as const]) {
    for (const bits of BITS) {
      // 16-bit code gets hypercalls from KVM only of these ABIs (asserted in matrix.test.ts).
      for (const run of RUNS.filter((r) => bits !== 16 || r.strategy === 'trap' || r.abi === 'kvm')) {
        it(`${dialect} ${bits}-bit, ${run.label}`, () => {
          const problems: string[] = [];
          let fixed = 0;
          for (const rule of CASE_RULES) {
            const instruction = instructionFor(rule, dialect, bits);
            if (!instruction) continue;
            const fixture = buildFixture({ dialect, bits, ruleId: rule, instruction, abi: run.abi });
            const options = { dialect, bits, rules: ['all'] };
            const before = analyzeText(fixture.text, options).findings.filter((f) => f.range.start.line === fixture.line);
            if (!before.some((f) => f.ruleId === rule)) problems.push(`${instruction}: not reported before the fix (got ${before.map((f) => f.ruleId).join(', ') || 'nothing'})`);
            for (const fix of fixesForFinding(fixture.text, fixture.result, fixture.finding, { abi: run.abi }).filter((f) => f.strategy === run.strategy)) {
              fixed++;
              const after = applyEdits(fixture.text, [fix.edit]);
              const last = fixture.line + fix.edit.newText.split('\n').length - 1;
              const left = analyzeText(after, options).findings.filter((f) => f.range.start.line >= fixture.line && f.range.start.line <= last);
              for (const f of left) problems.push(`${fix.title}: line ${f.range.start.line + 1} still reports ${f.ruleId} (${f.message})`);
            }
          }
          assert.ok(fixed > 0, 'no fix was produced for this combination');
          assert.deepEqual(problems, []);
        });
      }
    }
  }
});
