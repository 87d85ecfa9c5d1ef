// The report shape every output format reads. It is ESLint's result format (1-based lines and
// columns, severity 1|2) plus a few fields of our own; the binary scanner fills the same shape.

/** Shown in stylish and json for info/hint findings, which are reported but never counted. */
export type NoteLevel = 'info' | 'hint';

export interface ReportMessage {
  /** Null for a problem with the file itself (binary, not UTF-8, too large, unreadable). */
  ruleId: string | null;
  severity: 1 | 2;
  message: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** Set for info/hint findings: they carry severity 1 but do not count as warnings. */
  level?: NoteLevel;
  /** The file could not be linted at all (ESLint's meaning of `fatal`). */
  fatal?: boolean;
  /** Binary scans: where the instruction is (`0x...`), its section and `symbol+0xoff`. */
  address?: string;
  section?: string;
  symbol?: string;
  /** Binary scans: the instruction's bytes in the file, for formats that locate by byte range. */
  bytes?: { offset: number; length: number };
  /** Binary scans: how the instruction was known to be code (symbol, unwind, traversal, sweep). */
  discovery?: string;
  /** Binary scans: the source line DWARF debug information gives for the address. */
  source?: { file: string; line: number };
  /** Whole-program lint: the dialect and bitness the line was read in (its first context). */
  readIn?: { dialect: string; bits: number };
  /** Whole-program lint: each way the file was reached where the finding was seen. */
  contexts?: ReportContext[];
  /** Whole-program lint: the macros that produced the instruction, outermost first. */
  macroChain?: ReportMacroStep[];
  /** Other places that explain the finding (the macro body line, the macro's definition). */
  related?: ReportRelated[];
}

/** A place in a file, 1-based like the messages; the columns when known. */
export interface ReportLocation {
  path: string;
  line: number;
  column?: number;
  endLine?: number;
  endColumn?: number;
}

export interface ReportContext {
  /** The file the walk started from. */
  root: string;
  /** The include directives from the root to the file, outermost first. */
  includes: ReportLocation[];
  dialect: string;
  bits: number;
}

export interface ReportMacroStep {
  name: string;
  kind: string;
  definedAt?: ReportLocation;
  invokedAt: ReportLocation;
}

export interface ReportRelated extends ReportLocation {
  message: string;
}

export interface FileReport {
  filePath: string;
  messages: ReportMessage[];
  errorCount: number;
  warningCount: number;
  fatalErrorCount?: number;
  fixableErrorCount?: number;
  fixableWarningCount?: number;
  dialect?: string;
  bits?: number;
  /** One line about the file as a whole (e.g. "2 fixes applied"). */
  note?: string;
}

/** The terminal styles stylish uses. */
export type TextStyle = 'red' | 'yellow' | 'cyan' | 'gray' | 'bold' | 'underline';

/** Wraps text in a terminal style (the host decides how, and whether at all). */
export type Stylist = (style: TextStyle, text: string) => string;

/** The installed virtlint package, as SARIF names the tool and links its documentation. */
export interface ToolInfo {
  version: string;
  /** The package's root directory: `docs/rules/<id>.md` is found under it. */
  root?: string;
  homepage?: string;
}

export interface FormatOptions {
  /** Paths in stylish, github and SARIF are shown relative to this directory (absolute). */
  cwd: string;
  /** Colours stylish. Default: plain text. */
  style?: Stylist;
  /** The tool SARIF describes. Default: version 0.0.0, documentation links relative to the package. */
  tool?: ToolInfo;
  /** Base URL that `docs/rules/<id>.md` is appended to for SARIF `helpUri`. Default: a file:// URI under `tool.root`. */
  docsBaseUrl?: string;
  /** Profile whose default severities SARIF lists as each rule's `defaultConfiguration.level`. */
  profile?: string;
}

/** What `-f`/`--format` accepts, in both commands. */
export const FORMATS = ['stylish', 'json', 'sarif', 'github'] as const;
export type FormatName = (typeof FORMATS)[number];

export function isFormatName(name: string): name is FormatName {
  return (FORMATS as readonly string[]).includes(name);
}

/** Counts a message the way the exit status does: info/hint notes count as neither. */
export function countsAsWarning(message: ReportMessage): boolean {
  return message.severity === 1 && message.level === undefined;
}

/** The error and warning counts of a report's messages, as the exit status counts them. */
export function countMessages(messages: readonly ReportMessage[]): { errorCount: number; warningCount: number } {
  let errorCount = 0;
  let warningCount = 0;
  for (const message of messages) {
    if (message.severity === 2) errorCount++;
    else if (countsAsWarning(message)) warningCount++;
  }
  return { errorCount, warningCount };
}

/** A file that could not be linted or scanned at all: one fatal message at 1:1 (ESLint's convention). */
export function fileProblemReport(filePath: string, problem: string): FileReport {
  return {
    filePath,
    messages: [{ ruleId: null, severity: 2, fatal: true, message: problem, line: 1, column: 1, endLine: 1, endColumn: 1 }],
    errorCount: 1,
    warningCount: 0,
    fatalErrorCount: 1,
    fixableErrorCount: 0,
    fixableWarningCount: 0,
  };
}
