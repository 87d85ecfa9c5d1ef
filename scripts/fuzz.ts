// npm run fuzz — throws 10^6 generated and mutated lines at analyzeText and random or corrupted
// binaries at the scanner, and fixes random files in every dialect with both strategies. Passes
// when nothing crashes, nothing hangs (a watchdog stops a batch that makes no progress), a 1 MB
// single line finishes well under a second, and every fixed file passes the fix checks
// (test/fixes/fixFuzz.ts: untouched lines keep their bytes, the fixed file assembles, a second
// run changes nothing...). Figures go to stdout and to the "Fuzz" section of BENCHMARKS.md.
//
//   node out/scripts/fuzz.js [--lines N] [--fix-files N] [--fix-seconds S] [--only PARTS] [--seed S] [--no-report]
//
// PARTS is a comma-separated list of lines, long-lines, binaries, fixes (default: all).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isMainThread, parentPort, Worker, workerData } from 'worker_threads';
import { analyzeText, DIALECTS } from '../server/src/analysis';
import type { Bits, Dialect } from '../server/src/analysis/types';
import { resolveRuleSelection } from '../server/src/analysis/catalogue';
import { ScanInputError } from '../server/src/binary/image';
import { loadImage } from '../server/src/scan/load';
import { scanImage } from '../server/src/scan/scanner';
import { SEED_LINES } from '../test/props/corpus';
import { checkFixes, FUZZ_DIALECTS, randomFile, SeededRandom as Rng, type FixCheck } from '../test/fixes/fixFuzz';
import { replaceSection } from './report';

const PARTS = ['lines', 'long-lines', 'binaries', 'fixes'] as const;
type Part = (typeof PARTS)[number];

interface FuzzConfig {
  lines: number;
  seed: number;
  /** Random files for the fix fuzzer (each fixed with both strategies). */
  fixFiles: number;
  /** The fix fuzzer starts no new file after this many seconds. */
  fixSeconds: number;
  parts: Part[];
}

type Progress =
  | { kind: 'progress'; done: number; current: string }
  | { kind: 'result'; figures: Record<string, string | number>; failures: string[] };

const ROOT = path.resolve(__dirname, '..', '..');
const BATCH_LINES = 2000;
const WATCHDOG_MS = 30_000;

const TOKENS = ['[', ']', '(', ')', ',', ':', '%', '$', '*', '\\', '"', "'", ';', '#', 'far', 'ptr', 'dword', 'qword', 'fword', 'rep', 'lock', 'cs:', 'es:', '%ss', 'rax', 'eax', 'ax', '0x', '0x10:0x20', 'virtlint-disable-next-line', 'virtlint-fixed: popf', 'virtlint: dialect=gas-att bits=16', '%macro', '%endmacro', '.macro', '.endm', 'bits 16', '.code32', 'use64', '\t', '\u00a0', '\u200b', '\uFEFF', '😀', '\uD800', '\u0000', '\u202E'];

function randomUnicode(rng: Rng, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += String.fromCharCode(rng.below(4) === 0 ? rng.below(0x10000) : 0x20 + rng.below(0x5f));
  return out;
}

function fuzzLine(rng: Rng, dialect: Dialect): string {
  const kind = rng.below(10);
  if (kind < 5) {
    // A seed line with a few mutations.
    let line = rng.pick(SEED_LINES[dialect]);
    const edits = rng.below(4);
    for (let e = 0; e < edits; e++) {
      const at = line.length === 0 ? 0 : rng.below(line.length + 1);
      const op = rng.below(3);
      if (op === 0) line = line.slice(0, at) + rng.pick(TOKENS) + line.slice(at);
      else if (op === 1) line = line.slice(0, at) + line.slice(at + 1 + rng.below(4));
      else line = line.slice(0, at) + line.slice(at, at + 3).repeat(2) + line.slice(at + 3);
    }
    return line;
  }
  if (kind < 7) return rng.pick(SEED_LINES[dialect]);
  if (kind < 8) return randomUnicode(rng, rng.below(80));
  if (kind < 9) return Array.from({ length: 1 + rng.below(8) }, () => rng.pick(TOKENS)).join(rng.below(2) ? ' ' : '');
  return rng.pick(SEED_LINES[dialect]) + ' ' + 'x'.repeat(rng.below(2000));
}

