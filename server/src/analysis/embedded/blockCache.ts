// The analysis of one block's text, kept across runs: an editor re-reads the whole host file on
// each keystroke, and nearly every asm statement in it is the same text as the time before.
import { analyzeText } from '../document/analyze';
import type { AnalysisOptions, AnalysisResult, Finding, ParsedInstruction } from '../types';

/** What a block's analysis leaves behind: findings and instructions in the block's own coordinates (never mutated by callers). */
export interface BlockAnalysis {
  readonly findings: readonly Finding[];
  readonly instructions: readonly ParsedInstruction[];
}

const MAX_ENTRIES = 20_000;
const MAX_CACHED_TEXT = 4096;

/** Per options object (one per dialect, bitness and policy), block text to its analysis. */
const byOptions = new WeakMap<AnalysisOptions, Map<string, BlockAnalysis>>();
let entries = 0;
let generation = new Set<Map<string, BlockAnalysis>>();

function analyze(text: string, options: AnalysisOptions): BlockAnalysis {
  const result: AnalysisResult = analyzeText(text, options);
  return { findings: result.findings, instructions: result.instructions };
}

/** `analyzeText` of a block, from the cache when the same text was read with the same options. */
export function cachedBlockAnalysis(text: string, options: AnalysisOptions): BlockAnalysis {
  if (text.length > MAX_CACHED_TEXT) return analyze(text, options);
  let cache = byOptions.get(options);
  if (!cache) {
    cache = new Map();
    byOptions.set(options, cache);
  }
  const hit = cache.get(text);
  if (hit) return hit;
  const fresh = analyze(text, options);
  if (entries >= MAX_ENTRIES) {
    // Bounded memory: start over rather than track recency per entry.
    for (const map of generation) map.clear();
    generation = new Set();
    entries = 0;
  }
  cache.set(text, fresh);
  generation.add(cache);
  entries++;
  return fresh;
}
