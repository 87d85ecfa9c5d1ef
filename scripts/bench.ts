// npm run bench — performance figures, each next to a baseline measured in the same run, written
// to the "bench" section of BENCHMARKS.md with the command and the machine.
//
//   node out/scripts/bench.js [--quick] [--only cli,analysis,scan,growth,lsp,project,embedded,startup] [--no-report]
//
// Needs `npm run build` (dist/cli.js, dist/server.js) and `npm run corpus` (.corpus/). Wall times
// are the minimum and median of several runs: the minimum is the least disturbed by other load.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { analyzeText } from '../server/src/analysis';
import { analyzeEmbedded, hostLanguageOf } from '../server/src/analysis/embedded';
import { parseElf } from '../server/src/binary/elf';
import { fastSweep, referenceSweep } from '../server/src/binary/sweep';
import { preset, projectArgs } from './corpusTrees';
import { LspClient } from './lspClient';
import { replaceSection } from './report';

const ROOT = path.resolve(__dirname, '..', '..');
const CORPUS = path.join(ROOT, '.corpus');
const TREE = path.join(CORPUS, 'linux', 'arch', 'x86');
const VMLINUX = path.join(CORPUS, 'bin', 'vmlinux');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const SERVER = path.join(ROOT, 'dist', 'server.js');
/** What a user runs (`virtlint`, `virtlint-lsp`): the bundles through the launchers' compile cache. */
const CLI_LAUNCHER = path.join(ROOT, 'bin', 'virtlint.js');
const SERVER_LAUNCHER = path.join(ROOT, 'bin', 'virtlint-lsp.js');
const SCRATCH = path.join(ROOT, '.tmp', 'bench');
const MNEMONICS = 'sgdt|sidt|sldt|smsw|str|pushf[lwdq]?|popf[lwdq]?|lar|lsl|verr|verw|lret[lwq]?|retf|ljmp[lwq]?|lcall[lwq]?|iret[lwdq]?|int|int3|cpuid|rdtsc|rdtscp|rdpmc|rdpid|xgetbv';

interface Options {
  quick: boolean;
  only: Set<string>;
  report: boolean;
}

interface Timing {
  min: number;
  median: number;
  runs: number;
  /** CPU time (user + sys) of the command's processes, in ms: what other load on the machine distorts least. */
  cpuMin: number;
  cpuMedian: number;
}

const out: string[] = [];
const problems: string[] = [];

function log(line: string): void {
  process.stdout.write(line + '\n');
}

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(1);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Wall and CPU time of a shell command (output discarded by the command itself), in ms. */
function timeShell(command: string, runs: number): Timing {
  const samples: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    // bash's `times` gives the user and system time of the shell's children (every process of the command) to the millisecond.
    const r = spawnSync('bash', ['-c', `${command}\nstatus=$?\ntimes\nexit $status`], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.status !== 0 && r.status !== 1) problems.push(`\`${command}\` exited ${r.status}: ${r.stderr.slice(0, 300)}`);
    samples.push(ms);
    cpu.push(childrenCpuMs(r.stdout));
  }
  return { min: Math.min(...samples), median: median(samples), runs, cpuMin: Math.min(...cpu), cpuMedian: median(cpu) };
}

/** The children's user + system time from the last line `times` printed (`0m0.120s 0m0.031s`). */
function childrenCpuMs(output: string): number {
  const last = output.trim().split('\n').at(-1) ?? '';
  const parts = [...last.matchAll(/(\d+)m([\d.]+)s/g)];
  if (parts.length !== 2) return NaN;
  return parts.reduce((sum, m) => sum + (Number(m[1]) * 60 + Number(m[2])) * 1000, 0);
}

function shellOutput(command: string): string {
  const r = spawnSync('bash', ['-c', command], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 30 });
  return r.stdout;
}

const fmt = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
const timing = (t: Timing): string => `${fmt(t.min)} ms (median ${fmt(t.median)}, ${t.runs} runs)`;
const cpuTiming = (t: Timing): string => `${fmt(t.cpuMin)} ms (median ${fmt(t.cpuMedian)})`;

function section(title: string): void {
  out.push('', `### ${title}`, '');
  log(`\n== ${title}`);
}

function row(cells: string[]): void {
  out.push(`| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`);
  log('  ' + cells.join('  |  '));
}

function header(cells: string[]): void {
  out.push(`| ${cells.join(' | ')} |`, `|${cells.map(() => ' --- ').join('|')}|`);
}

function listSourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...listSourceFiles(full));
    else if (/\.(S|s|asm|nasm|inc)$/.test(entry.name)) files.push(full);
  }
  return files;
}

function benchCli(opts: Options): void {
  section('CLI over the Linux 6.1 arch/x86 tree');
  const files = listSourceFiles(TREE).filter((f) => f.endsWith('.S'));
  const bytes = files.reduce((n, f) => n + fs.statSync(f).size, 0);
  const runs = opts.quick ? 3 : 7;
  const ours = timeShell(`node ${CLI} --format json ${TREE} > /dev/null`, runs);
  const baseline = timeShell(`grep -rEiw --include='*.S' '(${MNEMONICS})' ${TREE} > /dev/null`, runs);
  out.push(`${files.length} .S files, ${(bytes / 1048576).toFixed(2)} MB.`, '');
  header(['measure', 'virtlint', 'baseline: grep -E for the mnemonics', 'goal']);
  row(['wall time incl. Node start-up', timing(ours), timing(baseline), '≤ 1000 ms']);
  if (ours.min > 1000) problems.push(`CLI over arch/x86: ${fmt(ours.min)} ms > 1000 ms goal`);
}

function benchAnalysis(opts: Options): void {
  section('Analysis alone (in-process, after one warm-up pass)');
  const files = listSourceFiles(TREE).filter((f) => f.endsWith('.S'));
  const texts = files.map((f) => ({ name: f, text: fs.readFileSync(f, 'utf8') }));
  const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t.text), 0);
  const pass = (): number => {
    const start = performance.now();
    for (const t of texts) analyzeText(t.text, { fileName: t.name });
    return performance.now() - start;
  };
  pass();
  const samples = Array.from({ length: opts.quick ? 2 : 5 }, pass);
  const best = Math.min(...samples);
  const grepStart = performance.now();
  const re = new RegExp(`\\b(${MNEMONICS})\\b`, 'gi');
  let hits = 0;
  for (const t of texts) hits += t.text.match(re)?.length ?? 0;
  const regexMs = performance.now() - grepStart;
  header(['measure', 'virtlint analyzeText', 'baseline: one JS regex over the same text']);
  row(['throughput', `${(bytes / 1048576 / (best / 1000)).toFixed(1)} MB/s (${fmt(best)} ms for ${(bytes / 1048576).toFixed(2)} MB)`, `${(bytes / 1048576 / (regexMs / 1000)).toFixed(1)} MB/s (${hits} matches)`]);
}

