// A fix changes its own line and nothing else about how the file is read: comments that
// continue onto the next line keep continuing into it, lines are counted as the analysis
// counts them (a lone CR ends a line), added lines end like the line they replace, and the
// dialect and starting bitness read from the fixed text are the ones the fixes were written
// for. Checked with the real assemblers: the fixed file's code must be the original's with
// the fix's bytes in place of the instruction's.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { analyzeText, DocumentAnalyzer, type AnalysisOptions, type Bits } from '../../server/src/analysis';
import { applyEdits, fixAll, FORCED_EMULATION_PREFIX, hypercallDefinitions, type FixOptions, type FixStrategy } from '../../server/src/analysis/fixes';
import { assembleDetailed, type Assembler } from '../helpers/assemble';

const KVM_PREFIX = Buffer.from(FORCED_EMULATION_PREFIX.kvm);

function fixed(text: string, strategy: FixStrategy, options: AnalysisOptions = {}, fixOptions: FixOptions = { abi: 'kvm' }): string {
  const result = analyzeText(text, options);
  return applyEdits(text, fixAll(text, result, strategy, fixOptions));
}

function image(assembler: Assembler, text: string, bits: Bits): string {
  return Buffer.from(assembleDetailed(assembler, text, { bits }).image).toString('hex');
}

