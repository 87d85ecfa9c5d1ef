// The language server reading the workspace as one program: included files in their includer's
// mode, macro findings at the invocation, unsaved buffers of included files, navigation and
// hovers for macros and include paths, and the context a file is shown in.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DiagnosticSeverity, type CodeAction, type Diagnostic, type Hover, type Location, type PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import { codesAndLines, LspTestClient, messageText } from './client';
import { SELECT_CONTEXT_COMMAND, type FileInfoParams } from '../../server/src/lsp/protocol';
import { decodeAll } from '../helpers/assemble';
import { runFasm } from '../helpers/fasm';

const FILES: Record<string, string> = {
  // FASM boot code in a header: on its own it would be read as NASM, where `push es di` means nothing.
  // 16-bit protected mode: in a boot sector's real mode segment pushes and pops are not reported.
  'boot.asm': ['use16 ; virtlint: mode=pm16', 'org 0x7c00', "include 'bios.inc'", '    ret', ''].join('\n'),
  'bios.inc': ['    push es di', '    mov ax, 0x1234', '    pop di es', ''].join('\n'),
  // A macro in a header, used in another file.
  'macros.inc': ['%macro SAVE_FLAGS 0', '    pushf', '%endmacro', ''].join('\n'),
  'main.asm': ['bits 32', '%include "macros.inc"', 'start:', '    SAVE_FLAGS', '    ret', ''].join('\n'),
  // One header included in two modes.
  'shared.inc': ['    push cs', ''].join('\n'),
  'a32.asm': ['bits 32', '%include "shared.inc"', ''].join('\n'),
  'a64.asm': ['bits 64', '%include "shared.inc"', ''].join('\n'),
  // A boot sector (real mode) and 16-bit protected-mode code: one include in real mode, one header in both.
  'mbr.asm': ['bits 16', 'org 0x7c00', '%include "realmode.inc"', '%include "flags.inc"', '    jmp $', ''].join('\n'),
  'realmode.inc': ['    pushf', '    cli', ''].join('\n'),
  'apm.asm': ['bits 16 ; virtlint: mode=pm16', '%include "flags.inc"', ''].join('\n'),
  'flags.inc': ['    pushf', ''].join('\n'),
  // One header read in a boot sector's real mode and in 32-bit protected mode: POPF a hint and an error, PUSH CS nothing and a warning.
  'boot16.asm': ['bits 16', 'org 0x7c00', '%include "both.inc"', '    jmp $', ''].join('\n'),
  'prot32.asm': ['bits 32', '%include "both.inc"', ''].join('\n'),
  'both.inc': ['    popf', '    push cs', ''].join('\n'),
  // A file nobody includes until an edit does.
  'host.asm': ['bits 16', ''].join('\n'),
  'lone.inc': ['    push cs', ''].join('\n'),
};

type ContextualInfo = FileInfoParams & { contexts: NonNullable<FileInfoParams["contexts"]> };

function ruleAt(diagnostics: readonly Diagnostic[], rule: string, line: number): Diagnostic | undefined {
  return diagnostics.find((d) => d.code === rule && d.range.start.line === line);
}