function textSection(): { bytes: Uint8Array; name: string } {
  const image = parseElf(new Uint8Array(fs.readFileSync(VMLINUX)));
  const text = image.sections.find((s) => s.name === '.text');
  if (!text) fail('vmlinux has no .text section');
  return { bytes: text.bytes, name: '.text' };
}

function benchScan(opts: Options): void {
  section('Binary scan: vmlinux .text against objdump');
  const { bytes } = textSection();
  const mb = bytes.length / 1048576;
  const runs = opts.quick ? 3 : 5;
  // As users run it: the launcher, which loads the scan bundle (dist/scan.js) through its compile cache.
  const cmd = (jobs: number): string => `node ${CLI_LAUNCHER} scan --jobs ${jobs} --section .text --format json ${VMLINUX} > /dev/null`;
  const one = timeShell(cmd(1), runs);
  const two = timeShell(cmd(2), runs);
  const objdump = timeShell(`objdump -d -j .text ${VMLINUX} | grep -cE '\\s(${MNEMONICS})\\s' > /dev/null`, opts.quick ? 1 : 3);
  const best = Math.min(one.min, two.min);
  out.push(`.text is ${mb.toFixed(1)} MiB (${(bytes.length / 1e6).toFixed(1)} MB). Commands: \`${cmd(1).split(ROOT + '/').join('')}\` (and \`--jobs 2\`); baseline \`objdump -d -j .text .corpus/bin/vmlinux | grep -cE '\\s(<mnemonics>)\\s'\`.`, '');
  out.push('CPU is user + system time of all the command\'s processes (objdump and grep together); other load on the machine distorts it less than wall time.', '');
  header(['measure', 'virtlint scan', 'baseline', 'goal']);
  row(['wall, 1 thread', timing(one), `objdump | grep: ${timing(objdump)}`, '≤ 600 ms']);
  row(['CPU, 1 thread', cpuTiming(one), `objdump | grep: ${cpuTiming(objdump)}`, '']);
  row(['wall, 2 threads (--jobs 2)', timing(two), '', '']);
  row(['speed-up over objdump | grep (best wall)', `${(objdump.min / best).toFixed(1)}×`, '1×', '≥ 30×']);
  row(['speed-up over objdump | grep (best CPU, 1 thread)', `${(objdump.cpuMin / one.cpuMin).toFixed(1)}×`, '1×', '']);
  if (best > 600) problems.push(`scan: ${fmt(best)} ms > 600 ms goal`);
  if (objdump.min / best < 30) problems.push(`scan: only ${(objdump.min / best).toFixed(1)}× faster than objdump | grep (goal 30×)`);
  benchDiscovery(runs);

  // In-process: the fast sweep against a plain iced sweep, and proof that they agree.
  const first = performance.now();
  fastSweep(bytes, 64, { start: 0, stop: bytes.length });
  const firstMs = performance.now() - first;
  const warmStart = performance.now();
  const warm = fastSweep(bytes, 64, { start: 0, stop: bytes.length });
  const warmMs = performance.now() - warmStart;
  const refStart = performance.now();
  const reference = referenceSweep(bytes, 64);
  const refMs = performance.now() - refStart;
  const fast = fastSweep(bytes, 64, { start: 0, stop: bytes.length }, { includeInt3: true });
  const same = fast.offsets.length === reference.offsets.length && fast.offsets.every((o, i) => o === reference.offsets[i] && fast.codes[i] === reference.codes[i]);
  if (!same) problems.push('scan: the fast sweep and the plain iced sweep disagree on vmlinux .text');
  out.push('');
  header(['in-process sweep of .text', 'fast sweep', 'baseline: plain iced decodeOut loop']);
  row(['time', `${fmt(firstMs)} ms first run, ${fmt(warmMs)} ms warm (${(mb / (warmMs / 1000)).toFixed(0)} MB/s); ${warm.deferred} instructions went to iced`, `${fmt(refMs)} ms (${(mb / (refMs / 1000)).toFixed(0)} MB/s)`]);
  row(['hits, every instruction a rule covers (INT3 included)', String(fast.offsets.length), `${reference.offsets.length} — ${same ? 'identical offsets and codes' : 'DIFFERENT'}`]);
}

/**
 * Code discovery (the default) against the linear sweep on a library with symbols and unwind
 * tables, and start-up: a scan of a tiny file against Node doing nothing.
 */
function benchDiscovery(runs: number): void {
  const library = ['/usr/lib/x86_64-linux-gnu/libc.so.6', '/lib/x86_64-linux-gnu/libc.so.6'].find((file) => fs.existsSync(file));
  const tiny = ['/usr/bin/true', '/bin/true'].find((file) => fs.existsSync(file));
  out.push('');
  header(['scan', 'default (code discovery)', '--sweep linear', 'note']);
  if (library) {
    const scanOf = (mode: string): string => `node ${CLI_LAUNCHER} scan --sweep ${mode} --rules core,extended --format json ${library} > /dev/null`;
    const discover = timeShell(scanOf('discover'), runs);
    const linear = timeShell(scanOf('linear'), runs);
    row([`${path.basename(library)} (${(fs.statSync(library).size / 1048576).toFixed(1)} MB)`, timing(discover), timing(linear), 'symbols + .eh_frame, traversal for the rest']);
  }
  const vmlinuxLinear = timeShell(`node ${CLI_LAUNCHER} scan --sweep linear --section .text --format json ${VMLINUX} > /dev/null`, runs);
  row(['vmlinux .text', 'see above (no symbols or unwind tables: falls back to the sweep)', timing(vmlinuxLinear), '']);
  if (tiny) {
    const startup = timeShell(`node ${CLI_LAUNCHER} scan --format json ${tiny} > /dev/null`, runs);
    const bare = timeShell(`node -e 0`, runs);
    row([`start-up: ${tiny} (${(fs.statSync(tiny).size / 1024).toFixed(0)} KB)`, `${timing(startup)}; CPU ${cpuTiming(startup)}`, `node -e 0: ${timing(bare)}; CPU ${cpuTiming(bare)}`, 'the difference is loading the scan bundle and iced-x86']);
  }
}

