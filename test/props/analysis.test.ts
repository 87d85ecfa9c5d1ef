// Properties of the analysis core that must hold for any input (fast-check, fixed seed, bounded runs).
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { analyzeText, DocumentAnalyzer, type AnalysisResult, type Bits, type Dialect, type Finding, type ParsedInstruction, type Range } from '../../server/src/analysis';
import { applyEdits, fixAll } from '../../server/src/analysis/fixes';
import { anyCodeUnitString, dialectArb, mutatedLine, NEUTRAL_LINES, SEED_LINES } from './corpus';

const SEED = 20261123;
const RUNS = 150;

/** LSP line breaks: \r\n, \n and a lone \r. */
function lineLengths(text: string): number[] {
  return text.split(/\r\n|\r|\n/).map((l) => l.length);
}

function assertRangeInside(range: Range, lengths: number[], what: string): void {
  const { start, end } = range;
  assert.ok(start.line >= 0 && start.line < lengths.length, `${what}: start line ${start.line} outside 0..${lengths.length - 1}`);
  assert.ok(end.line >= start.line && end.line < lengths.length, `${what}: end line ${end.line}`);
  assert.ok(start.character >= 0 && start.character <= lengths[start.line]!, `${what}: start character ${start.character} > ${lengths[start.line]}`);
  assert.ok(end.character >= 0 && end.character <= lengths[end.line]!, `${what}: end character ${end.character} > ${lengths[end.line]}`);
  assert.ok(end.line > start.line || end.character >= start.character, `${what}: end before start`);
}

function assertAllRangesInside(text: string, result: AnalysisResult): void {
  const lengths = lineLengths(text);
  for (const f of [...result.findings, ...result.suppressed]) {
    assertRangeInside(f.range, lengths, `finding ${f.ruleId} range`);
    assertRangeInside(f.mnemonicRange, lengths, `finding ${f.ruleId} mnemonicRange`);
  }
  for (const ins of result.instructions) {
    assertRangeInside(ins.range, lengths, `instruction ${ins.mnemonic}`);
    assertRangeInside(ins.mnemonicRange, lengths, `instruction ${ins.mnemonic} mnemonic`);
    for (const op of ins.operands) assertRangeInside(op.range, lengths, `operand ${op.text}`);
  }
}

/** A comparable summary of findings: rule, severity, message, ranges. */
function summary(findings: readonly Finding[], lineShift: (line: number) => number = (l) => l): string[] {
  const shift = (r: Range): string => `${lineShift(r.start.line)}:${r.start.character}-${lineShift(r.end.line)}:${r.end.character}`;
  return findings.map((f) => `${f.ruleId}|${f.severity}|${f.message}|${shift(f.range)}|${shift(f.mnemonicRange)}`).sort();
}

const docArb = (dialect: Dialect): fc.Arbitrary<string[]> => fc.array(fc.oneof(fc.constantFrom(...SEED_LINES[dialect]), mutatedLine(dialect)), { minLength: 1, maxLength: 40 });

const settings: { dialect: Dialect; bits: Bits }[] = [
  { dialect: 'nasm', bits: 64 },
  { dialect: 'gas-att', bits: 64 },
  { dialect: 'gas-intel', bits: 64 },
  { dialect: 'masm', bits: 32 },
  { dialect: 'fasm', bits: 32 },
];

