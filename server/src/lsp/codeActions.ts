// Code actions for one request, in the order vscode-eslint users know: the quick fixes
// for the instruction, "Disable <id> for this line", "Disable <id> for the entire file",
// "Show documentation for <id>"; plus `source.fixAll.virtlint`.
import { CodeActionKind, type CodeAction, type Diagnostic, type Range as LspRange, type TextEdit as LspTextEdit } from 'vscode-languageserver';
import type { AnalysisOptions, AnalysisResult, Finding, SourceLines } from '../analysis/types';
import { analyzeText } from '../analysis/index';
import { isKnownRuleId } from '../analysis/catalogue/index';
import { fixesForFinding, fixUntilStable, planFixes, plannedEdits, titleWithNumbersInline, type FixOptions } from '../analysis/fixes/index';
import { filterFindings } from './documents';
import { wholeTextWith, workspaceEditWith } from './fixEdits';
import { findingToDiagnostic, SOURCE, type UriOf } from './conversions';
import { disableForFileEdit, disableForLineEdit } from './suppressions';
import type { VirtlintSettings } from './settings';
import { SHOW_DOCUMENTATION_COMMAND } from './protocol';

export const FIX_ALL_KIND = `${CodeActionKind.SourceFixAll}.virtlint`;

export interface CodeActionInput {
  uri: string;
  /** The document's lines (a 50,000-line file is not joined or split per request). */
  source: SourceLines;
  result: AnalysisResult;
  /** Findings after the settings' filters: what the user sees as diagnostics (the project's, when they are shown). */
  findings: readonly Finding[];
  settings: VirtlintSettings;
  range: LspRange;
  contextDiagnostics: readonly Diagnostic[];
  only: readonly string[] | undefined;
  /** The document's analysis options: with them, fix-all analyses its result again and fixes what is left (fixUntilStable). */
  analysisOptions?: () => AnalysisOptions;
  /** The client can create files in a WorkspaceEdit (else a hypercall fix writes its numbers into the document). */
  createFiles?: boolean;
  /** The client resolves an action's edit (codeAction/resolve): quick fixes carry `data` instead of their edit. */
  lazyEdits?: boolean;
  /** The document's version, so that resolving a stale action gives nothing rather than a wrong edit. */
  version?: number;
  /** The definitions file's folder relative to the document's (`virtlint.fix.hypercallDefinitionsFolder`); unset: next to it. */
  definitionsFolder?: string;
  /** Names the files an action's diagnostic links to, as the published diagnostics do. */
  uriOf: UriOf;
}

/** What a lazy quick fix carries to codeAction/resolve: which fix of which finding, in which version. */
export interface FixActionData {
  virtlintFix: 1;
  uri: string;
  version?: number;
  ruleId: string;
  start: { line: number; character: number };
  /** Its place among `fixesForFinding`'s fixes for the finding, and its title there, checked on resolve. */
  index: number;
  title: string;
}

export function isFixActionData(value: unknown): value is FixActionData {
  if (!isRecord(value) || value.virtlintFix !== 1 || typeof value.uri !== 'string' || typeof value.ruleId !== 'string') return false;
  if (typeof value.index !== 'number' || typeof value.title !== 'string' || !isRecord(value.start)) return false;
  return typeof value.start.line === 'number' && typeof value.start.character === 'number';
}

/** `definitionsFolder`: where the definitions file goes, relative to the document's folder (session.ts works it out). */
export function fixOptionsFrom(settings: VirtlintSettings, definitionsFolder?: string): FixOptions {
  const options: FixOptions = { abi: settings.fix.abi };
  if (definitionsFolder !== undefined && definitionsFolder !== '') options.definitionsFolder = definitionsFolder;
  if (settings.fix.customTemplate !== '') options.customTemplate = settings.fix.customTemplate;
  if (settings.fix.hypercallNumbers === 'inline') options.numbers = 'inline';
  return options;
}

export function codeActionsFor(input: CodeActionInput): CodeAction[] {
  // A range can hold tens of thousands of findings: arrays are joined with loops, never spread.
  const actions: CodeAction[] = wants(input.only, CodeActionKind.QuickFix) ? quickFixActions(input) : [];
  if (wants(input.only, FIX_ALL_KIND)) {
    const fixAllAction = fixAllActionFor(input);
    if (fixAllAction) actions.push(fixAllAction);
  }
  return actions;
}

