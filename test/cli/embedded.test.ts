// The lint command on C, C++ and Rust sources: which files a walk takes, where findings point in
// the host text, the build's mode and syntax, stdin, and a header read both as assembly and as C.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseJsonReport, removeTree, runCli, tempTree, type JsonResult } from './helpers';

const GDT_C = [
  '#include <stdint.h>',
  'struct desc_ptr { uint16_t size; uint64_t address; } __attribute__((packed));',
  'static inline void store_gdt(struct desc_ptr *dtr)',
  '{',
  '\tasm volatile("sgdt %0" : "=m" (*dtr));',
  '}',
  '// sgdt in a comment is not code',
  'const char *name = "sgdt";',
  '',
].join('\n');

const FLAGS_CPP = [
  'class Flags {',
  'public:',
  '  unsigned long save() {',
  '    unsigned long f;',
  '    asm volatile("pushf\\n\\tpop %0" : "=rm" (f) : : "memory");',
  '    return f;',
  '  }',
  '};',
  '',
].join('\n');

const FLAGS_RS = [
  'pub fn save_flags() -> u64 {',
  '    let flags: u64;',
  '    unsafe {',
  '        core::arch::asm!("pushfq", "pop {0}", out(reg) flags);',
  '    }',
  '    flags',
  '}',
  '',
].join('\n');

const ASM = 'bits 64\n    pushfq\n    ret\n';

/** The columns a 1-based message position names in `text`. */
function textAt(text: string, line: number, column: number, length: number): string {
  return text.split('\n')[line - 1]!.slice(column - 1, column - 1 + length);
}

function byName(results: JsonResult[], name: string): JsonResult {
  const found = results.find((result) => path.basename(result.filePath) === name);
  assert.ok(found, `no report for ${name} in ${results.map((r) => r.filePath).join(', ')}`);
  return found;
}

