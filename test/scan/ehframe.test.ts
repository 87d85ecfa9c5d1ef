// .eh_frame parsing: every pointer encoding an FDE's pc-begin may use, laid out byte by byte here
// (the values are chosen by the test, so the expected ranges are known without running anything).
import { strict as assert } from 'node:assert';
import { parseEhFrame } from '../../server/src/binary/ehframe';

const SECTION_ADDRESS = 0x400000n;

function uleb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

function le(value: bigint, size: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < size; i++) out.push(Number((BigInt.asUintN(size * 8, value) >> BigInt(8 * i)) & 0xffn));
  return out;
}

/** A CIE with augmentation "zPLR" (personality, LSDA and FDE encodings) or "zR". */
function cie(encoding: number, withPersonality: boolean): number[] {
  const augmentation = withPersonality ? 'zPLR' : 'zR';
  const data = withPersonality ? [0x00, ...le(0x1234n, 8), 0x1b, encoding] : [encoding];
  const body = [...le(0n, 4), 1, ...Buffer.from(augmentation + '\0', 'latin1'), ...uleb(1), 0x78, 16, ...uleb(data.length), ...data];
  while ((body.length + 4) % 8 !== 0) body.push(0); // DW_CFA_nop padding
  return [...le(BigInt(body.length), 4), ...body];
}

/** Encodes `value` as `encoding` would store it at section offset `at` (pcrel subtracts the field's address). */
function encode(encoding: number, value: bigint, at: number): number[] {
  const stored = (encoding & 0x70) === 0x10 ? value - (SECTION_ADDRESS + BigInt(at)) : value;
  switch (encoding & 0x0f) {
    case 0x00:
    case 0x04:
    case 0x0c:
      return le(stored, 8);
    case 0x03:
    case 0x0b:
      return le(stored, 4);
    case 0x01:
      return uleb(Number(stored));
    default:
      throw new Error(`test does not encode 0x${encoding.toString(16)}`);
  }
}

function fde(sectionSoFar: number, ciePosition: number, encoding: number, begin: bigint, size: number, withAugmentation: boolean): number[] {
  const lengthField = sectionSoFar;
  const idField = lengthField + 4;
  const pcBeginAt = idField + 4;
  const pcBegin = encode(encoding, begin, pcBeginAt);
  const range = encode(encoding & 0x0f, BigInt(size), 0);
  const body = [...le(BigInt(idField - ciePosition), 4), ...pcBegin, ...range, ...(withAugmentation ? uleb(0) : [])];
  while ((body.length + 4) % 8 !== 0) body.push(0);
  return [...le(BigInt(body.length), 4), ...body];
}

describe('scan: .eh_frame FDE pointer encodings (issue 14)', () => {
  const cases: [string, number][] = [
    ['absptr', 0x00],
    ['udata4', 0x03],
    ['udata8', 0x04],
    ['uleb128', 0x01],
    ['pcrel|sdata4 (what GCC writes)', 0x1b],
    ['pcrel|sdata8', 0x1c],
  ];
  for (const [name, encoding] of cases) {
    for (const withPersonality of [false, true]) {
      it(`${name}${withPersonality ? ', after a CIE with personality and LSDA' : ''}`, () => {
        const bytes: number[] = [];
        const functions: [bigint, number][] = [
          [0x401000n, 0x40],
          [0x401040n, 0x123],
          [0x3ff000n, 8],
        ];
        bytes.push(...cie(encoding, withPersonality));
        for (const [begin, size] of functions) bytes.push(...fde(bytes.length, 0, encoding, begin, size, true));
        bytes.push(0, 0, 0, 0);
        const notes: string[] = [];
        const ranges = parseEhFrame(new Uint8Array(bytes), 0, bytes.length, SECTION_ADDRESS, 8, notes);
        assert.deepEqual(notes, []);
        assert.deepEqual(
          ranges.map((r) => [r.address, r.size]),
          functions,
        );
      });
    }
  }

  it('a 64-bit DWARF length (0xffffffff escape) and 32-bit addresses', () => {
    const body = [...le(0n, 4), 1, ...Buffer.from('zR\0', 'latin1'), 1, 0x7c, 8, 1, 0x03];
    const cieBytes = [...le(0xffffffffn, 4), ...le(BigInt(body.length), 8), ...body];
    const fdeAt = cieBytes.length;
    const fdeBody = [...le(BigInt(fdeAt + 4), 4), ...le(0x8049000n, 4), ...le(0x30n, 4), 0];
    const bytes = [...cieBytes, ...le(BigInt(fdeBody.length), 4), ...fdeBody];
    const ranges = parseEhFrame(new Uint8Array(bytes), 0, bytes.length, 0x8048000n, 4, []);
    assert.deepEqual(
      ranges.map((r) => [r.address, r.size]),
      [[0x8049000n, 0x30]],
    );
  });

  it('a terminator in the middle ends the walk, unless asked to go past it (mingw PE32 layout)', () => {
    const bytes: number[] = [...cie(0x1b, false)];
    bytes.push(...fde(bytes.length, 0, 0x1b, 0x401000n, 0x10, true));
    bytes.push(0, 0, 0, 0);
    const second = bytes.length;
    bytes.push(...cie(0x1b, false));
    bytes.push(...fde(bytes.length, second, 0x1b, 0x402000n, 0x20, true));
    bytes.push(0, 0, 0, 0);
    const walk = (past: boolean): bigint[] => parseEhFrame(new Uint8Array(bytes), 0, bytes.length, SECTION_ADDRESS, 8, [], past).map((r) => r.address);
    assert.deepEqual(walk(false), [0x401000n]);
    assert.deepEqual(walk(true), [0x401000n, 0x402000n]);
  });

  it('an FDE pointing at no CIE ends the walk with a note; entries before it are kept', () => {
    const bytes: number[] = [...cie(0x1b, false)];
    bytes.push(...fde(bytes.length, 0, 0x1b, 0x401000n, 0x10, true));
    bytes.push(...fde(bytes.length, 2, 0x1b, 0x402000n, 0x10, true));
    const notes: string[] = [];
    const ranges = parseEhFrame(new Uint8Array(bytes), 0, bytes.length, SECTION_ADDRESS, 8, notes);
    assert.deepEqual(
      ranges.map((r) => r.address),
      [0x401000n],
    );
    assert.match(notes[0]!, /FDE refers to no CIE; kept the 1 function range/);
  });
});
