// FS/GS-relative destinations get a hypercall fix: the hypervisor fills a stack buffer (the
// segment base is not its to add) and the guest copies the buffer to the operand through its
// own segment override. Checked like the matrix: the fixture assembled before and after by the
// real assembler and decoded with iced-x86 (checkFix), then the copy itself: stores with the
// segment's prefix, to the user's operand at the offsets the pseudo-descriptor or selector needs,
// moved by what the sequence has pushed when the operand is stack-relative.
import * as assert from 'node:assert/strict';
import type { Bits, RuleId } from '../../server/src/analysis';
import { fixesForFinding, type FixOptions } from '../../server/src/analysis/fixes';
import { ASSEMBLED_DIALECTS, buildFixture, checkFix, originalDecoded, type TestDialect } from './fixture';

type Width = Exclude<Bits, 16>;

interface Form {
  rule: RuleId;
  /** Bytes the instruction stores. */
  bytes: (bits: Width) => number;
  /** The instruction in each dialect, for a segment and a base register. */
  text: (dialect: TestDialect, sreg: 'fs' | 'gs', base: string) => string;
}

const intel = (mnemonic: string, size: string) => (dialect: TestDialect, sreg: string, base: string) =>
  dialect === 'gas-att' ? `${mnemonic} %${sreg}:8(%${base})` : dialect === 'nasm' || dialect === 'fasm' ? `${mnemonic} ${size}[${sreg}:${base}+8]` : `${mnemonic} ${size ? `${size.trim()} ptr ` : ''}${sreg}:[${base}+8]`;

const FORMS: Form[] = [
  { rule: 'sgdt', bytes: (bits) => (bits === 64 ? 10 : 6), text: intel('sgdt', '') },
  { rule: 'sidt', bytes: (bits) => (bits === 64 ? 10 : 6), text: intel('sidt', '') },
  { rule: 'sldt', bytes: () => 2, text: intel('sldt', 'word ') },
  { rule: 'str', bytes: () => 2, text: intel('str', 'word ') },
  { rule: 'smsw', bytes: () => 2, text: intel('smsw', 'word ') },
];

const SEGMENT_PREFIX = { fs: 0x64, gs: 0x65 } as const;
const ABIS: FixOptions['abi'][] = ['kvm', 'xen', 'hyperv'];

describe('fixes: FS/GS-relative destinations through a buffer', function () {
  this.timeout(120_000);
  for (const dialect of ASSEMBLED_DIALECTS) {
    for (const bits of [32, 64] as const) {
      it(`${dialect} ${bits}-bit: every form, KVM, Xen and Hyper-V`, () => {
        let checked = 0;
        for (const form of FORMS) {
          for (const [sreg, base] of [['fs', bits === 64 ? 'rbx' : 'ebx'], ['gs', bits === 64 ? 'rsp' : 'esp']] as const) {
            for (const abi of ABIS) {
              const instruction = form.text(dialect, sreg, base);
              const fixture = buildFixture({ dialect, bits, ruleId: form.rule, instruction, abi });
              const fix = fixesForFinding(fixture.text, fixture.result, fixture.finding, { abi }).find((f) => f.kind === 'hypercall');
              assert.ok(fix, `${dialect} ${bits}-bit ${abi}: no hypercall fix for ${instruction}`);
              const result = checkFix(fixture, fix);
              const original = originalDecoded(fixture).memory!;
              // The copy: stores through the segment, to the user's base, covering exactly the bytes stored.
              let depth = 0;
              const stores: { at: bigint; size: number }[] = [];
              for (const line of result.region) {
                for (const d of line.decoded) {
                  const prefixed = d.bytes.slice(0, 3).includes(SEGMENT_PREFIX[sreg]) && d.memory?.base === original.base && /^Mov_rm(16|32|64)_r(16|32|64)$/.test(d.codeName);
                  if (prefixed) {
                    const isStack = base === 'rsp' || base === 'esp';
                    const offset = d.memory!.displacement - original.displacement - (isStack ? BigInt(depth) : 0n);
                    stores.push({ at: offset, size: Number(/_r(16|32|64)$/.exec(d.codeName)![1]) / 8 });
                  }
                  depth -= d.stackDelta;
                }
              }
              let covered = 0n;
              for (const store of stores) {
                assert.equal(store.at, covered, `${instruction} (${abi}): a store at +${store.at}, expected +${covered}\n${result.after}`);
                covered += BigInt(store.size);
              }
              assert.equal(Number(covered), form.bytes(bits), `${instruction} (${abi}): the copy stores ${covered} bytes\n${result.after}`);
              assert.ok(result.allCodes.some((name) => /^(Vmcall|Call_rel32_(32|64)|Call_rm(32|64))$/.test(name)), `${instruction} (${abi}): no hypercall`);
              assert.equal(result.netStack, 0, `${instruction} (${abi}): the stack moved by ${result.netStack}`);
              checked++;
            }
          }
        }
        assert.equal(checked, FORMS.length * 2 * ABIS.length);
      });
    }
  }
});
