// virtlint.config.json: the project file both the CLI and the language server read. Text in,
// typed settings or every problem (with its line and column) out; finding and reading the file is
// the shells' job. Paths and globs stay as written: they are relative to the file's directory.
import { isKnownRuleId, isProfileId, isSeverityOrOff, PROFILES, unknownSelectionTokens, type ProfileId } from '../catalogue';
import { definitionsFolderProblem } from '../fixes/definitionsFile';
import { DECLARED_MODES, type Bits, type SeverityOrOff } from '../types';
import { kindName, readJson, type JsonMember, type JsonNode, type TextPosition } from './jsonText';
import type { FileSettings } from './types';

export const CONFIG_FILE_NAME = 'virtlint.config.json';

/** What `dialect` accepts: the CLI's `--dialect` names (`yasm` is NASM; `gas` is GNU as in whichever syntax the file uses). */
export const CONFIG_DIALECTS = ['nasm', 'yasm', 'gas', 'gas-att', 'gas-intel', 'masm', 'fasm'] as const;
export type ConfigDialect = (typeof CONFIG_DIALECTS)[number];

/** What `mode` accepts: `auto` (inferred, as with no `mode`) or a mode the analysis can be told. */
export const CONFIG_MODES = ['auto', ...DECLARED_MODES] as const;
export type ConfigMode = (typeof CONFIG_MODES)[number];

/** Severity keys besides rule ids. */
const SEVERITY_GROUPS: readonly string[] = ['core', 'extended', 'meta', 'all'];

export interface FileRule {
  glob: string;
  dialect?: ConfigDialect;
  bits?: Bits;
  mode?: ConfigMode;
}

export interface ProjectConfig {
  profile?: ProfileId;
  /** The execution mode files start in when nothing in them says (`auto`: inferred). */
  mode?: ConfigMode;
  /** Rule ids and groups, as `--rules` takes them. */
  rules?: string[];
  severities: Record<string, SeverityOrOff>;
  includePaths: string[];
  defines: Record<string, string>;
  /** `defines` is everything the build defines: a name nobody defines is undefined, not undecided. */
  definesComplete?: boolean;
  files: FileRule[];
  ignore: string[];
  /** Extra file extensions (with their leading dot) to lint, and the dialect to read them in. */
  extensions: Record<string, ConfigDialect>;
  compileCommands?: string;
  /** The folder hypercall fixes write their definitions file to (relative to the configuration's directory). */
  hypercallDefinitionsFolder?: string;
}

export interface ConfigProblem {
  /** One line, no trailing period; names the key. */
  message: string;
  /** 1-based. */
  line: number;
  column: number;
}

export type ConfigParse = { ok: true; config: ProjectConfig } | { ok: false; problems: ConfigProblem[] };

/** Parses and checks a configuration file's text; every problem found is returned, not just the first. */
export function parseConfig(text: string): ConfigParse {
  const read = readJson(text);
  if ('syntaxProblem' in read) return { ok: false, problems: [read.syntaxProblem] };
  const root = read.root;
  const checker = new ConfigChecker();
  const config = checker.config(root);
  return checker.problems.length === 0 ? { ok: true, config } : { ok: false, problems: checker.problems };
}

/** The dialect, bitness and execution mode a configuration (or the command line) names, as the project model takes them. */
export function fileSettings(dialect: ConfigDialect | undefined, bits: Bits | undefined, mode?: ConfigMode): FileSettings {
  const settings: FileSettings = {};
  if (dialect === 'gas') settings.dialectFamily = 'gas';
  else if (dialect === 'yasm') settings.dialect = 'nasm';
  else if (dialect !== undefined) settings.dialect = dialect;
  if (bits !== undefined) settings.bits = bits;
  if (mode !== undefined) settings.mode = mode === 'auto' ? undefined : mode;
  return settings;
}

/** A `mode` value: `auto` or a declared mode. */
export function isConfigMode(text: string): text is ConfigMode {
  return (CONFIG_MODES as readonly string[]).includes(text);
}

type KeyChecker = (config: ProjectConfig, value: JsonNode, name: string) => void;

class ConfigChecker {
  readonly problems: ConfigProblem[] = [];

