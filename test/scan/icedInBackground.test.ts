// The scan bundle (dist/scan.js, as bin/virtlint.js runs it) compiles iced-x86's WebAssembly on
// V8's background threads while the file is read, and decodes only once that compile is done
// (scripts/build.mjs, icedCompiledInBackground). A hook counts the compiles: a decode before the
// background compile finished would compile iced again on the main thread, which the count shows.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ld, nasm, scratchDir } from './toolchain';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const LAUNCHER = path.join(ROOT, 'bin', 'virtlint.js');

const HOOK = `
const Compiled = WebAssembly.Module;
const compile = WebAssembly.compile;
const counts = { inBackground: 0, onThisThread: [] };
WebAssembly.Module = function (bytes) { counts.onThisThread.push(bytes.byteLength); return new Compiled(bytes); };
WebAssembly.Module.imports = Compiled.imports;
WebAssembly.Module.exports = Compiled.exports;
WebAssembly.compile = function (bytes) { counts.inBackground++; return compile(bytes); };
process.on('exit', () => process.stderr.write('wasm compiles: ' + JSON.stringify(counts) + '\\n'));
`;

interface Run {
  status: number | null;
  stdout: string;
  inBackground: number;
  onThisThread: number[];
}

function run(script: string, args: string[]): Run {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtlint-iced-background-'));
  try {
    const hook = path.join(dir, 'hook.js');
    fs.writeFileSync(hook, HOOK);
    const result = spawnSync(process.execPath, ['-r', hook, script, ...args], { encoding: 'utf8', cwd: dir, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, VIRTLINT_NO_COMPILE_CACHE: '1' } });
    const counted = /wasm compiles: (.*)/.exec(result.stderr);
    if (!counted) throw new Error(`no counts in stderr: ${result.stderr}`);
    const counts = JSON.parse(counted[1]!) as { inBackground: number; onThisThread: number[] };
    return { status: result.status, stdout: result.stdout, ...counts };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const ICED_WASM_BYTES = fs.statSync(path.join(path.dirname(require.resolve('iced-x86')), 'iced_x86_bg.wasm')).size;

describe('scan: iced-x86 compiled in the background', function () {
  this.timeout(180_000);

  let dir: string;
  let small: string;
  before(() => {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'scan.js'))) throw new Error('dist/scan.js is missing: run npm run build');
    dir = scratchDir();
    small = ld(dir, [nasm(dir, 'small', 'bits 64\nsection .text\nglobal _start\n_start:\n  pushfq\n  cpuid\n  popfq\n  ret\n', 'elf64')], 'small');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  // A large ELF (its .text arrives in the background) and a small one (read at once), swept and discovered.
  const cases: [string, () => string[]][] = [
    ['node .text, linear sweep', () => ['--sweep', 'linear', '--section', '.text', process.execPath]],
    ['node .text, code discovery', () => ['--section', '.text', process.execPath]],
    ['a small executable', () => ['--rules', 'all', small]],
  ];
  for (const [name, argsOf] of cases) {
    it(`${name}: iced compiled once, in the background; the report of the unbundled scanner`, () => {
      const args = argsOf();
      const bundled = run(LAUNCHER, ['scan', '--format', 'json', ...args]);
      assert.equal(bundled.inBackground, 1, 'iced compiled with WebAssembly.compile');
      assert.ok(!bundled.onThisThread.includes(ICED_WASM_BYTES), `iced compiled again on the main thread (a decode before it was ready): ${JSON.stringify(bundled.onThisThread)}`);
      const plain = run(path.join(ROOT, 'out', 'server', 'src', 'main', 'scan.js'), ['--format', 'json', ...args]);
      assert.equal(plain.inBackground, 0, 'the unbundled scanner loads iced as published');
      assert.equal(bundled.stdout, plain.stdout);
      assert.equal(bundled.status, plain.status);
      assert.ok((JSON.parse(bundled.stdout) as { messages: unknown[] }[])[0]!.messages.length > 0, 'there are findings to compare');
    });
  }
});
