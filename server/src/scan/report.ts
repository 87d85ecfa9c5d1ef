// Turns binary findings into the CLI's report shape (ESLint-compatible), so the CLI's formatters
// (stylish, json, sarif, github) print binary scans exactly like source lint results.
//
// Binary findings have no line or column: every message says line 1, column 1, and carries its
// location in `address` (hex, 0x-prefixed), `section` and `symbol` (`name+0xoff`). The message
// ends with the disassembly and location so that formats which ignore those fields still show them.
import { countsAsWarning, type FileReport, type ReportMessage } from '../cli/format';
import type { BinaryImage } from './image';
import type { BinaryFinding } from './scanner';

export type { FileReport, ReportMessage };

export function toFileReport(filePath: string, image: BinaryImage, findings: readonly BinaryFinding[]): FileReport {
  const messages: ReportMessage[] = findings.map((f) => {
    const address = `0x${f.address.toString(16)}`;
    const where = f.symbol ? `${address} <${f.symbol}>` : `${address} in ${f.section}`;
    const message: ReportMessage = {
      ruleId: f.ruleId,
      severity: f.severity === 'error' ? 2 : 1,
      message: `${f.message} [${f.text} at ${where}]`,
      line: 1,
      column: 1,
      endLine: 1,
      endColumn: 1,
      address,
      section: f.section,
    };
    if (f.severity === 'info' || f.severity === 'hint') message.level = f.severity;
    if (f.symbol !== undefined) message.symbol = f.symbol;
    return message;
  });
  const report: FileReport = {
    filePath,
    messages,
    errorCount: messages.filter((m) => m.severity === 2).length,
    warningCount: messages.filter(countsAsWarning).length,
    bits: image.bits,
  };
  const notes = [`${image.format}, ${image.sections.length} code section(s)`, ...image.notes];
  report.note = notes.join('; ');
  return report;
}

/** A report for a file that could not be scanned at all (ESLint's `fatal`). */
export function fatalReport(filePath: string, problem: string): FileReport {
  return {
    filePath,
    messages: [{ ruleId: null, severity: 2, message: problem, line: 1, column: 1, endLine: 1, endColumn: 1, fatal: true }],
    errorCount: 1,
    warningCount: 0,
    fatalErrorCount: 1,
  };
}
