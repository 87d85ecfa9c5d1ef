// The inline-asm oracle. Each fixture (C, C++, Rust) is compiled by a real compiler; the DWARF
// line table says which source line each instruction came from, iced-x86 says what the
// instruction is and `ruleForCode` its rule. virtlint, reading only the host text, must find the
// same SET of rules per statement: a compiler puts every instruction of an asm statement on one
// line (the keyword's, or the macro invocation's), so findings are grouped by the asm statement
// or intrinsic call that holds them, and compiler lines by the statement whose lines hold them.
// Instructions on no user line (top-level asm, padding, code outside functions) are listed; the
// sensitive ones outside every function are compared as one group with virtlint's findings in
// file-scope asm (`asm(...)` at file scope, `global_asm!`).
// Every finding must also point inside a string literal of its statement (or at the intrinsic's
// name, inside the macro invocation or the MSVC block), read from the host text by a lexer here.
// Mismatches of the whole run are written to out/test-reports/embedded-oracle-mismatches.txt.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyzeEmbedded, type EmbeddedResult } from '../../server/src/analysis/embedded/analyze';
import { isMetaRuleId } from '../../server/src/analysis/catalogue';
import type { SourceReader } from '../../server/src/analysis/project/source';
import type { Finding, Position, Range } from '../../server/src/analysis/types';
import { compileHost, compilerArguments, describeInstruction, mapPool, type CompiledInstruction, type HostCompilation } from '../helpers/hostCompilers';
import { lineStarts, stringLiteralSpans } from './hostText';
import { describeConfiguration, FIXTURE_INCLUDE, FIXTURE_ROOT, oracleConfigurations, type OracleConfiguration } from './oracleFixtures';

const REPORT = path.resolve(__dirname, '..', '..', 'test-reports', 'embedded-oracle-mismatches.txt');

const diskReader: SourceReader = {
  read(file) {
    try {
      return { text: fs.readFileSync(file, 'utf8') };
    } catch (error) {
      return { error: (error as Error).message };
    }
  },
};

// ---------------------------------------------------------------- what the compiler predefines

const predefinedCache = new Map<string, Map<string, string>>();

