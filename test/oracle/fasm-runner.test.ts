// How fasm is run: natively where the kernel runs 32-bit programs, under qemu-user elsewhere,
// and a loud reason when neither works.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { assemble } from '../helpers/assemble';
import { detectFasm, FasmUnavailableError, fasmRunner } from '../helpers/fasm';

const which = (name: string): string => {
  const found = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', name], { encoding: 'utf8' }).stdout.trim();
  assert.ok(found, `${name} must be installed for this test (scripts/test.sh installs it)`);
  return found;
};

describe('fasm runner', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtlint-fasm-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A PATH where `fasm` exists but the kernel refuses it, like an i386 program on a 64-bit-only kernel. */
  function refusedFasmPath(extra: Record<string, string> = {}): string {
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'fasm'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0, 0, 0, 0xff, 0xfe, 0x28]), { mode: 0o755 });
    for (const [name, script] of Object.entries(extra)) fs.writeFileSync(path.join(bin, name), script, { mode: 0o755 });
    return bin;
  }

  it('this run uses one way, and it assembles', () => {
    const runner = fasmRunner();
    assert.ok(runner.way === 'native' || runner.way === 'emulated');
    if (process.env.VIRTLINT_FASM_WAY) assert.equal(runner.way, process.env.VIRTLINT_FASM_WAY);
    const forced = process.env.VIRTLINT_FASM;
    if (forced === 'native' || forced === 'emulated') assert.equal(runner.way, forced, 'the switch must decide the way');
    assert.equal(Buffer.from(assemble('fasm', 'pushf\npopf', { bits: 32 }).get(1) ?? []).toString('hex'), '9c');
  });

  it('forced emulation runs the real fasm under qemu-user and gets the same bytes', () => {
    const runner = detectFasm({ ...process.env, VIRTLINT_FASM: 'emulated', VIRTLINT_FASM_WAY: '' });
    assert.equal(runner.way, 'emulated');
    assert.match(runner.description, /qemu-i386(-static)? -L \/ \S*fasm$/);
    fs.writeFileSync(path.join(dir, 'a.asm'), 'use16\npush es\nsgdt [0]\nretf\n');
    const run = spawnSync(runner.command, [...runner.prefix, 'a.asm', 'a.bin'], { cwd: dir, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.equal(fs.readFileSync(path.join(dir, 'a.bin')).toString('hex'), '060f01060000cb');
  });

  it('auto falls back to emulation when the kernel refuses the program', () => {
    const realFasm = which('fasm');
    // A stand-in qemu that runs the real fasm, so the fallback is exercised on any kernel.
    const PATH = refusedFasmPath({ 'qemu-i386': `#!/bin/sh\n[ "$1" = -L ] && shift 2\nshift\nexec ${realFasm} "$@"\n` });
    const runner = detectFasm({ PATH, VIRTLINT_FASM: 'auto' });
    assert.equal(runner.way, 'emulated');
    assert.equal(runner.command, path.join(dir, 'bin', 'qemu-i386'));
  });

  it('fails loudly, naming both reasons, when neither way works', () => {
    const PATH = refusedFasmPath();
    assert.throws(() => detectFasm({ PATH, VIRTLINT_FASM: 'auto' }), (error: unknown) => {
      assert.ok(error instanceof FasmUnavailableError);
      assert.match(error.message, /natively: .*banner/);
      assert.match(error.message, /emulated: qemu-i386 is not installed \(apt-get install -y qemu-user libc6-i386\)/);
      return true;
    });
  });

  it('forced native on a refusing kernel is an error, not a quiet switch to emulation', () => {
    const PATH = refusedFasmPath({ 'qemu-i386': '#!/bin/sh\nexit 99\n' });
    assert.throws(() => detectFasm({ PATH, VIRTLINT_FASM: 'native' }), /natively: /);
  });

  it('a missing fasm and an unknown choice are explained', () => {
    assert.throws(() => detectFasm({ PATH: dir, VIRTLINT_FASM: 'auto' }), /fasm is not installed \(apt-get install -y fasm\)/);
    assert.throws(() => detectFasm({ ...process.env, VIRTLINT_FASM: 'rosetta' }), /VIRTLINT_FASM=rosetta is not one of auto, native, emulated/);
  });
});