describe('lsp: the workspace as one program', function () {
  this.timeout(60000);
  let dir: string;
  let client: LspTestClient;
  const uri = (name: string): string => pathToFileURL(join(dir, name)).href;
  const openFromDisk = (name: string): Promise<void> => client.open(uri(name), readFileSync(join(dir, name), 'utf8'));
  const published = (name: string, accept: (p: PublishDiagnosticsParams) => boolean): Promise<PublishDiagnosticsParams> =>
    client.waitForPublished(uri(name), accept, 20000).catch((error: Error) => {
      throw new Error(`${error.message}\nserver log:\n${client.logMessages.slice(-20).join('\n')}`);
    });
  const hoverText = async (name: string, line: number, character: number): Promise<string> => {
    const hover = await client.request<Hover | null>('textDocument/hover', { textDocument: { uri: uri(name) }, position: { line, character } });
    return hover ? (hover.contents as { value: string }).value : '';
  };
  const infoWithContexts = (name: string, count: number): Promise<ContextualInfo> =>
    client.waitFor(() => (client.fileInfos as ContextualInfo[]).filter((info) => info.uri === uri(name) && (info.contexts?.length ?? 0) === count).at(-1), 20000, `fileInfo of ${name} with ${count} context(s)`);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'virtlint-lsp-project-'));
    for (const [name, text] of Object.entries(FILES)) writeFileSync(join(dir, name), text);
    client = await LspTestClient.start({ pull: false, workspaceFolder: dir, extraCapabilities: { window: { workDoneProgress: true } } });
  });
  after(async () => {
    await client.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('indexes the workspace with work-done progress', async () => {
    const end = await client.waitFor(() => client.progress.find((p) => p.kind === 'end'), 20000, 'the end of the indexing progress');
    assert.ok(end);
    assert.match(client.progress.find((p) => p.kind === 'begin')?.title ?? '', /index/i);
  });

  it('reads an included file in its includer\'s dialect and mode (fasm and iced-x86 agree)', async () => {
    // The oracle: what fasm emits for the includer, decoded at 16 bits, pushes and pops ES.
    const run = runFasm(['boot.asm', 'boot.bin'], dir);
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const codes = decodeAll(new Uint8Array(readFileSync(join(dir, 'boot.bin'))), 16).map((d) => d.codeName);
    assert.deepEqual(codes, ['Pushw_ES', 'Push_r16', 'Mov_r16_imm16', 'Pop_r16', 'Popw_ES', 'Retnw']);

    await openFromDisk('bios.inc');
    const diagnostics = (await published('bios.inc', (p) => p.diagnostics.length > 0)).diagnostics;
    assert.deepEqual(codesAndLines(diagnostics), [['push-sreg', 0], ['pop-sreg', 2]]);
    const info = await infoWithContexts('bios.inc', 1);
    assert.equal(info.dialect, 'fasm');
    assert.equal(info.bits, 16);
    assert.equal(info.contexts[0]!.label, 'included from boot.asm:3, FASM 16-bit protected mode');
    assert.deepEqual(info.contexts[0]!.includedFrom, { uri: uri('boot.asm'), line: 2 });
  });

  it('reports a macro\'s instruction at the invocation, naming the macro, with the body line as related information', async () => {
    await openFromDisk('main.asm');
    const diagnostics = (await published('main.asm', (p) => ruleAt(p.diagnostics, 'pushf', 3) !== undefined)).diagnostics;
    const pushf = ruleAt(diagnostics, 'pushf', 3)!;
    assert.match(messageText(pushf), /SAVE_FLAGS/);
    const related = pushf.relatedInformation ?? [];
    assert.ok(
      related.some((r) => r.location.uri === uri('macros.inc') && r.location.range.start.line === 1),
      JSON.stringify(related),
    );
  });

  it('goes to a macro\'s definition and finds its invocations', async () => {
    const definitions = await client.request<Location[]>('textDocument/definition', { textDocument: { uri: uri('main.asm') }, position: { line: 3, character: 8 } });
    assert.deepEqual(
      definitions.map((l) => [l.uri, l.range.start.line]),
      [[uri('macros.inc'), 0]],
    );
    await openFromDisk('macros.inc');
    const references = await client.request<Location[]>('textDocument/references', {
      textDocument: { uri: uri('macros.inc') },
      position: { line: 0, character: 10 },
      context: { includeDeclaration: false },
    });
    assert.deepEqual(
      references.map((l) => [l.uri, l.range.start.line]),
      [[uri('main.asm'), 3]],
    );
  });

  it('goes from an include directive\'s path to the file it names', async () => {
    const definitions = await client.request<Location[]>('textDocument/definition', { textDocument: { uri: uri('main.asm') }, position: { line: 1, character: 12 } });
    assert.deepEqual(definitions.map((l) => l.uri), [uri('macros.inc')]);
    const nothing = await client.request<Location[]>('textDocument/definition', { textDocument: { uri: uri('main.asm') }, position: { line: 4, character: 5 } });
    assert.deepEqual(nothing, []);
  });

  it('shows a macro invocation\'s expansion and where the macro is defined on hover, and keeps instruction hovers', async () => {
    const hover = await client.request<Hover | null>('textDocument/hover', { textDocument: { uri: uri('main.asm') }, position: { line: 3, character: 6 } });
    assert.ok(hover, 'a hover on the invocation');
    const text = (hover.contents as { value: string }).value;
    assert.match(text, /SAVE\\?_FLAGS/);
    assert.match(text, /macros\.inc:1/);
    assert.match(text, /```asm\n\s*pushf\n```/);
    const instruction = await client.request<Hover | null>('textDocument/hover', { textDocument: { uri: uri('main.asm') }, position: { line: 4, character: 5 } });
    assert.ok(instruction);
    assert.doesNotMatch((instruction.contents as { value: string }).value, /Expands here/);
  });

  it('keeps a macro\'s finding on its moved line through a keystroke, before the project runs again', async () => {
    const version = await client.change(uri('main.asm'), [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '; a new first line\n' }]);
    await published('main.asm', (p) => p.version === version && ruleAt(p.diagnostics, 'pushf', 4) !== undefined);
    const atThisVersion = (client.published.get(uri('main.asm')) ?? []).filter((p) => p.version === version);
    for (const params of atThisVersion) assert.ok(ruleAt(params.diagnostics, 'pushf', 4), `every report of version ${version} has it: ${JSON.stringify(codesAndLines(params.diagnostics))}`);
    await client.change(uri('main.asm'), [{ range: { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } }, text: '' }]);
    await published('main.asm', (p) => ruleAt(p.diagnostics, 'pushf', 3) !== undefined);
  });

  it('re-analyses the includer when an included file changes in an unsaved buffer', async () => {
    await client.change(uri('macros.inc'), [{ range: { start: { line: 1, character: 4 }, end: { line: 1, character: 9 } }, text: 'popf' }]);
    const diagnostics = (await published('main.asm', (p) => ruleAt(p.diagnostics, 'popf', 3) !== undefined)).diagnostics;
    assert.equal(ruleAt(diagnostics, 'pushf', 3), undefined, JSON.stringify(codesAndLines(diagnostics)));
    assert.match(readFileSync(join(dir, 'macros.inc'), 'utf8'), /pushf/, 'the disk still has the old text');
    // Closing the buffer without saving brings the disk's text back.
    await client.close(uri('macros.inc'));
    await published('main.asm', (p) => ruleAt(p.diagnostics, 'pushf', 3) !== undefined && ruleAt(p.diagnostics, 'popf', 3) === undefined);
  });

  it('reports a file included in two modes in both, and in the one the user selects', async () => {
    await openFromDisk('shared.inc');
    const info = await infoWithContexts('shared.inc', 2);
    const labels = info.contexts.map((c) => c.label).sort();
    assert.deepEqual(labels, ['included from a32.asm:2, NASM 32-bit', 'included from a64.asm:2, NASM 64-bit']);
    const merged = await published('shared.inc', (p) => ruleAt(p.diagnostics, 'push-sreg', 0) !== undefined && ruleAt(p.diagnostics, 'invalid-in-mode', 0) !== undefined);
    assert.match(messageText(ruleAt(merged.diagnostics, 'invalid-in-mode', 0)!), /\[only included from a64\.asm:2, NASM 64-bit\]$/);
    assert.match(messageText(ruleAt(merged.diagnostics, 'push-sreg', 0)!), /\[only included from a32\.asm:2, NASM 32-bit\]$/);

    const in64 = info.contexts.findIndex((c) => c.bits === 64);
    const answer = await client.request<ContextualInfo>('workspace/executeCommand', { command: SELECT_CONTEXT_COMMAND, arguments: [{ uri: uri('shared.inc'), context: in64 }] });
    assert.equal(answer.selectedContext, in64);
    const only64 = await published('shared.inc', (p) => ruleAt(p.diagnostics, 'push-sreg', 0) === undefined);
    assert.ok(ruleAt(only64.diagnostics, 'invalid-in-mode', 0), JSON.stringify(codesAndLines(only64.diagnostics)));

    await client.request('workspace/executeCommand', { command: SELECT_CONTEXT_COMMAND, arguments: [{ uri: uri('shared.inc'), context: -1 }] });
    await published('shared.inc', (p) => ruleAt(p.diagnostics, 'push-sreg', 0) !== undefined && ruleAt(p.diagnostics, 'invalid-in-mode', 0) !== undefined);
  });

  it('reads an include in its includer\'s execution mode in its own analysis too: the status, the hover, and the diagnostics of an edit', async () => {
    await openFromDisk('realmode.inc');
    const info = await infoWithContexts('realmode.inc', 1);
    assert.equal(info.contexts[0]!.label, 'included from mbr.asm:3, NASM 16-bit real mode');
    assert.deepEqual(info.modeRegions, [{ startLine: 0, mode: 'real' }]);
    const hover = await hoverText('realmode.inc', 0, 6);
    assert.match(hover, /^\*\*PUSHF in real mode/);
    assert.match(hover, /`pushf` · hint, real mode/);
    // Right after an edit the file shows its own analysis until the project runs again: in real mode all the same.
    const version = await client.change(uri('realmode.inc'), [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '    nop\n' }]);
    await published('realmode.inc', (p) => p.version === version && ruleAt(p.diagnostics, 'pushf', 1) !== undefined);
    const atThisVersion = (client.published.get(uri('realmode.inc')) ?? []).filter((p) => p.version === version);
    for (const params of atThisVersion) {
      const pushf = ruleAt(params.diagnostics, 'pushf', 1);
      assert.ok(pushf, JSON.stringify(codesAndLines(params.diagnostics)));
      assert.equal(pushf.severity, DiagnosticSeverity.Hint, messageText(pushf));
      assert.match(messageText(pushf), /^PUSHF in real mode/);
    }
    await client.change(uri('realmode.inc'), [{ range: { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } }, text: '' }]);
  });

  it('shows a line read in two modes as the context the user picks reads it: its message, severity and mode, and the hover\'s', async () => {
    await openFromDisk('flags.inc');
    const info = await infoWithContexts('flags.inc', 2);
    // The picker's entries say the mode each includer reads the header in.
    assert.deepEqual(info.contexts.map((c) => c.label).sort(), ['included from apm.asm:2, NASM 16-bit protected mode', 'included from mbr.asm:4, NASM 16-bit real mode']);
    const real = info.contexts.findIndex((c) => c.mode === 'real');
    const pm16 = info.contexts.findIndex((c) => c.mode === 'pm16');
    assert.ok(real >= 0 && pm16 >= 0, JSON.stringify(info.contexts));
    // Merged, the line speaks for the mode where it matters most.
    const merged = await published('flags.inc', (p) => ruleAt(p.diagnostics, 'pushf', 0)?.severity === DiagnosticSeverity.Warning);
    assert.doesNotMatch(messageText(ruleAt(merged.diagnostics, 'pushf', 0)!), /real mode/);

    await client.request('workspace/executeCommand', { command: SELECT_CONTEXT_COMMAND, arguments: [{ uri: uri('flags.inc'), context: real }] });
    const inReal = ruleAt((await published('flags.inc', (p) => ruleAt(p.diagnostics, 'pushf', 0)?.severity === DiagnosticSeverity.Hint)).diagnostics, 'pushf', 0)!;
    assert.match(messageText(inReal), /^PUSHF in real mode/);
    assert.match(await hoverText('flags.inc', 0, 6), /`pushf` · hint, real mode/);

    await client.request('workspace/executeCommand', { command: SELECT_CONTEXT_COMMAND, arguments: [{ uri: uri('flags.inc'), context: pm16 }] });
    const inPm16 = ruleAt((await published('flags.inc', (p) => ruleAt(p.diagnostics, 'pushf', 0)?.severity === DiagnosticSeverity.Warning)).diagnostics, 'pushf', 0)!;
    assert.doesNotMatch(messageText(inPm16), /real mode/);
    assert.match(await hoverText('flags.inc', 0, 6), /`pushf` · warning, 16-bit protected mode/);
    await client.request('workspace/executeCommand', { command: SELECT_CONTEXT_COMMAND, arguments: [{ uri: uri('flags.inc'), context: -1 }] });
  });

  it('says in the merged view what the diagnostic says: the hover and the code actions speak for the same reading, not for the context the file\'s own analysis starts in', async () => {
    await openFromDisk('both.inc');
    const info = await infoWithContexts('both.inc', 2);
    // What makes the two disagree: the file's own analysis (the hover's, the menu's) starts in the first context, real mode.
    assert.equal(info.contexts[0]!.label, 'included from boot16.asm:3, NASM 16-bit real mode');
    assert.equal(info.contexts[1]!.label, 'included from prot32.asm:2, NASM 32-bit');
    const merged = await published('both.inc', (p) => ruleAt(p.diagnostics, 'popf', 0)?.severity === DiagnosticSeverity.Error && ruleAt(p.diagnostics, 'push-sreg', 1) !== undefined);
    const severityName = ['', 'error', 'warning', 'info', 'hint'];
    for (const [rule, line] of [['popf', 0], ['push-sreg', 1]] as const) {
      const diagnostic = ruleAt(merged.diagnostics, rule, line)!;
      const blocks = (await hoverText('both.inc', line, 6)).split('\n\n');
      assert.equal(blocks[0], `**${messageText(diagnostic)}.**`, rule);
      assert.ok(blocks[1]!.startsWith(`\`${rule}\` · ${severityName[diagnostic.severity!]}, 32-bit protected mode`), blocks[1]);
      const actions = await client.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri: uri('both.inc') }, range: diagnostic.range, context: { diagnostics: [diagnostic] } });
      const fixes = actions.filter((action) => !/^(Disable|Show documentation)/.test(action.title));
      assert.ok(fixes.length > 0 && actions.length > fixes.length, `${rule}: ${JSON.stringify(actions.map((action) => action.title))}`);
      for (const action of actions.filter((candidate) => !candidate.title.startsWith('Show documentation'))) assert.deepEqual(action.diagnostics?.map((d) => [d.severity, messageText(d)]), [[diagnostic.severity, messageText(diagnostic)]], action.title);
      // The card's Do line names the menu's fixes (without their remarks in parentheses).
      assert.ok(blocks[2]!.startsWith(`**Do:** ${fixes.map((fix) => fix.title.replace(/\s*\([^()]*\)/g, '').trim()).join(' · ')}.`), `${blocks[2]}\nmenu: ${fixes.map((fix) => fix.title).join(' | ')}`);
    }
    // The other includer's reading, where there is one.
    assert.match((await hoverText('both.inc', 0, 6)).split('\n\n')[1]!, /; hint in real mode when included from boot16\.asm:3$/);
  });

  it('reads a file in its new includer\'s mode when an edit includes it, and on its own again when the include goes', async () => {
    await openFromDisk('lone.inc');
    await openFromDisk('host.asm');
    const lastInfo = (): ContextualInfo | undefined => (client.fileInfos as ContextualInfo[]).filter((info) => info.uri === uri('lone.inc')).at(-1);
    await client.waitFor(() => lastInfo(), 20000, 'fileInfo of lone.inc');
    assert.equal(lastInfo()!.contexts, undefined, 'read on its own');
    await client.change(uri('host.asm'), [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, text: '%include "lone.inc"\n' }]);
    const included = await infoWithContexts('lone.inc', 1);
    assert.equal(included.contexts[0]!.label, 'included from host.asm:2, NASM 16-bit');
    assert.equal(included.bits, 16);
    await client.change(uri('host.asm'), [{ range: { start: { line: 1, character: 0 }, end: { line: 2, character: 0 } }, text: '' }]);
    await client.waitFor(() => (lastInfo()?.contexts === undefined ? true : undefined), 20000, 'lone.inc read on its own again');
  });
});

