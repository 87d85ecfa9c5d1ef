// The bundled lint command reads iced-x86's enums and the generated tables, and compiles iced's
// WebAssembly only when something needs it (build.mjs, icedWhenFirstUsed). A hook counts the
// modules compiled in the process; when iced is needed, the stand-in must hand over the real one.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const LAUNCHER = path.join(ROOT, 'bin', 'virtlint.js');

const HOOK = `
const Compiled = WebAssembly.Module;
let count = 0;
WebAssembly.Module = function (...args) { count++; return new Compiled(...args); };
process.on('exit', () => process.stderr.write('wasm modules compiled: ' + count + '\\n'));
`;

function run(args: string[], script?: string): { status: number | null; stdout: string; compiled: number } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtlint-lazy-iced-'));
  try {
    const hook = path.join(dir, 'hook.js');
    fs.writeFileSync(hook, HOOK);
    const target = script ?? LAUNCHER;
    const result = spawnSync(process.execPath, ['-r', hook, target, ...args], { encoding: 'utf8', cwd: dir, env: { ...process.env, VIRTLINT_NO_COMPILE_CACHE: '1' } });
    const counted = /wasm modules compiled: (\d+)/.exec(result.stderr);
    if (!counted) throw new Error(`no count in stderr: ${result.stderr}`);
    return { status: result.status, stdout: result.stdout, compiled: Number(counted[1]) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('iced-x86 is compiled only when used', () => {
  before(() => {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run npm run build');
  });

  it('linting the example kernel (NASM, GNU as, C; every rule) compiles no WebAssembly', () => {
    const file = path.join(ROOT, 'examples', 'kernel');
    const linted = run(['--format', 'json', '--rules', 'all', file]);
    assert.equal(linted.status, 1, 'the example has findings');
    const reports: Array<{ messages: unknown[] }> = JSON.parse(linted.stdout);
    assert.ok(reports.filter((report) => report.messages.length > 0).length >= 3, linted.stdout.slice(0, 400));
    assert.equal(linted.compiled, 0);
  });

  it('a message that needs iced (the 8086-only POP CS, named by its OpCodeInfo) compiles it once, through the stand-in', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtlint-lazy-iced-pop-'));
    try {
      const file = path.join(dir, 'pop-cs.asm');
      fs.writeFileSync(file, 'bits 16\npop cs\npushf\n');
      const linted = run(['--format', 'json', file]);
      const messages: Array<{ message: string }> = JSON.parse(linted.stdout)[0].messages;
      assert.ok(messages.some((m) => /^POP CS existed only on the 8086/.test(m.message)), JSON.stringify(messages));
      assert.equal(linted.compiled, 1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