function runLines(config: FuzzConfig, report: (p: Progress) => void): { figures: Record<string, string | number>; failures: string[] } {
  const rng = new Rng(config.seed);
  const failures: string[] = [];
  let done = 0;
  let worstBatchMs = 0;
  let worstPerLineUs = 0;
  let totalMs = 0;
  let findings = 0;
  let batches = 0;
  while (done < config.lines) {
    const dialect = rng.pick(DIALECTS);
    const bits = rng.pick<Bits>([16, 32, 64]);
    const count = Math.min(BATCH_LINES, config.lines - done);
    const lines: string[] = [];
    for (let i = 0; i < count; i++) lines.push(fuzzLine(rng, dialect));
    const text = lines.join(rng.below(5) === 0 ? '\r\n' : '\n');
    report({ kind: 'progress', done, current: text });
    const detect = rng.below(3) === 0;
    const start = performance.now();
    try {
      const result = analyzeText(text, detect ? { rules: ['all'] } : { dialect, bits, rules: ['all'] });
      findings += result.findings.length;
    } catch (e) {
      const file = path.join(os.tmpdir(), `virtlint-fuzz-crash-${batches}.asm`);
      fs.writeFileSync(file, text);
      failures.push(`analyzeText threw ${e instanceof Error ? e.message : String(e)} (input saved to ${file})`);
    }
    const ms = performance.now() - start;
    totalMs += ms;
    worstBatchMs = Math.max(worstBatchMs, ms);
    worstPerLineUs = Math.max(worstPerLineUs, (ms * 1000) / count);
    done += count;
    batches++;
  }
  return {
    figures: {
      lines: done,
      batches,
      'lines per analyzeText call': BATCH_LINES,
      'analysis time (s)': (totalMs / 1000).toFixed(2),
      'mean µs per line': ((totalMs * 1000) / Math.max(1, done)).toFixed(2),
      'worst batch (ms)': worstBatchMs.toFixed(1),
      'worst batch, µs per line': worstPerLineUs.toFixed(1),
      findings,
    },
    failures,
  };
}

function runLongLines(report: (p: Progress) => void): { figures: Record<string, string | number>; failures: string[] } {
  const MB = 1024 * 1024;
  const cases: [string, string][] = [
    ['1 MB identifier operand', 'mov eax, ' + 'a'.repeat(MB)],
    ['1 MB comment', 'pushf ; ' + 'c'.repeat(MB)],
    ['1 MB of commas', 'mov eax, ' + ','.repeat(MB)],
    ['1 MB of brackets', 'sgdt ' + '['.repeat(MB / 2) + ']'.repeat(MB / 2)],
    ['1 MB of "pushf;" (AT&T statement separator)', 'pushf;'.repeat(MB / 6)],
    ['1 MB random unicode', randomUnicode(new Rng(7), MB)],
    ['1 MB string literal', 'db "' + 'q'.repeat(MB) + '"'],
  ];
  const figures: Record<string, string | number> = {};
  const failures: string[] = [];
  for (const [name, text] of cases) {
    report({ kind: 'progress', done: 0, current: `${name} (${text.length} chars)` });
    for (const dialect of DIALECTS) {
      const start = performance.now();
      try {
        analyzeText(text, { dialect, rules: ['all'] });
      } catch (e) {
        failures.push(`${name} (${dialect}): threw ${e instanceof Error ? e.message : String(e)}`);
      }
      const ms = performance.now() - start;
      const key = `${name}, worst dialect (ms)`;
      figures[key] = Math.max(Number(figures[key] ?? 0), Number(ms.toFixed(1)));
      if (ms > 1000) failures.push(`${name} (${dialect}) took ${ms.toFixed(0)} ms (limit 1000)`);
    }
  }
  return { figures, failures };
}

