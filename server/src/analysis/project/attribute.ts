// Findings for lines the assembler saw as changed text: reported at the line the user wrote
// (the outermost invocation), naming the macro, with the body line as related information.
import { findingFor, type Policy } from '../document/findings';
import type { Bits, Dialect, FileLocation, Finding, MacroStep, ParsedInstruction, Range, RelatedLocation } from '../types';
import type { FileCache } from './fileCache';
import { basename, dirname, displayPath } from './paths';
import type { LineEntry } from '../document/lineEntries';
import type { InstanceRecord, ProducedLine } from './walk';
import type { ColumnSpan, MacroUse, SourceLine } from './source';

/** How many times each body line's instruction was used, by `path:line:rule`. */
export type BodyUses = Map<string, BodyUse>;

export interface BodyUse {
  body: SourceLine;
  count: number;
  macros: Set<string>;
  /** The finding one use gave, before it was moved to the invocation. */
  sample: Finding;
}

export function bodyUseKey(path: string, line: number, ruleId: string): string {
  return `${path}:${line}:${ruleId}`;
}

/**
 * Where a finding a macro (or a substitution) produced came from: its body line when one wrote
 * the instruction, the macro uses on the way, and how the assembler read the produced line there
 * (the invocation's dialect and bitness, not the file's first ones).
 */
export interface ProducedOrigin {
  body?: SourceLine;
  macros: readonly MacroUse[];
  dialect: Dialect;
  bits: Bits;
}

/**
 * The findings of the lines the assembler saw as changed text, each with its origin in `origins`;
 * the caller counts the body's uses with `countUse` once the execution mode has had its say (a
 * use the mode silences is no use).
 */
export function producedFindings(record: InstanceRecord, policy: Policy, cache: FileCache, origins: WeakMap<Finding, ProducedOrigin>): Finding[] {
  const out: Finding[] = [];
  for (const produced of record.produced) {
    for (const ins of produced.entry.parsed.instructions) {
      const base = findingFor(ins, policy);
      if (!base || base.ruleId === 'unknown-mnemonic') continue;
      const written = writtenHere(ins, produced, cache);
      const reading = { macros: produced.line.macros, dialect: ins.dialect, bits: ins.bits };
      if (written) {
        const finding: Finding = { ...base, range: written.statement, mnemonicRange: written.mnemonic, instruction: undefined };
        out.push(finding);
        origins.set(finding, reading);
        continue;
      }
      const finding = reportedAtInvocation(base, ins, produced, cache);
      out.push(finding);
      const body = bodyWriting(produced.line.body, ins, cache);
      origins.set(finding, body ? { ...reading, body } : reading);
    }
  }
  return out;
}

/** Whether `producedFindings` can make anything of the line: an instruction some rule on reports. */
export function mayReport(produced: ProducedLine, policy: Policy): boolean {
  return entryMayReport(produced.entry, policy);
}

/** The answers of `entryMayReport`, per policy: macro bodies hand the same cached entry back thousands of times. */
const MAY_REPORT = new WeakMap<Policy, WeakMap<LineEntry, boolean>>();

export function entryMayReport(entry: LineEntry, policy: Policy): boolean {
  let known = MAY_REPORT.get(policy);
  if (!known) MAY_REPORT.set(policy, (known = new WeakMap()));
  let answer = known.get(entry);
  if (answer === undefined) known.set(entry, (answer = someInstructionReports(entry, policy)));
  return answer;
}

function someInstructionReports(entry: LineEntry, policy: Policy): boolean {
  for (const ins of entry.parsed.instructions) {
    const base = findingFor(ins, policy);
    if (base && base.ruleId !== 'unknown-mnemonic') return true;
  }
  return false;
}

const SUBSTITUTIONS = new Set<string>(['cpp', 'define', 'fix']);

/**
 * `ljmp $KERNEL_CS, $next` is the user's instruction even though cpp replaced a constant in it:
 * when only text substitutions touched the line and its mnemonic is written on it, the finding
 * belongs to that line, not to a macro.
 */
function writtenHere(ins: ParsedInstruction, produced: ProducedLine, cache: FileCache): { statement: Range; mnemonic: Range } | undefined {
  const { line } = produced;
  if (line.macros.some((use) => !SUBSTITUTIONS.has(use.kind))) return undefined;
  const text = cache.lines(line.at.file.path)?.[line.at.line];
  if (text === undefined) return undefined;
  const start = mnemonicAt(text, ins.mnemonic);
  if (start === undefined) return undefined;
  const at = line.at.line;
  const end = Math.max(start + ins.mnemonic.length, text.trimEnd().length);
  return {
    statement: { start: { line: at, character: start }, end: { line: at, character: end } },
    mnemonic: { start: { line: at, character: start }, end: { line: at, character: start + ins.mnemonic.length } },
  };
}

