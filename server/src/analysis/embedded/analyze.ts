// From a host file to findings: the front end finds the assembly and its source map, each block
// is read as the assembler would read it (its syntax, its bitness) by the same core as a `.s`
// file, and every finding is carried back to the host's lines, where the host's own comments
// can suppress it.
import { cachedBlockAnalysis, type BlockAnalysis } from './blockCache';
import { cachedPolicy } from '../document/result';
import { parseDirectives, SuppressionIndex, type SuppressionDirective } from '../document/suppress';
import { runsIdioms, severityFor } from '../catalogue';
import { unknownRuleFindings } from '../document/findings';
import type { AnalysisOptions, Bits, Dialect, Finding, ParsedInstruction } from '../types';
import type { SourceReader } from '../project/source';
import type { AsmBlock, EmbeddedScan, FrontEndProblem, HostBuild, HostComment, HostLanguage, IntrinsicCall } from './types';
import { scanHost } from './frontEnds';
import { withHostIdioms } from './hostIdioms';
import { CMacroCache } from './c';
import type { CIncrementalState } from './c/incremental';
import type { RustIncrementalState } from './rust/incremental';
import { hostInstruction, hostRange } from './sourceMap';

export interface EmbeddedOptions extends AnalysisOptions {
  language: HostLanguage;
  /** Absolute path of the host file (include resolution, messages). */
  path?: string;
  build?: HostBuild;
  /** Reads headers the host file includes, for cpp macros that hold asm (`savesegment` in `asm/segment.h`). */
  reader?: SourceReader;
  /** `-I` paths, absolute, `/`-separated. */
  includePaths?: readonly string[];
  /** Kept across files by the caller (a CLI run, the language server) so each header's macros are read once. */
  macros?: CMacroCache;
  /** Kept by the caller between analyses of one document (an editor's buffer), with the same `macros` (without them, the session's own). */
  session?: EmbeddedSession;
}

/**
 * What one analysis of a document leaves for the next: a C, C++ or Rust file edited since is read
 * again only from the top-level declaration or item before the edit to the first one after it
 * whose state is unchanged (c/incremental.ts, rust/incremental.ts). Results equal those of a
 * fresh analysis.
 */
export class EmbeddedSession {
  readonly c: CIncrementalState = {};
  readonly rust: RustIncrementalState = {};
  /**
   * The headers' macros, for a caller that passes none: a C scan resumes only under the same
   * macro cache (it names the build), and a new one per call would read the file whole each time.
   */
  readonly macros = new CMacroCache();
}

export interface EmbeddedResult {
  language: HostLanguage;
  /** Findings on the host file's lines and columns, after suppression and severity. */
  findings: Finding[];
  suppressed: Finding[];
  /** Instructions in host coordinates (hovers), in source order. */
  instructions: ParsedInstruction[];
  blocks: readonly AsmBlock[];
  intrinsics: readonly IntrinsicCall[];
  problems: readonly FrontEndProblem[];
}

const EXTENSIONS: Record<string, HostLanguage> = {
  '.c': 'c', '.h': 'c', '.cc': 'cpp', '.cpp': 'cpp', '.cxx': 'cpp', '.c++': 'cpp', '.hpp': 'cpp', '.hh': 'cpp', '.hxx': 'cpp', '.rs': 'rust',
};

/** The host language a path's extension names, if any. */
export function hostLanguageOf(path: string): HostLanguage | undefined {
  const slash = path.lastIndexOf('/');
  const dot = path.lastIndexOf('.');
  return dot <= slash + 1 ? undefined : EXTENSIONS[path.slice(dot).toLowerCase()];
}

const DIALECT_OF_SYNTAX: Record<AsmBlock['syntax'], Dialect> = { att: 'gas-att', intel: 'gas-intel', masm: 'masm' };
const OTHER_MODES: readonly Bits[] = [32, 64, 16];

