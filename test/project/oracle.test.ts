// The multi-file oracle: each project under test/fixtures/projects is built with its real tool
// (nasm, gcc/cpp + GNU as, fasm); every emitted instruction is mapped to the line the user wrote
// (test/helpers/projectOracle.ts), decoded with iced-x86 and classified with `ruleForCode`.
// `analyzeProject`, reading the same files through a reader, must report the same rules on the
// same lines, in the same modes, and name the macro and its body line for what a macro produced.
// Only the instruction rules are compared; other findings (invalid-in-mode, undecided...) are
// listed in the diff. Each project's code runs in a known execution mode (MODES); the rules the
// catalogue's mode policy silences there (segment loads in real mode...) are not expected. A macro body line's own finding ("used by N invocations") is checked
// separately against the body lines the tool names (NASM's DWARF, fasm's symbolic file).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyzeProject, type ProjectResult } from '../../server/src/analysis/project';
import { sensitiveCodes } from '../../server/src/analysis';
import type { Bits, ExecutionMode, Finding } from '../../server/src/analysis/types';
import { groundTruth, sourceLine, type EmittedInstruction, type GroundTruth, type ProjectSpec } from '../helpers/projectOracle';
import { PROJECTS } from '../helpers/projectSpecs';
import { reportedInMode } from '../oracle/modePolicy';

/**
 * The mode each project's code runs in, by the bitness it was assembled in: facts about the
 * fixtures, as the build's flags are. The boot code starts in real mode (gas-cpp's entry.S says
 * so in a `virtlint: mode=real` comment: nothing else in it shows it); 32-bit code runs in
 * protected mode.
 */
const MODES: Readonly<Record<string, Partial<Record<Bits, ExecutionMode>>>> = {
  'nasm-boot': { 16: 'real', 32: 'pm32' },
  'gas-cpp': { 16: 'real', 32: 'pm32' },
  'fasm-boot': { 16: 'real' },
};

function modeOf(spec: ProjectSpec, bits: Bits): ExecutionMode {
  const mode = MODES[spec.name]?.[bits];
  if (!mode) throw new Error(`${spec.name}: no mode stated for its ${bits}-bit code (MODES)`);
  return mode;
}

/** Whether virtlint should report the instruction: a rule, and one its mode does not silence. */
function expectedToReport(spec: ProjectSpec, instruction: EmittedInstruction): instruction is EmittedInstruction & { rule: string } {
  return instruction.rule !== undefined && reportedInMode({ rule: instruction.rule, codeName: instruction.codeName }, modeOf(spec, instruction.bits));
}

/** The instruction rules (what `ruleForCode` can answer); anything else virtlint reports is listed, not compared. */
const VIRTUALIZATION_RULES = new Set<string>(sensitiveCodes().values());

interface LineKey {
  file: string;
  /** 1-based. */
  line: number;
}

const keyOf = (file: string, line: number): string => `${file}\u0000${line}`;

/** Expected rules per line, and in which modes each rule's instructions were assembled there. */
function expectedByLine(truth: GroundTruth): Map<string, { where: LineKey; rules: Map<string, Set<number>>; codes: Set<string> }> {
  const byLine = new Map<string, { where: LineKey; rules: Map<string, Set<number>>; codes: Set<string> }>();
  for (const instruction of truth.instructions) {
    if (!expectedToReport(truth.spec, instruction)) continue;
    const key = keyOf(instruction.at.file, instruction.at.line);
    let entry = byLine.get(key);
    if (!entry) byLine.set(key, (entry = { where: instruction.at, rules: new Map(), codes: new Set() }));
    let modes = entry.rules.get(instruction.rule);
    if (!modes) entry.rules.set(instruction.rule, (modes = new Set()));
    modes.add(instruction.bits);
    entry.codes.add(`${instruction.codeName}@${instruction.bits}`);
  }
  return byLine;
}

interface ReportedFinding {
  file: string;
  finding: Finding;
}

/** Lines inside macro definitions, per the tool: exact body lines, or GNU as definition spans. */
function macroBodyLines(truth: GroundTruth): Set<string> {
  const lines = new Set<string>();
  for (const i of truth.instructions) {
    if (i.body) lines.add(keyOf(i.body.file, i.body.line));
    if (i.definition) for (let line = i.definition.first; line <= i.definition.last; line++) lines.add(keyOf(i.definition.file, line));
  }
  for (const i of truth.instructions) lines.delete(keyOf(i.at.file, i.at.line));
  return lines;
}

