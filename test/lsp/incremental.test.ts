// Incremental sync must give the same diagnostics as analysing the final text from scratch.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver-protocol';
import { applyChanges, codesAndLines, fileUri, LspTestClient, positionAt } from './client';
import { FASM_LINES, FASM_SOURCE, GAS_INTEL_LINES, GAS_INTEL_SOURCE, GAS_LINES, GAS_SOURCE, MASM_LINES, MASM_SOURCE, NASM_LINES, NASM_SOURCE } from './fixtures';

interface EditPlan {
  /** Where the edit starts and ends, as fractions of the current text length. */
  start: number;
  length: number;
  /** Lines to insert (joined with newlines), possibly cut mid-line. */
  insert: string[];
  cut: number;
}

function changeFor(text: string, plan: EditPlan): TextDocumentContentChangeEvent {
  const startOffset = Math.floor(plan.start * text.length);
  const endOffset = Math.min(text.length, startOffset + Math.floor(plan.length * 40));
  const inserted = plan.insert.join('\n');
  const newText = plan.cut > 0 ? inserted.slice(0, Math.max(0, inserted.length - plan.cut)) : inserted + (plan.insert.length > 0 ? '\n' : '');
  return { range: { start: positionAt(text, startOffset), end: positionAt(text, endOffset) }, text: newText };
}

function planArbitrary(lines: readonly string[]): fc.Arbitrary<EditPlan> {
  return fc.record({
    start: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
    length: fc.double({ min: 0, max: 1, noNaN: true }),
    insert: fc.array(fc.constantFrom(...lines), { maxLength: 3 }),
    cut: fc.integer({ min: 0, max: 6 }),
  });
}

describe('lsp: incremental results equal from-scratch results', function () {
  this.timeout(120000);
  let client: LspTestClient;
  before(async () => (client = await LspTestClient.start({ pull: true })));
  after(async () => void (await client.stop()));

  let counter = 0;
  const crlf = (text: string) => text.replace(/\n/g, '\r\n');
  for (const [name, source, lines, extension] of [
    ['NASM', NASM_SOURCE, NASM_LINES, 'asm'],
    ['NASM with CRLF line ends', crlf(NASM_SOURCE), NASM_LINES.map((l) => `${l}\r`), 'asm'],
    ['GNU as', GAS_SOURCE, GAS_LINES, 's'],
    ['GNU as (Intel syntax)', GAS_INTEL_SOURCE, GAS_INTEL_LINES, 's'],
    ['MASM', MASM_SOURCE, MASM_LINES, 'asm'],
    ['FASM', FASM_SOURCE, FASM_LINES, 'asm'],
  ] as const) {
    it(`${name}: random edits through didChange, then compare with a fresh open of the final text`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(planArbitrary(lines), { minLength: 1, maxLength: 25 }), fc.boolean(), async (plans, batch) => {
          const id = counter++;
          const uri = fileUri(`incremental-${id}.${extension}`);
          let text = source;
          await client.open(uri, text);
          await client.pull(uri); // analyse once, so later edits take the incremental path
          const pendingBatch: TextDocumentContentChangeEvent[] = [];
          for (const plan of plans) {
            const change = changeFor(text, plan);
            text = applyChanges(text, [change]);
            if (batch) pendingBatch.push(change);
            else {
              await client.change(uri, [change]);
              if (plan.cut % 3 === 0) await client.pull(uri);
            }
          }
          if (batch) await client.change(uri, pendingBatch);
          const incremental = await client.pull(uri);
          const freshUri = fileUri(`fresh-${id}.${extension}`);
          await client.open(freshUri, text);
          const fresh = await client.pull(freshUri);
          await client.close(uri);
          await client.close(freshUri);
          assert.deepEqual(incremental.items, fresh.items, `final text:\n${text}`);
          const outOfStep = client.logMessages.filter((m) => m.includes('incremental analysis of'));
          assert.deepEqual(outOfStep, [], 'the incremental path stayed in step (no silent full re-analysis)');
          return codesAndLines(fresh.items ?? []).length >= 0;
        }),
        { numRuns: 60, seed: 20261123 + name.length },
      );
    });
  }
});
