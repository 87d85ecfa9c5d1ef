// The fix fuzzer's files and checks (`npm run fuzz` runs them; fuzz.test.ts runs a few).
//
// A file is random lines in one dialect and bitness: neutral instructions, sensitive ones,
// labels, data, comments (trailing, whole-line, GNU as block comments that open on an
// instruction's line and close later, comments ending in a backslash), statements continued
// with a backslash, suppression comments and a modeline, ended with LF, CRLF, lone CR or a mix,
// sometimes behind a UTF-8 byte order mark. For one strategy, `checkFixes` fixes it as the CLI
// does and checks:
//   - every line the fixes did not touch keeps its text and line break, its findings, and
//     (assembled with nasm, GNU as or fasm, before and after) its bytes, except a macro's
//     invocation when its body was fixed: that fix is checked on the invocation's bytes;
//   - a forced-emulation fix assembles to the prefix and then the original instruction's
//     bytes, a POPF trap ends with the original POPF;
//   - the lines a fix wrote report nothing, and the file reads with the same dialect and bitness;
//   - the fixed file assembles, the same with its own line breaks as with plain LF;
//   - the --fix-dry-run diff, applied with `git apply`, gives the fixed file;
//   - a second run changes nothing.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { analyzeText, isGas, type AnalysisOptions, type AnalysisResult, type Bits, type Dialect, type Finding } from '../../server/src/analysis';
import { applyEdits, FORCED_EMULATION_PREFIX, fixForStrategy, hypercallDefinitions, planFixes, type FixKind, type FixStrategy, type HypercallAbi, type TextEdit } from '../../server/src/analysis/fixes';
import { splitKeepingBreaks } from '../../server/src/analysis/text/lineBreaks';
import { applyFixes } from '../../server/src/cli/fix';
import { unifiedDiff } from '../../server/src/cli/diff';
import { assemble, assembleDetailed, AssemblyFailedError, type Assembler, type Assembly, type LineBytes } from '../helpers/assemble';
import { CASE_RULES, instructionFor } from './cases';

export interface Random {
  below(n: number): number;
  pick<T>(items: readonly T[]): T;
}

/** xorshift32: fast, seeded, reproducible (the fuzz script's other parts use it too). */
export class SeededRandom implements Random {
  constructor(private state: number) {
    if (this.state === 0) this.state = 0x9e3779b9;
  }
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.state = x;
    return x;
  }
  below(n: number): number {
    return this.next() % n;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }
}

export const FUZZ_DIALECTS: readonly Dialect[] = ['nasm', 'gas-att', 'gas-intel', 'fasm', 'masm'];
export type LineEnds = 'lf' | 'crlf' | 'cr' | 'mixed';

export interface FuzzFile {
  dialect: Dialect;
  bits: Bits;
  /** The text as the CLI decodes it (no byte order mark). */
  text: string;
  byteOrderMark: boolean;
  lineEnds: LineEnds;
}

const marker = (dialect: Dialect) => (isGas(dialect) ? '#' : ';');

function neutralInstructions(dialect: Dialect, bits: Bits): string[] {
  const [a, b, c, d, si, di] = bits === 64 ? ['rax', 'rbx', 'rcx', 'edx', 'rsi', 'rdi'] : bits === 32 ? ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi'] : ['ax', 'bx', 'cx', 'dx', 'si', 'di'];
  if (dialect === 'gas-att') return ['nop', 'cld', 'clc', `mov $1, %${a}`, `add %${c}, %${b}`, `xor %${d}, %${d}`, `inc %${si}`, `push %${a}`, `pop %${b}`, `lea 2(%${b}), %${di}`];
  return ['nop', 'cld', 'clc', `mov ${a}, 1`, `add ${b}, ${c}`, `xor ${d}, ${d}`, `inc ${si}`, `push ${a}`, `pop ${b}`, `lea ${di}, [${b}+2]`];
}

function sensitiveInstruction(random: Random, dialect: Dialect, bits: Bits): string {
  for (;;) {
    const found = instructionFor(random.pick(CASE_RULES), dialect === 'masm' ? 'masm' : dialect, bits);
    if (found) return found;
  }
}

