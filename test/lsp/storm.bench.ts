// Measures the language server (not a test: prints figures, asserts nothing).
//   node out/test/lsp/storm.bench.js [lines] [share of lines with a sensitive instruction, 0..1]
// - latency from one didChange to the next pushed diagnostics, on a large file;
// - pull-diagnostics latency after an edit;
// - server RSS before and after a storm of 2,000 edits mixed with requests.
import { readFileSync } from 'node:fs';
import { fileUri, LspTestClient } from './client';
import { NASM_LINES } from './fixtures';

function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) / 1024 : NaN;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function main(): Promise<void> {
  const lineCount = Number(process.argv[2] ?? 5000);
  const density = Number(process.argv[3] ?? 0.02);
  const lines = ['; virtlint: dialect=nasm bits=32', 'bits 32', 'section .text'];
  const plain = ['    mov eax, ebx', '    add eax, 4', '    lea esi, [esi+eax*4]', '    test eax, eax', '    jnz near .loop', '.loop:', '    nop'];
  for (let i = 0; lines.length < lineCount; i++) {
    const sensitive = Math.floor((i + 1) * density) > Math.floor(i * density);
    lines.push(sensitive ? (NASM_LINES[i % NASM_LINES.length] ?? '    popf') : (plain[i % plain.length] ?? '    nop'));
  }
  const text = lines.join('\n') + '\n';

  const push = await LspTestClient.start({ pull: false });
  const uri = fileUri('bench.asm');
  let t0 = performance.now();
  await push.open(uri, text);
  await push.waitForPublished(uri, (p) => p.diagnostics.length > 0, 60000);
  const openMs = performance.now() - t0;

  const pushLatencies: number[] = [];
  for (let i = 0; i < 100; i++) {
    const before = push.published.get(uri)?.length ?? 0;
    const line = 10 + ((i * 37) % (lineCount - 20));
    t0 = performance.now();
    await push.change(uri, [{ range: { start: { line, character: 0 }, end: { line, character: 0 } }, text: i % 2 ? '    popf\n' : '    sgdt [x]\n' }]);
    await push.waitFor(() => ((push.published.get(uri)?.length ?? 0) > before ? true : undefined), 60000, 'publish');
    pushLatencies.push(performance.now() - t0);
  }
  await push.stop();

  const pull = await LspTestClient.start({ pull: true });
  await pull.open(uri, text);
  t0 = performance.now();
  await pull.pull(uri);
  const firstPullMs = performance.now() - t0;
  const pullLatencies: number[] = [];
  for (let i = 0; i < 100; i++) {
    const line = 10 + ((i * 53) % (lineCount - 20));
    await pull.change(uri, [{ range: { start: { line, character: 4 }, end: { line, character: 4 } }, text: i % 2 ? ' ' : '' }]);
    t0 = performance.now();
    await pull.pull(uri);
    pullLatencies.push(performance.now() - t0);
  }
  // Code actions are computed eagerly (edits inline, no codeAction/resolve): measure what that costs.
  const final = await pull.pull(uri);
  const flagged = (final.items ?? []).slice(0, 50);
  const actionLatencies: number[] = [];
  for (const diagnostic of flagged) {
    t0 = performance.now();
    await pull.request('textDocument/codeAction', { textDocument: { uri }, range: diagnostic.range, context: { diagnostics: [diagnostic] } });
    actionLatencies.push(performance.now() - t0);
  }
  const rssBefore = rssMiB(pull.child.pid);
  t0 = performance.now();
  const pending: Array<Promise<unknown>> = [];
  for (let i = 0; i < 2000; i++) {
    const line = 10 + ((i * 17) % (lineCount - 20));
    await pull.change(uri, [{ range: { start: { line, character: 0 }, end: { line, character: 0 } }, text: '    nop\n' }]);
    if (i % 20 === 0) pending.push(pull.pull(uri));
    if (i % 50 === 0) pending.push(pull.request('textDocument/hover', { textDocument: { uri }, position: { line, character: 5 } }));
  }
  await Promise.all(pending);
  await pull.pull(uri);
  const stormMs = performance.now() - t0;
  const rssAfter = rssMiB(pull.child.pid);
  await pull.stop();

  const fmt = (n: number) => n.toFixed(1);
  console.log(`file: ${lineCount} lines, ${text.length} chars, ${push.lastPublished(uri)?.diagnostics.length ?? '?'} diagnostics at the end`);
  console.log(`open → first pushed diagnostics: ${fmt(openMs)} ms; first pull: ${fmt(firstPullMs)} ms`);
  console.log(`one edit → pushed diagnostics: median ${fmt(percentile(pushLatencies, 50))} ms, p95 ${fmt(percentile(pushLatencies, 95))} ms`);
  console.log(`one edit → pull diagnostics: median ${fmt(percentile(pullLatencies, 50))} ms, p95 ${fmt(percentile(pullLatencies, 95))} ms`);
  console.log(`code actions for one flagged line (${actionLatencies.length} lines): median ${fmt(percentile(actionLatencies, 50))} ms, p95 ${fmt(percentile(actionLatencies, 95))} ms`);
  console.log(`storm of 2,000 edits + ${pending.length} requests: ${fmt(stormMs)} ms; server RSS ${fmt(rssBefore)} → ${fmt(rssAfter)} MiB`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
