// A document's dialect and starting bitness, and where each came from: a modeline comment,
// the caller's override, or detection from the text.
import { detectBits, detectDialect, findModeline, gasSyntaxOf, sampleOf } from '../syntax/detect';
import type { AnalysisOptions, Bits, Dialect, SettingSource } from '../types';

export interface DocumentHeader {
  dialect: Dialect;
  dialectSource: SettingSource;
  bits: Bits;
  bitsSource: SettingSource;
}

export function detectHeader(lines: readonly string[], options: AnalysisOptions): DocumentHeader {
  const modeline = findModeline(lines);
  const sample = sampleOf(lines);
  let dialect: Dialect;
  let dialectSource: SettingSource;
  if (modeline.dialect) [dialect, dialectSource] = [modeline.dialect, 'modeline'];
  else if (options.dialect) [dialect, dialectSource] = [options.dialect, 'override'];
  else if (options.dialectFamily === 'gas') [dialect, dialectSource] = [gasSyntaxOf(sample), 'override'];
  else ({ value: dialect, source: dialectSource } = detectDialect(sample, options.fileName));
  let bits: Bits;
  let bitsSource: SettingSource;
  if (modeline.bits) [bits, bitsSource] = [modeline.bits, 'modeline'];
  else if (options.bits) [bits, bitsSource] = [options.bits, 'override'];
  else ({ value: bits, source: bitsSource } = detectBits(sample, dialect, options.fileName));
  return { dialect, dialectSource, bits, bitsSource };
}
