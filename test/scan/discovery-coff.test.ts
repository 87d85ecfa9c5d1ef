// Code discovery in mingw's PE32, which has no .pdata (issue 14): the COFF symbol table's function
// symbols as roots, and the DWARF .eh_frame 32-bit mingw gcc writes (and strip keeps). The
// fixture's functions reached only through a pointer table, or not at all, are found through
// either. Oracles: mingw's nm (names and addresses), objdump -t (which symbols are functions),
// objdump --dwarf=frames (the FDE ranges).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadImage } from '../../server/src/scan/load';
import { run, scratchDir } from './toolchain';
import { scanMessages } from './runScan';

const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'scan');

interface Finding {
  address: string;
  ruleId: string;
  discovery: string;
}

interface NmSymbol {
  name: string;
  address: bigint;
  type: string;
}

function nm(tool: string, dir: string, file: string): NmSymbol[] {
  const out: NmSymbol[] = [];
  for (const line of run(tool, [file], dir).split('\n')) {
    const m = /^([0-9a-f]+)\s+(\w)\s+(\S+)$/.exec(line.trim());
    if (m) out.push({ name: m[3]!, address: BigInt('0x' + m[1]!), type: m[2]! });
  }
  return out;
}

/** Names objdump -t shows with the COFF function type (ty 20). */
function functionNames(dir: string, file: string): Set<string> {
  const names = new Set<string>();
  for (const line of run('objdump', ['-t', file], dir).split('\n')) {
    const m = /\(ty\s+20\)\(scl\s+\d+\)\s+\(nx \d+\)\s+0x[0-9a-f]+\s+(\S+)$/.exec(line);
    if (m) names.add(m[1]!);
  }
  return names;
}

const scanJson = (dir: string, file: string, extra: string[] = []): Promise<Finding[]> => scanMessages<Finding>(dir, file, extra);

function byPrefix(symbols: NmSymbol[], prefix: string): Map<bigint, string> {
  return new Map(symbols.filter((s) => s.name.startsWith(prefix)).map((s) => [s.address, s.name]));
}

function dataRanges(symbols: NmSymbol[]): { begin: bigint; end: bigint }[] {
  const at = new Map(symbols.map((s) => [s.name, s.address]));
  const ranges: { begin: bigint; end: bigint }[] = [];
  for (const n of [1, 2]) ranges.push({ begin: at.get(`data_${n}_begin`)!, end: at.get(`data_${n}_end`)! });
  assert.ok(ranges.every((r) => r.begin !== undefined && r.end !== undefined && r.begin < r.end), 'nm lists the data ranges');
  return ranges;
}