describe('lsp: the workspace as one program, in the mode the settings give a file', function () {
  this.timeout(60000);
  let dir: string;
  let client: LspTestClient;
  const uri = (name: string): string => pathToFileURL(join(dir, name)).href;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'virtlint-lsp-project-mode-'));
    writeFileSync(join(dir, 'loader.asm'), ['bits 16', '%include "flags.inc"', ''].join('\n'));
    writeFileSync(join(dir, 'flags.inc'), ['    pushf', ''].join('\n'));
    client = await LspTestClient.start({ pull: false, workspaceFolder: dir, settings: { overrides: [{ files: '**/loader.asm', mode: 'real' }] } });
  });
  after(async () => {
    await client.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads an include of a file the overrides put in real mode in real mode, in the project and in its own analysis', async () => {
    await client.open(uri('flags.inc'), readFileSync(join(dir, 'flags.inc'), 'utf8'));
    const inReal = (p: PublishDiagnosticsParams): boolean => /^PUSHF in real mode/.test(messageText(ruleAt(p.diagnostics, 'pushf', 0) ?? { message: '' } as Diagnostic));
    const report = await client.waitForPublished(uri('flags.inc'), (p) => inReal(p) && (client.fileInfos as ContextualInfo[]).some((info) => info.uri === uri('flags.inc') && info.contexts?.length === 1), 20000);
    assert.equal(ruleAt(report.diagnostics, 'pushf', 0)!.severity, DiagnosticSeverity.Hint);
    const info = (client.fileInfos as ContextualInfo[]).filter((candidate) => candidate.uri === uri('flags.inc')).at(-1)!;
    assert.deepEqual(info.modeRegions, [{ startLine: 0, mode: 'real' }]);
  });
});

