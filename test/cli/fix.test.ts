import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseJsonReport, removeTree, runCli, tempTree } from './helpers';

const SOURCE = 'bits 64\nsection .text\nstart:\n    sidt [rel idt_copy]\n    pushfq\n    cli\n    popfq\n    smsw eax\n    ret\nidt_copy: dq 0, 0\n';

/** The .text bytes of a GNU as file, through cpp as `.S` files go (`gcc -c`). */
function gccText(dir: string, file: string): string {
  for (const [tool, args] of [
    ['gcc', ['-c', '-x', 'assembler-with-cpp', file, '-o', 'out.o']],
    ['objcopy', ['-O', 'binary', '-j', '.text', 'out.o', 'out.bin']],
  ] as const) {
    const run = spawnSync(tool, args, { cwd: dir, encoding: 'utf8' });
    if (run.error) throw new Error(`${tool} is required by this test (apt-get install -y gcc binutils): ${run.error.message}`);
    assert.equal(run.status, 0, `${tool} rejected ${file}:\n${run.stderr}\n${fs.readFileSync(path.join(dir, file), 'utf8')}`);
  }
  return fs.readFileSync(path.join(dir, 'out.bin')).toString('hex');
}

/** Applies a diff with `git apply` (outside any repository, as the docs promise it works). */
function gitApply(dir: string, diff: string): void {
  const run = spawnSync('git', ['apply', '--verbose', '-'], { cwd: dir, input: diff, encoding: 'utf8' });
  if (run.error) throw new Error(`git is required by this test (apt-get install -y git): ${run.error.message}`);
  assert.equal(run.status, 0, `git apply rejected the diff:\n${run.stderr}\n${JSON.stringify(diff)}`);
}

function diffOf(stdout: string, file: string): string {
  return stdout.slice(0, stdout.indexOf(`\n${file}  (`) + 1);
}

function nasm(dir: string, file: string, preInclude?: string): void {
  nasmWithBits(dir, file, preInclude);
}

function nasmWithBits(dir: string, file: string, preInclude?: string, bits?: number): void {
  const args = ['-f', 'bin', '-o', path.join(dir, 'out.bin'), ...(bits ? ['--before', `bits ${bits}`] : []), ...(preInclude ? ['-P', preInclude] : []), file];
  const run = spawnSync('nasm', args, { cwd: dir, encoding: 'utf8' });
  if (run.error) throw new Error(`nasm is required by this test (apt-get install -y nasm): ${run.error.message}`);
  assert.equal(run.status, 0, `nasm rejected the fixed file:\n${run.stderr}\n${fs.readFileSync(path.join(dir, file), 'utf8')}`);
}

