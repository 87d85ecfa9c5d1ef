// Fixes on macro body lines, with the real assemblers as the oracle. A macro holds one line per
// rule and is invoked twice. Its body is fixed through planFixes/applyEdits (what the CLI
// does); the fixed file must assemble (two expansions: a label the fix adds that is not new in
// each expansion is a duplicate) and each use must hold the fixes' code: the same bytes as the
// same lines written out twice and fixed outside any macro (the matrix tier checks that code),
// plus the prefixes, CLI/STI, MOV from CR0 and VMCALLs counted in each use's own bytes.
import * as assert from 'node:assert/strict';
import { analyzeText, type AnalysisResult, type Bits, type Dialect, type Finding } from '../../server/src/analysis';
import { analyzeProject } from '../../server/src/analysis/project';
import {
  applyEdits,
  fixesForFinding,
  fixForStrategy,
  FORCED_EMULATION_PREFIX,
  hypercallDefinitions,
  macroFixRefusal,
  plannedEdits,
  planFixes,
  type FixOptions,
  type FixStrategy,
} from '../../server/src/analysis/fixes';
import { assembleDetailed, decodeAll } from '../helpers/assemble';
import { CASE_RULES, instructionFor } from './cases';
import { ASSEMBLED_DIALECTS, assemblerFor, type TestDialect } from './fixture';

const MACRO = 'SENSITIVE_BODY';

interface Variant {
  strategy: FixStrategy;
  abi: FixOptions['abi'];
}
const VARIANTS: Variant[] = [
  { strategy: 'trap', abi: 'kvm' },
  { strategy: 'trap', abi: 'xen' },
  { strategy: 'hypercall', abi: 'kvm' },
  { strategy: 'hypercall', abi: 'xen' },
];

function header(dialect: Dialect, bits: Bits, abi: FixOptions['abi']): string[] {
  const lines: string[] = [];
  if (dialect === 'gas-intel') lines.push('.intel_syntax noprefix');
  lines.push(dialect === 'nasm' ? `bits ${bits}` : dialect === 'fasm' ? `use${bits}` : `.code${bits}`);
  lines.push(...hypercallDefinitions(dialect, abi).trimEnd().split('\n'));
  for (const [name, value] of [['hypercall_page', '0x1000'], ['hv_hypercall_pg', '0x2000'], ['xen_vcpu_info', '0x3000']] as const) {
    lines.push(dialect === 'fasm' ? `${name} = ${value}` : dialect === 'nasm' ? `${name} equ ${value}` : `.set ${name}, ${value}`);
  }
  return lines;
}

function bodyLines(dialect: TestDialect, bits: Bits): string[] {
  const lines = ['    nop'];
  for (const rule of CASE_RULES) {
    const instruction = instructionFor(rule, dialect, bits);
    if (instruction) lines.push(`    ${instruction}`);
  }
  return lines;
}

function macroText(dialect: TestDialect, bits: Bits, abi: FixOptions['abi']): string {
  const body = bodyLines(dialect, bits);
  const open = dialect === 'nasm' ? `%macro ${MACRO} 0` : dialect === 'fasm' ? `macro ${MACRO} {` : `.macro ${MACRO}`;
  const close = dialect === 'nasm' ? '%endmacro' : dialect === 'fasm' ? '}' : '.endm';
  return [...header(dialect, bits, abi), open, ...body, close, `    ${MACRO}`, '    nop', `    ${MACRO}`].join('\n') + '\n';
}

/** The same code with the body written out at both places instead of invoked. */
function inlineText(dialect: TestDialect, bits: Bits, abi: FixOptions['abi']): string {
  const body = bodyLines(dialect, bits);
  return [...header(dialect, bits, abi), ...body, '    nop', ...body].join('\n') + '\n';
}

function fixed(text: string, dialect: Dialect, bits: Bits, variant: Variant): { text: string; result: AnalysisResult; count: number } {
  const result = analyzeText(text, { dialect, bits, rules: ['all'] });
  const planned = planFixes(text, result, variant.strategy, { abi: variant.abi });
  return { text: applyEdits(text, plannedEdits(planned)), result, count: planned.fixes.length };
}

