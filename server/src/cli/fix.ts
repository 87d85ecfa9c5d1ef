// --fix: rewrite the sensitive instructions with the fix engine, then lint what is left.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyzeText, type AnalysisResult, type Finding } from '../analysis';
import type { FileSettings } from '../analysis/project';
import { fixUntilStable, MAX_FIX_PASSES, type DefinitionsFile, type FixOptions, type FixStrategy } from '../analysis/fixes';
import { definitionsFolderFor } from '../host/definitionsFolder';
import { escapeControlCharacters } from '../report';
import { UsageError } from '../report/options';
import { analysisOptions, type LintSettings } from './lint';

export interface FixOutcome {
  text: string;
  /** How many instructions were rewritten. */
  applied: number;
  /** The hypercall fixes include this file; it is created next to the fixed file when missing. */
  definitions?: DefinitionsFile;
  /** False when the pass bound was reached with fixes still left (say so; the report shows them). */
  stable: boolean;
}

type Fixable = Pick<AnalysisResult, 'findings'> & Partial<AnalysisResult>;

/**
 * Fixes until a pass changes nothing (bounded by MAX_FIX_PASSES): a GNU as line with two
 * sensitive statements needs a second pass for the second. Without `reanalyze`, one pass.
 * The engine writes added lines with the line break of the line they replace, so the text keeps its own style.
 */
export function applyFixes(text: string, result: Fixable, strategy: FixStrategy, options: FixOptions, reanalyze?: (text: string) => Fixable): FixOutcome {
  const fixed = fixUntilStable(text, result, strategy, options, (next) => fixableOnly(reanalyze ? reanalyze(next) : { findings: [] }), reanalyze ? MAX_FIX_PASSES : 1);
  return { text: fixed.text, applied: fixed.applied, stable: fixed.stable || !reanalyze, ...(fixed.definitions ? { definitions: fixed.definitions } : {}) };
}

/**
 * Later passes read the fixed text alone, in the reading the first pass had (a file of a
 * project may be read in its includer's mode), with the command's rules and severities.
 */
export function reanalyzeAlone(settings: LintSettings, fileName: string | undefined, first: Pick<AnalysisResult, 'dialect' | 'bits'>, file?: FileSettings): (text: string) => Fixable {
  return (text) => {
    const options = analysisOptions(settings, fileName, file);
    options.dialect = first.dialect;
    options.bits = first.bits;
    return { findings: analyzeText(text, options).findings };
  };
}

/** Findings a macro produced are fixed on the body line, which has its own. */
function fixableOnly(result: Fixable): Fixable {
  return { ...result, findings: result.findings.filter((finding: Finding) => !(finding.macroChain && finding.macroChain.length > 0)) };
}

export function fixNote(applied: number, dryRun: boolean): string | undefined {
  if (applied === 0) return undefined;
  const what = `${applied} ${applied === 1 ? 'instruction' : 'instructions'}`;
  return dryRun ? `--fix-dry-run: would rewrite ${what}; the problems listed are what would remain` : `fixed ${what}; the problems listed remain`;
}

/** Said on stderr when the bound stopped the passes with fixes left. */
export function unstableNote(file: string): string {
  return `virtlint: ${escapeControlCharacters(file)}: stopped after ${MAX_FIX_PASSES} fix passes with fixable problems left; run --fix again\n`;
}

/**
 * One file's fix options: the definitions folder (absolute: --hypercall-definitions-folder or the
 * configuration's; undefined: next to the file) as the include in that file names it.
 */
export function fixOptionsForFile(fixOptions: FixOptions, file: string, definitionsFolder: string | undefined): FixOptions {
  if (definitionsFolder === undefined || file === '-') return fixOptions;
  const relative = definitionsFolderFor(path.resolve(file), definitionsFolder);
  if (!relative.ok) throw new UsageError(`the hypercall definitions folder cannot be named from ${escapeControlCharacters(file)}: ${escapeControlCharacters(relative.problem)}`);
  return relative.folder === '' ? fixOptions : { ...fixOptions, definitionsFolder: relative.folder };
}

/**
 * Creates the definitions file the hypercall fixes include where the include names it (next to
 * the fixed file, or in the definitions folder, created when missing), unless it is there already
 * (an existing file is never overwritten), and says so on stderr. --fix-dry-run says what it
 * would write.
 */
export function writeDefinitionsFor(fixedFile: string, definitions: DefinitionsFile | undefined, dryRun: boolean, io: { stderr: { write(text: string): unknown } }): boolean {
  if (!definitions) return true;
  const target = path.join(path.dirname(fixedFile), definitions.name);
  const shown = escapeControlCharacters(target);
  if (fs.existsSync(target)) return true;
  if (dryRun) {
    io.stderr.write(`virtlint: --fix-dry-run: would write the hypercall numbers (${definitions.abi}) the fixes include to ${shown}\n`);
    return true;
  }
  try {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, definitions.text, { flag: 'wx' });
    io.stderr.write(`virtlint: wrote the hypercall numbers (${definitions.abi}) the fixes include to ${shown}; the values are placeholders for your hypervisor's\n`);
    return true;
  } catch (e) {
    io.stderr.write(`virtlint: cannot write ${shown}, which the fixed file includes: ${escapeControlCharacters((e as Error).message)}\n`);
    return false;
  }
}
