// A document's dialect and starting bitness, and where each came from: a modeline comment,
// the caller's override, or detection from the text.
import { detectBits, detectDialect, findModeline, gasSyntaxOf, MODELINE_LINES, sampleOf } from '../syntax/detect';
import { foreignArchitectureOf, type ForeignArchitecture } from '../syntax/architecture';
import type { AnalysisOptions, Bits, DeclaredMode, Dialect, SettingSource } from '../types';
import { declaredModeIn } from './executionMode';

export interface DocumentHeader {
  dialect: Dialect;
  dialectSource: SettingSource;
  bits: Bits;
  bitsSource: SettingSource;
  /** The execution mode at the top of the file, when a modeline or the caller names one. */
  mode?: DeclaredMode;
  modeSource?: 'modeline' | 'override';
  /** `org 0x7c00` among the lines detection reads: 16-bit code here runs in real mode. */
  bootSector?: boolean;
  /** The text is assembly for another instruction set; set only when nobody named the dialect. */
  foreignArchitecture?: ForeignArchitecture;
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
  const header: DocumentHeader = { dialect, dialectSource, bits, bitsSource };
  const modelineMode = modelineModeOf(lines);
  if (modelineMode) [header.mode, header.modeSource] = [modelineMode, 'modeline'];
  else if (options.mode) [header.mode, header.modeSource] = [options.mode, 'override'];
  if (BOOT_SECTOR_ORIGIN.test(sample)) header.bootSector = true;
  if (!modeline.dialect && !options.dialect) {
    const foreign = foreignArchitectureOf(sample);
    if (foreign) header.foreignArchitecture = foreign;
  }
  return header;
}

const BOOT_SECTOR_ORIGIN = /^[ \t]*\[?\s*\.?org\s+(?:0x0*7c00|0*7c00h|31744)\b/im;

const MODELINE_KEY = /virtlint:[^\n]*\b(?:dialect|bits)\s*=/i;

/**
 * `mode=` in a modeline (a `virtlint:` comment that also names the dialect or bitness) among the
 * first or last lines. A comment with `mode=` alone sets the mode from its own line on.
 */
function modelineModeOf(lines: readonly string[]): DeclaredMode | undefined {
  const tailStart = Math.max(MODELINE_LINES, lines.length - MODELINE_LINES);
  for (let i = 0; i < lines.length; i = i === MODELINE_LINES - 1 ? tailStart : i + 1) {
    const line = lines[i]!;
    if (!line.includes('virtlint:') || !MODELINE_KEY.test(line)) continue;
    const mode = declaredModeIn(line);
    if (mode) return mode;
  }
  return undefined;
}

/** Two headers read the file the same way. */
export function sameHeader(a: DocumentHeader, b: DocumentHeader): boolean {
  return (
    a.dialect === b.dialect &&
    a.bits === b.bits &&
    a.dialectSource === b.dialectSource &&
    a.bitsSource === b.bitsSource &&
    a.mode === b.mode &&
    a.modeSource === b.modeSource &&
    a.bootSector === b.bootSector &&
    a.foreignArchitecture === b.foreignArchitecture
  );
}
