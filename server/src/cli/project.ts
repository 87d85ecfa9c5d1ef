// The project the command lints: virtlint.config.json (found upward from the first path, or named
// by --config), compile_commands.json, and the command line, merged by the host's loader into the
// settings each file gets. The command line wins over the configuration, which wins over the
// build's commands. A configuration or database that cannot be used stops the command.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileSettings, type ConfigDialect, type ProjectConfig } from '../analysis/project';
import { loadProjectSettings, type ConfigSource, type ProjectSettings, type SettingsProblem } from '../host/projectSettings';
import { escapeControlCharacters } from '../report';
import { UsageError, type CommandIo } from '../report/options';
import type { CliOptions } from './args';

/** At most this many lines about a compilation database's bad entries. */
const MAX_BUILD_WARNINGS = 5;

export type Project = ProjectSettings;

/** Reads the configuration and the compilation database; returns the project and the options with the configuration's rule settings merged in. */
export function loadProject(options: CliOptions, cwd: string, io: CommandIo): { project: Project; options: CliOptions } {
  const { settings, problems } = loadProjectSettings(configSource(options, cwd), cwd, {
    includePaths: options.includePaths.map((dir) => path.resolve(cwd, dir)),
    defines: options.defines,
    definesComplete: options.definesComplete === true,
    file: fileSettings(options.dialect as ConfigDialect | undefined, options.bits, options.mode),
  });
  for (const problem of problems) reportProblem(problem, io);
  return { project: settings, options: withConfigRules(options, settings.config) };
}

function configSource(options: CliOptions, cwd: string): ConfigSource {
  if (options.noConfig) return { none: true };
  if (options.configFile !== undefined) return { file: path.resolve(cwd, options.configFile) };
  return { searchFrom: searchStart(options.paths, cwd) };
}

/** Where the search for a configuration starts: the first path named (a directory, or a file's directory), else the working directory. */
function searchStart(paths: readonly string[], cwd: string): string {
  const first = paths.find((given) => given !== '-');
  if (first === undefined) return cwd;
  const full = path.resolve(cwd, first);
  try {
    return fs.statSync(full).isDirectory() ? full : path.dirname(full);
  } catch {
    return path.dirname(full);
  }
}

/** Skipped database entries are warnings on stderr; every other problem is a usage error. */
function reportProblem(problem: SettingsProblem, io: CommandIo): void {
  const located = (file: string, list: readonly { line: number; column: number; message: string }[]): string[] =>
    list.map((item) => `${file}:${item.line}:${item.column}: ${item.message}`);
  switch (problem.kind) {
    case 'config-unreadable':
      throw new UsageError(`cannot read the configuration ${problem.file}: ${problem.reason}`);
    case 'config-invalid':
      throw new UsageError(`invalid configuration:\n${escapeControlCharacters(located(problem.file, problem.problems).join('\n'))}`);
    case 'database-unreadable': {
      const source = problem.namedBy !== undefined ? ` (named by ${problem.namedBy})` : '';
      throw new UsageError(`cannot read the compilation database ${problem.file}${source}: ${problem.reason}`);
    }
    case 'database-invalid':
      throw new UsageError(`invalid compilation database:\n${escapeControlCharacters(located(problem.file, problem.problems).join('\n'))}`);
    case 'database-entries-skipped': {
      const warnings = located(problem.file, problem.problems);
      for (const line of warnings.slice(0, MAX_BUILD_WARNINGS)) io.stderr.write(`virtlint: ${escapeControlCharacters(line)} (entry skipped)\n`);
      if (warnings.length > MAX_BUILD_WARNINGS) io.stderr.write(`virtlint: ${warnings.length - MAX_BUILD_WARNINGS} more entries of ${escapeControlCharacters(problem.file)} skipped\n`);
      return;
    }
    case 'glob-invalid':
      throw new UsageError(`invalid configuration: "${problem.key}": the glob "${problem.glob}" cannot be used: ${problem.reason}`);
  }
}

/** The configuration's profile, rules and severities under the command line's own. */
function withConfigRules(options: CliOptions, config: ProjectConfig | undefined): CliOptions {
  if (config === undefined) return options;
  const merged: CliOptions = { ...options, severities: { ...config.severities, ...options.severities } };
  if (!options.profileGiven && config.profile !== undefined) merged.profile = config.profile;
  if (options.rules === undefined && config.rules !== undefined) merged.rules = config.rules;
  return merged;
}