const COMMENT_WORDS = ['saved flags', 'see the note below', 'pushf here', 'eax = 1; ebx = 2', 'a /* b', 'C:\\path\\', '%define x', 'virtlint-fixed: popf', ''];

/**
 * fasm does not continue a comment that ends in a backslash, but the test helper that
 * attributes fasm's bytes to lines thinks it does (test/helpers/assemble.ts), so fasm files
 * get no such comments.
 */
function commentWords(dialect: Dialect): string[] {
  return dialect === 'fasm' ? COMMENT_WORDS.filter((words) => !words.endsWith('\\')) : COMMENT_WORDS;
}

/** What the statements of one file share: the next free name, and the modeline that states how the file starts. */
interface FileState {
  next: number;
  modeline: string;
}

function commentText(random: Random, dialect: Dialect, file: FileState): string {
  switch (random.below(8)) {
    case 0:
      return `virtlint-${random.pick(['disable-next-line', 'disable', 'enable'])} ${random.pick(['popf', 'pushf', 'cpuid', 'bogus-rule'])} -- fuzz`;
    case 1:
      return file.modeline;
    default:
      return random.pick(commentWords(dialect));
  }
}

function headerLines(dialect: Dialect, bits: Bits): string[] {
  switch (dialect) {
    case 'nasm':
      return [`bits ${bits}`];
    case 'gas-att':
      return [`.code${bits}`];
    case 'gas-intel':
      return ['.intel_syntax noprefix', `.code${bits}`];
    case 'fasm':
      return [`use${bits}`];
    case 'masm':
      return bits === 64 ? ['.code'] : ['.model flat', '.code'];
  }
}

/** One random file: 8 to 30 statements and whatever comments, continuations and mode switches come with them. */
export function randomFile(random: Random, dialect: Dialect): FuzzFile {
  const startBits = dialect === 'masm' ? random.pick<Bits>([32, 64]) : random.pick<Bits>([16, 32, 64]);
  let bits = startBits;
  const lines: string[] = random.below(5) === 0 && dialect !== 'gas-intel' ? [] : headerLines(dialect, bits);
  if (lines.length === 0 && dialect === 'nasm' && bits === 16 && random.below(2) === 0) lines.push('org 0x7c00');
  const state: FileState = { next: 0, modeline: `virtlint: dialect=${dialect} bits=${startBits}` };
  const statements = 8 + random.below(23);
  let syntax = dialect;
  for (let i = 0; i < statements; i++) {
    if (isGas(dialect) && random.below(25) === 0) {
      syntax = syntax === 'gas-att' ? 'gas-intel' : 'gas-att';
      lines.push(syntax === 'gas-att' ? '.att_syntax' : '.intel_syntax noprefix');
    } else if (dialect !== 'masm' && random.below(20) === 0) {
      bits = random.pick<Bits>([16, 32, 64]);
      // The empty line keeps the switch out of a NASM comment above that ends in a backslash:
      // NASM splices it into the comment and the analysis does not, so the analysis would
      // read the lines below with a bitness NASM never switched to.
      lines.push('', modeSwitch(random, dialect, bits));
    } else {
      statement(random, syntax, bits, state, lines);
    }
  }
  if (dialect === 'masm') lines.push('end');
  const lineEnds = random.pick<LineEnds>(['lf', 'lf', 'crlf', 'cr', 'mixed']);
  let text = joinLines(random, lines, lineEnds);
  if (random.below(6) === 0) text = text.replace(/(\r\n|\r|\n)$/, '');
  return { dialect, bits: startBits, text, byteOrderMark: random.below(5) === 0, lineEnds };
}

function modeSwitch(random: Random, dialect: Dialect, bits: Bits): string {
  if (dialect === 'nasm') return random.below(2) ? `bits ${bits}` : `[bits ${bits}]`;
  if (dialect === 'fasm') return `use${bits}`;
  return `.code${bits}`;
}

