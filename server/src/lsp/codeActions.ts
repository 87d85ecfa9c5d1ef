// Code actions for one request, in the order vscode-eslint users know: the quick fixes
// for the instruction, "Disable <id> for this line", "Disable <id> for the entire file",
// "Show documentation for <id>"; plus `source.fixAll.virtlint`.
import { CodeActionKind, type CodeAction, type Diagnostic, type Range as LspRange, type TextEdit as LspTextEdit } from 'vscode-languageserver';
import type { AnalysisResult, Finding, SourceLines } from '../analysis/types';
import { isKnownRuleId } from '../analysis/catalogue/index';
import { fixAll, fixesForFinding, type FixOptions } from '../analysis/fixes/index';
import { findingToDiagnostic, SOURCE } from './conversions';
import { disableForFileEdit, disableForLineEdit } from './suppressions';
import type { VirtlintSettings } from './settings';

export const FIX_ALL_KIND = `${CodeActionKind.SourceFixAll}.virtlint`;
export const SHOW_DOCUMENTATION_COMMAND = 'virtlint.showDocumentation';

export interface CodeActionInput {
  uri: string;
  /** The document's lines (a 50,000-line file is not joined or split per request). */
  source: SourceLines;
  result: AnalysisResult;
  /** Findings after the settings' filters (what the user sees as diagnostics). */
  findings: readonly Finding[];
  settings: VirtlintSettings;
  range: LspRange;
  contextDiagnostics: readonly Diagnostic[];
  only: readonly string[] | undefined;
}

export function fixOptionsFrom(settings: VirtlintSettings): FixOptions {
  const options: FixOptions = { abi: settings.fix.abi };
  if (settings.fix.customTemplate !== '') options.customTemplate = settings.fix.customTemplate;
  return options;
}

export function codeActionsFor(input: CodeActionInput): CodeAction[] {
  const actions: CodeAction[] = [];
  if (wants(input.only, CodeActionKind.QuickFix)) actions.push(...quickFixActions(input));
  if (wants(input.only, FIX_ALL_KIND)) {
    const fixAllAction = fixAllActionFor(input);
    if (fixAllAction) actions.push(fixAllAction);
  }
  return actions;
}

/** A kind is wanted when `only` is absent or names it or one of its parents. */
function wants(only: readonly string[] | undefined, kind: string): boolean {
  if (!only || only.length === 0) return true;
  return only.some((requested) => kind === requested || kind.startsWith(`${requested}.`));
}

function quickFixActions(input: CodeActionInput): CodeAction[] {
  const targets = targetFindings(input);
  if (targets.length === 0) return [];
  const lines = input.source;
  const fixOptions = fixOptionsFrom(input.settings);
  const fixes: CodeAction[] = [];
  const disableLine: CodeAction[] = [];
  const disableFile: CodeAction[] = [];
  const documentation: CodeAction[] = [];
  const seenLine = new Set<string>();
  const seenRule = new Set<string>();
  for (const finding of targets) {
    if (!isKnownRuleId(finding.ruleId)) continue;
    const diagnostic = findingToDiagnostic(finding);
    for (const fix of fixesForFinding(input.source, input.result, finding, fixOptions)) {
      const action: CodeAction = { title: fix.title, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], edit: editFor(input.uri, [fix.edit]) };
      if (fix.isPreferred) action.isPreferred = true;
      fixes.push(action);
    }
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
      documentation.push({
        title: `Show documentation for ${finding.ruleId}`,
        kind: CodeActionKind.QuickFix,
        command: { title: `Show documentation for ${finding.ruleId}`, command: SHOW_DOCUMENTATION_COMMAND, arguments: [finding.ruleId] },
      });
    }
  }
  return [...fixes, ...disableLine, ...disableFile, ...documentation];
}

/**
 * The findings the request is about: those matching the client's virtlint diagnostics
 * when it sent some, otherwise every finding touching the requested range.
 */
function targetFindings(input: CodeActionInput): Finding[] {
  const ours = input.contextDiagnostics.filter((diagnostic) => diagnostic.source === SOURCE && typeof diagnostic.code === 'string');
  if (ours.length > 0) {
    const matched = input.findings.filter((finding) =>
      ours.some((diagnostic) => diagnostic.code === finding.ruleId && samePosition(diagnostic.range.start, finding.range.start)),
    );
    // Stale diagnostics (run: onSave, or a request racing an edit) fall back to the range.
    if (matched.length > 0) return matched;
  }
  return input.findings.filter((finding) => linesOverlap(finding.range, input.range));
}

function fixAllActionFor(input: CodeActionInput): CodeAction | undefined {
  const strategy = input.settings.fix.fixAllStrategy;
  if (strategy === 'none') return undefined;
  // Only what the user sees, in the result's order.
  const visible = new Set(input.findings);
  const edits = fixAll(input.source, { findings: input.result.findings.filter((finding) => visible.has(finding)) }, strategy, fixOptionsFrom(input.settings));
  if (edits.length === 0) return undefined;
  return { title: `Fix all virtlint problems (${strategy})`, kind: FIX_ALL_KIND, edit: editFor(input.uri, edits) };
}

function editFor(uri: string, edits: readonly LspTextEdit[]): { changes: Record<string, LspTextEdit[]> } {
  return { changes: { [uri]: edits.map((edit) => ({ range: edit.range, newText: edit.newText })) } };
}

function samePosition(a: { line: number; character: number }, b: { line: number; character: number }): boolean {
  return a.line === b.line && a.character === b.character;
}

/** A cursor anywhere on an instruction's line(s) asks about that instruction (Neovim sends the cursor, not the diagnostic). */
function linesOverlap(a: LspRange, b: LspRange): boolean {
  return a.start.line <= b.end.line && b.start.line <= a.end.line;
}
