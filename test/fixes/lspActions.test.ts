// The editor's side of self-contained fixes: a hypercall quick fix's WorkspaceEdit creates the
// definitions file next to the document (createFile, then its text) and adds the include; a
// client that cannot create files gets the numbers written into the document instead. Fix-all
// on GNU as lines with two sensitive statements fixes both. Every edit is applied here the way
// a client applies it, and the result assembled in its folder by the real assembler.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CodeAction, TextEdit, WorkspaceEdit } from 'vscode-languageserver';
import { analyzeText, type AnalysisOptions } from '../../server/src/analysis';
import { applyEdits, definitionsFile, linesOfText } from '../../server/src/analysis/fixes';
import { codeActionsFor, FIX_ALL_KIND } from '../../server/src/lsp/codeActions';
import { fileUriOf } from '../../server/src/lsp/conversions';
import { DEFAULT_SETTINGS, type VirtlintSettings } from '../../server/src/lsp/settings';
import { removeTree, tempTree } from '../cli/helpers';

const NASM_GUEST = 'bits 64\nsection .text\nstart:\n    pushfq          ; save flags\n    sgdt [rsp+8]\n    ret\n';

function settingsWith(fix: Partial<VirtlintSettings['fix']>): VirtlintSettings {
  return { ...DEFAULT_SETTINGS, fix: { ...DEFAULT_SETTINGS.fix, ...fix } };
}

function actionsFor(file: string, text: string, settings: VirtlintSettings, createFiles: boolean, only?: string[]): CodeAction[] {
  const options: AnalysisOptions = { fileName: file, rules: ['all'] };
  const result = analyzeText(text, options);
  const lines = linesOfText(text);
  const end = { line: lines.lineCount - 1, character: lines.line(lines.lineCount - 1).length };
  return codeActionsFor({
    uri: pathToFileURL(file).toString(),
    source: lines,
    result,
    findings: result.findings,
    settings,
    range: { start: { line: 0, character: 0 }, end },
    contextDiagnostics: [],
    only,
    analysisOptions: () => options,
    createFiles,
    uriOf: fileUriOf,
  });
}

/** Applies a WorkspaceEdit as a client does: resource operations and text edits in order, on disk. */
function applyWorkspaceEdit(edit: WorkspaceEdit): void {
  const apply = (uri: string, edits: readonly TextEdit[]) => {
    const file = fileURLToPath(uri);
    const before = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    fs.writeFileSync(file, applyEdits(before, edits.map((e) => ({ range: e.range, newText: e.newText }))));
  };
  for (const change of edit.documentChanges ?? []) {
    if ('kind' in change) {
      assert.equal(change.kind, 'create');
      const file = fileURLToPath(change.uri);
      if (!fs.existsSync(file)) fs.writeFileSync(file, '');
    } else apply(change.textDocument.uri, change.edits as TextEdit[]);
  }
  for (const [uri, edits] of Object.entries(edit.changes ?? {})) apply(uri, edits);
}

function nasmInFolder(file: string): void {
  const run = spawnSync('nasm', ['-f', 'elf64', '-o', 'out.o', path.basename(file)], { cwd: path.dirname(file), encoding: 'utf8' });
  if (run.error) throw new Error(`nasm is required by this test: ${run.error.message}`);
  assert.equal(run.status, 0, `${run.stderr}\n${fs.readFileSync(file, 'utf8')}`);
}

