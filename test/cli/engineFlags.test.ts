// A lint run sets its V8 flags (server/src/main/engineFlags.ts) whether it starts from the launcher
// or from the bundle itself; the launcher sets them before it loads the bundle, and a scan keeps
// its own. A preloaded hook records every flag the process sets.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LINT_ENGINE_FLAGS, engineTakesLintFlags } from '../../server/src/main/engineFlags';

const ROOT = path.resolve(__dirname, '..', '..', '..');

const HOOK = `
const v8 = require('node:v8');
const set = v8.setFlagsFromString;
const flags = [];
v8.setFlagsFromString = (flag) => { flags.push(flag + (require.cache[${JSON.stringify(path.join(ROOT, 'dist', 'cli.js'))}] ? '@after-bundle' : '')); return set(flag); };
process.on('exit', () => process.stderr.write('flags set: ' + JSON.stringify(flags) + '\\n'));
`;

function flagsSet(script: string, args: string[]): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtlint-engine-flags-'));
  try {
    const hook = path.join(dir, 'hook.js');
    fs.writeFileSync(hook, HOOK);
    fs.writeFileSync(path.join(dir, 'one.asm'), 'pushf\n');
    const result = spawnSync(process.execPath, ['-r', hook, script, ...args], { encoding: 'utf8', cwd: dir, env: { ...process.env, VIRTLINT_NO_COMPILE_CACHE: '1' } });
    const listed = /flags set: (.*)/.exec(result.stderr);
    if (!listed) throw new Error(`no flags listed: ${result.stderr}`);
    return JSON.parse(listed[1]!) as string[];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('V8 flags of a lint run', () => {
  before(function () {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run npm run build');
    assert.ok(engineTakesLintFlags(process.versions.v8), `this Node's V8 ${process.versions.v8} is one the flags are set for`);
  });

  it('the launcher sets them before it loads the bundle', () => {
    const flags = flagsSet(path.join(ROOT, 'bin', 'virtlint.js'), ['one.asm']);
    for (const flag of LINT_ENGINE_FLAGS) assert.ok(flags.includes(flag), `${flag} set before the bundle loads: ${flags.join(', ')}`);
  });

  it('the bundle run directly sets them itself', () => {
    const flags = flagsSet(path.join(ROOT, 'dist', 'cli.js'), ['one.asm']);
    for (const flag of LINT_ENGINE_FLAGS) assert.ok(flags.some((set) => set.startsWith(flag)), `${flag}: ${flags.join(', ')}`);
  });

  it('a scan keeps its own flags', () => {
    const flags = flagsSet(path.join(ROOT, 'bin', 'virtlint.js'), ['scan', '--raw', 'one.asm']);
    for (const flag of LINT_ENGINE_FLAGS) assert.ok(!flags.some((set) => set.startsWith(flag)), `${flag} not set for a scan: ${flags.join(', ')}`);
    assert.ok(flags.includes('--liftoff-only'), flags.join(', '));
  });

  it('takes the flags on the V8 versions of Node 20 to 24 only', () => {
    for (const version of ['11.3.244.8-node.33', '12.4.254.21-node.33', '13.6.233.10-node.18']) assert.equal(engineTakesLintFlags(version), true, version);
    for (const version of ['8.4.371.23', '15.0.1']) assert.equal(engineTakesLintFlags(version), false, version);
  });
});
