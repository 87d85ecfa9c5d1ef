// NOTE FOR THE CLIENT HELPER: this file is the canonical list of the `virtlint.*` settings.
// `contributes.configuration` in package.json must list exactly these keys, with these
// defaults, enums and descriptions (SETTINGS below). The server reads them through
// `workspace/configuration` (section `virtlint`) and re-reads them on
// `workspace/didChangeConfiguration`.
import type { Bits, Dialect, SeverityOrOff } from '../analysis/types';
import { BITS, DIALECTS } from '../analysis/types';

export type RunMode = 'onType' | 'onSave';
export type FixAllStrategy = 'none' | 'trap' | 'hypercall';
export type HypercallAbiSetting = 'kvm' | 'kvm-amd' | 'xen' | 'hyperv' | 'custom';
export type ProfileSetting = 'deprivileged-kernel' | 'hardware-assisted-guest' | 'vm-detection-audit';

export interface FileOverride {
  /** Glob matched against the document's path (relative to its workspace folder, or absolute); without `/` it matches the base name. */
  files: string;
  dialect?: Dialect;
  bits?: Bits;
}

export interface VirtlintSettings {
  enable: boolean;
  run: RunMode;
  profile: ProfileSetting;
  rules: Record<string, SeverityOrOff>;
  ruleSelection: string[];
  includeInt3: boolean;
  overrides: FileOverride[];
  fix: { abi: HypercallAbiSetting; customTemplate: string; fixAllStrategy: FixAllStrategy };
  reportUnknownMnemonics: boolean;
  maxFileSize: number;
  maxDiagnostics: number;
}

const RUN_MODES: readonly RunMode[] = ['onType', 'onSave'];
const PROFILES: readonly ProfileSetting[] = ['deprivileged-kernel', 'hardware-assisted-guest', 'vm-detection-audit'];
const ABIS: readonly HypercallAbiSetting[] = ['kvm', 'kvm-amd', 'xen', 'hyperv', 'custom'];
const FIX_ALL: readonly FixAllStrategy[] = ['none', 'trap', 'hypercall'];
const SEVERITIES: readonly SeverityOrOff[] = ['error', 'warning', 'info', 'hint', 'off'];

export interface SettingDescription {
  /** Full key, e.g. `virtlint.fix.abi`. */
  key: string;
  type: 'boolean' | 'string' | 'number' | 'object' | 'array';
  default: unknown;
  enum?: readonly string[];
  description: string;
}

/** Every setting with its default and a description for `contributes.configuration`. */
export const SETTINGS: readonly SettingDescription[] = [
  { key: 'virtlint.enable', type: 'boolean', default: true, description: 'Lint x86 assembly files for instructions that defeat trap-and-emulate virtualization.' },
  { key: 'virtlint.run', type: 'string', default: 'onType', enum: RUN_MODES, description: 'Lint while typing (`onType`) or only when the file is saved (`onSave`).' },
  { key: 'virtlint.profile', type: 'string', default: 'deprivileged-kernel', enum: PROFILES, description: 'Which situation the code runs in; it sets which rules are on and how severe they are. `deprivileged-kernel`: a guest kernel run at CPL>0 by a trap-and-emulate monitor. `hardware-assisted-guest`: a guest under VT-x/AMD-V. `vm-detection-audit`: look for instructions that reveal a hypervisor.' },
  { key: 'virtlint.rules', type: 'object', default: {}, description: 'Per-rule severity, overriding the profile: `{ "popf": "error", "cpuid": "off" }`. Values: error, warning, info, hint, off.' },
  { key: 'virtlint.ruleSelection', type: 'array', default: [], description: 'Rules to run: rule ids or the groups `core`, `extended`, `all`. Empty means the profile\'s defaults.' },
  { key: 'virtlint.includeInt3', type: 'boolean', default: false, description: 'Also report INT3 (the breakpoint instruction) under the `int` rule.' },
  { key: 'virtlint.overrides', type: 'array', default: [], description: 'Force the dialect and/or bitness for files matching a glob: `[{ "files": "boot/**/*.S", "dialect": "gas-att", "bits": 16 }]`. A `virtlint:` modeline in the file still wins.' },
  { key: 'virtlint.fix.abi', type: 'string', default: 'kvm', enum: ABIS, description: 'Hypercall interface used by the hypercall quick fixes.' },
  { key: 'virtlint.fix.customTemplate', type: 'string', default: '', description: 'Instruction template used when `virtlint.fix.abi` is `custom`.' },
  { key: 'virtlint.fix.fixAllStrategy', type: 'string', default: 'none', enum: FIX_ALL, description: 'What `source.fixAll.virtlint` (fix all on save) does: `none` changes nothing, `trap` uses trapping equivalents, `hypercall` uses hypercalls.' },
  { key: 'virtlint.reportUnknownMnemonics', type: 'boolean', default: false, description: 'Report mnemonics that are not x86 instructions (usually macros) as hints.' },
  { key: 'virtlint.maxFileSize', type: 'number', default: 2_000_000, description: 'Files larger than this many bytes are not linted (a single notice is shown instead).' },
  {
    key: 'virtlint.maxDiagnostics',
    type: 'number',
    default: 1000,
    description: 'Most diagnostics shown for one file, the most severe first; a notice says how many more the CLI would list. VS Code itself shows at most 1,000 per file, so raising this helps only other editors.',
  },
];

