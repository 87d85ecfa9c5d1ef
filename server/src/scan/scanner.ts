// Scan a parsed image: sweep every code section, keep the instructions the selected rules cover,
// and describe each one (address, section, symbol, disassembly). Formatting happens only here,
// for findings.
import { codeName, iced, mnemonicName } from '../analysis/resolve/iced';
import { ruleForCode } from '../analysis/resolve/classify';
import { formatMessage, ruleById, runsIdioms, severityFor, type ProfileId } from '../analysis/catalogue';
import type { Severity, SeverityOrOff } from '../analysis/types';
import { dataAt, DISCOVERY_ORDER, wrapAddress, type AddressWidth, type BinaryImage, type CodeSection, type Discovery } from '../binary/image';
import { discoverCode, hasCodeRoots, type DiscoveredHits } from '../binary/discover';
import { parseDebugLine, type LineTable, type SourceLine } from '../binary/dwarfLine';
import { parallelSweep, PARALLEL_MIN_BYTES, type SweepWorkers } from './parallel';
import { SymbolIndex } from '../binary/symbols';
import { appendHits, fastSweep, INT3_CODE, type SweepHits } from '../binary/sweep';
import { findBinaryIdioms } from '../binary/idioms';
import { icedReady } from '../binary/icedReady';

export type DisassemblySyntax = 'intel' | 'att' | 'nasm' | 'masm';

export interface ScanOptions {
  profile: ProfileId;
  /** Rule ids that run (from `resolveRuleSelection`). */
  enabled: ReadonlySet<string>;
  includeInt3: boolean;
  severities?: Readonly<Record<string, SeverityOrOff>>;
  syntax?: DisassemblySyntax;
  /** Extra symbols (System.map); used in addition to the file's own. */
  extraSymbols?: SymbolIndex;
  /** Worker threads for large sections; without them everything runs on this thread. */
  workers?: SweepWorkers;
  /** Code still being read into the image's sections (a large file): swept as it arrives. */
  arriving?: ArrivingCode;
  /**
   * `discover`: decode only what symbols, unwind tables and traversal from entry points show to be
   * code, falling back to a linear sweep when the file names no code at all. `linear` (the default
   * here; the command defaults to `discover`): sweep every executable byte.
   */
  sweep?: SweepMode;
  /** Drop findings whose code was found by a less confident method than this. */
  minConfidence?: Discovery;
  /**
   * Findings listed per file; past it they are only counted (`stats.omitted`). INT3 padding in a
   * kernel gives millions, whose report would not fit in memory.
   */
  maxFindings?: number;
}

export type SweepMode = 'discover' | 'linear';

/** Parts of the file not read yet, by file offset (scan/arriving.ts). */
export interface ArrivingCode {
  /** How many bytes from `fileOffset` on have arrived, at most `length`. */
  loaded(fileOffset: number, length: number): number;
  /** Resolves when more has arrived (at once when everything has); rejects when a read failed. */
  arrival(): Promise<void>;
}

export interface BinaryFinding {
  ruleId: string;
  severity: Severity;
  message: string;
  address: bigint;
  section: string;
  /** `name+0xoff`, when a symbol precedes the address. */
  symbol?: string;
  /** Offset of the instruction in the file. */
  fileOffset: number;
  /** Disassembly of the instruction, e.g. `pushfq`. */
  text: string;
  /** Instruction bytes in hex. */
  bytes: string;
  code: number;
  codeName: string;
  /** How the instruction was known to be code. */
  discovery: Discovery;
  /** The source line DWARF .debug_line gives for the address. */
  source?: SourceLine;
}

export interface ScanStats {
  sections: number;
  bytes: number;
  /** Set when discovery was asked for but the file (not a raw image) named no code, so every byte was swept. */
  fellBackToSweep?: boolean;
  /** Findings past `maxFindings`, counted by severity but not described. */
  omitted?: Partial<Record<Severity, number>>;
}