/** The macros the compiler itself defines for this command line (`-dM -E`), so `#ifdef __x86_64__` reads as the compiler reads it. */
function predefinedMacros(configuration: OracleConfiguration): Map<string, string> {
  const args = [`-m${configuration.bits}`, '-dM', '-E', ...configuration.flags, '-x', configuration.language === 'cpp' ? 'c++' : 'c', '-'];
  const key = `${configuration.compiler} ${args.join(' ')}`;
  const cached = predefinedCache.get(key);
  if (cached) return cached;
  const run = spawnSync(configuration.compiler, args, { input: '', encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${key} failed: ${run.stderr}`);
  const defines = new Map<string, string>();
  for (const line of run.stdout.split('\n')) {
    const match = /^#define (\w+)(?: (.*))?$/.exec(line);
    if (match) defines.set(match[1]!, match[2] ?? '');
  }
  predefinedCache.set(key, defines);
  return defines;
}

function analyze(configuration: OracleConfiguration, text: string): EmbeddedResult {
  const source = path.join(FIXTURE_ROOT, configuration.fixture);
  const isC = configuration.compiler !== 'rustc';
  return analyzeEmbedded(text, {
    language: configuration.language,
    path: source,
    build: {
      bits: configuration.bits,
      asmSyntax: configuration.flags.includes('-masm=intel') ? 'intel' : 'att',
      ...(isC ? { defines: predefinedMacros(configuration), definesComplete: true } : {}),
    },
    reader: diskReader,
    includePaths: isC ? [FIXTURE_INCLUDE] : [],
    rules: ['all'],
  });
}

// ---------------------------------------------------------------- statements and groups

interface Statement {
  range: Range;
  kind: 'block' | 'intrinsic';
  toplevel: boolean;
  macro: boolean;
  msvc: boolean;
  msvcLine: boolean;
  name?: string;
}

function statementsOf(result: EmbeddedResult): Statement[] {
  const statements: Statement[] = [];
  for (const block of result.blocks) {
    statements.push({
      range: block.range,
      kind: 'block',
      toplevel: block.form === 'gnu-toplevel' || block.form === 'rust-global-asm',
      macro: (block.macroChain?.length ?? 0) > 0,
      msvc: block.form === 'msvc-block' || block.form === 'msvc-line',
      msvcLine: block.form === 'msvc-line',
    });
  }
  for (const call of result.intrinsics) {
    statements.push({ range: call.range, kind: 'intrinsic', toplevel: false, macro: (call.macroChain?.length ?? 0) > 0, msvc: false, msvcLine: false, name: call.name });
  }
  return statements;
}

function precedes(a: Position, b: Position): boolean {
  return a.line < b.line || (a.line === b.line && a.character < b.character);
}

function contains(outer: Range, inner: Range): boolean {
  return !precedes(inner.start, outer.start) && !precedes(outer.end, inner.end);
}

function rangeLength(range: Range): number {
  return (range.end.line - range.start.line) * 100_000 + range.end.character - range.start.character;
}

/** The innermost statement holding the finding's start. */
function statementOf(finding: Finding, statements: readonly Statement[]): Statement | undefined {
  let best: Statement | undefined;
  const at: Range = { start: finding.range.start, end: finding.range.start };
  for (const statement of statements) {
    if (contains(statement.range, at) && (!best || rangeLength(statement.range) < rangeLength(best.range))) best = statement;
  }
  return best;
}

/**
 * 1-based line spans of the statements, sorted. Consecutive `__asm` single lines are one statement
 * to the compiler (MSVC joins them into one block, and clang gives them the first one's line), so
 * adjacent ones are joined here.
 */
function statementSpans(statements: readonly Statement[]): [number, number][] {
  const spans: [number, number][] = [];
  const singleLines = new Set<number>();
  for (const statement of statements) {
    if (statement.toplevel) continue;
    if (statement.msvcLine) singleLines.add(statement.range.start.line + 1);
    spans.push([statement.range.start.line + 1, statement.range.end.line + 1]);
  }
  for (const line of singleLines) if (singleLines.has(line + 1)) spans.push([line, line + 1]);
  return spans.sort((a, b) => a[0] - b[0]);
}

interface Group {
  /** 1-based, inclusive. */
  firstLine: number;
  lastLine: number;
  expected: Set<string>;
  found: Set<string>;
  instructions: CompiledInstruction[];
  findings: Finding[];
  /** The compiler gave only the function's opening line: the group spans the function's unclaimed findings. */
  functionLevel?: boolean;
}

const TOPLEVEL = -1;

interface Comparison {
  groups: Map<number, Group>;
  toplevel: Group;
  sensitiveCompared: number;
  ownSensitive: CompiledInstruction[];
  otherFiles: string[];
}

function compare(result: EmbeddedResult, compilation: HostCompilation, source: string): Comparison {
  const statements = statementsOf(result);
  // Lines covered by one statement form one group; overlapping statements merge.
  const spans = statementSpans(statements);
  const groupOfLine = new Map<number, number>();
  let current: [number, number] | undefined;
  const flush = (): void => {
    if (current) for (let line = current[0]; line <= current[1]; line++) groupOfLine.set(line, current[0]);
  };
  for (const span of spans) {
    if (current && span[0] <= current[1]) current[1] = Math.max(current[1], span[1]);
    else {
      flush();
      current = [span[0], span[1]];
    }
  }
  flush();
  const groups = new Map<number, Group>();
  const newGroup = (first: number, last: number): Group => ({ firstLine: first, lastLine: last, expected: new Set(), found: new Set(), instructions: [], findings: [] });
  const groupFor = (line: number): Group => {
    const key = groupOfLine.get(line) ?? line;
    let group = groups.get(key);
    if (!group) {
      let last = key;
      while (groupOfLine.get(last + 1) === key) last++;
      groups.set(key, (group = newGroup(key, last)));
    }
    return group;
  };
  const toplevel = newGroup(TOPLEVEL, TOPLEVEL);
  let sensitiveCompared = 0;
  for (const [line, instructions] of compilation.byLine.get(source) ?? new Map<number, CompiledInstruction[]>()) {
    for (const instruction of instructions) {
      if (!instruction.rule) continue;
      const group = groupFor(line);
      group.expected.add(instruction.rule);
      group.instructions.push(instruction);
      sensitiveCompared++;
    }
  }
  const ownSensitive: CompiledInstruction[] = [];
  for (const instruction of compilation.unattributed) {
    if (!instruction.rule) continue;
    if (instruction.functionName === undefined) {
      toplevel.expected.add(instruction.rule);
      toplevel.instructions.push(instruction);
      sensitiveCompared++;
    } else ownSensitive.push(instruction);
  }
  for (const finding of result.findings) {
    if (isMetaRuleId(finding.ruleId)) continue;
    const statement = statementOf(finding, statements);
    const group = statement?.toplevel ? toplevel : groupFor(finding.range.start.line + 1);
    group.found.add(finding.ruleId);
    group.findings.push(finding);
  }
  foldFunctionLevelGroups(groups, groupOfLine, functionEntryLines(compilation, source));
  const otherFiles: string[] = [];
  for (const [file, lines] of compilation.byLine) {
    if (file === source) continue;
    for (const [line, instructions] of lines) {
      for (const instruction of instructions) if (instruction.rule) otherFiles.push(`${file}:${line}: ${describeInstruction(instruction)}`);
    }
  }
  return { groups, toplevel, sensitiveCompared, ownSensitive, otherFiles };
}

/** The line of each function's first instruction in `source` (its opening line), sorted. */
function functionEntryLines(compilation: HostCompilation, source: string): number[] {
  const seen = new Set<string>();
  const entries = new Set<number>();
  for (const instruction of compilation.instructions) {
    if (instruction.functionName === undefined || seen.has(instruction.functionName)) continue;
    seen.add(instruction.functionName);
    if (instruction.at?.file === source) entries.add(instruction.at.line);
  }
  return Array.from(entries).sort((a, b) => a - b);
}

/**
 * At -O2 gcc sometimes gives an instruction only its function's opening line (a builtin such as
 * `__builtin_ia32_rdtsc` loses its own line). Such a group, on an entry line no statement covers,
 * is compared with the findings of its function that no compiler line claims: the groups between
 * this entry line and the next one with findings and no compiler instruction.
 */
function foldFunctionLevelGroups(groups: Map<number, Group>, groupOfLine: ReadonlyMap<number, number>, entries: readonly number[]): void {
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    const entryGroup = groups.get(entry);
    if (!entryGroup || groupOfLine.has(entry) || entryGroup.expected.size === 0) continue;
    const end = entries[i + 1] ?? Number.MAX_SAFE_INTEGER;
    for (const [key, group] of groups) {
      if (key <= entry || key >= end || group.expected.size > 0 || group.found.size === 0) continue;
      for (const rule of group.found) entryGroup.found.add(rule);
      for (const finding of group.findings) entryGroup.findings.push(finding);
      entryGroup.lastLine = Math.max(entryGroup.lastLine, group.lastLine);
      entryGroup.functionLevel = true;
      groups.delete(key);
    }
  }
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const value of a) if (!b.has(value)) return false;
  return true;
}

function sorted(set: ReadonlySet<string>): string {
  return Array.from(set).sort().join(', ') || '(none)';
}

function describeGroup(group: Group, lines: readonly string[]): string {
  const where = group.firstLine === TOPLEVEL ? 'file-scope asm' : `lines ${group.firstLine}-${group.lastLine}${group.functionLevel ? ' (function-level line)' : ''}`;
  const out = [`  ${where}: compiler {${sorted(group.expected)}} virtlint {${sorted(group.found)}}`];
  if (group.firstLine !== TOPLEVEL) {
    for (let line = group.firstLine; line <= group.lastLine; line++) out.push(`    ${String(line).padStart(4)}| ${lines[line - 1] ?? ''}`);
  }
  for (const instruction of group.instructions) out.push(`    compiler: ${describeInstruction(instruction)}`);
  for (const finding of group.findings) out.push(`    virtlint: ${finding.ruleId} at ${finding.range.start.line + 1}:${finding.range.start.character + 1}-${finding.range.end.character + 1} ${finding.codeName ?? ''}`);
  return out.join('\n');
}

// ---------------------------------------------------------------- columns

function columnProblems(result: EmbeddedResult, text: string, rust: boolean): string[] {
  const starts = lineStarts(text);
  const literals = stringLiteralSpans(text, rust);
  const statements = statementsOf(result);
  const offsetOf = (p: Position): number => (starts[p.line] ?? text.length) + p.character;
  const problems: string[] = [];
  for (const finding of result.findings) {
    if (isMetaRuleId(finding.ruleId)) continue;
    const start = offsetOf(finding.range.start);
    const end = offsetOf(finding.range.end);
    const shown = `${finding.ruleId} at ${finding.range.start.line + 1}:${finding.range.start.character + 1}-${finding.range.end.line + 1}:${finding.range.end.character + 1} ${JSON.stringify(text.slice(start, Math.min(end, start + 60)))}`;
    const lineEnd = text.indexOf('\n', start);
    const statement = statementOf(finding, statements);
    const oneLine = end <= (lineEnd < 0 ? text.length : lineEnd);
    if (finding.range.start.line >= starts.length || end < start || text.slice(start, end).trim() === '') {
      problems.push(`${shown}: not a non-empty range`);
    } else if (!statement) {
      problems.push(`${shown}: in no asm statement or intrinsic call`);
    } else if (!contains(statement.range, finding.range)) {
      problems.push(`${shown}: outside its statement`);
    } else if (statement.kind === 'intrinsic') {
      if (!oneLine || !/^[A-Za-z_][\w:]*$/.test(text.slice(start, end)) || !/^\s*(?:::<[^>]*>)?\s*\(/.test(text.slice(end, end + 40))) problems.push(`${shown}: not on the intrinsic's name`);
    } else if (!statement.macro && !statement.msvc) {
      // Inside one string literal, or a whole word outside them: a macro that makes the template (`CPUID_STRING`, `#x`'s argument).
      const inLiteral = literals.some((span) => span.start <= start && end <= span.end);
      const word = oneLine && /^[A-Za-z_]\w*$/.test(text.slice(start, end)) && !/\w/.test(text[start - 1] ?? '') && !/\w/.test(text[end] ?? '');
      if (!inLiteral && !word) problems.push(`${shown}: neither inside a string literal nor a whole word of the statement`);
    } else if (statement.msvc && !oneLine) {
      problems.push(`${shown}: spans lines of an MSVC block`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------- the tests

describe('embedded: inline-asm oracle (gcc, clang, rustc + DWARF + iced-x86)', function () {
  this.timeout(600_000);
  const configurations = oracleConfigurations();
  const compiled = new Map<OracleConfiguration, HostCompilation | Error>();
  const report: string[] = [];

  before(async function () {
    const results = await mapPool(configurations, 2, async (configuration) => {
      try {
        return await compileHost({
          compiler: configuration.compiler,
          source: path.join(FIXTURE_ROOT, configuration.fixture),
          bits: configuration.bits,
          optimize: configuration.optimize,
          flags: configuration.flags,
          includeDirs: configuration.compiler === 'rustc' ? [] : [FIXTURE_INCLUDE],
          userDirs: [FIXTURE_ROOT],
          ...(configuration.env ? { env: configuration.env } : {}),
        });
      } catch (error) {
        return error as Error;
      }
    });
    configurations.forEach((configuration, index) => compiled.set(configuration, results[index]!));
  });

  after(function () {
    fs.mkdirSync(path.dirname(REPORT), { recursive: true });
    fs.writeFileSync(REPORT, report.length > 0 ? report.join('\n\n') + '\n' : 'no mismatches\n');
  });

  for (const configuration of configurations) {
    it(describeConfiguration(configuration), function () {
      const compilation = compiled.get(configuration);
      if (compilation instanceof Error) throw compilation;
      assert.ok(compilation, 'not compiled');
      const source = path.join(FIXTURE_ROOT, configuration.fixture);
      const text = fs.readFileSync(source, 'utf8');
      const lines = text.split('\n');
      const result = analyze(configuration, text);
      const comparison = compare(result, compilation, source);
      if (comparison.ownSensitive.length > 0) {
        console.log(`      sensitive instructions on no user line (excluded; header and library functions are credited to the lines that call them):\n${comparison.ownSensitive.map((i) => '        ' + describeInstruction(i)).join('\n')}`);
      }
      if (result.problems.length > 0) {
        console.log(`      front-end problems:\n${result.problems.map((p) => `        ${p.range.start.line + 1}:${p.range.start.character + 1}: ${p.message}`).join('\n')}`);
      }
      const failures: string[] = [];
      for (const group of Array.from(comparison.groups.values()).concat(comparison.toplevel)) {
        if (!sameSet(group.expected, group.found)) failures.push(describeGroup(group, lines));
      }
      for (const problem of columnProblems(result, text, configuration.language === 'rust')) failures.push(`  column: ${problem}`);
      for (const other of comparison.otherFiles) failures.push(`  attributed to another user file: ${other}`);
      if (failures.length > 0) {
        const command = `${configuration.compiler} ${compilerArguments({ compiler: configuration.compiler, source, bits: configuration.bits, optimize: configuration.optimize, flags: configuration.flags, includeDirs: [FIXTURE_INCLUDE] }).join(' ')}`;
        report.push(`${describeConfiguration(configuration)}\n  ${command}\n${failures.join('\n')}`);
      }
      assert.ok(comparison.sensitiveCompared > 0, `${configuration.fixture}: the compiler emitted no sensitive instruction, so nothing was compared`);
      assert.deepEqual(failures, [], `${describeConfiguration(configuration)}:\n${failures.join('\n')}`);
    });
  }
});
