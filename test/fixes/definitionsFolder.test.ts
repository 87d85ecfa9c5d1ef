// The definitions file in a folder the user names (--hypercall-definitions-folder, the
// configuration's hypercallDefinitionsFolder, virtlint.fix.hypercallDefinitionsFolder): the CLI
// and the editor write it there, and the include line in the fixed file names it relative to
// that file, so each real assembler finds it when run from the fixed file's folder (nasm, GNU
// as, gcc -c on a .S file, fasm). MASM has no assembler here: its include line is checked as text.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CodeAction } from 'vscode-languageserver';
import { analyzeText, type Dialect } from '../../server/src/analysis';
import { applyEdits, definitionsFile, fixesForFinding, linesOfText } from '../../server/src/analysis/fixes';
import { definitionsFolderFor } from '../../server/src/host/definitionsFolder';
import { codeActionsFor } from '../../server/src/lsp/codeActions';
import { fileUriOf } from '../../server/src/lsp/conversions';
import { DEFAULT_SETTINGS } from '../../server/src/lsp/settings';
import { parseJsonReport, removeTree, runCli, tempTree } from '../cli/helpers';
import { buildObject } from './assembleObject';

type Assembled = Exclude<Dialect, 'masm'>;

const GUEST: Record<Assembled, { name: string; text: string }> = {
  nasm: { name: 'guest.asm', text: 'bits 64\nsection .text\nstart:\n    sgdt [rax]\n    pushfq\n    ret\n' },
  'gas-att': { name: 'guest.s', text: '.code64\n.text\nstart:\n    sgdt (%rax); pushfq\n    ret\n' },
  'gas-intel': { name: 'guest.s', text: '.intel_syntax noprefix\n.code64\n.text\nstart:\n    sgdt [rax]\n    pushfq\n    ret\n' },
  fasm: { name: 'guest.fasm', text: "format ELF64\nsection '.text' executable\nstart:\n    sgdt [rax]\n    pushfq\n    ret\n" },
};

/** Where the fixed file sits, the folder as given to the command (from the tree's root), and how the include names it. */
const LAYOUTS = [
  { where: 'a folder below the tree', file: 'src', folder: 'include', named: '../include' },
  { where: 'a sibling two levels up', file: 'arch/x86/boot', folder: 'shared/inc', named: '../../../shared/inc' },
  { where: 'a folder inside the fixed file\'s', file: 'src', folder: 'src/generated', named: 'generated' },
];

function vmcalls(code: Uint8Array): number {
  let count = 0;
  for (let i = 0; i + 2 < code.length; i++) if (code[i] === 0x0f && code[i + 1] === 0x01 && code[i + 2] === 0xc1) count++;
  return count;
}