/** `.S` files go through cpp, which splices a line ending in `\` onto the next, comments included. */
function cppImage(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtlint-cpp-'));
  try {
    fs.writeFileSync(path.join(dir, 'src.S'), text);
    const steps: [string, string[]][] = [
      ['gcc', ['-c', '-x', 'assembler-with-cpp', 'src.S', '-o', 'src.o']],
      ['objcopy', ['-O', 'binary', '-j', '.text', 'src.o', 'src.bin']],
    ];
    for (const [tool, args] of steps) {
      const run = spawnSync(tool, args, { cwd: dir, encoding: 'utf8' });
      if (run.error) throw new Error(`${tool} is required by this test (apt-get install -y gcc binutils): ${run.error.message}`);
      assert.equal(run.status, 0, `${tool} failed:\n${run.stderr}\n${text}`);
    }
    return fs.readFileSync(path.join(dir, 'src.bin')).toString('hex');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const PREFIX = KVM_PREFIX.toString('hex');

describe('fixes: a comment that continues onto the next line', () => {
  it('GNU as: an unclosed /* stays at the end of the kept instruction, which stays code (the reported case)', () => {
    const text = '.code64\n    pushfq /* saved flags, see\n       the note below */\n    nop\n';
    const after = fixed(text, 'trap');
    assert.equal(image('gas', text, 64), '9c90');
    assert.equal(image('gas', after, 64), `${PREFIX}9c90`, after);
    assert.match(after, /^ {4}pushfq \/\* virtlint-fixed: pushf \*\/ \/\* saved flags, see\n {7}the note below \*\/$/m);
  });

  it('GNU as Intel: the same with a hypercall, whose last line takes the comment', () => {
    const text = '.intel_syntax noprefix\n.code64\n    rdtsc /* keeps going\n    xor eax, eax */\n    nop\n';
    // Numbers defined in the file: the fix adds no include (the assembler here sees one file).
    const defs = hypercallDefinitions('gas-intel', 'kvm');
    const after = fixed(defs + text, 'hypercall', { rules: ['all'] });
    assert.match(after, /lea rsp, \[rsp\+136\] \/\* keeps going\n {4}xor eax, eax \*\/\n/);
    const bytes = image('gas', after, 64);
    assert.ok(bytes.includes('0f01c1'), 'the VMCALL is code, not comment');
    assert.ok(bytes.endsWith('90') && !bytes.includes('31c0'), `the commented-out xor stays commented out: ${bytes}`);
  });

  it('cpp: a # or // comment ending in a backslash still swallows the next line, and the kept instruction stays code', () => {
    for (const comment of ['# saved \\', '// saved \\']) {
      const text = `.code64\n    pushfq ${comment}\n    popfq\n    nop\n`;
      const after = fixed(text, 'trap');
      assert.equal(cppImage(text), '9c90', 'cpp splices the popfq into the comment');
      assert.equal(cppImage(after), `${PREFIX}9c90`, after);
    }
  });

  it('NASM: a comment ending in a backslash still continues into the line it continued into', () => {
    const text = 'bits 32\n    pushf ; saved \\\n    popf\n    nop\n';
    const after = fixed(text, 'trap');
    assert.equal(image('nasm', text, 32), '9c90', 'nasm joins the popf into the comment');
    assert.equal(image('nasm', after, 32), `${PREFIX}9c90`, after);
    assert.match(after, /^ {4}pushf ; virtlint-fixed: pushf -- ; saved \\\n {4}popf$/m);
  });

  it('FASM: a backslash continuation above the fixed line and a backslash at the end of its comment', () => {
    const text = 'use32\n    mov eax, \\ ; continued\n        1\n    pushf ; saved \\\n    nop\n';
    const after = fixed(text, 'trap');
    assert.equal(image('fasm', text, 32), 'b8010000009c90');
    assert.equal(image('fasm', after, 32), `b801000000${PREFIX}9c90`, after);
  });

  it('MASM: the backslash stays last on the last line, after the kept instruction', () => {
    const text = '.model flat\n.code\n    pushfd ; saved \\\n    popfd\nend\n';
    const after = fixed(text, 'trap');
    const lines = after.split('\n');
    const kept = lines.findIndex((line) => line.trim().startsWith('pushfd'));
    assert.equal(lines[kept], '    pushfd ; virtlint-fixed: pushf -- ; saved \\');
    assert.equal(lines[kept + 1], '    popfd', 'a line that may be spliced onto the one above is not fixed');
    assert.match(lines[kept - 1]!, /^ {4}db 0Fh, 0Bh, 6Bh, 76h, 6Dh/);
  });

  it('virtlint-disable-next-line in the trailing comment still names the line it named', () => {
    const text = 'bits 32\n    pushf ; virtlint-disable-next-line popf -- flags are compared only\n    popf\n';
    const after = fixed(text, 'trap');
    assert.deepEqual(analyzeText(after).findings.map((f) => f.ruleId), []);
    assert.equal(fixed(after, 'trap'), after, 'a second run changes nothing');
  });
});

describe('fixes: what stands before the instruction', () => {
  it('a times count or a GNU as prefix statement belongs to the instruction: no fix', () => {
    for (const [text, options] of [
      ['bits 32\n    times 2 pushf\n', {}],
      ['.code32\n    rep; pushf\n', {}],
    ] as const) {
      assert.ok(analyzeText(text, options).findings.some((f) => f.ruleId === 'pushf'), text);
      assert.equal(fixed(text, 'trap', options), text);
    }
  });

  it('labels and a complete GNU as statement stay in front of the fix', () => {
    const text = '.code32\nstart: nop; pushf\n';
    const after = fixed(text, 'trap');
    assert.equal(image('gas', after, 32), `90${PREFIX}9c`, after);
  });
});

describe('fixes: lines are counted as the analysis counts them', () => {
  it('a lone CR ends a line: the instruction after it gets the fix, the line after it keeps its bytes', () => {
    const text = 'bits 32\nnop ; hello\rpushf\nret\n';
    const after = fixed(text, 'trap');
    assert.equal(image('nasm', text, 32), '909cc3');
    assert.equal(image('nasm', after, 32), `90${PREFIX}9cc3`, after);
  });

  it('a file with only lone CRs gets its fixes, written with lone CRs', () => {
    const text = 'bits 32\rnop\rpopf\r';
    const edits = fixAll(text, analyzeText(text), 'trap', { abi: 'kvm' });
    assert.equal(edits.length, 1);
    const after = applyEdits(text, edits);
    assert.ok(!after.includes('\n'), JSON.stringify(after));
    assert.match(image('nasm', after, 32), /^90.*9d$/);
  });

  it('applyEdits counts a lone CR, CRLF and LF as one line break each', () => {
    const at = (line: number, character: number) => ({ start: { line, character }, end: { line, character } });
    assert.equal(applyEdits('a\rb\r\nc\nd', [{ range: at(1, 1), newText: '1' }, { range: at(2, 0), newText: '2' }, { range: at(3, 5), newText: '3' }]), 'a\rb1\r\n2c\nd3');
  });
});

describe('fixes: added lines end like the line they replace', () => {
  const text = 'bits 64\ncpuid\r\nnop\nrdtsc\n';

  it('one CRLF line in an LF file: CRLF inside its fix, LF elsewhere', () => {
    const after = fixed(text, 'trap', { rules: ['all'] });
    const lines = after.split('\n');
    const crlf = lines.filter((line) => line.endsWith('\r')).map((line) => line.trim());
    assert.deepEqual(crlf, [`; virtlint: KVM forced-emulation prefix for CPUID, needs kvm.force_emulation_prefix=1; elsewhere its ud2 is an invalid-opcode fault`, `db 0x0f, 0x0b, 0x6b, 0x76, 0x6d ; KVM forced-emulation prefix (ud2 + "kvm")`, 'cpuid ; virtlint-fixed: cpuid'], after);
    assert.ok(after.includes('rdtsc ; virtlint-fixed: rdtsc\n'), after);
  });

  it('the editor path (lines held by the analyzer) writes the same edits', () => {
    const analyzer = new DocumentAnalyzer(text, { rules: ['all'] });
    const fromLines = fixAll(analyzer.lines(), analyzer.result(), 'trap', { abi: 'kvm' });
    assert.equal(fromLines.length, 2);
    assert.match(fromLines[0]!.newText, /\r\n/);
    assert.doesNotMatch(fromLines[1]!.newText, /\r/);
    assert.deepEqual(fromLines, fixAll(text, analyzeText(text, { rules: ['all'] }), 'trap', { abi: 'kvm' }));
  });
});

describe('fixes: the fixed file is read as the original was', () => {
  const reading = (text: string, options: AnalysisOptions = {}) => {
    const r = analyzeText(text, options);
    return `${r.dialect}/${r.bits}`;
  };

  it('code added after a later `bits 64` does not make the file start in 64-bit code; a second run changes nothing', () => {
    const text = 'pushfq\nbits 64\nsmsw eax\n';
    const after = fixed(text, 'trap');
    assert.notEqual(after, text);
    assert.equal(reading(after), reading(text));
    assert.equal(fixed(after, 'trap'), after);
  });

  it('hypercalls for a file read as 32-bit code stay valid there: no invalid-in-mode, and nasm assembles it', () => {
    const text = 'cpuid\nbits 64\nsmsw eax\n';
    const options = { rules: ['all'] };
    const after = fixed(text, 'hypercall', options);
    assert.equal(reading(after, options), reading(text, options));
    assert.deepEqual(analyzeText(after, options).findings.map((f) => f.ruleId), []);
    assert.equal(fixed(after, 'hypercall', options), after);
    // The fix includes the definitions file; the assembler here sees one file, so its text replaces the include.
    const include = '%include "virtlint-hypercalls.inc"\n';
    assert.ok(after.includes(include), after);
    image('nasm', after.replace(include, hypercallDefinitions('nasm', 'kvm')), analyzeText(text, options).bits);
  });

  it('MOV from CR0 in a 16-bit boot sector keeps it 16-bit code', () => {
    const text = 'org 0x7c00\nsmsw ax\n';
    const after = fixed(text, 'trap');
    assert.equal(reading(text), 'nasm/16');
    assert.equal(reading(after), 'nasm/16');
    assert.equal(fixed(after, 'trap'), after);
  });

  it('a modeline that added lines push out of the first 20 lines still holds', () => {
    const text = [...Array<string>(10).fill('pushf'), ...Array<string>(9).fill(''), '; virtlint: dialect=nasm bits=16', ...Array<string>(30).fill('nop')].join('\n') + '\n';
    assert.equal(reading(text), 'nasm/16');
    const after = fixed(text, 'trap');
    assert.equal(reading(after), 'nasm/16');
    assert.equal(fixed(after, 'trap'), after);
  });

  it('adds nothing when the reading does not change', () => {
    const text = 'bits 32\npopf\nsmsw ax\n';
    const after = fixed(text, 'trap');
    assert.doesNotMatch(after, /virtlint: (dialect|bits)=/);
  });
});
