// Suppression comments, in whatever comment syntax the dialect uses:
//   virtlint-disable-next-line <ids> -- reason
//   virtlint-disable-line <ids>
//   virtlint-disable <ids> ... virtlint-enable <ids>
//   virtlint-disable-file <ids>
//   virtlint-fixed: <ids>          (written by the fix engine on lines it kept on purpose)
// No ids means every rule. Ids are separated by commas or spaces; `--` starts the reason.
import type { Comment } from '../syntax/lexer';
import type { Range } from '../types';

export type DirectiveKind = 'disable-next-line' | 'disable-line' | 'disable' | 'enable' | 'disable-file' | 'fixed';

export interface RuleIdMention {
  id: string;
  range: Range;
}

export interface SuppressionDirective {
  kind: DirectiveKind;
  line: number;
  /** Empty means all rules. */
  ids: RuleIdMention[];
}

const DIRECTIVE = /virtlint-(disable-next-line|disable-line|disable-file|disable|enable|fixed)\b:?/g;

export function parseDirectives(comments: readonly Comment[], line: number): SuppressionDirective[] {
  const out: SuppressionDirective[] = [];
  for (const comment of comments) {
    DIRECTIVE.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = DIRECTIVE.exec(comment.text))) {
      const kind = m[1] as DirectiveKind;
      const argsStart = m.index + m[0].length;
      const nextDirective = comment.text.slice(argsStart).search(/virtlint-/);
      let args = comment.text.slice(argsStart, nextDirective < 0 ? undefined : argsStart + nextDirective);
      const reason = args.indexOf('--');
      if (reason >= 0) args = args.slice(0, reason);
      // Block-comment closers are not ids.
      args = args.replace(/\*\/.*$/, '');
      const ids: RuleIdMention[] = [];
      for (const idMatch of args.matchAll(/[A-Za-z0-9_-]+/g)) {
        const start = comment.start + argsStart + idMatch.index!;
        ids.push({ id: idMatch[0].toLowerCase(), range: { start: { line, character: start }, end: { line, character: start + idMatch[0].length } } });
      }
      out.push({ kind, line, ids });
    }
  }
  return out;
}

/** Answers "is rule R suppressed on line L" for one document. */
export class SuppressionIndex {
  private readonly file = new Set<string>();
  private fileAll = false;
  private readonly byLine = new Map<number, { all: boolean; ids: Set<string> }>();
  private readonly fixed = new Map<number, Set<string>>();
  private readonly blockEvents: SuppressionDirective[] = [];

  constructor(directives: readonly SuppressionDirective[]) {
    for (const d of directives) {
      switch (d.kind) {
        case 'disable-file':
          if (d.ids.length === 0) this.fileAll = true;
          for (const id of d.ids) this.file.add(id.id);
          break;
        case 'disable-line':
          this.addLine(d.line, d);
          break;
        case 'disable-next-line':
          this.addLine(d.line + 1, d);
          break;
        case 'fixed': {
          const set = this.fixed.get(d.line) ?? new Set<string>();
          for (const id of d.ids) set.add(id.id);
          this.fixed.set(d.line, set);
          break;
        }
        case 'disable':
        case 'enable':
          this.blockEvents.push(d);
          break;
      }
    }
    this.blockEvents.sort((a, b) => a.line - b.line);
  }

  private addLine(line: number, d: SuppressionDirective): void {
    const entry = this.byLine.get(line) ?? { all: false, ids: new Set<string>() };
    if (d.ids.length === 0) entry.all = true;
    for (const id of d.ids) entry.ids.add(id.id);
    this.byLine.set(line, entry);
  }

  /** The fix engine marked this line as its own replacement for `ruleId`. */
  isFixed(ruleId: string, line: number): boolean {
    return this.fixed.get(line)?.has(ruleId) ?? false;
  }

  isSuppressed(ruleId: string, line: number): boolean {
    if (this.fileAll || this.file.has(ruleId)) return true;
    const onLine = this.byLine.get(line);
    if (onLine && (onLine.all || onLine.ids.has(ruleId))) return true;
    let disabledAll = false;
    const disabled = new Set<string>();
    const enabledDespiteAll = new Set<string>();
    for (const event of this.blockEvents) {
      if (event.line > line) break;
      const ids = event.ids.map((m) => m.id);
      if (event.kind === 'disable') {
        if (ids.length === 0) {
          disabledAll = true;
          enabledDespiteAll.clear();
        }
        for (const id of ids) {
          disabled.add(id);
          enabledDespiteAll.delete(id);
        }
      } else {
        if (ids.length === 0) {
          disabledAll = false;
          disabled.clear();
        }
        for (const id of ids) {
          disabled.delete(id);
          if (disabledAll) enabledDespiteAll.add(id);
        }
      }
    }
    return disabled.has(ruleId) || (disabledAll && !enabledDespiteAll.has(ruleId));
  }
}
