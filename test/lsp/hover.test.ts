// The hover on a flagged instruction lists exactly the quick fixes the code-action menu offers
// for that line (same server, same settings), leads with the finding's message, and links to
// the rule's page.
import * as assert from 'node:assert/strict';
import type { CodeAction, Diagnostic, Hover } from 'vscode-languageserver-protocol';
import { fileUri, LspTestClient } from './client';

const NASM_64 = ['; virtlint: dialect=nasm bits=64', '    sidt [rax]', '    popfq', '    mov ax, ss'].join('\n');
const BOOT_16 = ['; virtlint: dialect=nasm bits=16', 'org 0x7c00', '    smsw ax', '    popf', '    sgdt [bx]'].join('\n');

/** The fix titles the menu offers for the line: everything but the disable and documentation actions. */
function menuFixes(actions: readonly CodeAction[]): string[] {
  return actions.map((action) => action.title).filter((title) => !/^Disable |^Show documentation /.test(title));
}

function hoverValue(hover: Hover | null): string {
  assert.ok(hover, 'no hover');
  return (hover.contents as { value: string }).value;
}

async function check(client: LspTestClient, name: string, text: string, lines: readonly number[]): Promise<string[]> {
  const uri = fileUri(name);
  await client.open(uri, text);
  const report = await client.pull(uri);
  const diagnostics = (report.items ?? []) as Diagnostic[];
  const cards: string[] = [];
  for (const line of lines) {
    const onLine = diagnostics.filter((diagnostic) => diagnostic.range.start.line === line);
    assert.equal(onLine.length, 1, `one finding on line ${line}`);
    const actions = await client.request<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri },
      range: { start: { line, character: 0 }, end: { line, character: 0 } },
      context: { diagnostics: onLine, only: ['quickfix'] },
    });
    const message = typeof onLine[0]!.message === 'string' ? onLine[0]!.message : onLine[0]!.message.value;
    const card = hoverValue(await client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: { line, character: 6 } }));
    assert.ok(card.startsWith(`**${message}.**`), `the card leads with the message: ${card.slice(0, 120)}`);
    assert.equal(card.split(message).length, 2, 'the message appears once');
    const doLine = card.split('\n').find((row) => row.startsWith('**Do:**')) ?? '';
    const offered = menuFixes(actions);
    if (offered.length === 0) assert.match(doLine, /no quick fix on this line/);
    // The card names each fix without its title's remarks in parentheses; the previews below give the titles whole.
    else assert.ok(doLine.startsWith(`**Do:** ${offered.map((title) => title.replace(/\s*\([^()]*\)/g, '').trim()).join(' · ')}.`), `hover: ${doLine}\nmenu: ${offered.join(' | ')}`);
    assert.match(card, new RegExp(`\\]\\(file://[^)]*/docs/rules/${String(onLine[0]!.code)}\\.md\\)$`, 'm'));
    // After the card, one short diff per fix the menu offers, in the menu's order, from the line as written.
    const previews = [...card.matchAll(/^_(.+)_\n\n```diff\n([\s\S]*?)\n```$/gm)];
    assert.deepEqual(previews.map((preview) => preview[1]), offered, 'a preview per offered fix');
    const written = text.split('\n')[line]!;
    for (const preview of previews) assert.ok(preview[2]!.split('\n').includes(`-${written}`), `the preview replaces the line as written:\n${preview[2]}`);
    cards.push(card);
  }
  return cards;
}

describe('lsp: hover lists the menu\'s fixes', function () {
  this.timeout(30000);

  it('default settings (KVM): 64-bit code', async () => {
    const client = await LspTestClient.start({ pull: true });
    try {
      const cards = await check(client, 'hover-menu-64.asm', NASM_64, [1, 2, 3]);
      assert.ok(cards.some((card) => /hypercall/i.test(card)), 'the menu offers hypercalls in 64-bit code');
    } finally {
      await client.stop();
    }
  });

  it('a client without file operations: the hover says the numbers go into the file, as the menu does', async () => {
    const client = await LspTestClient.start({ pull: true });
    try {
      const cards = await check(client, 'hover-menu-inline.asm', NASM_64, [1]);
      assert.match(cards[0]!, /hypercall \(VIRTLINT_HC_SIDT\) \(defines its numbers in the file\)/);
      assert.doesNotMatch(cards[0]!, /adds virtlint-hypercalls\.inc/);
    } finally {
      await client.stop();
    }
  });

  it('a client that creates files: the hover says the fix adds the definitions file, as the menu does', async () => {
    const fileOperations = { workspace: { workspaceEdit: { documentChanges: true, resourceOperations: ['create' as const] } } };
    const client = await LspTestClient.start({ pull: true, extraCapabilities: fileOperations });
    try {
      const cards = await check(client, 'hover-menu-create.asm', NASM_64, [1]);
      assert.match(cards[0]!, /hypercall \(VIRTLINT_HC_SIDT\) \(adds virtlint-hypercalls\.inc\)/);
    } finally {
      await client.stop();
    }
  });

  it('the Xen ABI from the settings: the hover follows the menu', async () => {
    const client = await LspTestClient.start({ pull: true, configuration: true, settings: { fix: { abi: 'xen' } } });
    try {
      const cards = await check(client, 'hover-menu-xen.asm', NASM_64, [1, 2]);
      assert.ok(cards.some((card) => /Xen/.test(card)), 'a Xen fix is listed');
    } finally {
      await client.stop();
    }
  });

  it('a boot sector: real-mode answers, and the 16-bit KVM hypercalls the menu offers', async () => {
    const client = await LspTestClient.start({ pull: true });
    try {
      const cards = await check(client, 'hover-menu-boot.asm', BOOT_16, [2, 3, 4]);
      for (const card of cards) assert.match(card, /real mode/);
      assert.match(cards[2]!, /Replace SGDT with a KVM hypercall/);
    } finally {
      await client.stop();
    }
  });
});
