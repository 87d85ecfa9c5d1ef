import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseJsonReport, removeTree, runCli, tempTree } from './helpers';

const SOURCE = 'bits 64\nsection .text\nstart:\n    sidt [rel idt_copy]\n    pushfq\n    cli\n    popfq\n    smsw eax\n    ret\nidt_copy: dq 0, 0\n';

function nasm(dir: string, file: string, preInclude?: string): void {
  const args = ['-f', 'bin', '-o', path.join(dir, 'out.bin'), ...(preInclude ? ['-P', preInclude] : []), file];
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
    assert.match(run.stderr, /--write-hypercall-defs/);
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
