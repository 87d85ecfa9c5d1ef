import { analyzeText } from './analyze';
import type { AnalysisOptions, AnalysisResult, Range } from './types';

/** An LSP-style content change: with a range it replaces that range; without, the whole text. */
export interface ContentChange {
  range?: Range;
  text: string;
}

// TEMPORARY STUB: being written by the lead (it will re-parse only the lines an edit can
// affect). The public methods below are final.
export class DocumentAnalyzer {
  private content: string;
  private cached: AnalysisResult | undefined;
  constructor(text: string, private options: AnalysisOptions = {}) {
    this.content = text;
  }
  get text(): string {
    return this.content;
  }
  setOptions(options: AnalysisOptions): void {
    this.options = options;
    this.cached = undefined;
  }
  update(changes: readonly ContentChange[]): void {
    for (const change of changes) {
      if (!change.range) this.content = change.text;
      else {
        const start = offsetAt(this.content, change.range.start);
        const end = offsetAt(this.content, change.range.end);
        this.content = this.content.slice(0, start) + change.text + this.content.slice(end);
      }
    }
    this.cached = undefined;
  }
  result(): AnalysisResult {
    return (this.cached ??= analyzeText(this.content, this.options));
  }
}

function offsetAt(text: string, pos: { line: number; character: number }): number {
  let offset = 0;
  for (let line = 0; line < pos.line; line++) {
    const next = text.indexOf('\n', offset);
    if (next < 0) return text.length;
    offset = next + 1;
  }
  const lineEnd = text.indexOf('\n', offset);
  const max = lineEnd < 0 ? text.length : lineEnd;
  return Math.min(offset + pos.character, max);
}