export function analyzeEmbedded(text: string, options: EmbeddedOptions): EmbeddedResult {
  const scan = scanHost(text, options);
  const reading = new BlockReading(options);
  const candidates: Finding[] = [];
  const locatedBlocks: Located[] = [];
  for (const block of scan.blocks) {
    const located = reading.located(block);
    for (const finding of located.findings) candidates.push(finding);
    locatedBlocks.push(located);
  }
  for (const call of scan.intrinsics) for (const finding of reading.intrinsic(call)) candidates.push(finding);
  const directives = directivesOf(scan.comments);
  for (const finding of unknownRuleFindings(directives, cachedPolicy(options))) candidates.push(finding);
  for (const finding of problemFindings(scan.problems, options)) candidates.push(finding);
  const policy = cachedPolicy(options);
  const reported = runsIdioms(policy.profile, policy.enabled) ? withHostIdioms(text, candidates, scan.intrinsics, policy) : candidates;
  const index = directives.length > 0 ? new SuppressionIndex(directives) : undefined;
  const findings: Finding[] = [];
  const suppressed: Finding[] = [];
  for (const finding of reported) {
    const line = finding.range.start.line;
    if (index?.isFixed(finding.ruleId, line)) continue;
    (index?.isSuppressed(finding.ruleId, line) ? suppressed : findings).push(finding);
  }
  findings.sort(byPosition);
  suppressed.sort(byPosition);
  let instructions: ParsedInstruction[] | undefined;
  return {
    language: options.language, findings, suppressed, blocks: scan.blocks, intrinsics: scan.intrinsics, problems: scan.problems,
    // Only hovers read them: a command-line run never maps each instruction to the host file.
    get instructions(): ParsedInstruction[] {
      if (instructions === undefined) {
        instructions = [];
        for (const located of locatedBlocks) for (const ins of located.instructions) instructions.push(ins);
        instructions.sort((a, b) => byRange(a.range, b.range));
      }
      return instructions;
    },
  };
}

/**
 * The options a block is read with, one object per dialect, bitness and policy for the life of
 * the process, so the policy and the block cache are shared by every run (an editor's keystrokes).
 */
const sharedOptions = new Map<string, AnalysisOptions>();
const MAX_SHARED_OPTIONS = 256;

function blockOptions(options: EmbeddedOptions, dialect: Dialect, bits: Bits): AnalysisOptions {
  const { profile, rules, severities, includeInt3 } = options;
  const key = JSON.stringify([dialect, bits, profile, rules, severities, includeInt3]);
  let found = sharedOptions.get(key);
  if (!found) {
    if (sharedOptions.size >= MAX_SHARED_OPTIONS) sharedOptions.clear();
    found = { dialect, bits, profile, rules, severities, includeInt3 };
    sharedOptions.set(key, found);
  }
  return found;
}

/** A block's findings and instructions on the host's lines, for the options they were read with. */
class Located {
  private mapped: ParsedInstruction[] | undefined;

  constructor(
    readonly options: AnalysisOptions,
    readonly findings: readonly Finding[],
    private readonly lines: AsmBlock['lines'],
    private readonly blockInstructions: readonly ParsedInstruction[],
  ) {}

  /** Mapped when first asked for. */
  get instructions(): readonly ParsedInstruction[] {
    if (this.mapped === undefined) {
      this.mapped = [];
      for (const ins of this.blockInstructions) this.mapped.push(hostInstruction(this.lines, ins));
    }
    return this.mapped;
  }
}

/** An incremental scan hands back the same block objects for what an edit did not touch: their host findings are kept with them. */
const locatedByBlock = new WeakMap<AsmBlock, Located>();

/** Reads the blocks and intrinsic calls of one host file. */
class BlockReading {
  private readonly byMode = new Map<string, AnalysisOptions>();

  constructor(private readonly options: EmbeddedOptions) {}

  private defaultBits(): Bits {
    return this.options.build?.bits ?? this.options.bits ?? 64;
  }

  private optionsFor(dialect: Dialect, bits: Bits): AnalysisOptions {
    const key = `${dialect}/${bits}`;
    let found = this.byMode.get(key);
    if (!found) this.byMode.set(key, (found = blockOptions(this.options, dialect, bits)));
    return found;
  }

