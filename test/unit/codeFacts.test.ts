// The generated per-Code facts are what the installed iced-x86's OpCodeInfo answers, for every
// Code, so the table cannot go stale; and a lint that shows no hover never asks OpCodeInfo.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { GENERATED_PATH, renderRows, rowsFromIced } from '../../scripts/gen-code-facts';
import { codeCount, codeFacts, factsFromOpCodeInfo, iced } from '../../server/src/analysis/resolve/iced';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

describe('generated Code facts table', () => {
  it('the file is what the generator writes from the installed iced (regenerate with `node out/scripts/gen-code-facts.js`)', () => {
    assert.equal(fs.readFileSync(GENERATED_PATH, 'utf8'), renderRows(rowsFromIced()));
  });

  it('every Code: the facts from the table equal the facts read from OpCodeInfo, the strings included', () => {
    assert.ok(codeCount() > 4000);
    for (let code = 0; code < codeCount(); code++) assert.deepEqual({ ...codeFacts(code) }, factsFromOpCodeInfo(code), iced.Code[code]);
  });

  it('linting without a hover does not ask OpCodeInfo (in a fresh process: caches are per process)', () => {
    const analysis = require.resolve('../../server/src/analysis');
    const probe = `
      const iced = require('iced-x86');
      const original = iced.CodeExt.opCode;
      let asked = 0;
      iced.CodeExt.opCode = (code) => { asked++; return original(code); };
      const { analyzeText } = require(${JSON.stringify(analysis)});
      const result = analyzeText('bits 64\\nmov eax, 1\\nsgdt [rax]\\npush fs\\ncall far [rax]\\nretf\\nint 0x80\\npushf\\n', { fileName: 'probe.asm' });
      process.stdout.write(JSON.stringify({ asked, rules: result.findings.map((f) => f.ruleId) }));`;
    const run = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', cwd: path.dirname(analysis) });
    assert.equal(run.status, 0, run.stderr);
    const { asked, rules } = JSON.parse(run.stdout) as { asked: number; rules: string[] };
    assert.deepEqual([...new Set(rules)].sort(), ['far-call', 'far-ret', 'int', 'push-sreg', 'pushf', 'sgdt']);
    assert.equal(asked, 0);
  });
});