  private readonly keys: Record<string, KeyChecker> = {
    $schema: (_config, value, name) => this.string(value, name),
    profile: (config, value, name) => {
      const profile = this.string(value, name);
      if (profile === undefined) return;
      if (isProfileId(profile)) config.profile = profile;
      else this.problem(value.at, `"${name}": unknown profile "${profile}" (expected ${PROFILES.join(', ')})`);
    },
    mode: (config, value, name) => {
      const mode = this.mode(value, name);
      if (mode !== undefined) config.mode = mode;
    },
    rules: (config, value, name) => {
      const rules = this.stringList(value, name);
      if (rules === undefined) return;
      const unknown = unknownSelectionTokens(rules);
      if (unknown.length > 0) this.problem(value.at, `"${name}": unknown rule id${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`);
      else config.rules = rules;
    },
    severities: (config, value, name) => this.severities(config, value, name),
    includePaths: (config, value, name) => (config.includePaths = this.stringList(value, name) ?? []),
    defines: (config, value, name) => this.defines(config, value, name),
    definesComplete: (config, value, name) => {
      if (value.kind === 'boolean') config.definesComplete = value.value;
      else this.problem(value.at, `"${name}" must be true or false`);
    },
    files: (config, value, name) => this.fileRules(config, value, name),
    ignore: (config, value, name) => (config.ignore = this.stringList(value, name) ?? []),
    extensions: (config, value, name) => this.extensions(config, value, name),
    compileCommands: (config, value, name) => {
      const file = this.nonEmptyString(value, name);
      if (file !== undefined) config.compileCommands = file;
    },
    hypercallDefinitionsFolder: (config, value, name) => {
      const folder = this.string(value, name);
      if (folder === undefined || folder === '') return;
      const problem = definitionsFolderProblem(folder);
      if (problem !== undefined) this.problem(value.at, `"${name}": ${problem.replace('the fixed file', 'this file')}`);
      else config.hypercallDefinitionsFolder = folder;
    },
  };

  config(root: JsonNode): ProjectConfig {
    const config: ProjectConfig = { severities: {}, includePaths: [], defines: {}, files: [], ignore: [], extensions: {} };
    const members = this.members(root, 'the configuration');
    if (members === undefined) return config;
    for (const member of members) {
      const check = Object.prototype.hasOwnProperty.call(this.keys, member.key) ? this.keys[member.key] : undefined;
      if (check === undefined) this.problem(member.keyAt, `unknown key "${member.key}" (expected ${Object.keys(this.keys).join(', ')})`);
      else check(config, member.value, member.key);
    }
    return config;
  }

  private problem(at: TextPosition, message: string): void {
    this.problems.push({ message, line: at.line, column: at.column });
  }

  private wrongType(value: JsonNode, name: string, expected: string): undefined {
    this.problem(value.at, `"${name}" must be ${expected}, not ${kindName(value)}`);
    return undefined;
  }

  /** An object's members; a key given twice is a problem (JSON leaves it undefined which wins). */
  private members(value: JsonNode, name: string): JsonMember[] | undefined {
    if (value.kind !== 'object') return this.wrongType(value, name, 'an object');
    const seen = new Set<string>();
    const unique: JsonMember[] = [];
    for (const member of value.members) {
      if (seen.has(member.key)) this.problem(member.keyAt, `"${member.key}" is given twice in ${name === 'the configuration' ? name : `"${name}"`}`);
      else unique.push(member);
      seen.add(member.key);
    }
    return unique;
  }

  private string(value: JsonNode, name: string): string | undefined {
    return value.kind === 'string' ? value.value : this.wrongType(value, name, 'a string');
  }

  private nonEmptyString(value: JsonNode, name: string): string | undefined {
    const text = this.string(value, name);
    if (text === '') this.problem(value.at, `"${name}" must not be empty`);
    return text === '' ? undefined : text;
  }

  private stringList(value: JsonNode, name: string): string[] | undefined {
    if (value.kind !== 'array') return this.wrongType(value, name, 'an array of strings');
    const out: string[] = [];
    value.items.forEach((item, i) => {
      const text = this.nonEmptyString(item, `${name}[${i}]`);
      if (text !== undefined) out.push(text);
    });
    return out;
  }

