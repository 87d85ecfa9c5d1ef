// --jobs: the lint command spread over worker threads must print exactly what one thread prints.
// The fixture is a small project shaped like the Linux tree: GNU as roots (.S) that include the
// same headers in 64- and 32-bit code, macros in those headers whose findings are counted over
// every root, a header read both as assembly and as C, NASM with its own include, C files with
// inline assembly and intrinsics, and a file that cannot be read. Enough roots and C files that
// the work is cut into several jobs of each kind.
import * as assert from 'node:assert/strict';
import { mainThreadJoinsHostBatches, setWorkersDieAfterHostBatch, setThisThreadTakesJobs, threadCount, workerJobsDone, PARALLEL_MIN_FILES } from '../../server/src/cli/parallel';
import { parseJsonReport, removeTree, runCli, spawnCli, tempTree, type CliRun } from './helpers';

const ROOTS = 30;
const C_FILES = 60;

const FLAGS_H = `#ifndef FLAGS_H
#define FLAGS_H
#ifdef __ASSEMBLY__
.macro SAVE_FLAGS
\tpushf
.endm
#define READ_TSC rdtsc
#else
static inline unsigned long save_fl(void)
{
\tunsigned long f;
\tasm volatile("pushf ; pop %0" : "=rm" (f));
\treturn f;
}
#endif
#endif
`;

const SEG_H = `\tmov %ds, %ax
\tstr %ax
\tsmsw %ax
`;

function root(i: number): string {
  const lines = ['#include "../inc/flags.h"', '\t.text', `r${i}:`];
  if (i % 3 === 0) lines.push('\t.code32');
  lines.push('\tSAVE_FLAGS', '\tREAD_TSC', i % 3 === 0 ? '\tsgdt (%eax)' : '\tsgdt (%rax)');
  if (i % 2 === 0) lines.push('#include "../inc/seg.h"');
  if (i % 5 === 0) lines.push('\tljmp $0x10, $1f', '1:', '\tpopf');
  lines.push('\tret', '');
  return lines.join('\n');
}

function cFile(i: number): string {
  const lines = ['#include "../inc/flags.h"', '#include <x86intrin.h>', `unsigned long c${i}(void *p)`, '{'];
  if (i % 2 === 0) lines.push('\tasm volatile("sidt %0" : "=m" (*(char *)p));');
  if (i % 3 === 0) lines.push('\treturn __rdtsc();');
  if (i % 7 === 0) lines.push('\tasm volatile("cpuid" ::: "eax", "ebx", "ecx", "edx");');
  lines.push('\treturn save_fl();', '}', '');
  return lines.join('\n');
}

function fixture(): Record<string, string | Uint8Array> {
  const files: Record<string, string | Uint8Array> = {
    'inc/flags.h': FLAGS_H,
    'inc/seg.h': SEG_H,
    'nasm/boot.asm': 'bits 16\n%include "boot.inc"\n  SAVE\n  lgdt [gdt]\ngdt: dd 0\n',
    'nasm/boot.inc': '%macro SAVE 0\n  pushf\n  push ds\n%endmacro\n',
    'bad/garbage.S': new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 1, 2, 3, 0xff, 0xfe]),
  };
  for (let i = 0; i < ROOTS; i++) files[`asm/r${String(i).padStart(2, '0')}.S`] = root(i);
  for (let i = 0; i < C_FILES; i++) files[`c/f${String(i).padStart(2, '0')}.c`] = cFile(i);
  return files;
}

function assertSameRun(serial: CliRun, parallel: CliRun, what: string): void {
  assert.equal(parallel.code, serial.code, `${what}: exit status`);
  assert.equal(parallel.stderr, serial.stderr, `${what}: stderr`);
  assert.equal(parallel.stdout, serial.stdout, `${what}: the report`);
}