describe('props: analyzeText', function () {
  this.timeout(120_000);

  it('finds the sensitive instruction in a one-line document of each dialect (keeps the properties below from passing vacuously)', () => {
    for (const { dialect, bits } of settings) {
      const result = analyzeText('cpuid\n', { dialect, bits, rules: ['all'] });
      assert.ok(result.findings.some((f) => f.ruleId === 'cpuid'), `${dialect}: no cpuid finding`);
    }
  });

  it('never throws on any string (any UTF-16 code units, lone surrogates included)', () => {
    fc.assert(
      fc.property(anyCodeUnitString, dialectArb, fc.constantFrom<Bits>(16, 32, 64), (text, dialect, bits) => {
        analyzeText(text, { dialect, bits, rules: ['all'] });
        analyzeText(text);
      }),
      { numRuns: RUNS * 2, seed: SEED },
    );
  });

  it('never throws on mutated real-looking code, and every range lies inside the document', () => {
    fc.assert(
      fc.property(dialectArb.chain((d) => fc.tuple(fc.constant(d), docArb(d), fc.constantFrom('\n', '\r\n'))), ([dialect, lines, eol]) => {
        const text = lines.join(eol);
        const result = analyzeText(text, { dialect, rules: ['all'] });
        assertAllRangesInside(text, result);
        const detected = analyzeText(text, { rules: ['all'] });
        assertAllRangesInside(text, detected);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it("a line's findings do not depend on unrelated lines (inserting neutral lines only shifts them)", () => {
    const arb = fc.constantFrom(...settings).chain((s) =>
      fc.tuple(fc.constant(s), fc.array(fc.constantFrom(...SEED_LINES[s.dialect]), { minLength: 1, maxLength: 30 }), fc.array(fc.tuple(fc.nat(), fc.constantFrom(...NEUTRAL_LINES[s.dialect])), { minLength: 1, maxLength: 5 })),
    );
    fc.assert(
      fc.property(arb, ([{ dialect, bits }, lines, inserts]) => {
        const options = { dialect, bits, rules: ['all'] };
        const before = analyzeText(lines.join('\n'), options);
        // Insert neutral lines; remember where each original line went.
        const withNeutral: string[] = [];
        const newIndex: number[] = [];
        const insertAt = new Map<number, string[]>();
        for (const [at, line] of inserts) {
          const slot = at % (lines.length + 1);
          insertAt.set(slot, [...(insertAt.get(slot) ?? []), line]);
        }
        for (let i = 0; i <= lines.length; i++) {
          withNeutral.push(...(insertAt.get(i) ?? []));
          if (i < lines.length) {
            newIndex.push(withNeutral.length);
            withNeutral.push(lines[i]!);
          }
        }
        const after = analyzeText(withNeutral.join('\n'), options);
        assert.deepEqual(summary(after.findings), summary(before.findings, (l) => newIndex[l]!));
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});

describe('props: DocumentAnalyzer', function () {
  this.timeout(120_000);

  const editArb = fc.record({ line: fc.nat(), char: fc.nat(), delLines: fc.nat({ max: 2 }), delChars: fc.nat({ max: 10 }), insert: fc.oneof(fc.constantFrom('pushf', '\n', 'cpuid\n', ' ', ';', 'x', '\nmov ds, ax\n', '', 'sgdt \\\n  [rax]\n', ' \\', '\nbits 16\n', '\n.code32\n'), anyCodeUnitString.map((t) => t.replace(/\r/g, ''))) });

  /** Applies the edits one by one (analysing between some of them) and compares with a fresh analysis of the final text. */
  function editsMatchScratch(lines: readonly string[], edits: ReadonlyArray<typeof editArb extends fc.Arbitrary<infer E> ? E : never>, options: { dialect: Dialect; bits: Bits; rules: string[] }): void {
    const doc = new DocumentAnalyzer(lines.join('\n'), options);
    doc.result();
    for (const e of edits) {
      const current = doc.text.split(/\r\n|\r|\n/);
      const startLine = e.line % current.length;
      const startChar = e.char % (current[startLine]!.length + 1);
      const endLine = Math.min(current.length - 1, startLine + e.delLines);
      const endChar = endLine === startLine ? Math.min(current[endLine]!.length, startChar + e.delChars) : Math.min(current[endLine]!.length, e.delChars);
      doc.update([{ range: { start: { line: startLine, character: startChar }, end: { line: endLine, character: endChar } }, text: e.insert }]);
      if (e.delChars % 3 === 0) doc.result(); // sometimes analyse between edits, sometimes batch them
    }
    assert.equal(doc.textLength, doc.text.length);
    assert.equal(doc.utf8Length, Buffer.byteLength(doc.text, 'utf8'), 'UTF-8 size kept by edits');
    const incremental = doc.result();
    const scratch = analyzeText(doc.text, options);
    assert.deepEqual(summary(incremental.findings), summary(scratch.findings));
    assert.deepEqual(placesOf(incremental.instructions), placesOf(scratch.instructions));
    assert.deepEqual(incremental.bitsRegions, scratch.bitsRegions);
  }

  it('after any sequence of edits equals analyzeText on the final text', () => {
    fc.assert(
      fc.property(fc.constantFrom(...settings).chain((s) => fc.tuple(fc.constant(s), docArb(s.dialect), fc.array(editArb, { minLength: 1, maxLength: 15 }))), ([{ dialect, bits }, lines, edits]) => {
        editsMatchScratch(lines, edits, { dialect, bits, rules: ['all'] });
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('the same holds in files of thousands of lines, where edits cross the chunks the lines are kept in', () => {
    fc.assert(
      fc.property(fc.constantFrom(...settings).chain((s) => fc.tuple(fc.constant(s), docArb(s.dialect), fc.array(editArb, { minLength: 1, maxLength: 25 }))), ([{ dialect, bits }, lines, edits]) => {
        const big: string[] = [];
        while (big.length < 1500) big.push(...(lines.length > 0 ? lines : ['nop']));
        editsMatchScratch(big, edits, { dialect, bits, rules: ['all'] });
      }),
      { numRuns: Math.ceil(RUNS / 5), seed: SEED },
    );
  });

  it('takes a paste of 200,000 lines in one change (too many to pass as arguments)', () => {
    const doc = new DocumentAnalyzer('bits 64\nnop\n', { fileName: 'paste.asm' });
    doc.result();
    const pasted = Array.from({ length: 200_000 }, (_, i) => (i % 9 === 0 ? '    pushfq' : '    mov eax, 1')).join('\n');
    doc.update([{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, text: `${pasted}\n` }]);
    assert.equal(doc.lineCount, 200_003);
    assert.equal(doc.result().findings.length, 22_223);
    assert.deepEqual(summary(doc.result().findings), summary(analyzeText(doc.text, { fileName: 'paste.asm' }).findings));
  });

  it('places a continued statement right after lines above it came and went', () => {
    const doc = new DocumentAnalyzer('bits 64\nnop\nsgdt \\\n  [rax]\nnop\nsidt [rbx]\n', { fileName: 'cont.asm' });
    doc.result();
    doc.update([{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '; a new first line\n' }]);
    doc.result();
    // The continuation line is now line 4; re-parsing it starts from the state line 3 left.
    doc.update([{ range: { start: { line: 4, character: 2 }, end: { line: 4, character: 2 } }, text: ' ' }]);
    const sgdt = doc.result().findings.find((f) => f.ruleId === 'sgdt');
    assert.deepEqual(sgdt?.range, { start: { line: 3, character: 0 }, end: { line: 4, character: 8 } });
    assert.deepEqual(placesOf(doc.result().instructions), placesOf(analyzeText(doc.text, { fileName: 'cont.asm' }).instructions));
  });
});

function placesOf(instructions: readonly ParsedInstruction[]): string[] {
  return instructions.map((ins) => `${ins.mnemonic}@${ins.line}:${JSON.stringify(ins.range)}:${ins.operands.map((op) => JSON.stringify(op.range)).join('|')}`);
}

describe('props: fixAll', function () {
  this.timeout(120_000);

  it('edits never overlap, and applying them never throws', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...settings).chain((s) => fc.tuple(fc.constant(s), docArb(s.dialect))),
        fc.constantFrom('trap' as const, 'hypercall' as const),
        fc.constantFrom('kvm' as const, 'kvm-amd' as const, 'xen' as const, 'hyperv' as const),
        ([{ dialect, bits }, lines], strategy, abi) => {
          const text = lines.join('\n');
          const result = analyzeText(text, { dialect, bits, rules: ['all'] });
          const edits = fixAll(text, result, strategy, { abi });
          const sorted = [...edits].sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
          for (let i = 1; i < sorted.length; i++) {
            const prev = sorted[i - 1]!.range.end;
            const next = sorted[i]!.range.start;
            assert.ok(prev.line < next.line || (prev.line === next.line && prev.character <= next.character), `edits ${i - 1} and ${i} overlap`);
          }
          const lengths = lineLengths(text);
          for (const edit of edits) assertRangeInside(edit.range, lengths, 'fix edit');
          assert.equal(typeof applyEdits(text, edits), 'string');
        },
      ),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('fixAll offers at least one edit for a document with a fixable finding (not vacuous)', () => {
    const text = 'pushfq\ncpuid\n';
    const result = analyzeText(text, { dialect: 'nasm', bits: 64, rules: ['all'] });
    assert.ok(fixAll(text, result, 'hypercall', { abi: 'kvm' }).length > 0);
  });
});
