// An in-memory walk for the preprocessor stages' tests: files by path behind a SourceReader,
// includes resolved by the rules of the tool a test models, and every problem, definition and
// include a stage reports kept for the test to look at.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  DEFAULT_LIMITS, linesOf,
  type ColumnSpan, type ExpandEnv, type ExpandedLine, type ExpansionLimits, type ExpansionProblem, type FileInstance,
  type IncludedFile, type MacroKind, type Preprocessor, type SourceLine, type SourceReader,
} from '../../server/src/analysis/project/source';
import { createCppPreprocessor } from '../../server/src/analysis/project/cpp';
import { fasmPreprocessor } from '../../server/src/analysis/project/fasm';
import { gasMacroStage } from '../../server/src/analysis/project/gas';
import { masmPreprocessor } from '../../server/src/analysis/project/masm';
import { nasmPreprocessor } from '../../server/src/analysis/project/nasm';
import type { Bits, Dialect } from '../../server/src/analysis/types';

export interface IncludeRules {
  /**
   * Where a spec is looked for before the include paths. `'working-directory'`: as given (nasm and
   * as open it relative to where they run). `'includer'`: next to the including file, an absolute
   * spec as given (cpp's `"…"`, fasm, MASM); cpp's `<…>` skips this step.
   */
  relativeTo: 'working-directory' | 'includer';
  /** Searched next, in order: each a prefix of the spec (nasm's and as's `-I`, ending in `/`), or with `relativeTo: 'includer'` a directory. */
  paths?: readonly string[];
  /** `\` separates directories too (fasm, MASM). */
  backslashSeparates?: boolean;
  /** An includer chain (the root counted) this long includes nothing more, as the walk's limit would refuse. */
  maxDepth: number;
  /** A file already open further up the chain is refused. */
  refuseCycles?: boolean;
}

export interface MemoryEnvOptions {
  dialect: Dialect;
  includes: IncludeRules;
  defines?: Record<string, string>;
  limits?: Partial<ExpansionLimits>;
  bits?: Bits;
}

export interface Definition {
  name: string;
  kind: MacroKind;
  at: SourceLine;
}

export interface IncludeCall {
  spec: string;
  from: SourceLine;
  system: boolean;
  columns?: ColumnSpan;
}

export function memoryReader(files: Record<string, string>): SourceReader {
  return {
    read(file: string) {
      const text = files[file];
      return text === undefined ? { error: 'not found' } : { text };
    },
  };
}

/** A text's lines without their breaks; a final line break ends the last line rather than starting an empty one. */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export class MemoryEnv implements ExpandEnv {
  readonly problems: ExpansionProblem[] = [];
  readonly definitions: Definition[] = [];
  readonly includes: IncludeCall[] = [];
  /** Every file instance opened, by id. */
  readonly files = new Map<number, FileInstance>();
  readonly defines: ReadonlyMap<string, string>;
  readonly dialect: Dialect;
  readonly bits?: Bits;
  readonly limits: ExpansionLimits;
  private nextId = 0;

  constructor(private readonly reader: SourceReader, private readonly options: MemoryEnvOptions) {
    this.defines = new Map(Object.entries(options.defines ?? {}));
    this.dialect = options.dialect;
    if (options.bits !== undefined) this.bits = options.bits;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
  }

  /** A new instance of the file at `filePath`, unread. */
  instance(filePath: string, includedAt?: SourceLine): FileInstance {
    const file: FileInstance = includedAt ? { id: this.nextId++, path: filePath, includedAt } : { id: this.nextId++, path: filePath };
    this.files.set(file.id, file);
    return file;
  }

  /** The file at `filePath` as one new instance, or undefined when the reader has no text for it. */
  open(filePath: string, includedAt?: SourceLine): IncludedFile | undefined {
    const read = this.reader.read(filePath);
    if ('error' in read) return undefined;
    const file = this.instance(filePath, includedAt);
    return { file, lines: linesOf(file, splitLines(read.text)) };
  }

  include(spec: string, from: SourceLine, options?: { system?: boolean; columns?: ColumnSpan }): IncludedFile | undefined {
    const system = options?.system ?? false;
    this.includes.push(options?.columns ? { spec, from, system, columns: options.columns } : { spec, from, system });
    const rules = this.options.includes;
    const target = this.candidates(spec, from.file, system).find((candidate) => 'text' in this.reader.read(candidate));
    if (target === undefined) return this.refuse(from, `${spec}: not found`);
    const chain: string[] = [];
    for (let file: FileInstance | undefined = from.file; file; file = file.includedAt?.file) chain.push(file.path);
    if (chain.length > rules.maxDepth) return this.refuse(from, `${spec}: included too deeply`);
    if (rules.refuseCycles && chain.includes(target)) return this.refuse(from, `${spec}: include cycle`);
    return this.open(target, from);
  }

  report(problem: ExpansionProblem): void {
    this.problems.push(problem);
  }

  defined(name: string, kind: MacroKind, at: SourceLine): void {
    this.definitions.push({ name, kind, at });
  }

  private candidates(written: string, includer: FileInstance, system: boolean): string[] {
    const rules = this.options.includes;
    const spec = rules.backslashSeparates ? written.replace(/\\/g, '/') : written;
    const out: string[] = [];
    if (rules.relativeTo === 'working-directory') {
      out.push(spec);
      for (const prefix of rules.paths ?? []) out.push(prefix + spec);
      return out;
    }
    if (spec.startsWith('/')) return [path.posix.normalize(spec)];
    if (!system) out.push(path.posix.join(path.posix.dirname(includer.path), spec));
    for (const dir of rules.paths ?? []) out.push(path.posix.join(dir, spec));
    return out;
  }

  private refuse(at: SourceLine, message: string): undefined {
    this.report({ kind: 'include', at, message });
    return undefined;
  }
}