function benchGrowth(opts: Options): void {
  section('How cost grows with input (1×, 4×, 16×)');
  fs.rmSync(SCRATCH, { recursive: true, force: true });
  fs.mkdirSync(SCRATCH, { recursive: true });
  const runs = 2;
  header(['input', 'CLI: copies of arch/x86', 'CLI wall', 'scan: slice of vmlinux .text (raw)', 'scan wall']);
  const { bytes } = textSection();
  const cliTimes: number[] = [];
  const scanTimes: number[] = [];
  for (const factor of [1, 4, 16]) {
    const dir = path.join(SCRATCH, `tree-${factor}`);
    for (let i = 0; i < factor; i++) {
      const target = path.join(dir, `copy${i}`);
      fs.mkdirSync(target, { recursive: true });
      spawnSync('cp', ['-rl', TREE, target]);
    }
    const cli = timeShell(`node ${CLI} --format json ${dir} > /dev/null`, runs);
    const slice = bytes.subarray(0, Math.floor((bytes.length * factor) / 16));
    const raw = path.join(SCRATCH, `text-${factor}.bin`);
    fs.writeFileSync(raw, slice);
    const scan = timeShell(`node ${CLI} scan --raw --bits 64 --format json ${raw} > /dev/null`, runs);
    cliTimes.push(cli.min);
    scanTimes.push(scan.min);
    row([`${factor}×`, `${factor} × 157 .S files`, timing(cli), `${(slice.length / 1048576).toFixed(1)} MB`, timing(scan)]);
  }
  const treeMb = listSourceFiles(TREE).reduce((n, f) => n + fs.statSync(f).size, 0) / 1048576;
  const textMb = bytes.length / 1048576;
  out.push(
    '',
    `Ratio 16× / 1×: CLI ${(cliTimes[2]! / cliTimes[0]!).toFixed(1)}, scan ${(scanTimes[2]! / scanTimes[0]!).toFixed(1)} (16 would be linear in total time; Node start-up is a fixed cost in every run).`,
    `Marginal cost from 1× to 16× (start-up cancels out): CLI ${((cliTimes[2]! - cliTimes[0]!) / (15 * treeMb)).toFixed(0)} ms per MB of source, ` +
      `scan ${((scanTimes[2]! - scanTimes[0]!) / ((15 / 16) * textMb)).toFixed(1)} ms per MB of code; the 4× point lies on the same line when cost is linear ` +
      `(CLI 4×: ${fmt(cliTimes[1]!)} ms measured, ${fmt(cliTimes[0]! + ((cliTimes[2]! - cliTimes[0]!) * 3) / 15)} ms on the line; scan 4×: ${fmt(scanTimes[1]!)} ms measured, ${fmt(scanTimes[0]! + ((scanTimes[2]! - scanTimes[0]!) * 3) / 15)} ms on the line).`,
  );
  fs.rmSync(SCRATCH, { recursive: true, force: true });
}

function nasmDocument(lines: number): string {
  const block = ['; block {n}', 'func_{n}:', '    push rbp', '    mov rbp, rsp', '    pushfq', '    pop rax', '    cpuid', '    mov eax, [rbp+8]', '    add eax, 1', '    pop rbp', '    ret', ''];
  const outLines: string[] = ['bits 64', 'section .text'];
  for (let n = 0; outLines.length < lines; n++) for (const l of block) outLines.push(l.replace('{n}', String(n)));
  return outLines.slice(0, lines).join('\n') + '\n';
}

type DiagnosticsModel = 'push' | 'pull';
type EditKind = 'comment' | 'instruction' | 'newline';

const EDIT_KINDS: Record<EditKind, string> = {
  comment: 'typing in a comment (diagnostics unchanged)',
  instruction: 'editing a flagged instruction (one diagnostic comes and goes)',
  newline: 'inserting and deleting a line break (every diagnostic below moves)',
};

interface BenchDocument {
  client: LspClient;
  uri: string;
  model: DiagnosticsModel;
  version: number;
  /** Pull model: the result id of the last report, sent back with the next request. */
  resultId?: string;
}

async function openDocument(client: LspClient, uri: string, text: string, model: DiagnosticsModel = 'push'): Promise<BenchDocument> {
  const document: BenchDocument = { client, uri, model, version: 1 };
  const first = model === 'push' ? client.waitFor('textDocument/publishDiagnostics', (p) => p.uri === uri, 60_000) : undefined;
  client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'nasm', version: 1, text } });
  if (first) await first;
  else await pullDiagnostics(document);
  return document;
}

/** One pull as VS Code makes it: with the previous result id, so an unchanged report is a few bytes. */
async function pullDiagnostics(document: BenchDocument): Promise<{ kind: string; items?: unknown[] }> {
  const report = await document.client.request<{ kind: string; resultId?: string; items?: unknown[] }>('textDocument/diagnostic', { textDocument: { uri: document.uri }, previousResultId: document.resultId }, 30_000);
  if (report.resultId) document.resultId = report.resultId;
  return report;
}

async function startClient(model: DiagnosticsModel = 'push', settings: Record<string, unknown> = {}, serverScript = SERVER): Promise<LspClient> {
  const client = new LspClient(serverScript, settings);
  const textDocument = { publishDiagnostics: { versionSupport: true }, hover: { contentFormat: ['markdown'] }, ...(model === 'pull' ? { diagnostic: { dynamicRegistration: false } } : {}) };
  const workspace = Object.keys(settings).length > 0 ? { configuration: true } : {};
  await client.request('initialize', { processId: process.pid, rootUri: null, capabilities: { textDocument, workspace } });
  client.notify('initialized', {});
  return client;
}

interface BenchChange {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  text: string;
}

/** Lines "; block N" of the generated document; each block has "    pushfq" 4 lines below. */
function blockStarts(lines: readonly string[]): number[] {
  return lines.map((l, i) => (l.startsWith('; block') ? i : -1)).filter((i) => i >= 0);
}

/**
 * The i-th edit of a kind; edits 2k and 2k+1 hit the same block and undo each other. Edits that
 * change diagnostics stay within the first 800 blocks, whose findings are all among the
 * 1,000 shown, so each one really changes what the client must receive.
 */
function benchEdit(blockLines: readonly number[], lines: readonly string[], kind: EditKind, i: number): BenchChange {
  const blocks = kind === 'comment' ? blockLines.length : Math.min(blockLines.length, 800);
  const block = blockLines[(Math.floor(i / 2) * 7919) % blocks]!;
  const adding = i % 2 === 0;
  const at = (line: number, character: number) => ({ line, character });
  switch (kind) {
    case 'comment': {
      const length = lines[block]!.length;
      return adding ? { range: { start: at(block, length), end: at(block, length) }, text: 'x' } : { range: { start: at(block, length), end: at(block, length + 1) }, text: '' };
    }
    case 'instruction':
      // "pushfx" is not an instruction.
      return { range: { start: at(block + 4, 9), end: at(block + 4, 10) }, text: adding ? 'x' : 'q' };
    case 'newline':
      return adding ? { range: { start: at(block, 0), end: at(block, 0) }, text: '\n' } : { range: { start: at(block, 0), end: at(block + 1, 0) }, text: '' };
  }
}

/**
 * Edits of one kind, in pairs that undo each other, each timed from sending the change until
 * the client holds that version's diagnostics: the published set (push), or the answer to a
 * pull (which is "unchanged" when the edit did not change them).
 */
