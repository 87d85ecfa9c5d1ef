// The bundled examples are what the README's first command lints: they must be real code that
// their assemblers accept, and virtlint must report exactly the instructions left unsuppressed.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runFasm } from '../helpers/fasm';
import { parseJsonReport, ROOT, ruleLines, runCli, spawnCli } from './helpers';

const EXAMPLES = path.join(ROOT, 'examples');
const read = (name: string) => fs.readFileSync(path.join(EXAMPLES, name), 'utf8');

/** 1-based line of the first line matching `needle` after the first line containing `anchor`. */
function lineAfter(text: string, anchor: string, needle: RegExp): number {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.includes(anchor));
  assert.ok(start >= 0, `anchor ${anchor} not found`);
  const offset = lines.slice(start).findIndex((l) => needle.test(l));
  assert.ok(offset >= 0, `${needle} not found after ${anchor}`);
  return start + offset + 1;
}

function assembleWith(tool: string, args: string[], cwd: string): void {
  const run = tool === 'fasm' ? runFasm(args, cwd) : spawnSync(tool, args, { cwd, encoding: 'utf8' });
  if (run.error) throw new Error(`${tool} is required by this test but could not be run: ${run.error.message}`);
  assert.equal(run.status, 0, `${tool} ${args.join(' ')} failed:\n${run.stdout}${run.stderr}`);
}

