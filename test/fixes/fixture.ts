// Builds small assembly files around one sensitive instruction, with the Finding the
// analyzer would produce for it (so the fix engine can be tested without the analyzer),
// then checks a fix by assembling before/after and decoding with iced-x86.
import * as assert from 'node:assert/strict';
import * as iced from 'iced-x86';
import { parseOperand, splitOperands } from '../../server/src/analysis/syntax/operands';
import { ruleForCode, type AnalysisResult, type Bits, type Dialect, type Finding, type ParsedInstruction, type RuleId } from '../../server/src/analysis';
import { applyEdits, FORCED_EMULATION_PREFIX, hypercallDefinitions, type FixOptions, type QuickFix } from '../../server/src/analysis/fixes';
import { assemble as assembleUncached, type Assembler, type LineBytes } from '../helpers/assemble';

// The same "before" file is assembled for every fix of a fixture; spawning the assembler is the slow part.
const assembled = new Map<string, LineBytes>();
function assemble(assembler: Assembler, source: string, options: { bits: Bits }): LineBytes {
  const key = `${assembler}/${options.bits}\n${source}`;
  let bytes = assembled.get(key);
  if (!bytes) {
    bytes = assembleUncached(assembler, source, options);
    if (assembled.size > 2000) assembled.clear();
    assembled.set(key, bytes);
  }
  return bytes;
}

export type TestDialect = Exclude<Dialect, 'masm'>;
export const ASSEMBLED_DIALECTS: readonly TestDialect[] = ['nasm', 'gas-att', 'gas-intel', 'fasm'];

export interface FixtureSpec {
  dialect: Dialect;
  bits: Bits;
  ruleId: RuleId;
  /** The instruction as written in the dialect, e.g. `smsw [rsp+8]`, `lar %cx, %eax`. */
  instruction: string;
  abi?: FixOptions['abi'];
}

export interface Fixture {
  spec: FixtureSpec;
  text: string;
  /** 0-based line of the sensitive instruction. */
  line: number;
  finding: Finding;
  result: AnalysisResult;
}

const LABEL = 'target_site';
const COMMENT_TEXT = 'keep this comment';

export function assemblerFor(dialect: Dialect): Assembler {
  if (dialect === 'nasm') return 'nasm';
  if (dialect === 'fasm') return 'fasm';
  if (dialect === 'masm') throw new Error('no MASM assembler on this machine');
  return 'gas';
}

function comment(dialect: Dialect): string {
  return dialect === 'gas-att' || dialect === 'gas-intel' ? '#' : ';';
}

function neutralLines(dialect: Dialect): string[] {
  return dialect === 'gas-att'
    ? ['nop', 'mov $1, %eax', 'add %ecx, %ebx', 'lea 4(%ebx), %edx']
    : ['nop', 'mov eax, 1', 'add ebx, ecx', 'lea edx, [ebx+4]'];
}

/** Symbols the generated code refers to, defined so a flat binary links. */
function symbolLines(dialect: Dialect): string[] {
  const defs: [string, number][] = [['hypercall_page', 0x1000], ['hv_hypercall_pg', 0x2000], ['xen_vcpu_info', 0x3000]];
  switch (dialect) {
    case 'nasm':
    case 'masm':
      return defs.map(([n, v]) => `${n} equ 0x${v.toString(16)}`);
    case 'fasm':
      return defs.map(([n, v]) => `${n} = 0x${v.toString(16)}`);
    default:
      return defs.map(([n, v]) => `.set ${n}, 0x${v.toString(16)}`);
  }
}

function sizeHintOf(mnemonic: string): number | undefined {
  if (/^(pushf|popf|iret)q$/.test(mnemonic)) return 8;
  if (/^(pushf|popf|iret)[dl]$/.test(mnemonic)) return 4;
  if (/^(pushf|popf|iret)w$/.test(mnemonic)) return 2;
  if (/^(push|pop)[wlq]$/.test(mnemonic)) return { w: 2, l: 4, q: 8 }[mnemonic.slice(-1)];
  return undefined;
}

