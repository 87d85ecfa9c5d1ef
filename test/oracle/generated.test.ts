// A generated oracle. Byte patterns around every sensitive opcode (and its look-alikes on
// the same opcodes: near CALL/JMP through FF, VMCALL/SWAPGS next to RDTSCP...) are decoded
// with iced-x86 and printed with iced's NASM / GNU AT&T / Intel / MASM formatters. Each
// printed line is then assembled by the real assembler of the dialect (lines it rejects are
// dropped and counted), decoded again, and virtlint must find the same rule ids on the
// same line. MASM has no assembler here: a MASM-printed line is kept only when GNU as in
// Intel mode (the closest syntax) assembled the same text to the same iced Code.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as iced from 'iced-x86';
import { analyzeText, ruleForCode, type Bits, type Dialect, type RuleId } from '../../server/src/analysis';
import { assemble, AssemblyFailedError, decodeAll, type Assembler } from '../helpers/assemble';

// Sensitive opcodes, plus look-alikes: MOV r,m (segment overrides), POP m, near RET, MOV CRn/DRn.
const ONE_BYTE_OPCODES = [0x06, 0x07, 0x0e, 0x16, 0x17, 0x1e, 0x1f, 0x9a, 0xea, 0x9c, 0x9d, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf, 0xf1, 0x8c, 0x8e, 0xff, 0xc2, 0xc3, 0x8b, 0x8f];
const TWO_BYTE_OPCODES = [0x00, 0x01, 0x02, 0x03, 0xa0, 0xa1, 0xa8, 0xa9, 0xa2, 0x31, 0x33, 0x20, 0x22];
const TAIL = [0x10, 0x00, 0x20, 0x00, 0x08, 0x00, 0x00, 0x00];

function prefixSets(bits: Bits): number[][] {
  // Operand/address size, FS/GS/CS segment overrides, and a REP prefix the CPU ignores.
  const common = [[], [0x66], [0x67], [0x64], [0x65], [0x2e], [0xf3]];
  return bits === 64 ? [...common, [0x48], [0x66, 0x48], [0x41], [0x64, 0x48]] : common;
}

/** ModRM bytes: a memory operand without displacement, one with disp8, and two registers, for every /reg. */
function modrms(): number[][] {
  const out: number[][] = [];
  for (let reg = 0; reg < 8; reg++) {
    out.push([(reg << 3) | 0x03], [0x40 | (reg << 3) | 0x03, 0x08], [0xc0 | (reg << 3) | 0x01], [0xc0 | (reg << 3)]);
  }
  return out;
}

function candidateBytes(bits: Bits): Uint8Array[] {
  const bodies: number[][] = [];
  for (const op of ONE_BYTE_OPCODES) for (const m of modrms()) bodies.push([op, ...m]);
  for (const op of TWO_BYTE_OPCODES) for (const m of modrms()) bodies.push([0x0f, op, ...m]);
  // 0F 01 with mod=11 holds XGETBV, RDTSCP, and look-alikes (VMCALL, SWAPGS, MONITOR...).
  for (let modrm = 0xc0; modrm <= 0xff; modrm++) bodies.push([0x0f, 0x01, modrm]);
  bodies.push([0xf3, 0x0f, 0xc7, 0xf8], [0xf3, 0x0f, 0xc7, 0xf9]); // RDPID
  const out: Uint8Array[] = [];
  for (const prefix of prefixSets(bits)) for (const body of bodies) out.push(Uint8Array.from([...prefix, ...body, ...TAIL]));
  return out;
}

type Syntax = 'nasm' | 'gas' | 'intel' | 'masm';

/**
 * `plain`: lower case, hex numbers, sizes only where needed. `loud`: the other spellings a
 * person might write: upper case, every memory size and segment spelled out, decimal numbers,
 * no space after commas, spaces inside brackets.
 */
type Style = 'plain' | 'loud';

function makeFormatter(syntax: Syntax, style: Style): iced.Formatter {
  const kind = { nasm: iced.FormatterSyntax.Nasm, gas: iced.FormatterSyntax.Gas, intel: iced.FormatterSyntax.Intel, masm: iced.FormatterSyntax.Masm }[syntax];
  const formatter = new iced.Formatter(kind);
  formatter.hexPrefix = syntax === 'masm' ? '' : '0x';
  formatter.hexSuffix = syntax === 'masm' ? 'h' : '';
  formatter.uppercaseHex = false;
  formatter.spaceAfterOperandSeparator = style === 'plain';
  if (style === 'loud') {
    formatter.uppercaseAll = true;
    formatter.memorySizeOptions = iced.MemorySizeOptions.Always;
    formatter.alwaysShowSegmentRegister = true;
    formatter.numberBase = 10;
    formatter.spaceAfterMemoryBracket = true;
    formatter.spaceBetweenMemoryAddOperators = true;
  }
  return formatter;
}