describe('cli: --jobs (worker threads)', function () {
  this.timeout(120_000);
  let dir: string;
  let serial: CliRun;

  before(async () => {
    dir = tempTree(fixture());
    serial = await runCli(['--format', 'json', '--jobs', '1', '.'], { cwd: dir });
  });
  after(() => removeTree(dir));

  it('the fixture gives a report worth comparing (roots, headers in two modes, macro uses, C, a problem)', () => {
    const reports = parseJsonReport(serial.stdout);
    const byName = new Map(reports.map((r) => [r.filePath.slice(dir.length + 1), r]));
    assert.ok(byName.size >= ROOTS + C_FILES + 3, `only ${byName.size} reports`);
    const flags = byName.get('inc/flags.h');
    assert.ok(flags, 'inc/flags.h is reported');
    const pushf = flags.messages.filter((m) => m.ruleId === 'pushf');
    assert.ok(pushf.some((m) => /used by \d+ invocations/.test(m.message)), 'the macro body line counts its uses over all roots');
    const seg = byName.get('inc/seg.h');
    assert.ok(seg && seg.messages.length >= 3, 'inc/seg.h has its findings');
    const contexts = (seg.messages[0] as { contexts?: unknown[] }).contexts ?? [];
    assert.ok(contexts.length >= 2, 'inc/seg.h is read in several contexts');
    assert.ok(byName.get('c/f00.c')!.messages.some((m) => m.ruleId === 'sidt'), 'C inline assembly is linted');
    assert.ok(byName.get('bad/garbage.S')!.fatalErrorCount > 0, 'the binary file is a problem report');
  });

  for (const jobs of [2, 3]) {
    it(`--jobs ${jobs} prints exactly what --jobs 1 prints (JSON)`, async () => {
      const parallel = await runCli(['--format', 'json', '--jobs', String(jobs), '.'], { cwd: dir });
      assertSameRun(serial, parallel, `--jobs ${jobs}`);
    });
  }

  it('the same when the workers run every job (walks and C files): the parts are merged in order', async () => {
    const before = { ...workerJobsDone };
    setThisThreadTakesJobs(false);
    try {
      const parallel = await runCli(['--format', 'json', '--jobs', '3', '.'], { cwd: dir });
      assertSameRun(serial, parallel, '--jobs 3, all jobs on workers');
    } finally {
      setThisThreadTakesJobs(true);
    }
    assert.ok(workerJobsDone.walk - before.walk >= Math.ceil(ROOTS / 8), `walk jobs on workers: ${workerJobsDone.walk - before.walk}`);
    assert.ok(workerJobsDone.host - before.host >= Math.ceil(C_FILES / 24), `host jobs on workers: ${workerJobsDone.host - before.host}`);
  });

  it('the same when a worker dies while linting C files: the batches it had claimed are run here', async () => {
    const before = { ...workerJobsDone };
    // This thread takes nothing while the worker lives; the worker ends itself holding its second batch.
    setWorkersDieAfterHostBatch(true);
    setThisThreadTakesJobs(false);
    let parallel: CliRun;
    try {
      parallel = await runCli(['--format', 'json', '--jobs', '2', '--languages', 'c', '.'], { cwd: dir });
    } finally {
      setWorkersDieAfterHostBatch(false);
      setThisThreadTakesJobs(true);
    }
    const alone = await runCli(['--format', 'json', '--jobs', '1', '--languages', 'c', '.'], { cwd: dir });
    assertSameRun(alone, parallel, '--jobs 2, the worker stopped after one batch');
    assert.equal(workerJobsDone.host - before.host, 1, 'the worker linted one batch');
  });

  it('--languages asm and --no-includes: the same with and without workers', async () => {
    for (const extra of [['--languages', 'asm'], ['--no-includes']]) {
      const one = await runCli(['--format', 'json', ...extra, '--jobs', '1', '.'], { cwd: dir });
      const two = await runCli(['--format', 'json', ...extra, '--jobs', '2', '.'], { cwd: dir });
      assertSameRun(one, two, extra.join(' '));
    }
  });

  it('SARIF and stylish are the same with workers, in a separate process too', () => {
    for (const format of ['sarif', 'stylish']) {
      const one = spawnCli(['--format', format, '--jobs', '1', '.'], { cwd: dir });
      const two = spawnCli(['--format', format, '--jobs', '2', '.'], { cwd: dir });
      assert.ok(one.stdout.length > 1000, `${format}: a real report`);
      assertSameRun(one, two, format);
    }
  });

  it('--jobs takes a whole number from 1 to 64', async () => {
    for (const bad of ['0', '65', 'two']) {
      const run = await runCli(['--jobs', bad, '.'], { cwd: dir });
      assert.equal(run.code, 2, `--jobs ${bad}`);
      assert.match(run.stderr, /--jobs/);
    }
  });

  it('without --jobs, workers start only when there are enough files to share, and on two cores only beside assembly', () => {
    assert.equal(threadCount(undefined, PARALLEL_MIN_FILES - 1, 8, true), 1);
    assert.equal(threadCount(undefined, PARALLEL_MIN_FILES, 8, true), 4);
    assert.equal(threadCount(undefined, PARALLEL_MIN_FILES, 8, false), 4);
    assert.equal(threadCount(undefined, PARALLEL_MIN_FILES, 2, true), 2);
    assert.equal(threadCount(undefined, PARALLEL_MIN_FILES, 2, false), 1);
    assert.equal(threadCount(3, 1, 2, false), 3);
  });

  it('this thread joins the C batches only while most are unclaimed, or when no worker is left', () => {
    assert.equal(mainThreadJoinsHostBatches(0, 10, true), true);
    assert.equal(mainThreadJoinsHostBatches(4, 10, true), true);
    assert.equal(mainThreadJoinsHostBatches(5, 10, true), false);
    assert.equal(mainThreadJoinsHostBatches(9, 10, true), false);
    assert.equal(mainThreadJoinsHostBatches(9, 10, false), true);
  });
});