describe('fixes: the definitions file in a folder the user names', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach(removeTree));
  function tree(files: Record<string, string>): string {
    const dir = tempTree(files);
    dirs.push(dir);
    return dir;
  }

  for (const dialect of Object.keys(GUEST) as Assembled[]) {
    for (const layout of LAYOUTS) {
      it(`${dialect}, ${layout.where}: --hypercall-definitions-folder writes it there and the file assembles in its own folder`, async () => {
        const { name, text } = GUEST[dialect];
        const relativeFile = `${layout.file}/${name}`;
        const dir = tree({ [relativeFile]: text });
        const file = path.join(dir, relativeFile);
        const expected = definitionsFile(dialect, 'kvm', layout.named);
        const args = ['-f', 'json', '--fix', 'hypercall', '--abi', 'kvm', '--hypercall-definitions-folder', layout.folder, relativeFile];
        const run = await runCli(args, { cwd: dir });
        const fixed = fs.readFileSync(file, 'utf8');
        const target = path.join(dir, layout.folder, path.basename(expected.name));
        assert.equal(expected.name, `${layout.named}/${path.basename(expected.name)}`);
        assert.equal(fs.readFileSync(target, 'utf8'), expected.text, 'the definitions file is in the folder');
        assert.ok(!fs.existsSync(path.join(path.dirname(file), path.basename(expected.name))) || layout.named === '', 'nothing next to the fixed file');
        assert.ok(run.stderr.includes(`the fixes include to ${path.join(dir, layout.folder, path.basename(expected.name))}`) || run.stderr.includes(`to ${path.join(layout.folder, path.basename(expected.name))}`), run.stderr);
        assert.equal(fixed.split(`"${expected.name}"`).length + fixed.split(`'${expected.name}'`).length - 2, 1, `the include names ${expected.name} once:\n${fixed}`);
        assert.deepEqual(parseJsonReport(run.stdout)[0]!.messages.map((m) => `${m.line}: ${m.ruleId}`), [], 're-lint after the fix');
        const built = buildObject(dialect, 64, file);
        assert.ok(built.ok, `${built.message}\n${fixed}`);
        assert.equal(vmcalls(built.code), 2, 'SGDT and PUSHFQ became hypercalls');
        await runCli(args, { cwd: dir });
        assert.equal(fs.readFileSync(file, 'utf8'), fixed, 'the second --fix run changed the file');
      });
    }
  }

  it('a .S file: gcc -c in the fixed file\'s folder finds the definitions through the include', async () => {
    const dir = tree({ 'virtlint.config.json': '{"hypercallDefinitionsFolder": "asm/include"}', 'asm/boot/entry.S': '#define GUEST_ENTRY entry\n.code64\n.text\nGUEST_ENTRY:\n    pushfq\n    sgdt (%rax)\n    ret\n' });
    const file = path.join(dir, 'asm/boot/entry.S');
    const run = await runCli(['--fix', 'hypercall', '--abi', 'kvm', 'asm/boot/entry.S'], { cwd: dir });
    assert.ok(fs.existsSync(path.join(dir, 'asm/include/virtlint-hypercalls-gas.inc')), `the configuration's folder is used:\n${run.stderr}`);
    const fixed = fs.readFileSync(file, 'utf8');
    assert.match(fixed, /^\.include "\.\.\/include\/virtlint-hypercalls-gas\.inc"$/m);
    const gcc = spawnSync('gcc', ['-c', '-o', 'entry.o', 'entry.S'], { cwd: path.dirname(file), encoding: 'utf8' });
    if (gcc.error) throw new Error(`gcc is required by this test: ${gcc.error.message}`);
    assert.equal(gcc.status, 0, `${gcc.stderr}\n${fixed}`);
    const flag = await runCli(['--fix', 'hypercall', '--abi', 'kvm', '--hypercall-definitions-folder', 'other', 'asm/boot/entry.S'], { cwd: dir });
    assert.equal(flag.code, 0, flag.stderr);
    assert.ok(!fs.existsSync(path.join(dir, 'other')), 'a file already fixed needs no definitions: nothing is written');
  });

  it('the command line wins over the configuration, and refuses a folder an include cannot name', async () => {
    const dir = tree({ 'virtlint.config.json': '{"hypercallDefinitionsFolder": "from-config"}', 'guest.asm': GUEST.nasm.text });
    await runCli(['--fix', 'hypercall', '--hypercall-definitions-folder', 'from-flag', 'guest.asm'], { cwd: dir });
    assert.ok(fs.existsSync(path.join(dir, 'from-flag/virtlint-hypercalls.inc')));
    assert.ok(!fs.existsSync(path.join(dir, 'from-config')));
    assert.match(fs.readFileSync(path.join(dir, 'guest.asm'), 'utf8'), /^%include "from-flag\/virtlint-hypercalls\.inc"$/m);
    const spaced = await runCli(['--fix', 'hypercall', '--hypercall-definitions-folder', 'my include', 'guest.asm'], { cwd: dir });
    assert.equal(spaced.code, 2, spaced.stderr);
    assert.match(spaced.stderr, /--hypercall-definitions-folder: it may hold only/);
  });

  it('--fix-dry-run says where it would write and writes nothing', async () => {
    const dir = tree({ 'src/guest.asm': GUEST.nasm.text });
    const run = await runCli(['--fix-dry-run', '--fix', 'hypercall', '--hypercall-definitions-folder', 'include', 'src/guest.asm'], { cwd: dir });
    assert.match(run.stderr, /would write the hypercall numbers \(kvm\) the fixes include to .*include\/virtlint-hypercalls\.inc/);
    assert.match(run.stdout, /^\+%include "\.\.\/include\/virtlint-hypercalls\.inc"$/m);
    assert.ok(!fs.existsSync(path.join(dir, 'include')));
  });

  it('MASM: the include names the folder, relative to the fixed file (text only: no MASM here)', () => {
    const text = '.model flat\n.code\nstart:\n    sgdt fword ptr [eax]\n    ret\nend\n';
    const result = analyzeText(text, { dialect: 'masm', bits: 32 });
    const fix = fixesForFinding(text, result, result.findings[0]!, { abi: 'kvm', definitionsFolder: '../include' }).find((f) => f.strategy === 'hypercall');
    assert.equal(fix?.title, 'Replace SGDT with a KVM hypercall (VIRTLINT_HC_SGDT) (adds ../include/virtlint-hypercalls-masm.inc)');
    assert.equal(fix.definitions?.include.newText, 'include ../include/virtlint-hypercalls-masm.inc\n');
    assert.match(fix.edit.newText, /numbers in \.\.\/include\/virtlint-hypercalls-masm\.inc/);
  });

  it('the editor: createFile in the folder, the include relative to the document, the title says where', () => {
    const dir = tree({ 'src/guest.asm': GUEST.nasm.text });
    const file = path.join(dir, 'src/guest.asm');
    const folder = definitionsFolderFor(file, path.join(dir, 'include'));
    assert.deepEqual(folder, { ok: true, folder: '../include' });
    const text = GUEST.nasm.text;
    const result = analyzeText(text, { fileName: file, rules: ['all'] });
    const lines = linesOfText(text);
    const actions: CodeAction[] = codeActionsFor({
      uri: pathToFileURL(file).toString(),
      source: lines,
      result,
      findings: result.findings,
      settings: DEFAULT_SETTINGS,
      range: { start: { line: 3, character: 0 }, end: { line: 3, character: 0 } },
      contextDiagnostics: [],
      only: undefined,
      createFiles: true,
      definitionsFolder: folder.ok ? folder.folder : undefined,
      uriOf: fileUriOf,
    });
    const hypercall = actions.find((a) => a.title.startsWith('Replace SGDT with a KVM hypercall'));
    assert.equal(hypercall?.title, 'Replace SGDT with a KVM hypercall (VIRTLINT_HC_SGDT) (adds ../include/virtlint-hypercalls.inc)');
    const changes = hypercall.edit?.documentChanges ?? [];
    const target = path.join(dir, 'include/virtlint-hypercalls.inc');
    assert.deepEqual(changes[0], { kind: 'create', uri: pathToFileURL(target).toString(), options: { ignoreIfExists: true } });
    // Applied as VS Code applies it: the create makes the missing folder too.
    for (const change of changes) {
      if ('kind' in change) {
        assert.equal(change.kind, 'create');
        if (change.kind !== 'create') continue;
        fs.mkdirSync(path.dirname(fileURLToPath(change.uri)), { recursive: true });
        fs.writeFileSync(fileURLToPath(change.uri), '');
      } else if ('textDocument' in change) {
        const at = fileURLToPath(change.textDocument.uri);
        fs.writeFileSync(at, applyEdits(fs.readFileSync(at, 'utf8'), change.edits.map((e) => ({ range: e.range, newText: 'newText' in e ? e.newText : '' }))));
      }
    }
    assert.equal(fs.readFileSync(target, 'utf8'), definitionsFile('nasm', 'kvm').text);
    const built = buildObject('nasm', 64, file);
    assert.ok(built.ok, `${built.message}\n${fs.readFileSync(file, 'utf8')}`);
    assert.equal(vmcalls(built.code), 1);
  });

  it('definitionsFolderFor: relative and /-separated; a folder an include cannot name is refused', () => {
    assert.deepEqual(definitionsFolderFor('/w/src/a.asm', '/w/src'), { ok: true, folder: '' });
    assert.deepEqual(definitionsFolderFor('/w/src/a.asm', '/w/src/inc/x'), { ok: true, folder: 'inc/x' });
    assert.deepEqual(definitionsFolderFor('/w/a/b/c.asm', '/w/inc'), { ok: true, folder: '../../inc' });
    const spaced = definitionsFolderFor('/w/src/a.asm', '/w/my inc');
    assert.ok(!spaced.ok && /may hold only/.test(spaced.problem));
  });
});
