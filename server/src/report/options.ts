// What both commands (`virtlint` and `virtlint scan`) accept and how they end: one UsageError,
// one IO type, the options they share, the value parsers with one wording, and the exit status.
// Pure: host/argv.ts splits argv into options; this file says what each option means.
import { isKnownRuleId, isProfileId, isSeverityOrOff, unknownSelectionTokens, DEFAULT_PROFILE, PROFILES, type ProfileId } from '../analysis/catalogue';
import type { Bits, SeverityOrOff } from '../analysis/types';
import { FORMATS, isFormatName, type FileReport, type FormatName } from './types';

/** Bad usage: the command prints the message and where to find --help, and exits 2. */
export class UsageError extends Error {}

/** Input the command cannot use at all (a path that does not exist, an output it cannot write): the message, exit 2. */
export class InputError extends Error {}

/** What a command reads and writes. The process's own by default; tests pass their own. */
export interface CommandIo {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown };
  /** Default: process.cwd(). */
  cwd?: string;
  /** Default: process.env (only NO_COLOR and VIRTLINT_DEBUG are read). */
  env?: Record<string, string | undefined>;
  /** Standard input for "-". Default: process.stdin. Reading stops once it passes the size limit. */
  stdin?: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;
}

export const EXIT_CLEAN = 0;
/** Errors, or more warnings than --max-warnings. */
export const EXIT_PROBLEMS = 1;
/** Bad usage, input that could not be used at all, an internal error. */
export const EXIT_UNUSABLE = 2;

/** One command-line option: how it is spelled and where its value goes. */
export interface OptionSpec<T> {
  /** `--format` */
  long: string;
  /** `-f` */
  short?: string;
  /** A value (`--format json`, `--format=json`), or a flag. */
  takesValue: boolean;
  /** Stores the option; `name` is the option as written (`-f` or `--format`), for messages; a flag's value is ''. */
  apply(into: T, value: string, name: string): void;
}

export function flag<T>(long: string, short: string | undefined, apply: (into: T) => void): OptionSpec<T> {
  return { long, ...(short !== undefined ? { short } : {}), takesValue: false, apply: (into) => apply(into) };
}

export function valued<T>(long: string, short: string | undefined, apply: (into: T, value: string, name: string) => void): OptionSpec<T> {
  return { long, ...(short !== undefined ? { short } : {}), takesValue: true, apply };
}

/** The options both commands take: what is reported, how, and what the exit status counts. */
export interface ReportOptions {
  format: FormatName;
  profile: ProfileId;
  /** --profile was given (a project configuration's profile yields to it). */
  profileGiven?: boolean;
  /** --rules tokens; undefined: the profile's rules. Checked by `checkRuleSelection` once argv is read. */
  rules?: string[];
  severities: Record<string, SeverityOrOff>;
  /** -1: no limit. */
  maxWarnings: number;
  /** undefined: colour when stdout is a terminal and NO_COLOR is not set. */
  color?: boolean;
  help: boolean;
}

export function reportOptionDefaults(): ReportOptions {
  return { format: 'stylish', profile: DEFAULT_PROFILE, severities: {}, maxWarnings: -1, help: false };
}

export const REPORT_OPTIONS: readonly OptionSpec<ReportOptions>[] = [
  flag('--help', '-h', (o) => (o.help = true)),
  valued('--format', '-f', (o, value) => (o.format = parseFormat(value))),
  valued('--profile', undefined, (o, value) => {
    o.profile = parseProfileName(value);
    o.profileGiven = true;
  }),
  valued('--rules', undefined, (o, value) => addRuleTokens(o, value)),
  valued('--severity', undefined, (o, value) => addSeverity(o.severities, value)),
  valued('--max-warnings', undefined, (o, value, name) => (o.maxWarnings = integer(name, value, -1))),
  flag('--color', undefined, (o) => (o.color = true)),
  flag('--no-color', undefined, (o) => (o.color = false)),
];

/** `a, b, c or d` */
function alternatives(items: readonly string[]): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

