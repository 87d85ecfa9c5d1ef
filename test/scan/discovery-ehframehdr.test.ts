// Unwind ranges through PT_GNU_EH_FRAME (.eh_frame_hdr) when a file has no section headers
// (llvm-objcopy --strip-sections), so no header names .eh_frame (issue 14). The oracles: readelf's
// FDE ranges of the same file before stripping, and nm's labels for where the code and data are.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadImage } from '../../server/src/scan/load';
import { nmSymbols, run, scratchDir } from './toolchain';
import { scanMessages } from './runScan';

const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'scan');

interface Finding {
  address: string;
  ruleId: string;
  discovery: string;
}

/** "start..end" of every FDE readelf decodes, sorted. */
function readelfFdeRanges(dir: string, file: string): string[] {
  const out: string[] = [];
  for (const line of run('readelf', ['--debug-dump=frames', file], dir).split('\n')) {
    const m = /FDE cie=[0-9a-f]+ pc=([0-9a-f]+)\.\.([0-9a-f]+)/.exec(line);
    if (m && m[1] !== m[2]) out.push(`${BigInt('0x' + m[1]!).toString(16)}..${BigInt('0x' + m[2]!).toString(16)}`);
  }
  return out.sort();
}

function unwindRanges(dir: string, file: string): string[] {
  const image = loadImage(new Uint8Array(fs.readFileSync(path.join(dir, file))));
  return (image.hints ?? [])
    .filter((h) => h.kind === 'unwind')
    .map((h) => `${h.address.toString(16)}..${(h.address + BigInt(h.size)).toString(16)}`)
    .sort();
}

const scanJson = (dir: string, file: string, extra: string[] = []): Promise<Finding[]> => scanMessages<Finding>(dir, file, extra);

describe('scan: .eh_frame_hdr through PT_GNU_EH_FRAME when section headers are gone (issue 14)', function () {
  this.timeout(180000);
  let dir: string;

  before(() => {
    dir = scratchDir();
  });

  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const bits of [64, 32] as const) {
    it(`C ELF${bits} without section headers: readelf's FDE ranges, every sensitive instruction by unwind, nothing from data`, async () => {
      const exe = `hdr${bits}`;
      run('gcc', [`-m${bits}`, '-O1', '-ffreestanding', '-nostdlib', '-static', '-no-pie', '-fno-toplevel-reorder', '-Wl,--eh-frame-hdr', '-o', exe, path.join(FIXTURES, 'mixed.c')], dir);
      run('llvm-objcopy', ['--strip-sections', exe, `${exe}.nosh`], dir);
      assert.match(run('readelf', ['-lW', `${exe}.nosh`], dir), /GNU_EH_FRAME/);
      assert.match(run('readelf', ['-hW', `${exe}.nosh`], dir), /Number of section headers:\s+0\b/);

      const oracle = readelfFdeRanges(dir, exe);
      assert.ok(oracle.length >= 5, `readelf lists the FDEs (${oracle.length})`);
      assert.deepEqual(unwindRanges(dir, `${exe}.nosh`), oracle);

      const symbols = nmSymbols(dir, exe);
      const hits = new Map([...symbols].filter(([name]) => name.startsWith('hit_')).map(([name, address]) => [address, name]));
      const data = [1, 2].map((n) => ({ begin: symbols.get(`data_${n}_begin`)!, end: symbols.get(`data_${n}_end`)! }));
      assert.equal(hits.size, 6);
      const findings = await scanJson(dir, `${exe}.nosh`);
      for (const f of findings) {
        const address = BigInt(f.address);
        assert.ok(!data.some((r) => address >= r.begin && address < r.end), `${f.ruleId} at ${f.address} lies in data`);
        assert.ok(hits.has(address), `${f.ruleId} at ${f.address} is at no hit_* label`);
        assert.equal(f.discovery, 'unwind', f.address);
      }
      assert.deepEqual(findings.map((f) => BigInt(f.address)).sort(), [...hits.keys()].sort());
    });
  }

  it('a system binary without section headers: the same unwind ranges from .eh_frame_hdr as from its .eh_frame section', () => {
    const original = '/usr/bin/true';
    fs.copyFileSync(original, path.join(dir, 'true'));
    run('llvm-objcopy', ['--strip-sections', 'true', 'true.nosh'], dir);
    const fromSection = unwindRanges(dir, 'true');
    assert.ok(fromSection.length >= 20, `${original} has FDEs in .eh_frame (${fromSection.length})`);
    assert.deepEqual(fromSection, readelfFdeRanges(dir, 'true'));
    assert.deepEqual(unwindRanges(dir, 'true.nosh'), fromSection);
  });

  it('a corrupt .eh_frame_hdr is a note, and discovery goes on from the entry point', async () => {
    const exe = 'hdr-corrupt';
    run('gcc', ['-O1', '-ffreestanding', '-nostdlib', '-static', '-no-pie', '-fno-toplevel-reorder', '-Wl,--eh-frame-hdr', '-o', exe, path.join(FIXTURES, 'mixed.c')], dir);
    run('llvm-objcopy', ['--strip-sections', exe, `${exe}.nosh`], dir);
    const segment = /GNU_EH_FRAME\s+0x([0-9a-f]+)/.exec(run('readelf', ['-lW', `${exe}.nosh`], dir));
    assert.ok(segment, 'readelf shows PT_GNU_EH_FRAME');
    const bytes = new Uint8Array(fs.readFileSync(path.join(dir, `${exe}.nosh`)));
    bytes[Number.parseInt(segment[1]!, 16)] = 7; // the version byte
    fs.writeFileSync(path.join(dir, `${exe}.nosh`), bytes);
    const image = loadImage(bytes);
    assert.ok(image.notes.some((n) => /\.eh_frame_hdr version 7/.test(n)), image.notes.join('; '));
    assert.equal((image.hints ?? []).filter((h) => h.kind === 'unwind').length, 0);
    const findings = await scanJson(dir, `${exe}.nosh`);
    assert.ok(findings.length >= 5 && findings.every((f) => f.discovery === 'traversal'));
  });
});
