// What one inclusion of a header did, kept so a later inclusion from the same macro table can be
// replayed instead of preprocessed again (a project's roots include the same headers over and
// over). A recording names every macro its processing looked up with what it found, so a replay
// happens only when the table gives the very same answers; the file instances it mentions are
// mapped to the new inclusion's instances when it is replayed.
import { macroUse, madeLine, type ColumnSpan, type ExpandedLine, type ExpansionProblem, type FileInstance, type IncludedFile, type MacroUse, type SourceLine } from '../source';
import { makeMacro, type Macro } from './macros';

/** What a lookup of a name found: the macro (or none) and whether the text said it is not defined. */
export interface NameState {
  readonly macro: Macro | undefined;
  readonly undefinedByText: boolean;
}

/** An open conditional group, as a resumed file needs it. */
export interface GroupState {
  readonly at: SourceLine;
  readonly parentActive: boolean;
  active: boolean;
  taken: boolean;
  sawElse: boolean;
}

export interface IncludeEvent {
  readonly kind: 'include';
  readonly spec: string;
  readonly from: SourceLine;
  readonly options: { system?: boolean; columns?: ColumnSpan };
  /** What the included file did; undefined when nothing was read (not found, refused, `#pragma once`). */
  child: Recording | undefined;
  /** The includer's next line and its open groups: where it goes on from when a replay stops matching. */
  readonly resumeAt: number;
  readonly groups: readonly GroupState[];
}

/**
 * What an inclusion did, in order. A bare number is the inclusion's own input line of that index
 * passed on as written (most lines): the recording then keeps neither the line objects nor the
 * inclusion's table of them, which would otherwise live as long as the memo (8.7 MB on arch/x86).
 */
export type MemoEvent =
  | number
  | { readonly kind: 'line'; readonly line: ExpandedLine }
  | { readonly kind: 'report'; readonly problem: ExpansionProblem }
  /** A `#define` (its macro's `definedAt` is the line): the macro went in the table, then the walk was told where it is defined. */
  | { readonly kind: 'define'; readonly macro: Macro }
  | { readonly kind: 'undefine'; readonly name: string }
  | { readonly kind: 'markUndefined'; readonly name: string }
  | { readonly kind: 'once'; readonly path: string }
  | IncludeEvent;

export interface Recording {
  readonly file: FileInstance;
  /** The included file's text lines (the file cache's array, shared by every inclusion). */
  readonly texts: readonly string[];
  /** Names looked up before this inclusion set them, with what was found. */
  readonly reads: Map<string, NameState>;
  readonly events: MemoEvent[];
  /** Something it did depends on more than the macro table (a limit): never replayed. */
  poisoned: boolean;
  readonly depthLimit: number;
  readonly definesComplete: boolean;
}

export function newRecording(file: IncludedFile, depthLimit: number, definesComplete: boolean): Recording {
  return { file: file.file, texts: file.lines.texts, reads: new Map(), events: [], poisoned: false, depthLimit, definesComplete };
}

/**
 * Folds a finished inclusion into its includer's recording. `written`: the names each defined or
 * undefined (it or an inclusion it made), which no replay needs, so no recording keeps them.
 */
export function mergeInto(parent: Recording, parentWritten: Set<string>, child: Recording, childWritten: ReadonlySet<string>): void {
  for (const [name, state] of child.reads) {
    if (!parentWritten.has(name) && !parent.reads.has(name)) parent.reads.set(name, state);
  }
  for (const name of childWritten) parentWritten.add(name);
  if (child.poisoned) parent.poisoned = true;
}

export function sameContent(recording: Recording, file: IncludedFile): boolean {
  if (recording.file.path !== file.file.path || recording.texts.length !== file.lines.length) return false;
  const recorded = recording.texts;
  const texts = file.lines.texts;
  if (recorded === texts) return true;
  for (let i = 0; i < texts.length; i++) if (recorded[i] !== texts[i]) return false;
  return true;
}

export type InstanceMap = Map<FileInstance, FileInstance>;

/**
 * The same macro up to where it was defined: same definition text (a replayed define shares the
 * recorded macro's body and parameters), defined on the same line of the same file; the instance
 * it was defined in is mapped (consistently) to the current one.
 */
