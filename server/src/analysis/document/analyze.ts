// From text to findings in one call: detect dialect and bitness, parse line by line, resolve
// each instruction against iced-x86, classify it, then apply rule selection, profile severities
// and suppression comments. The incremental analyzer uses the same steps one edit at a time.
import { detectHeader } from './documentHeader';
import { parseAllLines } from './lineEntries';
import { buildResult } from './result';
import { splitLines } from '../text/lineBreaks';
import type { AnalysisOptions, AnalysisResult } from '../types';

export function analyzeText(text: string, options: AnalysisOptions = {}): AnalysisResult {
  const lines = splitLines(text);
  const header = detectHeader(lines, options);
  return buildResult(parseAllLines(lines, header), header, options);
}
