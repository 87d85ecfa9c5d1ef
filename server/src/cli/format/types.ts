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

export interface FormatOptions {
  /** Paths in stylish, github and SARIF are shown relative to this directory. Default: process.cwd(). */
  cwd?: string;
  /** ANSI colours in stylish. Default: off. */
  color?: boolean;
  /** Tool version written into SARIF. Default: the package's version. */
  version?: string;
  /** Base URL that `docs/rules/<id>.md` is appended to for SARIF `helpUri`. Default: a file:// URI of the installed package. */
  docsBaseUrl?: string;
  /** Profile whose default severities SARIF lists as each rule's `defaultConfiguration.level`. */
  profile?: string;
}

export const FORMATS = ['stylish', 'json', 'sarif', 'github'] as const;
export type FormatName = (typeof FORMATS)[number];

export function isFormatName(name: string): name is FormatName {
  return (FORMATS as readonly string[]).includes(name);
}

/** Counts a message the way the exit status does: info/hint notes count as neither. */
export function countsAsWarning(message: ReportMessage): boolean {
  return message.severity === 1 && message.level === undefined;
}