/** A kind is wanted when `only` is absent or names it or one of its parents. */
export function wants(only: readonly string[] | undefined, kind: string): boolean {
  if (!only || only.length === 0) return true;
  return only.some((requested) => kind === requested || kind.startsWith(`${requested}.`));
}

function quickFixActions(input: CodeActionInput): CodeAction[] {
  const targets = targetFindings(input);
  if (targets.length === 0) return [];
  const lines = input.source;
  const fixOptions = fixOptionsFrom(input.settings, input.definitionsFolder);
  const fixes: CodeAction[] = [];
  const disableLine: CodeAction[] = [];
  const disableFile: CodeAction[] = [];
  const documentation: CodeAction[] = [];
  const seenLine = new Set<string>();
  const seenRule = new Set<string>();
  for (const finding of targets) {
    if (!isKnownRuleId(finding.ruleId)) continue;
    const diagnostic = findingToDiagnostic(finding, input.uriOf);
    fixesForFinding(input.source, input.result, finding, fixOptions).forEach((fix, index) => {
      const { edit, inline } = workspaceEditWith(input.uri, [fix.edit], fix.definitions, input.createFiles === true);
      const title = inline ? titleWithNumbersInline(fix.title, fix.definitions!.file.name) : fix.title;
      const action: CodeAction = { title, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic] };
      if (input.lazyEdits) action.data = fixActionData(input, finding, index, title);
      else action.edit = edit;
      if (fix.isPreferred) action.isPreferred = true;
      fixes.push(action);
    });
    const line = finding.range.start.line;
    const dialect = finding.instruction?.dialect ?? input.result.dialect;
    const lineKey = `${finding.ruleId}@${line}`;
    if (!seenLine.has(lineKey)) {
      seenLine.add(lineKey);
      disableLine.push({
        title: `Disable ${finding.ruleId} for this line`,
        kind: CodeActionKind.QuickFix,
        diagnostics: [diagnostic],
        edit: editFor(input.uri, [disableForLineEdit(lines, line, dialect, finding.ruleId)]),
      });
    }
    if (!seenRule.has(finding.ruleId)) {
      seenRule.add(finding.ruleId);
      disableFile.push({
        title: `Disable ${finding.ruleId} for the entire file`,
        kind: CodeActionKind.QuickFix,
        diagnostics: [diagnostic],
        edit: editFor(input.uri, [disableForFileEdit(lines, input.result.dialect, finding.ruleId)]),
      });
      documentation.push(documentationAction(finding.ruleId));
    }
  }
  for (const group of [disableLine, disableFile, documentation]) {
    for (const action of group) fixes.push(action);
  }
  return fixes;
}

function fixActionData(input: CodeActionInput, finding: Finding, index: number, title: string): FixActionData {
  const { line, character } = finding.range.start;
  return { virtlintFix: 1, uri: input.uri, ...(input.version !== undefined ? { version: input.version } : {}), ruleId: finding.ruleId, start: { line, character }, index, title };
}

export interface ResolveInput {
  source: SourceLines;
  result: AnalysisResult;
  findings: readonly Finding[];
  settings: VirtlintSettings;
  createFiles?: boolean;
  version?: number;
  definitionsFolder?: string;
}

/**
 * codeAction/resolve for a lazy quick fix: the same fix computed again from the document as it
 * is now, with its edit. An action made for another version, or whose fix is no longer the one
 * it named, comes back without an edit (the client then applies nothing).
 */
export function resolveFixAction(action: CodeAction, data: FixActionData, input: ResolveInput): CodeAction {
  if (data.version !== undefined && input.version !== undefined && data.version !== input.version) return action;
  const finding = input.findings.find((f) => f.ruleId === data.ruleId && f.range.start.line === data.start.line && f.range.start.character === data.start.character);
  if (!finding) return action;
  const fix = fixesForFinding(input.source, input.result, finding, fixOptionsFrom(input.settings, input.definitionsFolder))[data.index];
  if (!fix) return action;
  const { edit, inline } = workspaceEditWith(data.uri, [fix.edit], fix.definitions, input.createFiles === true);
  const title = inline ? titleWithNumbersInline(fix.title, fix.definitions!.file.name) : fix.title;
  return title === data.title ? { ...action, edit } : action;
}

/**
 * The findings the request is about: those matching the client's virtlint diagnostics
 * when it sent some, otherwise every finding touching the requested range.
 */
function targetFindings(input: CodeActionInput): Finding[] {
  return findingsForRequest(input.findings, input.range, input.contextDiagnostics);
}

