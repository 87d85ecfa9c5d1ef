// Command-line parsing for `virtlint`: the options both commands share (report/options.ts) plus
// lint's own. argv in, options or a UsageError out.
import type { FixStrategy } from '../analysis/fixes';
import { CONFIG_MODES, type ConfigMode } from '../analysis/project';
import { HYPERCALL_ABIS, type Bits, type HypercallAbi } from '../analysis/types';
import { parseCommandOptions, type CommandOptions } from '../host/argv';
import { flag, integer, oneOf, parseBits, pathValue, UsageError, valued, type OptionSpec } from '../report/options';

/** What `--dialect` accepts: the analyzer's dialects plus two aliases (see `dialectForAnalysis`). */
export const CLI_DIALECTS = ['nasm', 'yasm', 'gas', 'gas-att', 'gas-intel', 'masm', 'fasm'] as const;
export type CliDialect = (typeof CLI_DIALECTS)[number];

const FIX_STRATEGIES: readonly FixStrategy[] = ['trap', 'hypercall'];

export const DEFAULT_MAX_FILE_SIZE = 8 * 1024 * 1024;

/** The lint command's own options. */
interface LintOptions {
  dialect?: CliDialect;
  bits?: Bits;
  /** `auto` (inferred) or the execution mode files start in. */
  mode?: ConfigMode;
  outputFile?: string;
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
  /** --hypercall-numbers: where hypercall fixes find their numbers (default: a definitions file). */
  hypercallNumbers?: 'file' | 'inline';
  /** --hypercall-definitions-folder: where the definitions file goes (relative to the working directory); unset: the configuration's, else next to each fixed file. */
  hypercallDefinitionsFolder?: string;
  writeHypercallDefs?: string;
  writeHypercallHeader?: string;
  version: boolean;
  /** -I, in order (relative to the working directory). */
  includePaths: string[];
  /** -D NAME[=value] ('' for a bare NAME). */
  defines: Record<string, string>;
  /** The -D defines (with the configuration's) are all the build defines. */
  definesComplete?: boolean;
  configFile?: string;
  noConfig: boolean;
  /** Read each file alone, as before whole-program lint. */
  noIncludes: boolean;
  /** Which sources a directory walk lints: assembly, and C, C++ and Rust (inline assembly and intrinsics). */
  languages: readonly SourceLanguage[];
  /** GCC's -masm: the syntax inline assembly in C and C++ is written in. */
  asmSyntax?: 'att' | 'intel';
  /** Threads, this one included; unset: the cores, when there are enough files to share. */
  jobs?: number;
}

export const SOURCE_LANGUAGES = ['asm', 'c', 'cpp', 'rust'] as const;
export type SourceLanguage = (typeof SOURCE_LANGUAGES)[number];

export type CliOptions = CommandOptions<LintOptions>;

const LINT_OPTIONS: readonly OptionSpec<CliOptions>[] = [
  flag('--version', '-v', (o) => (o.version = true)),
  valued('--output-file', '-o', (o, value, name) => (o.outputFile = pathValue(name, value))),
  flag('--quiet', undefined, (o) => (o.quiet = true)),
  valued('--docs-base-url', undefined, (o, value) => (o.docsBaseUrl = absoluteUrl(value))),
  valued('--dialect', undefined, (o, value, name) => (o.dialect = oneOf(name, value, CLI_DIALECTS))),
  valued('--bits', undefined, (o, value, name) => (o.bits = parseBits(name, value))),
  valued('--mode', undefined, (o, value, name) => (o.mode = oneOf(name, value, CONFIG_MODES))),
  flag('--report-unknown-mnemonics', undefined, (o) => (o.reportUnknownMnemonics = true)),
  valued('--stdin-filename', undefined, (o, value, name) => (o.stdinFilename = pathValue(name, value))),
  valued('--max-file-size', undefined, (o, value, name) => (o.maxFileSize = integer(name, value, 1))),
  valued('--fix', undefined, (o, value, name) => (o.fix = oneOf(name, value, FIX_STRATEGIES))),
  flag('--fix-dry-run', undefined, (o) => (o.fixDryRun = true)),
  valued('--abi', undefined, (o, value, name) => {
    o.abi = oneOf(name, value, HYPERCALL_ABIS);
    o.abiGiven = true;
  }),
  valued('--fix-template', undefined, (o, value, name) => (o.fixTemplateFile = pathValue(name, value))),
  valued('--hypercall-numbers', undefined, (o, value, name) => (o.hypercallNumbers = oneOf(name, value, ['file', 'inline'] as const))),
  valued('--hypercall-definitions-folder', undefined, (o, value, name) => (o.hypercallDefinitionsFolder = pathValue(name, value))),
  valued('--write-hypercall-defs', undefined, (o, value, name) => (o.writeHypercallDefs = pathValue(name, value))),
  valued('--write-hypercall-header', undefined, (o, value, name) => (o.writeHypercallHeader = pathValue(name, value))),
  valued('--include-path', '-I', (o, value, name) => o.includePaths.push(pathValue(name, value))),
  valued('--define', '-D', (o, value, name) => addDefine(o.defines, value, name)),
  valued('--config', undefined, (o, value, name) => (o.configFile = pathValue(name, value))),
  flag('--no-config', undefined, (o) => (o.noConfig = true)),
  flag('--no-includes', undefined, (o) => (o.noIncludes = true)),
  flag('--defines-complete', undefined, (o) => (o.definesComplete = true)),
  valued('--languages', undefined, (o, value, name) => (o.languages = languageList(name, value))),
  valued('--masm', undefined, (o, value, name) => (o.asmSyntax = oneOf(name, value, ['att', 'intel'] as const))),
  valued('--jobs', undefined, (o, value, name) => (o.jobs = integer(name, value, 1, MAX_JOBS))),
];

