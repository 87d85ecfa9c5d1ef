// One file's text → analysis → the report shape the formatters print.
import { analyzeText, type AnalysisOptions, type AnalysisResult, type Dialect, type FileLocation, type Finding, type FindingContext, type MacroStep, type SeverityOrOff } from '../analysis';
import { ruleById } from '../analysis/catalogue';
import { hasFixes, type FixOptions } from '../analysis/fixes';
import type { FileSettings } from '../analysis/project';
import { mergeSettings } from '../host/projectSettings';
import type { CliDialect, CliOptions } from './args';
import { countMessages, type FileReport, type ReportContext, type ReportLocation, type ReportMacroStep, type ReportMessage } from '../report/types';

export type LintSettings = Pick<CliOptions, 'dialect' | 'bits' | 'mode' | 'profile' | 'rules' | 'severities' | 'reportUnknownMnemonics' | 'quiet'>;

/** `yasm` is NASM syntax; `gas` means "GNU as, whichever syntax the file uses" (AT&T unless it says otherwise). */
function forcedDialect(dialect: CliDialect | undefined): Dialect | undefined {
  if (dialect === undefined || dialect === 'gas') return undefined;
  return dialect === 'yasm' ? 'nasm' : dialect;
}

/** The analysis options of the command line; `file` (the configuration's dialect and bitness for this file) replaces theirs. */
export function analysisOptions(settings: LintSettings, fileName: string | undefined, file?: FileSettings): AnalysisOptions {
  const severities: Record<string, SeverityOrOff> = settings.reportUnknownMnemonics ? {} : { 'unknown-mnemonic': 'off' };
  Object.assign(severities, settings.severities);
  const options: AnalysisOptions = { profile: settings.profile, severities };
  if (fileName !== undefined) options.fileName = fileName;
  const dialect = forcedDialect(settings.dialect);
  if (dialect !== undefined) options.dialect = dialect;
  if (settings.dialect === 'gas') options.dialectFamily = 'gas';
  if (settings.bits !== undefined) options.bits = settings.bits;
  if (settings.mode !== undefined && settings.mode !== 'auto') options.mode = settings.mode;
  if (settings.rules !== undefined) options.rules = settings.rules;
  if (file !== undefined) mergeSettings(options, file);
  return options;
}

export function analyze(text: string, fileName: string | undefined, settings: LintSettings, file?: FileSettings): AnalysisResult {
  return analyzeText(text, analysisOptions(settings, fileName, file));
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
  const first = finding.contexts?.[0];
  if (first !== undefined) {
    message.readIn = { dialect: first.dialect, bits: first.bits };
    message.contexts = finding.contexts!.map(reportContext);
  }
  if (finding.macroChain !== undefined && finding.macroChain.length > 0) message.macroChain = finding.macroChain.map(reportMacroStep);
  if (finding.related !== undefined && finding.related.length > 0) {
    message.related = finding.related.map((related) => ({ ...reportLocation({ path: related.path, line: related.range.start.line, range: related.range }), message: related.message }));
  }
  return message;
}

/** A project location, 1-based as the messages are. */
function reportLocation(at: FileLocation): ReportLocation {
  const location: ReportLocation = { path: at.path, line: at.line + 1 };
  if (at.range !== undefined) {
    location.line = at.range.start.line + 1;
    location.column = at.range.start.character + 1;
    location.endLine = at.range.end.line + 1;
    location.endColumn = at.range.end.character + 1;
  }
  return location;
}

function reportContext(context: FindingContext): ReportContext {
  return { root: context.root, includes: context.includes.map(reportLocation), dialect: context.dialect, bits: context.bits };
}

function reportMacroStep(step: MacroStep): ReportMacroStep {
  const out: ReportMacroStep = { name: step.name, kind: step.kind, invokedAt: reportLocation(step.invokedAt) };
  if (step.definedAt !== undefined) out.definedAt = reportLocation(step.definedAt);
  return out;
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
    if (message.level === undefined && isFixable(text, finding, fixOptions)) {
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
function isFixable(text: string, finding: Finding, fixOptions: FixOptions): boolean {
  const entry = ruleById(finding.ruleId);
  if (entry === undefined || entry.group === 'meta') return false;
  // --fix rewrites the macro body, where the instruction is written, not the invocation.
  if (finding.macroChain !== undefined && finding.macroChain.length > 0) return false;
  try {
    return hasFixes(text, finding, fixOptions);
  } catch {
    return false;
  }
}
