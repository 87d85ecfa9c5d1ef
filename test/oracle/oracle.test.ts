// The oracle test: real assemblers say which bytes each source line produces, iced-x86
// says which instructions those bytes are, `ruleForCode` says which rule each one
// belongs to. virtlint, reading only the source text, must reach the same per-line
// multiset of rule ids: with dialect/bits forced, with CRLF line endings, typed line by line
// into the incremental analyzer (top-down and bottom-up), and auto-detected.
// Data directive lines (db/dw/.byte/.ascii/...: see isDataLine in ../helpers/assemble) are
// left out on the decoder side only; a virtlint finding on such a line is a mismatch.
// The fixtures are read in protected mode, where every rule reports (the 16-bit ones say so with a
// `virtlint: mode=pm16` comment); each 16-bit fixture is also read without that comment, in the
// mode its content implies, where the catalogue's mode policy says which rules stay (modePolicy.ts).
// Either way virtlint must also say each line runs in the mode expected there.
// Every mismatch of the run is also written to out/test-reports/oracle-mismatches.txt.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyzeText, DocumentAnalyzer, type AnalysisOptions, type AnalysisResult, type Bits, type ExecutionMode } from '../../server/src/analysis';
import { modeAt } from '../../server/src/analysis/document/executionMode';
import { assembleDetailed, concatLines, decodeAll, isDataLine } from '../helpers/assemble';
import { bitsPerLine, FIXTURE_DIR, FIXTURES, MIN_INSTRUCTION_LINES_PER_FIXTURE, MIN_INSTRUCTION_LINES_TOTAL, MODE_COMMENT, packageRoot, protectedModeOf, type FixtureSpec } from './fixtures';
import { reportedInMode, sensitiveInstructions, type SensitiveInstruction } from './modePolicy';

interface LineExpectation {
  rules: string[];
  codeNames: string[];
  sensitive: SensitiveInstruction[];
}

interface AssembledFixture {
  spec: FixtureSpec;
  text: string;
  lines: string[];
  /** 1-based line → what the decoder found there (instruction lines only). */
  oracle: Map<number, LineExpectation>;
  /** 1-based line → the bitness the assembler was in. */
  bits: Bits[];
  instructionLineCount: number;
}

function buildOracle(spec: FixtureSpec): AssembledFixture {
  const text = fs.readFileSync(path.join(FIXTURE_DIR, spec.file), 'utf8');
  const lines = text.split(/\r?\n/);
  const { lines: bytesByLine, image } = assembleDetailed(spec.assembler, text, { bits: spec.bits });
  // The attribution must account for every output byte. NASM's listing shows relocated
  // fields unrelocated (`[0000]`), so for NASM only the length can be compared.
  const attributed = concatLines(bytesByLine);
  if (spec.assembler === 'nasm' ? attributed.length !== image.length : !attributed.equals(image)) {
    throw new Error(`${spec.file}: per-line bytes (${attributed.length}) do not add up to the assembler output (${image.length} bytes)`);
  }
  const bits = bitsPerLine(lines, spec.assembler, spec.bits);
  const oracle = new Map<number, LineExpectation>();
  let instructionLineCount = 0;
  for (const [line, bytes] of bytesByLine) {
    const source = lines[line - 1] ?? '';
    if (isDataLine(source)) continue; // data bytes are not instructions (see the header comment)
    instructionLineCount++;
    const decoded = decodeAll(bytes, bits[line]!);
    const invalid = decoded.filter((d) => d.codeName === 'INVALID');
    if (invalid.length > 0) {
      throw new Error(`${spec.file}:${line}: iced-x86 cannot decode the bytes of "${source.trim()}" at ${bits[line]}-bit (${Buffer.from(bytes).toString('hex')}); fix the fixture`);
    }
    const sensitive = sensitiveInstructions(bytes, bits[line]!);
    const rules = sensitive.map((i) => i.rule).sort();
    if (rules.length > 0) oracle.set(line, { rules, codeNames: decoded.map((d) => d.codeName), sensitive });
  }
  return { spec, text, lines, oracle, bits, instructionLineCount };
}

