// Command-line parsing for `virtlint`. Pure: argv in, options or a UsageError out.
import { isKnownRuleId, isProfileId, isSeverityOrOff, unknownSelectionTokens, DEFAULT_PROFILE, RULE_GROUP_TOKENS, type ProfileId } from '../analysis/catalogue';
import type { FixStrategy, HypercallAbi } from '../analysis/fixes';
import type { Bits, SeverityOrOff } from '../analysis/types';
import { isFormatName, type FormatName } from './format/types';

export class UsageError extends Error {}

/** What `--dialect` accepts: the analyzer's dialects plus two aliases (see `dialectForAnalysis`). */
export const CLI_DIALECTS = ['nasm', 'yasm', 'gas', 'gas-att', 'gas-intel', 'masm', 'fasm'] as const;
export type CliDialect = (typeof CLI_DIALECTS)[number];

export const FIX_STRATEGIES: readonly FixStrategy[] = ['trap', 'hypercall'];
export const ABIS: readonly HypercallAbi[] = ['kvm', 'kvm-amd', 'xen', 'hyperv', 'custom'];

export const DEFAULT_MAX_FILE_SIZE = 8 * 1024 * 1024;

export interface CliOptions {
  paths: string[];
  format: FormatName;
  rules?: string[];
  dialect?: CliDialect;
  bits?: Bits;
  profile: ProfileId;
  /** -1: no limit. */
  maxWarnings: number;
  outputFile?: string;
  severities: Record<string, SeverityOrOff>;
  /** undefined: colour when stdout is a terminal. */
  color?: boolean;
  quiet: boolean;
  reportUnknownMnemonics: boolean;
  maxFileSize: number;
  stdinFilename?: string;
  docsBaseUrl?: string;
  fix?: FixStrategy;
  fixDryRun: boolean;
  abi: HypercallAbi;
  abiGiven: boolean;
  fixTemplateFile?: string;
  writeHypercallDefs?: string;
  writeHypercallHeader?: string;
  help: boolean;
  version: boolean;
}

/** Severity keys besides rule ids: the groups `severityFor` understands. */
const SEVERITY_GROUPS = ['core', 'extended', 'meta', 'all'];

