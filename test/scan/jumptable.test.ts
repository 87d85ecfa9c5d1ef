// Jump tables in the recursive traversal (issue 14): a dense C switch compiled by gcc, clang and
// mingw at -O2 (-fno-pic and -fPIC, 32 and 64-bit), stripped of symbols and unwind tables so that
// the traversal from the entry point is the only way in, and a NASM program with its table inside
// .text. The truth comes from the toolchain: `nm` of the unstripped build gives each case's
// sensitive instruction (labels jt_*, hit_int in _start) and the table's bytes (data_1_*), and the
// build before recovery (the stripped file) reaches none of the cases.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { nasm, nmSymbols, run, scratchDir } from './toolchain';
import { scanMessages } from './runScan';

const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'scan');

interface Finding {
  address: string;
  ruleId: string;
  discovery: string;
}

/** Address → label of every jt_* and hit_* label of the unstripped build. */
function labels(dir: string, file: string, nmTool = 'nm'): Map<bigint, string> {
  const out = new Map<bigint, string>();
  for (const line of run(nmTool, [file], dir).split('\n')) {
    const m = /^([0-9a-f]+)\s+\w\s+_?((?:jt|hit)_\w+)$/.exec(line.trim());
    if (m) out.set(BigInt('0x' + m[1]!), m[2]!);
  }
  return out;
}

/** The findings are exactly the labelled instructions, all found by traversal. */
function expectEveryCase(findings: Finding[], truth: Map<bigint, string>): void {
  const cases = [...truth.values()].filter((name) => name.startsWith('jt_'));
  assert.ok(cases.length >= 5, `the build has its jt_* labels (${cases.length})`);
  const reported = new Map<bigint, Finding>(findings.map((f) => [BigInt(f.address), f]));
  for (const [address, name] of truth) assert.ok(reported.has(address), `${name} at 0x${address.toString(16)} was not reported`);
  for (const finding of findings) {
    assert.ok(truth.has(BigInt(finding.address)), `${finding.ruleId} at ${finding.address} is at no jt_*/hit_* label`);
    assert.equal(finding.discovery, 'traversal', `${finding.address}`);
  }
}

