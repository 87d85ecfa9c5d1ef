// The forced-emulation prefix inside inline assembly (analysis/embedded/prefixFix.ts), checked
// by the compilers: each fixture is fixed one finding at a time (as an editor applies quick
// fixes), the fixed file is compiled by gcc (-m32/-m64, -O0/-O2) or Debian's rustc, every
// instruction is mapped to its line through the DWARF line table (an asm statement's instructions
// are on its keyword's line), and the bytes right after each prefix are decoded with iced-x86: they
// must be the sensitive instructions the unfixed file compiled to, line by line, one prefix per
// fix, and re-linting the fixed file reports nothing.
// MSVC blocks get `_emit` statements, compiled by clang -fasm-blocks. The refusals (where no
// prefix can be written honestly) are checked on text.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as iced from 'iced-x86';
import { ruleForCode } from '../../server/src/analysis';
import { analyzeEmbedded, embeddedPrefixFix, type EmbeddedResult, type HostLanguage } from '../../server/src/analysis/embedded';
import { applyEdits, FORCED_EMULATION_PREFIX, type FixOptions } from '../../server/src/analysis/fixes';
import type { Finding } from '../../server/src/analysis/types';
import { compileHost, DEBIAN_RUSTC, type CompiledInstruction, type HostCompilation, type HostCompileOptions } from '../helpers/hostCompilers';
import { runCli } from '../cli/helpers';
import { RUST_32_ENV, RUST_32_PRELUDE } from '../rules/hostPrelude';

type Bits = 32 | 64;

function analyze(text: string, language: HostLanguage, bits: Bits, asmSyntax?: 'intel'): EmbeddedResult {
  return analyzeEmbedded(text, { language, rules: ['all'], build: { bits, ...(asmSyntax ? { asmSyntax } : {}) } });
}

interface FixedText {
  text: string;
  /** 1-based keyword lines of the statements a prefix went into, one entry per prefix. */
  statements: number[];
  titles: string[];
}

/** The statement (its keyword's 1-based line) a finding is in. */
function statementLine(result: EmbeddedResult, finding: Finding): number {
  const at = finding.range.start;
  const block = result.blocks.find((b) => (b.range.start.line < at.line || (b.range.start.line === at.line && b.range.start.character <= at.character)) && (at.line < b.range.end.line || (at.line === b.range.end.line && at.character < b.range.end.character)));
  assert.ok(block, `no statement holds the finding at line ${at.line + 1}`);
  return block.keywordRange.start.line + 1;
}

/** Applies the first finding's prefix fix and analyses again, until no finding is left; every finding must get one. */
function fixOneByOne(text: string, language: HostLanguage, bits: Bits, options: FixOptions, asmSyntax?: 'intel'): FixedText {
  let current = text;
  const statements: number[] = [];
  const titles: string[] = [];
  for (let pass = 0; pass < 50; pass++) {
    const result = analyze(current, language, bits, asmSyntax);
    if (result.findings.length === 0) return { text: current, statements, titles };
    const finding = result.findings[0]!;
    const fix = embeddedPrefixFix(current, result, finding, options);
    assert.ok(fix, `no prefix fix for ${finding.ruleId} at line ${finding.range.start.line + 1}: ${current.split('\n')[finding.range.start.line]}`);
    statements.push(statementLine(result, finding));
    titles.push(fix.title);
    const next = applyEdits(current, [fix.edit]);
    assert.equal(next.split('\n').length, current.split('\n').length, 'the fix adds no line');
    current = next;
  }
  assert.fail('fixing did not settle in 50 passes');
}

function withFile<T>(name: string, text: string, run: (file: string) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtlint-prefix-fix-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return run(file).finally(() => fs.rmSync(dir, { recursive: true, force: true }));
}

const CODE_NAMES: string[] = [];
for (const [name, value] of Object.entries(iced.Code)) if (typeof value === 'number') CODE_NAMES[value] = name;

/** Per 1-based line of `file`: the sensitive instructions the compiler emitted there (not the callees'). */
function sensitiveByLine(compilation: HostCompilation, file: string): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const [line, list] of compilation.byLine.get(file) ?? new Map()) {
    const codes = list.filter((i: CompiledInstruction) => i.rule !== undefined && i.via === undefined).map((i: CompiledInstruction) => i.codeName);
    if (codes.length > 0) out.set(line, codes.sort());
  }
  return out;
}