  /** The block's findings and instructions in host coordinates. */
  located(block: AsmBlock): Located {
    const options = this.optionsFor(DIALECT_OF_SYNTAX[block.syntax], block.bits ?? this.defaultBits());
    const known = locatedByBlock.get(block);
    if (known && known.options === options) return known;
    const result = this.read(block);
    const findings: Finding[] = [];
    for (const finding of result.findings) findings.push(hostFinding(block, finding));
    const located = new Located(options, findings, block.lines, result.instructions);
    locatedByBlock.set(block, located);
    return located;
  }

  read(block: AsmBlock): BlockAnalysis {
    const text = blockText(block);
    const dialect = DIALECT_OF_SYNTAX[block.syntax];
    const bits = block.bits ?? this.defaultBits();
    const result = cachedBlockAnalysis(text, this.optionsFor(dialect, bits));
    if (!block.undecidedBranch || block.bits !== undefined || !result.findings.some(isInvalidInMode)) return result;
    // A branch nobody could decide may be for another mode (`#ifdef CONFIG_X86_32`): read it in the first mode it is valid in.
    for (const other of OTHER_MODES) {
      if (other === bits) continue;
      const retry = cachedBlockAnalysis(text, this.optionsFor(dialect, other));
      if (!retry.findings.some(isInvalidInMode)) return retry;
    }
    return result;
  }

  intrinsic(call: IntrinsicCall): Finding[] {
    const bits = call.bits ?? this.defaultBits();
    const out: Finding[] = [];
    if (call.validBits !== undefined && !call.validBits.includes(bits)) return out;
    const instructions = [call.instruction(bits)];
    for (const extra of call.alsoEmits?.(bits) ?? []) instructions.push(extra);
    const result = cachedBlockAnalysis(instructions.join('\n'), this.optionsFor('nasm', bits));
    for (const finding of result.findings) {
      if (isInvalidInMode(finding)) continue;
      const located: Finding = {
        ...finding,
        message: `${call.name}() compiles to ${finding.instruction?.mnemonic ?? finding.codeName ?? 'this instruction'}: ${finding.message}`,
        range: call.range,
        mnemonicRange: call.range,
        instruction: undefined,
      };
      if (call.macroChain) located.macroChain = [...call.macroChain];
      out.push(located);
    }
    return out;
  }
}

function isInvalidInMode(finding: Finding): boolean {
  return finding.ruleId === 'invalid-in-mode';
}

function blockText(block: AsmBlock): string {
  let text = '';
  for (let i = 0; i < block.lines.length; i++) text += (i > 0 ? '\n' : '') + block.lines[i]!.text;
  return text;
}

function hostFinding(block: AsmBlock, finding: Finding): Finding {
  const located: Finding = {
    ...finding,
    range: hostRange(block.lines, finding.range),
    mnemonicRange: hostRange(block.lines, finding.mnemonicRange),
    instruction: finding.instruction ? hostInstruction(block.lines, finding.instruction) : undefined,
  };
  if (block.macroChain) located.macroChain = [...block.macroChain];
  if (block.related) located.related = [...block.related];
  return located;
}

function directivesOf(comments: readonly HostComment[]): SuppressionDirective[] {
  const out: SuppressionDirective[] = [];
  for (const comment of comments) {
    if (!comment.text.includes('virtlint-')) continue;
    for (const directive of parseDirectives([{ text: comment.text, start: comment.start }], comment.line)) out.push(directive);
  }
  return out;
}

/** What the front end could not read is reported under `undecided-expansion`: the instructions there are unknown. */
function problemFindings(problems: readonly FrontEndProblem[], options: AnalysisOptions): Finding[] {
  const out: Finding[] = [];
  if (problems.length === 0) return out;
  const severity = severityFor('undecided-expansion', cachedPolicy(options).profile, options.severities);
  if (severity === 'off') return out;
  for (const problem of problems) out.push({ ruleId: 'undecided-expansion', severity, message: problem.message, range: problem.range, mnemonicRange: problem.range });
  return out;
}

function byRange(a: { start: { line: number; character: number } }, b: { start: { line: number; character: number } }): number {
  return a.start.line - b.start.line || a.start.character - b.start.character;
}

function byPosition(a: Finding, b: Finding): number {
  return byRange(a.range, b.range);
}

export type { EmbeddedScan };
