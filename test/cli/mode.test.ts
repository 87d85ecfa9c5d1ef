// The execution mode from the command line (`--mode`) and from virtlint.config.json (`mode`, and
// `mode` per glob). nasm says which instructions each line holds; the catalogue's mode policy
// (test/oracle/modePolicy.ts) says which of them the mode silences. virtlint must report exactly
// the rest, in the root and in the file it includes, which starts in its includer's mode.
import * as assert from 'node:assert/strict';
import type { ExecutionMode } from '../../server/src/analysis';
import { parseArgs } from '../../server/src/cli/args';
import { UsageError } from '../../server/src/report/options';
import { assembleDetailed } from '../helpers/assemble';
import { reportedInMode, sensitiveInstructions, type SensitiveInstruction } from '../oracle/modePolicy';
import { parseJsonReport, removeTree, runCli, tempTree, type JsonResult } from './helpers';

// 16-bit code with nothing in it that tells its mode: no origin, no BIOS call, no CR0 write.
const MAIN = ['bits 16', '    mov ds, ax', '    push cs', '    sgdt [bx]', '%include "lib.inc"', '    pushf', '    retf', ''].join('\n');
const LIB = ['    pop es', '    mov [bx], ss', '    smsw ax', ''].join('\n');

/** 1-based line → the sensitive instructions nasm emits there, assembled as 16-bit code. */
function sensitiveByLine(text: string): Map<number, SensitiveInstruction[]> {
  const { lines } = assembleDetailed('nasm', text, { bits: 16 });
  const out = new Map<number, SensitiveInstruction[]>();
  for (const [line, bytes] of lines) {
    const found = sensitiveInstructions(bytes, 16);
    if (found.length > 0) out.set(line, found);
  }
  return out;
}

/** `line:rule` for what the policy keeps in `mode`, sorted. */
function expectedIn(oracle: Map<number, SensitiveInstruction[]>, mode: ExecutionMode): string[] {
  const out: string[] = [];
  for (const [line, instructions] of oracle) for (const i of instructions) if (reportedInMode(i, mode)) out.push(`${line}:${i.rule}`);
  return out.sort();
}

function reported(results: readonly JsonResult[], file: string): string[] {
  const result = results.find((r) => r.filePath.endsWith(`/${file}`));
  assert.ok(result, `no report for ${file}`);
  return result.messages.map((m) => `${m.line}:${m.ruleId}`).sort();
}

describe('cli: the execution mode (--mode, "mode" in the configuration)', function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  after(() => dirs.forEach(removeTree));
  // The include directive stands for the include's lines when nasm assembles MAIN alone: lib.inc is assembled on its own.
  const mainOracle = sensitiveByLine(MAIN.replace('%include "lib.inc"', ''));
  const libOracle = sensitiveByLine(LIB);

  async function lint(files: Record<string, string>, args: string[]): Promise<{ main: string[]; lib: string[] }> {
    const dir = tempTree({ 'main.asm': MAIN, 'lib.inc': LIB, ...files });
    dirs.push(dir);
    const run = await runCli(['-f', 'json', ...args, '.'], { cwd: dir });
    assert.ok(run.code === 0 || run.code === 1, `exit ${run.code}: ${run.stderr}`);
    const results = parseJsonReport(run.stdout);
    return { main: reported(results, 'main.asm'), lib: reported(results, 'lib.inc') };
  }

  async function expectMode(mode: ExecutionMode, files: Record<string, string>, args: string[]): Promise<void> {
    const got = await lint(files, args);
    const context = `${args.join(' ') || 'no flags'}${files['virtlint.config.json'] ? ` with ${files['virtlint.config.json']}` : ''}`;
    assert.deepEqual(got.main, expectedIn(mainOracle, mode), `main.asm, ${context}`);
    assert.deepEqual(got.lib, expectedIn(libOracle, mode), `lib.inc, ${context}`);
  }

  it('the oracle has lines the modes disagree on (else this file would test nothing)', () => {
    assert.notDeepEqual(expectedIn(mainOracle, 'real'), expectedIn(mainOracle, 'pm16'));
    assert.notDeepEqual(expectedIn(libOracle, 'real'), expectedIn(libOracle, 'pm16'));
    assert.ok(expectedIn(mainOracle, 'real').length > 0, 'real mode still reports something');
  });

  it('parses --mode and refuses other names', () => {
    assert.equal(parseArgs(['--mode', 'real', 'x.asm']).mode, 'real');
    assert.equal(parseArgs(['--mode=auto', 'x.asm']).mode, 'auto');
    assert.equal(parseArgs(['x.asm']).mode, undefined);
    assert.throws(() => parseArgs(['--mode', 'protected', 'x.asm']), (error: unknown) => error instanceof UsageError && /--mode/.test(error.message) && /pm16/.test(error.message));
  });

  it('--mode names the mode of the root and, through it, of its include', async () => {
    await expectMode('unknown', {}, []);
    await expectMode('real', {}, ['--mode', 'real']);
    await expectMode('pm16', {}, ['--mode', 'pm16']);
    await expectMode('v86', {}, ['--mode', 'v86']);
  });

  it('"mode" in the configuration, top level and per glob; --mode wins, and auto takes it back', async () => {
    await expectMode('real', { 'virtlint.config.json': '{ "mode": "real" }' }, []);
    await expectMode('pm16', { 'virtlint.config.json': '{ "mode": "real", "files": [{ "glob": "main.asm", "mode": "pm16" }] }' }, []);
    await expectMode('pm16', { 'virtlint.config.json': '{ "mode": "real" }' }, ['--mode', 'pm16']);
    await expectMode('unknown', { 'virtlint.config.json': '{ "mode": "real" }' }, ['--mode', 'auto']);
  });

  it('a file read alone (--no-includes) takes --mode too', async () => {
    const got = await lint({}, ['--no-includes', '--bits', '16', '--mode', 'real']);
    const alone = sensitiveByLine(MAIN.replace('%include "lib.inc"', ''));
    assert.deepEqual(got.main, expectedIn(alone, 'real'));
    assert.deepEqual(got.lib, expectedIn(libOracle, 'real'));
  });
});
