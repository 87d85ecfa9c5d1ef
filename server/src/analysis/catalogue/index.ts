// Public surface of the rule catalogue: the rules, rule selection and severities.
// Pure data and lookups; no IO and no iced-x86 (the docs renderer lives in render.ts).
import type { Severity, SeverityOrOff } from '../types';
import { PROFILE_INFO } from './profiles';
import { IDIOM_RULES } from './idiomRules';
import { META_RULES, RULES } from './rules';
import type { ProfileId, RuleEntry, RuleGroup, RuleId } from './schema';

export * from './schema';
export { RULES, META_RULES } from './rules';
export { IDIOM_RULES, tagsForFinding } from './idiomRules';
export { PROFILE_INFO, parseProfile, isProfileId, type ProfileInfo } from './profiles';
export { SOURCES } from './sources';
export { OBSERVED } from './observed';
export { describeObservation, type Observation, type ObservationMap } from './observation';

/** Tokens accepted in a rule selection besides rule ids. */
export const RULE_GROUP_TOKENS = ['core', 'extended', 'all'] as const;

const ALL_ENTRIES: readonly RuleEntry[] = [...RULES, ...IDIOM_RULES, ...META_RULES];
const BY_ID = new Map<string, RuleEntry>(ALL_ENTRIES.map((entry) => [entry.id, entry]));

/** Every entry: the instruction rules, the VM-detection idioms, then the meta kinds. */
export function allEntries(): readonly RuleEntry[] {
  return ALL_ENTRIES;
}

export function ruleById(id: string): RuleEntry | undefined {
  return BY_ID.get(id);
}

/** True for the 25 rule ids and the meta kinds (`invalid-in-mode`, `unknown-mnemonic`, `unknown-rule`). */
export function isKnownRuleId(id: string): id is RuleId {
  return BY_ID.has(id);
}

/** `text` as a rule id; throws for a word that names no rule. */
export function ruleIdOf(text: string): RuleId {
  if (!isKnownRuleId(text)) throw new Error(`"${text}" is not a virtlint rule id`);
  return text;
}

export function isMetaRuleId(id: string): boolean {
  return BY_ID.get(id)?.group === 'meta';
}

/** Tokens of a selection that are neither rule ids nor `core`/`extended`/`all` (for a CLI or settings warning). */
export function unknownSelectionTokens(tokens: readonly string[]): string[] {
  return tokens.map(normalizeToken).filter((token) => token !== '' && !isKnownRuleId(token) && !isGroupToken(token));
}

export interface RuleSelection {
  /** Rule ids that run. Meta kinds are always included. */
  enabled: Set<string>;
  /** Report INT3 under the `int` rule (only when `all` was selected). */
  includeInt3: boolean;
}

/**
 * Which rules run. Without tokens (undefined or empty) the profile decides: every rule whose
 * default severity in that profile is not `off`. With tokens, exactly the named ids and groups
 * run, including ones the profile turns off. Unknown tokens are ignored here; report them with
 * `unknownSelectionTokens`. INT3 is included only by `all`: it is the debugger breakpoint and its
 * gate is normally DPL 3, so it behaves the same whether or not the kernel is deprivileged.
 */
export function resolveRuleSelection(tokens: readonly string[] | undefined, profile: ProfileId): RuleSelection {
  const enabled = new Set<string>(META_RULES.map((entry) => entry.id));
  const normalized = (tokens ?? []).map(normalizeToken).filter((token) => token !== '');
  if (normalized.length === 0) {
    for (const entry of [...RULES, ...IDIOM_RULES]) if (entry.severity[profile] !== 'off') enabled.add(entry.id);
    return { enabled, includeInt3: false };
  }
  let includeInt3 = false;
  for (const token of normalized) {
    if (token === 'all') {
      includeInt3 = true;
      for (const entry of [...RULES, ...IDIOM_RULES]) enabled.add(entry.id);
    } else if (token === 'core' || token === 'extended') {
      for (const entry of RULES) if (entry.group === token) enabled.add(entry.id);
    } else if (isKnownRuleId(token)) {
      enabled.add(token);
    }
  }
  return { enabled, includeInt3 };
}

/** The profile's default for a rule, `off` included (what the docs tables show). Unknown ids: `off`. */
export function defaultSeverity(ruleId: string, profile: ProfileId): SeverityOrOff {
  return BY_ID.get(ruleId)?.severity[profile] ?? 'off';
}

/**
 * Severity of a finding of `ruleId` once the rule runs (`resolveRuleSelection` decides whether it
 * runs). Overrides win and may say `off`; they are looked up by rule id, then by group (`core`,
 * `extended`, `meta`), then `all`. Without an override, the profile default; a rule the profile
 * turns off but the user selected explicitly gets the profile's `selectedSeverity`, so
 * `--rules cpuid` reports CPUID even in the default profile. Unknown ids: `off`.
 */
export function severityFor(ruleId: string, profile: ProfileId, overrides?: Readonly<Record<string, SeverityOrOff>>): SeverityOrOff {
  const entry = BY_ID.get(ruleId);
  if (!entry) return 'off';
  const override = overrides && (overrides[ruleId] ?? overrides[entry.group] ?? (entry.group === 'meta' ? undefined : overrides['all']));
  if (override !== undefined && isSeverityOrOff(override)) return override;
  const byProfile = entry.severity[profile];
  return byProfile === 'off' ? PROFILE_INFO[profile].selectedSeverity : byProfile;
}

/** Where the rule's page lives, relative to the package root. */
export function docsPath(ruleId: string): string {
  return `docs/rules/${ruleId}.md`;
}

/** The rule's one-line message with `{mnemonic}` filled in (upper-cased, as the docs write mnemonics). */
export function formatMessage(entry: RuleEntry, mnemonic: string | undefined): string {
  // Display names like "PUSH CS" or "CALL FAR" carry an operand; the message wants the bare mnemonic.
  const shown = mnemonic && mnemonic.trim() !== '' ? mnemonic.trim().toUpperCase() : entry.mnemonics[0]?.split(' ')[0] ?? 'This statement';
  return entry.message.split('{mnemonic}').join(shown);
}

/** True for the VM-detection idioms (several instructions read together; only the audit profile runs them). */
export function isIdiomRuleId(id: string): boolean {
  return BY_ID.get(id)?.group === 'idiom';
}

/** Whether the idiom pass runs: only the `vm-detection-audit` profile reads idioms, and only when one is selected. */
export function runsIdioms(profile: ProfileId, enabled: ReadonlySet<string>): boolean {
  if (profile !== 'vm-detection-audit') return false;
  for (const id of enabled) if (isIdiomRuleId(id)) return true;
  return false;
}

/** Rule ids grouped as the selection tokens name them. */
export function ruleIdsInGroup(group: RuleGroup): string[] {
  return ALL_ENTRIES.filter((entry) => entry.group === group).map((entry) => entry.id);
}

const SEVERITY_VALUES: readonly string[] = ['error', 'warning', 'info', 'hint', 'off'] satisfies readonly SeverityOrOff[];

export function isSeverityOrOff(value: string): value is SeverityOrOff {
  return SEVERITY_VALUES.includes(value);
}

export function isSeverity(value: string): value is Severity {
  return value !== 'off' && isSeverityOrOff(value);
}

function normalizeToken(token: string): string {
  return token.trim().toLowerCase();
}

function isGroupToken(token: string): boolean {
  return (RULE_GROUP_TOKENS as readonly string[]).includes(token);
}
