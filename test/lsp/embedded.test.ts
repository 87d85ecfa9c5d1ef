// C, C++ and Rust documents over the real server: diagnostics, hovers and code actions only on
// inline assembly and intrinsic calls, nothing anywhere else (clangd and rust-analyzer own the rest).
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CodeAction, Diagnostic, Hover, TextEdit } from 'vscode-languageserver-protocol';
import { applyTextEdits, fileUri, LspTestClient } from './client';
import { TEMPLATE_FROM_PIECES } from '../helpers/templatePieces';

/** The position of the `occurrence`-th `needle` in `text` (0-based lines and UTF-16 columns). */
function positionOf(text: string, needle: string, occurrence = 0): { line: number; character: number } {
  let offset = -1;
  for (let i = 0; i <= occurrence; i++) {
    offset = text.indexOf(needle, offset + 1);
    assert.ok(offset >= 0, `"${needle}" occurs ${occurrence + 1} times in the fixture`);
  }
  const before = text.slice(0, offset);
  const line = before.split('\n').length - 1;
  return { line, character: offset - (before.lastIndexOf('\n') + 1) };
}

function lineOf(text: string, line: number): string {
  return text.split('\n')[line] ?? '';
}

/** The source text a range covers (single-line ranges). */
function textAt(text: string, range: Diagnostic['range']): string {
  assert.equal(range.start.line, range.end.line, 'a one-line range');
  return lineOf(text, range.start.line).slice(range.start.character, range.end.character);
}

async function pullItems(client: LspTestClient, uri: string): Promise<Diagnostic[]> {
  const report = await client.pull(uri);
  assert.equal(report.kind, 'full');
  return report.items ?? [];
}

function hoverAt(client: LspTestClient, uri: string, position: { line: number; character: number }): Promise<Hover | null> {
  return client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position });
}

function hoverText(hover: Hover | null): string {
  assert.ok(hover, 'a hover');
  return (hover.contents as { value: string }).value;
}

function actionsFor(client: LspTestClient, uri: string, diagnostic: Diagnostic): Promise<CodeAction[]> {
  return client.request<CodeAction[]>('textDocument/codeAction', {
    textDocument: { uri },
    range: diagnostic.range,
    context: { diagnostics: [diagnostic] },
  });
}

function editsOf(action: CodeAction, uri: string): TextEdit[] {
  const edits = action.edit?.changes?.[uri];
  assert.ok(edits && edits.length > 0, `"${action.title}" carries edits`);
  return edits;
}

