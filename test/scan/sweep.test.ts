// The fast sweep must be exactly iced's linear sweep: same instruction boundaries and the same
// hits, on random bytes (lots of invalid and exotic encodings) and on real compiler output.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { iced } from '../../server/src/analysis/resolve/iced';
import { ruleForCode } from '../../server/src/analysis/resolve/classify';
import { parseElf } from '../../server/src/binary/elf';
import { fastLength } from '../../server/src/binary/lengths';
import { fastSweep, referenceSweep, INT3_CODE, type Bitness } from '../../server/src/binary/sweep';
import { nasm, randomBytes, scratchDir } from './toolchain';

function referenceBoundaries(bytes: Uint8Array, bits: Bitness): number[] {
  const starts: number[] = [];
  referenceSweep(bytes, bits, (offset) => starts.push(offset));
  return starts;
}

function fastBoundaries(bytes: Uint8Array, bits: Bitness): number[] {
  const boundaries: number[] = [];
  fastSweep(bytes, bits, { start: 0, stop: bytes.length }, { includeInt3: true, recordFrom: 0, recordTo: bytes.length, boundaries });
  return boundaries;
}

function assertSameSweep(bytes: Uint8Array, bits: Bitness, label: string): void {
  const reference = referenceSweep(bytes, bits);
  const fast = fastSweep(bytes, bits, { start: 0, stop: bytes.length }, { includeInt3: true });
  assert.equal(fast.offsets.length, reference.offsets.length, `${label}: hit count`);
  assert.deepEqual(fast.offsets, reference.offsets, `${label}: hit offsets`);
  assert.deepEqual(fast.codes, reference.codes, `${label}: hit codes`);
  const withoutInt3 = fastSweep(bytes, bits, { start: 0, stop: bytes.length });
  const expected = reference.offsets.filter((_, i) => reference.codes[i] !== INT3_CODE);
  assert.deepEqual(withoutInt3.offsets, expected, `${label}: hits without INT3`);
}