export interface StageRunOptions extends MemoryEnvOptions {
  /** Feed these lines instead of the root file's (e.g. an earlier stage's output). */
  input?: (root: FileInstance) => ExpandedLine[];
}

export interface StageRun {
  /** What the stage emitted. */
  lines: ExpandedLine[];
  /** What it was given. */
  input: readonly ExpandedLine[];
  root: FileInstance;
  problems: ExpansionProblem[];
  definitions: Definition[];
  includes: IncludeCall[];
  /** Every file instance the run opened, by id. */
  files: Map<number, FileInstance>;
}

/** Runs `preprocessor` over `files[root]`, with `files` as the whole file system. */
export function runStage(preprocessor: Preprocessor, files: Record<string, string>, root: string, options: StageRunOptions): StageRun {
  const env = new MemoryEnv(memoryReader(files), options);
  const opened = options.input ? undefined : env.open(root);
  const rootFile = opened?.file ?? env.instance(root);
  const input = options.input ? options.input(rootFile) : opened && [...opened.lines];
  if (!input) throw new Error(`no file ${root}`);
  const lines = Array.from(preprocessor(input, env));
  return { lines, input, root: rootFile, problems: env.problems, definitions: env.definitions, includes: env.includes, files: env.files };
}

/** The lines the assembler proper reads: every line that is not part of a definition. */
export function assembledLines(lines: readonly ExpandedLine[]): ExpandedLine[] {
  return lines.filter((line) => !line.definition);
}

/** Those lines as one program text. */
export function assembledText(lines: readonly ExpandedLine[]): string {
  return assembledLines(lines).map((line) => line.text).join('\n') + '\n';
}

// ---------------------------------------------------------------- each tool's stage

/** How each tool finds an include, as the tests model it. */
const TOOL_INCLUDES = {
  cpp: { relativeTo: 'includer', maxDepth: 40 },
  nasm: { relativeTo: 'working-directory', maxDepth: 50 },
  gas: { relativeTo: 'working-directory', maxDepth: 30 },
  fasm: { relativeTo: 'includer', backslashSeparates: true, maxDepth: 32, refuseCycles: true },
  masm: { relativeTo: 'includer', backslashSeparates: true, maxDepth: 32, refuseCycles: true },
} as const satisfies Record<string, IncludeRules>;

export interface ToolRunOptions extends Omit<StageRunOptions, 'dialect' | 'includes'> {
  /** The tool's `-I` directories (for nasm and as, prefixes ending in `/`). */
  includePaths?: string[];
}

function runTool(tool: keyof typeof TOOL_INCLUDES, dialect: Dialect, preprocessor: Preprocessor, files: Record<string, string>, root: string, options: ToolRunOptions): StageRun {
  const { includePaths, ...rest } = options;
  return runStage(preprocessor, files, root, { ...rest, dialect, includes: { ...TOOL_INCLUDES[tool], paths: includePaths ?? [] } });
}

export type CppLanguage = 'assembler' | 'c';

export function runCpp(language: CppLanguage, files: Record<string, string>, root: string, options: ToolRunOptions = {}): StageRun {
  return runTool('cpp', 'gas-att', createCppPreprocessor({ language }), files, root, options);
}

/** The cpp stage over one text, `/src/main.S`, beside `options.files`. */
export function runCppText(text: string, language: CppLanguage = 'assembler', options: ToolRunOptions & { files?: Record<string, string> } = {}): StageRun {
  const { files, ...rest } = options;
  return runCpp(language, { ...files, '/src/main.S': text }, '/src/main.S', rest);
}

export function runNasm(files: Record<string, string>, root: string, options: ToolRunOptions = {}): StageRun {
  return runTool('nasm', 'nasm', nasmPreprocessor, files, root, options);
}

export function runNasmText(text: string, options: ToolRunOptions = {}): StageRun {
  return runNasm({ 'main.asm': text }, 'main.asm', options);
}

export function runGas(files: Record<string, string>, root: string, options: ToolRunOptions & { dialect?: Dialect } = {}): StageRun {
  const { dialect, ...rest } = options;
  return runTool('gas', dialect ?? 'gas-att', gasMacroStage, files, root, rest);
}

export function runGasText(text: string, options: ToolRunOptions = {}): StageRun {
  return runGas({ 'main.s': text }, 'main.s', options);
}

export function runFasmPreprocessor(files: Record<string, string>, root: string, options: ToolRunOptions = {}): StageRun {
  return runTool('fasm', 'fasm', fasmPreprocessor, files, root, options);
}

export function runMasmPreprocessor(files: Record<string, string>, root: string, options: ToolRunOptions = {}): StageRun {
  return runTool('masm', 'masm', masmPreprocessor, files, root, options);
}

/** The files under `dir`, keyed by absolute path with `/` separators, or by the path below `dir`. */
export function readFixtureDir(dir: string, keys: 'absolute' | 'relative' = 'absolute'): Record<string, string> {
  const files: Record<string, string> = {};
  const visit = (current: string): void => {
    for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) visit(full);
      else files[(keys === 'absolute' ? full : path.relative(dir, full)).split(path.sep).join('/')] = fs.readFileSync(full, 'utf8');
    }
  };
  visit(dir);
  return files;
}
