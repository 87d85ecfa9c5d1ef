// What the directive handlers may use of the NASM stage: its macro tables, the names it knows, its
// `%push` contexts, single-line expansion, defining, and its reports.
import type { ExpandEnv } from '../source';
import type { MultiMacros } from './multis';
import type { RawLine } from './rawLines';
import type { ExpandOutcome, SingleMacros } from './singles';
import type { Token } from './tokens';

/** A `%push` context. */
export interface Context {
  name: string;
  readonly id: number;
}

export interface DirectiveScope {
  readonly env: ExpandEnv;
  readonly singles: SingleMacros;
  readonly multis: MultiMacros<RawLine>;
  /** Lower-case names some directive of the program defines (so one not defined yet is surely not defined before). */
  readonly known: Set<string>;
  readonly contexts: readonly Context[];
  expandSingles(tokens: readonly Token[], raw: RawLine): ExpandOutcome;
  defineSingle(name: string, caseless: boolean, params: string[] | undefined, body: Token[], raw: RawLine): void;
  /** Reports that `raw` cannot be read for certain here. */
  undecided(raw: RawLine, message: string): void;
}
