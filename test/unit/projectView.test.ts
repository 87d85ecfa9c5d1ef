// The merged view of a file read in several contexts: a finding seen in only some of them names
// them in its message, the first few by name and then how many more.
import * as assert from 'node:assert/strict';
import type { Finding, FindingContext } from '../../server/src/analysis/types';
import { CONTEXTS_NAMED, findingsInContext } from '../../server/src/lsp/projectView';

function includedFrom(root: string, bits: 16 | 32 | 64): FindingContext {
  return { root: `/w/${root}`, includes: [{ path: `/w/${root}`, line: 1 }], dialect: 'nasm', bits };
}

function finding(contexts: FindingContext[]): Finding {
  const range = { start: { line: 0, character: 0 }, end: { line: 0, character: 5 } };
  return { ruleId: 'pushf', severity: 'warning', message: 'PUSHF reads the real flags', range, mnemonicRange: range, contexts };
}

describe('merged view: the contexts a finding names', () => {
  const all = Array.from({ length: 40 }, (_, i) => includedFrom(`k${i}.asm`, i % 2 === 0 ? 32 : 64));

  it('names every context when there are few', () => {
    const [shown] = findingsInContext([finding(all.slice(0, 2))], all, undefined);
    assert.equal(shown!.message, 'PUSHF reads the real flags [only included from k0.asm:2, NASM 32-bit; included from k1.asm:2, NASM 64-bit]');
  });

  it(`names ${CONTEXTS_NAMED}, then says how many more, when a header is read in many`, () => {
    const seenIn = all.slice(0, 30);
    const [shown] = findingsInContext([finding(seenIn)], all, undefined);
    const named = shown!.message.match(/included from/g) ?? [];
    assert.equal(named.length, CONTEXTS_NAMED);
    assert.match(shown!.message, new RegExp(`; and ${30 - CONTEXTS_NAMED} more\\]$`));
    assert.ok(shown!.message.length < 200, shown!.message);
  });

  it('says nothing when the finding is seen in every context, and reads it in the chosen one', () => {
    assert.equal(findingsInContext([finding(all)], all, undefined)[0]!.message, 'PUSHF reads the real flags');
    assert.equal(findingsInContext([finding(all.slice(0, 30))], all, 35).length, 0);
    assert.equal(findingsInContext([finding(all.slice(0, 30))], all, 3)[0]!.message, 'PUSHF reads the real flags');
  });
});
