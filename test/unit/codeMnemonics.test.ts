// The generated Code → Mnemonic table is what the installed iced-x86 answers, so it cannot go stale.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { GENERATED_PATH, mnemonicsFromIced, renderTable } from '../../scripts/gen-code-mnemonics';
import { CODE_MNEMONICS } from '../../server/src/analysis/resolve/codeMnemonics.generated';
import { codeFacts, codesByMnemonic } from '../../server/src/analysis/resolve/iced';

describe('generated Code → Mnemonic table', () => {
  it('equals iced-x86 OpCodeInfo for every Code (regenerate with `node out/scripts/gen-code-mnemonics.js`)', () => {
    const fromIced = mnemonicsFromIced();
    assert.ok(fromIced.length > 4000);
    assert.deepEqual([...CODE_MNEMONICS], fromIced);
    assert.equal(fs.readFileSync(GENERATED_PATH, 'utf8'), renderTable(fromIced));
  });

  it('codesByMnemonic groups every code under the mnemonic its OpCodeInfo names', () => {
    let checked = 0;
    for (const [name, codes] of codesByMnemonic()) {
      for (const code of codes) {
        assert.equal(codeFacts(code).mnemonicName.toLowerCase(), name);
        checked++;
      }
    }
    assert.ok(checked > 4000, `checked ${checked} codes`);
  });
});
