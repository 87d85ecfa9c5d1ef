// Turns binary findings into the shared report shape (ESLint-compatible, report/types.ts), so the
// formatters (stylish, json, sarif, github) print binary scans exactly like source lint results.
//
// Binary findings have no line or column: every message says line 1, column 1, and carries its
// location in `address` (hex, 0x-prefixed), `section` and `symbol` (`name+0xoff`). The message
// ends with the disassembly and location so that formats which ignore those fields still show them.
//
// Symbol and section names come from the scanned file (or a System.map) and may hold terminal
// escape sequences: the human-readable texts (message, note) show them escaped; the `symbol` and
// `section` fields keep the names exactly as the file has them.
import { escapeControlCharacters } from '../report/terminalText';
import { countMessages, fileProblemReport, type FileReport, type ReportMessage } from '../report/types';
import type { BinaryImage } from '../binary/image';
import type { BinaryFinding, ScanStats } from './scanner';

/** `omitted`: findings past --max-findings, which count in the totals (and so the exit status) but are not listed. */
export function toFileReport(filePath: string, image: BinaryImage, findings: readonly BinaryFinding[], omitted?: ScanStats['omitted']): FileReport {
  const messages: ReportMessage[] = findings.map((f) => {
    const address = `0x${f.address.toString(16)}`;
    let where = f.symbol ? `${address} <${f.symbol}>` : `${address} in ${f.section}`;
    if (f.source) where += `, ${f.source.file}:${f.source.line}`;
    where += `, found by ${f.discovery}`;
    const message: ReportMessage = {
      ruleId: f.ruleId,
      severity: f.severity === 'error' ? 2 : 1,
      message: escapeControlCharacters(`${f.message} [${f.text} at ${where}]`),
      line: 1,
      column: 1,
      endLine: 1,
      endColumn: 1,
      address,
      section: f.section,
      bytes: { offset: f.fileOffset, length: f.bytes.length / 2 },
    };
    if (f.severity === 'info' || f.severity === 'hint') message.level = f.severity;
    if (f.symbol !== undefined) message.symbol = f.symbol;
    message.discovery = f.discovery;
    if (f.source !== undefined) message.source = f.source;
    return message;
  });
  const counts = countMessages(messages);
  const report: FileReport = {
    filePath,
    messages,
    errorCount: counts.errorCount + (omitted?.error ?? 0),
    warningCount: counts.warningCount + (omitted?.warning ?? 0),
    bits: image.bits,
  };
  let note = `${image.format}, ${image.sections.length} code section(s)`;
  for (const extra of image.notes) note += `; ${extra}`;
  report.note = escapeControlCharacters(note);
  return report;
}

/** A report for a file that could not be scanned at all; the problem may quote names from the file. */
export function fatalReport(filePath: string, problem: string): FileReport {
  return fileProblemReport(filePath, escapeControlCharacters(problem));
}
