// GitHub Actions workflow commands: each problem becomes an annotation on the pull request.
// https://docs.github.com/actions/reference/workflow-commands-for-github-actions
import { displayPath } from './paths';
import { escapeControlCharacters } from './terminalText';
import type { FileReport, FormatOptions, ReportMessage } from './types';

export function formatGithub(reports: readonly FileReport[], options: FormatOptions): string {
  const cwd = options.cwd;
  const lines: string[] = [];
  for (const report of reports) {
    const file = displayPath(report.filePath, cwd);
    for (const message of report.messages) lines.push(annotation(file, message));
  }
  return lines.length > 0 ? lines.join('\n') + '\n' : '';
}

function annotation(file: string, message: ReportMessage): string {
  const properties: [string, string][] = [['file', file]];
  // Binary findings have no meaningful line: the message itself names the address.
  if (message.address === undefined && message.fatal !== true) {
    properties.push(
      ['line', String(message.line)],
      ['col', String(message.column)],
      ['endLine', String(message.endLine)],
      ['endColumn', String(message.endColumn)],
    );
  }
  properties.push(['title', message.ruleId === null ? 'virtlint' : `virtlint(${message.ruleId})`]);
  const props = properties.map(([key, value]) => `${key}=${escapeProperty(value)}`).join(',');
  return `::${command(message)} ${props}::${escapeData(message.message)}`;
}

function command(message: ReportMessage): 'error' | 'warning' | 'notice' {
  if (message.severity === 2) return 'error';
  return message.level === undefined ? 'warning' : 'notice';
}

/** The runner decodes %25, %0D and %0A; other control characters (ESC...) would reach the log raw. */
function escapeData(text: string): string {
  const encoded = text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  return escapeControlCharacters(encoded);
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