async function editLatencies(document: BenchDocument, text: string, kind: EditKind, count: number): Promise<number[]> {
  const lines = text.split('\n');
  const blockLines = blockStarts(lines);
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const version = ++document.version;
    const change = benchEdit(blockLines, lines, kind, i);
    const start = performance.now();
    const published = document.model === 'push' ? document.client.waitFor('textDocument/publishDiagnostics', (p) => p.uri === document.uri && p.version === version, 30_000) : undefined;
    document.client.notify('textDocument/didChange', { textDocument: { uri: document.uri, version }, contentChanges: [change] });
    if (published) await published;
    else await pullDiagnostics(document);
    samples.push(performance.now() - start);
  }
  return samples;
}

async function benchLsp(opts: Options): Promise<void> {
  section('Language server (node dist/server.js --stdio, JSON-RPC over stdio)');
  out.push(
    'The documents are NASM, in blocks of 12 lines with a PUSHFQ (reported) and a CPUID (off in the default profile): 417 findings at 5k lines, 4,167 at 50k, of which the first 1,000 are shown (`virtlint.maxDiagnostics`).',
    'Each latency runs from sending `didChange` to the client holding that version\'s diagnostics: the published set (push), or the answer to a `textDocument/diagnostic` request carrying the previous result id (pull, as VS Code does). Push has no row for comment typing because nothing is published when no diagnostic changes.',
    '',
  );
  header(['measure', 'result', 'goal']);

  // Start-up: spawn → initialize → didOpen of a 1k-line file → first diagnostics.
  const startSamples: number[] = [];
  for (let i = 0; i < (opts.quick ? 2 : 5); i++) {
    const t0 = performance.now();
    const client = await startClient();
    await openDocument(client, `file:///bench/start-${i}.asm`, nasmDocument(1000));
    startSamples.push(performance.now() - t0);
    await client.close();
  }
  row(['server start → first diagnostics, 1k-line file', `${fmt(median(startSamples))} ms median (min ${fmt(Math.min(...startSamples))})`, '≤ 300 ms']);
  if (median(startSamples) > 300) problems.push(`LSP start: ${fmt(median(startSamples))} ms > 300 ms`);

  // Push (Neovim 0.7 and other clients without pull) publishes only when the diagnostics
  // change, so typing in a comment has no push to wait for; the pull rows cover it.
  const kinds: Record<DiagnosticsModel, EditKind[]> = { pull: ['comment', 'instruction', 'newline'], push: ['instruction', 'newline'] };
  for (const size of [5000, 50000]) {
    const text = nasmDocument(size);
    for (const model of ['pull', 'push'] as const) {
      const client = await startClient(model);
      const document = await openDocument(client, `file:///bench/edit-${size}-${model}.asm`, text, model);
      for (const kind of kinds[model]) {
        const samples = await editLatencies(document, text, kind, opts.quick ? 40 : size === 5000 ? 200 : 100);
        row([`change → diagnostics, ${size / 1000}k lines, ${model}: ${EDIT_KINDS[kind]}`, `p50 ${fmt(percentile(samples, 50))} ms, p95 ${fmt(percentile(samples, 95))} ms (${samples.length} edits)`, 'p95 ≤ 16 ms']);
        if (percentile(samples, 95) > 16) problems.push(`LSP change latency ${size} lines, ${model}, ${kind}: p95 ${fmt(percentile(samples, 95))} ms > 16 ms`);
      }
      if (size === 5000 && model === 'push') await hoverAndActions(client, document.uri, opts);
      if (size === 50000 && model === 'pull') await hoverAndActionsAfterEdits(document, text, opts);
      await client.close();
    }
  }
  await uncappedReports(opts);
  await memoryUnderEdits(opts);
}


/**
 * What the 1,000-diagnostic cap (VS Code's own limit per file) buys: the same line-break edits
 * with the cap raised so that all 4,167 findings of the 50k-line file are sent each time.
 */
async function uncappedReports(opts: Options): Promise<void> {
  const client = await startClient('pull', { maxDiagnostics: 5000 });
  const text = nasmDocument(50000);
  const document = await openDocument(client, 'file:///bench/uncapped-50k.asm', text, 'pull');
  const samples = await editLatencies(document, text, 'newline', opts.quick ? 40 : 100);
  document.resultId = undefined;
  const sent = ((await pullDiagnostics(document)).items ?? []).length;
  row([`for comparison, 50k lines, pull, line break, virtlint.maxDiagnostics 5000 (${sent} diagnostics sent per report)`, `p50 ${fmt(percentile(samples, 50))} ms, p95 ${fmt(percentile(samples, 95))} ms (${samples.length} edits)`, 'none (default cap 1,000)']);
  await client.close();
}

/**
 * RSS of a server holding a 50k-line file through 10,000 edits, as VS Code drives it (pull
 * diagnostics): bursts of 50 edits, typing in comments with an instruction edit and a line
 * break in each burst (so each pull gets a full report), then one pull.
 */
/** Hover and code action on a flagged line of the 5k-line file, with its diagnostics as the action's context. */
async function hoverAndActions(client: LspClient, uri: string, opts: Options): Promise<void> {
  // Line 6 is "    pushfq" in the generated document (a flagged instruction).
  const line = 6;
  const report = (await client.request<unknown>('textDocument/diagnostic', { textDocument: { uri } }, 10_000).catch(() => undefined)) as { items?: unknown[] } | undefined;
  const diagnostics = ((report?.items ?? []) as { range: { start: { line: number } } }[]).filter((d) => d.range.start.line === line);
  await timeHoverAndActions(client, uri, opts.quick ? 50 : 300, ['hover on a flagged instruction', 'code action on a flagged line'], () => ({ line, diagnostics }));
}

/** Hover and code action on a flagged line right after typing elsewhere, as a user does in a big file. */
async function hoverAndActionsAfterEdits(document: BenchDocument, text: string, opts: Options): Promise<void> {
  const lines = text.split('\n');
  const blockLines = blockStarts(lines);
  await timeHoverAndActions(document.client, document.uri, opts.quick ? 40 : 200, ['hover right after an edit, 50k lines', 'code action right after an edit, 50k lines'], (i) => {
    const change = benchEdit(blockLines, lines, 'comment', i);
    document.client.notify('textDocument/didChange', { textDocument: { uri: document.uri, version: ++document.version }, contentChanges: [change] });
    return { line: change.range.start.line + 4, diagnostics: [] }; // "    pushfq" in the block just edited
  });
}

