// What one open document takes from the whole-program analysis: the findings to show (in every
// context merged, or in the one the user picked), the mode its own fast analysis starts in, and
// the contexts described for the status item.
import type { Bits, DeclaredMode, Dialect, ExecutionMode, Finding, FindingContext } from '../analysis/types';
import type { FileContextInfo } from './protocol';

export interface ProjectView {
  /** The project's findings for the file; undefined when the file's own analysis says it all (nothing includes it, it includes nothing, no macro output). */
  findings: Finding[] | undefined;
  /** The buffer version the findings were computed from (undefined: from the disk). */
  version: number | undefined;
  /** Dialect, bits and execution mode of the context the file is read in, when an includer decides them. */
  seed: { dialect: Dialect; bits: Bits; mode?: DeclaredMode } | undefined;
  contexts: FileContextInfo[];
  selectedContext: number | undefined;
}

const DIALECT_NAMES: Record<Dialect, string> = { nasm: 'NASM', 'gas-att': 'GNU as (AT&T)', 'gas-intel': 'GNU as (Intel)', masm: 'MASM', fasm: 'FASM' };

export function contextKey(context: FindingContext): string {
  const chain = context.includes.map((site) => `${site.path}:${site.line}`).join('>');
  return `${context.root}|${chain}|${context.dialect}|${context.bits}`;
}

/**
 * The findings seen in the selected context, each as it reads there (its message, severity and
 * mode: a line read in several modes is merged under the loudest); every finding when none is selected.
 */
export function findingsInContext(findings: readonly Finding[], contexts: readonly FindingContext[], selected: number | undefined): Finding[] {
  const chosen = selected === undefined ? undefined : contexts[selected];
  if (!chosen) return contexts.length > 1 ? findings.map((finding) => withItsContexts(finding, contexts.length)) : findings.slice();
  const key = contextKey(chosen);
  const shown: Finding[] = [];
  for (const finding of findings) {
    // A finding that names no context was seen in all of them.
    if (!finding.contexts) {
      shown.push(finding);
      continue;
    }
    const there = finding.contexts.find((context) => contextKey(context) === key);
    if (there) shown.push(asReadIn(finding, there));
  }
  return shown;
}

function asReadIn(finding: Finding, context: FindingContext): Finding {
  const { message = finding.message, severity = finding.severity, mode = finding.mode } = context;
  if (message === finding.message && severity === finding.severity && mode === finding.mode) return finding;
  return { ...finding, message, severity, ...(mode ? { mode } : {}) };
}

/** Contexts a merged finding's message names before it says how many more there are. */
export const CONTEXTS_NAMED = 3;

/**
 * Merged over several contexts, a finding seen in only some of them says in which: the first
 * few by name (a header a hundred files include would otherwise carry a hundred), then how many
 * more; the status item lists them all.
 */
function withItsContexts(finding: Finding, contextCount: number): Finding {
  const seenIn = finding.contexts ?? [];
  if (seenIn.length === 0 || seenIn.length >= contextCount) return finding;
  const named = seenIn.slice(0, CONTEXTS_NAMED).map(contextLabel).join('; ');
  const more = seenIn.length - CONTEXTS_NAMED;
  return { ...finding, message: `${finding.message} [only ${named}${more > 0 ? `; and ${more} more` : ''}]` };
}

/** The mode the file's own analysis should start in: the selected (or first) context's, when an include brought the file in. */
export function seedOf(contexts: readonly FindingContext[], selected: number | undefined): ProjectView['seed'] {
  const context = contexts[selected ?? 0];
  if (!context || context.includes.length === 0) return undefined;
  const mode = context.mode === 'unknown' ? undefined : context.mode;
  return { dialect: context.dialect, bits: context.bits, ...(mode ? { mode } : {}) };
}

export function contextInfos(contexts: readonly FindingContext[], uriOf: (path: string) => string): FileContextInfo[] {
  return contexts.map((context) => {
    const direct = context.includes[context.includes.length - 1];
    const info: FileContextInfo = { label: contextLabel(context), rootUri: uriOf(context.root), dialect: context.dialect, bits: context.bits };
    if (context.mode) info.mode = context.mode;
    if (direct) info.includedFrom = { uri: uriOf(direct.path), line: direct.line };
    return info;
  });
}

/**
 * 16-bit code's mode, when its includer or a setting tells it (32- and 64-bit code's mode is
 * its bitness's): two includers of one header may read it in real mode and in protected mode.
 */
const SIXTEEN_BIT_MODE_NAMES: Partial<Record<ExecutionMode, string>> = { real: ' real mode', v86: ' virtual-8086 mode', pm16: ' protected mode' };

/** `included from kernel.asm:12, FASM 32-bit` (with the root when it is another file), `… NASM 16-bit real mode`, or `on its own, NASM 64-bit`. */
export function contextLabel(context: FindingContext): string {
  const sixteenBitMode = context.bits === 16 && context.mode ? (SIXTEEN_BIT_MODE_NAMES[context.mode] ?? '') : '';
  const mode = `${DIALECT_NAMES[context.dialect] ?? context.dialect} ${context.bits}-bit${sixteenBitMode}`;
  const direct = context.includes[context.includes.length - 1];
  if (!direct) return `on its own, ${mode}`;
  const via = direct.path === context.root ? '' : ` (from ${baseName(context.root)})`;
  return `included from ${baseName(direct.path)}:${direct.line + 1}${via}, ${mode}`;
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