  private severities(config: ProjectConfig, value: JsonNode, name: string): void {
    for (const member of this.members(value, name) ?? []) {
      const id = member.key.trim().toLowerCase();
      if (!isKnownRuleId(id) && !SEVERITY_GROUPS.includes(id)) {
        this.problem(member.keyAt, `"${name}": unknown rule id "${member.key}"`);
        continue;
      }
      const level = this.string(member.value, `${name}.${member.key}`);
      if (level === undefined) continue;
      if (isSeverityOrOff(level)) config.severities[id] = level;
      else this.problem(member.value.at, `"${name}.${member.key}" must be error, warning, info, hint or off, not "${level}"`);
    }
  }

  private defines(config: ProjectConfig, value: JsonNode, name: string): void {
    for (const member of this.members(value, name) ?? []) {
      const key = `${name}.${member.key}`;
      if (!/^[A-Za-z_.$?@][\w.$?@#]*$/.test(member.key)) {
        this.problem(member.keyAt, `"${name}": "${member.key}" is not a macro name`);
        continue;
      }
      const defined = member.value;
      if (defined.kind === 'string') config.defines[member.key] = defined.value;
      else if (defined.kind === 'number' && Number.isSafeInteger(defined.value)) config.defines[member.key] = String(defined.value);
      else this.wrongType(defined, key, 'a string or a whole number');
    }
  }

  private fileRules(config: ProjectConfig, value: JsonNode, name: string): void {
    if (value.kind !== 'array') return void this.wrongType(value, name, 'an array of objects');
    value.items.forEach((item, i) => {
      const rule = this.fileRule(item, `${name}[${i}]`);
      if (rule !== undefined) config.files.push(rule);
    });
  }

  private fileRule(value: JsonNode, name: string): FileRule | undefined {
    const members = this.members(value, name);
    if (members === undefined) return undefined;
    let glob: string | undefined;
    const rule: Partial<FileRule> = {};
    for (const member of members) {
      const key = `${name}.${member.key}`;
      if (member.key === 'glob') glob = this.nonEmptyString(member.value, key);
      else if (member.key === 'dialect') {
        const dialect = this.dialect(member.value, key);
        if (dialect !== undefined) rule.dialect = dialect;
      } else if (member.key === 'bits') {
        const bits = this.bits(member.value, key);
        if (bits !== undefined) rule.bits = bits;
      } else if (member.key === 'mode') {
        const mode = this.mode(member.value, key);
        if (mode !== undefined) rule.mode = mode;
      } else this.problem(member.keyAt, `unknown key "${member.key}" in "${name}" (expected glob, dialect, bits, mode)`);
    }
    if (glob === undefined) {
      if (!members.some((m) => m.key === 'glob')) this.problem(value.at, `"${name}" needs a "glob"`);
      return undefined;
    }
    return { glob, ...rule };
  }

  private dialect(value: JsonNode, name: string): ConfigDialect | undefined {
    const text = this.string(value, name);
    if (text === undefined) return undefined;
    if ((CONFIG_DIALECTS as readonly string[]).includes(text)) return text as ConfigDialect;
    this.problem(value.at, `"${name}": unknown dialect "${text}" (expected ${CONFIG_DIALECTS.join(', ')})`);
    return undefined;
  }

  private mode(value: JsonNode, name: string): ConfigMode | undefined {
    const text = this.string(value, name);
    if (text === undefined) return undefined;
    if (isConfigMode(text)) return text;
    this.problem(value.at, `"${name}": unknown mode "${text}" (expected ${CONFIG_MODES.join(', ')})`);
    return undefined;
  }

  private bits(value: JsonNode, name: string): Bits | undefined {
    if (value.kind !== 'number') return this.wrongType(value, name, '16, 32 or 64');
    if (value.value === 16 || value.value === 32 || value.value === 64) return value.value;
    this.problem(value.at, `"${name}" must be 16, 32 or 64, not ${value.value}`);
    return undefined;
  }

  private extensions(config: ProjectConfig, value: JsonNode, name: string): void {
    for (const member of this.members(value, name) ?? []) {
      const extension = member.key.startsWith('.') ? member.key : `.${member.key}`;
      if (extension.length < 2 || /[/\\*?]/.test(extension) || extension.indexOf('.', 1) >= 0) {
        this.problem(member.keyAt, `"${name}": "${member.key}" is not a file extension (write it like "asm_ia32" or ".asm_ia32")`);
        continue;
      }
      const dialect = this.dialect(member.value, `${name}.${member.key}`);
      if (dialect !== undefined) config.extensions[extension] = dialect;
    }
  }
}