interface Printed {
  text: string;
  code: number;
}

/**
 * Forms that differ only in which general register or which number they use teach nothing
 * new (and would make the run slow), so one form per iced Code and "shape" is kept.
 */
function shapeKey(code: number, text: string): string {
  const shape = text
    .toLowerCase()
    .replace(/\b0x[0-9a-f]+\b|\b[0-9][0-9a-f]*h\b|\b\d+\b/g, 'N')
    .replace(/%?\b(?:r(?:[89]|1[0-5])[dwb]?|[re]?(?:ax|bx|cx|dx|si|di|sp|bp)|[abcd][lh]|(?:si|di|sp|bp)l)\b/g, 'R');
  return `${code}|${shape}`;
}

/** Distinct printed forms of everything the candidate bytes decode to, per syntax. */
function printedForms(bits: Bits, style: Style): Record<Syntax, Printed[]> {
  const syntaxes: Syntax[] = ['nasm', 'gas', 'intel', 'masm'];
  const formatters = syntaxes.map((syntax) => makeFormatter(syntax, style));
  const seen = syntaxes.map(() => new Set<string>());
  const result: Record<Syntax, Printed[]> = { nasm: [], gas: [], intel: [], masm: [] };
  try {
    for (const bytes of candidateBytes(bits)) {
      const decoder = new iced.Decoder(bits, bytes, iced.DecoderOptions.None);
      decoder.ip = 0x1000n;
      const instruction = decoder.decode();
      try {
        if (instruction.code === iced.Code.INVALID) continue;
        syntaxes.forEach((syntax, i) => {
          const text = formatters[i]!.format(instruction);
          const key = shapeKey(instruction.code, text);
          if (seen[i]!.has(key)) return;
          seen[i]!.add(key);
          result[syntax].push({ text, code: instruction.code });
        });
      } finally {
        instruction.free();
        decoder.free();
      }
    }
  } finally {
    for (const f of formatters) f.free();
  }
  return result;
}

interface Target {
  dialect: Dialect;
  assembler?: Assembler;
  /** Which printed forms feed this dialect. */
  from: Syntax[];
  comment: string;
  header: string[];
}

const TARGETS: readonly Target[] = [
  { dialect: 'nasm', assembler: 'nasm', from: ['nasm'], comment: ';', header: [] },
  { dialect: 'gas-att', assembler: 'gas', from: ['gas'], comment: '#', header: [] },
  // GNU as in Intel mode is closest to MASM's spelling; the XED-style Intel printer adds a few more.
  { dialect: 'gas-intel', assembler: 'gas', from: ['masm', 'intel'], comment: '#', header: ['.intel_syntax noprefix'] },
  { dialect: 'fasm', assembler: 'fasm', from: ['nasm'], comment: ';', header: [] },
  { dialect: 'masm', from: ['masm'], comment: ';', header: [] },
];

/** NASM's explicit size prefixes; FASM has no such keywords (it would reject every one, one slow re-run each). */
const NASM_ONLY_PREFIXES = /\b[oa](?:16|32|64)\b/;

/** MASM far-direct forms printed as `far ptr SEL:OFF` are not something MASM accepts, and there is no ml to ask. */
const MASM_UNASSEMBLABLE = /far ptr [0-9a-f]+h?:/i;

interface GeneratedFile {
  target: Target;
  bits: Bits;
  style: Style;
  lines: string[];
  /** 1-based line → expected rule ids (sorted), only lines with at least one. */
  expected: Map<number, string[]>;
  /** 1-based line → what the expectation came from (iced Code names). */
  codes: Map<number, string>;
  accepted: number;
  rejected: number;
  /** Lines the assembler accepted but encoded into bytes iced cannot decode (an assembler bug, e.g. FASM 1.73's RDPID). */
  undecodable: string[];
}

const CODE_NAMES: string[] = [];
for (const [name, value] of Object.entries(iced.Code)) if (typeof value === 'number') CODE_NAMES[value] = name;