describe('scan: fast sweep equals a plain iced sweep', function () {
  this.timeout(120_000);

  for (const bits of [16, 32, 64] as const) {
    it(`random bytes, ${bits}-bit: identical boundaries and hits`, () => {
      for (const seed of [1, 2, 3]) {
        const bytes = randomBytes(300_000, seed * 7919 + bits);
        const expected = referenceBoundaries(bytes, bits);
        const actual = fastBoundaries(bytes, bits);
        const firstDiff = expected.findIndex((offset, i) => actual[i] !== offset);
        assert.equal(firstDiff, -1, `seed ${seed}: boundaries differ at instruction ${firstDiff}`);
        assert.equal(actual.length, expected.length);
        assertSameSweep(bytes, bits, `seed ${seed}`);
      }
    });

    it(`every fast-path length agrees with iced, ${bits}-bit (instruction by instruction)`, () => {
      const bytes = randomBytes(100_000, 4242 + bits);
      const decoder = new iced.Decoder(bits, bytes, iced.DecoderOptions.None);
      const instruction = new iced.Instruction();
      try {
        let checked = 0;
        for (let pos = 0; pos < bytes.length - 16; pos += 3) {
          const length = fastLength(bytes, pos, bytes.length, bits);
          if (length <= 0) continue;
          decoder.position = pos;
          decoder.decodeOut(instruction);
          assert.equal(length, instruction.length, `at ${pos}: ${Buffer.from(bytes.subarray(pos, pos + 15)).toString('hex')}`);
          assert.equal(ruleForCode(instruction.code), undefined, `fast path skipped a covered instruction at ${pos}`);
          checked++;
        }
        assert.ok(checked > 10_000, `only ${checked} positions took the fast path`);
      } finally {
        instruction.free();
        decoder.free();
      }
    });
  }

  it('real compiler output: the .text of libc and of node itself', () => {
    const candidates = ['/lib/x86_64-linux-gnu/libc.so.6', process.execPath];
    let checked = 0;
    for (const file of candidates) {
      if (!fs.existsSync(file)) continue;
      const image = parseElf(fs.readFileSync(file));
      for (const section of image.sections) {
        const bytes = section.bytes.length > 4_000_000 ? section.bytes.subarray(0, 4_000_000) : section.bytes;
        assertSameSweep(bytes, section.bits, `${file} ${section.name}`);
        checked++;
      }
    }
    assert.ok(checked > 0, 'no real ELF found to compare on (expected libc or the node binary)');
  });

  it('every sensitive instruction assembled by nasm is found, in each mode', () => {
    const dir = scratchDir();
    const bodies: Record<number, string> = {
      16: 'sgdt [bx]\nsidt [si]\nsldt ax\nsmsw ax\nstr ax\npushf\npopf\nlar ax, bx\nlsl ax, bx\nverr ax\nverw ax\npush cs\npop ds\nmov ax, ss\nmov es, ax\ncall 0x10:0x20\njmp 0x10:0x20\nretf\nint 0x80\nint3\niret\ncpuid\nrdtsc\nrdtscp\nrdpmc\nxgetbv\n',
      32: 'sgdt [eax]\nsidt [ebx+4]\nsldt eax\nsmsw eax\nstr eax\npushfd\npopfd\nlar eax, ebx\nlsl eax, ebx\nverr ax\nverw [eax]\npush ss\npop es\nmov eax, cs\nmov ds, ax\ncall 0x10:0x20\njmp far [eax]\nretf 4\nint 3\nint1\ninto\niretd\ncpuid\nrdtsc\nrdtscp\nrdpmc\nrdpid eax\nxgetbv\n',
      64: 'sgdt [rax]\nsidt [rel $]\nsldt rax\nsmsw rax\nstr eax\npushfq\npopfq\nlar rax, rbx\nlsl eax, ebx\nverr ax\nverw ax\npush fs\npop gs\nmov rax, ss\nmov ds, ax\ncall far [rax]\njmp far [rbx]\nretfq\nint 0x2e\nint3\niretq\ncpuid\nrdtsc\nrdtscp\nrdpmc\nrdpid rax\nxgetbv\nnop\n',
    };
    for (const bits of [16, 32, 64] as const) {
      const file = nasm(dir, `all${bits}`, `bits ${bits}\n${bodies[bits]}`, 'bin');
      const bytes = new Uint8Array(fs.readFileSync(file));
      const lines = bodies[bits]!.trim().split('\n').filter((l) => l !== 'nop');
      const hits = fastSweep(bytes, bits, { start: 0, stop: bytes.length }, { includeInt3: true });
      assert.equal(hits.offsets.length, lines.length, `${bits}-bit: expected one hit per line`);
      assertSameSweep(bytes, bits, `${bits}-bit all rules`);
    }
  });

  it('runs of INT3 padding are skipped without losing a boundary, also across a stop point', () => {
    const bytes = Uint8Array.from([0x90, ...new Array<number>(10).fill(0xcc), 0x9c, 0xcc, 0x0f, 0xa2]);
    const first = fastSweep(bytes, 64, { start: 0, stop: 5 });
    assert.equal(first.end, 5, 'stops at the first INT3 at or after the stop offset');
    const rest = fastSweep(bytes, 64, { start: first.end, stop: bytes.length });
    assert.deepEqual(rest.offsets, [11, 13]);
    assert.deepEqual(fastSweep(bytes, 64, { start: 0, stop: bytes.length }, { includeInt3: true }).offsets, [...Array.from({ length: 10 }, (_, i) => i + 1), 11, 12, 13]);
  });

  it('a sweep stopped part-way and resumed at its end equals one sweep', () => {
    const bytes = randomBytes(50_000, 99);
    const whole = fastSweep(bytes, 64, { start: 0, stop: bytes.length }, { includeInt3: true });
    const first = fastSweep(bytes, 64, { start: 0, stop: 20_000 }, { includeInt3: true });
    assert.ok(first.end >= 20_000 && first.end < 20_016, `stopped at ${first.end}`);
    const second = fastSweep(bytes, 64, { start: first.end, stop: bytes.length }, { includeInt3: true });
    assert.deepEqual([...first.offsets, ...second.offsets], whole.offsets);
    assert.deepEqual([...first.codes, ...second.codes], whole.codes);
  });
});