export function unknownFormatText(format: string): string {
  return `unknown format "${format}" (expected ${alternatives(FORMATS)})`;
}

function parseFormat(value: string): FormatName {
  if (!isFormatName(value)) throw new UsageError(unknownFormatText(value));
  return value;
}

function parseProfileName(value: string): ProfileId {
  if (!isProfileId(value)) throw new UsageError(`unknown profile "${value}" (expected ${alternatives(PROFILES)})`);
  return value;
}

function addRuleTokens(options: ReportOptions, list: string): void {
  const rules = (options.rules ??= []);
  for (const token of list.split(',')) rules.push(token);
}

/** Trims the --rules tokens and drops empty ones; any unknown id is a usage error (never an empty selection). */
export function checkRuleSelection(options: ReportOptions): void {
  if (options.rules === undefined) return;
  options.rules = options.rules.map((rule) => rule.trim()).filter((rule) => rule !== '');
  const unknown = unknownSelectionTokens(options.rules);
  if (unknown.length > 0) {
    throw new UsageError(`unknown rule id${unknown.length > 1 ? 's' : ''} in --rules: ${unknown.join(', ')} (see --help for the list)`);
  }
}

/** Severity keys besides rule ids: the groups `severityFor` looks up. */
const SEVERITY_GROUPS: readonly string[] = ['core', 'extended', 'meta', 'all'];

/** `--severity id=level`, case-insensitive like rule selections; an unknown id is a usage error, never ignored. */
function addSeverity(severities: Record<string, SeverityOrOff>, spec: string): void {
  const eq = spec.indexOf('=');
  const id = (eq > 0 ? spec.slice(0, eq) : '').trim().toLowerCase();
  const level = (eq > 0 ? spec.slice(eq + 1) : '').trim().toLowerCase();
  if (id === '' || !isSeverityOrOff(level)) throw new UsageError(`--severity wants rule=level with level error, warning, info, hint or off, not "${spec}"`);
  if (!isKnownRuleId(id) && !SEVERITY_GROUPS.includes(id)) throw new UsageError(`--severity: unknown rule id "${id}"`);
  severities[id] = level;
}

export function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${name}: "${value}" is not one of ${allowed.join(', ')}`);
  return value as T;
}

/** A whole number from `min` to `max` (default: the largest exact integer). */
export function integer(name: string, value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`${name} wants a whole number, not "${value}"`);
  const n = Number(value);
  if (n < min) throw new UsageError(`${name} must be at least ${min}`);
  if (!Number.isSafeInteger(n) || n > max) throw new UsageError(`${name}: ${value.trim()} is too large (at most ${max})`);
  return n;
}

export function parseBits(name: string, value: string): Bits {
  if (value !== '16' && value !== '32' && value !== '64') throw new UsageError(`${name} must be 16, 32 or 64, not "${value}"`);
  return Number(value) as Bits;
}

export function pathValue(name: string, value: string): string {
  if (value === '') throw new UsageError(`${name}: the path is empty`);
  return value;
}

/** The exit status of a finished run, and the line to print when too many warnings decided it. */
export interface Verdict {
  status: typeof EXIT_CLEAN | typeof EXIT_PROBLEMS | typeof EXIT_UNUSABLE;
  complaint?: string;
}

/** Unusable input → 2; any error → 1; more warnings than `maxWarnings` (unless -1) → 1; else 0. */
export function exitVerdict(reports: readonly FileReport[], maxWarnings: number, unusableInput: boolean): Verdict {
  if (unusableInput) return { status: EXIT_UNUSABLE };
  let errors = 0;
  let warnings = 0;
  for (const report of reports) {
    errors += report.errorCount;
    warnings += report.warningCount;
  }
  if (errors > 0) return { status: EXIT_PROBLEMS };
  if (maxWarnings >= 0 && warnings > maxWarnings) return { status: EXIT_PROBLEMS, complaint: `${warnings} warnings, more than --max-warnings ${maxWarnings}` };
  return { status: EXIT_CLEAN };
}
