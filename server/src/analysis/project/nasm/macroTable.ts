// The table both kinds of NASM macro live in: definitions by lower-case name, newest first. A
// caseless one (`%imacro`, `%idefine`) answers to its name in any case, the others only as written.

export interface NamedMacro {
  readonly name: string;
  readonly caseless: boolean;
}

export class MacroTable<M extends NamedMacro> {
  private readonly byName = new Map<string, M[]>();
  /** Names as written, rebuilt after a change. */
  private names: Set<string> | undefined;
  private anyCaseless = false;

  get size(): number {
    return this.byName.size;
  }

  /** Whether a name as written may be one of these macros (cheap: exact names, then lower-case names when any macro is case-insensitive). */
  mentions(name: string): boolean {
    if (this.names === undefined) {
      this.names = new Set();
      this.anyCaseless = false;
      for (const list of this.byName.values()) {
        for (const m of list) {
          this.names.add(m.name);
          if (m.caseless) this.anyCaseless = true;
        }
      }
    }
    return this.names.has(name) || (this.anyCaseless && this.byName.has(name.toLowerCase()));
  }

  /** Every definition `name` as written stands for, newest first. */
  named(name: string): M[] {
    return (this.byName.get(name.toLowerCase()) ?? []).filter((m) => m.name === name || m.caseless);
  }

  /** Adds `macro` as the newest of its name, keeping the older ones `keep` accepts. */
  protected add(macro: M, keep: (older: M) => boolean): void {
    this.names = undefined;
    const key = macro.name.toLowerCase();
    const kept = (this.byName.get(key) ?? []).filter(keep);
    kept.unshift(macro);
    this.byName.set(key, kept);
  }

  /** Removes the definitions `name` stands for that `matches` accepts. */
  protected remove(name: string, matches: (m: M) => boolean): void {
    this.names = undefined;
    const key = name.toLowerCase();
    const list = this.byName.get(key);
    if (!list) return;
    const kept = list.filter((m) => !((m.name === name || m.caseless) && matches(m)));
    if (kept.length === 0) this.byName.delete(key);
    else this.byName.set(key, kept);
  }
}
