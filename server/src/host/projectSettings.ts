// The project's settings as both shells see them: virtlint.config.json (found upward, or named),
// the compilation database it names or compile_commands.json beside it, and the caller's own
// settings (the command line) merged into what each file gets. The caller's settings win over the
// configuration, which wins over the build's commands. Problems come back as data: the command
// line stops on some of them, the editor reports them and goes on without what could not be read.
import * as path from 'node:path';
import picomatch from 'picomatch';
import {
  COMPILE_COMMANDS_FILE_NAME,
  CONFIG_FILE_NAME,
  fileSettings,
  normalizeProjectPath,
  parseCompileCommands,
  parseConfig,
  type BuildEntry,
  type BuildProblem,
  type ConfigProblem,
  type FileSettings,
  type ProjectConfig,
  type ProjectOptions,
} from '../analysis/project/index';
import { findIn, findUpward, MAX_COMPILE_COMMANDS_BYTES, MAX_CONFIG_BYTES, readTextFile } from './config';

const GLOB_OPTIONS: picomatch.PicomatchOptions = {
  dot: true,
  // Extglobs and negation can nest quantifiers (exponential backtracking); they stay literal.
  noextglob: true,
  nonegate: true,
  maxLength: 1024,
};

export type ConfigSource =
  /** The nearest virtlint.config.json at or above this directory. */
  | { searchFrom: string }
  /** This file (`--config`). */
  | { file: string }
  /** None (`--no-config`). */
  | { none: true };

/** What the caller sets itself, over the configuration: the command line's -I, -D, --dialect, --bits. */
export interface CallerSettings {
  /** Absolute directories searched before the configuration's. */
  includePaths?: readonly string[];
  defines?: Readonly<Record<string, string>>;
  definesComplete?: boolean;
  file?: FileSettings;
}

export type SettingsProblem =
  | { kind: 'config-unreadable'; file: string; reason: string }
  | { kind: 'config-invalid'; file: string; problems: readonly ConfigProblem[] }
  | { kind: 'database-unreadable'; file: string; namedBy?: string; reason: string }
  | { kind: 'database-invalid'; file: string; problems: readonly BuildProblem[] }
  /** The database was read; these entries were not usable and are left out. */
  | { kind: 'database-entries-skipped'; file: string; problems: readonly BuildProblem[] }
  | { kind: 'glob-invalid'; key: 'files' | 'ignore'; glob: string; reason: string };

type BuildSettings = ReturnType<NonNullable<ProjectOptions['buildFor']>>;

export interface ProjectSettings {
  /** The configuration file read, if one was found or named and could be used. */
  configFile?: string;
  config?: ProjectConfig;
  /** Whether a compilation database gave any entry. */
  hasBuilds: boolean;
  /** Extra extensions (`.asm_ia32`) a directory walk picks up. */
  extensions: readonly string[];
  /** Absolute include directories: the caller's first, then the configuration's. */
  includePaths: string[];
  defines: Record<string, string>;
  definesComplete: boolean;
  /** The configuration's folder for the hypercall definitions file, absolute. */
  definitionsFolder?: string;
  isIgnored(file: string): boolean;
  settingsFor(file: string): FileSettings | undefined;
  buildFor(file: string): BuildSettings | undefined;
}

/**
 * Reads the configuration and the compilation database. What cannot be read or used is left out
 * and named in `problems`, in the order met; `baseDir` stands for the configuration's directory
 * when there is no configuration.
 */
export function loadProjectSettings(source: ConfigSource, baseDir: string, caller: CallerSettings = {}): { settings: ProjectSettings; problems: SettingsProblem[] } {
  const problems: SettingsProblem[] = [];
  const configFile = configFileOf(source);
  const config = configFile !== undefined ? readConfig(configFile, problems) : undefined;
  const projectDir = configFile !== undefined ? path.dirname(configFile) : baseDir;
  const builds = readBuilds(config, configFile, projectDir, problems);
  const fileRules = (config?.files ?? []).flatMap((rule) => {
    const matches = globMatcher(rule.glob, 'files', problems);
    return matches ? [{ matches, settings: fileSettings(rule.dialect, rule.bits, rule.mode) }] : [];
  });
  const ignored = (config?.ignore ?? []).flatMap((glob) => globMatcher(glob, 'ignore', problems) ?? []);
  const extensionDialects = config?.extensions ?? {};
  const callerFile = caller.file ?? {};
  const relative = (file: string): string | undefined => {
    const rel = path.relative(projectDir, file);
    return rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? undefined : rel.split(path.sep).join('/');
  };
  const settings: ProjectSettings = {
    ...(configFile !== undefined && config !== undefined ? { configFile, config } : {}),
    hasBuilds: builds.size > 0,
    extensions: Object.keys(extensionDialects),
    includePaths: [...(caller.includePaths ?? []), ...(config?.includePaths ?? []).map((dir) => path.resolve(projectDir, dir))],
    defines: { ...config?.defines, ...caller.defines },
    definesComplete: caller.definesComplete === true || config?.definesComplete === true,
    ...(config?.hypercallDefinitionsFolder !== undefined ? { definitionsFolder: path.resolve(projectDir, config.hypercallDefinitionsFolder) } : {}),
    isIgnored(file) {
      const rel = relative(file);
      return rel !== undefined && ignored.length > 0 && ancestorsAndSelf(rel).some((candidate) => ignored.some((matches) => matches(candidate)));
    },
    settingsFor(file) {
      const merged: FileSettings = config?.mode !== undefined ? fileSettings(undefined, undefined, config.mode) : {};
      const build = builds.get(normalizeProjectPath(file));
      if (build !== undefined) mergeSettings(merged, build.settings);
      const extensionDialect = extensionDialects[path.extname(file)];
      if (extensionDialect !== undefined) mergeSettings(merged, fileSettings(extensionDialect, undefined));
      const rel = relative(file);
      if (rel !== undefined) for (const rule of fileRules) if (rule.matches(rel)) mergeSettings(merged, rule.settings);
      mergeSettings(merged, callerFile);
      return Object.keys(merged).length > 0 ? merged : undefined;
    },
    buildFor(file) {
      const build = builds.get(normalizeProjectPath(file));
      if (build === undefined) return undefined;
      const settings: BuildSettings = { includePaths: build.includePaths, defines: build.defines };
      if (build.bits !== undefined) settings.bits = build.bits;
      if (build.asmSyntax !== undefined) settings.asmSyntax = build.asmSyntax;
      return settings;
    },
  };
  return { settings, problems };
}