/**
 * Per 1-based line of `file`: what follows each forced-emulation prefix found in the code there,
 * decoded on its own (KVM's signature bytes would otherwise swallow the instruction's first byte).
 */
function prefixedByLine(compilation: HostCompilation, file: string, prefix: readonly number[]): Map<number, string[]> {
  const bytes = new Map<number, number>();
  for (const instruction of compilation.instructions) {
    for (let k = 0; k < instruction.bytes.length / 2; k++) bytes.set(instruction.address + k, parseInt(instruction.bytes.slice(2 * k, 2 * k + 2), 16));
  }
  const run = (from: number, length: number): number[] => {
    const out: number[] = [];
    for (let a = from; a < from + length && bytes.has(a); a++) out.push(bytes.get(a)!);
    return out;
  };
  const out = new Map<number, string[]>();
  // Searched in the bytes, not among the decoded instructions: decoding runs on through a prefix and may swallow the next one.
  for (const instruction of compilation.instructions) {
    if (instruction.at?.file !== file) continue;
    for (let address = instruction.address; address < instruction.address + instruction.bytes.length / 2; address++) {
      if (run(address, prefix.length).join() !== prefix.join()) continue;
      const decoder = new iced.Decoder(compilation.bits, new Uint8Array(run(address + prefix.length, 15)), iced.DecoderOptions.None);
      try {
        const next = decoder.decode();
        try {
          assert.ok(ruleForCode(next.code), `line ${instruction.at.line}: the prefix is followed by ${CODE_NAMES[next.code]}, not a sensitive instruction`);
          const list = out.get(instruction.at.line) ?? [];
          list.push(CODE_NAMES[next.code]!);
          out.set(instruction.at.line, list.sort());
        } finally {
          next.free();
        }
      } finally {
        decoder.free();
      }
    }
  }
  return out;
}

interface OracleRun {
  name: string;
  language: HostLanguage;
  source: string;
  bits: Bits;
  compile: Omit<HostCompileOptions, 'source' | 'bits'>;
  asmSyntax?: 'intel';
}

/** How a fixture gets its prefixes: the editor's quick fixes one by one, or `virtlint --fix trap` on the file. */
type Fixer = 'editor' | 'cli';

