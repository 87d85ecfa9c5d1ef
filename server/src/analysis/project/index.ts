// The project model's public surface: many files in, each file's findings out, every file read
// the way the assembler reads it — from its root, through includes in the includer's state, with
// macros expanded and their findings reported where the user wrote the invocation.
import { analyzeProgram, ProgramRun } from './program';
export { ProgramRun, type ProgramPart } from './program';
import type { FileAnalysis, ProjectInput, ProjectResult } from './types';

export type * from './types';
export type { ReadResult, SourceReader } from './source';
export { normalize as normalizeProjectPath } from './paths';

export function analyzeProject(input: ProjectInput): ProjectResult {
  return analyzeProgram(input);
}

/** `analyzeProject(input).files` without the macro index, which only an editor reads. */
export function analyzeProjectFiles(input: ProjectInput): Map<string, FileAnalysis> {
  return new ProgramRun(input).fileAnalyses();
}
export { parseConfig, fileSettings, isConfigMode, CONFIG_FILE_NAME, CONFIG_DIALECTS, CONFIG_MODES, type ConfigDialect, type ConfigMode, type ConfigParse, type ConfigProblem, type FileRule, type ProjectConfig } from './config';
export { parseCompileCommands, COMPILE_COMMANDS_FILE_NAME, type BuildEntry, type BuildParse, type BuildProblem } from './compileCommands';
