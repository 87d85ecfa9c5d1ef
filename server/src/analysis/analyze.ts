import type { AnalysisOptions, AnalysisResult } from './types';

// TEMPORARY STUB: being written by the lead. Signature is final.
export function analyzeText(text: string, options: AnalysisOptions = {}): AnalysisResult {
  void text; void options;
  return { dialect: 'nasm', dialectSource: 'default', bits: 64, bitsSource: 'default', bitsRegions: [{ startLine: 0, bits: 64 }], instructions: [], findings: [], suppressed: [] };
}