describe('scan: COFF symbol tables as code roots in PE images (issue 14)', function () {
  this.timeout(180000);
  let dir: string;

  before(() => {
    dir = scratchDir();
  });

  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // The 32-bit build has no unwind tables, so that only the symbols can find what it reaches.
  for (const [bits, prefix, entry, discovery] of [
    [32, 'i686-w64-mingw32-', '__start', 'traversal'],
    [64, 'x86_64-w64-mingw32-', '_start', 'unwind'],
  ] as const) {
    describe(`PE${bits === 64 ? '32+' : '32 without unwind tables'} (${prefix}gcc)`, () => {
      let exe: string;
      let symbols: NmSymbol[];

      before(() => {
        exe = `pointers${bits}.exe`;
        const flags = bits === 32 ? ['-fno-asynchronous-unwind-tables'] : [];
        run(`${prefix}gcc`, ['-O1', '-ffreestanding', '-nostdlib', '-fno-toplevel-reorder', ...flags, '-e', entry, '-o', exe, path.join(FIXTURES, 'pointers.c')], dir);
        if (bits === 32) assert.doesNotMatch(run('objdump', ['-h', exe], dir), /\.eh_fram/, 'the build has no .eh_frame');
        run(`${prefix}strip`, ['-o', `stripped-${exe}`, exe], dir);
        symbols = nm(`${prefix}nm`, dir, exe);
      });

      it('the symbols read from the COFF table are the ones nm lists inside the code, at the same addresses; function symbols are the roots', () => {
        const image = loadImage(new Uint8Array(fs.readFileSync(path.join(dir, exe))));
        const inCode = (address: bigint): boolean => image.sections.some((s) => address >= s.address && address < s.address + BigInt(s.bytes.length));
        const key = (name: string, address: bigint): string => `${name}@${address.toString(16)}`;
        const ours = image.symbols.filter((s) => inCode(s.address)).map((s) => key(s.name, s.address));
        const oracle = symbols.filter((s) => /[tT]/.test(s.type) && !s.name.startsWith('.') && inCode(s.address)).map((s) => key(s.name, s.address));
        assert.ok(oracle.length >= 10, `nm lists the fixture's code symbols (${oracle.length})`);
        assert.deepEqual(ours.sort(), oracle.sort());

        const functions = functionNames(dir, exe);
        assert.ok(functions.size >= 4, `objdump -t shows the function symbols (${[...functions].join(', ')})`);
        const expectedRoots = symbols.filter((s) => functions.has(s.name)).map((s) => s.address);
        const roots = (image.hints ?? []).filter((h) => h.kind === 'function').map((h) => h.address);
        assert.deepEqual(roots.sort(), expectedRoots.sort());
      });

      it(`unstripped: every sensitive instruction in code, the pointer-only and uncalled functions included (by ${discovery}), nothing from data`, async () => {
        const hits = byPrefix(symbols, 'hit_');
        const onlyBySymbol = byPrefix(symbols, 'ptr_');
        assert.equal(hits.size, 2);
        assert.equal(onlyBySymbol.size, 3);
        const data = dataRanges(symbols);
        const findings = await scanJson(dir, exe);
        for (const f of findings) {
          const address = BigInt(f.address);
          assert.ok(!data.some((r) => address >= r.begin && address < r.end), `${f.ruleId} at ${f.address} lies in data`);
          assert.ok(hits.has(address) || onlyBySymbol.has(address), `${f.ruleId} at ${f.address} is at no hit_/ptr_ label`);
          assert.equal(f.discovery, discovery, `${f.address}`);
        }
        const reported = new Set(findings.map((f) => BigInt(f.address)));
        for (const [address, name] of [...hits, ...onlyBySymbol]) assert.ok(reported.has(address), `${name} at 0x${address.toString(16)} was not reported`);
      });

      if (bits === 32) {
        it('stripped: only the entry point is left, so the pointer-only and uncalled functions go unread (the symbols are what found them)', async () => {
          const stripped = loadImage(new Uint8Array(fs.readFileSync(path.join(dir, `stripped-${exe}`))));
          assert.equal(stripped.symbols.length, 0, 'strip removed the COFF symbol table');
          const reported = new Set((await scanJson(dir, `stripped-${exe}`)).map((f) => BigInt(f.address)));
          assert.deepEqual([...reported].sort(), [...byPrefix(symbols, 'hit_').keys()].sort());
        });
      }
    });
  }

  it('PE32 with unwind tables, stripped: the pointer-only and uncalled functions by .eh_frame, nothing from data', async () => {
    const exe = 'pointers32-eh.exe';
    run('i686-w64-mingw32-gcc', ['-O1', '-ffreestanding', '-nostdlib', '-fno-toplevel-reorder', '-e', '__start', '-o', exe, path.join(FIXTURES, 'pointers.c')], dir);
    const symbols = nm('i686-w64-mingw32-nm', dir, exe);
    run('i686-w64-mingw32-strip', ['-o', `stripped-${exe}`, exe], dir);
    const stripped = loadImage(new Uint8Array(fs.readFileSync(path.join(dir, `stripped-${exe}`))));
    assert.equal(stripped.symbols.length, 0);
    // gcc gives every function an FDE: the ranges start where objdump -t's function symbols are.
    const functions = functionNames(dir, exe);
    const starts = (stripped.hints ?? []).filter((h) => h.kind === 'unwind').map((h) => h.address);
    assert.deepEqual(starts.sort(), symbols.filter((s) => functions.has(s.name)).map((s) => s.address).sort());
    const expected = new Map([...byPrefix(symbols, 'hit_'), ...byPrefix(symbols, 'ptr_')]);
    const findings = await scanJson(dir, `stripped-${exe}`);
    assert.ok(findings.every((f) => f.discovery === 'unwind' && expected.has(BigInt(f.address))));
    assert.deepEqual(findings.map((f) => BigInt(f.address)).sort(), [...expected.keys()].sort());
  });

  it('PE32 with the C runtime, stripped: the .eh_frame ranges are the FDEs objdump --dwarf=frames reads, the section named in full or cut to .eh_fram', () => {
    fs.writeFileSync(path.join(dir, 'hello.c'), '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n');
    run('i686-w64-mingw32-gcc', ['-O2', '-o', 'hello32.exe', 'hello.c'], dir);
    run('i686-w64-mingw32-strip', ['hello32.exe'], dir);
    // ld -s writes no string table, so the name is cut to eight characters (objdump reads no frames there).
    run('i686-w64-mingw32-gcc', ['-O2', '-s', '-o', 'hello32-cut.exe', 'hello.c'], dir);
    assert.match(run('objdump', ['-h', 'hello32.exe'], dir), / \.eh_frame /);
    assert.match(run('objdump', ['-h', 'hello32-cut.exe'], dir), / \.eh_fram /);
    const oracle: string[] = [];
    for (const line of run('objdump', ['--dwarf=frames', 'hello32.exe'], dir).split('\n')) {
      const m = /FDE cie=[0-9a-f]+ pc=([0-9a-f]+)\.\.([0-9a-f]+)/.exec(line);
      if (m && m[1] !== m[2]) oracle.push(`${BigInt('0x' + m[1]!).toString(16)}..${BigInt('0x' + m[2]!).toString(16)}`);
    }
    assert.ok(oracle.length >= 20, `objdump reads the runtime's FDEs (${oracle.length})`);
    for (const file of ['hello32.exe', 'hello32-cut.exe']) {
      const image = loadImage(new Uint8Array(fs.readFileSync(path.join(dir, file))));
      const ours = (image.hints ?? []).filter((h) => h.kind === 'unwind').map((h) => `${h.address.toString(16)}..${(h.address + BigInt(h.size)).toString(16)}`);
      assert.deepEqual(ours.sort(), oracle.sort(), file);
    }
  });

  it('a symbol count that runs past the end of the file is a note, and the scan goes on from the entry point', async () => {
    const exe = 'corrupt32.exe';
    run('i686-w64-mingw32-gcc', ['-O1', '-ffreestanding', '-nostdlib', '-fno-toplevel-reorder', '-fno-asynchronous-unwind-tables', '-e', '__start', '-o', exe, path.join(FIXTURES, 'pointers.c')], dir);
    const bytes = new Uint8Array(fs.readFileSync(path.join(dir, exe)));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const fileHeader = view.getUint32(0x3c, true) + 4;
    assert.notEqual(view.getUint32(fileHeader + 8, true), 0, 'the image has a COFF symbol table');
    view.setUint32(fileHeader + 12, 0x7fffffff, true);
    fs.writeFileSync(path.join(dir, exe), bytes);
    const image = loadImage(bytes);
    assert.ok(image.notes.some((n) => /COFF symbol table .* lies outside the file/.test(n)), image.notes.join('; '));
    assert.ok(!(image.hints ?? []).some((h) => h.kind === 'function'));
    const findings = await scanJson(dir, exe);
    assert.deepEqual(findings.map((f) => f.ruleId).sort(), ['int', 'pushf']);
  });
});