/** `virtlint --fix trap` on the fixture in a folder of its own; a second run must change nothing. */
async function fixByCli(run: OracleRun, abi: FixOptions['abi']): Promise<FixedText> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtlint-prefix-cli-'));
  try {
    const file = path.join(dir, run.name);
    fs.writeFileSync(file, run.source);
    const argv = ['--no-config', '--rules', 'all', '--fix', 'trap', '--abi', abi, '--bits', String(run.bits), ...(run.asmSyntax ? ['--masm', run.asmSyntax] : []), '-f', 'json', run.name];
    const first = await runCli(argv, { cwd: dir });
    assert.equal(first.stderr, '', 'every finding of the fixture takes a prefix: nothing is refused');
    const fixed = fs.readFileSync(file, 'utf8');
    assert.notEqual(fixed, run.source, 'the CLI rewrote the file');
    const [report] = JSON.parse(first.stdout) as { messages: unknown[]; note?: string }[];
    assert.deepEqual(report!.messages, [], 'the report after --fix lists nothing left');
    const second = await runCli(argv, { cwd: dir });
    assert.equal(fs.readFileSync(file, 'utf8'), fixed, 'a second --fix trap changes nothing');
    assert.equal(second.stderr, '');
    assert.equal((JSON.parse(second.stdout) as { note?: string }[])[0]!.note, undefined, 'and says nothing was fixed');
    const markers = (text: string) => text.split('virtlint-fixed:').length - 1;
    return { text: fixed, statements: new Array<number>(markers(fixed) - markers(run.source)).fill(0), titles: [] };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Original and fixed compiled the same way: per statement, the prefixed instructions are exactly the original's sensitive ones. */
async function checkCompiled(run: OracleRun, abi: FixOptions['abi'], fixer: Fixer = 'editor'): Promise<void> {
  const original = analyze(run.source, run.language, run.bits, run.asmSyntax);
  assert.ok(original.findings.length >= 4, `the fixture reports too little: ${original.findings.map((f) => f.ruleId).join(', ')}`);
  const fixed = fixer === 'cli' ? await fixByCli(run, abi) : fixOneByOne(run.source, run.language, run.bits, { abi }, run.asmSyntax);
  assert.equal(fixed.statements.length, original.findings.length, 'one prefix per finding');
  const needs = abi === 'xen' ? "Xen's forced-emulation marker \\((needs Xen's hvm_fep \\(debug builds\\)|Xen emulates CPUID for PV guests)\\)" : "KVM's forced-emulation marker \\(needs kvm\\.force_emulation_prefix=1\\)";
  const expectedTitle = new RegExp(`^Prefix [A-Z0-9]+ with ${needs}( in the body of \\w+ \\(changes every use\\))?$`);
  for (const title of fixed.titles) assert.match(title, expectedTitle);
  assert.deepEqual(analyze(fixed.text, run.language, run.bits, run.asmSyntax).findings, [], 're-lint reports the fixed lines as fixed');
  assert.deepEqual(analyze(fixed.text, run.language, run.bits, run.asmSyntax).suppressed, [], 'nothing is merely suppressed');
  const prefix = FORCED_EMULATION_PREFIX[abi === 'xen' ? 'xen' : 'kvm'];
  const before = await withFile(run.name, run.source, async (file) => ({ file, sensitive: sensitiveByLine(await compileHost({ ...run.compile, source: file, bits: run.bits }), file) }));
  const after = await withFile(run.name, fixed.text, async (file) => ({ file, prefixed: prefixedByLine(await compileHost({ ...run.compile, source: file, bits: run.bits }), file, prefix) }));
  // Compared per DWARF line (a statement's keyword line; clang puts consecutive MSVC `__asm` lines on the first).
  const lines = new Set([...before.sensitive.keys(), ...after.prefixed.keys()]);
  for (const line of lines) {
    assert.deepEqual(after.prefixed.get(line) ?? [], before.sensitive.get(line) ?? [], `line ${line}: what follows the prefixes vs the unfixed build's sensitive instructions`);
  }
  let prefixes = 0;
  for (const list of after.prefixed.values()) prefixes += list.length;
  assert.equal(prefixes, fixed.statements.length, `prefixes in the code vs fixes applied${fixer === 'editor' ? ` (in the statements at lines ${fixed.statements.join(', ')})` : ' (virtlint-fixed markers written)'}`);
  assert.ok(before.sensitive.size > 0, 'the unfixed build has sensitive instructions');
}

// One sensitive instruction per form the fix writes: its own literal, spliced after `\n\t` or
// `;`, after a label, inside a statement over several lines, Intel syntax switched on inside, in
// the body of a macro of the file (the edit is in the body: every use changes).
const C_FIXTURE = [
  'struct desc { unsigned short limit; unsigned long base; } __attribute__((packed));',
  'void own_literal(struct desc *d) { asm volatile("sgdt %0" : "=m"(*d)); }',
  'unsigned long after_newline(void) { unsigned long fl; asm volatile("nop\\n\\tpushf\\n\\tpop %0" : "=r"(fl)); return fl; }',
  'void after_semicolon(struct desc *d) { asm volatile("nop; sidt %0; nop" : "=m"(*d)); }',
  'unsigned probe(void) { unsigned a, b, c, d; asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0)); return a ^ b ^ c ^ d; }',
  'unsigned short labelled(void) { unsigned short s; asm volatile("1: str %0" : "=r"(s)); return s; }',
  'unsigned long multi_line(void) {',
  '  unsigned long x;',
  '  asm volatile("nop\\n\\t"',
  '               "  smsw %0\\n\\t"',
  '               "nop" : "=r"(x));',
  '  return x;',
  '}',
  'unsigned two_in_one(void) { unsigned lo, hi; asm volatile("rdtsc\\n\\tpushf\\n\\tpopf" : "=a"(lo), "=d"(hi)); return lo ^ hi; }',
  'unsigned short intel_inside(void) { unsigned short s; asm volatile(".intel_syntax noprefix\\n\\tsldt ax\\n\\t.att_syntax" : "=a"(s)); return s; }',
  '#define STORE_IDT(p) \\',
  '  asm volatile("nop\\n\\tsidt %0" : "=m"(*(p)))',
  'void through_macro(struct desc *d) { STORE_IDT(d); }',
  '',
].join('\n');

const C_INTEL_FIXTURE = [
  'struct desc { unsigned short limit; unsigned long base; } __attribute__((packed));',
  'void own_literal(struct desc *d) { asm volatile("sgdt %0" : "=m"(*d)); }',
  'unsigned long spliced(void) { unsigned long fl; asm volatile("nop\\n\\tpushf\\n\\tpop %0" : "=r"(fl)); return fl; }',
  'unsigned short store_tr(void) { unsigned short s; asm volatile("nop; str %0" : "=r"(s)); return s; }',
  'unsigned long long stamp(void) { unsigned lo, hi; asm volatile("rdtsc" : "=a"(lo), "=d"(hi)); return lo; }',
  '',
].join('\n');

// Every function differs from the others: LLVM merges identical ones, leaving one line.
const RUST_FIXTURE = [
  'use core::arch::asm;',
  '#[no_mangle]',
  'pub unsafe fn own_argument(p: *mut u8) { asm!("sgdt [{}]", in(reg) p); }',
  '#[no_mangle]',
  'pub unsafe fn second_argument() -> u64 { let f: u64; asm!("nop", "pushfq", "pop {}", out(reg) f); f }',
  '#[no_mangle]',
  'pub unsafe fn after_semicolon() -> u64 { let f: u64; asm!("nop; nop; pushfq; pop {}", out(reg) f); f }',
  '#[no_mangle]',
  'pub unsafe fn after_newline(p: *mut u8) { asm!("nop\\n\\tsidt [{}]", in(reg) p); }',
  '#[no_mangle]',
  'pub unsafe fn att(p: *mut u8) { asm!("nop", "sgdt ({})", in(reg) p, options(att_syntax)); }',
  '#[no_mangle]',
  'pub unsafe fn several_lines(p: *mut u16) {',
  '    asm!(',
  '        "nop",',
  '        "sldt word ptr [{}]",',
  '        in(reg) p,',
  '    );',
  '}',
  '#[no_mangle]',
  'pub unsafe fn raw_string(p: *mut u8) { asm!(r#"sidt [{}]"#, "nop", in(reg) p); }',
  '#[no_mangle]',
  'pub unsafe fn stamp() -> u64 { let lo: u64; asm!("rdtsc", "shl rdx, 32", "or rax, rdx", out("rax") lo, out("rdx") _); lo }',
  '',
].join('\n');

// The same forms for i686: Debian's rustc has no i686 `core`, so the crate is `#![no_core]` with
// the prelude's lang items and built-in asm! (RUSTC_BOOTSTRAP=1).
const RUST_32_FIXTURE = [
  RUST_32_PRELUDE,
  '#[no_mangle]',
  'pub unsafe fn own_argument(p: *mut u8) { core::arch::asm!("sgdt [{}]", in(reg) p); }',
  '#[no_mangle]',
  'pub unsafe fn second_argument() -> u32 { let f: u32; core::arch::asm!("nop", "pushfd", "pop {}", out(reg) f); f }',
  '#[no_mangle]',
  'pub unsafe fn after_semicolon() -> u32 { let f: u32; core::arch::asm!("nop; nop; pushfd; pop {}", out(reg) f); f }',
  '#[no_mangle]',
  'pub unsafe fn after_newline(p: *mut u8) { core::arch::asm!("nop\\n\\tsidt [{}]", in(reg) p); }',
  '#[no_mangle]',
  'pub unsafe fn att(p: *mut u8) { core::arch::asm!("nop", "sgdt ({})", in(reg) p, options(att_syntax)); }',
  '#[no_mangle]',
  'pub unsafe fn several_lines(p: *mut u16) {',
  '    core::arch::asm!(',
  '        "nop",',
  '        "sldt word ptr [{}]",',
  '        in(reg) p,',
  '    );',
  '}',
  '#[no_mangle]',
  'pub unsafe fn raw_string(p: *mut u8) { core::arch::asm!(r#"sidt [{}]"#, "nop", in(reg) p); }',
  '#[no_mangle]',
  'pub unsafe fn segments() -> u32 { let v: u32; core::arch::asm!("push ds", "pop es", "str {0:x}", out(reg) v); v }',
  '',
].join('\n');

// MSVC blocks and lines, as clang's -fasm-blocks reads them (32-bit, as MSVC's inline assembler).
const MSVC_FIXTURE = [
  'void block(void *p) {',
  '  __asm {',
  '    mov eax, p',
  '    sgdt [eax]',
  '    nop',
  '  }',
  '}',
  'void single_lines(void *p) {',
  '  __asm mov eax, p',
  '  __asm sidt [eax]',
  '}',
  'unsigned flags(void) {',
  '  unsigned f;',
  '  __asm { pushfd',
  '    pop eax',
  '    mov f, eax }',
  '  return f;',
  '}',
  'void one_liner(void *p) { __asm { mov eax, p } __asm { str word ptr [eax] } }',
  '',
].join('\n');

describe('embedded: forced-emulation prefix inside inline assembly, compiled', function () {
  this.timeout(300_000);
  for (const abi of ['kvm', 'xen'] as const) {
    for (const bits of [32, 64] as const) {
      for (const optimize of [0, 2] as const) {
        it(`gcc -m${bits} -O${optimize}, ${abi} prefix`, () => checkCompiled({ name: 'fixture.c', language: 'c', source: C_FIXTURE, bits, compile: { compiler: 'gcc', optimize } }, abi));
      }
    }
    it(`gcc -m64 -O2 -masm=intel, ${abi} prefix`, () => checkCompiled({ name: 'intel.c', language: 'c', source: C_INTEL_FIXTURE, bits: 64, asmSyntax: 'intel', compile: { compiler: 'gcc', optimize: 2, flags: ['-masm=intel'] } }, abi));
    for (const optimize of [0, 2] as const) {
      it(`clang -m32 -O${optimize} -fasm-blocks (MSVC __asm), ${abi} prefix`, () => checkCompiled({ name: 'msvc.c', language: 'c', source: MSVC_FIXTURE, bits: 32, compile: { compiler: 'clang', optimize, flags: ['-fms-extensions', '-fasm-blocks'] } }, abi));
    }
    for (const optimize of [0, 2] as const) {
      it(`${DEBIAN_RUSTC} x86_64 opt-level=${optimize}, ${abi} prefix`, () => checkCompiled({ name: 'fixture.rs', language: 'rust', source: RUST_FIXTURE, bits: 64, compile: { compiler: 'rustc', optimize } }, abi));
      it(`${DEBIAN_RUSTC} i686 #![no_core] opt-level=${optimize}, ${abi} prefix`, () => checkCompiled({ name: 'fixture32.rs', language: 'rust', source: RUST_32_FIXTURE, bits: 32, compile: { compiler: 'rustc', optimize, env: RUST_32_ENV } }, abi));
    }
  }
});

// The same fixtures fixed by `virtlint --fix trap` on the file (every prefix at once, to a fixed
// point): the CLI must write what the editor writes, and a second run must be a no-op.
describe('embedded: virtlint --fix trap on host files, compiled', function () {
  this.timeout(300_000);
  for (const abi of ['kvm', 'xen'] as const) {
    for (const bits of [32, 64] as const) {
      it(`gcc -m${bits} -O2, ${abi} prefix`, () => checkCompiled({ name: 'fixture.c', language: 'c', source: C_FIXTURE, bits, compile: { compiler: 'gcc', optimize: 2 } }, abi, 'cli'));
    }
    it(`gcc -m64 -O0 -masm=intel, ${abi} prefix`, () => checkCompiled({ name: 'intel.c', language: 'c', source: C_INTEL_FIXTURE, bits: 64, asmSyntax: 'intel', compile: { compiler: 'gcc', optimize: 0, flags: ['-masm=intel'] } }, abi, 'cli'));
    it(`clang -m32 -O2 -fasm-blocks (MSVC __asm), ${abi} prefix`, () => checkCompiled({ name: 'msvc.c', language: 'c', source: MSVC_FIXTURE, bits: 32, compile: { compiler: 'clang', optimize: 2, flags: ['-fms-extensions', '-fasm-blocks'] } }, abi, 'cli'));
    it(`${DEBIAN_RUSTC} x86_64 opt-level=2, ${abi} prefix`, () => checkCompiled({ name: 'fixture.rs', language: 'rust', source: RUST_FIXTURE, bits: 64, compile: { compiler: 'rustc', optimize: 2 } }, abi, 'cli'));
    it(`${DEBIAN_RUSTC} i686 #![no_core] opt-level=2, ${abi} prefix`, () => checkCompiled({ name: 'fixture32.rs', language: 'rust', source: RUST_32_FIXTURE, bits: 32, compile: { compiler: 'rustc', optimize: 2, env: RUST_32_ENV } }, abi, 'cli'));
  }
});

function firstFix(text: string, language: HostLanguage, options: FixOptions = { abi: 'kvm' }, bits: Bits = 64) {
  const result = analyze(text, language, bits);
  assert.ok(result.findings.length > 0, `the sample reports nothing: ${text}`);
  return { finding: result.findings[0]!, fix: embeddedPrefixFix(text, result, result.findings[0]!, options) };
}

describe('embedded: forced-emulation prefix inside inline assembly, text', () => {
  it('writes the bytes as the spliced or separate literal the brief shows, with the marker on the line', () => {
    const own = firstFix('void f(void *p) { asm volatile("sgdt (%0)" :: "r"(p) : "memory"); }\n', 'c').fix!;
    assert.equal(own.edit.newText, '".byte 0x0f,0x0b,0x6b,0x76,0x6d\\n\\t" /* virtlint-fixed: sgdt -- KVM forced-emulation prefix, needs kvm.force_emulation_prefix=1 */ ');
    assert.equal(own.title, "Prefix SGDT with KVM's forced-emulation marker (needs kvm.force_emulation_prefix=1)");
    const spliced = firstFix('void f(void) { asm volatile("nop\\n    pushf\\n    popf"); }\n', 'c').fix!;
    assert.ok(spliced.edit.newText.startsWith('.byte 0x0f,0x0b,0x6b,0x76,0x6d\\n    pushf\\n'), spliced.edit.newText);
  });

  it('writes one _emit statement per byte in an MSVC block, before the instruction', () => {
    const fix = firstFix('void f(void) {\n  __asm {\n    sgdt [eax]\n  }\n}\n', 'c', { abi: 'kvm' }, 32).fix!;
    assert.equal(fix.edit.newText, '_emit 0x0f __asm _emit 0x0b __asm _emit 0x6b __asm _emit 0x76 __asm _emit 0x6d /* virtlint-fixed: sgdt -- KVM forced-emulation prefix, needs kvm.force_emulation_prefix=1 */ __asm ');
    assert.deepEqual(fix.edit.range.start, { line: 2, character: 4 });
  });

  it('says so when the statement is in the body of a macro of the file', () => {
    const text = '#define STORE_IDT(p) \\\n  asm volatile("sidt %0" : "=m"(*(p)))\nvoid a(void *d) { STORE_IDT(d); }\nvoid b(void *d) { STORE_IDT(d); }\n';
    const { fix } = firstFix(text, 'c');
    assert.equal(fix?.title, "Prefix SIDT with KVM's forced-emulation marker (needs kvm.force_emulation_prefix=1) in the body of STORE_IDT (changes every use)");
    assert.equal(firstFix('void f(void *p) { asm volatile("sidt (%0)" :: "r"(p)); }\n', 'c').fix?.title.includes('body'), false);
  });

  it('takes the prefix from the ABI setting: Xen for xen and a custom template that says so; Xen CPUID is preferred', () => {
    const sample = 'unsigned f(void) { unsigned a; asm volatile("cpuid" : "=a"(a) : "a"(0) : "ebx", "ecx", "edx"); return a; }\n';
    const xen = firstFix(sample, 'c', { abi: 'xen' }).fix!;
    assert.ok(xen.edit.newText.includes('.byte 0x0f,0x0b,0x78,0x65,0x6e'));
    assert.equal(xen.title, "Prefix CPUID with Xen's forced-emulation marker (Xen emulates CPUID for PV guests)");
    assert.equal(xen.isPreferred, true);
    const custom = firstFix(sample, 'c', { abi: 'custom', customTemplate: '@prefix xen|vmcall' }).fix!;
    assert.ok(custom.edit.newText.includes('0x78,0x65,0x6e'));
    const kvm = firstFix(sample, 'c', { abi: 'hyperv' }).fix!;
    assert.ok(kvm.edit.newText.includes('0x6b,0x76,0x6d'));
    assert.equal(kvm.isPreferred, undefined);
    const sgdt = firstFix('void f(void *p) { asm volatile("sgdt (%0)" :: "r"(p)); }\n', 'c', { abi: 'xen' }).fix!;
    assert.equal(sgdt.title, "Prefix SGDT with Xen's forced-emulation marker (needs Xen's hvm_fep (debug builds))");
  });

  it('offers none for a finding whose catalogue entry lists no forced-emulation fix (a detection idiom)', () => {
    const text = 'unsigned f(void) { unsigned a, b, c, d; asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x40000000)); return b; }\n';
    const result = analyzeEmbedded(text, { language: 'c', profile: 'vm-detection-audit', build: { bits: 64 } });
    const idiom = result.findings.find((f) => f.ruleId === 'hypervisor-leaf');
    assert.ok(idiom, `the audit reports the hypervisor leaf: ${result.findings.map((f) => f.ruleId).join(', ')}`);
    assert.equal(embeddedPrefixFix(text, result, idiom, { abi: 'kvm' }), undefined);
  });

  const refused: { name: string; language: HostLanguage; text: string }[] = [
    { name: 'a prefix statement before it (lock;)', language: 'c', text: 'void f(void) { asm volatile("lock; sgdt (%%eax)" ::: "memory"); }\n' },
    { name: 'a prefix statement on the line above', language: 'c', text: 'void f(void) { asm volatile("data16\\n\\tsgdt (%%eax)" ::: "memory"); }\n' },
    { name: 'a {att|intel} alternative', language: 'c', text: 'void f(void *p) { asm volatile("{sgdt (%0)|sgdt [%0]}" :: "r"(p)); }\n' },
    { name: 'an intrinsic', language: 'c', text: '#include <x86intrin.h>\nunsigned long long f(void) { return __rdtsc(); }\n' },
    { name: 'an instruction a stringified macro argument wrote', language: 'c', text: '#define S(x) #x\nvoid f(void *p) { asm volatile(S(sgdt (%0)) :: "r"(p)); }\n' },
    { name: 'a C++ raw string', language: 'cpp', text: 'void f(void *p) { asm volatile(R"(sgdt (%0))" :: "r"(p)); }\n' },
    { name: 'a line inside a multi-line Rust string', language: 'rust', text: 'pub unsafe fn f(p: *mut u8) {\n    core::arch::asm!("nop\n        sidt [{}]", in(reg) p);\n}\n' },
    { name: 'two instructions of one rule on one line (one marker would hide the second)', language: 'c', text: 'void f(void) { asm volatile("pushf\\n\\tpopf\\n\\tpushf\\n\\taddl $8, %%esp" ::: "memory"); }\n' },
    { name: 'two statements of one rule on one line', language: 'rust', text: 'pub unsafe fn f(p: *mut u8) { core::arch::asm!("sgdt [{}]", in(reg) p); core::arch::asm!("sgdt [{}]", in(reg) p); }\n' },
    { name: 'a Rust template built by concat!', language: 'rust', text: 'pub unsafe fn f(p: *mut u8) { core::arch::asm!(concat!("sgdt ", "[{}]"), in(reg) p); }\n' },
  ];
  for (const sample of refused) {
    it(`offers none for ${sample.name}`, () => {
      const result = analyze(sample.text, sample.language, 32);
      if (sample.name.startsWith('a Rust template built')) {
        // The front end may not read concat! at all; if it does, the fix must still refuse.
        for (const finding of result.findings) assert.equal(embeddedPrefixFix(sample.text, result, finding, { abi: 'kvm' }), undefined);
        return;
      }
      assert.ok(result.findings.length > 0, 'the sample must report something');
      const shared = sample.name.startsWith('two ');
      for (const finding of result.findings) {
        if (shared && finding.ruleId !== (sample.language === 'rust' ? 'sgdt' : 'pushf')) continue; // the line's POPF has no twin
        assert.equal(embeddedPrefixFix(sample.text, result, finding, { abi: 'kvm' }), undefined, `${finding.ruleId} got a fix`);
      }
    });
  }
});