/** Findings per line; `bodies` selects the lines inside macro definitions (true) or the others (false). */
function reportedByLine(truth: GroundTruth, result: ProjectResult, bodies: boolean): Map<string, ReportedFinding[]> {
  const bodyLines = macroBodyLines(truth);
  const byLine = new Map<string, ReportedFinding[]>();
  for (const [file, analysis] of result.files) {
    for (const finding of analysis.result.findings) {
      const key = keyOf(file, finding.mnemonicRange.start.line + 1);
      if (bodyLines.has(key) !== bodies) continue;
      let list = byLine.get(key);
      if (!list) byLine.set(key, (list = []));
      list.push({ file, finding });
    }
  }
  return byLine;
}

function runVirtlint(spec: ProjectSpec): ProjectResult {
  const roots = new Set(spec.units.map((u) => path.join(spec.dir, u.root)));
  return analyzeProject({
    files: [...roots],
    reader: {
      read(file: string) {
        try {
          return { text: fs.readFileSync(file, 'utf8') };
        } catch (error) {
          return { error: (error as Error).message };
        }
      },
    },
    options: {
      analysis: { rules: ['all'] },
      includePaths: spec.includePaths.map((p) => path.resolve(spec.dir, p)),
      defines: spec.defines,
      // What the build says about each file it assembles: the tool, and the mode its flags start in.
      settingsFor: (file) => {
        const unit = spec.units.find((u) => path.join(spec.dir, u.root) === file);
        return unit ? { dialect: spec.dialect, bits: unit.bits } : undefined;
      },
    },
  });
}

interface Row {
  where: string;
  source: string;
  expected: string;
  got: string;
}

function table(rows: readonly Row[]): string {
  const all = [{ where: 'file:line', source: 'source', expected: 'assembler (iced Code@bits)', got: 'virtlint' }, ...rows];
  const widths = (['where', 'source', 'expected', 'got'] as const).map((k) => Math.max(...all.map((r) => r[k].length)));
  return all.map((r) => [r.where, r.source, r.expected, r.got].map((c, i) => c.padEnd(widths[i]!)).join(' | ')).join('\n');
}

function showPos(spec: ProjectSpec, file: string, line: number): string {
  return `${path.relative(spec.dir, file)}:${line}`;
}

function quote(text: string): string {
  return text.trim().replace(/\s+/g, ' ').slice(0, 50);
}

/** Lines where the sets of (virtualization) rules differ. */
function lineDisagreements(truth: GroundTruth, result: ProjectResult): Row[] {
  const expected = expectedByLine(truth);
  const reported = reportedByLine(truth, result, false);
  const rows: Row[] = [];
  const keys = new Set<string>([...expected.keys(), ...reported.keys()]);
  for (const key of keys) {
    const want = expected.get(key);
    const got = reported.get(key) ?? [];
    const wantRules = [...(want?.rules.keys() ?? [])].sort();
    const gotRules = [...new Set(got.map((r) => r.finding.ruleId).filter((id) => VIRTUALIZATION_RULES.has(id)))].sort();
    if (wantRules.join(' ') === gotRules.join(' ')) continue;
    const [file, line] = key.split('\u0000') as [string, string];
    const meta = got.filter((r) => !VIRTUALIZATION_RULES.has(r.finding.ruleId)).map((r) => `[${r.finding.ruleId}: ${r.finding.message}]`);
    rows.push({
      where: showPos(truth.spec, file, Number(line)),
      source: quote(sourceLine({ file, line: Number(line) })),
      expected: want ? `${wantRules.join(' ')} (${[...want.codes].join(' ')})` : '-',
      got: [gotRules.join(' ') || '-', ...meta].join(' '),
    });
  }
  return rows.sort((a, b) => a.where.localeCompare(b.where, undefined, { numeric: true }));
}

function findingsAt(result: ProjectResult, file: string, line: number, rule: string): Finding[] {
  const analysis = result.files.get(file);
  if (!analysis) return [];
  return analysis.result.findings.filter((f) => f.ruleId === rule && f.mnemonicRange.start.line + 1 === line);
}