/** Times `runs` hovers and code actions; `before(i)` may edit first, and names the flagged line and the action's context. */
async function timeHoverAndActions(client: LspClient, uri: string, runs: number, [hoverLabel, actionLabel]: [string, string], before: (i: number) => { line: number; diagnostics: unknown[] }): Promise<void> {
  const hover: number[] = [];
  const actions: number[] = [];
  let hoverEmpty = 0;
  let actionsEmpty = 0;
  for (let i = 0; i < runs; i++) {
    const { line, diagnostics } = before(i);
    let t = performance.now();
    const h = await client.request('textDocument/hover', { textDocument: { uri }, position: { line, character: 6 } });
    hover.push(performance.now() - t);
    if (!h) hoverEmpty++;
    t = performance.now();
    const a = await client.request<unknown[]>('textDocument/codeAction', { textDocument: { uri }, range: { start: { line, character: 4 }, end: { line, character: 10 } }, context: { diagnostics } });
    actions.push(performance.now() - t);
    if (!a || a.length === 0) actionsEmpty++;
  }
  for (const [label, samples, empty, goal] of [[hoverLabel, hover, hoverEmpty, 5], [actionLabel, actions, actionsEmpty, 10]] as const) {
    row([label, `p50 ${fmt(percentile(samples, 50))} ms, p95 ${fmt(percentile(samples, 95))} ms${empty ? ` (${empty} empty answers)` : ''}`, `p95 ≤ ${goal} ms`]);
    if (percentile(samples, 95) > goal) problems.push(`${label}: p95 ${fmt(percentile(samples, 95))} ms > ${goal} ms`);
    if (empty) problems.push(`${label}: ${empty} empty answers`);
  }
}

async function memoryUnderEdits(opts: Options): Promise<void> {
  const client = await startClient('pull');
  const text = nasmDocument(50000);
  const lines = text.split('\n');
  const blockLines = blockStarts(lines);
  const document = await openDocument(client, 'file:///bench/memory-50k.asm', text, 'pull');
  const total = opts.quick ? 2000 : 10000;
  const burst = 50;
  const rss: [number, number][] = [[0, client.rssBytes()]];
  const started = performance.now();
  // A server that re-analyses the whole file per change would need most of an hour for 10,000
  // edits of a 50k-line file; stop at a time budget and say how far it got.
  const budgetMs = opts.quick ? 60_000 : 180_000;
  let done = 0;
  let fullReports = 0;
  for (let round = 0; done < total && performance.now() - started < budgetMs; done += burst, round++) {
    for (let i = 0; i < burst; i++) {
      const kind: EditKind = i < 2 ? 'instruction' : i < 4 ? 'newline' : 'comment';
      const change = benchEdit(blockLines, lines, kind, round * 2 + (i % 2));
      client.notify('textDocument/didChange', { textDocument: { uri: document.uri, version: ++document.version }, contentChanges: [change] });
    }
    if ((await pullDiagnostics(document)).kind === 'full') fullReports++;
    if ((done + burst) % 250 === 0) rss.push([done + burst, client.rssBytes()]);
  }
  if (rss[rss.length - 1]![0] !== done) rss.push([done, client.rssBytes()]);
  if (done < total) {
    problems.push(`LSP memory run: only ${done} of ${total} edits within the ${budgetMs / 1000} s budget`);
  }
  const seconds = (performance.now() - started) / 1000;
  const mb = (b: number): string => (b / 1048576).toFixed(0);
  // RSS saws up and down with each collection, so compare the peaks of the two halves.
  const peakOf = (samples: [number, number][]): number => Math.max(...samples.map(([, b]) => b));
  const firstHalf = peakOf(rss.filter(([n]) => n <= done / 2));
  const secondHalf = peakOf(rss.filter(([n]) => n > done / 2));
  const peak = Math.max(firstHalf, secondHalf);
  const shown = rss.filter((_, i) => i === 0 || i === rss.length - 1 || i % Math.ceil(rss.length / 6) === 0);
  row([
    `RSS, 50k-line file, ${done} edits (bursts of ${burst}, ${fullReports} full reports pulled, ${seconds.toFixed(0)} s)`,
    shown.map(([n, b]) => `${n}: ${mb(b)} MB`).join(', ') + `; peak ${mb(firstHalf)} MB in the first half, ${mb(secondHalf)} MB in the second`,
    '≤ 150 MB, flat',
  ]);
  if (peak > 150 * 1048576) problems.push(`LSP RSS peaked at ${mb(peak)} MB > 150 MB`);
  if (secondHalf - firstHalf > 10 * 1048576) problems.push(`LSP RSS peak grew ${mb(secondHalf - firstHalf)} MB from the first half of the run to the second`);
  await client.close();
}

/** Whether dist/cli.js has the whole-program flags (issue 12). */
function cliHasProjectFlags(): boolean {
  const r = spawnSync(process.execPath, [CLI, '--no-includes', '--format', 'json', '-'], { input: 'nop\n' });
  return r.status === 0 || r.status === 1;
}

/** `virtlint .` in arch/x86 read as a whole program (includes, macros, the build's defines) against each file alone, in the same run. */
function benchProjectCli(opts: Options): void {
  const tree = preset('linux');
  const quote = (a: string): string => (/^[\w./=-]+$/.test(a) ? a : `'${a}'`);
  const args = projectArgs(tree, TREE).map(quote).join(' ');
  // Assembly only: since C files are linted too, `.` would add their (equal) cost to both sides.
  const alone = `cd ${TREE} && node ${CLI} --format json --languages asm --no-includes . > /dev/null`;
  const whole = `cd ${TREE} && node ${CLI} --format json --languages asm ${args} . > /dev/null`;
  const shown = (command: string): string => command.split(ROOT + '/').join('').replace(/--config \S+/, '--config <config>');
  out.push(
    `Commands, run in \`.corpus/linux/arch/x86\`: each file alone \`${shown(alone)}\`; whole program \`${shown(whole)}\`, where \`<config>\` is \`.corpus/linux.virtlint.config.json\`, written by the bench: the ${Object.keys(tree.defines).length} defines ${tree.definesNote}.`,
    '',
  );
  header(['measure', 'whole program (includes + macros)', 'baseline: --no-includes (each file alone)', 'ratio', 'goal']);
  if (!cliHasProjectFlags()) {
    row(['wall time incl. Node start-up', 'TODO: dist/cli.js has no --no-includes yet', '', '', '≤ 1.5×']);
    problems.push('project CLI: not measured, dist/cli.js does not take --no-includes yet');
    return;
  }
  const runs = opts.quick ? 3 : 5;
  const baseline = timeShell(alone, runs);
  const ours = timeShell(whole, runs);
  const ratio = ours.min / baseline.min;
  row(['wall time incl. Node start-up', timing(ours), timing(baseline), `${ratio.toFixed(2)}×`, '≤ 1.5×']);
  if (ratio > 1.5) problems.push(`project CLI over arch/x86: ${ratio.toFixed(2)}× the --no-includes time (goal ≤ 1.5×)`);
}

/**
 * A NASM workspace: one header of macros included by many files. Editing a macro's body line in
 * the header changes the header's own diagnostics and those of every file that invokes it.
 */
