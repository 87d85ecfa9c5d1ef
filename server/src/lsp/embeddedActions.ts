// Code actions in C, C++ and Rust documents, only for virtlint's own findings there: the trap
// strategy's forced-emulation prefix as a `.byte` statement inside the asm template (where it can
// be written there honestly, analysis/embedded/prefixFix.ts), a host-language disable comment above
// the finding's line (the suppression is by line, so in a multi-line asm statement it goes above
// the line of the finding), and "Show documentation".
import { CodeActionKind, type CodeAction, type Diagnostic, type Range as LspRange, type TextEdit } from 'vscode-languageserver';
import { embeddedPrefixFixer, type EmbeddedResult } from '../analysis/embedded/index';
import type { FixOptions } from '../analysis/fixes/index';
import { isKnownRuleId } from '../analysis/catalogue/index';
import type { Finding } from '../analysis/types';
import { documentationAction, editFor, findingsForRequest, wants } from './codeActions';
import { findingToDiagnostic, type UriOf } from './conversions';
import { lineStartsInsideLiteral } from './hostLiterals';
import { disableAboveEdit } from './suppressions';

export interface EmbeddedActionInput {
  uri: string;
  /** The whole document (the prefix fix edits inside string literals). */
  text: string;
  lineText(line: number): string;
  result: EmbeddedResult;
  /** The findings the editor shows. */
  findings: readonly Finding[];
  range: LspRange;
  contextDiagnostics: readonly Diagnostic[];
  only: readonly string[] | undefined;
  /** The ABI setting picks the prefix (KVM's or Xen's), as in assembly files. */
  fixes: FixOptions;
  /** Names the files an action's diagnostic links to, as the published diagnostics do. */
  uriOf: UriOf;
}

export function embeddedCodeActions(input: EmbeddedActionInput): CodeAction[] {
  if (!wants(input.only, CodeActionKind.QuickFix)) return [];
  const prefixed: CodeAction[] = [];
  const disableLine: CodeAction[] = [];
  const documentation: CodeAction[] = [];
  const seenLine = new Set<string>();
  const seenRule = new Set<string>();
  const seenInstruction = new Set<string>();
  const prefixFix = embeddedPrefixFixer(input.text, input.result, input.fixes);
  for (const finding of findingsForRequest(input.findings, input.range, input.contextDiagnostics)) {
    if (!isKnownRuleId(finding.ruleId)) continue;
    const line = finding.range.start.line;
    const lineKey = `${finding.ruleId}@${line}`;
    // One prefix per instruction, whatever number of rules report it.
    const at = finding.instruction?.range.start;
    const instructionKey = at ? `${at.line}:${at.character}` : '';
    const prefix = at && !seenInstruction.has(instructionKey) ? prefixFix(finding) : undefined;
    if (prefix) {
      seenInstruction.add(instructionKey);
      const action: CodeAction = { title: prefix.title, kind: CodeActionKind.QuickFix, diagnostics: [findingToDiagnostic(finding, input.uriOf)], edit: editFor(input.uri, [prefix.edit]) };
      if (prefix.isPreferred) action.isPreferred = true;
      prefixed.push(action);
    }
    if (!seenLine.has(lineKey)) {
      seenLine.add(lineKey);
      const edit = hostDisableEdit(input.lineText, line, finding.ruleId, input.result);
      if (edit) disableLine.push({ title: `Disable ${finding.ruleId} for this line`, kind: CodeActionKind.QuickFix, diagnostics: [findingToDiagnostic(finding, input.uriOf)], edit: editFor(input.uri, [edit]) });
    }
    if (!seenRule.has(finding.ruleId)) {
      seenRule.add(finding.ruleId);
      documentation.push(documentationAction(finding.ruleId));
    }
  }
  // As in assembly files: the fix first, then the disable comments, then the documentation.
  for (const action of disableLine) prefixed.push(action);
  for (const action of documentation) prefixed.push(action);
  return prefixed;
}

/**
 * `// virtlint-disable-next-line <id> -- reason` above `line`, indented like it. Inside a
 * preprocessor macro (the line above ends with `\`) the comment is a block comment that
 * continues the macro. No edit when the line starts inside a string literal that began above
 * (a multi-line Rust template, a `\`-continued C string): a comment there would become assembly.
 */
export function hostDisableEdit(lineText: (line: number) => string, line: number, ruleId: string, result: EmbeddedResult): TextEdit | undefined {
  if (startsInsideLiteral(lineText, result, line)) return undefined;
  const continued = line > 0 && /\\[ \t]*$/.test(lineText(line - 1));
  const comment = continued ? (body: string) => `/* ${body} */ \\` : (body: string) => `// ${body}`;
  return disableAboveEdit(lineText, line, ruleId, comment);
}

/** True when `line` starts inside a string literal (or comment) of an asm statement that began above it. */
function startsInsideLiteral(lineText: (line: number) => string, result: EmbeddedResult, line: number): boolean {
  for (const block of result.blocks) {
    const { start, end } = block.range;
    if (start.line < line && end.line >= line && lineStartsInsideLiteral(lineText, start, line, result.language)) return true;
  }
  return false;
}
