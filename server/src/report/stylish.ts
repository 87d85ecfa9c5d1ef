// Human-readable output modelled on ESLint's "stylish": a header per file, one row per problem,
// and a one-line summary. Info/hint findings are listed but left out of the problem count.
// Text from the input (paths, messages, notes) is shown with its control characters escaped.
import { displayPath } from './paths';
import { escapeControlCharacters } from './terminalText';
import { countsAsWarning, type FileReport, type FormatOptions, type ReportMessage, type Stylist, type TextStyle } from './types';

interface Row {
  /** Lines under the row: where the file was included from, the macro that produced the line. */
  details: string[];
  position: string;
  severity: string;
  message: string;
  ruleId: string;
  style: TextStyle;
}

const plain: Stylist = (_style, text) => text;

export function formatStylish(reports: readonly FileReport[], options: FormatOptions): string {
  const cwd = options.cwd;
  const paint = options.style ?? plain;
  const out: string[] = [];
  let errors = 0;
  let warnings = 0;
  let notes = 0;
  for (const report of reports) {
    if (report.messages.length === 0 && report.note === undefined) continue;
    out.push(paint('underline', header(report, cwd)));
    for (const row of rows(report.messages, paint, cwd)) out.push(row);
    if (report.note !== undefined) out.push(`  ${paint('gray', 'note:')} ${escapeControlCharacters(report.note)}`);
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
    out.push(paint(errors > 0 ? 'red' : 'yellow', paint('bold', summary)));
  }
  if (notes > 0) out.push(paint('gray', `${notes} info/hint ${plural(notes, 'finding')} shown (not counted)`));
  if (out.length === 0) return '';
  return out.join('\n') + '\n';
}

function header(report: FileReport, cwd: string): string {
  const details: string[] = [];
  if (report.dialect !== undefined) details.push(report.dialect);
  if (report.bits !== undefined) details.push(`${report.bits}-bit`);
  const shown = escapeControlCharacters(displayPath(report.filePath, cwd));
  return details.length > 0 ? `${shown}  (${details.join(', ')})` : shown;
}

function rows(messages: readonly ReportMessage[], paint: Stylist, cwd: string): string[] {
  const table: Row[] = messages.map((m) => {
    const [severity, style] = severityLabel(m);
    return {
      details: details(m, cwd),
      position: m.address !== undefined ? escapeControlCharacters(m.address) : `${m.line}:${m.column}`,
      severity,
      message: escapeControlCharacters(m.message.replace(/\s*\r?\n\s*/g, ' ')),
      ruleId: escapeControlCharacters(m.ruleId ?? ''),
      style,
    };
  });
  const width = (pick: (row: Row) => string) => table.reduce((max, row) => Math.max(max, pick(row).length), 0);
  const positionWidth = width((r) => r.position);
  const severityWidth = width((r) => r.severity);
  const messageWidth = width((r) => r.message);
  return table.map((row) => {
    const cells = [
      paint('gray', row.position.padStart(positionWidth)),
      paint(row.style, row.severity.padEnd(severityWidth)),
      row.ruleId === '' ? row.message : row.message.padEnd(messageWidth),
    ];
    if (row.ruleId !== '') cells.push(paint('gray', row.ruleId));
    const indent = ' '.repeat(positionWidth + 4);
    return [`  ${cells.join('  ')}`.trimEnd(), ...row.details.map((line) => paint('gray', `${indent}${line}`))].join('\n');
  });
}

/** The macro (unless the message names it already) and the include chain of the first context, briefly. */
function details(message: ReportMessage, cwd: string): string[] {
  const out: string[] = [];
  const macro = message.macroChain?.[0];
  if (macro !== undefined && !message.message.includes(` via ${macro.name}`)) {
    const where = macro.definedAt !== undefined ? `, defined at ${location(macro.definedAt, cwd)}` : '';
    out.push(escapeControlCharacters(`via ${macro.name}${where}`));
  }
  const contexts = message.contexts ?? [];
  const first = contexts[0];
  if (first !== undefined && first.includes.length > 0) {
    const chain = first.includes
      .slice()
      .reverse()
      .map((site) => location(site, cwd))
      .join(' ← ');
    const others = contexts.length > 1 ? ` (and ${contexts.length - 1} other ${plural(contexts.length - 1, 'context')})` : '';
    out.push(escapeControlCharacters(`included from ${chain}, read as ${first.dialect} ${first.bits}-bit${others}`));
  }
  return out;
}

function location(at: { path: string; line: number }, cwd: string): string {
  return `${displayPath(at.path, cwd)}:${at.line}`;
}

function severityLabel(message: ReportMessage): [string, TextStyle] {
  if (message.severity === 2) return ['error', 'red'];
  if (message.level === 'info') return ['info', 'cyan'];
  if (message.level === 'hint') return ['hint', 'gray'];
  return ['warning', 'yellow'];
}

function plural(count: number, word: string): string {
  return count === 1 ? word : `${word}s`;
}