/** One statement, and the lines that belong to it (a comment's continuation, a macro body). */
function statement(random: Random, dialect: Dialect, bits: Bits, state: FileState, lines: string[]): void {
  const kind = random.below(16);
  const indent = random.pick(['', '    ', '\t', '  ']);
  const neutral = neutralInstructions(dialect, bits);
  const instruction = kind < 5 || kind >= 12 ? spelled(random, dialect, sensitiveInstruction(random, dialect, bits)) : random.pick(neutral);
  // Some labels look like the ones fixes make, which must not clash with them.
  const label = random.below(5) === 0 ? `${random.below(4) === 0 ? labelLike(dialect, state.next++) : `l_${state.next++}`}: ` : '';
  if (kind < 9) {
    const comment = trailing(random, dialect, bits, state);
    lines.push(indent + label + instruction + comment.text);
    for (const line of comment.linesAfter) lines.push(line);
  } else if (kind === 9) {
    lines.push(random.below(2) ? '' : `${indent}${marker(dialect)} ${commentText(random, dialect, state)}`);
  } else if (kind === 10) {
    lines.push(`${indent}${isGas(dialect) ? '.byte' : 'db'} 1, 2`);
  } else if (kind === 11) {
    continuedStatement(random, dialect, bits, state, indent, lines);
  } else if (kind === 12) {
    lines.push(indent + sharedLine(random, dialect, instruction, random.pick(neutral)));
  } else if (kind === 13) {
    macro(dialect, instruction, `m_${state.next++}`, lines);
  } else if (kind === 14 && dialect === 'masm') {
    lines.push('COMMENT !', `    ${instruction}`, '!');
  } else if (kind === 14 && dialect === 'nasm') {
    lines.push(`${indent}n_${state.next++} ${instruction}`);
  } else {
    lines.push(`${indent}${label}${instruction}`);
  }
}

function labelLike(dialect: Dialect, n: number): string {
  const base = `vl_${['cli', 'popf'][n % 2]}_${n + 2}`;
  return dialect === 'nasm' ? `..@${base}` : dialect === 'fasm' ? `..${base}` : isGas(dialect) ? `.L${base}` : base;
}

/** Mnemonics are case-blind in NASM, MASM and FASM. */
function spelled(random: Random, dialect: Dialect, instruction: string): string {
  return !isGas(dialect) && random.below(6) === 0 ? instruction.toUpperCase().replace(/0X/g, '0x') : instruction;
}

/** A line where the instruction shares its line with something that belongs to it or follows it. */
function sharedLine(random: Random, dialect: Dialect, instruction: string, other: string): string {
  if (isGas(dialect)) return random.pick([`${other}; ${instruction}`, `${instruction}; ${other}`, `rep; ${instruction}`, `/* before */ ${instruction}`]);
  if (dialect === 'nasm' || dialect === 'fasm') return `times 2 ${instruction}`;
  return instruction;
}

function macro(dialect: Dialect, instruction: string, name: string, lines: string[]): void {
  lines.push(''); // kept out of a comment above that ends in a backslash, like a mode switch
  switch (dialect) {
    case 'nasm':
      lines.push(`%macro ${name} 0`, `    ${instruction}`, '%endmacro', `    ${name}`);
      return;
    case 'gas-att':
    case 'gas-intel':
      lines.push(`.macro ${name}`, `    ${instruction}`, '.endm', `    ${name}`);
      return;
    case 'fasm':
      lines.push(`macro ${name} {`, `    ${instruction}`, '}', `    ${name}`);
      return;
    case 'masm':
      lines.push(`${name} MACRO`, `    ${instruction}`, 'ENDM', `    ${name}`);
  }
}

interface Trailing {
  text: string;
  /** The lines a comment that continues runs on into. */
  linesAfter: string[];
}

