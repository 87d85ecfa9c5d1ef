// Assembly for other instruction sets is recognised so it can be left alone. Each fixture is real
// code for its architecture: that architecture's GNU as accepts it and x86's rejects it.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { analyzeText } from '../../server/src/analysis/index';
import { foreignArchitectureOf } from '../../server/src/analysis/syntax/architecture';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const FOREIGN = path.join(ROOT, 'test', 'fixtures', 'foreign');

const FIXTURES: Array<{ file: string; architecture: string; assembler: string; flags: string[] }> = [
  { file: 'entry-arm64.S', architecture: 'arm64', assembler: 'aarch64-linux-gnu-as', flags: [] },
  { file: 'head-arm.S', architecture: 'arm', assembler: 'arm-linux-gnueabihf-as', flags: [] },
  { file: 'trap-riscv.S', architecture: 'riscv', assembler: 'riscv64-linux-gnu-as', flags: [] },
  { file: 'head-ppc.S', architecture: 'powerpc', assembler: 'powerpc64le-linux-gnu-as', flags: ['-mregnames'] },
  { file: 'start-mips.S', architecture: 'mips', assembler: 'mips-linux-gnu-as', flags: [] },
];

function assembles(assembler: string, flags: string[], file: string): boolean {
  const out = path.join(os.tmpdir(), `virtlint-foreign-${process.pid}.o`);
  const run = spawnSync(assembler, [...flags, '-o', out, file], { encoding: 'utf8' });
  if (run.error) throw new Error(`${assembler} is required by this test but could not be run: ${run.error.message}`);
  fs.rmSync(out, { force: true });
  return run.status === 0;
}

/** Every x86 source the test suite and the examples hold, read the way detection reads them. */
function x86Sources(): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (full !== FOREIGN) walk(full);
      } else if (/\.(asm|s|S|inc|nasm|fasm|masm)$/.test(entry.name) && fs.statSync(full).size < 2_000_000) found.push(full);
    }
  };
  walk(path.join(ROOT, 'test', 'fixtures'));
  walk(path.join(ROOT, 'examples'));
  return found;
}

describe('other instruction sets are recognised', () => {
  for (const fixture of FIXTURES) {
    it(`${fixture.file} is ${fixture.architecture}`, () => {
      const file = path.join(FOREIGN, fixture.file);
      assert.ok(assembles(fixture.assembler, fixture.flags, file), `${fixture.assembler} accepts ${fixture.file}`);
      assert.ok(!assembles('as', [], file), `x86's GNU as rejects ${fixture.file}`);
      assert.equal(foreignArchitectureOf(fs.readFileSync(file, 'utf8')), fixture.architecture);
    });
  }

  it('the analysis reports nothing in such a file and says which instruction set it is', () => {
    for (const fixture of FIXTURES) {
      const text = fs.readFileSync(path.join(FOREIGN, fixture.file), 'utf8');
      const asX86 = analyzeText(text, { fileName: fixture.file, dialect: 'gas-att', rules: ['all'] });
      assert.ok(asX86.findings.length > 0, `${fixture.file} read as x86 by force is full of noise (the check below is not vacuous)`);
      const result = analyzeText(text, { fileName: fixture.file, rules: ['all'] });
      assert.equal(result.architecture, fixture.architecture);
      assert.deepEqual(result.findings, [], fixture.file);
    }
  });

  it('a modeline that names an x86 dialect wins over the recognition', () => {
    const text = `# virtlint: dialect=gas-att bits=64\n${fs.readFileSync(path.join(FOREIGN, 'entry-arm64.S'), 'utf8')}`;
    const result = analyzeText(text, { fileName: 'entry-arm64.S', rules: ['all'] });
    assert.equal(result.architecture, undefined);
    assert.ok(result.findings.length > 0);
  });

  it('no x86 source in the fixtures and examples is taken for another architecture', () => {
    const sources = x86Sources();
    assert.ok(sources.length > 50, `found ${sources.length} x86 sources`);
    const wrong = sources.filter((file) => foreignArchitectureOf(fs.readFileSync(file, 'latin1')) !== undefined);
    assert.deepEqual(wrong.map((file) => path.relative(ROOT, file)), []);
  });

  it('a few foreign-looking lines in x86 code, or prose in comments, are not enough', () => {
    const x86 = ['    mov eax, 1', '    ; ldp x29, x30, [sp] in the arm64 version', '    push ebx', '    sd a0, 8(sp)', '    pop ebx', '    ret'].join('\n');
    assert.equal(foreignArchitectureOf(x86), undefined);
    assert.equal(foreignArchitectureOf(''), undefined);
  });

  it('another set wins only with at least twice the x86 lines plus four, wherever its lines are', () => {
    // The reading may stop early once x86 cannot be outvoted; lines at the very end still count.
    for (let x86Lines = 1; x86Lines <= 6; x86Lines++) {
      const needed = 2 * x86Lines + 4;
      for (const arm64Lines of [needed - 1, needed]) {
        const x86 = Array.from({ length: x86Lines }, (_, i) => `\tmovq %rax, ${8 * i}(%rbx)`);
        const arm64 = Array.from({ length: arm64Lines }, (_, i) => `\tldr x${i % 29}, [x1, #${8 * i}]`);
        const expected = arm64Lines >= needed ? 'arm64' : undefined;
        assert.equal(foreignArchitectureOf([...x86, ...arm64].join('\n')), expected, `${x86Lines} x86 lines, then ${arm64Lines} arm64 lines`);
        assert.equal(foreignArchitectureOf([...x86, ...arm64, '', '.end'].join('\n')), expected, `the same with blank and directive lines after`);
      }
    }
  });
});