function rejectedLines(assembler: Assembler, error: AssemblyFailedError, lines: string[]): number[] {
  const message = error.message;
  if (assembler === 'nasm') return [...message.matchAll(/src\.asm:(\d+): error/g)].map((m) => Number(m[1]));
  if (assembler === 'gas') return [...message.matchAll(/src\.s:(\d+): Error/g)].map((m) => Number(m[1]));
  // fasm stops at the first error and echoes the offending source line after `src.asm [N]:`.
  const echoed = /src\.asm \[\d+\]:\n(.*)\n/.exec(message)?.[1];
  const index = echoed === undefined ? -1 : lines.indexOf(echoed);
  return index >= 0 ? [index + 1] : [];
}

const CHUNK_LINES = 25;

/**
 * Assembles lines [from, to) (0-based) of `lines` behind the target's header, replacing every
 * line the assembler rejects with a comment, and reports each remaining line's bytes by its
 * 1-based line number in the whole file.
 */
function assembleChunk(target: Target, bits: Bits, lines: string[], from: number, to: number, onLine: (line: number, bytes: Uint8Array) => void): void {
  const assembler = target.assembler!;
  const header = target.header.length;
  for (let attempt = 0; attempt <= to - from; attempt++) {
    const chunk = [...target.header, ...lines.slice(from, to)];
    try {
      const byLine = assemble(assembler, chunk.join('\n') + '\n', { bits });
      for (const [local, bytes] of byLine) if (local > header) onLine(from + (local - header), bytes);
      return;
    } catch (error) {
      if (!(error instanceof AssemblyFailedError)) throw error;
      const bad = rejectedLines(assembler, error, chunk).filter((n) => n > header);
      if (bad.length === 0) throw error;
      for (const n of bad) lines[from + (n - header) - 1] = `${target.comment} rejected by the assembler: ${chunk[n - 1]!.trim()}`;
    }
  }
  throw new Error(`${target.dialect}/${bits}: could not assemble lines ${from + 1}..${to}`);
}

function expectedRules(codes: number[]): string[] {
  return codes.map((c) => ruleForCode(c)).filter((r): r is RuleId => r !== undefined).sort();
}

/** `text|CodeName` of every line a file's assembler accepted. */
function acceptedForms(file: GeneratedFile): Set<string> {
  const out = new Set<string>();
  file.lines.forEach((line, i) => {
    const codes = file.codes.get(i + 1);
    if (codes !== undefined) out.add(`${line.trim()}|${codes}`);
  });
  return out;
}

function generate(target: Target, bits: Bits, style: Style, forms: Record<Syntax, Printed[]>, proxy?: Set<string>): GeneratedFile {
  const seen = new Set<string>();
  const body: Printed[] = [];
  for (const syntax of target.from) {
    for (const form of forms[syntax]) {
      if (seen.has(form.text)) continue;
      if (target.dialect === 'masm' && MASM_UNASSEMBLABLE.test(form.text)) continue;
      if (target.dialect === 'fasm' && NASM_ONLY_PREFIXES.test(form.text)) continue;
      if (proxy && !proxy.has(`${form.text}|${CODE_NAMES[form.code] ?? ''}`)) continue;
      seen.add(form.text);
      body.push(form);
    }
  }
  const lines = [...target.header, ...body.map((b) => `    ${b.text}`)];
  const expected = new Map<number, string[]>();
  const codes = new Map<number, string>();
  const undecodable: string[] = [];

  if (!target.assembler) {
    body.forEach((form, i) => {
      const rules = expectedRules([form.code]);
      const line = target.header.length + i + 1;
      if (rules.length > 0) expected.set(line, rules);
      codes.set(line, CODE_NAMES[form.code] ?? String(form.code));
    });
    return { target, bits, style, lines, expected, codes, accepted: body.length, rejected: 0, undecodable: [] };
  }

  // FASM stops at the first error, so every rejected line costs one re-run of its chunk: keep
  // its chunks small. NASM and GNU as report every bad line at once: one chunk.
  const header = target.header.length;
  const chunkLines = target.assembler === 'fasm' ? CHUNK_LINES : lines.length;
  for (let start = header; start < lines.length; start += chunkLines) {
    assembleChunk(target, bits, lines, start, Math.min(start + chunkLines, lines.length), (line, bytes) => {
      const decoded = decodeAll(bytes, bits);
      if (decoded.some((d) => d.codeName === 'INVALID')) {
        undecodable.push(`${lines[line - 1]!.trim()} → ${Buffer.from(bytes).toString('hex')}`);
        lines[line - 1] = `${target.comment} assembled to undecodable bytes: ${lines[line - 1]!.trim()}`;
        return;
      }
      const rules = expectedRules(decoded.map((d) => d.code));
      if (rules.length > 0) expected.set(line, rules);
      codes.set(line, decoded.map((d) => d.codeName).join(' '));
    });
  }
  const rejected = lines.filter((l) => l.startsWith(`${target.comment} rejected by the assembler`)).length;
  return { target, bits, style, lines, expected, codes, accepted: body.length - rejected - undecodable.length, rejected, undecodable };
}