/** A trailing comment, sometimes one that continues onto the lines after it. */
function trailing(random: Random, dialect: Dialect, bits: Bits, state: FileState): Trailing {
  const roll = random.below(6);
  if (roll < 2) return { text: '', linesAfter: [] };
  if (roll < 4) return { text: ` ${marker(dialect)} ${commentText(random, dialect, state)}`, linesAfter: [] };
  if (isGas(dialect) && roll === 4) {
    // Opens here, closes later; after the closer there may be code again.
    const linesAfter: string[] = [];
    for (let i = random.below(3); i > 0; i--) linesAfter.push(random.pick(['   popf', '   # not a directive', '   ; still comment', '']));
    linesAfter.push(random.pick(['   end of it */', '*/ nop', `   */ ${sensitiveInstruction(random, dialect, bits)}`]));
    return { text: ` /* ${random.pick(COMMENT_WORDS)}`, linesAfter };
  }
  if (isGas(dialect)) return { text: ` /* ${random.pick(COMMENT_WORDS).replace(/\/\*/g, '')} */`, linesAfter: [] };
  // A comment ending in a backslash: NASM splices the next line into it.
  if (dialect !== 'fasm') return { text: ` ; ${random.pick(COMMENT_WORDS)} \\`, linesAfter: [] };
  return { text: ` ; ${random.pick(commentWords(dialect))}`, linesAfter: [] };
}

function continuedStatement(random: Random, dialect: Dialect, bits: Bits, state: FileState, indent: string, lines: string[]): void {
  const a = bits === 64 ? 'rax' : bits === 32 ? 'eax' : 'ax';
  if (dialect === 'nasm' || dialect === 'masm') lines.push(`${indent}mov ${a}, \\`, `${indent}    1`);
  else if (dialect === 'fasm') lines.push(`${indent}mov ${a}, \\ ; continued`, `${indent}    1`);
  else lines.push(`${indent}${marker(dialect)} ${commentText(random, dialect, state)}`);
}

function joinLines(random: Random, lines: string[], lineEnds: LineEnds): string {
  const parts: string[] = [];
  for (const line of lines) parts.push(line, lineBreak(random, lineEnds));
  return parts.join('');
}

function lineBreak(random: Random, lineEnds: LineEnds): string {
  switch (lineEnds) {
    case 'lf':
      return '\n';
    case 'crlf':
      return '\r\n';
    case 'cr':
      return '\r';
    case 'mixed':
      return random.pick(['\n', '\n', '\r\n', '\r']);
  }
}

export interface FixCheck {
  /** Instructions rewritten. */
  fixes: number;
  /** A modeline was added to keep the reading. */
  pinned: boolean;
  /** Why the byte comparison did not run (MASM, or an original the assembler rejects), if it did not. */
  notAssembled?: string;
  problems: string[];
}

const HINT_NAME: Record<Dialect, string> = { nasm: 'fuzz.nasm', 'gas-att': 'fuzz.s', 'gas-intel': 'fuzz.s', masm: 'fuzz.masm', fasm: 'fuzz.fasm' };

/** Fixes `file` with one strategy as `virtlint --fix` does and checks the result (see the top of this file). */
export function checkFixes(file: FuzzFile, strategy: FixStrategy, abi: HypercallAbi, detect: boolean): FixCheck {
  const options: AnalysisOptions = detect ? { fileName: HINT_NAME[file.dialect], rules: ['all'] } : { dialect: file.dialect, rules: ['all'] };
  const before = analyzeText(file.text, options);
  const problems: string[] = [];
  const planned = planFixes(file.text, before, strategy, { abi });
  const edits = planned.readingPin ? [planned.readingPin].concat(planned.fixes) : planned.fixes;
  const fixedText = applyEdits(file.text, edits);
  const sites = siteMap(file.text, before, planned.fixes, strategy, abi, planned.readingPin ? 1 : 0);
  const after = analyzeText(fixedText, options);

  checkText(file.text, fixedText, sites, problems);
  if (after.dialect !== before.dialect || after.bits !== before.bits) {
    problems.push(`read as ${after.dialect}/${after.bits} after the fix, ${before.dialect}/${before.bits} before`);
  }
  checkFindings(before, after, sites, problems);
  const again = applyFixes(fixedText, after, strategy, { abi });
  if (again.text !== fixedText) problems.push(`a second run rewrote ${again.applied} more instruction(s)`);
  checkDryRunDiff(file, fixedText, problems);
  // A file read as starting in another dialect gets fixes written for that reading (GNU as
  // code with no `%` before an `.intel_syntax` reads as Intel from the top): only the text is checked.
  const notAssembled = before.dialect === file.dialect ? checkBytes(file, before.bits, fixedText, sites, abi, problems) : 'read as another dialect';
  return { fixes: planned.fixes.length, pinned: planned.readingPin !== undefined, ...(notAssembled ? { notAssembled } : {}), problems };
}