describe('lsp: the workspace as one program, for a client that pulls diagnostics', function () {
  this.timeout(60000);
  let dir: string;
  let client: LspTestClient;
  const uri = (name: string): string => pathToFileURL(join(dir, name)).href;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'virtlint-lsp-project-pull-'));
    for (const name of ['macros.inc', 'main.asm']) writeFileSync(join(dir, name), FILES[name]!);
    client = await LspTestClient.start({ pull: true, workspaceFolder: dir });
  });
  after(async () => {
    await client.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('asks the client to pull again when an edit to an included file changes its includer', async () => {
    await client.open(uri('main.asm'), FILES['main.asm']!);
    await client.open(uri('macros.inc'), FILES['macros.inc']!);
    const pulled = (): Promise<Diagnostic[]> => client.pull(uri('main.asm')).then((report) => report.items ?? []);
    // The project's first run ends with a refresh request when it changes what main.asm shows.
    let seen = client.refreshRequests;
    let diagnostics = await pulled();
    for (let tries = 0; !ruleAt(diagnostics, 'pushf', 3) && tries < 10; tries++) {
      const before = seen;
      await client.waitFor(() => (client.refreshRequests > before ? true : undefined), 20000, 'a refresh request');
      seen = client.refreshRequests;
      diagnostics = await pulled();
    }
    assert.ok(ruleAt(diagnostics, 'pushf', 3), JSON.stringify(codesAndLines(diagnostics)));

    const refreshesBefore = client.refreshRequests;
    await client.change(uri('macros.inc'), [{ range: { start: { line: 1, character: 4 }, end: { line: 1, character: 9 } }, text: 'popf' }]);
    await client.waitFor(() => (client.refreshRequests > refreshesBefore ? true : undefined), 20000, 'a refresh request after the edit');
    const after = await pulled();
    assert.ok(ruleAt(after, 'popf', 3), JSON.stringify(codesAndLines(after)));
    assert.equal(ruleAt(after, 'pushf', 3), undefined);
  });
});