export const DEFAULT_SETTINGS: VirtlintSettings = {
  enable: true,
  run: 'onType',
  profile: 'deprivileged-kernel',
  rules: {},
  ruleSelection: [],
  includeInt3: false,
  overrides: [],
  fix: { abi: 'kvm', customTemplate: '', fixAllStrategy: 'none' },
  reportUnknownMnemonics: false,
  maxFileSize: 2_000_000,
  maxDiagnostics: 1000,
};

/**
 * Turns whatever the client sent (possibly nothing, possibly garbage) into complete settings.
 * Invalid values fall back to the default; `fix.abi` may also arrive flattened as `"fix.abi"`.
 */
export function normalizeSettings(raw: unknown): VirtlintSettings {
  const source = isRecord(raw) ? raw : {};
  const fixRaw = isRecord(source.fix) ? source.fix : {};
  const fixValue = (name: string): unknown => fixRaw[name] ?? source[`fix.${name}`];
  return {
    enable: pickBoolean(source.enable, DEFAULT_SETTINGS.enable),
    run: pickEnum(source.run, RUN_MODES, DEFAULT_SETTINGS.run),
    profile: pickEnum(source.profile, PROFILES, DEFAULT_SETTINGS.profile),
    rules: pickSeverities(source.rules),
    ruleSelection: Array.isArray(source.ruleSelection) ? source.ruleSelection.filter((t): t is string => typeof t === 'string') : [],
    includeInt3: pickBoolean(source.includeInt3, DEFAULT_SETTINGS.includeInt3),
    overrides: pickOverrides(source.overrides),
    fix: {
      abi: pickEnum(fixValue('abi'), ABIS, DEFAULT_SETTINGS.fix.abi),
      customTemplate: typeof fixValue('customTemplate') === 'string' ? (fixValue('customTemplate') as string) : '',
      fixAllStrategy: pickEnum(fixValue('fixAllStrategy'), FIX_ALL, DEFAULT_SETTINGS.fix.fixAllStrategy),
    },
    reportUnknownMnemonics: pickBoolean(source.reportUnknownMnemonics, DEFAULT_SETTINGS.reportUnknownMnemonics),
    maxFileSize: typeof source.maxFileSize === 'number' && source.maxFileSize > 0 ? source.maxFileSize : DEFAULT_SETTINGS.maxFileSize,
    maxDiagnostics: Number.isInteger(source.maxDiagnostics) && (source.maxDiagnostics as number) > 0 ? (source.maxDiagnostics as number) : DEFAULT_SETTINGS.maxDiagnostics,
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

function pickOverrides(value: unknown): FileOverride[] {
  if (!Array.isArray(value)) return [];
  const result: FileOverride[] = [];
  for (const entry of value) {
    if (!isRecord(entry) || typeof entry.files !== 'string') continue;
    const override: FileOverride = { files: entry.files };
    if (typeof entry.dialect === 'string' && (DIALECTS as readonly string[]).includes(entry.dialect)) override.dialect = entry.dialect as Dialect;
    if (typeof entry.bits === 'number' && (BITS as readonly number[]).includes(entry.bits)) override.bits = entry.bits as Bits;
    result.push(override);
  }
  return result;
}