function writeIncludeWorkspace(dir: string, dependents: number): { header: string; headerText: string; bodyLine: number; files: string[] } {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const header: string[] = ['; macros shared by every file of the workspace'];
  for (let m = 0; m < 150; m++) header.push(`%macro HELPER_${m} 1`, `    mov eax, %1`, `    add eax, ${m}`, `    mov [ebx+${m * 4}], eax`, '%endmacro', '');
  header.push('%macro SAVE_FLAGS 0');
  const bodyLine = header.length;
  header.push('    pushf', '%endmacro', '%macro LOAD_FLAGS 0', '    popf', '%endmacro', '');
  const headerText = header.join('\n');
  fs.writeFileSync(path.join(dir, 'macros.inc'), headerText);
  const files: string[] = [];
  for (let f = 0; f < dependents; f++) {
    const lines = ['bits 32', '%include "macros.inc"', 'section .text', `func_${f}:`, '    SAVE_FLAGS'];
    for (let i = 0; i < 200; i++) lines.push(i % 10 === 0 ? `    HELPER_${(f + i) % 150} ecx` : `    lea eax, [ecx+${i}]`);
    lines.push('    LOAD_FLAGS', '    ret', '');
    const file = path.join(dir, `part_${f}.asm`);
    fs.writeFileSync(file, lines.join('\n'));
    files.push(file);
  }
  return { header: path.join(dir, 'macros.inc'), headerText, bodyLine, files };
}

/** Line 4 of each dependent is `SAVE_FLAGS`: its pushf finding is reported there once the server reads the header. */
const hasMacroFinding = (params: Record<string, unknown>): boolean =>
  ((params.diagnostics ?? []) as { code?: unknown; range: { start: { line: number } } }[]).some((d) => d.code === 'pushf' && d.range.start.line === 4);

/** A keystroke in a file that others include: its own diagnostics, and the open dependents' (push model). */
async function benchIncludedFileEdits(opts: Options): Promise<void> {
  const workspace = path.join(SCRATCH, 'include-workspace');
  const { header: headerFile, headerText, bodyLine, files } = writeIncludeWorkspace(workspace, 60);
  const openDependents = files.slice(0, 5);
  const client = new LspClient(SERVER);
  const rootUri = pathToFileURL(workspace).href;
  try {
    await client.request('initialize', {
      processId: process.pid,
      rootUri,
      workspaceFolders: [{ uri: rootUri, name: 'bench' }],
      capabilities: { textDocument: { publishDiagnostics: { versionSupport: true } }, workspace: { workspaceFolders: true } },
    });
    client.notify('initialized', {});
    const headerUri = pathToFileURL(headerFile).href;
    const dependentUris = openDependents.map((f) => pathToFileURL(f).href);
    const ready = dependentUris.map((uri) => client.waitFor('textDocument/publishDiagnostics', (p) => p.uri === uri && hasMacroFinding(p), 60_000));
    const headerOpened = client.waitFor('textDocument/publishDiagnostics', (p) => p.uri === headerUri, 60_000);
    client.notify('textDocument/didOpen', { textDocument: { uri: headerUri, languageId: 'nasm', version: 1, text: headerText } });
    for (const [i, uri] of dependentUris.entries()) client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'nasm', version: 1, text: fs.readFileSync(openDependents[i]!, 'utf8') } });
    try {
      await headerOpened;
      await Promise.all(ready);
    } catch {
      row(['keystroke in an included file → its own diagnostics', 'TODO: the server does not report a macro\'s finding at the invocation in an including file yet', 'p95 ≤ 16 ms']);
      row(['the same keystroke → the open dependents\' diagnostics', 'TODO (see above)', 'all within 100 ms']);
      problems.push('LSP through includes: not measured, the server did not report the header macro\'s PUSHF in the including files within 60 s');
      return;
    }
    const own: number[] = [];
    const dependentsDone: number[] = [];
    let missed = 0;
    let version = 1;
    const count = opts.quick ? 20 : 100;
    // A server that misses the goals by seconds would hold the bench for many minutes: stop at a budget and say so.
    const budgetMs = opts.quick ? 30_000 : 90_000;
    const started = performance.now();
    let done = 0;
    for (let i = 0; i < count && performance.now() - started < budgetMs; i++, done++) {
      version++;
      // "pushf" -> "pushfx" (not an instruction: the finding goes) and back.
      const change = i % 2 === 0 ? { range: { start: { line: bodyLine, character: 9 }, end: { line: bodyLine, character: 9 } }, text: 'x' } : { range: { start: { line: bodyLine, character: 9 }, end: { line: bodyLine, character: 10 } }, text: '' };
      const shouldHave = i % 2 === 1;
      const start = performance.now();
      const ownDone = client.waitFor('textDocument/publishDiagnostics', (p) => p.uri === headerUri && p.version === version, 5_000).then(() => own.push(performance.now() - start));
      const deps = dependentUris.map((uri) => client.waitFor('textDocument/publishDiagnostics', (p) => p.uri === uri && hasMacroFinding(p) === shouldHave, 5_000));
      client.notify('textDocument/didChange', { textDocument: { uri: headerUri, version }, contentChanges: [change] });
      try {
        await Promise.all(deps);
        dependentsDone.push(performance.now() - start);
      } catch {
        missed++;
      }
      await ownDone.catch(() => missed++);
    }
    out.push(
      '',
      `Workspace written by the bench: \`macros.inc\` (${headerText.split('\n').length} lines, 152 NASM macros) included by ${files.length} files of 208 lines; the header and ${openDependents.length} dependents are open. ` +
        `Each edit toggles \`pushf\` ↔ \`pushfx\` in the body of SAVE_FLAGS, which the dependents invoke on line 5: the header's own diagnostics change, and so do those of every dependent. Latency from \`didChange\` to the header's published diagnostics of that version, and to the last open dependent's new diagnostics (push model).`,
      '',
    );
    header(['measure', 'result', 'goal']);
    row(['keystroke in an included file → its own diagnostics', `p50 ${fmt(percentile(own, 50))} ms, p95 ${fmt(percentile(own, 95))} ms (${own.length} edits)`, 'p95 ≤ 16 ms']);
    row([`the same keystroke → all ${openDependents.length} open dependents' diagnostics`, `p50 ${fmt(percentile(dependentsDone, 50))} ms, p95 ${fmt(percentile(dependentsDone, 95))} ms, max ${fmt(Math.max(...dependentsDone))} ms (${dependentsDone.length} of ${done} edits${missed ? `; ${missed} waits not within 5 s` : ''})`, 'within 100 ms']);
    if (percentile(own, 95) > 16) problems.push(`keystroke in an included file: p95 ${fmt(percentile(own, 95))} ms > 16 ms`);
    if (dependentsDone.length > 0 && Math.max(...dependentsDone) > 100) problems.push(`dependents' diagnostics: max ${fmt(Math.max(...dependentsDone))} ms > 100 ms (p95 ${fmt(percentile(dependentsDone, 95))} ms)`);
    if (missed) problems.push(`${missed} edits whose diagnostics did not all arrive within 5 s`);
    if (done < count) problems.push(`included-file edits: only ${done} of ${count} within the ${budgetMs / 1000} s budget`);
  } finally {
    await client.close();
    fs.rmSync(workspace, { recursive: true, force: true });
  }
}

