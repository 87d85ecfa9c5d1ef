// One file's text → analysis → the report shape the formatters print.
import { analyzeText, type AnalysisOptions, type AnalysisResult, type Dialect, type Finding, type SeverityOrOff } from '../analysis';
import { ruleById } from '../analysis/catalogue';
import { fixesForFinding, type FixOptions } from '../analysis/fixes';
import type { CliDialect, CliOptions } from './args';
import { countMessages, type FileReport, type ReportMessage } from '../report/types';

export type LintSettings = Pick<CliOptions, 'dialect' | 'bits' | 'profile' | 'rules' | 'severities' | 'reportUnknownMnemonics' | 'quiet'>;

/** `yasm` is NASM syntax; `gas` means "GNU as, whichever syntax the file uses" (AT&T unless it says otherwise). */
function forcedDialect(dialect: CliDialect | undefined): Dialect | undefined {
  if (dialect === undefined || dialect === 'gas') return undefined;
  return dialect === 'yasm' ? 'nasm' : dialect;
}

export function analysisOptions(settings: LintSettings, fileName: string | undefined): AnalysisOptions {
  const severities: Record<string, SeverityOrOff> = settings.reportUnknownMnemonics ? {} : { 'unknown-mnemonic': 'off' };
  Object.assign(severities, settings.severities);
  const options: AnalysisOptions = { profile: settings.profile, severities };
  if (fileName !== undefined) options.fileName = fileName;
  const dialect = forcedDialect(settings.dialect);
  if (dialect !== undefined) options.dialect = dialect;
  if (settings.dialect === 'gas') options.dialectFamily = 'gas';
  if (settings.bits !== undefined) options.bits = settings.bits;
  if (settings.rules !== undefined) options.rules = settings.rules;
  return options;
}

export function analyze(text: string, fileName: string | undefined, settings: LintSettings): AnalysisResult {
  return analyzeText(text, analysisOptions(settings, fileName));
}

export function toMessage(finding: Finding): ReportMessage {
  const message: ReportMessage = {
    ruleId: finding.ruleId,
    severity: finding.severity === 'error' ? 2 : 1,
    message: finding.message,
    line: finding.mnemonicRange.start.line + 1,
    column: finding.mnemonicRange.start.character + 1,
    endLine: finding.range.end.line + 1,
    endColumn: finding.range.end.character + 1,
  };
  if (finding.severity === 'info' || finding.severity === 'hint') message.level = finding.severity;
  return message;
}

/** The report for a linted text; `fixOptions` decides which findings count as fixable. */
export function reportFor(filePath: string, text: string, result: AnalysisResult, settings: LintSettings, fixOptions: FixOptions): FileReport {
  const messages: ReportMessage[] = [];
  let fixableErrorCount = 0;
  let fixableWarningCount = 0;
  for (const finding of result.findings) {
    const message = toMessage(finding);
    if (settings.quiet && message.severity !== 2) continue;
    messages.push(message);
    if (message.level === undefined && isFixable(text, result, finding, fixOptions)) {
      if (message.severity === 2) fixableErrorCount++;
      else fixableWarningCount++;
    }
  }
  messages.sort((a, b) => a.line - b.line || a.column - b.column);
  return {
    filePath,
    messages,
    ...countMessages(messages),
    fatalErrorCount: 0,
    fixableErrorCount,
    fixableWarningCount,
    dialect: result.dialect,
    bits: result.bits,
  };
}

/** Whether `--fix` has something for this finding (macro bodies and continued lines are left alone). */
function isFixable(text: string, result: AnalysisResult, finding: Finding, fixOptions: FixOptions): boolean {
  const entry = ruleById(finding.ruleId);
  if (entry === undefined || entry.group === 'meta') return false;
  try {
    return fixesForFinding(text, result, finding, fixOptions).length > 0;
  } catch {
    return false;
  }
}
