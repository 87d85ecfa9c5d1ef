// The workspace's build configuration for the project index: virtlint.config.json (the nearest at
// or above the workspace folder) and the compilation database it names, or compile_commands.json
// next to it, read by the host's loader the way the command line reads them. Problems are
// reported, never thrown: the editor keeps linting without what could not be used.
import { normalizeProjectPath, type ProjectOptions } from '../analysis/project/index';
import { loadProjectSettings, type SettingsProblem } from '../host/projectSettings';

const MAX_PROBLEMS_REPORTED = 5;

export interface WorkspaceConfig {
  configFile?: string;
  /** Walk options from the configuration: include paths, defines, per-file dialect and bits, the build's flags. */
  options: Partial<ProjectOptions>;
  /** Extra extensions the listing takes (`.asm_ia32`). */
  extensions: readonly string[];
  isIgnored(file: string): boolean;
  /** The configuration's `hypercallDefinitionsFolder`, absolute. */
  definitionsFolder?: string;
}

export const NO_CONFIG: WorkspaceConfig = { options: {}, extensions: [], isIgnored: () => false };

export function loadWorkspaceConfig(folder: string, report: (problem: string) => void): WorkspaceConfig {
  const { settings, problems } = loadProjectSettings({ searchFrom: folder }, folder);
  for (const problem of problems) for (const line of problemLines(problem)) report(`virtlint: ${line}`);
  if (settings.config === undefined && !settings.hasBuilds) return NO_CONFIG;
  return {
    ...(settings.configFile !== undefined ? { configFile: settings.configFile } : {}),
    options: {
      includePaths: settings.includePaths.map(normalizeProjectPath),
      defines: settings.defines,
      ...(settings.definesComplete ? { definesComplete: true } : {}),
      settingsFor: (file) => settings.settingsFor(file),
      buildFor: (file) => settings.buildFor(file),
    },
    extensions: settings.extensions,
    isIgnored: (file) => settings.isIgnored(file),
    ...(settings.definitionsFolder !== undefined ? { definitionsFolder: settings.definitionsFolder } : {}),
  };
}

function problemLines(problem: SettingsProblem): string[] {
  const located = (file: string, list: readonly { line: number; column: number; message: string }[], suffix = ''): string[] =>
    list.slice(0, MAX_PROBLEMS_REPORTED).map((item) => `${file}:${item.line}:${item.column}: ${item.message}${suffix}`);
  switch (problem.kind) {
    case 'config-unreadable':
      return [`cannot read ${problem.file}: ${problem.reason}`];
    case 'config-invalid':
      return located(problem.file, problem.problems, '; the configuration is not used');
    case 'database-unreadable':
      return [`cannot read the compilation database ${problem.file}: ${problem.reason}`];
    case 'database-invalid':
    case 'database-entries-skipped':
      return located(problem.file, problem.problems);
    case 'glob-invalid':
      return [`the configuration's glob "${problem.glob.slice(0, 200)}" cannot be used: ${problem.reason}`];
  }
}
