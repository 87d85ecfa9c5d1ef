// PUSHF/POPF hypercall fixes pass the slot's size, and reserve or drop that many bytes: the size
// is the operand size iced-x86 gives the instruction the assembler picks for the spelling
// (pushfw/pushfd/pushfq, GNU as pushfl), in every bitness where the spelling exists. The proof
// bench found 16-bit PUSHFD given PUSHF's 2-byte slot.
import * as assert from 'node:assert/strict';
import { analyzeText, codeFacts, iced } from '../../server/src/analysis';
import { fixesForFinding } from '../../server/src/analysis/fixes';

const CASES: { file: string; text: string }[] = [
  { file: 'a.asm', text: 'bits 16\npushfd\n' },
  { file: 'a.asm', text: 'bits 16\npopfd\n' },
  { file: 'a.asm', text: 'bits 16\npushf\n' },
  { file: 'a.asm', text: 'bits 32\npushfw\n' },
  { file: 'a.asm', text: 'bits 32\npopfw\n' },
  { file: 'a.asm', text: 'bits 32\npushfd\n' },
  { file: 'a.asm', text: 'bits 64\npushfw\n' },
  { file: 'a.asm', text: 'bits 64\npushfq\n' },
  { file: 'a.s', text: '.code16\npushfl\n' },
  { file: 'a.s', text: '.code16\npopfl\n' },
  { file: 'a.s', text: '.code32\npushfw\n' },
  { file: 'a.s', text: '.code64\npushfq\n' },
];

/** PUSHF: the size argument the hypervisor gets (the slot it writes). */
function pushedBytes(fixText: string): number {
  const size = /mov\s+ecx,\s*(\d+)|\$(\d+),\s*%ecx|mov\s+rsi,\s*(\d+)|\$(\d+),\s*%rsi/.exec(fixText);
  if (!size) throw new Error(`no size argument in:\n${fixText}`);
  return Number(size.slice(1).find((group) => group !== undefined));
}

/** POPF: the bytes the last line takes off the stack (`lea sp, [esp+N]`, `lea N(%esp), %esp`). */
function droppedBytes(fixText: string): number {
  const lines = fixText.trimEnd().split('\n');
  const drop = /lea\s+[er]?sp,\s*\[[er]?sp\+(\d+)\]|lea\s+(\d+)\(%[er]?sp\),\s*%[er]?sp/.exec(lines[lines.length - 1]!);
  if (!drop) throw new Error(`the sequence does not end by dropping the image:\n${fixText}`);
  return Number(drop[1] ?? drop[2]);
}

describe('fixes: PUSHF/POPF slot width follows the spelling', () => {
  for (const { file, text } of CASES) {
    it(`${file}: ${text.replace(/\n/g, ' ').trim()}`, () => {
      const result = analyzeText(text, { fileName: file });
      const finding = result.findings.find((f) => f.ruleId === 'pushf' || f.ruleId === 'popf');
      assert.ok(finding?.code !== undefined, `a finding with its iced Code: ${JSON.stringify(result.findings)}`);
      const expected = codeFacts(finding.code).operandSize / 8;
      assert.ok(expected === 2 || expected === 4 || expected === 8, `${iced.Code[finding.code]}: operand size ${expected}`);
      const fix = fixesForFinding(text, result, finding, { abi: 'kvm' }).find((f) => f.kind === 'hypercall');
      assert.ok(fix, 'a hypercall fix');
      const bytes = finding.ruleId === 'pushf' ? pushedBytes(fix.edit.newText) : droppedBytes(fix.edit.newText);
      assert.equal(bytes, expected, fix.edit.newText);
    });
  }
});