describe('lsp: the workspace\'s virtlint.config.json', function () {
  this.timeout(60000);
  let dir: string;
  let client: LspTestClient | undefined;
  const uri = (name: string): string => pathToFileURL(join(dir, name)).href;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'virtlint-lsp-project-config-'));
    mkdirSync(join(dir, 'include'));
    writeFileSync(join(dir, 'include', 'flags.mac'), ['%macro SAVE_FLAGS 0', '    pushf', '%endmacro', ''].join('\n'));
    writeFileSync(join(dir, 'main.asm'), ['bits 32', '%include "flags.mac"', '    SAVE_FLAGS', ''].join('\n'));
  });
  afterEach(async () => {
    await client?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds includes on the configured include paths (and says when one cannot be found without them)', async () => {
    // Without the configuration the include cannot be found: nasm says so too.
    assert.throws(() => execFileSync('nasm', ['-f', 'bin', '-o', join(dir, 'out.bin'), join(dir, 'main.asm')], { cwd: dir, stdio: 'pipe' }));
    execFileSync('nasm', ['-f', 'bin', '-I', join(dir, 'include') + '/', '-o', join(dir, 'out.bin'), join(dir, 'main.asm')], { cwd: dir });

    client = await LspTestClient.start({ pull: false, workspaceFolder: dir });
    await client.open(uri('main.asm'), readFileSync(join(dir, 'main.asm'), 'utf8'));
    const missing = await client.waitForPublished(uri('main.asm'), (p) => ruleAt(p.diagnostics, 'unresolved-include', 1) !== undefined, 20000);
    assert.equal(ruleAt(missing.diagnostics, 'pushf', 2), undefined);
    await client.stop();

    writeFileSync(join(dir, 'virtlint.config.json'), JSON.stringify({ includePaths: ['include'] }));
    client = await LspTestClient.start({ pull: false, workspaceFolder: dir });
    await client.open(uri('main.asm'), readFileSync(join(dir, 'main.asm'), 'utf8'));
    const found = await client.waitForPublished(uri('main.asm'), (p) => ruleAt(p.diagnostics, 'pushf', 2) !== undefined, 20000);
    assert.equal(ruleAt(found.diagnostics, 'unresolved-include', 1), undefined);
  });
});