describe('cli --fix', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => {
    dir = tempTree({ 'a.asm': SOURCE });
  });
  afterEach(() => removeTree(dir));
  const file = () => path.join(dir, 'a.asm');

  it('--fix trap rewrites the file, reports what remains, and the result assembles', async () => {
    const run = await runCli(['-f', 'json', '--fix', 'trap', 'a.asm'], { cwd: dir });
    const fixed = fs.readFileSync(file(), 'utf8');
    assert.notEqual(fixed, SOURCE);
    assert.ok(fixed.includes('mov rax, cr0') || fixed.includes('mov eax, cr0'), 'SMSW became a MOV from CR0 (faults at CPL>0)');
    assert.ok(fixed.includes('virtlint-fixed: popf'), fixed);
    const [result] = parseJsonReport(run.stdout);
    assert.deepEqual(result!.messages, [], 'nothing left after the trap fixes');
    assert.match(result!.note ?? '', /^fixed 4 instructions/);
    assert.equal(run.code, 0);
    nasm(dir, 'a.asm');
  });

  it('--fix-dry-run prints a diff that patch applies, and leaves the file alone', async () => {
    const before = fs.statSync(file()).mtimeMs;
    const dry = await runCli(['--fix', 'trap', '--fix-dry-run', 'a.asm'], { cwd: dir });
    assert.equal(fs.readFileSync(file(), 'utf8'), SOURCE, 'dry run changed the file');
    assert.equal(fs.statSync(file()).mtimeMs, before);
    assert.ok(dry.stdout.startsWith('--- a/a.asm\n+++ b/a.asm\n@@ '), dry.stdout);
    assert.match(dry.stdout, /would rewrite 4 instructions/);

    const diff = dry.stdout.slice(0, dry.stdout.indexOf('\na.asm  (') + 1);
    fs.copyFileSync(file(), path.join(dir, 'patched.asm'));
    const patch = spawnSync('patch', ['--quiet', 'patched.asm'], { cwd: dir, input: diff, encoding: 'utf8' });
    if (patch.error) throw new Error(`patch is required by this test (apt-get install -y patch): ${patch.error.message}`);
    assert.equal(patch.status, 0, patch.stderr + patch.stdout);
    await runCli(['--fix', 'trap', 'a.asm'], { cwd: dir });
    assert.equal(fs.readFileSync(path.join(dir, 'patched.asm'), 'utf8'), fs.readFileSync(file(), 'utf8'), 'the diff is exactly what --fix writes');
  });

  it('with json output the dry-run diff goes to stderr so stdout stays JSON', async () => {
    const run = await runCli(['-f', 'json', '--fix', 'trap', '--fix-dry-run', 'a.asm'], { cwd: dir });
    assert.equal(parseJsonReport(run.stdout).length, 1);
    assert.ok(run.stderr.includes('+++ b/a.asm'));
  });

  it('--fix hypercall uses the ABI, and assembles with the generated definitions', async () => {
    const run = await runCli(['--fix', 'hypercall', '--abi', 'kvm', 'a.asm'], { cwd: dir });
    const fixed = fs.readFileSync(file(), 'utf8');
    assert.ok(fixed.includes('vmcall'), fixed);
    assert.ok(fixed.includes('VIRTLINT_HC_POPF'));
    assert.match(run.stderr, /wrote the hypercall numbers \(kvm\) the fixes include to .*virtlint-hypercalls\.inc/);
    const defs = await runCli(['--write-hypercall-defs', 'hc.inc', '--abi', 'kvm', '--dialect', 'nasm'], { cwd: dir });
    assert.equal(defs.code, 0, defs.stderr);
    assert.match(fs.readFileSync(path.join(dir, 'hc.inc'), 'utf8'), /%define VIRTLINT_HC_POPF /);
    nasm(dir, 'a.asm', 'hc.inc');
  });

  it('--abi kvm-amd uses VMMCALL', async () => {
    await runCli(['--fix', 'hypercall', '--abi', 'kvm-amd', 'a.asm'], { cwd: dir });
    assert.ok(fs.readFileSync(file(), 'utf8').includes('vmmcall'));
  });

  it('keeps CRLF line endings and a UTF-8 byte order mark', async () => {
    const crlf = '\ufeff' + SOURCE.replace(/\n/g, '\r\n');
    fs.writeFileSync(file(), crlf);
    await runCli(['--fix', 'trap', 'a.asm'], { cwd: dir });
    const bytes = fs.readFileSync(file());
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    const text = bytes.toString('utf8').slice(1);
    assert.notEqual(text, crlf.slice(1));
    assert.equal(text.split('\n').length, text.split('\r\n').length, 'every line ends in CRLF');
  });

  it('never writes to a file it could not read as text', async () => {
    const binary = Buffer.from([0x9d, 0x00, 0x0f, 0x01, 0x0d]);
    fs.writeFileSync(path.join(dir, 'blob.asm'), binary);
    const run = await runCli(['--fix', 'trap', 'blob.asm'], { cwd: dir });
    assert.equal(run.code, 1);
    assert.deepEqual(fs.readFileSync(path.join(dir, 'blob.asm')), binary);
  });

  it('refuses to fix standard input in place, but shows the diff in a dry run', async () => {
    const inPlace = await runCli(['--fix', 'trap', '-'], { cwd: dir, stdin: SOURCE });
    assert.equal(inPlace.code, 2);
    assert.match(inPlace.stderr, /cannot rewrite standard input/);
    const dry = await runCli(['--fix', 'trap', '--fix-dry-run', '-'], { cwd: dir, stdin: SOURCE });
    assert.ok(dry.stdout.startsWith('--- a/<stdin>'), dry.stdout);
  });

  it('writes definitions in other dialects and the C header', async () => {
    await runCli(['--write-hypercall-defs', 'defs.S', '--abi', 'xen', '--dialect', 'gas'], { cwd: dir });
    assert.match(fs.readFileSync(path.join(dir, 'defs.S'), 'utf8'), /^\.equ VIRTLINT_HC_SIDT, /m);
    await runCli(['--write-hypercall-defs', 'defs.fasm', '--abi', 'hyperv'], { cwd: dir });
    assert.match(fs.readFileSync(path.join(dir, 'defs.fasm'), 'utf8'), /^VIRTLINT_HC_SIDT = /m);
    const header = await runCli(['--write-hypercall-header', 'include/hc.h', '--abi', 'kvm'], { cwd: dir });
    assert.equal(header.code, 0);
    const compiled = spawnSync('gcc', ['-fsyntax-only', '-x', 'c', 'include/hc.h'], { cwd: dir, encoding: 'utf8' });
    if (compiled.error) throw new Error(`gcc is required by this test: ${compiled.error.message}`);
    assert.equal(compiled.status, 0, compiled.stderr);
  });

  it('checks fix option combinations', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--write-hypercall-defs', 'x.inc'], /needs --abi/],
      [['--fix', 'hypercall', '--abi', 'custom', 'a.asm'], /--abi custom needs --fix-template/],
      [['--fix', 'trap', '--fix-template', 't.txt', 'a.asm'], /--fix-template needs --abi custom/],
      [['--fix', 'sometimes', 'a.asm'], /--fix: "sometimes" is not one of trap, hypercall/],
      [['--fix', 'hypercall', '--abi', 'custom', '--fix-template', 'missing.txt', 'a.asm'], /cannot read missing\.txt/],
    ];
    for (const [argv, expected] of cases) {
      const run = await runCli(argv, { cwd: dir });
      assert.equal(run.code, 2, argv.join(' '));
      assert.match(run.stderr, expected);
    }
    assert.equal(fs.readFileSync(file(), 'utf8'), SOURCE);
  });

  it('--abi custom takes its template from a file', async () => {
    fs.writeFileSync(path.join(dir, 'template.txt'), '@nr rax\n@args rdi,rsi\n@ret rax\nvmcall\n');
    const run = await runCli(['--fix', 'hypercall', '--abi', 'custom', '--fix-template', 'template.txt', 'a.asm'], { cwd: dir });
    assert.notEqual(run.code, 2, run.stderr);
    const fixed = fs.readFileSync(file(), 'utf8');
    assert.ok(fixed.includes('vmcall') && fixed.includes('VIRTLINT_HC_SIDT'), fixed);
  });
});