export function buildFixture(spec: FixtureSpec): Fixture {
  const { dialect, bits } = spec;
  const header: string[] = [];
  if (dialect === 'gas-intel') header.push('.intel_syntax noprefix');
  header.push(...hypercallDefinitions(dialect, spec.abi ?? 'kvm').trimEnd().split('\n'));
  header.push(...symbolLines(dialect));
  const neutral = neutralLines(dialect);
  const indent = '    ';
  const sensitive = `${LABEL}:${indent}${spec.instruction}   ${comment(dialect)} ${COMMENT_TEXT}`;
  const lines = [...header, ...neutral.slice(0, 2).map((l) => indent + l), sensitive, ...neutral.slice(2).map((l) => indent + l)];
  const line = header.length + 2;
  const text = lines.join('\n') + '\n';
  const instruction = parseInstruction(spec, line, sensitive.indexOf(spec.instruction));
  const finding: Finding = {
    ruleId: spec.ruleId,
    severity: 'warning',
    message: `${instruction.mnemonic} is sensitive`,
    range: instruction.range,
    mnemonicRange: instruction.mnemonicRange,
    instruction,
  };
  const result: AnalysisResult = {
    dialect,
    dialectSource: 'override',
    bits,
    bitsSource: 'override',
    bitsRegions: [{ startLine: 0, bits }],
    instructions: [instruction],
    findings: [finding],
    suppressed: [],
  };
  return { spec, text, line, finding, result };
}

export function parseInstruction(spec: FixtureSpec, line: number, start: number): ParsedInstruction {
  const written = spec.instruction;
  const space = written.search(/\s|$/);
  const mnemonic = written.slice(0, space).toLowerCase();
  const operands = splitOperands(written, space, written.length).map(([s, e]) =>
    parseOperand({ text: written.slice(s, e), masked: written.slice(s, e), line, start: start + s }, spec.dialect === 'gas-att' ? 'att' : 'intel', spec.dialect),
  );
  const hint = sizeHintOf(mnemonic);
  return {
    dialect: spec.dialect,
    bits: spec.bits,
    range: { start: { line, character: start }, end: { line, character: start + written.length } },
    mnemonicRange: { start: { line, character: start }, end: { line, character: start + space } },
    mnemonic,
    prefixes: [],
    operands,
    far: /^(l(call|jmp|ret)|retf)/.test(mnemonic) || /\bfar\b/i.test(written),
    ...(hint !== undefined ? { sizeHint: hint } : {}),
    inMacro: false,
    line,
  };
}

// ------------------------------------------------------------------ decoding

export interface Decoded {
  code: number;
  codeName: string;
  bytes: number[];
  /** Stack-pointer change (negative = pushed), when it is a plain push/pop/lea of SP. */
  stackDelta: number;
  memory?: { base: number; index: number; scale: number; displacement: bigint };
}

const CODE_NAMES: string[] = [];
for (const [name, value] of Object.entries(iced.Code)) if (typeof value === 'number') CODE_NAMES[value] = name;

export function decodeLine(bytes: Uint8Array, bits: Bits): Decoded[] {
  const decoder = new iced.Decoder(bits, bytes, iced.DecoderOptions.None);
  const out: Decoded[] = [];
  let offset = 0;
  try {
    while (decoder.canDecode) {
      const ins = decoder.decode();
      try {
        const codeName = CODE_NAMES[ins.code] ?? `Code#${ins.code}`;
        const entry: Decoded = { code: ins.code, codeName, bytes: [...bytes.subarray(offset, offset + ins.length)], stackDelta: stackDelta(ins, codeName) };
        offset += ins.length;
        for (let i = 0; i < ins.opCount; i++) {
          if (ins.opKind(i) === iced.OpKind.Memory && !codeName.startsWith('Lea_')) {
            entry.memory = { base: ins.memoryBase, index: ins.memoryIndex, scale: ins.memoryIndexScale, displacement: BigInt.asIntN(32, BigInt(ins.memoryDisplacement)) };
          }
        }
        if (codeName.startsWith('Lea_')) {
          entry.memory = { base: ins.memoryBase, index: ins.memoryIndex, scale: ins.memoryIndexScale, displacement: BigInt.asIntN(32, BigInt(ins.memoryDisplacement)) };
        }
        out.push(entry);
      } finally {
        ins.free();
      }
    }
  } finally {
    decoder.free();
  }
  return out;
}