async function runBinaries(seed: number, report: (p: Progress) => void): Promise<{ figures: Record<string, string | number>; failures: string[] }> {
  const rng = new Rng(seed ^ 0x5a5a5a5a);
  const selection = resolveRuleSelection(['all'], 'deprivileged-kernel');
  const options = { profile: 'deprivileged-kernel' as const, enabled: selection.enabled, includeInt3: true };
  const failures: string[] = [];
  let rawBytes = 0;
  let rawMs = 0;
  let rawFindings = 0;
  let mutated = 0;
  let refused = 0;
  for (let i = 0; i < 64; i++) {
    const bytes = new Uint8Array(64 * 1024);
    for (let j = 0; j < bytes.length; j++) bytes[j] = rng.below(256);
    const bits = rng.pick<16 | 32 | 64>([16, 32, 64]);
    report({ kind: 'progress', done: i, current: `random raw image #${i} (${bits}-bit)` });
    const start = performance.now();
    try {
      rawFindings += (await scanImage(loadImage(bytes, { bits, base: BigInt(rng.next()) }), options)).findings.length;
    } catch (e) {
      failures.push(`random raw image #${i}: ${e instanceof Error ? e.message : String(e)}`);
    }
    rawMs += performance.now() - start;
    rawBytes += bytes.length;
  }
  const seeds = seedBinaries();
  for (const [name, original] of seeds) {
    for (let round = 0; round < 1500; round++) {
      const bytes = original.slice();
      const flips = 1 + rng.below(8);
      for (let k = 0; k < flips; k++) {
        // Mostly headers and tables: the first 1 KB and the last 1 KB of the file.
        const at = rng.below(2) ? rng.below(Math.min(1024, bytes.length)) : bytes.length - 1 - rng.below(Math.min(1024, bytes.length));
        bytes[at] = rng.below(256);
      }
      const cut = rng.below(8) === 0 ? rng.below(bytes.length) : bytes.length;
      report({ kind: 'progress', done: round, current: `${name} mutation #${round}` });
      try {
        await scanImage(loadImage(bytes.subarray(0, cut)), options);
      } catch (e) {
        if (e instanceof ScanInputError) refused++;
        else failures.push(`${name} mutation #${round}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      }
      mutated++;
    }
  }
  return {
    figures: {
      'random raw images (64 KB each, every rule incl. INT3)': 64,
      'findings in them (each one disassembled and formatted)': rawFindings,
      'random raw images, MB/s': ((rawBytes / 1048576) / (rawMs / 1000)).toFixed(1),
      'mutated ELF/PE/COFF files': mutated,
      'of which refused with a clear error': refused,
      'seed binaries': seeds.map(([n]) => n).join(', '),
    },
    failures,
  };
}

/** Small real binaries to corrupt: built with nasm + ld when available, plus the system's /bin/true. */
function seedBinaries(): [string, Uint8Array][] {
  const out: [string, Uint8Array][] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtlint-fuzz-'));
  try {
    fs.writeFileSync(path.join(dir, 'a.asm'), 'global _start\nglobal f\nsection .text\n_start: pushf\ncpuid\nf: ret\n');
    const steps: [string, string[]][] = [
      ['nasm', ['-f', 'elf64', '-o', 'a64.o', 'a.asm']],
      ['ld', ['-o', 'a64', 'a64.o']],
      ['nasm', ['-f', 'win64', '-o', 'a.obj', 'a.asm']],
      ['ld', ['-m', 'i386pep', '--shared', '--export-all-symbols', '-e', '_start', '-o', 'a.dll', 'a.obj']],
    ];
    for (const [tool, args] of steps) {
      const r = spawnSync(tool, args, { cwd: dir });
      if (r.error || r.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${r.error?.message ?? r.stderr.toString()}`);
    }
    for (const name of ['a64.o', 'a64', 'a.obj', 'a.dll']) out.push([name, new Uint8Array(fs.readFileSync(path.join(dir, name)))]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (fs.existsSync('/bin/true')) out.push(['/bin/true', new Uint8Array(fs.readFileSync('/bin/true'))]);
  return out;
}

/**
 * Random files in every dialect, each fixed with the trap strategy (KVM or Xen prefix) and the
 * hypercall strategy (a random ABI), read with a forced dialect or detected from the text.
 */
function runFixes(config: FuzzConfig, report: (p: Progress) => void): { figures: Record<string, string | number>; failures: string[] } {
  const rng = new Rng(config.seed ^ 0x0f1c5eed);
  const failures: string[] = [];
  const started = performance.now();
  const perDialect = new Map<Dialect, number>();
  const notAssembled = new Map<string, number>();
  let files = 0;
  let cases = 0;
  let fixes = 0;
  let pins = 0;
  let compared = 0;
  let failedCases = 0;
  while (files < config.fixFiles && performance.now() - started < config.fixSeconds * 1000) {
    const dialect = rng.pick(FUZZ_DIALECTS);
    const file = randomFile(rng, dialect);
    report({ kind: 'progress', done: files, current: file.text });
    perDialect.set(dialect, (perDialect.get(dialect) ?? 0) + 1);
    for (const strategy of ['trap', 'hypercall'] as const) {
      const abi = strategy === 'trap' ? rng.pick(['kvm', 'xen'] as const) : rng.pick(['kvm', 'kvm-amd', 'xen', 'hyperv'] as const);
      const detect = rng.below(2) === 0;
      let check: FixCheck;
      try {
        check = checkFixes(file, strategy, abi, detect);
      } catch (e) {
        check = { fixes: 0, pinned: false, problems: [`threw ${e instanceof Error ? e.stack ?? e.message : String(e)}`] };
      }
      cases++;
      fixes += check.fixes;
      if (check.pinned) pins++;
      if (check.notAssembled === undefined) compared++;
      else {
        const reason = check.notAssembled.replace(/ \(.*$/s, ''); // without the assembler's message
        notAssembled.set(reason, (notAssembled.get(reason) ?? 0) + 1);
      }
      if (check.problems.length > 0) {
        failedCases++;
        const saved = path.join(os.tmpdir(), `virtlint-fixfuzz-${files}.${dialect === 'gas-att' || dialect === 'gas-intel' ? 's' : 'asm'}`);
        fs.writeFileSync(saved, (file.byteOrderMark ? '\ufeff' : '') + file.text);
        const how = `--fix ${strategy} --abi ${abi}${detect ? '' : ` --dialect ${dialect}`} --rules all`;
        failures.push(`fix fuzzer, ${dialect} ${file.bits}-bit, ${how} (${saved}): ${check.problems.slice(0, 5).join('; ')}`);
      }
    }
    files++;
  }
  const figures: Record<string, string | number> = {
    'fix fuzzer: random files': `${files} (${[...perDialect].map(([d, n]) => `${d} ${n}`).join(', ')})`,
    'fix fuzzer: fix runs (files × {trap, hypercall})': cases,
    'fix fuzzer: instructions rewritten': fixes,
    'fix fuzzer: runs that pinned the reading with a modeline': pins,
    'fix fuzzer: runs compared byte by byte with the real assembler': compared,
    'fix fuzzer: failed runs': failedCases,
    'fix fuzzer: time (s)': ((performance.now() - started) / 1000).toFixed(1),
  };
  for (const [reason, count] of notAssembled) figures[`fix fuzzer: runs not assembled (${reason})`] = count;
  return { figures, failures };
}

async function workerMain(config: FuzzConfig): Promise<void> {
  const report = (p: Progress): void => parentPort!.postMessage(p);
  const wanted = new Set(config.parts);
  const parts: { figures: Record<string, string | number>; failures: string[] }[] = [];
  if (wanted.has('lines')) parts.push(runLines(config, report));
  if (wanted.has('long-lines')) parts.push(runLongLines(report));
  if (wanted.has('binaries')) parts.push(await runBinaries(config.seed, report));
  if (wanted.has('fixes') && config.fixFiles > 0) parts.push(runFixes(config, report));
  const figures: Record<string, string | number> = {};
  const failures: string[] = [];
  for (const part of parts) {
    Object.assign(figures, part.figures);
    for (const failure of part.failures) failures.push(failure);
  }
  report({ kind: 'result', figures, failures });
}

function parseArgs(argv: string[]): FuzzConfig & { writeReport: boolean } {
  const config = { lines: 1_000_000, seed: 1, fixFiles: 300, fixSeconds: 600, parts: [...PARTS] as Part[], writeReport: true };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--lines') config.lines = Number(argv[++i]);
    else if (argv[i] === '--seed') config.seed = Number(argv[++i]);
    else if (argv[i] === '--fix-files') config.fixFiles = Number(argv[++i]);
    else if (argv[i] === '--fix-seconds') config.fixSeconds = Number(argv[++i]);
    else if (argv[i] === '--only') config.parts = (argv[++i] ?? '').split(',').map((part) => part.trim()) as Part[];
    else if (argv[i] === '--no-report') config.writeReport = false;
    else throw new Error(`fuzz: unknown option ${argv[i]}`);
  }
  if (!(config.lines > 0)) throw new Error('fuzz: --lines wants a positive number');
  if (!(config.fixFiles >= 0) || !(config.fixSeconds > 0)) throw new Error('fuzz: --fix-files wants a number ≥ 0 and --fix-seconds a positive number');
  const unknown = config.parts.filter((part) => !PARTS.includes(part));
  if (unknown.length > 0 || config.parts.length === 0) throw new Error(`fuzz: --only takes ${PARTS.join(', ')} (got ${unknown.join(', ') || 'nothing'})`);
  return config;
}

function main(): void {
  const config = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const workerConfig: FuzzConfig = { lines: config.lines, seed: config.seed, fixFiles: config.fixFiles, fixSeconds: config.fixSeconds, parts: config.parts };
  const worker = new Worker(__filename, { workerData: workerConfig });
  let lastProgress = Date.now();
  let current = '';
  let finished = false;
  const watchdog = setInterval(() => {
    if (Date.now() - lastProgress < WATCHDOG_MS) return;
    const file = path.join(os.tmpdir(), 'virtlint-fuzz-hang.txt');
    fs.writeFileSync(file, current);
    console.error(`fuzz: no progress for ${WATCHDOG_MS / 1000} s — a hang. Input saved to ${file}`);
    console.log('fuzz: 0 passed, 1 failed');
    void worker.terminate();
    process.exitCode = 1;
    clearInterval(watchdog);
  }, 1000);
  worker.on('message', (message: Progress) => {
    lastProgress = Date.now();
    if (message.kind === 'progress') {
      current = message.current;
      return;
    }
    finished = true;
    clearInterval(watchdog);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    for (const [k, v] of Object.entries(message.figures)) console.log(`  ${k}: ${v}`);
    for (const f of message.failures) console.error(`FAIL ${f}`);
    // The section holds every part's figures: a run of some parts leaves it alone.
    if (config.writeReport && config.parts.length === PARTS.length) writeReport(config, message.figures, message.failures, seconds);
    else if (config.writeReport) console.log('fuzz: --only ran some parts; BENCHMARKS.md is left as it was');
    console.log(`fuzz: ${message.failures.length === 0 ? 1 : 0} passed, ${message.failures.length === 0 ? 0 : 1} failed (${message.failures.length} problem(s), ${seconds} s)`);
    process.exitCode = message.failures.length === 0 ? 0 : 1;
    void worker.terminate();
  });
  worker.on('error', (error) => {
    clearInterval(watchdog);
    console.error(`fuzz: the fuzz worker crashed: ${error.stack ?? error.message}`);
    console.log('fuzz: 0 passed, 1 failed');
    process.exitCode = 1;
  });
  worker.on('exit', () => {
    clearInterval(watchdog);
    if (!finished && process.exitCode === undefined) {
      console.error('fuzz: the fuzz worker exited without a result (out of memory?)');
      console.log('fuzz: 0 passed, 1 failed');
      process.exitCode = 1;
    }
  });
}

function writeReport(config: FuzzConfig, figures: Record<string, string | number>, failures: string[], seconds: string): void {
  const lines = [
    '## Fuzz',
    '',
    `Command: \`npm run fuzz\` (= \`node out/scripts/fuzz.js --lines ${config.lines} --fix-files ${config.fixFiles} --fix-seconds ${config.fixSeconds} --seed ${config.seed}\`), ${new Date().toISOString()}, ${seconds} s in all.`,
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, Node ${process.version}, load average ${os.loadavg()[0]!.toFixed(2)}.`,
    '',
    '| figure | value |',
    '| --- | ---: |',
    ...Object.entries(figures).map(([k, v]) => `| ${k} | ${v} |`),
    '',
    failures.length === 0 ? 'Result: no crash, no hang, every 1 MB line under the 1 s limit, every fix run passed its checks.' : `Result: ${failures.length} problem(s):\n\n${failures.map((f) => `- ${f.split('\n')[0]}`).join('\n')}`,
  ];
  replaceSection(path.join(ROOT, 'BENCHMARKS.md'), 'fuzz', lines.join('\n'));
}

if (isMainThread) main();
else void workerMain(workerData as FuzzConfig);
