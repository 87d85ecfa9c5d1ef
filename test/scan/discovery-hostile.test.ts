// Code discovery on hostile input: random bytes as code, corrupt .eh_frame and .debug_line. The
// walker must agree with the linear sweep where both decode the same bytes, every traversal finding
// must be what iced-x86 decodes at its address, and corrupt tables end in a note, never a crash.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { iced } from '../../server/src/analysis/resolve/iced';
import { ruleForCode } from '../../server/src/analysis/resolve/classify';
import { resolveRuleSelection } from '../../server/src/analysis/catalogue';
import { discoverCode } from '../../server/src/binary/discover';
import { FlowWalker } from '../../server/src/binary/flow';
import type { BinaryImage, CodeHint } from '../../server/src/binary/image';
import { fastSweep, type Bitness } from '../../server/src/binary/sweep';
import { loadImage } from '../../server/src/scan/load';
import { scanImage } from '../../server/src/scan/scanner';
import { randomBytes, run, scratchDir } from './toolchain';

const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'scan');
const ALL = resolveRuleSelection(['all'], 'deprivileged-kernel');

function imageOf(bytes: Uint8Array, bits: Bitness, hints: CodeHint[]): BinaryImage {
  return { format: 'elf64', bits, addressWidth: 64, sections: [{ name: '.text', address: 0x1000n, fileOffset: 0, bytes, bits }], symbols: [], notes: [], hints };
}

/** The oracle's view: where a path of execution ends, from iced's flow-control facts. */
function endsPath(instruction: iced.Instruction): boolean {
  if (instruction.code === iced.Code.INVALID || instruction.code === iced.Code.Int3) return true;
  const flow = instruction.flowControl;
  return flow === iced.FlowControl.UnconditionalBranch || flow === iced.FlowControl.IndirectBranch || flow === iced.FlowControl.Return || flow === iced.FlowControl.Exception;
}

function hasDirectTarget(instruction: iced.Instruction): boolean {
  return instruction.isJccShortOrNear || instruction.isJmpShortOrNear || instruction.isCallNear || instruction.isJcxShort || instruction.isLoop || instruction.isLoopcc;
}

