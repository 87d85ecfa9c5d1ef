// Code discovery on binaries whose .text mixes functions and data, built at test time by nasm, ld,
// gcc and mingw from test/fixtures/scan. The truth comes from the toolchain: every sensitive
// instruction in code follows a label hit_* (jt_* when only a jump table reaches it), and the data
// lies between labels data_N_begin and data_N_end; `nm` gives their addresses. Source lines are
// checked against addr2line.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run, scratchDir } from './toolchain';
import { scan, scanMessages } from './runScan';

const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'scan');

interface Finding {
  address: string;
  ruleId: string;
  discovery: string;
  source?: { file: string; line: number };
}

interface Truth {
  /** Address → label of every sensitive instruction in code. */
  hits: Map<bigint, string>;
  /** Those reached only through a jump table (an indirect jump). */
  jumpTableOnly: Set<bigint>;
  data: { begin: bigint; end: bigint; name: string }[];
}

function truthFromNm(dir: string, file: string): Truth {
  const symbols = new Map<string, bigint>();
  for (const line of run('nm', [file], dir).split('\n')) {
    const m = /^([0-9a-f]+)\s+\w\s+(\S+)$/.exec(line.trim());
    if (m) symbols.set(m[2]!, BigInt('0x' + m[1]!));
  }
  const truth: Truth = { hits: new Map(), jumpTableOnly: new Set(), data: [] };
  for (const [name, address] of symbols) {
    if (name.startsWith('hit_')) truth.hits.set(address, name);
    if (name.startsWith('jt_')) {
      truth.hits.set(address, name);
      truth.jumpTableOnly.add(address);
    }
    const data = /^data_(\d+)_begin$/.exec(name);
    const end = data ? symbols.get(`data_${data[1]}_end`) : undefined;
    if (data && end !== undefined) truth.data.push({ begin: address, end, name: `data_${data[1]}` });
  }
  assert.ok(truth.hits.size >= 5, `the fixture ${file} has its hit_* labels (nm found ${truth.hits.size})`);
  assert.ok(truth.data.length >= 2, `the fixture ${file} has its data ranges`);
  return truth;
}

const scanJson = (dir: string, file: string, extra: string[] = []): Promise<Finding[]> => scanMessages<Finding>(dir, file, extra);

function inData(truth: Truth, address: bigint): string | undefined {
  return truth.data.find((range) => address >= range.begin && address < range.end)?.name;
}

/** Every expected hit is reported with one of `discoveries`, and nothing else is. */
function expectExactly(findings: Finding[], truth: Truth, expected: Set<bigint>, discoveries: string[]): void {
  const reported = new Set<bigint>();
  for (const finding of findings) {
    const address = BigInt(finding.address);
    const data = inData(truth, address);
    assert.equal(data, undefined, `${finding.ruleId} at ${finding.address} lies in ${data}`);
    assert.ok(expected.has(address), `${finding.ruleId} at ${finding.address} is not at a hit_* label`);
    assert.ok(discoveries.includes(finding.discovery), `${finding.address}: discovery ${finding.discovery}, expected one of ${discoveries.join(', ')}`);
    reported.add(address);
  }
  for (const address of expected) assert.ok(reported.has(address), `${truth.hits.get(address)} at 0x${address.toString(16)} was not reported`);
}

function withoutJumpTableOnly(truth: Truth): Set<bigint> {
  const out = new Set<bigint>();
  for (const address of truth.hits.keys()) if (!truth.jumpTableOnly.has(address)) out.add(address);
  return out;
}

/** The fixtures mean something: a linear sweep of the same file reports bytes of the data as instructions. */
async function expectLinearSweepFindsData(dir: string, file: string, truth: Truth): Promise<void> {
  const linear = await scanJson(dir, file, ['--sweep', 'linear']);
  const fromData = linear.filter((finding) => inData(truth, BigInt(finding.address)) !== undefined);
  assert.ok(fromData.length > 0, 'a linear sweep reads some of the data as sensitive instructions');
  assert.ok(linear.every((finding) => finding.discovery === 'sweep'));
}