describe('fixes: the editor applies self-contained hypercall fixes', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach(removeTree));
  function guest(text: string, name = 'guest.asm'): string {
    const dir = tempTree({ [name]: text });
    dirs.push(dir);
    return path.join(dir, name);
  }

  it('creates the definitions file next to the document and includes it, once; the file assembles', () => {
    const file = guest(NASM_GUEST);
    const actions = actionsFor(file, NASM_GUEST, settingsWith({ abi: 'kvm' }), true);
    const hypercall = actions.find((a) => a.title === 'Replace PUSHFQ with a KVM hypercall (VIRTLINT_HC_PUSHF) (adds virtlint-hypercalls.inc)');
    assert.ok(hypercall, actions.map((a) => a.title).join('\n'));
    const changes = hypercall.edit?.documentChanges ?? [];
    assert.equal(changes.length, 3);
    assert.deepEqual(changes[0], { kind: 'create', uri: pathToFileURL(path.join(path.dirname(file), 'virtlint-hypercalls.inc')).toString(), options: { ignoreIfExists: true } });
    applyWorkspaceEdit(hypercall.edit!);
    assert.equal(fs.readFileSync(path.join(path.dirname(file), 'virtlint-hypercalls.inc'), 'utf8'), definitionsFile('nasm', 'kvm').text);
    const fixed = fs.readFileSync(file, 'utf8');
    assert.equal(fixed.split('%include "virtlint-hypercalls.inc"').length, 2, fixed);
    nasmInFolder(file);
    // The next hypercall fix finds the include and the file: it adds neither again.
    const next = actionsFor(file, fixed, settingsWith({ abi: 'kvm' }), true).find((a) => a.title.startsWith('Replace SGDT with a KVM hypercall'));
    assert.ok(next && next.title === 'Replace SGDT with a KVM hypercall (VIRTLINT_HC_SGDT)', next?.title);
    assert.equal(next.edit?.documentChanges, undefined);
    applyWorkspaceEdit(next.edit!);
    nasmInFolder(file);
    assert.deepEqual(analyzeText(fs.readFileSync(file, 'utf8'), { rules: ['all'] }).findings.map((f) => f.ruleId), []);
  });

  it('an existing definitions file is included, never rewritten', () => {
    const file = guest(NASM_GUEST);
    const defs = path.join(path.dirname(file), 'virtlint-hypercalls.inc');
    fs.writeFileSync(defs, definitionsFile('nasm', 'kvm').text + '; edited by the user\n');
    const hypercall = actionsFor(file, NASM_GUEST, settingsWith({ abi: 'kvm' }), true).find((a) => a.title.startsWith('Replace SGDT with a KVM hypercall'));
    assert.ok(hypercall?.edit?.changes, 'plain text edits, no file operation');
    applyWorkspaceEdit(hypercall.edit);
    assert.match(fs.readFileSync(defs, 'utf8'), /edited by the user/);
    nasmInFolder(file);
  });

  it('a client that cannot create files gets the numbers in the document, and the title says so', () => {
    const file = guest(NASM_GUEST);
    const hypercall = actionsFor(file, NASM_GUEST, settingsWith({ abi: 'xen' }), false).find((a) => a.title.startsWith('Replace SGDT with a Xen hypercall'));
    assert.equal(hypercall?.title, 'Replace SGDT with a Xen hypercall (VIRTLINT_HC_SGDT) (defines its numbers in the file)');
    assert.equal(hypercall.edit?.documentChanges, undefined);
    applyWorkspaceEdit(hypercall.edit!);
    assert.ok(!fs.existsSync(path.join(path.dirname(file), 'virtlint-hypercalls.inc')));
    const fixed = fs.readFileSync(file, 'utf8');
    assert.doesNotMatch(fixed, /virtlint-hypercalls\.inc/, 'the block comment does not point at a file that is not there');
    assert.match(fixed, /numbers defined in this file/);
    nasmInFolder(file);
  });

  it('virtlint.fix.hypercallNumbers "inline": a client that can create files still gets the numbers in the document, and nothing is created', () => {
    const file = guest(NASM_GUEST);
    const settings = settingsWith({ abi: 'kvm', hypercallNumbers: 'inline' });
    const hypercall = actionsFor(file, NASM_GUEST, settings, true).find((a) => a.title.startsWith('Replace SGDT with a KVM hypercall'));
    assert.equal(hypercall?.title, 'Replace SGDT with a KVM hypercall (VIRTLINT_HC_SGDT) (defines its numbers in the file)');
    assert.equal(hypercall.edit?.documentChanges, undefined, 'no file operation');
    applyWorkspaceEdit(hypercall.edit!);
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['guest.asm']);
    const fixed = fs.readFileSync(file, 'utf8');
    assert.match(fixed, /^%define VIRTLINT_HC_SGDT /m);
    assert.match(fixed, /numbers defined in this file/);
    nasmInFolder(file);
    const fixAll = actionsFor(file, NASM_GUEST, settingsWith({ abi: 'kvm', hypercallNumbers: 'inline', fixAllStrategy: 'hypercall' }), true, [FIX_ALL_KIND]);
    assert.equal(fixAll[0]?.edit?.documentChanges, undefined, 'fix-all creates nothing either');
  });

  it('fix-all fixes both statements of a GNU as line, with the file it includes, and then offers nothing', () => {
    const text = '.code64\n.text\nstart:\n    pushfq; popfq   # flags\n    sgdt (%rbx); sidt 8(%rsp)\n    ret\n';
    const file = guest(text, 'guest.s');
    for (const strategy of ['trap', 'hypercall'] as const) {
      fs.writeFileSync(file, text);
      const settings = settingsWith({ abi: 'kvm', fixAllStrategy: strategy });
      const fixAll = actionsFor(file, text, settings, true, [FIX_ALL_KIND]);
      assert.equal(fixAll.length, 1);
      applyWorkspaceEdit(fixAll[0]!.edit!);
      const fixed = fs.readFileSync(file, 'utf8');
      assert.deepEqual(analyzeText(fixed, { fileName: file, rules: ['all'] }).findings.map((f) => f.ruleId), [], fixed);
      const run = spawnSync('as', ['--64', '-o', 'out.o', 'guest.s'], { cwd: path.dirname(file), encoding: 'utf8' });
      assert.equal(run.status, 0, `${run.stderr}\n${fixed}`);
      assert.deepEqual(actionsFor(file, fixed, settings, true, [FIX_ALL_KIND]), [], 'a second fix-all has nothing to do');
    }
  });
});
