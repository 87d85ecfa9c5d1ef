// --fix on C, C++ and Rust files. `trap` writes the forced-emulation prefix into the asm templates
// with the editor's own quick fix (analysis/embedded/prefixFix.ts), every one the file can take,
// to a fixed point; each finding left alone is named on stderr with the reason the editor offers
// no prefix for it. `hypercall` changes nothing in host files (see HOST_HYPERCALL_NOTE).
import { analyzeEmbedded, fixHostUntilStable, MAX_HOST_FIX_PASSES, type HostFixRefusal, type HostLanguage } from '../analysis/embedded';
import type { FixOptions } from '../analysis/fixes';
import { escapeControlCharacters, fileProblemReport, type FileReport } from '../report';
import type { CliOptions } from './args';
import { hostOptions, hostReport, type HostRun } from './embeddedLint';
import { fixNote } from './fix';
import type { Project } from './project';

/**
 * Why `--fix hypercall` leaves inline assembly alone. A hypercall clobbers and returns registers
 * the asm statement's operands and clobbers do not declare, so it cannot be spliced into the
 * template; the issue allows a C rewrite (a helper call, its definitions in a header) only where it
 * compiles, and no such rewrite is written or proved by a compiler yet.
 */
export const HOST_HYPERCALL_NOTE =
  "not fixed: --fix hypercall does not rewrite inline assembly: a hypercall uses registers the asm statement's operands and clobbers do not declare, and no C rewrite proved to compile is offered (--fix trap writes the forced-emulation prefix)";

export interface HostFixed {
  report: FileReport;
  /** The analysis itself threw (the run is unusable). */
  failed: boolean;
  /** Set when the text changed. */
  fixedText?: string;
}

/** Fixes one host text for `--fix trap` and reports what remains; says on stderr what it left and why. */
export function fixHostText(
  displayPath: string,
  text: string,
  path: string | undefined,
  language: HostLanguage,
  project: Project,
  options: CliOptions,
  fixOptions: FixOptions,
  run: HostRun | undefined,
  stderr: { write(text: string): unknown },
): HostFixed {
  try {
    const analysisOptions = hostOptions(path, language, project, options, run);
    const analyze = (next: string) => analyzeEmbedded(next, analysisOptions);
    const first = analyze(text);
    const fixed = fixHostUntilStable(text, first, analyze, fixOptions);
    const report = hostReport(displayPath, analyze(fixed.text), options);
    for (const refusal of fixed.refusals) stderr.write(refusalLine(displayPath, refusal));
    if (!fixed.stable) stderr.write(`virtlint: ${escapeControlCharacters(displayPath)}: stopped after ${MAX_HOST_FIX_PASSES} fix passes with prefixes left to write; run --fix again\n`);
    const notes = [fixNote(fixed.applied, options.fixDryRun)];
    if (fixed.refusals.length > 0) notes.push(`${fixed.refusals.length} ${fixed.refusals.length === 1 ? 'finding' : 'findings'} not fixed (the reasons are on stderr)`);
    const note = notes.filter((n) => n !== undefined).join('; ');
    if (note !== '') report.note = note;
    return { report, failed: false, ...(fixed.text !== text ? { fixedText: fixed.text } : {}) };
  } catch (e) {
    return { report: fileProblemReport(displayPath, `internal error while linting this file: ${(e as Error)?.message ?? String(e)}`), failed: true };
  }
}

function refusalLine(displayPath: string, { finding, reason }: HostFixRefusal): string {
  const at = finding.range.start;
  return `virtlint: ${escapeControlCharacters(displayPath)}:${at.line + 1}:${at.character + 1}: ${finding.ruleId} not fixed: ${reason}\n`;
}
