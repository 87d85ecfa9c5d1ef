// The language server places a hypercall fix's definitions file where the user asked:
// virtlint.fix.hypercallDefinitionsFolder (relative to the workspace folder), else the
// configuration's hypercallDefinitionsFolder; the quick fix creates it there, its include names
// it relative to the document, and the title says where. A folder outside the workspace is
// refused (logged) and the file goes next to the document.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CodeAction, CreateFile, TextDocumentEdit } from 'vscode-languageserver-protocol';
import { LspTestClient } from './client';

const GUEST = '; virtlint: dialect=nasm bits=64\n    sidt [rax]\n';
// extraCapabilities replaces the whole `workspace` object: it declares the configuration request too.
const FILE_OPERATIONS = { workspace: { configuration: true, workspaceEdit: { documentChanges: true, resourceOperations: ['create' as const] } } };

async function sidtHypercall(client: LspTestClient, file: string): Promise<CodeAction> {
  const uri = pathToFileURL(file).href;
  await client.open(uri, GUEST);
  await client.pull(uri);
  const actions = await client.request<CodeAction[]>('textDocument/codeAction', {
    textDocument: { uri },
    range: { start: { line: 1, character: 4 }, end: { line: 1, character: 4 } },
    context: { diagnostics: [] },
  });
  const action = actions.find((a) => a.title.startsWith('Replace SIDT with a KVM hypercall'));
  assert.ok(action, actions.map((a) => a.title).join('\n'));
  return action;
}

describe('lsp: the definitions file in the folder the settings name', function () {
  this.timeout(20000);
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'virtlint-defs-'));
    fs.mkdirSync(path.join(root, 'src'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  async function actionWith(settings: Record<string, unknown>): Promise<{ action: CodeAction; log: string[] }> {
    const client = await LspTestClient.start({ pull: true, configuration: true, settings, workspaceFolder: root, extraCapabilities: FILE_OPERATIONS });
    try {
      const action = await sidtHypercall(client, path.join(root, 'src', 'guest.asm'));
      return { action, log: client.logMessages };
    } finally {
      await client.stop();
    }
  }

  function placed(action: CodeAction): { created: string; include: string | undefined } {
    const changes = action.edit?.documentChanges ?? [];
    const create = changes[0] as CreateFile;
    const own = changes[2] as TextDocumentEdit;
    return { created: create.uri, include: own.edits.map((e) => ('newText' in e ? e.newText : '')).find((text) => text.startsWith('%include')) };
  }

  it('virtlint.fix.hypercallDefinitionsFolder: created there, included relative to the document', async () => {
    const { action } = await actionWith({ fix: { hypercallDefinitionsFolder: 'include/generated' } });
    assert.equal(action.title, 'Replace SIDT with a KVM hypercall (VIRTLINT_HC_SIDT) (adds ../include/generated/virtlint-hypercalls.inc)');
    const { created, include } = placed(action);
    assert.equal(created, pathToFileURL(path.join(root, 'include/generated/virtlint-hypercalls.inc')).href);
    assert.equal(include, '%include "../include/generated/virtlint-hypercalls.inc"\n');
  });

  it('the configuration\'s hypercallDefinitionsFolder when the setting is empty', async () => {
    fs.writeFileSync(path.join(root, 'virtlint.config.json'), '{"hypercallDefinitionsFolder": "asm-include"}');
    const { action } = await actionWith({});
    assert.equal(placed(action).created, pathToFileURL(path.join(root, 'asm-include/virtlint-hypercalls.inc')).href);
  });

  it('a folder outside the workspace is refused and logged: next to the document', async () => {
    const { action, log } = await actionWith({ fix: { hypercallDefinitionsFolder: '../elsewhere' } });
    assert.equal(action.title, 'Replace SIDT with a KVM hypercall (VIRTLINT_HC_SIDT) (adds virtlint-hypercalls.inc)');
    assert.equal(placed(action).created, pathToFileURL(path.join(root, 'src/virtlint-hypercalls.inc')).href);
    assert.ok(log.some((line) => /hypercallDefinitionsFolder: \.\.\/elsewhere is outside the workspace folder/.test(line)), log.join('\n'));
  });
});