export function findingsForRequest(findings: readonly Finding[], range: LspRange, contextDiagnostics: readonly Diagnostic[]): Finding[] {
  const ours = new Set<string>();
  for (const diagnostic of contextDiagnostics) {
    if (diagnostic.source === SOURCE && typeof diagnostic.code === 'string' && isRecord(diagnostic.range) && isRecord(diagnostic.range.start)) {
      ours.add(findingKey(diagnostic.code, diagnostic.range.start));
    }
  }
  if (ours.size > 0) {
    const matched = findings.filter((finding) => ours.has(findingKey(finding.ruleId, finding.range.start)));
    // Stale diagnostics (run: onSave, or a request racing an edit) fall back to the range.
    if (matched.length > 0) return matched;
  }
  return findings.filter((finding) => linesOverlap(finding.range, range));
}

export function documentationAction(ruleId: string): CodeAction {
  const title = `Show documentation for ${ruleId}`;
  return { title, kind: CodeActionKind.QuickFix, command: { title, command: SHOW_DOCUMENTATION_COMMAND, arguments: [ruleId] } };
}

function fixAllActionFor(input: CodeActionInput): CodeAction | undefined {
  const strategy = input.settings.fix.fixAllStrategy;
  if (strategy === 'none') return undefined;
  // Only what the user sees: a line the project reads in several modes is fixed as its diagnostic reads it.
  const { dialect, dialectSource, bits, bitsSource } = input.result;
  const shown = { findings: input.findings.slice(), dialect, dialectSource, bits, bitsSource };
  const fixOptions = fixOptionsFrom(input.settings, input.definitionsFolder);
  // With the result's reading, fix-all adds the modeline that keeps the fixed file read the same way.
  const planned = planFixes(input.source, shown, strategy, fixOptions);
  if (planned.fixes.length === 0) return undefined;
  const title = `Fix all virtlint problems (${strategy})`;
  const createFiles = input.createFiles === true;
  // Only GNU as puts statements side by side on a line; elsewhere one pass fixes everything.
  const whole = input.analysisOptions && (dialect === 'gas-att' || dialect === 'gas-intel') ? laterPasses(input, shown) : undefined;
  if (whole) return { title, kind: FIX_ALL_KIND, edit: wholeTextWith(input.uri, whole, planned.definitions, createFiles) };
  const edits = plannedEdits({ ...planned, definitions: undefined });
  return { title, kind: FIX_ALL_KIND, edit: workspaceEditWith(input.uri, edits, planned.definitions, createFiles).edit };
}

/**
 * When fixing leaves fixable findings (a GNU as line with two sensitive statements), the passes
 * repeat (bounded) and the action replaces the whole text; undefined when one pass was enough.
 */
function laterPasses(input: CodeActionInput, shown: Parameters<typeof planFixes>[1]): LspTextEdit | undefined {
  const options = input.analysisOptions!();
  const strategy = input.settings.fix.fixAllStrategy as 'trap' | 'hypercall';
  const reanalyze = (text: string) => ({ findings: filterFindings(analyzeText(text, { ...options, dialect: shown.dialect, bits: shown.bits }).findings, input.settings) });
  const original = joinedText(input.source);
  const fixed = fixUntilStable(original, shown, strategy, fixOptionsFrom(input.settings, input.definitionsFolder), reanalyze);
  if (fixed.passes <= 1) return undefined;
  const last = input.source.lineCount - 1;
  const end = { line: Math.max(0, last), character: last >= 0 ? input.source.line(last).length : 0 };
  return { range: { start: { line: 0, character: 0 }, end }, newText: fixed.text };
}

function joinedText(source: SourceLines): string {
  const parts: string[] = [];
  for (let i = 0; i < source.lineCount; i++) parts.push(source.line(i), source.lineBreak(i));
  return parts.join('');
}

export function editFor(uri: string, edits: readonly LspTextEdit[]): { changes: Record<string, LspTextEdit[]> } {
  return { changes: { [uri]: edits.map((edit) => ({ range: edit.range, newText: edit.newText })) } };
}

/** Names a finding by rule and start, the way a diagnostic the client sends back names it. */
function findingKey(ruleId: string, start: { line: number; character: number }): string {
  return `${ruleId}@${start.line}:${start.character}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** A cursor anywhere on an instruction's line(s) asks about that instruction (Neovim sends the cursor, not the diagnostic). */
function linesOverlap(a: LspRange, b: LspRange): boolean {
  return a.start.line <= b.end.line && b.start.line <= a.end.line;
}
