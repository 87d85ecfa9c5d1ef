// The fix engine under the same oracle. Each fixture is fixed as `virtlint --fix` does it
// (trap, and hypercall for each ABI): fixes until a pass changes nothing, with the definitions
// file the hypercall fixes include written next to the source, as the CLI writes it. The symbols
// an ABI assumes the kernel provides, such as Xen's hypercall_page, are defined as zeroed data at
// the end. The result must still assemble with the real assembler, and no sensitive instruction
// may hide in it: every one the decoder finds must either carry a `virtlint-fixed: <rule>` marker
// on its line (kept on purpose) or still be reported by virtlint (a statement the engine declines to fix).
import { ruleIdOf } from '../../server/src/analysis/catalogue';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyzeText, ruleForCode, type AnalysisOptions, type RuleId } from '../../server/src/analysis';
import { fixUntilStable, type FixStrategy, type HypercallAbi } from '../../server/src/analysis/fixes';
import { assemble, decodeAll, isDataLine } from '../helpers/assemble';
import { bitsPerLine, FIXTURE_DIR, FIXTURES, packageRoot, type FixtureSpec } from './fixtures';

const MARKER = /virtlint-fixed:\s*([a-z0-9-]+(?:[\s,]+[a-z0-9-]+)*)/i;

function markedRules(line: string): Set<RuleId> {
  const match = MARKER.exec(line);
  return new Set(match ? match[1]!.split(/[\s,]+/).map((s) => ruleIdOf(s.toLowerCase())) : []);
}

interface Row {
  where: string;
  source: string;
  decoder: string;
  virtlint: string;
}

interface Outcome {
  rows: Row[];
  before: number;
  after: number;
  edits: number;
}

/** Stand-ins for what the guest kernel provides: Xen's hypercall page and vcpu_info, Hyper-V's page pointer. */
function kernelSymbols(spec: FixtureSpec): string {
  const symbols = ['hypercall_page', 'xen_vcpu_info', 'hv_hypercall_pg'];
  if (spec.assembler === 'gas') return symbols.map((s) => `${s}: .fill 8192, 1, 0`).join('\n');
  // (`times` would do for FASM too, but the analyzer's handling of it is a separate rule test.)
  if (spec.assembler === 'fasm') return symbols.map((s) => `${s}: rb 8192`).join('\n');
  return symbols.map((s) => `${s}: times 8192 db 0`).join('\n');
}

function check(spec: FixtureSpec, strategy: FixStrategy, abi: HypercallAbi): Outcome {
  const label = strategy === 'trap' ? 'trap' : `hypercall/${abi}`;
  const text = fs.readFileSync(path.join(FIXTURE_DIR, spec.file), 'utf8');
  const options: AnalysisOptions = { fileName: spec.file, dialect: spec.dialect, bits: spec.bits, rules: ['all'] };
  const before = analyzeText(text, options);
  const fixed = fixUntilStable(text, before, strategy, { abi }, (next) => analyzeText(next, options));
  const source = strategy === 'hypercall' ? `${fixed.text.replace(/\n?$/, '\n')}${kernelSymbols(spec)}\n` : fixed.text;
  const lines = source.split(/\r?\n/);
  const companions = fixed.definitions ? { [fixed.definitions.name]: fixed.definitions.text } : {};

  // A failure to assemble throws here with the assembler's own message: the fix broke the file.
  const bytesByLine = assemble(spec.assembler, source, { bits: spec.bits, companions });
  const bits = bitsPerLine(lines, spec.assembler, spec.bits);
  const after = analyzeText(source, options);
  const reported = new Map<number, string[]>();
  for (const f of after.findings) {
    const line = f.mnemonicRange.start.line + 1;
    reported.set(line, [...(reported.get(line) ?? []), f.ruleId]);
  }

  const rows: Row[] = [];
  const decodedLines = new Set<number>();
  for (const [line, bytes] of [...bytesByLine].sort((a, b) => a[0] - b[0])) {
    const sourceLine = lines[line - 1] ?? '';
    if (isDataLine(sourceLine)) continue; // forced-emulation prefixes are emitted as data
    const marked = markedRules(sourceLine);
    const decodedRules = decodeAll(bytes, bits[line]!)
      .map((d) => ruleForCode(d.code))
      .filter((r): r is RuleId => r !== undefined);
    for (const rule of marked) {
      if (!decodedRules.includes(rule)) {
        rows.push({ where: `${spec.file}[${label}]:${line}`, source: sourceLine.trim(), decoder: decodedRules.join(' ') || '-', virtlint: `stale marker "${rule}"` });
      }
    }
    const live = decodedRules.filter((r) => !marked.has(r)).sort();
    const got = (reported.get(line) ?? []).sort();
    decodedLines.add(line);
    if (live.join(',') !== got.join(',')) {
      rows.push({ where: `${spec.file}[${label}]:${line}`, source: sourceLine.trim(), decoder: live.join(' ') || '-', virtlint: got.join(' ') || '-' });
    }
  }
  lines.forEach((sourceLine, index) => {
    if (!bytesByLine.has(index + 1) && markedRules(sourceLine).size > 0) {
      rows.push({ where: `${spec.file}[${label}]:${index + 1}`, source: sourceLine.trim(), decoder: 'no bytes', virtlint: 'stale marker' });
    }
  });
  for (const [line, rules] of reported) {
    if (decodedLines.has(line)) continue;
    rows.push({ where: `${spec.file}[${label}]:${line}`, source: (lines[line - 1] ?? '').trim(), decoder: '-', virtlint: rules.sort().join(' ') });
  }
  return { rows, before: before.findings.length, after: after.findings.length, edits: fixed.applied };
}