export async function scanImage(image: BinaryImage, options: ScanOptions): Promise<{ findings: BinaryFinding[]; stats: ScanStats }> {
  await icedReady();
  const context: HitContext = { image, options, symbols: new SymbolIndex(image.symbols), describer: new InstructionDescriber(options.syntax ?? 'intel'), lines: lineTable(image) };
  const findings: BinaryFinding[] = [];
  const stats: ScanStats = { sections: image.sections.length, bytes: 0 };
  const maxRank = DISCOVERY_ORDER.indexOf(options.minConfidence ?? 'sweep');
  const maxFindings = options.maxFindings ?? Infinity;
  const keep = (finding: BinaryFinding | undefined): void => {
    if (finding && DISCOVERY_ORDER.indexOf(finding.discovery) <= maxRank) findings.push(finding);
  };
  try {
    // A raw image names no code (it has no headers): it is always swept, and that is no news.
    const discovering = options.sweep === 'discover' && image.format !== 'raw';
    // Discovery decodes anywhere in the code: it waits for all of it.
    if (discovering && options.arriving && hasCodeRoots(image)) for (const section of image.sections) await arrived(section, section.bytes.length, options.arriving);
    const discovered = discovering ? discoverCode(image, options.includeInt3) : undefined;
    if (discovering && !discovered) stats.fellBackToSweep = true;
    if (discovered) image.notes.push(coverageNote(image, discovered.decodedBytes));
    const idioms = runsIdioms(options.profile, options.enabled);
    for (let s = 0; s < image.sections.length; s++) {
      const section = image.sections[s]!;
      stats.bytes += section.bytes.length;
      const found = discovered?.sections[s];
      const sectionFindings: BinaryFinding[] = [];
      const collect = (offset: number, code: number, discovery: Discovery): void => {
        const kind = classifyHit(code, context.options);
        if (!kind) return;
        if (findings.length + sectionFindings.length < maxFindings) sectionFindings.push(describeAt(section, offset, discovery, context, kind.ruleId, kind.severity));
        else if (DISCOVERY_ORDER.indexOf(discovery) <= maxRank) (stats.omitted ??= {})[kind.severity] = (stats.omitted[kind.severity] ?? 0) + 1;
      };
      if (found) {
        for (let i = 0; i < found.offsets.length; i++) collect(found.offsets[i]!, found.codes[i]!, found.discoveries[i]!);
      } else {
        const hits = await sweepSection(section, options);
        for (let i = 0; i < hits.offsets.length; i++) collect(hits.offsets[i]!, hits.codes[i]!, 'sweep');
      }
      const reported = idioms ? withBinaryIdioms(section, sectionFindings, context, found) : sectionFindings;
      for (const finding of reported) keep(finding);
    }
  } finally {
    context.describer.free();
  }
  return { findings, stats };
}

/** How much of the executable bytes each discovery method decoded, e.g. "decoded 12% of 2.4 MB of code bytes (symbol 10%, traversal 2%)". */
function coverageNote(image: BinaryImage, decoded: Record<'symbol' | 'unwind' | 'traversal', number>): string {
  let total = 0;
  for (const section of image.sections) total += section.bytes.length;
  const percent = (n: number): string => `${total === 0 ? 0 : Math.round((1000 * n) / total) / 10}%`;
  const parts: string[] = [];
  for (const method of ['symbol', 'unwind', 'traversal'] as const) if (decoded[method] > 0) parts.push(`${method} ${percent(decoded[method])}`);
  const sum = decoded.symbol + decoded.unwind + decoded.traversal;
  return `code discovery decoded ${percent(Math.min(sum, total))} of ${total} executable bytes (${parts.join(', ') || 'nothing'}); the rest was not read as code (--sweep linear reads it all)`;
}

/**
 * The section's findings with the idioms in its bytes: an instruction that is part of an idiom is
 * reported once, as the idiom. The bytes are read in a straight line for this; an idiom takes the
 * discovery of the method that decoded its anchor (an IN or VMCALL is no finding of its own), and
 * counts as found by the sweep where discovery decoded nothing there.
 */