/** Pulls until `accept` holds (settings and the workspace configuration arrive a moment after a change). */
async function pullUntil(client: LspTestClient, uri: string, accept: (items: Diagnostic[]) => boolean): Promise<Diagnostic[]> {
  const deadline = Date.now() + 10000;
  for (;;) {
    const items = await pullItems(client, uri);
    if (accept(items) || Date.now() > deadline) return items;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function replaceText(client: LspTestClient, uri: string, text: string): Promise<void> {
  await client.change(uri, [{ text }]);
}

/** gcc accepts the C text (syntax and asm constraints), so an inserted comment did not break the file. */
function assertGccCompiles(text: string, what: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'virtlint-embedded-gcc-'));
  try {
    const file = join(dir, 'unit.c');
    writeFileSync(file, text);
    execFileSync('gcc', ['-m64', '-c', '-o', join(dir, 'unit.o'), file], { stdio: 'pipe' });
  } catch (error) {
    assert.fail(`${what}: gcc rejects the file: ${String((error as { stderr?: Buffer }).stderr ?? error)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const C_SOURCE = [
  '#include <stdio.h>',
  'struct desc_ptr { unsigned short size; unsigned long address; } __attribute__((packed));',
  '',
  'void save_gdt(void)',
  '{',
  '\tstruct desc_ptr gdt;',
  '\t// sgdt would tell a guest where the real GDT is',
  '\tprintf("sgdt %d\\n", 1);',
  '\tasm volatile("sgdt %0" : "=m"(gdt));',
  '}',
  '',
].join('\n');

const MULTI_LINE_SOURCE = [
  'struct desc_ptr { unsigned short size; unsigned long address; } __attribute__((packed));',
  'static struct desc_ptr gdt, idt;',
  '',
  'void save_tables(void)',
  '{',
  '\tasm volatile(',
  '\t\t"sgdt %0\\n\\t"',
  '\t\t"sidt %1"',
  '\t\t: "=m"(gdt), "=m"(idt));',
  '}',
  '',
].join('\n');

describe('lsp: C, C++ and Rust documents', function () {
  this.timeout(60000);
  let client: LspTestClient;
  before(async () => (client = await LspTestClient.start({ pull: true })));
  after(async () => void (await client.stop()));

  it('reports sgdt inside an asm string, on the instruction, and nothing on ordinary C code', async () => {
    const uri = fileUri('embedded-basic.c');
    await client.open(uri, C_SOURCE, 'c');
    const items = await pullItems(client, uri);
    assert.deepEqual(items.map((d) => d.code), ['sgdt'], 'exactly one diagnostic');
    const [diagnostic] = items as [Diagnostic];
    const sgdt = positionOf(C_SOURCE, 'sgdt %0');
    assert.deepEqual(diagnostic.range.start, sgdt, 'the diagnostic starts on sgdt inside the string');
    const covered = textAt(C_SOURCE, diagnostic.range);
    assert.match(covered, /^sgdt/, `the range covers the instruction, got "${covered}"`);
    assert.ok(!covered.includes('"'), `the range stays inside the string literal, got "${covered}"`);
    assert.equal(diagnostic.source, 'virtlint');
  });

  it('hovers on the instruction in the asm string only', async () => {
    const uri = fileUri('embedded-hover.c');
    await client.open(uri, C_SOURCE, 'c');
    await pullItems(client, uri);
    const sgdt = positionOf(C_SOURCE, 'sgdt %0');
    const card = hoverText(await hoverAt(client, uri, { line: sgdt.line, character: sgdt.character + 2 }));
    assert.match(card, /SGDT/);
    const nothingAt = [
      positionOf(C_SOURCE, 'printf'),
      positionOf(C_SOURCE, 'sgdt %d'),
      positionOf(C_SOURCE, 'sgdt would'),
      positionOf(C_SOURCE, 'asm volatile'),
      positionOf(C_SOURCE, 'gdt));'),
      positionOf(C_SOURCE, 'void save_gdt'),
    ];
    for (const position of nothingAt) assert.equal(await hoverAt(client, uri, position), null, `no hover at ${JSON.stringify(position)} (${lineOf(C_SOURCE, position.line).trim()})`);
  });

  it('hovers on instructions whose template is made of several literals, #x, __stringify and %0/%k0', async () => {
    const text = `${TEMPLATE_FROM_PIECES}\n`;
    const uri = fileUri('embedded-pieces.c');
    await client.open(uri, text, 'c');
    const items = await pullItems(client, uri);
    assert.deepEqual(items.map((d) => d.code), ['pushf', 'sgdt', 'mov-sreg', 'lsl']);
    const cards: [string, { line: number; character: number }][] = [
      ['PUSHF', positionOf(text, 'f\\n')],
      ['SGDT', positionOf(text, 'gdt)')],
      ['LSL', positionOf(text, '%k0, %k0')],
      ['MOV', positionOf(text, 'cs, %k0')],
      // No finding here: the card comes from the instruction itself.
      ['POP', positionOf(text, '%0\\n')],
    ];
    for (const [name, position] of cards) assert.match(hoverText(await hoverAt(client, uri, position)), new RegExp(name), `a ${name} card at ${JSON.stringify(position)}`);
    assert.equal(await hoverAt(client, uri, positionOf(text, 'sel; unsigned')), null, 'no hover on C code');
  });

  it('offers the forced-emulation prefix, the disable comment and the documentation, and the comment silences the finding', async () => {
    const uri = fileUri('embedded-actions.c');
    await client.open(uri, C_SOURCE, 'c');
    const [diagnostic] = (await pullItems(client, uri)) as [Diagnostic];
    const actions = await actionsFor(client, uri, diagnostic);
    assert.deepEqual(actions.map((a) => a.title), ["Prefix SGDT with KVM's forced-emulation marker (needs kvm.force_emulation_prefix=1)", 'Disable sgdt for this line', 'Show documentation for sgdt']);
    const fixAll = await client.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri }, range: diagnostic.range, context: { diagnostics: [], only: ['source.fixAll'] } });
    assert.deepEqual(fixAll, [], 'no fix-all in a C file');
    const edited = applyTextEdits(C_SOURCE, editsOf(actions[1]!, uri));
    const asmLine = positionOf(C_SOURCE, 'asm volatile').line;
    assert.equal(lineOf(edited, asmLine), '\t// virtlint-disable-next-line sgdt -- why this is safe here', 'the comment sits above the statement, indented like it');
    assert.equal(lineOf(edited, asmLine + 1), lineOf(C_SOURCE, asmLine));
    await replaceText(client, uri, edited);
    assert.deepEqual(await pullItems(client, uri), [], 'suppressed after the edit');
    assertGccCompiles(edited, 'after the disable comment');
  });

  it('writes the prefix the ABI setting names into the template; the file compiles and re-lints clean', async () => {
    const xenClient = await LspTestClient.start({ pull: true, settings: { fix: { abi: 'xen' } } });
    try {
      const uri = fileUri('embedded-prefix.c');
      await xenClient.open(uri, MULTI_LINE_SOURCE, 'c');
      let text = MULTI_LINE_SOURCE;
      for (const rule of ['sgdt', 'sidt']) {
        const item = (await pullUntil(xenClient, uri, () => true)).find((d) => d.code === rule);
        assert.ok(item, `a ${rule} diagnostic`);
        const prefix = (await actionsFor(xenClient, uri, item)).find((a) => a.title.startsWith('Prefix '));
        assert.ok(prefix, `a prefix action for ${rule}`);
        assert.equal(prefix.title, `Prefix ${rule.toUpperCase()} with Xen's forced-emulation marker (needs Xen's hvm_fep (debug builds))`);
        text = applyTextEdits(text, editsOf(prefix, uri));
        await replaceText(xenClient, uri, text);
      }
      assert.match(text, /"\.byte 0x0f,0x0b,0x78,0x65,0x6e\\n\\t" \/\* virtlint-fixed: sgdt -- /);
      assert.deepEqual(await pullItems(xenClient, uri), [], 'both lines are marked fixed');
      assertGccCompiles(text, 'after the prefix fixes');
    } finally {
      await xenClient.stop();
    }
  });

  it('puts the comment above the finding\'s own line in a multi-line asm statement', async () => {
    const uri = fileUri('embedded-multiline.c');
    await client.open(uri, MULTI_LINE_SOURCE, 'c');
    const items = await pullItems(client, uri);
    assert.deepEqual(items.map((d) => [d.code, d.range.start.line]), [['sgdt', positionOf(MULTI_LINE_SOURCE, 'sgdt').line], ['sidt', positionOf(MULTI_LINE_SOURCE, 'sidt').line]]);
    const sidt = items[1]!;
    const disable = (await actionsFor(client, uri, sidt)).find((a) => a.title === 'Disable sidt for this line');
    assert.ok(disable, 'a disable action for sidt');
    const edited = applyTextEdits(MULTI_LINE_SOURCE, editsOf(disable, uri));
    assert.equal(lineOf(edited, sidt.range.start.line), '\t\t// virtlint-disable-next-line sidt -- why this is safe here');
    await replaceText(client, uri, edited);
    assert.deepEqual((await pullItems(client, uri)).map((d) => d.code), ['sgdt'], 'only sidt is silenced');
    assertGccCompiles(MULTI_LINE_SOURCE, 'the fixture');
    assertGccCompiles(edited, 'after the disable comment between the template strings');
  });

  it('continues a #define with a block comment when the finding is in the macro body', async () => {
    const text = [
      'struct desc_ptr { unsigned short size; unsigned long address; } __attribute__((packed));',
      '#define store_idt(dtr) \\',
      '\tasm volatile("sidt %0" : "=m"(*(dtr)))',
      'void save_idt(struct desc_ptr *p) { store_idt(p); }',
      '',
    ].join('\n');
    const uri = fileUri('embedded-define.c');
    await client.open(uri, text, 'c');
    const items = await pullItems(client, uri);
    assert.ok(items.length > 0 && items.every((d) => d.code === 'sidt'), `sidt findings, got ${JSON.stringify(items.map((d) => [d.code, d.range.start.line]))}`);
    const inBody = items.find((d) => d.range.start.line === 2);
    assert.ok(inBody, 'a finding on the body line');
    const disable = (await actionsFor(client, uri, inBody)).find((a) => a.title === 'Disable sidt for this line');
    assert.ok(disable, 'a disable action');
    const edited = applyTextEdits(text, editsOf(disable, uri));
    assert.equal(lineOf(edited, 2), '\t/* virtlint-disable-next-line sidt -- why this is safe here */ \\');
    assertGccCompiles(edited, 'the macro still continues');
    await replaceText(client, uri, edited);
    assert.ok(!(await pullItems(client, uri)).some((d) => d.range.start.line === 3), 'the body line is suppressed');
  });

  it('offers no disable comment inside a multi-line Rust template, only the documentation', async () => {
    const rustClient = await LspTestClient.start({ pull: true, settings: { profile: 'vm-detection-audit' } });
    try {
      const text = ['pub unsafe fn probe(p: *mut u8) {', '    core::arch::asm!("', '        nop', '        sgdt [{0}]', '    ", in(reg) p);', '}', ''].join('\n');
      const uri = fileUri('embedded-template.rs');
      await rustClient.open(uri, text, 'rust');
      const items = await pullItems(rustClient, uri);
      assert.deepEqual(items.map((d) => [d.code, d.range.start]), [['sgdt', positionOf(text, 'sgdt')]]);
      const actions = await actionsFor(rustClient, uri, items[0]!);
      assert.deepEqual(actions.map((a) => a.title), ['Show documentation for sgdt']);
    } finally {
      await rustClient.stop();
    }
  });

  it('reads a document by its extension when the client sends another language id', async () => {
    const uri = fileUri('embedded-by-extension.c');
    await client.open(uri, C_SOURCE, 'plaintext');
    assert.deepEqual((await pullItems(client, uri)).map((d) => d.code), ['sgdt']);
  });

  it('reports asm!("cpuid") in a Rust document when the profile turns cpuid on', async () => {
    const rustClient = await LspTestClient.start({ pull: true, settings: { profile: 'vm-detection-audit' } });
    try {
      const text = ['use core::arch::asm;', '', 'pub fn probe() {', '    // cpuid in a comment is not code', '    unsafe { asm!("cpuid", inout("eax") 0 => _, out("ecx") _, out("edx") _) };', '}', ''].join('\n');
      const uri = fileUri('embedded-probe.rs');
      await rustClient.open(uri, text, 'rust');
      const items = await pullItems(rustClient, uri);
      assert.deepEqual(items.map((d) => d.code), ['cpuid']);
      assert.deepEqual(items[0]!.range.start, positionOf(text, 'cpuid"'), 'on cpuid inside the string');
      assert.match(hoverText(await hoverAt(rustClient, uri, positionOf(text, 'cpuid"'))), /CPUID/);
      assert.equal(await hoverAt(rustClient, uri, positionOf(text, 'cpuid in')), null, 'no hover in the comment');
      assert.equal(await hoverAt(rustClient, uri, positionOf(text, 'probe')), null, 'no hover on a Rust name');
    } finally {
      await rustClient.stop();
    }
  });

  it('reports an intrinsic call on its name and says in the hover what it compiles to', async () => {
    const auditClient = await LspTestClient.start({ pull: true, settings: { profile: 'vm-detection-audit' } });
    try {
      const text = ['#include <x86intrin.h>', 'unsigned long long stamp(void)', '{', '\treturn __rdtsc();', '}', ''].join('\n');
      const uri = fileUri('embedded-intrinsic.c');
      await auditClient.open(uri, text, 'c');
      const items = await pullItems(auditClient, uri);
      assert.deepEqual(items.map((d) => d.code), ['rdtsc']);
      assert.equal(textAt(text, items[0]!.range), '__rdtsc');
      const hover = hoverText(await hoverAt(auditClient, uri, positionOf(text, '__rdtsc')));
      assert.match(hover, /`__rdtsc` compiles to `rdtsc`/i);
      assert.match(hover, /RDTSC/);
      assert.equal(await hoverAt(auditClient, uri, positionOf(text, 'stamp')), null);
    } finally {
      await auditClient.stop();
    }
  });
});

describe('lsp: C, C++ and Rust settings', function () {
  this.timeout(60000);

  it('virtlint.languages.c = false turns C off and leaves C++ on', async () => {
    const client = await LspTestClient.start({ pull: true, settings: { languages: { c: false } } });
    try {
      const c = fileUri('embedded-off.c');
      await client.open(c, C_SOURCE, 'c');
      assert.deepEqual(await pullItems(client, c), []);
      assert.equal(await hoverAt(client, c, positionOf(C_SOURCE, 'sgdt %0')), null);
      const cpp = fileUri('embedded-on.cpp');
      const cppText = 'struct D { unsigned short s; unsigned long a; } __attribute__((packed));\nvoid f() { D g; asm volatile("sgdt %0" : "=m"(g)); }\n';
      await client.open(cpp, cppText, 'cpp');
      assert.deepEqual((await pullItems(client, cpp)).map((d) => d.code), ['sgdt']);
      await client.changeSettings({});
      const items = await pullUntil(client, c, (list) => list.length > 0);
      assert.deepEqual(items.map((d) => d.code), ['sgdt'], 'on again once the setting is gone');
    } finally {
      await client.stop();
    }
  });

  it('reads Intel-syntax templates when virtlint.inlineAsm.syntax is intel', async () => {
    const client = await LspTestClient.start({ pull: true, settings: { inlineAsm: { syntax: 'intel' } } });
    try {
      const text = 'void f(void) { asm volatile("smsw ax" ::: "eax"); }\n';
      const uri = fileUri('embedded-intel.c');
      await client.open(uri, text, 'c');
      const items = await pullItems(client, uri);
      assert.deepEqual(items.map((d) => d.code), ['smsw']);
      assert.deepEqual(items[0]!.range.start, positionOf(text, 'smsw'));
      assertGccIntelCompiles(text);
    } finally {
      await client.stop();
    }
  });

  it('publishes to a client without pull diagnostics', async () => {
    const client = await LspTestClient.start({ pull: false });
    try {
      const uri = fileUri('embedded-push.c');
      await client.open(uri, C_SOURCE, 'c');
      const published = await client.waitForPublished(uri, (params) => params.diagnostics.length > 0);
      assert.deepEqual(published.diagnostics.map((d) => d.code), ['sgdt']);
    } finally {
      await client.stop();
    }
  });
});

/** The template is Intel syntax: gcc -masm=intel assembles it. */
function assertGccIntelCompiles(text: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'virtlint-embedded-gcc-'));
  try {
    const file = join(dir, 'unit.c');
    writeFileSync(file, text);
    execFileSync('gcc', ['-m64', '-masm=intel', '-c', '-o', join(dir, 'unit.o'), file], { stdio: 'pipe' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('lsp: C headers and the workspace configuration', function () {
  this.timeout(60000);
  let dir: string;
  let client: LspTestClient;
  // As in Linux's asm/segment.h: the template depends on the argument, so the use is what is reported.
  const SEGMENT_H = ['#define savesegment(seg, value) asm("mov %%" #seg ",%k0" : "=r" (value) : : "memory")', ''].join('\n');
  const MAIN = ['#include <asm/segment.h>', '', 'unsigned short data_segment(void)', '{', '\tunsigned short sel;', '\tsavesegment(ds, sel);', '\treturn sel;', '}', ''].join('\n');
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'virtlint-embedded-ws-'));
    mkdirSync(join(dir, 'include', 'asm'), { recursive: true });
    writeFileSync(join(dir, 'include', 'asm', 'segment.h'), SEGMENT_H);
    writeFileSync(join(dir, 'virtlint.config.json'), JSON.stringify({ includePaths: ['include'] }));
    writeFileSync(join(dir, 'main.c'), MAIN);
    client = await LspTestClient.start({ pull: true, workspaceFolder: dir });
  });
  after(async () => {
    await client.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds the asm a macro from an include path holds, at the invocation', async () => {
    const uri = pathToFileURL(join(dir, 'main.c')).href;
    await client.open(uri, MAIN, 'c');
    // The configuration is read after `initialized`: wait for the include path to count.
    const items = await pullUntil(client, uri, (list) => list.length > 0);
    assert.deepEqual(items.map((d) => [d.code, d.range.start.line]), [['mov-sreg', positionOf(MAIN, 'savesegment(ds').line]]);
    assertGccCompilesWith(join(dir, 'main.c'), ['-I', join(dir, 'include')]);
  });

  it('reads an open header buffer before the disk, and re-reads it after each edit', async () => {
    const uri = pathToFileURL(join(dir, 'main.c')).href;
    const header = pathToFileURL(join(dir, 'include', 'asm', 'segment.h')).href;
    const edited = ['#define savesegment(seg, value) asm("smsw %k0 # " #seg : "=r" (value))', ''].join('\n');
    await client.open(header, edited, 'c');
    assert.deepEqual((await pullUntil(client, uri, (list) => list.some((d) => d.code === 'smsw'))).map((d) => d.code), ['smsw'], 'the unsaved header is read');
    await client.change(header, [{ text: SEGMENT_H }]);
    assert.deepEqual((await pullUntil(client, uri, (list) => list.some((d) => d.code === 'mov-sreg'))).map((d) => d.code), ['mov-sreg'], 'the edited header is read again');
    assert.deepEqual(await pullItems(client, header), [], 'the definition alone reports nothing: its template depends on the argument');
  });
});

function assertGccCompilesWith(file: string, flags: string[]): void {
  const out = mkdtempSync(join(tmpdir(), 'virtlint-embedded-gcc-'));
  try {
    execFileSync('gcc', ['-m64', ...flags, '-c', '-o', join(out, 'unit.o'), file], { stdio: 'pipe' });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

describe('lsp: bad C and Rust input', function () {
  this.timeout(120000);
  let client: LspTestClient;
  before(async () => (client = await LspTestClient.start({ pull: true })));
  after(async () => void (await client.stop()));

  async function stillServing(): Promise<void> {
    const uri = fileUri(`embedded-alive-${Math.random().toString(36).slice(2)}.c`);
    await client.open(uri, C_SOURCE, 'c');
    assert.deepEqual((await pullItems(client, uri)).map((d) => d.code), ['sgdt'], 'the server still analyses C after the bad input');
    assert.ok(client.alive);
  }

  function randomBytes(length: number, seed: number): string {
    let state = seed;
    let text = '';
    for (let i = 0; i < length; i++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      const code = (state >>> 16) % 0x3000;
      text += String.fromCharCode(code === 0 ? 1 : code);
    }
    return text;
  }

  const badInputs: Array<[string, string, string]> = [
    ['unterminated.c', 'c', 'void f(void) {\n\tasm volatile("sgdt %0 : "=m"(x));\n\tasm("sidt'],
    ['unbalanced.c', 'c', 'void f(void) { asm volatile("sgdt %0" : "=m"((((((x); }\n#define A(x) A(x) asm("str %0" :: "m"(x))\nA(1)\n'],
    ['garbage.c', 'c', randomBytes(200_000, 7)],
    ['garbage-asm.c', 'c', `asm(${'"'.repeat(5000)}${'('.repeat(5000)}\\\n`.repeat(20)],
    ['nul.c', 'c', 'void f(void) { asm("sgdt %0" : "=m"(x)); }\n\0\0\0'],
    ['unterminated.rs', 'rust', 'fn f() { unsafe { core::arch::asm!(r#"sgdt [rax]\n'],
    ['garbage.rs', 'rust', randomBytes(100_000, 11)],
    ['macro-loop.c', 'c', '#define X X X\n#define Y(a) Y(a) Y(a)\nvoid f(void) { X; Y(1); asm("sgdt %0" : "=m"(X)); }\n'],
  ];

  for (const [name, language, text] of badInputs) {
    it(`survives ${name}`, async () => {
      const uri = fileUri(`embedded-bad-${name}`);
      await client.open(uri, text, language);
      const report = await client.pull(uri);
      assert.equal(report.kind, 'full');
      await hoverAt(client, uri, { line: 0, character: 3 });
      await client.request('textDocument/codeAction', { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 2, character: 0 } }, context: { diagnostics: report.items ?? [] } });
      await stillServing();
    });
  }

  it('survives a 1.5 MB C file with asm every 50 lines, and keeps up with edits to it', async () => {
    const plain = '\tprintf("%d %s\\n", counter++, "sgdt is only a word here"); /* sidt */\n';
    const statement = '\tasm volatile("sgdt %0\\n\\tsidt %1" : "=m"(g), "=m"(i));\n';
    const chunk = statement + plain.repeat(49);
    const text = 'void f(void) {\n' + chunk.repeat(Math.floor(1_500_000 / chunk.length)) + '}\n';
    const uri = fileUri('embedded-huge.c');
    await client.open(uri, text, 'c');
    const items = await pullItems(client, uri);
    const statements = text.split('asm volatile').length - 1;
    assert.equal(items.length, 2 * statements, 'sgdt and sidt of every statement, nothing from the printf lines');
    await client.change(uri, [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, text: '\tasm("smsw %ax");\n' }]);
    const after = await pullItems(client, uri);
    assert.ok(after.some((d) => d.code === 'smsw' && d.range.start.line === 1), 'the edit is seen');
    await stillServing();
  });

  it('survives a C file with 20,000 asm statements (findings capped at virtlint.maxDiagnostics)', async () => {
    const statement = '\tasm volatile("sgdt %0" : "=m"(g));\n';
    const uri = fileUri('embedded-dense.c');
    await client.open(uri, 'void f(void) {\n' + statement.repeat(20_000) + '}\n', 'c');
    const items = await pullItems(client, uri);
    assert.equal(items.length, 1001, '1,000 findings and the notice that there are more');
    await stillServing();
  });

  it('logs no failure of the embedded analysis for any of them', () => {
    assert.deepEqual(client.logMessages.filter((message) => /could not be analysed|failed/.test(message)), []);
  });
});