function table(rows: readonly Row[]): string {
  const all = [{ where: 'where (fixed text line)', source: 'source line after the fix', decoder: 'decoder (unmarked)', virtlint: 'virtlint' }, ...rows];
  const keys = ['where', 'source', 'decoder', 'virtlint'] as const;
  const widths = keys.map((k) => Math.max(...all.map((r) => r[k].length)));
  return all.map((r) => keys.map((k, i) => r[k].padEnd(widths[i]!)).join(' | ')).join('\n');
}

const REPORT_FILE = path.join(packageRoot(), 'out', 'test-reports', 'fixes-oracle.txt');

describe('fix engine under the oracle: fixAll output assembles and hides nothing', function () {
  this.timeout(120_000);
  const report: string[] = [];

  after(() => {
    fs.mkdirSync(path.dirname(REPORT_FILE), { recursive: true });
    fs.writeFileSync(REPORT_FILE, `${report.join('\n\n')}\n`);
  });

  const variants: [FixStrategy, HypercallAbi][] = [
    ['trap', 'kvm'],
    ['hypercall', 'kvm'],
    ['hypercall', 'kvm-amd'],
    ['hypercall', 'xen'],
    ['hypercall', 'hyperv'],
  ];
  for (const spec of FIXTURES) {
    for (const [strategy, abi] of variants) {
      const label = strategy === 'trap' ? 'trap' : `hypercall/${abi}`;
      it(`${spec.file}: fixAll ${label}`, () => {
        let outcome: Outcome;
        try {
          outcome = check(spec, strategy, abi);
        } catch (error) {
          report.push(`${spec.file} [${label}]: ${error instanceof Error ? error.message.split('\n').slice(0, 6).join('\n') : String(error)}`);
          throw error;
        }
        report.push(`${spec.file} [${label}]: ${outcome.edits} edits, findings ${outcome.before} → ${outcome.after}` + (outcome.rows.length ? `\n${table(outcome.rows)}` : ''));
        if (strategy === 'trap') {
          // The trap strategy has a fallback (the forced-emulation prefix) for every rule, so only
          // statements the engine declines (continued, inside a macro, `;`-joined) stay reported.
          assert.ok(outcome.edits > 0, 'fixAll changed nothing');
          assert.ok(outcome.after <= 3, `findings left after the trap fixes: ${outcome.before} → ${outcome.after}`);
        }
        assert.equal(outcome.rows.length, 0, `${outcome.rows.length} line(s) where the decoder and virtlint disagree after the fix:\n${table(outcome.rows)}`);
      });
    }
  }
});