function withBinaryIdioms(section: CodeSection, findings: BinaryFinding[], context: HitContext, discovered: DiscoveredHits | undefined): BinaryFinding[] {
  const { options } = context;
  const byOffset = new Map<number, BinaryFinding>(findings.map((finding) => [finding.fileOffset - section.fileOffset, finding]));
  const members = new Set<number>();
  const idioms: BinaryFinding[] = [];
  const data = { address: section.address, read: (address: bigint, length: number) => dataAt(context.image, address, length) };
  for (const idiom of findBinaryIdioms(section.bytes, section.bits, 0, section.bytes.length, data)) {
    if (!options.enabled.has(idiom.ruleId)) continue;
    const severity = severityFor(idiom.ruleId, options.profile, options.severities);
    if (severity === 'off') continue;
    const anchor = byOffset.get(idiom.anchor);
    const discovery = anchor?.discovery ?? discovered?.decodedBy(idiom.anchor) ?? 'sweep';
    const finding = describeAt(section, idiom.anchor, discovery, context, idiom.ruleId, severity, idiom.message);
    idioms.push(finding);
    for (const member of idiom.members) members.add(member);
  }
  if (idioms.length === 0) return findings;
  const kept = findings.filter((finding) => !members.has(finding.fileOffset - section.fileOffset));
  return [...kept, ...idioms].sort((a, b) => a.fileOffset - b.fileOffset);
}

interface HitContext {
  image: BinaryImage;
  options: ScanOptions;
  symbols: SymbolIndex;
  describer: InstructionDescriber;
  lines: LineTable | undefined;
}

function lineTable(image: BinaryImage): LineTable | undefined {
  return image.debug ? parseDebugLine(image.debug, image.notes) : undefined;
}

async function sweepSection(section: CodeSection, options: ScanOptions): Promise<SweepHits> {
  const arriving = options.arriving;
  if (options.workers && options.workers.size > 0 && section.bytes.length >= PARALLEL_MIN_BYTES) {
    if (arriving) await arrived(section, section.bytes.length, arriving);
    return parallelSweep(section.bytes, section.bits, options.includeInt3, options.workers);
  }
  if (arriving) return sweepAsItArrives(section, options.includeInt3, arriving);
  return fastSweep(section.bytes, section.bits, { start: 0, stop: section.bytes.length }, { includeInt3: options.includeInt3 });
}

/**
 * The linear sweep of a section still being read: each pass sweeps what has arrived and stops
 * where an instruction could reach bytes not there yet; the next pass goes on from there, so the
 * passes make one sweep, as if the section had been read at once.
 */
async function sweepAsItArrives(section: CodeSection, includeInt3: boolean, arriving: ArrivingCode): Promise<SweepHits> {
  const { bytes, bits } = section;
  const hits: SweepHits = { offsets: [], codes: [] };
  let pos = 0;
  for (;;) {
    const loaded = arriving.loaded(section.fileOffset, bytes.length);
    const part = fastSweep(bytes, bits, { start: pos, stop: bytes.length }, { includeInt3, loaded });
    appendHits(hits.offsets, hits.codes, part);
    pos = part.end;
    if (loaded === bytes.length || pos >= bytes.length) return hits;
    await arriving.arrival();
  }
}

/** Resolves once the first `length` bytes of the section have arrived. */
async function arrived(section: CodeSection, length: number, arriving: ArrivingCode): Promise<void> {
  while (arriving.loaded(section.fileOffset, length) < length) await arriving.arrival();
}

/** The rule and severity a hit is reported under, or undefined when it is not reported. */
function classifyHit(code: number, options: ScanOptions): { ruleId: string; severity: Severity } | undefined {
  const ruleId = ruleForCode(code);
  if (ruleId === undefined || !options.enabled.has(ruleId)) return undefined;
  if (code === INT3_CODE && !options.includeInt3) return undefined;
  const severity = severityFor(ruleId, options.profile, options.severities);
  if (severity === 'off') return undefined;
  return { ruleId, severity };
}