const PREFIX_HEX = Object.values(FORCED_EMULATION_PREFIX).map((bytes) => Buffer.from(bytes).toString('hex'));

function occurrences(haystack: string, needle: string): number {
  let count = 0;
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + 1)) if (at % 2 === 0) count++;
  return count;
}

/** Decoded code names of a use's bytes with the forced-emulation prefixes (data, not code) cut out. */
function codeNames(bytes: Uint8Array, bits: Bits): string[] {
  let hex = Buffer.from(bytes).toString('hex');
  for (const prefix of PREFIX_HEX) hex = hex.split(prefix).join('');
  return decodeAll(Buffer.from(hex, 'hex'), bits).map((d) => d.codeName);
}

function count(names: readonly string[], pattern: RegExp): number {
  return names.filter((name) => pattern.test(name)).length;
}

describe('fixes: macro body lines, assembled (every use changes)', function () {
  this.timeout(180_000);
  for (const dialect of ASSEMBLED_DIALECTS) {
    for (const bits of [32, 64] as Bits[]) {
      for (const variant of VARIANTS) {
        it(`${dialect} ${bits}-bit ${variant.strategy}/${variant.abi}: the body is fixed once and both uses hold the fix`, () => {
          const text = macroText(dialect, bits, variant.abi);
          const macro = fixed(text, dialect, bits, variant);
          const bodyFindings = macro.result.findings.filter((f) => f.instruction?.inMacro);
          assert.ok(bodyFindings.length >= 10, `the body's sensitive lines are reported (${bodyFindings.length})`);
          const fixes = bodyFindings.map((f) => fixForStrategy(text, f, variant.strategy, { abi: variant.abi })).filter((f) => f !== undefined);
          for (const fix of fixes) assert.ok(fix.title.endsWith(`in the body of ${MACRO} (changes every use)`), fix.title);
          if (variant.strategy === 'trap') assert.equal(fixes.length, bodyFindings.length, 'every body line gets a trap-strategy fix');

          const inline = fixed(inlineText(dialect, bits, variant.abi), dialect, bits, variant);
          assert.equal(macro.count * 2, inline.count, 'as many fixes in the body as in one written-out copy');

          const assembler = assemblerFor(dialect);
          const assembled = assembleDetailed(assembler, macro.text, { bits }); // throws on duplicate labels
          const reference = assembleDetailed(assembler, inline.text, { bits });
          assert.equal(Buffer.from(assembled.image).toString('hex'), Buffer.from(reference.image).toString('hex'), 'the uses assemble to the fixed written-out code');

          const lines = macro.text.split('\n');
          const uses = lines.flatMap((line, index) => (line.trim() === MACRO ? [index + 1] : []));
          assert.equal(uses.length, 2);
          const [first, second] = uses.map((line) => assembled.lines.get(line) ?? new Uint8Array());
          // Not byte-identical: a near call to the hypercall page is relative to where each use sits.
          assert.ok(first!.length > 0 && first!.length === second!.length, 'both uses hold code of the same size');
          for (const use of [first!, second!]) checkUse(use, bits, variant, fixes.map((f) => ({ kind: f.kind, ruleId: f.ruleId })));

          const again = fixed(macro.text, dialect, bits, variant);
          assert.equal(again.count, 0, 'a second run changes nothing');
        });
      }
    }
  }
});

