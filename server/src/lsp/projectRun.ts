// One run of the project model, as plain data in and out, so that it can run on a worker thread
// (a whole-program pass takes tens of milliseconds or more, and keystrokes must not wait for it)
// or, where no worker can start, in the server's own thread.
import { pathToFileURL } from 'node:url';
import { analyzeProject, type FileAnalysis, type ProjectOptions, type ProjectResult } from '../analysis/project/index';
import { analysisOptionsFor } from './documents';
import { loadWorkspaceConfig, NO_CONFIG, type WorkspaceConfig } from './projectConfig';
import { workspaceReader } from './projectReader';
import type { VirtlintSettings } from './settings';

export interface RunRequest {
  files: string[];
  /** Open buffers by path: they win over the disk. */
  buffers: Array<[string, string]>;
  settings: VirtlintSettings;
  folders: string[];
  /** The folder whose virtlint.config.json and compile_commands.json apply (absent: none are read). */
  configFolder?: string;
}

export interface RunOutput {
  result: ProjectResult;
  /** Fingerprints of the texts read, by path. */
  fingerprints: Array<[string, string]>;
}

/** The configuration last loaded: read again when the folder changes or the server asks (settings or trust changed). */
export class ConfigCache {
  private folder: string | undefined;
  private config: WorkspaceConfig = NO_CONFIG;

  get(folder: string | undefined, reload: boolean): WorkspaceConfig {
    if (folder === undefined) return NO_CONFIG;
    if (reload || folder !== this.folder) {
      // The server's thread reads the same files for the listing and reports their problems.
      this.config = loadWorkspaceConfig(folder, () => undefined);
      this.folder = folder;
    }
    return this.config;
  }
}

export function runProject(request: RunRequest, configs: ConfigCache, reloadConfig: boolean): RunOutput {
  const buffers = new Map(request.buffers);
  const reader = workspaceReader({ bufferText: (path) => buffers.get(path) }, request.settings.maxFileSize);
  const config = configs.get(request.configFolder, reloadConfig);
  const result = analyzeProject({ files: request.files, reader, options: projectOptions(request, config) });
  return { result: plainResult(result), fingerprints: Array.from(reader.fingerprints) };
}

function projectOptions(request: RunRequest, config: WorkspaceConfig): ProjectOptions {
  const { settings, folders } = request;
  const { profile, rules, severities, includeInt3 } = analysisOptionsFor(settings, '', folders);
  const build = config.options;
  return {
    ...build,
    analysis: { profile, rules, severities, includeInt3 },
    settingsFor: (path) => {
      const configured = build.settingsFor?.(path);
      const override = analysisOptionsFor(settings, pathToFileURL(path).href, folders);
      if (override.dialect === undefined && override.bits === undefined && override.mode === undefined) return configured;
      return {
        ...configured,
        ...(override.dialect ? { dialect: override.dialect } : {}),
        ...(override.bits ? { bits: override.bits } : {}),
        // The editor's `mode` (and its per-glob overrides) as the file's own analysis takes it.
        ...(override.mode ? { mode: override.mode } : {}),
      };
    },
  };
}

/**
 * Only what the server uses, as data a worker can post: no getters or functions, and no parsed
 * instructions but the findings' own (plain data), which the hover and the quick fixes read a
 * line by when the diagnostic speaks for another context than the file's own analysis.
 */
function plainResult(result: ProjectResult): ProjectResult {
  const files = new Map<string, FileAnalysis>();
  for (const [path, analysis] of result.files) {
    const { dialect, dialectSource, bits, bitsSource } = analysis.result;
    const findings = analysis.result.findings;
    files.set(path, { path, contexts: analysis.contexts, includers: analysis.includers, result: { dialect, dialectSource, bits, bitsSource, bitsRegions: [], instructions: [], findings, suppressed: [] } });
  }
  return { files, macros: result.macros, invocations: result.invocations, includes: result.includes, expansions: result.expansions };
}