/** A finding of `ruleId` at the instruction at `offset`; the rule's message for it unless one is given. */
function describeAt(section: CodeSection, offset: number, discovery: Discovery, context: HitContext, ruleId: string, severity: Severity, givenMessage?: string): BinaryFinding {
  const { symbols, describer } = context;
  const addressWidth: AddressWidth = context.image.addressWidth;
  const options = context.options;
  const address = wrapAddress(section.address + BigInt(offset), addressWidth);
  const { text, bytes, mnemonic, codeName, code } = describer.describe(section, offset, address);
  const entry = ruleById(ruleId);
  const message = givenMessage ?? (entry ? formatMessage(entry, mnemonic) : ruleId);
  const symbol = options.extraSymbols?.describe(address, section.name) ?? symbols.describe(address, section.name);
  const finding: BinaryFinding = { ruleId, severity, message, address, section: section.name, fileOffset: section.fileOffset + offset, text, bytes, code, codeName, discovery };
  if (symbol !== undefined) finding.symbol = symbol;
  const source = context.lines?.lookup(address);
  if (source !== undefined) finding.source = source;
  return finding;
}

const HEX_PAIRS = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/**
 * The first `length` bytes in lower-case hex, as Buffer's toString('hex') writes them. Made here: a
 * Buffer per instruction cost a kernel scan ~2 ms for its few hundred findings.
 */
function hexOf(bytes: Uint8Array, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += HEX_PAIRS[bytes[i]!]!;
  return text;
}

/** Decodes and formats single instructions; caches text for position-independent ones (INT3 padding...). */
class InstructionDescriber {
  // Made at the first finding: a scan that finds nothing never builds iced's formatter tables.
  private formatterMade: iced.Formatter | undefined;
  private instructionMade: iced.Instruction | undefined;
  private readonly cache = new Map<string, { text: string; mnemonic: string; codeName: string; code: number }>();
  private bareInt3: { text: string; bytes: string; mnemonic: string; codeName: string; code: number } | undefined;

  constructor(private readonly syntax: DisassemblySyntax) {}

  private get formatter(): iced.Formatter {
    const kinds = { intel: iced.FormatterSyntax.Intel, att: iced.FormatterSyntax.Gas, nasm: iced.FormatterSyntax.Nasm, masm: iced.FormatterSyntax.Masm };
    this.formatterMade ??= new iced.Formatter(kinds[this.syntax]);
    return this.formatterMade;
  }

  private get instruction(): iced.Instruction {
    this.instructionMade ??= new iced.Instruction();
    return this.instructionMade;
  }

  describe(section: CodeSection, offset: number, address: bigint): { text: string; bytes: string; mnemonic: string; codeName: string; code: number } {
    if (section.bytes[offset] === 0xcc && this.bareInt3) return this.bareInt3; // padding: by far the most common hit with --rules all
    const window = section.bytes.subarray(offset, Math.min(section.bytes.length, offset + 15));
    const decoder = new iced.Decoder(section.bits, window, iced.DecoderOptions.None);
    try {
      decoder.ip = address;
      decoder.decodeOut(this.instruction);
      const length = this.instruction.length;
      const bytes = hexOf(window, length);
      const cacheable = !this.instruction.isIpRelMemoryOperand && this.instruction.nearBranchTarget === 0n;
      const key = `${section.bits}:${bytes}`;
      const cached = cacheable ? this.cache.get(key) : undefined;
      if (cached) return { ...cached, bytes };
      const described = {
        text: this.formatter.format(this.instruction),
        mnemonic: mnemonicName(this.instruction.mnemonic).toLowerCase(),
        codeName: codeName(this.instruction.code),
        code: this.instruction.code,
      };
      if (cacheable && this.cache.size < 10_000) this.cache.set(key, described);
      if (bytes === 'cc') this.bareInt3 = { ...described, bytes };
      return { ...described, bytes };
    } finally {
      decoder.free();
    }
  }

  free(): void {
    this.instructionMade?.free();
    this.formatterMade?.free();
    this.instructionMade = undefined;
    this.formatterMade = undefined;
  }
}