async function lint(argv: string[]) {
  const run = await runCli(['-f', 'json', ...argv]);
  const results = parseJsonReport(run.stdout);
  // Files the example includes are reported too (read in its mode); the example itself comes first.
  const named = argv[argv.length - 1]!;
  const result = results.find((r) => r.filePath.endsWith(named.replace(/^examples\//, '')));
  assert.ok(result, `${named} not in the report: ${results.map((r) => r.filePath).join(', ')}\n${run.stderr}`);
  return result;
}

describe('cli examples', function () {
  this.timeout(60_000);
  let out: string;
  before(() => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'virtlint-examples-'));
  });
  after(() => fs.rmSync(out, { recursive: true, force: true }));

  describe('assemble with the real tools', () => {
    it('kernel/boot.asm with nasm', () => assembleWith('nasm', ['-f', 'bin', '-o', path.join(out, 'boot.bin'), 'boot.asm'], path.join(EXAMPLES, 'kernel')));
    it('kernel/entry.S with gcc (cpp + GNU as), 32- and 64-bit objects', () => {
      assembleWith('gcc', ['-c', '-m32', '-o', path.join(out, 'entry32.o'), 'entry.S'], path.join(EXAMPLES, 'kernel'));
      assembleWith('gcc', ['-c', '-o', path.join(out, 'entry64.o'), 'entry.S'], path.join(EXAMPLES, 'kernel'));
    });
    it('vmdetect/timing.fasm with fasm', () => assembleWith('fasm', ['timing.fasm', path.join(out, 'timing.o')], path.join(EXAMPLES, 'vmdetect')));
    it('kernel/traps.c (with cpu.h) with gcc, 32- and 64-bit, and clang', () => {
      const kernel = path.join(EXAMPLES, 'kernel');
      assembleWith('gcc', ['-c', '-ffreestanding', '-m32', '-o', path.join(out, 'traps32.o'), 'traps.c'], kernel);
      assembleWith('gcc', ['-c', '-ffreestanding', '-o', path.join(out, 'traps64.o'), 'traps.c'], kernel);
      assembleWith('clang', ['-c', '-ffreestanding', '-o', path.join(out, 'traps-clang.o'), 'traps.c'], kernel);
    });
    it('vmdetect/cpuid.c with gcc -O2', () => assembleWith('gcc', ['-c', '-O2', '-o', path.join(out, 'cpuid.o'), 'cpuid.c'], path.join(EXAMPLES, 'vmdetect')));
    it("rust/cpu.rs with Debian's rustc", () =>
      assembleWith('/usr/bin/rustc', ['--edition', '2021', '--crate-type', 'lib', '--emit', 'obj', '-O', '-o', path.join(out, 'cpu-rs.o'), 'cpu.rs'], path.join(EXAMPLES, 'rust')));
  });

  it('boot.asm: NASM, starts 16-bit; the suppressed far jumps and segment loads stay quiet', async () => {
    const text = read('kernel/boot.asm');
    const result = await lint(['examples/kernel/boot.asm']);
    assert.equal(result.dialect, 'nasm');
    assert.equal(result.bits, 16);
    assert.deepEqual(ruleLines(result), [
      `${lineAfter(text, 'long_mode_entry:', /^\s+sidt\b/)}:sidt`,
      `${lineAfter(text, 'long_mode_entry:', /^\s+pushfq\b/)}:pushf`,
      `${lineAfter(text, 'long_mode_entry:', /^\s+popfq\b/)}:popf`,
      `${lineAfter(text, 'long_mode_entry:', /^\s+iretq\b/)}:iret`,
    ]);
    assert.equal(result.errorCount, 2);
  });

  it('boot.asm with --rules all also shows the CPUID probes', async () => {
    const text = read('kernel/boot.asm');
    const result = await lint(['--rules', 'all', 'examples/kernel/boot.asm']);
    const cpuidLines = result.messages.filter((m) => m.ruleId === 'cpuid').map((m) => m.line);
    const expected = text.split('\n').flatMap((l, i) => (/^\s+cpuid\b/.test(l) ? [i + 1] : []));
    assert.equal(expected.length, 2);
    assert.deepEqual(cpuidLines, expected);
  });

  it('entry.S: GNU as AT&T through cpp; far transfers, segment loads and the unsuppressed flag pair', async () => {
    const text = read('kernel/entry.S');
    const result = await lint(['examples/kernel/entry.S']);
    assert.equal(result.dialect, 'gas-att');
    assert.equal(result.bits, 32);
    const segLoads = text.split('\n').flatMap((l, i) => (/^\s+movw\s+%ax, %(ds|es|ss)/.test(l) ? [`${i + 1}:mov-sreg`] : []));
    assert.equal(segLoads.length, 3);
    assert.deepEqual(ruleLines(result), [
      `${lineAfter(text, '_start:', /^\s+ljmp\b/)}:far-jmp`,
      ...segLoads,
      `${lineAfter(text, '_start:', /^\s+lret\b/)}:far-ret`,
      `${lineAfter(text, 'kernel_main32:', /^\s+pushfl\b/)}:pushf`,
      `${lineAfter(text, 'kernel_main32:', /^\s+popfl\b/)}:popf`,
      `${lineAfter(text, '.code64', /^\s+lretq\b/)}:far-ret`,
    ]);
  });

  it('redpill.asm: MASM; Red Pill, No Pill and STR in every profile, the CPUID bit in the audit profile', async () => {
    const text = read('vmdetect/redpill.asm');
    const expected = [`${lineAfter(text, 'redpill PROC', /^\s+sidt\b/)}:sidt`, `${lineAfter(text, 'nopill PROC', /^\s+sldt\b/)}:sldt`, `${lineAfter(text, 'str_check PROC', /^\s+str\b/)}:str`];
    const plain = await lint(['examples/vmdetect/redpill.asm']);
    assert.equal(plain.dialect, 'masm');
    assert.equal(plain.bits, 32);
    assert.deepEqual(ruleLines(plain), expected);
    // The audit profile reads each check as the detection idiom it is: the stored value compared with a constant, the hypervisor bit tested.
    const audit = await lint(['--profile', 'vm-detection-audit', 'examples/vmdetect/redpill.asm']);
    const asIdioms = expected.map((hit) => hit.replace(/:(sidt|sldt|str)$/, ':red-pill'));
    assert.deepEqual(ruleLines(audit), [...asIdioms, `${lineAfter(text, 'hypervisor_bit PROC', /^\s+cpuid\b/)}:hypervisor-bit`]);
  });

  it('timing.fasm: FASM 64-bit; clean by default, timing and CPUID with --rules extended', async () => {
    const text = read('vmdetect/timing.fasm');
    const plain = await lint(['examples/vmdetect/timing.fasm']);
    assert.equal(plain.dialect, 'fasm');
    assert.equal(plain.bits, 64);
    assert.deepEqual(plain.messages, []);
    const extended = await lint(['--rules', 'extended', 'examples/vmdetect/timing.fasm']);
    assert.deepEqual(ruleLines(extended), [
      `${lineAfter(text, '.try:', /^\s+rdtsc\b/)}:rdtsc`,
      `${lineAfter(text, '.try:', /^\s+cpuid\b/)}:cpuid`,
      `${lineAfter(text, 'current_cpu:', /^\s+rdpid\b/)}:rdpid`,
    ]);
  });

  it('cpu.h: the accessors in inline assembly; LIDT is privileged, the suppressed POPF stays quiet', async () => {
    const text = read('kernel/cpu.h');
    const result = await lint(['examples/kernel/cpu.h']);
    assert.equal(result.dialect, 'c');
    assert.deepEqual(ruleLines(result), [`${lineAfter(text, 'store_idt(struct', /"sidt /)}:sidt`, `${lineAfter(text, 'save_flags(void)', /"pushf/)}:pushf`]);
  });

  it('traps.c: a macro from cpu.h is reported where it is used, and both segment loads of one asm statement', async () => {
    const text = read('kernel/traps.c');
    const result = await lint(['examples/kernel/traps.c']);
    assert.deepEqual(ruleLines(result), [
      `${lineAfter(text, 'current_data_selector', /savesegment\(/)}:mov-sreg`,
      `${lineAfter(text, 'reload_data_segments', /%%ds/)}:mov-sreg`,
      `${lineAfter(text, 'reload_data_segments', /%%es/)}:mov-sreg`,
    ]);
  });

  it('cpuid.c: intrinsics are clean by default and each one is reported in the audit profile', async () => {
    const text = read('vmdetect/cpuid.c');
    assert.deepEqual((await lint(['examples/vmdetect/cpuid.c'])).messages, []);
    const audit = await lint(['--profile', 'vm-detection-audit', 'examples/vmdetect/cpuid.c']);
    const expected = text.split('\n').flatMap((l, i) => {
      const calls = [...l.matchAll(/\b(__get_cpuid|__cpuid|__rdtsc)\s*\(/g)];
      return calls.map((c) => `${i + 1}:${c[1] === '__rdtsc' ? 'rdtsc' : 'cpuid'}`);
    });
    assert.equal(expected.length, 5);
    // The leaf-1 bit test and the 0x40000000 leaf are detection idioms; cpuid_cost times CPUID but compares nothing, so it stays three plain reads.
    const idioms = [`${lineAfter(text, 'hypervisor_bit_set', /__get_cpuid\(/)}:hypervisor-bit`, `${lineAfter(text, 'hypervisor_vendor(', /__cpuid\(/)}:hypervisor-leaf`];
    assert.deepEqual(ruleLines(audit), [...idioms, ...expected.slice(2)]);
  });

  it('cpu.rs: asm! in Intel syntax; LTR is privileged and quiet', async () => {
    const text = read('rust/cpu.rs');
    const result = await lint(['examples/rust/cpu.rs']);
    assert.equal(result.dialect, 'rust');
    assert.deepEqual(ruleLines(result), [
      `${lineAfter(text, 'fn store_idt', /"sidt /)}:sidt`,
      `${lineAfter(text, 'fn read_rflags', /"pushfq"/)}:pushf`,
      `${lineAfter(text, 'fn code_selector', /, cs"/)}:mov-sreg`,
    ]);
  });

  it('the README command lints the whole folder through bin/virtlint.js', () => {
    const run = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'virtlint.js'), '--no-color', 'examples/'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 1, run.stderr);
    // File headers: the path, two spaces, what it was read as. The summary lines below them are not headers.
    const headers = run.stdout.split('\n').filter((l) => /^\S+ {2}\(.*\)$/.test(l));
    assert.deepEqual(headers, [
      'examples/kernel/boot.asm  (nasm, 16-bit)',
      'examples/kernel/entry.S  (gas-att, 32-bit)',
      'examples/vmdetect/redpill.asm  (masm, 32-bit)',
      'examples/kernel/cpu.h  (c)',
      'examples/kernel/traps.c  (c)',
      'examples/rust/cpu.rs  (rust)',
    ]);
    assert.match(run.stdout, /✖ \d+ problems \(3 errors, \d+ warnings\)/);
    // Segment-register loads are info under the default profile: shown, listed apart, not counted.
    assert.match(run.stdout, /^[1-9]\d* info\/hint findings? shown \(not counted\)$/m);
  });

  it('the compiled entry point works the same when run directly', () => {
    const run = spawnCli(['-f', 'json', 'examples/vmdetect/redpill.asm']);
    assert.equal(run.code, 0);
    assert.equal(parseJsonReport(run.stdout)[0]!.warningCount, 3);
  });
});