function stackDelta(ins: iced.Instruction, codeName: string): number {
  if (codeName.startsWith('Lea_') && (ins.op0Register === iced.Register.RSP || ins.op0Register === iced.Register.ESP || ins.op0Register === iced.Register.SP)) {
    return Number(BigInt.asIntN(32, BigInt(ins.memoryDisplacement)));
  }
  if (codeName.startsWith('Call_')) return 0; // the callee returns to the next instruction
  return ins.stackPointerIncrement;
}

// ------------------------------------------------------------------ checking a fix

export interface CheckedFix {
  after: string;
  region: { line: number; text: string; decoded: Decoded[]; bytes: Uint8Array | undefined }[];
  allCodes: string[];
  netStack: number;
}

function bytesOf(map: LineBytes, line0: number): Uint8Array | undefined {
  return map.get(line0 + 1);
}

/**
 * Assembles the fixture before and after the fix and checks the properties every fix must
 * have: neutral lines keep their bytes, no unmarked line in the replacement decodes to a
 * sensitive instruction, marked lines still hold the rule's instruction, the prefix bytes
 * are exact. Returns the decoded replacement for fix-specific checks.
 */
export function checkFix(fixture: Fixture, fix: QuickFix): CheckedFix {
  const { spec } = fixture;
  const assembler = assemblerFor(spec.dialect);
  const after = applyEdits(fixture.text, [fix.edit]);
  const beforeBytes = assemble(assembler, fixture.text, { bits: spec.bits });
  const afterBytes = assemble(assembler, after, { bits: spec.bits });
  const added = fix.edit.newText.split('\n').length - 1;
  const beforeLines = fixture.text.split('\n');
  // Neutral lines: same bytes, shifted by the lines the fix added.
  for (let i = 0; i < beforeLines.length; i++) {
    if (i === fixture.line) continue;
    const j = i < fixture.line ? i : i + added;
    const b = bytesOf(beforeBytes, i);
    const a = bytesOf(afterBytes, j);
    assert.equal(hex(a), hex(b), `line ${i + 1} (${beforeLines[i]}) changed bytes after the fix`);
  }
  const original = bytesOf(beforeBytes, fixture.line);
  assert.ok(original && original.length > 0, 'the sensitive line produced no bytes before the fix');
  const afterLines = after.split('\n');
  const region: CheckedFix['region'] = [];
  let netStack = 0;
  const allCodes: string[] = [];
  for (let k = 0; k <= added; k++) {
    const line = fixture.line + k;
    const text = afterLines[line]!;
    const bytes = bytesOf(afterBytes, line);
    const isData = /(^|\s)(db|\.byte)\s/.test(text.replace(/^[^:]*:/, ' '));
    const decoded = bytes && !isData ? decodeLine(bytes, spec.bits) : [];
    region.push({ line, text, decoded, bytes });
    if (isData) {
      const flavour = bytes?.[2] === FORCED_EMULATION_PREFIX.xen[2] ? 'xen' : 'kvm';
      assert.deepEqual([...(bytes ?? [])], [...FORCED_EMULATION_PREFIX[flavour]], `prefix bytes on "${text}"`);
      const next = bytesOf(afterBytes, line + 1);
      assert.equal(hex(next), hex(original), 'the instruction after the forced-emulation prefix must be the original');
      continue;
    }
    for (const d of decoded) {
      assert.notEqual(d.codeName, 'INVALID', `undecodable bytes on "${text}"`);
      allCodes.push(d.codeName);
      netStack += d.stackDelta;
      const rule = ruleForCode(d.code);
      if (rule !== undefined) {
        const marked = new RegExp(`virtlint-fixed:\\s*${rule}\\b`).test(text);
        assert.ok(marked, `"${text}" still decodes to ${d.codeName} (rule ${rule}) without a virtlint-fixed marker`);
      }
    }
  }
  return { after, region, allCodes, netStack };
}

export function originalDecoded(fixture: Fixture): Decoded {
  const bytes = assemble(assemblerFor(fixture.spec.dialect), fixture.text, { bits: fixture.spec.bits }).get(fixture.line + 1);
  assert.ok(bytes, 'sensitive line has no bytes');
  const decoded = decodeLine(bytes, fixture.spec.bits);
  assert.equal(decoded.length, 1, `expected one instruction on the sensitive line, got ${decoded.map((d) => d.codeName).join(', ')}`);
  return decoded[0]!;
}

export function hex(bytes: Uint8Array | undefined): string {
  return bytes ? Buffer.from(bytes).toString('hex') : '(none)';
}