/** In included files (whose mode is the includer's at the include site): where a rule's findings on a line were seen in a different set of modes than the assembler emitted them in. */
function contextDisagreements(truth: GroundTruth, result: ProjectResult): Row[] {
  const modesPerFile = new Map<string, Set<number>>();
  for (const i of truth.instructions) {
    let modes = modesPerFile.get(i.at.file);
    if (!modes) modesPerFile.set(i.at.file, (modes = new Set()));
    modes.add(i.bits);
  }
  const roots = new Set(truth.spec.units.map((u) => path.join(truth.spec.dir, u.root)));
  const rows: Row[] = [];
  for (const [, entry] of expectedByLine(truth)) {
    // A root's context is the mode the build starts it in, not the mode at a line after `bits 16`.
    if (roots.has(entry.where.file)) continue;
    const severalModes = (modesPerFile.get(entry.where.file)?.size ?? 0) > 1;
    for (const [rule, modes] of entry.rules) {
      const findings = findingsAt(result, entry.where.file, entry.where.line, rule);
      if (findings.length === 0) continue; // a missing finding is a line disagreement already
      const seen = new Set<number>();
      for (const f of findings) {
        const contexts = f.contexts ?? (severalModes ? [] : (result.files.get(entry.where.file)?.contexts ?? []));
        for (const c of contexts) seen.add(c.bits);
      }
      const want = [...modes].sort().join('+');
      const got = [...seen].sort().join('+');
      if (want === got) continue;
      rows.push({
        where: showPos(truth.spec, entry.where.file, entry.where.line),
        source: quote(sourceLine(entry.where)),
        expected: `${rule} in ${want}-bit`,
        got: `${rule} in ${got || 'no'}-bit context(s)`,
      });
    }
  }
  return rows;
}

/** Macro output: the finding names the macros (outermost first) and points at the body line. */
function macroDisagreements(truth: GroundTruth, result: ProjectResult): Row[] {
  const rows: Row[] = [];
  const checked = new Set<string>();
  for (const instruction of truth.instructions) {
    if (!instruction.rule || instruction.macros.length === 0) continue;
    const id = `${keyOf(instruction.at.file, instruction.at.line)}\u0000${instruction.rule}\u0000${instruction.body?.line ?? ''}`;
    if (checked.has(id)) continue;
    checked.add(id);
    const findings = findingsAt(result, instruction.at.file, instruction.at.line, instruction.rule);
    if (findings.length === 0) continue; // reported as a line disagreement
    const problems = findings.map((f) => macroProblem(instruction, f));
    if (problems.some((p) => p === undefined)) continue;
    rows.push({
      where: showPos(truth.spec, instruction.at.file, instruction.at.line),
      source: quote(sourceLine(instruction.at)),
      expected: `${instruction.rule} via ${instruction.macros.join(' > ')}, body ${describeBody(truth.spec, instruction)}`,
      got: problems.join('; '),
    });
  }
  return rows;
}

/** Each macro body line the tool names carries the rules its expansions produced there. */
function bodyLineDisagreements(truth: GroundTruth, result: ProjectResult): Row[] {
  const expected = new Map<string, { where: LineKey; rules: Set<string> }>();
  for (const i of truth.instructions) {
    if (!i.body || !expectedToReport(truth.spec, i)) continue;
    const key = keyOf(i.body.file, i.body.line);
    let entry = expected.get(key);
    if (!entry) expected.set(key, (entry = { where: i.body, rules: new Set() }));
    entry.rules.add(i.rule);
  }
  const reported = reportedByLine(truth, result, true);
  const rows: Row[] = [];
  for (const key of new Set([...expected.keys(), ...reported.keys()])) {
    const want = [...(expected.get(key)?.rules ?? [])].sort();
    const got = [...new Set((reported.get(key) ?? []).map((r) => r.finding.ruleId).filter((id) => VIRTUALIZATION_RULES.has(id)))].sort();
    if (want.join(' ') === got.join(' ')) continue;
    const [file, line] = key.split('\u0000') as [string, string];
    rows.push({ where: showPos(truth.spec, file, Number(line)), source: quote(sourceLine({ file, line: Number(line) })), expected: want.join(' ') || '-', got: got.join(' ') || '-' });
  }
  return rows.sort((a, b) => a.where.localeCompare(b.where, undefined, { numeric: true }));
}

function describeBody(spec: ProjectSpec, instruction: EmittedInstruction): string {
  if (instruction.body) return showPos(spec, instruction.body.file, instruction.body.line);
  if (instruction.definition) return `${path.relative(spec.dir, instruction.definition.file)}:${instruction.definition.first}-${instruction.definition.last}`;
  return '?';
}