function virtlintByLine(result: AnalysisResult): Map<number, string[]> {
  const byLine = new Map<number, string[]>();
  for (const finding of result.findings) {
    const line = finding.mnemonicRange.start.line + 1;
    let list = byLine.get(line);
    if (!list) byLine.set(line, (list = []));
    list.push(finding.ruleId);
  }
  for (const list of byLine.values()) list.sort();
  return byLine;
}

interface Mismatch {
  file: string;
  mode: string;
  line: number;
  source: string;
  oracle: string;
  virtlint: string;
}

/** The execution mode a 1-based line is expected to run in. */
type ModeOfLine = (line: number) => ExecutionMode;

/** Read as the fixtures say: protected mode of each line's bitness. */
function protectedModes(fixture: AssembledFixture): ModeOfLine {
  return (line) => protectedModeOf(fixture.bits[line]!);
}

/**
 * Per line: the rules the decoder's instructions belong to, less those the mode policy silences
 * in the line's expected mode, against virtlint's findings; and the mode virtlint says the line
 * runs in against the expected one.
 */
function compare(fixture: AssembledFixture, variant: string, result: AnalysisResult, modeOf: ModeOfLine = protectedModes(fixture)): Mismatch[] {
  const found = virtlintByLine(result);
  const lines = new Set<number>([...fixture.oracle.keys(), ...found.keys()]);
  const mismatches: Mismatch[] = [];
  for (const line of [...lines].sort((a, b) => a - b)) {
    const expected = fixture.oracle.get(line);
    const mode = modeOf(line);
    const expectedRules = (expected?.sensitive ?? []).filter((i) => reportedInMode(i, mode)).map((i) => i.rule).sort();
    const actualRules = found.get(line) ?? [];
    const actualMode = result.modeRegions ? modeAt(result.modeRegions, line - 1) : 'none';
    if (expectedRules.join(',') === actualRules.join(',') && (!expected || actualMode === mode)) continue;
    mismatches.push({
      file: fixture.spec.file,
      mode: variant,
      line,
      source: (fixture.lines[line - 1] ?? '').trim().replace(/\s+/g, ' '),
      oracle: `${expectedRules.join(' ') || '-'}${expected ? ` (${expected.codeNames.join(' ')}) in ${mode}` : ''}`,
      virtlint: `${actualRules.join(' ') || '-'} in ${actualMode}`,
    });
  }
  return mismatches;
}

/** Every finding's mnemonicRange must cover exactly a mnemonic word inside its instruction's range. */
function rangeProblems(fixture: AssembledFixture, result: AnalysisResult): string[] {
  const problems: string[] = [];
  for (const f of result.findings) {
    const { start, end } = f.mnemonicRange;
    const text = fixture.lines[start.line] ?? '';
    const word = start.line === end.line ? text.slice(start.character, end.character) : '';
    const inside =
      (f.range.start.line < start.line || (f.range.start.line === start.line && f.range.start.character <= start.character)) &&
      (f.range.end.line > end.line || (f.range.end.line === end.line && f.range.end.character >= end.character));
    if (!/^[a-z][a-z0-9]*$/i.test(word) || text[end.character] === ':' || !inside) {
      problems.push(`${fixture.spec.file}:${start.line + 1}:${start.character + 1} ${f.ruleId}: mnemonicRange covers "${word}" in "${text.trim()}"`);
    }
  }
  return problems;
}

function table(rows: readonly Mismatch[]): string {
  const header: Mismatch = { file: 'fixture', mode: 'mode', line: 0, source: 'source line', oracle: 'oracle (iced Code)', virtlint: 'virtlint' };
  const cells = (m: Mismatch): string[] => [`${m.file}:${m === header ? 'line' : m.line}`, m.mode, m.source, m.oracle, m.virtlint];
  const all = [header, ...rows].map(cells);
  const widths = all[0]!.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  return all.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')).join('\n');
}

