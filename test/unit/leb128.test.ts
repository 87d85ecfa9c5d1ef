// LEB128 against the encodings the DWARF 5 standard lists as examples (section 7.6, tables 7.7
// and 7.8), both readers, and a number that never ends.
import * as assert from 'node:assert/strict';
import { ScanInputError } from '../../server/src/binary/image';
import { readLeb128, readLeb128BigInt } from '../../server/src/binary/leb128';

const reader = (bytes: readonly number[]) => {
  let at = 0;
  return () => {
    if (at >= bytes.length) throw new Error('read past the end');
    return bytes[at++]!;
  };
};

const UNSIGNED: [number, number[]][] = [[2, [2]], [127, [127]], [128, [0x80, 1]], [129, [0x81, 1]], [130, [0x82, 1]], [12857, [0xb9, 100]]];
const SIGNED: [number, number[]][] = [[2, [2]], [-2, [0x7e]], [127, [0xff, 0]], [-127, [0x81, 0x7f]], [128, [0x80, 1]], [-128, [0x80, 0x7f]], [129, [0x81, 1]], [-129, [0xff, 0x7e]]];

describe('LEB128 (binary/leb128.ts)', () => {
  for (const [signed, table] of [[false, UNSIGNED], [true, SIGNED]] as const) {
    it(`${signed ? 'signed' : 'unsigned'}: the standard's examples, as a number and as a bigint`, () => {
      for (const [value, bytes] of table) {
        assert.equal(readLeb128(reader(bytes), signed, 'test'), value, `${bytes}`);
        assert.equal(readLeb128BigInt(reader(bytes), signed, 'test'), BigInt(value), `${bytes}`);
      }
    });
  }

  it('a 64-bit address is exact as a bigint', () => {
    const address = 0xffffffff81000000n;
    const bytes: number[] = [];
    for (let rest = address; ; ) {
      const group = Number(rest & 0x7fn);
      rest >>= 7n;
      bytes.push(rest === 0n ? group : group | 0x80);
      if (rest === 0n) break;
    }
    assert.equal(readLeb128BigInt(reader(bytes), false, 'test'), address);
  });

  it('eleven bytes are a corrupt section, named in the message', () => {
    const endless = reader(new Array<number>(11).fill(0x80));
    assert.throws(() => readLeb128(endless, false, '.debug_line'), (error: unknown) => error instanceof ScanInputError && /corrupt \.debug_line: LEB128/.test(error.message));
  });
});
