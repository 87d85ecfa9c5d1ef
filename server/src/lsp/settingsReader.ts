// Reading settings on the server: whatever a client sends becomes complete, valid settings, and
// in an untrusted workspace the settings that decide the code virtlint writes come from the
// user only. The list of settings itself is the client/server contract in settings.ts.
import type { Bits, DeclaredMode, Dialect, SeverityOrOff } from '../analysis/types';
import { BITS, DECLARED_MODES, DIALECTS } from '../analysis/types';
import { globProblem } from './glob';
import { ABIS, DEFAULT_SETTINGS, FIX_ALL, HYPERCALL_NUMBERS, INLINE_ASM_SYNTAXES, MODE_SETTINGS, PROFILES, RUN_MODES, SETTINGS, SEVERITIES, type FileOverride, type VirtlintSettings, type WorkspaceTrust } from './settings';

/** More overrides than this are ignored (each one is matched against every opened file). */
export const MAX_OVERRIDES = 200;

/**
 * Turns whatever the client sent (possibly nothing, possibly garbage) into complete settings.
 * Invalid values fall back to the default; `fix.abi` may also arrive flattened as `"fix.abi"`.
 * Overrides whose glob cannot be used are dropped and passed to `report`.
 */
export function normalizeSettings(raw: unknown, report: (problem: string) => void = () => undefined): VirtlintSettings {
  const source = isRecord(raw) ? raw : {};
  const fixRaw = isRecord(source.fix) ? source.fix : {};
  const fixValue = (name: string): unknown => fixRaw[name] ?? source[`fix.${name}`];
  const languagesRaw = isRecord(source.languages) ? source.languages : {};
  const languageValue = (name: string): unknown => languagesRaw[name] ?? source[`languages.${name}`];
  const inlineAsmRaw = isRecord(source.inlineAsm) ? source.inlineAsm : {};
  return {
    enable: pickBoolean(source.enable, DEFAULT_SETTINGS.enable),
    run: pickEnum(source.run, RUN_MODES, DEFAULT_SETTINGS.run),
    profile: pickEnum(source.profile, PROFILES, DEFAULT_SETTINGS.profile),
    mode: pickEnum(source.mode, MODE_SETTINGS, DEFAULT_SETTINGS.mode),
    rules: pickSeverities(source.rules),
    ruleSelection: Array.isArray(source.ruleSelection) ? source.ruleSelection.filter((t): t is string => typeof t === 'string') : [],
    includeInt3: pickBoolean(source.includeInt3, DEFAULT_SETTINGS.includeInt3),
    overrides: pickOverrides(source.overrides, report),
    fix: {
      abi: pickEnum(fixValue('abi'), ABIS, DEFAULT_SETTINGS.fix.abi),
      customTemplate: typeof fixValue('customTemplate') === 'string' ? (fixValue('customTemplate') as string) : '',
      fixAllStrategy: pickEnum(fixValue('fixAllStrategy'), FIX_ALL, DEFAULT_SETTINGS.fix.fixAllStrategy),
      hypercallNumbers: pickEnum(fixValue('hypercallNumbers'), HYPERCALL_NUMBERS, DEFAULT_SETTINGS.fix.hypercallNumbers),
      hypercallDefinitionsFolder: typeof fixValue('hypercallDefinitionsFolder') === 'string' ? (fixValue('hypercallDefinitionsFolder') as string).trim() : '',
    },
    reportUnknownMnemonics: pickBoolean(source.reportUnknownMnemonics, DEFAULT_SETTINGS.reportUnknownMnemonics),
    maxFileSize: typeof source.maxFileSize === 'number' && source.maxFileSize > 0 ? source.maxFileSize : DEFAULT_SETTINGS.maxFileSize,
    maxDiagnostics: Number.isInteger(source.maxDiagnostics) && (source.maxDiagnostics as number) > 0 ? (source.maxDiagnostics as number) : DEFAULT_SETTINGS.maxDiagnostics,
    languages: {
      c: pickBoolean(languageValue('c'), DEFAULT_SETTINGS.languages.c),
      cpp: pickBoolean(languageValue('cpp'), DEFAULT_SETTINGS.languages.cpp),
      rust: pickBoolean(languageValue('rust'), DEFAULT_SETTINGS.languages.rust),
    },
    inlineAsm: { syntax: pickEnum(inlineAsmRaw.syntax ?? source['inlineAsm.syntax'], INLINE_ASM_SYNTAXES, DEFAULT_SETTINGS.inlineAsm.syntax) },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pickBoolean(value: unknown, fallback: boolean): boolean {
  return typeof value === 'boolean' ? value : fallback;
}

function pickEnum<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value) ? (value as T) : fallback;
}