describe('cli: C, C++ and Rust sources', function () {
  this.timeout(60_000);
  let dir: string;

  beforeEach(() => {
    dir = tempTree({ 'gdt.c': GDT_C, 'flags.cpp': FLAGS_CPP, 'flags.rs': FLAGS_RS, 'boot.asm': ASM, 'notes.txt': 'sgdt\n' });
  });
  afterEach(() => removeTree(dir));

  it('walks C, C++, Rust and assembly, and points at the mnemonic inside the string', async () => {
    const run = await runCli(['-f', 'json', '.'], { cwd: dir });
    const results = parseJsonReport(run.stdout);
    assert.deepEqual(results.map((r) => path.basename(r.filePath)).sort(), ['boot.asm', 'flags.cpp', 'flags.rs', 'gdt.c']);
    const gdt = byName(results, 'gdt.c');
    assert.deepEqual(gdt.messages.map((m) => m.ruleId), ['sgdt']);
    const sgdt = gdt.messages[0]!;
    assert.equal(sgdt.line, 5);
    assert.equal(textAt(GDT_C, sgdt.line, sgdt.column, 4), 'sgdt');
    const flags = byName(results, 'flags.cpp');
    assert.deepEqual(flags.messages.map((m) => m.ruleId), ['pushf']);
    assert.equal(textAt(FLAGS_CPP, flags.messages[0]!.line, flags.messages[0]!.column, 5), 'pushf');
    const rust = byName(results, 'flags.rs');
    assert.deepEqual(rust.messages.map((m) => m.ruleId), ['pushf']);
    assert.equal(textAt(FLAGS_RS, rust.messages[0]!.line, rust.messages[0]!.column, 6), 'pushfq');
  });

  it('--languages narrows the walk', async () => {
    const onlyRust = parseJsonReport((await runCli(['-f', 'json', '--languages', 'rust', '.'], { cwd: dir })).stdout);
    assert.deepEqual(onlyRust.map((r) => path.basename(r.filePath)), ['flags.rs']);
    const asmAndC = parseJsonReport((await runCli(['-f', 'json', '--languages', 'asm,c', '.'], { cwd: dir })).stdout);
    assert.deepEqual(asmAndC.map((r) => path.basename(r.filePath)).sort(), ['boot.asm', 'gdt.c']);
    const bad = await runCli(['--languages', 'cobol', '.'], { cwd: dir });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--languages/);
  });

  it('reads standard input as C when --stdin-filename names a C file', async () => {
    const run = await runCli(['-f', 'json', '--stdin-filename', 'x.c', '-'], { cwd: dir, stdin: GDT_C });
    const [result] = parseJsonReport(run.stdout);
    assert.deepEqual(result!.messages.map((m) => m.ruleId), ['sgdt']);
  });

  it('takes the mode from --bits: pushfl is valid only in 32-bit code', async () => {
    const source = 'void f(void) { unsigned int x; asm volatile("pushfl; popl %0" : "=r"(x)); }\n';
    const tree = tempTree({ 'f.c': source });
    try {
      const in32 = parseJsonReport((await runCli(['-f', 'json', '--bits', '32', 'f.c'], { cwd: tree })).stdout)[0]!;
      assert.deepEqual(in32.messages.map((m) => m.ruleId), ['pushf']);
      const in64 = parseJsonReport((await runCli(['-f', 'json', '--bits', '64', 'f.c'], { cwd: tree })).stdout)[0]!;
      assert.ok(in64.messages.some((m) => m.ruleId === 'invalid-in-mode'), JSON.stringify(in64.messages));
    } finally {
      removeTree(tree);
    }
  });

  it('takes -masm=intel from --masm and from compile_commands.json', async () => {
    // Extended asm (with a colon): GCC reads {att|intel} alternatives and %% only there.
    const source = 'void f(void) { asm volatile("{str %%ax|str ax}" : : ); }\nvoid g(void) { asm volatile("mov eax, 1" : : ); }\n';
    const tree = tempTree({ 'i.c': source });
    fs.writeFileSync(path.join(tree, 'compile_commands.json'), JSON.stringify([{ directory: tree, file: 'i.c', arguments: ['gcc', '-masm=intel', '-c', 'i.c'] }]));
    try {
      const intel = parseJsonReport((await runCli(['-f', 'json', '--report-unknown-mnemonics', 'i.c'], { cwd: tree })).stdout)[0]!;
      assert.deepEqual(intel.messages.map((m) => `${m.line}:${m.ruleId}`), ['1:str']);
      assert.equal(textAt(source, 1, intel.messages[0]!.column, 3), 'str');
      assert.ok(intel.messages[0]!.column > source.indexOf('|'), 'the Intel side of {att|intel}');
      const att = parseJsonReport((await runCli(['-f', 'json', '--masm', 'att', 'i.c'], { cwd: tree })).stdout)[0]!;
      assert.ok(att.messages[0]!.column < source.indexOf('|') + 1, 'the AT&T side of {att|intel}');
    } finally {
      removeTree(tree);
    }
  });

  it('--fix hypercall leaves a host file as it was and says why', async () => {
    const before = fs.readFileSync(path.join(dir, 'gdt.c'), 'utf8');
    const run = await runCli(['-f', 'json', '--fix', 'hypercall', 'gdt.c'], { cwd: dir });
    assert.equal(fs.readFileSync(path.join(dir, 'gdt.c'), 'utf8'), before);
    const [result] = parseJsonReport(run.stdout);
    assert.deepEqual(result!.messages.map((m) => m.ruleId), ['sgdt']);
    assert.match(result!.note ?? '', /^not fixed: --fix hypercall does not rewrite inline assembly: a hypercall uses registers/);
  });

  describe('--fix trap on host files', () => {
    const MIXED_C = [
      'void ok(void *p) { asm volatile("sgdt (%0)" :: "r"(p) : "memory"); }',
      'void locked(void) { asm volatile("lock; sidt (%%eax)" ::: "memory"); }',
      'unsigned long long stamp(void) { return __rdtsc(); }',
      'unsigned long three(void) { unsigned long m; asm volatile("pushf\\n\\tpopf\\n\\tsmsw %0" : "=r"(m)); return m; }',
      'void twice(void) { asm volatile("pushf\\n\\tpopf\\n\\tpushf\\n\\taddq $8, %%rsp" ::: "memory"); }',
      '',
    ].join('\n');
    const argv = ['--no-config', '-f', 'json', '--rules', 'all', '--fix', 'trap'];

    it('writes a prefix before each instruction the editor would, names each one it leaves and why, and a second run changes nothing', async () => {
      const tree = tempTree({ 'mixed.c': MIXED_C });
      try {
        const first = await runCli([...argv, 'mixed.c'], { cwd: tree });
        const fixed = fs.readFileSync(path.join(tree, 'mixed.c'), 'utf8');
        const lines = fixed.split('\n');
        assert.equal(lines.length, MIXED_C.split('\n').length, 'no line added');
        assert.match(lines[0]!, /asm volatile\(".byte 0x0f,0x0b,0x6b,0x76,0x6d\\n\\t" \/\* virtlint-fixed: sgdt -- KVM/);
        assert.equal(lines[1], MIXED_C.split('\n')[1], 'lock; sidt is left alone');
        assert.equal(lines[3]!.split('.byte 0x0f,0x0b,0x6b,0x76,0x6d').length - 1, 3, 'three prefixes in one literal (three passes)');
        const [report] = parseJsonReport(first.stdout);
        assert.deepEqual(report!.messages.map((m) => `${m.line}:${m.ruleId}`), ['2:sidt', '3:rdtsc', '5:pushf', '5:pushf']);
        assert.match(lines[4]!, /"pushf\\n\\t\.byte 0x0f,0x0b,0x6b,0x76,0x6d\\n\\tpopf\\n\\tpushf\\n/, 'the POPF beside two PUSHFs is prefixed');
        assert.equal(report!.note, 'fixed 5 instructions; the problems listed remain; 4 findings not fixed (the reasons are on stderr)');
        const stderr = first.stderr.trim().split('\n');
        assert.equal(stderr.length, 4, first.stderr);
        assert.match(stderr[0]!, /mixed\.c:2:\d+: sidt not fixed: a prefix statement \(lock;, rep;, data16\) applies to the instruction/);
        assert.match(stderr[1]!, /mixed\.c:3:\d+: rdtsc not fixed: an intrinsic call/);
        for (const line of stderr.slice(2)) assert.match(line, /mixed\.c:5:\d+: pushf not fixed: another instruction of the same rule on this line/);
        const second = await runCli([...argv, 'mixed.c'], { cwd: tree });
        assert.equal(fs.readFileSync(path.join(tree, 'mixed.c'), 'utf8'), fixed, 'idempotent');
        assert.equal(parseJsonReport(second.stdout)[0]!.note, '4 findings not fixed (the reasons are on stderr)');
        assert.equal(second.stderr, first.stderr);
      } finally {
        removeTree(tree);
      }
    });

    it('--fix-dry-run prints the diff (also for standard input) and writes nothing', async () => {
      const tree = tempTree({ 'flags.rs': FLAGS_RS });
      try {
        const run = await runCli(['--no-config', '--fix', 'trap', '--fix-dry-run', 'flags.rs'], { cwd: tree });
        assert.equal(fs.readFileSync(path.join(tree, 'flags.rs'), 'utf8'), FLAGS_RS);
        assert.match(run.stdout, /^\+ {8}core::arch::asm!\(".byte 0x0f,0x0b,0x6b,0x76,0x6d", \/\* virtlint-fixed: pushf -- KVM[^\n]*\*\/ "pushfq", "pop \{0\}", out\(reg\) flags\);$/m);
        const piped = await runCli(['--no-config', '--fix', 'trap', '--fix-dry-run', '--abi', 'xen', '--stdin-filename', 'flags.rs', '-'], { cwd: tree, stdin: FLAGS_RS });
        assert.match(piped.stdout, /^\+.*"\.byte 0x0f,0x0b,0x78,0x65,0x6e", \/\* virtlint-fixed: pushf -- Xen/m);
      } finally {
        removeTree(tree);
      }
    });
  });

  it('gives one report for a header read as assembly by a .S file and as C', async () => {
    const header = [
      '#ifdef __ASSEMBLY__',
      '.macro SAVE_FLAGS',
      '\tpushfq',
      '.endm',
      '#else',
      'static inline unsigned long save_flags(void) { unsigned long f; asm volatile("pushfq; popq %0" : "=r"(f)); return f; }',
      '#endif',
      '',
    ].join('\n');
    const tree = tempTree({ 'flags.h': header, 'entry.S': '#include "flags.h"\n\t.code64\nentry:\n\tSAVE_FLAGS\n\tret\n' });
    try {
      const results = parseJsonReport((await runCli(['-f', 'json', '-D', '__ASSEMBLY__', '.'], { cwd: tree })).stdout);
      const reports = results.filter((r) => path.basename(r.filePath) === 'flags.h');
      assert.equal(reports.length, 1, JSON.stringify(results.map((r) => r.filePath)));
      const lines = reports[0]!.messages.filter((m) => m.ruleId === 'pushf').map((m) => m.line).sort();
      assert.deepEqual(lines, [3, 6], 'the macro body read as assembly, and the C function with __ASSEMBLY__ left out for C');
    } finally {
      removeTree(tree);
    }
  });
});