export function equivalentMacro(recorded: Macro | undefined, current: Macro | undefined, instances: InstanceMap): boolean {
  if (recorded === current) return true;
  if (!recorded || !current) return false;
  if (recorded.body !== current.body || recorded.params !== current.params || recorded.name !== current.name) return false;
  if (recorded.variadic !== current.variadic || recorded.bareCommandLine !== current.bareCommandLine) return false;
  const a = recorded.definedAt;
  const b = current.definedAt;
  if (!a || !b) return a === b;
  if (a.line !== b.line || a.file.path !== b.file.path) return false;
  const mapped = instances.get(a.file);
  if (mapped) return mapped === b.file;
  instances.set(a.file, b.file);
  return true;
}

export class InstanceMapper {
  /** `created`: recorded instance to new instance for the replayed file and the files it included. */
  constructor(
    private readonly instances: InstanceMap,
    private readonly created: [FileInstance, FileInstance][],
  ) {}

  /** Takes over the instances an included file's replay made: the includer's later lines may name them. */
  adopt(child: InstanceMapper): void {
    for (const pair of child.created) {
      this.instances.set(pair[0], pair[1]);
      this.created.push(pair);
    }
  }

  line(at: SourceLine): SourceLine {
    const file = this.instances.get(at.file);
    return file ? { file, line: at.line } : at;
  }

  macro(macro: Macro): Macro {
    if (!macro.definedAt || !this.instances.has(macro.definedAt.file)) return macro;
    return makeMacro(macro.name, macro.params, macro.variadic, macro.body, this.line(macro.definedAt), macro.bareCommandLine);
  }

  problem(problem: ExpansionProblem): ExpansionProblem {
    return { ...problem, at: this.line(problem.at) };
  }

  private use(use: MacroUse): MacroUse {
    return macroUse(use.name, use.kind, use.definedAt ? this.line(use.definedAt) : undefined, this.line(use.invokedAt), use.columns);
  }

  /** An output line other than an input line as written (those are recorded by index), for the new instances. */
  expanded(line: ExpandedLine): ExpandedLine {
    let macros = line.macros;
    if (macros.length > 0) {
      const mappedUses: MacroUse[] = [];
      for (let k = 0; k < macros.length; k++) mappedUses.push(this.use(macros[k]!));
      macros = mappedUses;
    }
    return madeLine(line.text, this.line(line.at), line.verbatim, line.body ? this.line(line.body) : undefined, macros);
  }

  groups(groups: readonly GroupState[]): GroupState[] {
    const out: GroupState[] = [];
    for (const g of groups) out.push({ ...g, at: this.line(g.at) });
    return out;
  }
}

const VARIANTS_PER_FILE = 8;
const FILES_PER_TABLE = 4096;

/** Recordings per defines map (the configuration), language and path. */
const MEMO = new WeakMap<ReadonlyMap<string, string>, Map<string, Map<string, Recording[]>>>();
let memoEnabled = true;

/** Turns the memo off (tests compare results with and without it). */
export function setIncludeMemo(enabled: boolean): void {
  memoEnabled = enabled;
}

export function includeMemoEnabled(): boolean {
  return memoEnabled;
}

function filesFor(defines: ReadonlyMap<string, string>, language: string): Map<string, Recording[]> {
  let byLanguage = MEMO.get(defines);
  if (!byLanguage) MEMO.set(defines, (byLanguage = new Map()));
  let files = byLanguage.get(language);
  if (!files) byLanguage.set(language, (files = new Map()));
  return files;
}

export function recordingsFor(defines: ReadonlyMap<string, string>, language: string, path: string): readonly Recording[] {
  return filesFor(defines, language).get(path) ?? [];
}

export function storeRecording(defines: ReadonlyMap<string, string>, language: string, recording: Recording): void {
  const files = filesFor(defines, language);
  let variants = files.get(recording.file.path);
  if (!variants) {
    if (files.size >= FILES_PER_TABLE) files.clear();
    files.set(recording.file.path, (variants = []));
  }
  if (variants.length >= VARIANTS_PER_FILE) variants.shift();
  variants.push(recording);
}