function pickSeverities(value: unknown): Record<string, SeverityOrOff> {
  const result: Record<string, SeverityOrOff> = {};
  if (!isRecord(value)) return result;
  for (const [id, severity] of Object.entries(value)) {
    if (typeof severity === 'string' && (SEVERITIES as readonly string[]).includes(severity)) result[id] = severity as SeverityOrOff;
  }
  return result;
}

function pickOverrides(value: unknown, report: (problem: string) => void): FileOverride[] {
  if (!Array.isArray(value)) return [];
  if (value.length > MAX_OVERRIDES) report(`virtlint.overrides: only the first ${MAX_OVERRIDES} of ${value.length} overrides are used`);
  const result: FileOverride[] = [];
  for (const entry of value.slice(0, MAX_OVERRIDES)) {
    if (!isRecord(entry) || typeof entry.files !== 'string') continue;
    const problem = globProblem(entry.files);
    if (problem !== undefined) {
      report(`virtlint.overrides: ignoring the glob ${JSON.stringify(entry.files.slice(0, 200))}: ${problem}`);
      continue;
    }
    const override: FileOverride = { files: entry.files };
    if (typeof entry.dialect === 'string' && (DIALECTS as readonly string[]).includes(entry.dialect)) override.dialect = entry.dialect as Dialect;
    if (typeof entry.bits === 'number' && (BITS as readonly number[]).includes(entry.bits)) override.bits = entry.bits as Bits;
    if (typeof entry.mode === 'string' && (DECLARED_MODES as readonly string[]).includes(entry.mode)) override.mode = entry.mode as DeclaredMode;
    result.push(override);
  }
  return result;
}

/**
 * A client that says nothing about trust has no notion of it (Neovim, for example), so every
 * setting it sends is its user's choice. A client that says something is trusted only when it
 * says `trusted: true`.
 */
export function readWorkspaceTrust(value: unknown): WorkspaceTrust {
  if (value === undefined || value === null) return { trusted: true, userSettings: undefined };
  const record = isRecord(value) ? value : {};
  return { trusted: record.trusted === true, userSettings: record.userSettings };
}

const RESTRICTED_PATHS: readonly (readonly string[])[] = SETTINGS.filter((setting) => setting.restricted).map((setting) => setting.key.split('.').slice(1));

/**
 * In an untrusted workspace, replaces the restricted settings with the user's own values and
 * names the settings whose value that changed (a workspace or folder value was ignored).
 */
export function applyWorkspaceTrust(settings: VirtlintSettings, trust: WorkspaceTrust): { settings: VirtlintSettings; ignored: string[] } {
  if (trust.trusted) return { settings, ignored: [] };
  const userScope = normalizeSettings(trust.userSettings);
  const result = structuredClone(settings);
  const ignored: string[] = [];
  for (const path of RESTRICTED_PATHS) {
    const userValue = valueAt(userScope, path);
    if (valueAt(result, path) === userValue) continue;
    setValueAt(result, path, userValue);
    ignored.push(`virtlint.${path.join('.')}`);
  }
  return { settings: result, ignored };
}

function valueAt(settings: VirtlintSettings, path: readonly string[]): unknown {
  let value: unknown = settings;
  for (const part of path) value = isRecord(value) ? value[part] : undefined;
  return value;
}

function setValueAt(settings: VirtlintSettings, path: readonly string[], value: unknown): void {
  let parent: unknown = settings;
  for (const part of path.slice(0, -1)) parent = isRecord(parent) ? parent[part] : undefined;
  const last = path[path.length - 1];
  if (isRecord(parent) && last !== undefined) parent[last] = value;
}