/** Where each original line went. */
interface SiteMap {
  /** Original line → first line in the fixed text. */
  lineAfter: number[];
  /** Original lines a fix rewrote → the fix's kind and how many lines it wrote. */
  fixed: Map<number, FixedSite>;
}

interface FixedSite {
  kind: FixKind;
  ruleId: string;
  /** Where the fix's text starts on the line (what comes before it stays). */
  character: number;
  lineCount: number;
  /** A macro body line: the original line of the macro's one invocation, where its bytes land. */
  usedAt?: number;
}

const IN_BODY = / in the body of (\S+) \(changes every use\)$/;

function siteMap(text: string, result: AnalysisResult, fixes: readonly TextEdit[], strategy: FixStrategy, abi: HypercallAbi, pinLines: number): SiteMap {
  const fixed = new Map<number, FixedSite>();
  const lines = splitKeepingBreaks(text).lines;
  for (const edit of fixes) {
    const finding = result.findings.find((f) => f.range.start.line === edit.range.start.line && f.range.start.character === edit.range.start.character);
    const fix = finding ? fixForStrategy(text, finding, strategy, { abi }) : undefined;
    const lineCount = splitKeepingBreaks(edit.newText).lines.length;
    const macro = IN_BODY.exec(fix?.title ?? '')?.[1];
    const usedAt = macro === undefined ? -1 : lines.findIndex((line) => line.trim() === macro);
    fixed.set(edit.range.start.line, { kind: fix?.kind ?? 'hypercall', ruleId: finding?.ruleId ?? '?', character: edit.range.start.character, lineCount, ...(usedAt >= 0 ? { usedAt } : {}) });
  }
  const count = lines.length;
  const lineAfter: number[] = [];
  let shift = pinLines;
  for (let line = 0; line < count; line++) {
    lineAfter.push(line + shift);
    shift += (fixed.get(line)?.lineCount ?? 1) - 1;
  }
  return { lineAfter, fixed };
}

function checkText(text: string, fixedText: string, sites: SiteMap, problems: string[]): void {
  const original = splitKeepingBreaks(text);
  const fixed = splitKeepingBreaks(fixedText);
  original.lines.forEach((line, i) => {
    const at = sites.lineAfter[i]!;
    const site = sites.fixed.get(i);
    if (!site) {
      if (fixed.lines[at] !== line || fixed.breaks[at] !== original.breaks[i]) problems.push(`untouched line ${i + 1} changed: ${JSON.stringify(line + original.breaks[i])} → ${JSON.stringify(fixed.lines[at]! + fixed.breaks[at])}`);
      return;
    }
    const last = at + site.lineCount - 1;
    if (fixed.breaks[last] !== original.breaks[i]) problems.push(`line ${i + 1}: the fix's last line ends with ${JSON.stringify(fixed.breaks[last])}, the line ended with ${JSON.stringify(original.breaks[i])}`);
    const written = original.breaks[i] || original.breaks[i - 1] || '\n';
    for (let k = at; k < last; k++) {
      if (fixed.breaks[k] !== written) problems.push(`line ${i + 1}: an added line ends with ${JSON.stringify(fixed.breaks[k])}, its neighbourhood with ${JSON.stringify(written)}`);
    }
  });
}

function findingKey(finding: Finding): string {
  return `${finding.ruleId}@${finding.range.start.character}`;
}

function findingsByLine(result: AnalysisResult): Map<number, string[]> {
  const byLine = new Map<number, string[]>();
  for (const finding of result.findings) {
    const list = byLine.get(finding.range.start.line) ?? [];
    list.push(findingKey(finding));
    byLine.set(finding.range.start.line, list);
  }
  return byLine;
}