/** Threads `--jobs` may ask for. */
const MAX_JOBS = 64;

function languageList(option: string, value: string): SourceLanguage[] {
  const out: SourceLanguage[] = [];
  for (const item of value.split(',')) {
    const name = item.trim();
    if (name === '') continue;
    const language = oneOf(option, name, SOURCE_LANGUAGES);
    if (!out.includes(language)) out.push(language);
  }
  if (out.length === 0) throw new UsageError(`${option} wants a comma-separated list of ${SOURCE_LANGUAGES.join(', ')}`);
  return out;
}

/** `NAME` or `NAME=value`, as cc and nasm take -D. */
function addDefine(defines: Record<string, string>, spec: string, option: string): void {
  const eq = spec.indexOf('=');
  const name = eq < 0 ? spec : spec.slice(0, eq);
  if (!/^[A-Za-z_.$?@][\w.$?@#]*$/.test(name)) throw new UsageError(`${option} wants NAME or NAME=value, not "${spec}"`);
  defines[name] = eq < 0 ? '' : spec.slice(eq + 1);
}

export function parseArgs(argv: readonly string[]): CliOptions {
  const options = parseCommandOptions<LintOptions>(argv, LINT_OPTIONS, {
    quiet: false,
    reportUnknownMnemonics: false,
    maxFileSize: DEFAULT_MAX_FILE_SIZE,
    fixDryRun: false,
    abi: 'kvm',
    abiGiven: false,
    version: false,
    includePaths: [],
    defines: {},
    noConfig: false,
    noIncludes: false,
    languages: SOURCE_LANGUAGES,
  });
  checkCombinations(options);
  return options;
}

function absoluteUrl(url: string): string {
  if (!URL.canParse(url)) throw new UsageError(`--docs-base-url: "${url}" is not an absolute URL`);
  return url;
}

function checkCombinations(options: CliOptions): void {
  if (options.configFile !== undefined && options.noConfig) throw new UsageError('--config and --no-config cannot be used together');
  if (options.fixDryRun && options.fix === undefined) throw new UsageError('--fix-dry-run needs --fix trap|hypercall');
  if (options.fixTemplateFile !== undefined && options.abi !== 'custom') throw new UsageError('--fix-template needs --abi custom');
  if (options.abi === 'custom' && options.fixTemplateFile === undefined && (options.fix === 'hypercall' || options.writeHypercallDefs !== undefined)) {
    throw new UsageError('--abi custom needs --fix-template FILE (the instruction template)');
  }
  if (options.writeHypercallDefs !== undefined && !options.abiGiven) throw new UsageError('--write-hypercall-defs needs --abi kvm|kvm-amd|xen|hyperv|custom');
  if (options.writeHypercallHeader !== undefined && !options.abiGiven) throw new UsageError('--write-hypercall-header needs --abi kvm|kvm-amd|xen|hyperv|custom');
}