function checkUse(bytes: Uint8Array, bits: Bits, variant: Variant, fixes: { kind: string; ruleId: string }[]): void {
  const hex = Buffer.from(bytes).toString('hex');
  const names = codeNames(bytes, bits);
  const flavour = variant.abi === 'xen' ? 'xen' : 'kvm';
  const prefixes = fixes.filter((f) => f.kind === 'forced-emulation').length;
  assert.equal(occurrences(hex, Buffer.from(FORCED_EMULATION_PREFIX[flavour]).toString('hex')), prefixes, `${flavour} prefixes in one use`);
  const trapped = (rule: string) => fixes.some((f) => f.kind === 'trap-equivalent' && f.ruleId === rule);
  if (variant.strategy === 'trap') {
    assert.equal(count(names, /^Mov_r(32|64)_cr$/), trapped('smsw') ? 1 : 0, 'MOV from CR0 for SMSW');
    assert.equal(count(names, /^Cli$/), trapped('popf') ? 1 : 0, 'CLI for POPF');
    assert.equal(count(names, /^Sti$/), trapped('popf') ? 1 : 0, 'STI for POPF');
  } else if (variant.abi === 'kvm') {
    assert.equal(count(names, /^Vmcall$/), fixes.filter((f) => f.kind === 'hypercall').length, 'one VMCALL per hypercall fix');
  } else {
    assert.ok(count(names, /^(Call|Jmp)_rel32_(32|64)$/) > 0, 'Xen hypercall page calls');
  }
}

describe('fixes: macro body lines that stay unfixed', () => {
  const read = (files: Record<string, string>) => ({ read: (path: string) => (path in files ? { text: files[path]! } : { error: 'not found' }) });
  const PARAMETERISED: Record<TestDialect, string[]> = {
    nasm: ['bits 32', '%macro STORE_MSW 1', '    smsw %1', '%endmacro', '    STORE_MSW ax', '    STORE_MSW [esp+4]'],
    'gas-att': ['.code32', '.macro STORE_MSW dst', '    smsw \\dst', '.endm', '    STORE_MSW %ax', '    STORE_MSW 4(%esp)'],
    'gas-intel': ['.intel_syntax noprefix', '.code32', '.macro STORE_MSW dst', '    smsw \\dst', '.endm', '    STORE_MSW ax', '    STORE_MSW [esp+4]'],
    fasm: ['use32', 'macro STORE_MSW dst {', '    smsw dst', '}', '    STORE_MSW ax', '    STORE_MSW word [esp+4]'],
  };
  for (const dialect of ASSEMBLED_DIALECTS) {
    it(`${dialect}: a body line whose operand is a parameter gets no fix, and says why (whole-program reading)`, () => {
      const text = PARAMETERISED[dialect].join('\n') + '\n';
      const project = analyzeProject({ files: ['/p/a.asm'], reader: read({ '/p/a.asm': text }), options: { analysis: {}, settingsFor: () => ({ dialect, bits: 32 }) } });
      const result = project.files.get('/p/a.asm')!.result;
      const bodyLine = PARAMETERISED[dialect].findIndex((line) => /^\s+smsw /.test(line));
      const onBody = result.findings.filter((f) => f.ruleId === 'smsw' && f.range.start.line === bodyLine);
      assert.equal(onBody.length, 1, 'the body line carries the uses\' finding');
      assert.deepEqual(fixesForFinding(text, result, onBody[0]!, { abi: 'kvm' }), []);
      assert.match(macroFixRefusal(text, onBody[0]!, result.dialect) ?? '', /parameter/);
      const atUses = result.findings.filter((f) => f.ruleId === 'smsw' && f.macroChain);
      assert.equal(atUses.length, 2);
      for (const finding of atUses) {
        assert.deepEqual(fixesForFinding(text, result, finding, { abi: 'kvm' }), []);
        assert.match(macroFixRefusal(text, finding, result.dialect) ?? '', /body of STORE_MSW/);
      }
      assert.equal(planFixes(text, result, 'trap', { abi: 'kvm' }).fixes.length, 0);
    });
  }

  it('a parameter the parser reads as a symbol (fasm `smsw [dst]`) is refused by name', () => {
    const text = ['use32', 'macro STORE_MSW dst {', '    smsw [dst]', '}', '    STORE_MSW esp'].join('\n') + '\n';
    const result = analyzeText(text, { dialect: 'fasm', bits: 32 });
    const finding = result.findings.find((f) => f.ruleId === 'smsw') as Finding;
    assert.ok(finding.instruction?.inMacro);
    assert.deepEqual(fixesForFinding(text, result, finding, { abi: 'kvm' }), []);
    assert.match(macroFixRefusal(text, finding, 'fasm') ?? '', /parameter dst/);
  });
});