describe('scan: code discovery keeps data out (issue 14)', function () {
  this.timeout(180000);
  let dir: string;

  before(() => {
    dir = scratchDir();
  });

  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const bits of [64, 32] as const) {
    describe(`NASM ELF${bits} (nasm -f elf${bits} + ld)`, () => {
      let exe: string;
      let truth: Truth;

      before(() => {
        const object = path.join(dir, `nasm${bits}.o`);
        run('nasm', [...(bits === 64 ? ['-DW64'] : []), '-f', `elf${bits}`, '-o', object, path.join(FIXTURES, 'mixed.asm')], dir);
        exe = `nasm${bits}`;
        run('ld', [...(bits === 32 ? ['-m', 'elf_i386'] : []), '-e', '_start', '-o', exe, object], dir);
        run('strip', ['-o', `${exe}.stripped`, exe], dir);
        truth = truthFromNm(dir, exe);
      });

      it('unstripped: function symbols with sizes are code as a whole (the jump-table case too); an untyped helper is reached by traversal', async () => {
        const findings = await scanJson(dir, exe);
        expectExactly(findings, truth, new Set(truth.hits.keys()), ['symbol', 'traversal']);
        const helper = findings.filter((f) => f.discovery === 'traversal').map((f) => truth.hits.get(BigInt(f.address)));
        assert.deepEqual(helper.sort(), ['hit_rdtsc_2', 'hit_sidt']);
      });

      it('stripped: traversal from the entry point finds every directly reachable instruction, not the data after a jmp', async () => {
        expectExactly(await scanJson(dir, `${exe}.stripped`), truth, withoutJumpTableOnly(truth), ['traversal']);
      });

      it('--sweep linear reads the data as code (the fixture has teeth); --min-confidence symbol keeps only symbol code', async () => {
        await expectLinearSweepFindsData(dir, exe, truth);
        const strict = await scanJson(dir, exe, ['--min-confidence', 'symbol']);
        assert.ok(strict.length > 0 && strict.every((f) => f.discovery === 'symbol'));
        assert.equal(strict.length, truth.hits.size - 2);
      });
    });
  }

  for (const bits of [64, 32] as const) {
    describe(`C ELF${bits} (gcc -m${bits} -O1 -g, freestanding)`, () => {
      let exe: string;
      let truth: Truth;

      before(() => {
        exe = `c${bits}`;
        run('gcc', [`-m${bits}`, '-O1', '-g', '-ffreestanding', '-nostdlib', '-static', '-no-pie', '-fno-toplevel-reorder', '-o', exe, path.join(FIXTURES, 'mixed.c')], dir);
        run('strip', ['-o', `${exe}.stripped`, exe], dir);
        run('strip', ['-R', '.eh_frame', '-R', '.eh_frame_hdr', '-o', `${exe}.bare`, `${exe}.stripped`], dir);
        truth = truthFromNm(dir, exe);
      });

      it('unstripped: every instruction by symbol, with the source line addr2line gives', async () => {
        const findings = await scanJson(dir, exe);
        expectExactly(findings, truth, new Set(truth.hits.keys()), ['symbol']);
        const addresses = findings.map((f) => f.address);
        const oracle = run('addr2line', ['-e', exe, ...addresses], dir).trim().split('\n');
        findings.forEach((finding, i) => {
          assert.ok(finding.source, `${finding.address} has a source line`);
          assert.equal(`${finding.source.file}:${finding.source.line}`, oracle[i], `source of ${finding.address}`);
        });
      });

      it('stripped (only .eh_frame left): every instruction by unwind information', async () => {
        expectExactly(await scanJson(dir, `${exe}.stripped`), truth, new Set(truth.hits.keys()), ['unwind']);
      });

      it('stripped of .eh_frame too: every instruction by traversal from the entry point', async () => {
        expectExactly(await scanJson(dir, `${exe}.bare`), truth, new Set(truth.hits.keys()), ['traversal']);
        await expectLinearSweepFindsData(dir, `${exe}.bare`, truth);
      });
    });
  }

  it('DWARF 4 and 5 line tables, absolute and relative source paths: same file:line as addr2line', async () => {
    fs.copyFileSync(path.join(FIXTURES, 'mixed.c'), path.join(dir, 'copy.c'));
    for (const [version, source] of [
      ['4', path.join(FIXTURES, 'mixed.c')],
      ['5', path.join(FIXTURES, 'mixed.c')],
      ['5', 'copy.c'],
    ] as const) {
      const exe = `dwarf${version}-${path.basename(source, '.c')}`;
      run('gcc', [`-gdwarf-${version}`, '-O2', '-ffreestanding', '-nostdlib', '-static', '-no-pie', '-o', exe, source], dir);
      const findings = await scanJson(dir, exe);
      assert.ok(findings.length >= 5);
      const oracle = run('addr2line', ['-e', exe, ...findings.map((f) => f.address)], dir).trim().split('\n');
      findings.forEach((finding, i) => assert.equal(`${finding.source?.file}:${finding.source?.line}`, oracle[i], `DWARF ${version} ${source} ${finding.address}`));
    }
  });

  it('SARIF: a finding with a source line points at the source file, with the address and discovery as properties', async () => {
    run('gcc', ['-O1', '-g', '-ffreestanding', '-nostdlib', '-static', '-no-pie', '-fno-toplevel-reorder', '-o', 'sarif-c', path.join(FIXTURES, 'mixed.c')], dir);
    const result = await scan(['--format', 'sarif', '--rules', 'core,extended', 'sarif-c'], dir);
    const log = JSON.parse(result.stdout) as { runs: { results: { locations: { physicalLocation: { artifactLocation: { uri: string }; region?: { startLine: number } } }[]; properties: Record<string, string> }[] }[] };
    const results = log.runs[0]!.results;
    assert.ok(results.length >= 5);
    for (const r of results) {
      const location = r.locations[0]!.physicalLocation;
      assert.match(location.artifactLocation.uri, /mixed\.c$/);
      const oracle = run('addr2line', ['-e', 'sarif-c', r.properties.address!], dir).trim();
      assert.equal(oracle, `${path.join(FIXTURES, 'mixed.c')}:${location.region?.startLine}`);
      assert.equal(r.properties.discovery, 'symbol');
      assert.match(r.properties.binary!, /sarif-c$/);
    }
  });

  for (const [bits, compiler, entry, discovery, how, flags] of [
    [64, 'x86_64-w64-mingw32-gcc', '_start', 'unwind', '.pdata', []],
    [32, 'i686-w64-mingw32-gcc', '__start', 'unwind', '.eh_frame', []],
    [32, 'i686-w64-mingw32-gcc', '__start', 'traversal', 'traversal from the entry point and function symbols (no unwind tables)', ['-fno-asynchronous-unwind-tables']],
  ] as const) {
    it(`PE${bits === 64 ? '32+' : '32'} (${compiler} ${flags.join(' ')}): every instruction by ${how}, nothing from data`, async () => {
      const exe = `mixed${bits}${flags.length}.exe`;
      run(compiler, ['-O1', '-ffreestanding', '-nostdlib', '-fno-toplevel-reorder', ...flags, '-e', entry, '-o', exe, path.join(FIXTURES, 'mixed.c')], dir);
      const truth = truthFromNm(dir, exe);
      expectExactly(await scanJson(dir, exe), truth, new Set(truth.hits.keys()), [discovery]);
      await expectLinearSweepFindsData(dir, exe, truth);
    });
  }

  it('a file that names no code falls back to the linear sweep, with a note on stderr', async () => {
    const object = path.join(dir, 'noroots.o');
    fs.writeFileSync(path.join(dir, 'noroots.asm'), 'bits 64\nsection .text\nlabel:\n  cpuid\n  db 0xcf\n');
    run('nasm', ['-f', 'elf64', '-o', object, path.join(dir, 'noroots.asm')], dir);
    const result = await scan(['--format', 'json', '--rules', 'core,extended', object], dir);
    assert.match(result.stderr, /noroots\.o: no symbols, unwind tables or entry points inside code; decoded every executable byte/);
    const messages = (JSON.parse(result.stdout) as { messages: Finding[] }[])[0]!.messages;
    assert.deepEqual(
      messages.map((m) => [m.ruleId, m.discovery]),
      [
        ['cpuid', 'sweep'],
        ['iret', 'sweep'],
      ],
    );
  });
});
