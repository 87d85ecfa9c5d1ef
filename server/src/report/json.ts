// ESLint-compatible JSON: one result object per file, in input order. Whole-program lint adds, per
// message, how the line was read (`readIn`, `contexts`) and through which macros (`macroChain`, `related`).
import { taxonomyTags } from './tags';
import type { FileReport, ReportMessage } from './types';

export function formatJson(reports: readonly FileReport[]): string {
  return JSON.stringify(reports.map(toEslintResult)) + '\n';
}

function toEslintResult(report: FileReport): Record<string, unknown> {
  const result: Record<string, unknown> = {
    filePath: report.filePath,
    messages: report.messages.map(toEslintMessage),
    errorCount: report.errorCount,
    warningCount: report.warningCount,
    fatalErrorCount: report.fatalErrorCount ?? report.messages.filter((m) => m.fatal === true).length,
    fixableErrorCount: report.fixableErrorCount ?? 0,
    fixableWarningCount: report.fixableWarningCount ?? 0,
  };
  if (report.dialect !== undefined) result.dialect = report.dialect;
  if (report.bits !== undefined) result.bits = report.bits;
  if (report.note !== undefined) result.note = report.note;
  return result;
}

function toEslintMessage(message: ReportMessage): Record<string, unknown> {
  // Key order follows ESLint's so diffs of saved reports stay readable.
  const out: Record<string, unknown> = {
    ruleId: message.ruleId,
    severity: message.severity,
    message: message.message,
    line: message.line,
    column: message.column,
    endLine: message.endLine,
    endColumn: message.endColumn,
  };
  if (message.level !== undefined) out.level = message.level;
  if (message.fatal === true) out.fatal = true;
  if (message.address !== undefined) out.address = message.address;
  if (message.section !== undefined) out.section = message.section;
  if (message.symbol !== undefined) out.symbol = message.symbol;
  if (message.discovery !== undefined) out.discovery = message.discovery;
  if (message.source !== undefined) out.source = message.source;
  if (message.readIn !== undefined) out.readIn = message.readIn;
  if (message.contexts !== undefined) out.contexts = message.contexts;
  if (message.macroChain !== undefined) out.macroChain = message.macroChain;
  if (message.related !== undefined) out.related = message.related;
  const tags = taxonomyTags(message.ruleId);
  if (tags.length > 0) out.tags = tags;
  return out;
}