async function benchProject(opts: Options): Promise<void> {
  section('Whole-program reading: CLI over arch/x86, and a keystroke in an included file');
  benchProjectCli(opts);
  out.push('');
  await benchIncludedFileEdits(opts);
}

/** The C and header files of a tree (what `--languages c` walks). */
function listHostFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...listHostFiles(full));
    else if (hostLanguageOf(full) !== undefined) files.push(full);
  }
  return files;
}

async function benchEmbedded(opts: Options): Promise<void> {
  section('C, C++ and Rust: inline assembly and intrinsics');
  const tree = preset('linux');
  const quote = (a: string): string => (/^[\w./=-]+$/.test(a) ? a : `'${a}'`);
  const args = projectArgs(tree, TREE).map(quote).join(' ');
  // `virtlint .` as installed: the launcher, with its compile cache (written by the first run).
  const together = `cd ${TREE} && node ${CLI_LAUNCHER} --format json ${args} . > /dev/null`;
  const assemblyOnly = `cd ${TREE} && node ${CLI_LAUNCHER} --format json --languages asm ${args} . > /dev/null`;
  const uncached = `cd ${TREE} && VIRTLINT_NO_COMPILE_CACHE=1 node ${CLI_LAUNCHER} --format json ${args} . > /dev/null`;
  const shown = (command: string): string => command.split(ROOT + '/').join('').replace(/--config \S+/, '--config <config>');
  const hostFiles = listHostFiles(TREE);
  const assemblyFiles = listSourceFiles(TREE).filter((file) => !/\.lds\.S$/.test(file));
  out.push(
    `Commands, run in \`.corpus/linux/arch/x86\` (${assemblyFiles.length} assembly files and ${hostFiles.length} C files and headers): \`.S\` and C together \`${shown(together)}\`; baseline, the assembly alone \`${shown(assemblyOnly)}\` (\`<config>\` as in "Whole-program reading").`,
    '',
  );
  header(['measure', 'result', 'baseline', 'goal']);
  const runs = opts.quick ? 3 : 5;
  const baseline = timeShell(assemblyOnly, runs);
  // Judged on the median of nine: a typical run, not the luckiest, must meet the goal.
  const ours = timeShell(together, opts.quick ? 3 : 9);
  const withoutCache = timeShell(uncached, runs);
  row(['`virtlint .` over arch/x86, .S and C together, wall incl. Node start-up', timing(ours), `assembly alone: ${timing(baseline)}`, 'median ≤ 2000 ms']);
  row(['the same with the compile cache off (`VIRTLINT_NO_COMPILE_CACHE=1`: every function compiled again)', timing(withoutCache), '', 'none (for comparison)']);
  if (ours.median > 2000) problems.push(`arch/x86 .S and C together: median ${fmt(ours.median)} ms (goal ≤ 2000 ms)`);

  // The pre-filter: a file with no asm and no intrinsic should cost about what reading it costs.
  const texts = hostFiles.map((file) => ({ file, text: fs.readFileSync(file, 'utf8') }));
  const withoutAsm = texts.filter(({ file, text }) => {
    const result = analyzeEmbedded(text, { language: hostLanguageOf(file)!, path: file });
    return result.blocks.length === 0 && result.intrinsics.length === 0;
  });
  const readSamples: number[] = [];
  const analyzeSamples: number[] = [];
  for (let pass = 0; pass < (opts.quick ? 3 : 7); pass++) {
    let start = performance.now();
    for (const { file } of withoutAsm) fs.readFileSync(file, 'utf8');
    readSamples.push(performance.now() - start);
    start = performance.now();
    for (const { file } of withoutAsm) analyzeEmbedded(fs.readFileSync(file, 'utf8'), { language: hostLanguageOf(file)!, path: file });
    analyzeSamples.push(performance.now() - start);
  }
  const read = Math.min(...readSamples);
  const analyzed = Math.min(...analyzeSamples);
  row([
    `the ${withoutAsm.length} C files and headers with no asm and no intrinsic: read + analyse, in process (best of ${readSamples.length})`,
    `${fmt(analyzed)} ms (${((analyzed / withoutAsm.length) * 1000).toFixed(0)} µs a file)`,
    `reading them alone: ${fmt(read)} ms`,
    'close to reading them',
  ]);

  // A keystroke in a 10k-line C file: one asm statement every 20 lines, the edit toggles one of them.
  const cLines: string[] = ['#include <stdint.h>'];
  for (let f = 0; cLines.length < 10_000; f++) {
    cLines.push(`static inline uint64_t helper_${f}(uint64_t x)`, '{', '\tuint64_t y = x * 3 + 1;', '\tif (y > 100)', '\t\ty -= 7;');
    cLines.push(`\tasm volatile("sgdt %0" : "=m" (y)); /* block ${f} */`);
    for (let k = 0; k < 12; k++) cLines.push(`\ty = (y << 1) ^ ${k}; // ordinary C`);
    cLines.push('\treturn y;', '}');
  }
  await keystrokeLatency(opts, { language: 'C', languageId: 'c', uri: 'file:///bench/keystroke-10k.c', lines: cLines, marker: 'asm volatile' });

  // The same in Rust: one asm! every 20 lines (rust/incremental.ts reads from the item before the edit).
  const rustLines: string[] = ['use core::arch::asm;'];
  for (let f = 0; rustLines.length < 10_000; f++) {
    rustLines.push(`pub unsafe fn helper_${f}(x: u64, p: *mut u8) -> u64 {`, '    let mut y = x * 3 + 1;', '    if y > 100 {', '        y -= 7;', '    }');
    rustLines.push(`    asm!("sgdt [{}]", in(reg) p); // block ${f}`);
    for (let k = 0; k < 12; k++) rustLines.push(`    y = (y << 1) ^ ${k}; // ordinary Rust`);
    rustLines.push('    y', '}');
  }
  await keystrokeLatency(opts, { language: 'Rust', languageId: 'rust', uri: 'file:///bench/keystroke-10k.rs', lines: rustLines, marker: 'asm!(' });
}

