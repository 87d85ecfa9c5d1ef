// Analysis-core values → LSP values. Nothing here talks to the client.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Diagnostic, DiagnosticSeverity, type Range as LspRange } from 'vscode-languageserver';
import type { Finding, Range, Severity } from '../analysis/types';
import { docsPath } from '../analysis/catalogue/index';
import { packageInfo } from '../host/packageInfo';

export const SOURCE = 'virtlint';

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export function toLspSeverity(severity: Severity): DiagnosticSeverity {
  return SEVERITY[severity];
}

export function toLspRange(range: Range): LspRange {
  return { start: { ...range.start }, end: { ...range.end } };
}

/**
 * Each rule's `codeDescription` (its docs page inside the installed package), made once and
 * shared, never modified, by every diagnostic of that rule: a big file has thousands.
 */
const descriptions = new Map<string, { href: string } | undefined>();

function codeDescriptionFor(ruleId: string): { href: string } | undefined {
  if (!descriptions.has(ruleId)) {
    const href = docsFileUri(ruleId);
    descriptions.set(ruleId, href ? { href } : undefined);
  }
  return descriptions.get(ruleId);
}

/** `file://` URI of the rule's docs page inside the installed package, when that page exists. */
export function docsUri(ruleId: string): string | undefined {
  return codeDescriptionFor(ruleId)?.href;
}

function docsFileUri(ruleId: string): string | undefined {
  const root = packageInfo()?.root;
  if (!root) return undefined;
  try {
    const file = join(root, docsPath(ruleId));
    return existsSync(file) ? pathToFileURL(file).href : undefined;
  } catch {
    return undefined;
  }
}

/** The URI the client knows a file by, from the path the analysis names it with. */
export type UriOf = (path: string) => string;

/** The desktop's: every path is a file on disk. */
export const fileUriOf: UriOf = (path) => pathToFileURL(path).href;

/** `uriOf` names the files of related information (a macro's body) as the client does: the web worker's are `vscode-vfs:` and the like. */
export function findingToDiagnostic(finding: Finding, uriOf: UriOf): Diagnostic {
  const diagnostic: Diagnostic = {
    range: toLspRange(finding.range),
    severity: toLspSeverity(finding.severity),
    source: SOURCE,
    code: finding.ruleId,
    message: firstLine(finding.message),
  };
  const description = codeDescriptionFor(finding.ruleId);
  if (description) diagnostic.codeDescription = description;
  if (finding.related && finding.related.length > 0) {
    diagnostic.relatedInformation = finding.related.map((related) => ({
      location: { uri: uriOf(related.path), range: toLspRange(related.range) },
      message: related.message,
    }));
  }
  return diagnostic;
}

/** The single notice shown instead of analysis for binary or oversized files. */
export function skippedDiagnostic(reason: string): Diagnostic {
  return {
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    severity: DiagnosticSeverity.Information,
    source: SOURCE,
    message: `virtlint skipped this file: ${reason}`,
  };
}

/** Stands in for the findings beyond the per-file limit. */
export function tooManyDiagnostic(at: { line: number; character: number }, shown: number, total: number): Diagnostic {
  return {
    range: { start: { ...at }, end: { ...at } },
    severity: DiagnosticSeverity.Information,
    source: SOURCE,
    message: `virtlint shows the first ${shown} of ${total} findings in this file; run the virtlint CLI to list them all`,
  };
}

function firstLine(message: string): string {
  const newline = message.indexOf('\n');
  return newline < 0 ? message : message.slice(0, newline);
}