interface Row {
  where: string;
  source: string;
  oracle: string;
  virtlint: string;
}

function compareFile(file: GeneratedFile): Row[] {
  const result = analyzeText(file.lines.join('\n') + '\n', { dialect: file.target.dialect, bits: file.bits, rules: ['all'] });
  const found = new Map<number, string[]>();
  for (const f of result.findings) {
    const line = f.mnemonicRange.start.line + 1;
    found.set(line, [...(found.get(line) ?? []), f.ruleId]);
  }
  const rows: Row[] = [];
  const all = new Set([...file.expected.keys(), ...found.keys()]);
  for (const line of [...all].sort((a, b) => a - b)) {
    const want = file.expected.get(line) ?? [];
    const got = (found.get(line) ?? []).sort();
    if (want.join(',') === got.join(',')) continue;
    rows.push({
      where: `${file.target.dialect}/${file.bits}/${file.style}:${line}`,
      source: (file.lines[line - 1] ?? '').trim(),
      oracle: want.length ? `${want.join(' ')} (${file.codes.get(line) ?? ''})` : `- (${file.codes.get(line) ?? ''})`,
      virtlint: got.join(' ') || '-',
    });
  }
  return rows;
}

function table(rows: readonly Row[]): string {
  const all = [{ where: 'where', source: 'generated line', oracle: 'oracle (iced Code)', virtlint: 'virtlint' }, ...rows];
  const keys = ['where', 'source', 'oracle', 'virtlint'] as const;
  const widths = keys.map((k) => Math.max(...all.map((r) => r[k].length)));
  return all.map((r) => keys.map((k, i) => r[k].padEnd(widths[i]!)).join(' | ')).join('\n');
}

function packageRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}

const REPORT_FILE = path.join(packageRoot(), 'out', 'test-reports', 'generated-oracle.txt');
const BITS_LIST: readonly Bits[] = [16, 32, 64];
const STYLES: readonly Style[] = ['plain', 'loud'];

describe('generated oracle: iced formatters → assemblers → iced decoder vs virtlint', function () {
  this.timeout(300_000);
  const files: GeneratedFile[] = [];
  const rows: Row[] = [];

  before(() => {
    for (const style of STYLES) {
      for (const bits of BITS_LIST) {
        const forms = printedForms(bits, style);
        for (const target of TARGETS) {
          const gasIntel = files.find((f) => f.bits === bits && f.style === style && f.target.dialect === 'gas-intel');
          const proxy = target.assembler === undefined && gasIntel ? acceptedForms(gasIntel) : undefined;
          files.push(generate(target, bits, style, forms, proxy));
        }
      }
    }
  });

  after(() => {
    fs.mkdirSync(path.dirname(REPORT_FILE), { recursive: true });
    const counts = files.map(
      (f) =>
        `${f.target.dialect}/${f.bits}/${f.style}: ${f.accepted} lines kept, ${f.rejected} rejected by the assembler, ${f.expected.size} sensitive` +
        (f.undecodable.length ? `; assembled to undecodable bytes (assembler bug): ${f.undecodable.join('; ')}` : ''),
    );
    fs.writeFileSync(REPORT_FILE, `${counts.join('\n')}\n\n${rows.length} mismatching line(s)\n${rows.length ? table(rows) : ''}\n`);
  });

  it('generates enough sensitive forms for every dialect and mode', () => {
    assert.equal(files.length, TARGETS.length * BITS_LIST.length * STYLES.length);
    for (const f of files) {
      const name = `${f.target.dialect}/${f.bits}/${f.style}`;
      assert.ok(f.expected.size >= 25, `${name}: only ${f.expected.size} sensitive lines`);
      assert.ok(f.accepted >= f.rejected, `${name}: the assembler rejected ${f.rejected} of ${f.accepted + f.rejected} printed lines`);
    }
  });

  for (const style of STYLES) {
    for (const target of TARGETS) {
      for (const bits of BITS_LIST) {
        it(`${target.dialect}/${bits}, ${style} spelling: virtlint agrees with the decoder on every generated line`, () => {
          const file = files.find((f) => f.target === target && f.bits === bits && f.style === style)!;
          const mismatches = compareFile(file);
          rows.push(...mismatches);
          assert.equal(mismatches.length, 0, `${mismatches.length} line(s) differ:\n${table(mismatches)}`);
        });
      }
    }
  }
});