describe('scan: jump tables in the traversal (issue 14)', function () {
  this.timeout(180000);
  let dir: string;

  before(() => {
    dir = scratchDir();
  });

  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const source = path.join(FIXTURES, 'switch.c');
  for (const compiler of ['gcc', 'clang'] as const) {
    for (const bits of [64, 32] as const) {
      for (const pic of [false, true]) {
        const flags = pic ? ['-fPIC', '-pie'] : ['-fno-pic', '-no-pie'];
        it(`${compiler} -m${bits} -O2 ${flags.join(' ')}, stripped: every case of both switches through their tables`, async () => {
          const exe = `${compiler}${bits}${pic ? 'pic' : 'nopic'}`;
          run(compiler, [`-m${bits}`, '-O2', '-ffreestanding', '-nostdlib', ...flags, '-o', exe, source], dir);
          run('strip', ['-R', '.eh_frame', '-R', '.eh_frame_hdr', '-o', `${exe}.bare`, exe], dir);
          // The build really dispatches through a table: an indirect jmp, and no direct branch to a case.
          const disassembly = run('objdump', ['-d', '--no-show-raw-insn', exe], dir);
          assert.match(disassembly, /\bjmp\s+\*/, 'an indirect jump');
          expectEveryCase(await scanMessages<Finding>(dir, `${exe}.bare`), labels(dir, exe));
        });
      }
    }
  }

  for (const [bits, compiler, strip, entry, sections] of [
    [64, 'x86_64-w64-mingw32-gcc', 'x86_64-w64-mingw32-strip', '_start', ['-R', '.pdata', '-R', '.xdata']],
    [32, 'i686-w64-mingw32-gcc', 'i686-w64-mingw32-strip', '__start', []],
  ] as const) {
    it(`PE${bits === 64 ? '32+' : '32'} (${compiler} -O2, symbols and unwind tables stripped): every case through the tables`, async () => {
      const exe = `switch${bits}.exe`;
      run(compiler, ['-O2', '-ffreestanding', '-nostdlib', '-fno-asynchronous-unwind-tables', '-e', entry, '-o', exe, source], dir);
      run(strip, [...sections, '-o', `bare${bits}.exe`, exe], dir);
      expectEveryCase(await scanMessages<Finding>(dir, `bare${bits}.exe`), labels(dir, exe, `${compiler.replace(/gcc$/, 'nm')}`));
    });
  }

  describe('a table inside .text, after a call that does not return (nasm + ld, stripped)', () => {
    let truth: Map<string, bigint>;
    before(() => {
      const object = path.join(dir, 'jumptable.o');
      run('nasm', ['-f', 'elf64', '-o', object, path.join(FIXTURES, 'jumptable.asm')], dir);
      run('ld', ['-e', '_start', '-o', 'jumptable', object], dir);
      run('strip', ['-o', 'jumptable.bare', 'jumptable'], dir);
      truth = nmSymbols(dir, 'jumptable');
    });

    it('reports the three cases and nothing from the table the traversal fell into', async () => {
      const findings = await scanMessages<Finding>(dir, 'jumptable.bare', ['--rules', 'all']);
      const expected = ['jt_sgdt', 'jt_sidt', 'jt_smsw'].map((name) => `0x${truth.get(name)!.toString(16)}`);
      assert.deepEqual(
        findings.map((f) => [f.address, f.discovery]),
        expected.map((address) => [address, 'traversal']),
      );
    });

    it('the table has teeth: a linear sweep reads its first entry as PUSHF', async () => {
      const linear = await scanMessages<Finding>(dir, 'jumptable.bare', ['--sweep', 'linear']);
      const begin = truth.get('data_1_begin')!;
      const end = truth.get('data_1_end')!;
      assert.ok(linear.some((f) => f.ruleId === 'pushf' && BigInt(f.address) >= begin && BigInt(f.address) < end));
    });
  });

  describe('a bound that is not proven recovers nothing', () => {
    /** `dispatch` reaches its cases only through `table`; `between` goes where the proof needs nothing. */
    function program(between: string, compare = 'cmp edi, 2\n    ja .default'): string {
      return `bits 64
section .text
global _start
_start:
    mov edi, [rel selector]
    call dispatch
    hlt
dispatch:
    ${compare}
    ${between}
    jmp [table + rdi * 8]
.default:
    ret
case0:
    sgdt [rel saved]
    ret
case1:
    sidt [rel saved]
    ret
case2:
    smsw eax
    ret
section .rodata
table:
    dq case0, case1, case2
section .bss
selector: resd 1
saved: resb 16
`;
    }

    async function casesFound(name: string, text: string): Promise<string[]> {
      run('ld', ['-e', '_start', '-o', name, nasm(dir, name, text, 'elf64')], dir);
      run('strip', [name], dir);
      return (await scanMessages<Finding>(dir, name)).map((f) => f.ruleId).filter((id) => id !== 'hlt');
    }

    it('proven: cmp + ja, and a copy of the index in between', async () => {
      assert.deepEqual(await casesFound('proven', program('mov edi, edi')), ['sgdt', 'sidt', 'smsw']);
    });

    it('not proven: the flags are rewritten between the compare and the branch', async () => {
      assert.deepEqual(await casesFound('flags', program('nop', 'cmp edi, 2\n    add eax, 1\n    ja .default')), []);
    });

    it('not proven: the index is loaded again after the check', async () => {
      assert.deepEqual(await casesFound('reload', program('mov edi, [rel selector]')), []);
    });

    it('not proven: the branch keeps the small values on the other path (jb)', async () => {
      assert.deepEqual(await casesFound('inverted', program('nop', 'cmp edi, 2\n    jb .default')), []);
    });
  });
});
