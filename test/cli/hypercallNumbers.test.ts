// `--hypercall-numbers inline`: hypercall fixes define their numbers in the fixed file, so nothing
// else is written; standard input (a dry run's diff) is always fixed that way, since it has no
// folder to write a definitions file to. Each result is assembled by nasm.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseJsonReport, removeTree, runCli, tempTree } from './helpers';

const SOURCE = 'bits 64\nsection .text\nstart:\n    sidt [rel idt_copy]\n    pushfq\n    popfq\n    ret\nidt_copy: dq 0, 0\n';

function nasmAssembles(dir: string, file: string): void {
  const run = spawnSync('nasm', ['-f', 'elf64', '-o', 'out.o', file], { cwd: dir, encoding: 'utf8' });
  if (run.error) throw new Error(`nasm is required by this test (apt-get install -y nasm): ${run.error.message}`);
  assert.equal(run.status, 0, `${run.stderr}\n${fs.readFileSync(path.join(dir, file), 'utf8')}`);
}

describe('cli: --hypercall-numbers', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => (dir = tempTree({ 'guest.asm': SOURCE })));
  afterEach(() => removeTree(dir));

  it('inline: the numbers go into the fixed file, no definitions file is written, it assembles, a second run changes nothing', async () => {
    const run = await runCli(['--fix', 'hypercall', '--hypercall-numbers', 'inline', 'guest.asm'], { cwd: dir });
    assert.doesNotMatch(run.stderr, /wrote the hypercall numbers/);
    assert.deepEqual(fs.readdirSync(dir), ['guest.asm']);
    const fixed = fs.readFileSync(path.join(dir, 'guest.asm'), 'utf8');
    assert.match(fixed, /^%define VIRTLINT_HC_SIDT /m);
    assert.doesNotMatch(fixed, /%include/);
    nasmAssembles(dir, 'guest.asm');
    const relint = await runCli(['--format', 'json', 'guest.asm'], { cwd: dir });
    assert.deepEqual(parseJsonReport(relint.stdout)[0]!.messages.map((m) => m.ruleId), []);
    await runCli(['--fix', 'hypercall', '--hypercall-numbers', 'inline', 'guest.asm'], { cwd: dir });
    assert.equal(fs.readFileSync(path.join(dir, 'guest.asm'), 'utf8'), fixed);
  });

  it('file (the default): the fix includes the definitions file and writes it next to the fixed file', async () => {
    const run = await runCli(['--fix', 'hypercall', 'guest.asm'], { cwd: dir });
    assert.match(run.stderr, /wrote the hypercall numbers \(kvm\)/);
    assert.match(fs.readFileSync(path.join(dir, 'guest.asm'), 'utf8'), /^%include "virtlint-hypercalls\.inc"/m);
    nasmAssembles(dir, 'guest.asm');
  });

  it('standard input: the dry run diff defines the numbers in the text, so the patched file assembles alone', async () => {
    const run = await runCli(['--fix', 'hypercall', '--fix-dry-run', '--stdin-filename', 'guest.asm', '-'], { cwd: dir, stdin: SOURCE });
    assert.match(run.stdout, /^\+%define VIRTLINT_HC_SIDT /m);
    assert.doesNotMatch(run.stdout, /%include/);
    const diff = run.stdout.slice(0, run.stdout.indexOf('\nguest.asm  (') + 1 || undefined);
    const apply = spawnSync('git', ['apply', '-p1', '--include=*', '-'], { cwd: dir, input: diff.replace(/^(---|\+\+\+) [ab]\/.*$/gm, (line) => line.replace(/[ab]\/.*$/, line.startsWith('---') ? 'a/guest.asm' : 'b/guest.asm')), encoding: 'utf8' });
    assert.equal(apply.status, 0, `${apply.stderr}\n${diff}`);
    assert.deepEqual(fs.readdirSync(dir), ['guest.asm']);
    nasmAssembles(dir, 'guest.asm');
  });

  it('rejects other values', async () => {
    const run = await runCli(['--fix', 'hypercall', '--hypercall-numbers', 'header', 'guest.asm'], { cwd: dir });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--hypercall-numbers/);
  });
});