/**
 * Untouched lines report what they reported. The lines a fix wrote report only what the
 * statements before the instruction reported, where they were, and the `unknown-rule` ids of
 * the comment the fix moved to its last line.
 */
function checkFindings(before: AnalysisResult, after: AnalysisResult, sites: SiteMap, problems: string[]): void {
  const was = findingsByLine(before);
  const now = findingsByLine(after);
  sites.lineAfter.forEach((at, i) => {
    const site = sites.fixed.get(i);
    if (!site) {
      const a = (was.get(i) ?? []).sort().join(' ');
      const b = (now.get(at) ?? []).sort().join(' ');
      if (a !== b) problems.push(`untouched line ${i + 1} reported [${a}] before, [${b}] after`);
      return;
    }
    const isUnknownRule = (key: string) => key.startsWith('unknown-rule@');
    const stays = (was.get(i) ?? []).filter((key) => !isUnknownRule(key) && Number(key.split('@')[1]) < site.character);
    const expected = new Set(stays.map((key) => `${at}:${key}`));
    const unknownBefore = (was.get(i) ?? []).filter(isUnknownRule).length;
    let unknownAfter = 0;
    for (let k = at; k < at + site.lineCount; k++) {
      for (const key of now.get(k) ?? []) {
        if (isUnknownRule(key)) unknownAfter++;
        else if (!expected.delete(`${k}:${key}`)) problems.push(`line ${k + 1}, written by the ${site.ruleId} fix, reports ${key}`);
      }
    }
    for (const key of expected) problems.push(`line ${i + 1}: ${key.split(':')[1]} before the fixed instruction is no longer reported`);
    if (unknownAfter !== unknownBefore) problems.push(`line ${i + 1}: ${unknownBefore} unknown-rule finding(s) in its comment before the fix, ${unknownAfter} after`);
  });
}

