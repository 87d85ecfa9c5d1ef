// The fix fuzzer (test/fixes/fixFuzz.ts) on a few fixed seeds, so its checks run with every
// test run; `npm run fuzz` runs it on hundreds of files.
import * as assert from 'node:assert/strict';
import { checkFixes, FUZZ_DIALECTS, randomFile, SeededRandom } from './fixFuzz';

describe('fixes: fix fuzzer, fixed seeds', function () {
  this.timeout(180_000);
  for (const dialect of FUZZ_DIALECTS) {
    it(`${dialect}: 6 random files, both strategies`, () => {
      const random = new SeededRandom(0x5eed + FUZZ_DIALECTS.indexOf(dialect));
      const problems: string[] = [];
      let fixes = 0;
      for (let i = 0; i < 6; i++) {
        const file = randomFile(random, dialect);
        for (const [strategy, abi] of [['trap', 'kvm'], ['hypercall', random.pick(['kvm', 'xen', 'hyperv'] as const)]] as const) {
          const check = checkFixes(file, strategy, abi, i % 2 === 0);
          fixes += check.fixes;
          for (const problem of check.problems) problems.push(`file ${i} (${strategy}/${abi}): ${problem}\n${JSON.stringify(file.text)}`);
        }
      }
      assert.ok(fixes > 0, 'the files had nothing to fix');
      assert.deepEqual(problems, []);
    });
  }
});
