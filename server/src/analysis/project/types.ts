// The project model's public types: what a shell asks for and what it gets back.
import type { ExpansionLimits, SourceReader } from './source';
import type { AnalysisOptions, AnalysisResult, Bits, DeclaredMode, Dialect, FileLocation, FindingContext } from '../types';

/** Settings one file gets from the configuration (per-glob dialect and bitness). */
export interface FileSettings {
  dialect?: Dialect;
  dialectFamily?: 'gas';
  bits?: Bits;
  /** The execution mode the file starts in. Present but undefined is `auto`: inferred, whatever an earlier setting said. */
  mode?: DeclaredMode;
}

export interface ProjectOptions {
  /** Rule selection, profile, severities: the same for every file. `fileName`, `dialect` and `bits` are ignored here (see `settingsFor`). */
  analysis: AnalysisOptions;
  /** Absolute directories searched for includes after the includer's own directory. */
  includePaths?: readonly string[];
  /** `-D` defines: name to value (`''` for a bare `-DNAME`). */
  defines?: Readonly<Record<string, string>>;
  /** The defines are complete: a name nobody defines is undefined rather than undecided (the build's flags are known). */
  definesComplete?: boolean;
  limits?: Partial<ExpansionLimits>;
  /** Dialect and bitness for a file that starts a walk (configuration, `compile_commands.json`, CLI flags). */
  settingsFor?: (path: string) => FileSettings | undefined;
  /** Per file: extra include paths and defines from `compile_commands.json`. */
  buildFor?: (path: string) => { includePaths?: readonly string[]; defines?: Readonly<Record<string, string>>; bits?: Bits; asmSyntax?: 'att' | 'intel' } | undefined;
}

export interface ProjectInput {
  /** The files to report on (absolute, normalised). Files they include are read through `reader` and reported too. */
  files: readonly string[];
  reader: SourceReader;
  options: ProjectOptions;
}

export interface FileAnalysis {
  path: string;
  /** Findings merged over every context the file was read in; header fields from the first context. */
  result: AnalysisResult;
  /** How the file was read: once as a root, or once per distinct include site state. */
  contexts: FindingContext[];
  /** Files that include this one directly. */
  includers: string[];
}

export interface MacroDefinition {
  name: string;
  kind: string;
  definedAt: FileLocation;
}

export interface IncludeSite {
  from: FileLocation;
  /** The resolved file, when found. */
  target?: string;
  spec: string;
}

export interface ProjectResult {
  files: Map<string, FileAnalysis>;
  /** Every macro definition the walks saw, by lower-case name (a name defined twice has two entries). */
  macros: Map<string, MacroDefinition[]>;
  /** Invocation sites of each macro, by lower-case name. */
  invocations: Map<string, FileLocation[]>;
  includes: IncludeSite[];
  /** What the assembler reads at each macro invocation, by `path:line` of the invocation (a bounded number of lines each). */
  expansions: Map<string, string[]>;
}