/** The text cut after every newline, each piece keeping its `\n`. */
function linePieces(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/**
 * Feeds the fixture to the incremental analyzer one line at a time, as an editor would:
 * top-down (appending) or bottom-up (always inserting at the top, so mode directives such
 * as `bits 16` arrive after the code they govern and must re-resolve it).
 */
function typeIntoAnalyzer(text: string, options: AnalysisOptions, order: 'top-down' | 'bottom-up'): AnalysisResult {
  const analyzer = new DocumentAnalyzer('', options);
  const pieces = linePieces(text);
  if (order === 'top-down') {
    pieces.forEach((piece, index) => {
      const end = { line: index, character: 0 };
      analyzer.update([{ range: { start: end, end }, text: piece }]);
    });
  } else {
    for (const piece of [...pieces].reverse()) {
      const top = { line: 0, character: 0 };
      analyzer.update([{ range: { start: top, end: top }, text: piece }]);
    }
  }
  assert.equal(analyzer.text, text, 'the incremental analyzer must rebuild the exact text');
  return analyzer.result();
}

const REPORT_FILE = path.join(packageRoot(), 'out', 'test-reports', 'oracle-mismatches.txt');

describe('oracle: assemblers + iced-x86 vs virtlint', function () {
  this.timeout(120_000);
  const assembled = new Map<string, AssembledFixture>();
  const allMismatches: Mismatch[] = [];

  before(() => {
    for (const spec of FIXTURES) assembled.set(spec.file, buildOracle(spec));
  });

  after(() => {
    fs.mkdirSync(path.dirname(REPORT_FILE), { recursive: true });
    const counts = [...assembled.values()].map(
      (f) => `${f.spec.file}: ${f.instructionLineCount} instruction lines, ${f.oracle.size} with sensitive instructions`,
    );
    const body = allMismatches.length === 0 ? 'no mismatches\n' : `${allMismatches.length} mismatching line(s)\n${table(allMismatches)}\n`;
    fs.writeFileSync(REPORT_FILE, `${counts.join('\n')}\n\n${body}`);
  });

  it('the fixture set is complete and large enough (cannot shrink silently)', () => {
    const onDisk = fs.readdirSync(FIXTURE_DIR).filter((f) => /\.(asm|s)$/.test(f)).sort();
    assert.deepEqual(onDisk, FIXTURES.map((f) => f.file).sort(), 'every fixture file must be listed in FIXTURES and vice versa');
    let total = 0;
    for (const fixture of assembled.values()) {
      assert.ok(
        fixture.instructionLineCount >= MIN_INSTRUCTION_LINES_PER_FIXTURE,
        `${fixture.spec.file}: only ${fixture.instructionLineCount} instruction lines`,
      );
      assert.ok(fixture.oracle.size >= 20, `${fixture.spec.file}: only ${fixture.oracle.size} lines with sensitive instructions`);
      total += fixture.instructionLineCount;
    }
    assert.ok(total >= MIN_INSTRUCTION_LINES_TOTAL, `only ${total} instruction lines over all fixtures (need ${MIN_INSTRUCTION_LINES_TOTAL})`);
  });

  it('the fixtures exercise every one of the 25 rules', () => {
    const seen = new Set<string>();
    for (const fixture of assembled.values()) for (const e of fixture.oracle.values()) for (const r of e.rules) seen.add(r);
    const rules = 'sgdt sidt sldt smsw str pushf popf lar lsl verr verw push-sreg pop-sreg mov-sreg far-call far-jmp far-ret int iret cpuid rdtsc rdtscp rdpmc rdpid xgetbv'.split(' ');
    assert.deepEqual(rules.filter((r) => !seen.has(r)), []);
  });

  for (const spec of FIXTURES) {
    it(`${spec.file}: forced dialect=${spec.dialect} bits=${spec.bits}`, () => {
      const fixture = assembled.get(spec.file)!;
      const result = analyzeText(fixture.text, { fileName: spec.file, dialect: spec.dialect, bits: spec.bits, rules: ['all'] });
      const mismatches = compare(fixture, 'forced', result);
      allMismatches.push(...mismatches);
      assert.equal(mismatches.length, 0, `${mismatches.length} line(s) differ:\n${table(mismatches)}`);
      assert.deepEqual(rangeProblems(fixture, result), []);
    });

    it(`${spec.file}: forced, CRLF line endings`, () => {
      const fixture = assembled.get(spec.file)!;
      const crlf = fixture.text.replace(/\r?\n/g, '\r\n');
      const result = analyzeText(crlf, { fileName: spec.file, dialect: spec.dialect, bits: spec.bits, rules: ['all'] });
      const mismatches = compare(fixture, 'crlf', result);
      allMismatches.push(...mismatches);
      assert.equal(mismatches.length, 0, `${mismatches.length} line(s) differ:\n${table(mismatches)}`);
    });

    for (const order of ['top-down', 'bottom-up'] as const) {
      it(`${spec.file}: typed ${order} into the incremental analyzer`, () => {
        const fixture = assembled.get(spec.file)!;
        const result = typeIntoAnalyzer(fixture.text, { fileName: spec.file, dialect: spec.dialect, bits: spec.bits, rules: ['all'] }, order);
        const mismatches = compare(fixture, `typed ${order}`, result);
        allMismatches.push(...mismatches);
        assert.equal(mismatches.length, 0, `${mismatches.length} line(s) differ:\n${table(mismatches)}`);
      });
    }

    for (const withName of [true, false]) {
      it(`${spec.file}: auto-detected dialect and bits${withName ? '' : ', content only (no file name)'}`, () => {
        const fixture = assembled.get(spec.file)!;
        const result = analyzeText(fixture.text, withName ? { fileName: spec.file, rules: ['all'] } : { rules: ['all'] });
        const detected = `detected ${result.dialect}/${result.bits} (${result.dialectSource}/${result.bitsSource})`;
        const mismatches = compare(fixture, withName ? 'auto' : 'auto, no name', result);
        allMismatches.push(...mismatches);
        assert.equal(result.dialect, spec.dialect, `dialect: ${detected}`);
        assert.equal(result.bits, spec.bits, `bits: ${detected}`);
        assert.equal(mismatches.length, 0, `${detected}; ${mismatches.length} line(s) differ:\n${table(mismatches)}`);
      });
    }

    const contentMode = spec.contentMode;
    if (contentMode) {
      it(`${spec.file}: read without its mode comment, in ${contentMode} mode by its content (the catalogue's mode policy applied)`, () => {
        const fixture = assembled.get(spec.file)!;
        assert.match(fixture.text, MODE_COMMENT, 'the fixture states its mode');
        const text = fixture.text.replace(MODE_COMMENT, 'virtlint mode comment taken out');
        const result = analyzeText(text, { fileName: spec.file, rules: ['all'] });
        const modeOf: ModeOfLine = (line) => (fixture.bits[line] === 16 ? contentMode : protectedModeOf(fixture.bits[line]!));
        const mismatches = compare(fixture, `${contentMode} mode`, result, modeOf);
        allMismatches.push(...mismatches);
        assert.equal(mismatches.length, 0, `${mismatches.length} line(s) differ:\n${table(mismatches)}`);
        const silenced = [...fixture.oracle].filter(([line, e]) => e.sensitive.some((i) => !reportedInMode(i, modeOf(line))));
        assert.ok(silenced.length > 0, `no line where ${contentMode} mode changes the answer: the variant would test nothing`);
      });
    }
  }
});