/** One more use of a body line; `sample` is the finding one use gave. */
export function countUse(uses: BodyUses, body: SourceLine, sample: Finding, macros: readonly MacroUse[]): void {
  const key = bodyUseKey(body.file.path, body.line, sample.ruleId);
  let use = uses.get(key);
  if (!use) uses.set(key, (use = { body, count: 0, macros: new Set(), sample }));
  use.count++;
  use.macros.add(macros[macros.length - 1]!.name);
}

/** A one-line text substitution's definition: cpp `#define`, NASM `%define`, FASM `equ`/`fix`/`define`, MASM `TEXTEQU`/`EQU`. */
const SUBSTITUTION_DEFINITION = /^\s*(?:#\s*define\b|%\s*i?x?define\b|define\b|[\w.$?@]+\s+(?:equ|fix|textequ)\b)/i;

/**
 * The body line an instruction came from. A GNU as macro body line that cpp changed
 * (`mov %ax, REG` with `#define REG \reg`) names the `#define` as its body; when that definition
 * does not spell the mnemonic it supplied an operand, not the instruction, and no body line is
 * claimed. A macro body line may build its mnemonic (`s %+ %1`, `%1`): it is the body all the same.
 */
function bodyWriting(body: SourceLine | undefined, ins: ParsedInstruction, cache: FileCache): SourceLine | undefined {
  if (!body) return undefined;
  const text = cache.lines(body.file.path)?.[body.line];
  if (text === undefined) return undefined;
  return SUBSTITUTION_DEFINITION.test(text) && mnemonicAt(text, ins.mnemonic) === undefined ? undefined : body;
}

/** Where `mnemonic` stands as a word in `text`, if it does. */
function mnemonicAt(text: string, mnemonic: string): number | undefined {
  const escaped = mnemonic.replace(/[.$?]/g, (c) => `\\${c}`);
  const found = new RegExp(`(^|[^\\w.$])(${escaped})(?![\\w.$])`, 'i').exec(text);
  return found ? found.index + found[1]!.length : undefined;
}

function reportedAtInvocation(base: Finding, ins: ParsedInstruction, produced: ProducedLine, cache: FileCache): Finding {
  const { line } = produced;
  const body = bodyWriting(line.body, ins, cache);
  const outermost = line.macros[0];
  const range = rangeOn(cache, line.at, outermost && sameLine(outermost.invokedAt, line.at) ? outermost.columns : undefined);
  const chain = line.macros.map(stepOf);
  const here = dirname(line.at.file.path);
  const related: RelatedLocation[] = [];
  if (body) related.push({ path: body.file.path, range: rangeOn(cache, body), message: `${ins.mnemonic.toUpperCase()} comes from this line` });
  for (const use of line.macros) {
    if (use.definedAt) related.push({ path: use.definedAt.file.path, range: rangeOn(cache, use.definedAt), message: `${use.name} is defined here` });
  }
  const via = line.macros.length > 0 ? `; via ${line.macros.map((use) => describeUse(use, here)).join(' → ')}` : '; the line as the assembler reads it after substitution';
  return {
    ...base,
    message: `${base.message}${via}`,
    range,
    mnemonicRange: range,
    instruction: undefined,
    macroChain: chain.length > 0 ? chain : undefined,
    related: related.length > 0 ? related : undefined,
  };
}

function describeUse(use: MacroUse, here: string): string {
  if (!use.definedAt) return use.name;
  const where = displayPath(use.definedAt.file.path, here);
  return `${use.name}, defined at ${where === use.definedAt.file.path ? basename(where) : where}:${use.definedAt.line + 1}`;
}

function stepOf(use: MacroUse): MacroStep {
  return { name: use.name, kind: use.kind, definedAt: use.definedAt ? locationOf(use.definedAt) : undefined, invokedAt: locationOf(use.invokedAt, use.columns) };
}

export function locationOf(at: SourceLine, columns?: ColumnSpan): FileLocation {
  // `range` always present (undefined without columns): one hidden class for locations.
  const range = columns ? { start: { line: at.line, character: columns.start }, end: { line: at.line, character: columns.end } } : undefined;
  return { path: at.file.path, line: at.line, range };
}

function sameLine(a: SourceLine, b: SourceLine): boolean {
  return a.file.id === b.file.id && a.line === b.line;
}

/** The given columns, or the line's text without its leading and trailing blanks. */
export function rangeOn(cache: FileCache, at: SourceLine, columns?: ColumnSpan): Range {
  if (columns) return { start: { line: at.line, character: columns.start }, end: { line: at.line, character: columns.end } };
  const text = cache.lines(at.file.path)?.[at.line] ?? '';
  const start = text.length - text.trimStart().length;
  const end = Math.max(start, text.trimEnd().length);
  return { start: { line: at.line, character: start }, end: { line: at.line, character: end } };
}