function configFileOf(source: ConfigSource): string | undefined {
  if ('none' in source) return undefined;
  if ('file' in source) return source.file;
  return findUpward(source.searchFrom, CONFIG_FILE_NAME);
}

function readConfig(file: string, problems: SettingsProblem[]): ProjectConfig | undefined {
  const read = readTextFile(file, MAX_CONFIG_BYTES);
  if (!read.ok) {
    problems.push({ kind: 'config-unreadable', file, reason: read.problem });
    return undefined;
  }
  const parsed = parseConfig(read.text);
  if (parsed.ok) return parsed.config;
  problems.push({ kind: 'config-invalid', file, problems: parsed.problems });
  return undefined;
}

/** The compilation database the configuration names, or compile_commands.json in the project's directory. */
function readBuilds(config: ProjectConfig | undefined, configFile: string | undefined, projectDir: string, problems: SettingsProblem[]): Map<string, BuildEntry> {
  const named = config?.compileCommands;
  const file = named !== undefined ? path.resolve(projectDir, named) : findIn(projectDir, COMPILE_COMMANDS_FILE_NAME);
  const builds = new Map<string, BuildEntry>();
  if (file === undefined) return builds;
  const read = readTextFile(file, MAX_COMPILE_COMMANDS_BYTES);
  if (!read.ok) {
    problems.push({ kind: 'database-unreadable', file, ...(named !== undefined && configFile !== undefined ? { namedBy: configFile } : {}), reason: read.problem });
    return builds;
  }
  const parsed = parseCompileCommands(read.text);
  if (!parsed.ok) {
    problems.push({ kind: 'database-invalid', file, problems: parsed.problems });
    return builds;
  }
  if (parsed.problems.length > 0) problems.push({ kind: 'database-entries-skipped', file, problems: parsed.problems });
  for (const entry of parsed.entries) builds.set(entry.file, entry);
  return builds;
}

/** A glob without `/` names files anywhere (`*.inc`), as in .gitignore; one with `/` is matched against the whole relative path. */
function globMatcher(glob: string, key: 'files' | 'ignore', problems: SettingsProblem[]): ((relative: string) => boolean) | undefined {
  try {
    const matches = picomatch(glob, GLOB_OPTIONS);
    if (glob.includes('/')) return matches;
    return (relative) => matches(relative.slice(relative.lastIndexOf('/') + 1));
  } catch (e) {
    problems.push({ kind: 'glob-invalid', key, glob, reason: (e as Error).message });
    return undefined;
  }
}

/** `a/b/c.asm`, `a/b`, `a`: an ignored directory ignores everything under it. */
function ancestorsAndSelf(relative: string): string[] {
  const out = [relative];
  for (let cut = relative.lastIndexOf('/'); cut > 0; cut = relative.lastIndexOf('/', cut - 1)) out.push(relative.slice(0, cut));
  return out;
}

/** Later settings win, key by key; a dialect and a dialect family replace each other. */
export function mergeSettings(into: FileSettings, from: FileSettings): void {
  if (from.dialect !== undefined) {
    into.dialect = from.dialect;
    delete into.dialectFamily;
  }
  if (from.dialectFamily !== undefined) {
    into.dialectFamily = from.dialectFamily;
    delete into.dialect;
  }
  if (from.bits !== undefined) into.bits = from.bits;
  // A mode given as undefined is `auto`: it takes back the mode an earlier setting named.
  if ('mode' in from) {
    if (from.mode === undefined) delete into.mode;
    else into.mode = from.mode;
  }
}
