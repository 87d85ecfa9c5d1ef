// The scanner as users run it: bundled by esbuild like dist/cli.js and dist/scan-worker.js (same
// options as scripts/build.mjs), in a scratch directory, scanning a real ELF with and without workers.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ld, nasm, scratchDir } from './toolchain';

const ROOT = path.resolve(__dirname, '..', '..', '..');

describe('scan: bundled build', function () {
  this.timeout(120_000);
  let dir: string;

  before(async () => {
    dir = scratchDir();
    // esbuild's JS API is ESM-and-CJS; require keeps this test free of a build step of its own.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const esbuild = require('esbuild') as { build(options: Record<string, unknown>): Promise<unknown> };
    const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'silent' };
    await esbuild.build({ ...common, entryPoints: [path.join(ROOT, 'server/src/main/virtlint.ts')], outfile: path.join(dir, 'cli.js') });
    await esbuild.build({ ...common, entryPoints: [path.join(ROOT, 'server/src/scan/worker.ts')], outfile: path.join(dir, 'scan-worker.js') });
    await esbuild.build({ ...common, entryPoints: [path.join(ROOT, 'server/src/main/scan.ts')], outfile: path.join(dir, 'scan.js') });
    fs.copyFileSync(path.join(path.dirname(require.resolve('iced-x86')), 'iced_x86_bg.wasm'), path.join(dir, 'iced_x86_bg.wasm'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('scans an ELF with 1 and 2 threads (a 3 MB section, so workers really run) and writes nothing but the report', () => {
    // 3 MB of NOP padding with PUSHFQ at both ends: large enough for the parallel path.
    const body = 'bits 64\nsection .text\nglobal _start\n_start:\npushfq\ntimes 3*1024*1024 nop\nprobe: cpuid\npopfq\nret\n';
    const exe = ld(dir, [nasm(dir, 'big', body, 'elf64')], 'big');
    const before = fs.readdirSync(dir).sort();
    // cli.js runs `scan` itself; scan.js (what bin/virtlint.js loads for a scan) is the scanner alone.
    for (const [bundle, jobs] of [['cli.js', '1'], ['cli.js', '2'], ['scan.js', '1'], ['scan.js', '2']] as const) {
      const command = bundle === 'cli.js' ? [path.join(dir, bundle), 'scan'] : [path.join(dir, bundle)];
      const r = spawnSync(process.execPath, [...command, '--jobs', jobs, '--rules', 'all', '--format', 'json', exe], { cwd: dir, encoding: 'utf8' });
      assert.equal(r.stderr, '', `${bundle} jobs ${jobs}: stderr`);
      const reports = JSON.parse(r.stdout) as { messages: { ruleId: string; symbol?: string }[] }[];
      assert.deepEqual(reports[0]!.messages.map((m) => [m.ruleId, m.symbol]), [['pushf', '_start'], ['cpuid', 'probe'], ['popf', 'probe+0x2']], `${bundle} jobs ${jobs}`);
      assert.equal(r.status, 1, `${bundle} jobs ${jobs}: POPF is an error in the default profile`);
    }
    assert.deepEqual(fs.readdirSync(dir).sort(), before, 'the bundle created or changed no files');
  });
});