describe('scan: code discovery on hostile bytes (issue 14)', function () {
  this.timeout(180000);

  for (const bits of [16, 32, 64] as const) {
    it(`${bits}-bit random bytes inside one function symbol: the same hits as the linear sweep, INT3 included or not`, () => {
      const bytes = randomBytes(256 * 1024, 1400 + bits);
      for (const includeInt3 of [false, true]) {
        const found = discoverCode(imageOf(bytes, bits, [{ kind: 'symbol', address: 0x1000n, size: bytes.length }]), includeInt3)!;
        const reference = fastSweep(bytes, bits, { start: 0, stop: bytes.length }, { includeInt3 });
        assert.deepEqual(found.sections[0]!.offsets, reference.offsets);
        assert.deepEqual(found.sections[0]!.codes, reference.codes);
        assert.ok(found.sections[0]!.discoveries.every((d) => d === 'symbol'));
      }
    });

    it(`${bits}-bit random bytes from many entry points: every traversal hit is what iced decodes there, each byte walked once`, () => {
      const bytes = randomBytes(512 * 1024, 77 + bits);
      const hints: CodeHint[] = [];
      for (let i = 0; i < 2000; i++) hints.push({ kind: 'function', address: 0x1000n + BigInt((i * 7919) % bytes.length), size: 0 });
      const found = discoverCode(imageOf(bytes, bits, hints), true)!;
      assert.ok(found.decodedBytes.traversal <= bytes.length + 15 * 2000, `decoded ${found.decodedBytes.traversal} bytes`);
      const hits = found.sections[0]!;
      assert.ok(hits.offsets.length > 0);
      const instruction = new iced.Instruction();
      try {
        for (let i = 0; i < hits.offsets.length; i++) {
          const offset = hits.offsets[i]!;
          const decoder = new iced.Decoder(bits, bytes.subarray(offset, Math.min(bytes.length, offset + 15)), iced.DecoderOptions.None);
          decoder.decodeOut(instruction);
          decoder.free();
          assert.equal(instruction.code, hits.codes[i], `offset ${offset}`);
          assert.notEqual(ruleForCode(instruction.code), undefined);
          assert.equal(hits.discoveries[i], 'traversal');
        }
      } finally {
        instruction.free();
      }
    });
  }

  for (const bits of [16, 32, 64] as const) {
    it(`${bits}-bit: at every offset of random bytes the walker's length, branch target and end of path agree with iced-x86`, () => {
      const bytes = randomBytes(64 * 1024, 900 + bits);
      const base = 0x7000n;
      const walker = new FlowWalker(bytes, bits, base);
      const instruction = new iced.Instruction();
      const decoder = new iced.Decoder(bits, bytes, iced.DecoderOptions.None);
      try {
        for (let pos = 0; pos + 15 < bytes.length; pos++) {
          decoder.position = pos;
          decoder.ip = BigInt.asUintN(bits, base + BigInt(pos)); // 16-bit code runs at 16-bit IPs
          decoder.decodeOut(instruction);
          const step = walker.decode(pos);
          assert.equal(step.length, instruction.length, `length at ${pos}`);
          assert.equal(step.ends, endsPath(instruction), `end of path at ${pos}`);
          assert.equal(step.hasTarget, hasDirectTarget(instruction), `direct branch at ${pos}`);
          if (step.hasTarget) {
            const address = step.targetOffset >= 0 ? base + BigInt(step.targetOffset) : step.target;
            assert.equal(address, instruction.nearBranchTarget, `target at ${pos}`);
          }
        }
      } finally {
        walker.free();
        decoder.free();
        instruction.free();
      }
    });
  }

  it('hints outside every section, zero-sized and oversized regions are ignored or clipped', () => {
    const bytes = randomBytes(4096, 5);
    const found = discoverCode(
      imageOf(bytes, 64, [
        { kind: 'entry', address: 0n, size: 0 },
        { kind: 'unwind', address: 0x1000n + 4000n, size: 0x7fffffff },
        { kind: 'symbol', address: 0xffffffffffffff00n, size: 0x1000 },
      ]),
      false,
    );
    assert.ok(found, 'the unwind hint inside the section is a root');
    assert.ok(found.sections[0]!.offsets.every((offset) => offset >= 4000));
    assert.equal(discoverCode(imageOf(bytes, 64, [{ kind: 'entry', address: 0x10n, size: 0 }]), false), undefined);
  });

  describe('corrupt .eh_frame and .debug_line (gcc -g output, bytes overwritten)', () => {
    let dir: string;
    let original: Buffer;
    let tables: { name: string; offset: number; size: number }[];

    before(() => {
      dir = scratchDir();
      run('gcc', ['-O1', '-g', '-ffreestanding', '-nostdlib', '-static', '-no-pie', '-o', 'c', path.join(FIXTURES, 'mixed.c')], dir);
      original = fs.readFileSync(path.join(dir, 'c'));
      tables = [];
      for (const line of run('readelf', ['-SW', 'c'], dir).split('\n')) {
        const m = /\]\s+(\.eh_frame|\.debug_line|\.debug_line_str)\s+\w+\s+[0-9a-f]+\s+([0-9a-f]+)\s+([0-9a-f]+)/.exec(line);
        if (m) tables.push({ name: m[1]!, offset: Number.parseInt(m[2]!, 16), size: Number.parseInt(m[3]!, 16) });
      }
      assert.equal(tables.length, 3, 'readelf lists the three tables');
    });

    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('400 variants with random bytes, 0xff runs and truncated lengths scan without throwing', async () => {
      let seed = 1;
      let notes = 0;
      for (let variant = 0; variant < 400; variant++) {
        const bytes = Buffer.from(original);
        const table = tables[variant % tables.length]!;
        const noise = randomBytes(16, seed++);
        const at = table.offset + (noise[0]! | (noise[1]! << 8)) % Math.max(1, table.size - 8);
        if (variant % 4 === 0) bytes.fill(0xff, at, Math.min(table.offset + table.size, at + 8));
        else if (variant % 4 === 1) bytes.set(noise.subarray(2, 10), at);
        else if (variant % 4 === 2) bytes.fill(0x80, at, Math.min(table.offset + table.size, at + 12)); // endless LEB128
        else bytes.set(randomBytes(table.size, seed++), table.offset);
        const image = loadImage(bytes);
        const { findings } = await scanImage(image, { profile: 'deprivileged-kernel', enabled: ALL.enabled, includeInt3: false, sweep: 'discover' });
        assert.ok(findings.length < 1000);
        if (image.notes.some((note) => /eh_frame|debug_line/.test(note))) notes++;
      }
      assert.ok(notes > 50, `corruption is reported as a note (${notes} of 400)`);
    });
  });
});