function macroProblem(instruction: EmittedInstruction, finding: Finding): string | undefined {
  const chain = (finding.macroChain ?? []).map((step) => step.name);
  if (chain[0] !== instruction.macros[0] || !isSubsequence(instruction.macros, chain)) return `macroChain [${chain.join(' > ')}]`;
  const related = finding.related ?? [];
  const lines = related.map((r) => `${path.basename(r.path)}:${r.range.start.line + 1}`).join(' ') || 'none';
  if (instruction.body) {
    const body = instruction.body;
    if (!related.some((r) => r.path === body.file && r.range.start.line + 1 === body.line)) return `related ${lines}`;
  } else if (instruction.definition) {
    const span = instruction.definition;
    if (!related.some((r) => r.path === span.file && r.range.start.line + 1 >= span.first && r.range.start.line + 1 <= span.last)) return `related ${lines}`;
  }
  return undefined;
}

function isSubsequence(wanted: readonly string[], chain: readonly string[]): boolean {
  let at = 0;
  for (const name of chain) if (at < wanted.length && name === wanted[at]) at++;
  return at === wanted.length;
}

describe('multi-file oracle: real builds vs analyzeProject', function () {
  this.timeout(180_000);
  const truths = new Map<string, GroundTruth>();
  const results = new Map<string, ProjectResult>();

  before(() => {
    for (const spec of PROJECTS) truths.set(spec.name, groundTruth(spec));
  });

  for (const spec of PROJECTS) {
    const truth = (): GroundTruth => truths.get(spec.name)!;
    const result = (): ProjectResult => {
      let found = results.get(spec.name);
      if (!found) results.set(spec.name, (found = runVirtlint(spec)));
      return found;
    };

    it(`${spec.name}: the build's instructions map to lines the project wrote`, () => {
      const { instructions } = truth();
      for (const unit of spec.units) assert.ok(instructions.some((i) => i.unit === unit.root), `${unit.root} emitted no instructions`);
      const sensitive = instructions.filter((i) => i.rule);
      assert.ok(sensitive.length >= 20, `only ${sensitive.length} sensitive instructions`);
      for (const i of instructions) {
        const text = sourceLine(i.at).replace(/(;|#|\/\/|\/\*).*$/, '').trim();
        assert.ok(text.length > 0, `${showPos(spec, i.at.file, i.at.line)}: ${i.codeName} lands on a line without code`);
      }
      const files = new Set(sensitive.map((i) => i.at.file));
      assert.ok(files.size >= 2, `sensitive instructions in only ${files.size} files`);
      assert.ok(sensitive.some((i) => i.macros.length > 0), 'no sensitive instruction comes from a macro');
    });

    it(`${spec.name}: virtlint reports the same rules on the same lines`, () => {
      const rows = lineDisagreements(truth(), result());
      assert.equal(rows.length, 0, `${rows.length} line(s) differ:\n${table(rows)}`);
    });

    it(`${spec.name}: findings carry the modes each line was assembled in`, () => {
      const rows = contextDisagreements(truth(), result());
      assert.equal(rows.length, 0, `${rows.length} finding(s) in other modes:\n${table(rows)}`);
    });

    if (spec.tool !== 'gas') {
      it(`${spec.name}: each macro body line carries the rules its uses produce`, () => {
        const rows = bodyLineDisagreements(truth(), result());
        assert.equal(rows.length, 0, `${rows.length} body line(s) differ:\n${table(rows)}`);
      });
    }

    it(`${spec.name}: macro output names the macro and its body line`, () => {
      const rows = macroDisagreements(truth(), result());
      assert.equal(rows.length, 0, `${rows.length} macro finding(s) differ:\n${table(rows)}`);
    });
  }

  it('the NASM include used in 16- and 32-bit code is assembled in both, with findings that differ', () => {
    const nasm = truths.get('nasm-boot')!;
    const routines = path.join(nasm.spec.dir, 'common', 'routines.inc');
    const modesByLine = new Map<number, Set<number>>();
    for (const i of nasm.instructions) {
      if (i.at.file !== routines || !i.rule) continue;
      let modes = modesByLine.get(i.at.line);
      if (!modes) modesByLine.set(i.at.line, (modes = new Set()));
      modes.add(i.bits);
    }
    const shapes = new Set([...modesByLine.values()].map((m) => [...m].sort().join('+')));
    assert.deepEqual([...shapes].sort(), ['16', '16+32', '32']);
  });
});