export function parseArgs(argv: readonly string[]): CliOptions {
  const options: CliOptions = {
    paths: [],
    format: 'stylish',
    profile: DEFAULT_PROFILE,
    maxWarnings: -1,
    severities: {},
    quiet: false,
    reportUnknownMnemonics: false,
    maxFileSize: DEFAULT_MAX_FILE_SIZE,
    fixDryRun: false,
    abi: 'kvm',
    abiGiven: false,
    help: false,
    version: false,
  };
  const rules: string[] = [];
  let onlyPaths = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (onlyPaths || arg === '-' || !arg.startsWith('-')) {
      options.paths.push(arg);
      continue;
    }
    if (arg === '--') {
      onlyPaths = true;
      continue;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (eq > 0) return arg.slice(eq + 1);
      const next = argv[i + 1];
      if (next === undefined) throw new UsageError(`${name} needs a value`);
      i++;
      return next;
    };
    const flag = (): void => {
      if (eq > 0) throw new UsageError(`${name} takes no value`);
    };
    switch (name) {
      case '-h':
      case '--help':
        flag();
        options.help = true;
        break;
      case '-v':
      case '--version':
        flag();
        options.version = true;
        break;
      case '-f':
      case '--format': {
        const format = value();
        if (!isFormatName(format)) throw new UsageError(`unknown format "${format}" (expected stylish, json, sarif or github)`);
        options.format = format;
        break;
      }
      case '--rules':
        rules.push(...value().split(','));
        break;
      case '--dialect':
        options.dialect = oneOf(name, value(), CLI_DIALECTS);
        break;
      case '--bits': {
        const bits = value();
        if (bits !== '16' && bits !== '32' && bits !== '64') throw new UsageError(`--bits must be 16, 32 or 64, not "${bits}"`);
        options.bits = Number(bits) as Bits;
        break;
      }
      case '--profile': {
        const profile = value();
        if (!isProfileId(profile)) throw new UsageError(`unknown profile "${profile}" (expected deprivileged-kernel, hardware-assisted-guest or vm-detection-audit)`);
        options.profile = profile;
        break;
      }
      case '--max-warnings':
        options.maxWarnings = integer(name, value(), -1);
        break;
      case '-o':
      case '--output-file':
        options.outputFile = value();
        break;
      case '--severity':
        addSeverity(options.severities, value());
        break;
      case '--color':
        flag();
        options.color = true;
        break;
      case '--no-color':
        flag();
        options.color = false;
        break;
      case '--quiet':
        flag();
        options.quiet = true;
        break;
      case '--report-unknown-mnemonics':
        flag();
        options.reportUnknownMnemonics = true;
        break;
      case '--max-file-size':
        options.maxFileSize = integer(name, value(), 1);
        break;
      case '--stdin-filename':
        options.stdinFilename = value();
        break;
      case '--docs-base-url': {
        const url = value();
        if (!URL.canParse(url)) throw new UsageError(`--docs-base-url: "${url}" is not an absolute URL`);
        options.docsBaseUrl = url;
        break;
      }
      case '--fix':
        options.fix = oneOf(name, value(), FIX_STRATEGIES);
        break;
      case '--fix-dry-run':
        flag();
        options.fixDryRun = true;
        break;
      case '--abi':
        options.abi = oneOf(name, value(), ABIS);
        options.abiGiven = true;
        break;
      case '--fix-template':
        options.fixTemplateFile = value();
        break;
      case '--write-hypercall-defs':
        options.writeHypercallDefs = value();
        break;
      case '--write-hypercall-header':
        options.writeHypercallHeader = value();
        break;
      default:
        throw new UsageError(`unknown option ${name}`);
    }
  }
  if (rules.length > 0) {
    options.rules = rules.map((rule) => rule.trim()).filter((rule) => rule !== '');
    const unknown = unknownSelectionTokens(options.rules);
    if (unknown.length > 0) {
      throw new UsageError(`unknown rule id${unknown.length > 1 ? 's' : ''} in --rules: ${unknown.join(', ')} (see --help for the list)`);
    }
  }
  checkCombinations(options);
  return options;
}

function checkCombinations(options: CliOptions): void {
  if (options.fixDryRun && options.fix === undefined) throw new UsageError('--fix-dry-run needs --fix trap|hypercall');
  if (options.fixTemplateFile !== undefined && options.abi !== 'custom') throw new UsageError('--fix-template needs --abi custom');
  if (options.abi === 'custom' && options.fixTemplateFile === undefined && (options.fix === 'hypercall' || options.writeHypercallDefs !== undefined)) {
    throw new UsageError('--abi custom needs --fix-template FILE (the instruction template)');
  }
  if (options.writeHypercallDefs !== undefined && !options.abiGiven) throw new UsageError('--write-hypercall-defs needs --abi kvm|kvm-amd|xen|hyperv|custom');
  if (options.writeHypercallHeader !== undefined && !options.abiGiven) throw new UsageError('--write-hypercall-header needs --abi kvm|kvm-amd|xen|hyperv|custom');
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${name}: "${value}" is not one of ${allowed.join(', ')}`);
  return value as T;
}

function integer(name: string, value: string, min: number): number {
  if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`${name} wants a whole number, not "${value}"`);
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${name} must be at least ${min}`);
  return n;
}

function addSeverity(severities: Record<string, SeverityOrOff>, spec: string): void {
  const eq = spec.indexOf('=');
  const id = (eq > 0 ? spec.slice(0, eq) : '').trim().toLowerCase();
  const level = (eq > 0 ? spec.slice(eq + 1) : '').trim().toLowerCase();
  if (id === '' || !isSeverityOrOff(level)) throw new UsageError(`--severity wants rule=level with level error, warning, info, hint or off, not "${spec}"`);
  if (!isKnownRuleId(id) && !SEVERITY_GROUPS.includes(id)) throw new UsageError(`--severity: unknown rule id "${id}"`);
  severities[id] = level;
}

export const RULE_TOKENS_HELP = [...RULE_GROUP_TOKENS].join(', ');
