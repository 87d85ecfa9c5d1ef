// Human-readable output modelled on ESLint's "stylish": a header per file, one row per problem,
// and a one-line summary. Info/hint findings are listed but left out of the problem count.
import { painter, type Painter } from './ansi';
import { displayPath } from './paths';
import { countsAsWarning, type FileReport, type FormatOptions, type ReportMessage } from './types';

interface Row {
  position: string;
  severity: string;
  message: string;
  ruleId: string;
  paint: (text: string) => string;
}

export function formatStylish(reports: readonly FileReport[], options: FormatOptions = {}): string {
  const cwd = options.cwd ?? process.cwd();
  const p = painter(options.color ?? false);
  const out: string[] = [];
  let errors = 0;
  let warnings = 0;
  let notes = 0;
  for (const report of reports) {
    if (report.messages.length === 0 && report.note === undefined) continue;
    out.push(p.underline(header(report, cwd)));
    out.push(...rows(report.messages, p));
    if (report.note !== undefined) out.push(`  ${p.gray('note:')} ${report.note}`);
    out.push('');
    for (const message of report.messages) {
      if (message.severity === 2) errors++;
      else if (countsAsWarning(message)) warnings++;
      else notes++;
    }
  }
  const problems = errors + warnings;
  if (problems > 0) {
    const summary = `✖ ${problems} ${plural(problems, 'problem')} (${errors} ${plural(errors, 'error')}, ${warnings} ${plural(warnings, 'warning')})`;
    out.push((errors > 0 ? p.red : p.yellow)(p.bold(summary)));
  }
  if (notes > 0) out.push(p.gray(`${notes} info/hint ${plural(notes, 'finding')} shown (not counted)`));
  if (out.length === 0) return '';
  return out.join('\n') + '\n';
}

function header(report: FileReport, cwd: string): string {
  const details: string[] = [];
  if (report.dialect !== undefined) details.push(report.dialect);
  if (report.bits !== undefined) details.push(`${report.bits}-bit`);
  const shown = displayPath(report.filePath, cwd);
  return details.length > 0 ? `${shown}  (${details.join(', ')})` : shown;
}

function rows(messages: readonly ReportMessage[], p: Painter): string[] {
  const table: Row[] = messages.map((m) => {
    const [severity, paint] = severityLabel(m, p);
    return {
      position: m.address !== undefined ? m.address : `${m.line}:${m.column}`,
      severity,
      message: m.message.replace(/\s*\r?\n\s*/g, ' '),
      ruleId: m.ruleId ?? '',
      paint,
    };
  });
  const width = (pick: (row: Row) => string) => table.reduce((max, row) => Math.max(max, pick(row).length), 0);
  const positionWidth = width((r) => r.position);
  const severityWidth = width((r) => r.severity);
  const messageWidth = width((r) => r.message);
  return table.map((row) => {
    const cells = [
      p.gray(row.position.padStart(positionWidth)),
      row.paint(row.severity.padEnd(severityWidth)),
      row.ruleId === '' ? row.message : row.message.padEnd(messageWidth),
    ];
    if (row.ruleId !== '') cells.push(p.gray(row.ruleId));
    return `  ${cells.join('  ')}`.trimEnd();
  });
}

function severityLabel(message: ReportMessage, p: Painter): [string, (text: string) => string] {
  if (message.severity === 2) return ['error', p.red];
  if (message.level === 'info') return ['info', p.cyan];
  if (message.level === 'hint') return ['hint', p.gray];
  return ['warning', p.yellow];
}

function plural(count: number, word: string): string {
  return count === 1 ? word : `${word}s`;
}