/** The --fix-dry-run diff, applied by `git apply` to the file as it is on disk, gives what --fix writes. */
function checkDryRunDiff(file: FuzzFile, fixedText: string, problems: string[]): void {
  if (fixedText === file.text) return;
  const bom = file.byteOrderMark ? '\ufeff' : '';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtlint-fixfuzz-'));
  try {
    fs.writeFileSync(path.join(dir, 'f.asm'), bom + file.text);
    const diff = unifiedDiff(file.text, fixedText, 'a/f.asm', 'b/f.asm', { byteOrderMark: file.byteOrderMark });
    const run = spawnSync('git', ['apply', '-'], { cwd: dir, input: diff, encoding: 'utf8' });
    if (run.error) throw new Error(`git is needed by the fix fuzzer: ${run.error.message}`);
    if (run.status !== 0) problems.push(`git apply rejected the dry-run diff: ${run.stderr.trim().split('\n')[0]}`);
    else if (fs.readFileSync(path.join(dir, 'f.asm'), 'utf8') !== bom + fixedText) problems.push('the dry-run diff, applied, is not what --fix writes');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const ASSEMBLER: Record<Dialect, Assembler | undefined> = { nasm: 'nasm', 'gas-att': 'gas', 'gas-intel': 'gas', fasm: 'fasm', masm: undefined };

/** Definitions the fixes refer to, so that a flat binary assembles. */
function prelude(dialect: Dialect, abi: HypercallAbi): string[] {
  const lines = hypercallDefinitions(dialect, abi).trimEnd().split('\n');
  for (const [name, value] of [['hypercall_page', '0x1000'], ['hv_hypercall_pg', '0x2000'], ['xen_vcpu_info', '0x3000']] as const) {
    lines.push(dialect === 'fasm' ? `${name} = ${value}` : isGas(dialect) ? `.set ${name}, ${value}` : `${name} equ ${value}`);
  }
  return lines;
}

/**
 * Assembles the original and the fixed text, each line ended with LF so that the assemblers'
 * line numbers are the analysis' (GNU as does not end a line at a lone CR); then the fixed text
 * again with its own line breaks, which must give the same code.
 */
function checkBytes(file: FuzzFile, bits: Bits, fixedText: string, sites: SiteMap, abi: HypercallAbi, problems: string[]): string | undefined {
  const assembler = ASSEMBLER[file.dialect];
  if (!assembler) return 'no MASM assembler';
  const head = prelude(file.dialect, abi);
  const source = (text: string) => head.join('\n') + '\n' + splitKeepingBreaks(text).lines.join('\n');
  let before: LineBytes;
  try {
    before = assemble(assembler, source(file.text), { bits });
  } catch (error) {
    if (error instanceof AssemblyFailedError) return `the original does not assemble (${firstError(error)})`;
    throw error;
  }
  let assembled: Assembly;
  try {
    assembled = assembleDetailed(assembler, source(fixedText), { bits });
  } catch (error) {
    if (!(error instanceof AssemblyFailedError)) throw error;
    problems.push(`the fixed file does not assemble: ${firstError(error)}`);
    return undefined;
  }
  const after = assembled.lines;
  const bytesOf = (lines: LineBytes, line: number) => Buffer.from(lines.get(head.length + line + 1) ?? []).toString('hex');
  // A fixed macro body line's code is assembled at the macro's invocation: it is checked there.
  const invocations = new Set<number>();
  for (const site of sites.fixed.values()) if (site.usedAt !== undefined) invocations.add(site.usedAt);
  sites.lineAfter.forEach((at, i) => {
    const site = sites.fixed.get(i);
    if (!site) {
      const original = bytesOf(before, i);
      if (!invocations.has(i) && bytesOf(after, at) !== original) problems.push(`untouched line ${i + 1} assembled to ${original || 'nothing'} before, ${bytesOf(after, at) || 'nothing'} after`);
      return;
    }
    const original = bytesOf(before, site.usedAt ?? i);
    let written = '';
    if (site.usedAt !== undefined) written = bytesOf(after, sites.lineAfter[site.usedAt]!);
    else for (let k = at; k < at + site.lineCount; k++) written += bytesOf(after, k);
    if (site.kind === 'forced-emulation' && !insertsPrefix(original, written)) {
      problems.push(`line ${i + 1}: the ${site.ruleId} prefix fix assembled to ${written}, not ${original} with a prefix in front of its instruction`);
    } else if (site.kind === 'trap-equivalent' && site.ruleId === 'popf' && !keepsPopf(original, written)) {
      problems.push(`line ${i + 1}: the POPF trap fix (${written}) does not keep what came before the POPF and end with it (${original})`);
    }
  });
  if (file.lineEnds !== 'lf' && !(isGas(file.dialect) && /\r(?!\n)/.test(fixedText))) {
    try {
      const own = assembleDetailed(assembler, head.join('\n') + '\n' + fixedText, { bits });
      if (Buffer.compare(Buffer.from(own.image), Buffer.from(assembled.image)) !== 0) problems.push('the fixed file assembles differently with its own line breaks than with LF');
    } catch (error) {
      if (!(error instanceof AssemblyFailedError)) throw error;
      problems.push(`the fixed file, with its own line breaks, does not assemble: ${firstError(error)}`);
    }
  }
  return undefined;
}

const PREFIXES_HEX = Object.values(FORCED_EMULATION_PREFIX).map((bytes) => Buffer.from(bytes).toString('hex'));

/** The line's bytes before its POPF come first, its POPF (with an operand-size prefix) last. */
function keepsPopf(original: string, written: string): boolean {
  const popf = /(?:66|48)?9d$/.exec(original)?.[0];
  return popf !== undefined && written.startsWith(original.slice(0, original.length - popf.length)) && written.endsWith(popf);
}

/** `written` is `original` with a prefix inserted before some of its bytes (the line may hold a statement before the instruction). */
function insertsPrefix(original: string, written: string): boolean {
  for (const prefix of PREFIXES_HEX) {
    const at = written.indexOf(prefix);
    if (at >= 0 && at % 2 === 0 && at + prefix.length < written.length && written.slice(0, at) + written.slice(at + prefix.length) === original) return true;
  }
  return false;
}

function firstError(error: Error): string {
  return error.message.split('\n').find((line) => /error/i.test(line) && !/exited with/.test(line))?.trim() ?? error.message.split('\n')[0]!;
}