/** Opens a 10k-line host file in the server (push) and toggles `sgdt`/`sidt` in its asm statements, one edit after another. */
async function keystrokeLatency(opts: Options, file: { language: string; languageId: string; uri: string; lines: readonly string[]; marker: string }): Promise<void> {
  const { lines, uri } = file;
  const text = lines.join('\n');
  const asmLines = lines.map((line, i) => (line.includes(file.marker) ? i : -1)).filter((i) => i >= 0);
  const client = await startClient('push');
  const opened = client.waitFor('textDocument/publishDiagnostics', (p) => p.uri === uri, 60_000);
  client.notify('textDocument/didOpen', { textDocument: { uri, languageId: file.languageId, version: 1, text } });
  const first = (await opened) as { diagnostics?: unknown[] };
  const samples: number[] = [];
  let version = 1;
  for (let i = 0; i < (opts.quick ? 40 : 200); i++) {
    const line = asmLines[Math.floor(i / 2) % asmLines.length]!;
    const column = lines[line]!.indexOf('sgdt');
    const mnemonic = i % 2 === 0 ? 'sidt' : 'sgdt';
    const current = ++version;
    const start = performance.now();
    const published = client.waitFor('textDocument/publishDiagnostics', (p) => p.uri === uri && p.version === current, 30_000);
    client.notify('textDocument/didChange', { textDocument: { uri, version: current }, contentChanges: [{ range: { start: { line, character: column }, end: { line, character: column + 4 } }, text: mnemonic }] });
    await published;
    samples.push(performance.now() - start);
  }
  await client.close();
  const p95 = percentile(samples, 95);
  const statements = file.languageId === 'rust' ? 'asm! calls' : 'asm statements';
  row([`keystroke in a 10k-line ${file.language} file (${asmLines.length} ${statements}, ${(first.diagnostics ?? []).length} diagnostics at open) → its diagnostics, push`, `p50 ${fmt(percentile(samples, 50))} ms, p95 ${fmt(p95)} ms (${samples.length} edits)`, '', 'p95 ≤ 16 ms']);
  if (p95 > 16) problems.push(`keystroke in a 10k-line ${file.language} file: p95 ${fmt(p95)} ms > 16 ms`);
}

function parseOptions(argv: string[]): Options {
  const opts: Options = { quick: false, only: new Set(['cli', 'analysis', 'scan', 'growth', 'lsp', 'project', 'embedded', 'startup']), report: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') opts.quick = true;
    else if (a === '--no-report') opts.report = false;
    else if (a === '--only') opts.only = new Set((argv[++i] ?? '').split(','));
    else fail(`unknown option ${a}`);
  }
  return opts;
}

/** Start-up: what a run pays before and around the work, next to `node -e 0` in the same run. */
async function benchStartup(opts: Options): Promise<void> {
  section('Start-up');
  const runs = opts.quick ? 5 : 11;
  const oneLine = path.join(SCRATCH, 'one-line.asm');
  fs.mkdirSync(SCRATCH, { recursive: true });
  fs.writeFileSync(oneLine, '    pushf\n');
  const node = timeShell('node -e 0', runs);
  // The first run of each writes the launcher's code cache; the figures are the best and the median.
  const lintOne = timeShell(`node ${CLI_LAUNCHER} ${oneLine} > /dev/null`, runs);
  const scanSmall = timeShell(`node ${CLI_LAUNCHER} scan /usr/bin/true > /dev/null`, runs);
  const tree = timeShell(`node ${CLI_LAUNCHER} --languages asm --no-includes --format json ${TREE} > /dev/null`, opts.quick ? 3 : 7);
  const serverStart: number[] = [];
  for (let i = 0; i < (opts.quick ? 3 : 7); i++) {
    const t0 = performance.now();
    const client = await startClient('push', {}, SERVER_LAUNCHER);
    await openDocument(client, `file:///bench/startup-${i}.asm`, nasmDocument(1000));
    serverStart.push(performance.now() - t0);
    await client.close();
  }
  header(['measure', 'virtlint', 'baseline: `node -e 0`', 'goal']);
  row(['one-line file (`bin/virtlint.js one-line.asm`)', timing(lintOne), timing(node), '≤ 2× node -e 0']);
  row(['`virtlint scan /usr/bin/true`', timing(scanSmall), timing(node), 'none (for comparison)']);
  row(['`virtlint --languages asm --no-includes` over arch/x86', timing(tree), timing(node), '≤ 400 ms']);
  row(['language server: spawn → first diagnostics, 1k-line file', `${fmt(Math.min(...serverStart))} ms (median ${fmt(median(serverStart))}, ${serverStart.length} runs)`, timing(node), '≤ 150 ms']);
  if (lintOne.min > 2 * node.min) problems.push(`one-line lint ${fmt(lintOne.min)} ms > 2 × node -e 0 (${fmt(node.min)} ms)`);
  if (tree.min > 400) problems.push(`arch/x86 per file ${fmt(tree.min)} ms > 400 ms`);
  if (median(serverStart) > 150) problems.push(`server start to first diagnostics ${fmt(median(serverStart))} ms > 150 ms`);
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  if (!fs.existsSync(TREE) || !fs.existsSync(VMLINUX)) fail('the real corpus is missing: run `npm run corpus` first');
  if (!fs.existsSync(CLI) || !fs.existsSync(SERVER)) fail('dist/cli.js or dist/server.js is missing: run `npm run build` first');
  for (const tool of ['objdump', 'grep']) if (spawnSync(tool, ['--version']).error) fail(`${tool} is required (apt-get install -y binutils grep)`);
  const parts: [string, string, (o: Options) => void | Promise<void>][] = [
    ['cli', 'CLI over a source tree', benchCli],
    ['analysis', 'analysis throughput', benchAnalysis],
    ['scan', 'binary scan', benchScan],
    ['growth', 'growth with input size', benchGrowth],
    ['lsp', 'language server', benchLsp],
    ['project', 'whole-program reading', benchProject],
    ['embedded', 'C, C++ and Rust', benchEmbedded],
    ['startup', 'start-up', benchStartup],
  ];
  let missed = 0;
  for (const [name, title, run] of parts) {
    if (!opts.only.has(name)) continue;
    out.length = 0;
    problems.length = 0;
    const load = os.loadavg()[0]!;
    const started = new Date();
    await run(opts);
    missed += problems.length;
    const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
    const body = [
      `## Performance: ${title}`,
      '',
      `Command: \`npm run bench -- --only ${name}\` (part of \`npm run bench\` = \`node out/scripts/bench.js\`), ${started.toISOString()}.`,
      `Machine: \`nproc\` = ${shellOutput('nproc').trim()}, ${cpu}, ${Math.round(os.totalmem() / 1073741824)} GB RAM, Node ${process.version}, ${os.type()} ${os.release()}; load average (1 min) ${load.toFixed(2)} at start, ${os.loadavg()[0]!.toFixed(2)} at end.`,
      ...out,
      '',
      problems.length === 0 ? 'All goals of this part met in this run.' : `Goals missed or problems in this run:\n\n${problems.map((p) => `- ${p}`).join('\n')}`,
    ].join('\n');
    if (opts.report) replaceSection(path.join(ROOT, 'BENCHMARKS.md'), `bench-${name}`, body);
  }
  log(`\nbench: ${missed} goal(s) missed${opts.report ? '; written to BENCHMARKS.md' : ''}`);
}

main().catch((e) => fail(e instanceof Error ? e.stack ?? e.message : String(e)));