describe('cli --fix: the rest of the file is read as before (issue 20)', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => {
    dir = tempTree({});
  });
  afterEach(() => removeTree(dir));
  const write = (name: string, content: string | Uint8Array) => fs.writeFileSync(path.join(dir, name), content);
  const read = (name: string) => fs.readFileSync(path.join(dir, name), 'utf8');
  const KVM_PREFIX = '0f0b6b766d';

  it('keeps the instruction it fixes out of a comment that continues onto the next line', async () => {
    write('bc.S', '.code64\n    pushfq /* saved flags, see\n       the note below */\n    popfq\n');
    assert.match(gccText(dir, 'bc.S'), /^9c/);
    const run = await runCli(['--fix', 'trap', 'bc.S'], { cwd: dir });
    assert.notEqual(run.code, 2, run.stderr);
    const bytes = gccText(dir, 'bc.S');
    assert.ok(bytes.startsWith(`${KVM_PREFIX}9c`), `the PUSHFQ after the prefix is gone: ${bytes}\n${read('bc.S')}`);
    assert.ok(bytes.endsWith('9d'), `the POPFQ is gone: ${bytes}`);
  });

  it('keeps a comment ending in a backslash on the line that cpp splices onto the next', async () => {
    write('bs.S', '.code64\n    pushfq # saved \\\n    popfq\n    nop\n');
    assert.equal(gccText(dir, 'bs.S'), '9c90');
    await runCli(['--fix', 'trap', 'bs.S'], { cwd: dir });
    assert.equal(gccText(dir, 'bs.S'), `${KVM_PREFIX}9c90`, read('bs.S'));
  });

  it('counts a lone CR as a line break, as the analysis does: the fix lands on the instruction, not the line below', async () => {
    write('cr.asm', 'bits 32\nnop ; note\rpushf\nret\n');
    await runCli(['--fix', 'trap', 'cr.asm'], { cwd: dir });
    assert.equal(read('cr.asm'), 'bits 32\nnop ; note\r; virtlint: KVM forced-emulation prefix for PUSHF, needs kvm.force_emulation_prefix=1; elsewhere its ud2 is an invalid-opcode fault\ndb 0x0f, 0x0b, 0x6b, 0x76, 0x6d ; KVM forced-emulation prefix (ud2 + "kvm")\npushf ; virtlint-fixed: pushf\nret\n');
    write('mac.asm', 'bits 32\rnop\rpopf\r');
    const dry = await runCli(['--fix', 'trap', '--fix-dry-run', 'mac.asm'], { cwd: dir });
    assert.match(dry.stdout, /would rewrite 1 instruction/);
    assert.match(dry.stdout, /\+bits 32\rnop\r; virtlint: POPF's IF change as CLI\/STI[^\r]*\rtest word \[esp\], 0x200/);
  });

  it('a second run changes nothing, and fixes never make the file start in another mode', async () => {
    write('a.asm', 'pushfq\nbits 64\nsmsw eax\n');
    await runCli(['--fix', 'trap', 'a.asm'], { cwd: dir });
    const once = read('a.asm');
    const again = await runCli(['-f', 'json', '--fix', 'trap', 'a.asm'], { cwd: dir });
    assert.equal(read('a.asm'), once, 'the second run rewrote the file');
    assert.equal(parseJsonReport(again.stdout)[0]!.note, undefined);

    write('b.asm', 'cpuid\nbits 64\nsmsw eax\n');
    const before = parseJsonReport((await runCli(['-f', 'json', '--rules', 'all', 'b.asm'], { cwd: dir })).stdout)[0]!;
    const fixed = parseJsonReport((await runCli(['-f', 'json', '--rules', 'all', '--fix', 'hypercall', 'b.asm'], { cwd: dir })).stdout)[0]!;
    assert.deepEqual(fixed.messages.map((m) => m.ruleId), [], 'the fixed file reports problems on lines the fix added');
    assert.ok(before.messages.length > 0);
    const defs = await runCli(['--write-hypercall-defs', 'hc.inc', '--abi', 'kvm', '--dialect', 'nasm'], { cwd: dir });
    assert.equal(defs.code, 0, defs.stderr);
    nasmWithBits(dir, 'b.asm', 'hc.inc', 32);
    const second = fs.readFileSync(path.join(dir, 'b.asm'), 'utf8');
    await runCli(['--rules', 'all', '--fix', 'hypercall', 'b.asm'], { cwd: dir });
    assert.equal(read('b.asm'), second, 'the second run rewrote the file');
  });

  it('--fix-dry-run keeps the byte order mark, so git apply takes the diff', async () => {
    const source = '\ufeffbits 64\r\npushfq\r\nnop\r\n';
    write('bom.asm', source);
    write('copy.asm', source);
    const dry = await runCli(['--fix', 'trap', '--fix-dry-run', 'bom.asm'], { cwd: dir });
    const diff = diffOf(dry.stdout, 'bom.asm').replace(/ (a|b)\/bom\.asm/g, ' $1/copy.asm');
    gitApply(dir, diff);
    await runCli(['--fix', 'trap', 'bom.asm'], { cwd: dir });
    assert.deepEqual(fs.readFileSync(path.join(dir, 'copy.asm')), fs.readFileSync(path.join(dir, 'bom.asm')), 'the diff is exactly what --fix writes');
    assert.deepEqual([...fs.readFileSync(path.join(dir, 'bom.asm')).subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  });

  it('one CRLF line in an LF file does not make the fixes write CRLF elsewhere', async () => {
    write('mixed.asm', 'bits 32\nnop\r\npushf\npopf\n');
    await runCli(['--fix', 'trap', 'mixed.asm'], { cwd: dir });
    const text = read('mixed.asm');
    assert.equal(text.split('\r\n').length - 1, 1, `only the line that had CRLF has it: ${JSON.stringify(text)}`);
  });
});
