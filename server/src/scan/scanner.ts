// Scan a parsed image: sweep every code section, keep the instructions the selected rules cover,
// and describe each one (address, section, symbol, disassembly). Formatting happens only here,
// for findings.
import { codeName, iced, mnemonicName, ruleForCode } from '../analysis';
import { formatMessage, ruleById, severityFor, type ProfileId } from '../analysis/catalogue';
import type { Severity, SeverityOrOff } from '../analysis/types';
import { wrapAddress, type AddressWidth, type BinaryImage, type CodeSection } from '../binary/image';
import { parallelSweep, PARALLEL_MIN_BYTES, type SweepWorkers } from './parallel';
import { SymbolIndex } from '../binary/symbols';
import { fastSweep, INT3_CODE, type SweepHits } from '../binary/sweep';

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
}

export interface ScanStats {
  sections: number;
  bytes: number;
}

export async function scanImage(image: BinaryImage, options: ScanOptions): Promise<{ findings: BinaryFinding[]; stats: ScanStats }> {
  const symbols = new SymbolIndex(image.symbols);
  const findings: BinaryFinding[] = [];
  let bytes = 0;
  const describer = new InstructionDescriber(options.syntax ?? 'intel');
  try {
    for (const section of image.sections) {
      bytes += section.bytes.length;
      const hits = await sweepSection(section, options);
      for (let i = 0; i < hits.offsets.length; i++) {
        const finding = describeHit(section, image.addressWidth, hits.offsets[i]!, hits.codes[i]!, options, symbols, describer);
        if (finding) findings.push(finding);
      }
    }
  } finally {
    describer.free();
  }
  return { findings, stats: { sections: image.sections.length, bytes } };
}

function sweepSection(section: CodeSection, options: ScanOptions): SweepHits | Promise<SweepHits> {
  if (options.workers && options.workers.size > 0 && section.bytes.length >= PARALLEL_MIN_BYTES) {
    return parallelSweep(section.bytes, section.bits, options.includeInt3, options.workers);
  }
  return fastSweep(section.bytes, section.bits, { start: 0, stop: section.bytes.length }, { includeInt3: options.includeInt3 });
}

function describeHit(
  section: CodeSection,
  addressWidth: AddressWidth,
  offset: number,
  code: number,
  options: ScanOptions,
  symbols: SymbolIndex,
  describer: InstructionDescriber,
): BinaryFinding | undefined {
  const ruleId = ruleForCode(code);
  if (ruleId === undefined || !options.enabled.has(ruleId)) return undefined;
  if (code === INT3_CODE && !options.includeInt3) return undefined;
  const severity = severityFor(ruleId, options.profile, options.severities);
  if (severity === 'off') return undefined;
  const address = wrapAddress(section.address + BigInt(offset), addressWidth);
  const { text, bytes, mnemonic, codeName } = describer.describe(section, offset, address);
  const entry = ruleById(ruleId);
  const message = entry ? formatMessage(entry, mnemonic) : ruleId;
  const symbol = options.extraSymbols?.describe(address, section.name) ?? symbols.describe(address, section.name);
  const finding: BinaryFinding = { ruleId, severity, message, address, section: section.name, fileOffset: section.fileOffset + offset, text, bytes, code, codeName };
  if (symbol !== undefined) finding.symbol = symbol;
  return finding;
}

/** Decodes and formats single instructions; caches text for position-independent ones (INT3 padding...). */
class InstructionDescriber {
  private readonly formatter: iced.Formatter;
  private readonly instruction = new iced.Instruction();
  private readonly cache = new Map<string, { text: string; mnemonic: string; codeName: string }>();
  private bareInt3: { text: string; bytes: string; mnemonic: string; codeName: string } | undefined;

  constructor(syntax: DisassemblySyntax) {
    const kinds = { intel: iced.FormatterSyntax.Intel, att: iced.FormatterSyntax.Gas, nasm: iced.FormatterSyntax.Nasm, masm: iced.FormatterSyntax.Masm };
    this.formatter = new iced.Formatter(kinds[syntax]);
  }

  describe(section: CodeSection, offset: number, address: bigint): { text: string; bytes: string; mnemonic: string; codeName: string } {
    if (section.bytes[offset] === 0xcc && this.bareInt3) return this.bareInt3; // padding: by far the most common hit with --rules all
    const window = section.bytes.subarray(offset, Math.min(section.bytes.length, offset + 15));
    const decoder = new iced.Decoder(section.bits, window, iced.DecoderOptions.None);
    try {
      decoder.ip = address;
      decoder.decodeOut(this.instruction);
      const length = this.instruction.length;
      const bytes = Buffer.from(window.subarray(0, length)).toString('hex');
      const cacheable = !this.instruction.isIpRelMemoryOperand && this.instruction.nearBranchTarget === 0n;
      const key = `${section.bits}:${bytes}`;
      const cached = cacheable ? this.cache.get(key) : undefined;
      if (cached) return { ...cached, bytes };
      const described = {
        text: this.formatter.format(this.instruction),
        mnemonic: mnemonicName(this.instruction.mnemonic).toLowerCase(),
        codeName: codeName(this.instruction.code),
      };
      if (cacheable && this.cache.size < 10_000) this.cache.set(key, described);
      if (bytes === 'cc') this.bareInt3 = { ...described, bytes };
      return { ...described, bytes };
    } finally {
      decoder.free();
    }
  }

  free(): void {
    this.instruction.free();
    this.formatter.free();
  }
}
