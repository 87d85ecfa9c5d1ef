// Where the execution mode of each line comes from: comments and settings, the CR0.PE switch in
// straight-line code, the bitness, and the hints of real-mode code (a boot sector's origin,
// BIOS and DOS services). The boot-sector fixture is assembled by nasm to hold it to real code.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeText, type AnalysisOptions, type ExecutionMode, type Finding } from '../../server/src/analysis';
import { DocumentAnalyzer } from '../../server/src/analysis/document/incremental';

const FIXTURE = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'modes', 'boot-sector.asm');

function modes(text: string, options: AnalysisOptions = {}): Array<[number, ExecutionMode]> {
  return (analyzeText(text, options).modeRegions ?? []).map((region) => [region.startLine, region.mode]);
}

function lineOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(needle));
  assert.ok(index >= 0, `no line with ${needle}`);
  return index;
}

describe('execution mode: inference', () => {
  it('64-bit code is long mode and 32-bit code is protected mode, whatever else the file says', () => {
    assert.deepEqual(modes('bits 64\n    cpuid\n', { dialect: 'nasm' }), [[0, 'long']]);
    assert.deepEqual(modes('bits 32\n    cpuid\n', { dialect: 'nasm' }), [[0, 'pm32']]);
  });

  it('16-bit code with nothing to say is unknown', () => {
    assert.deepEqual(modes('bits 16\n    pushf\n    popf\n', { dialect: 'nasm' }), [[0, 'unknown']]);
  });

  // A bitness directive takes effect on the line after it, as the bitness regions say.
  it('the PE switch: real mode before, 16-bit protected mode until the far jump, then 32-bit', () => {
    const text = ['bits 16', '    mov eax, cr0', '    or al, 1', '    mov cr0, eax', '    jmp 0x08:pm', 'bits 32', 'pm:', '    pushfd'].join('\n');
    assert.deepEqual(modes(text, { dialect: 'nasm' }), [
      [0, 'real'],
      [4, 'pm16'],
      [6, 'pm32'],
    ]);
  });

  it('GNU as: `orl $1, %eax` then `movl %eax, %cr0` (operands the other way round)', () => {
    const text = ['.code16', '    movl %cr0, %eax', '    orl $1, %eax', '    movl %eax, %cr0', '    ljmpl $0x08, $pm', '.code32', 'pm:', '    pushfl'].join('\n');
    assert.deepEqual(modes(text, { dialect: 'gas-att' }), [
      [0, 'real'],
      [4, 'pm16'],
      [6, 'pm32'],
    ]);
  });

  it('clearing PE goes back to real mode; LMSW can set PE but never clear it', () => {
    const back = ['bits 32', '    cpuid', 'bits 16', '    mov eax, cr0', '    and eax, ~1', '    mov cr0, eax', '    jmp 0:rm', 'rm:', '    pushf'].join('\n');
    assert.deepEqual(modes(back, { dialect: 'nasm' }), [
      [0, 'pm32'],
      [3, 'pm16'],
      [6, 'real'],
    ]);
    const lmsw = ['bits 16', '    smsw ax', '    and ax, 0xfffe', '    lmsw ax', '    pushf'].join('\n');
    assert.deepEqual(modes(lmsw, { dialect: 'nasm' }), [[0, 'unknown']], 'LMSW cannot clear PE, so nothing is learnt');
  });

  it('a mov to CR0 from a register nobody set says nothing', () => {
    assert.deepEqual(modes('bits 16\n    mov cr0, eax\n    pushf\n', { dialect: 'nasm' }), [[0, 'unknown']]);
  });

  it('16-bit code after 32-bit code is protected mode; after a starting bitness no code ran in, it is not', () => {
    const after32 = 'bits 32\n    cpuid\nbits 16\n    pushf\n';
    assert.deepEqual(modes(after32, { dialect: 'nasm' }), [[0, 'pm32'], [3, 'pm16']]);
    // `bits 16` first thing in a file the build starts at 32 bits (nasm -f elf32): the 32 is a flag, not code.
    const first16 = '; entry\nbits 16\n    pushf\nbits 32\n    cpuid\n';
    assert.deepEqual(modes(first16, { dialect: 'nasm', bits: 32 }), [[0, 'pm32'], [2, 'unknown'], [4, 'pm32']]);
    assert.deepEqual(modes(`${first16}bits 16\n    pushf\n`, { dialect: 'nasm', bits: 32 }), [[0, 'pm32'], [2, 'unknown'], [4, 'pm32'], [6, 'pm16']]);
    // A macro definition is not code that ran.
    const macroFirst = '%macro SAVE 0\n    pushf\n%endmacro\nbits 16\n    pushf\n';
    assert.deepEqual(modes(macroFirst, { dialect: 'nasm', bits: 32 }), [[0, 'pm32'], [4, 'unknown']]);
  });

  it('a boot sector origin or a BIOS/DOS service call makes 16-bit code real mode', () => {
    assert.deepEqual(modes('bits 16\norg 0x7c00\n    pushf\n', { dialect: 'nasm' }), [[0, 'real']]);
    assert.deepEqual(modes('bits 16\n    pushf\n    mov ah, 0x4c\n    int 0x21\n', { dialect: 'nasm' }), [[0, 'real']]);
    assert.deepEqual(modes('bits 16\n    pushf\n    int 0x80\n', { dialect: 'nasm' }), [[0, 'unknown']], 'INT 0x80 is no BIOS service');
  });

  it('comment directives set the mode per region; a bitness the mode cannot have ends it', () => {
    const text = ['bits 16', '; virtlint: mode=v86', '    pushf', '; virtlint: mode=pm16', '    pushf', 'bits 32', '    pushfd'].join('\n');
    assert.deepEqual(modes(text, { dialect: 'nasm' }), [
      [0, 'unknown'],
      [1, 'v86'],
      [3, 'pm16'],
      [6, 'pm32'],
    ]);
    assert.deepEqual(modes('bits 32\n; virtlint: mode=real\n    pushfd\n', { dialect: 'nasm' }), [[0, 'pm32']], '32-bit code cannot be real mode');
  });

  it('the modeline and the `mode` option set the mode at the top; the modeline wins', () => {
    assert.deepEqual(modes('    pushf\n', { dialect: 'nasm', bits: 16, mode: 'v86' }), [[0, 'v86']]);
    assert.deepEqual(modes('; virtlint: dialect=nasm bits=16 mode=pm16\n    pushf\n', { mode: 'real' }), [[0, 'pm16']]);
    const result = analyzeText('    pushf\n', { dialect: 'nasm', bits: 16, mode: 'real' });
    assert.equal(result.findings[0]?.mode, 'real');
  });

  it('the incremental analyzer follows an edit that adds the PE switch', () => {
    const text = ['bits 16', '    pushf', '    mov cr0, eax', '    jmp 0x08:pm', '    popf'].join('\n');
    const analyzer = new DocumentAnalyzer(text, { dialect: 'nasm' });
    assert.deepEqual(analyzer.result().modeRegions?.map((region) => region.mode), ['unknown']);
    analyzer.update([{ range: { start: { line: 2, character: 0 }, end: { line: 2, character: 0 } }, text: '    or eax, 1\n' }]);
    const edited = analyzer.result();
    const fresh = analyzeText(analyzer.text, { dialect: 'nasm' });
    assert.deepEqual(edited.modeRegions, fresh.modeRegions);
    assert.deepEqual(
      edited.findings.map((finding) => [finding.ruleId, finding.mode, finding.severity, finding.message]),
      fresh.findings.map((finding) => [finding.ruleId, finding.mode, finding.severity, finding.message]),
    );
    assert.deepEqual(edited.modeRegions?.map((region) => region.mode), ['real', 'pm16']);
  });

  it('the incremental analyzer follows a new mode in its options (a setting, or the includer the editor picks)', () => {
    const text = ['bits 16', '    pushf'].join('\n');
    const analyzer = new DocumentAnalyzer(text, { dialect: 'nasm', mode: 'pm16' });
    assert.deepEqual(analyzer.result().findings.map((finding) => finding.mode), ['pm16']);
    for (const mode of ['real', 'v86', undefined] as const) {
      analyzer.setOptions({ dialect: 'nasm', ...(mode ? { mode } : {}) });
      const fresh = analyzeText(text, { dialect: 'nasm', ...(mode ? { mode } : {}) });
      assert.deepEqual(analyzer.result().modeRegions, fresh.modeRegions, String(mode));
      assert.deepEqual(
        analyzer.result().findings.map((finding) => [finding.mode, finding.severity, finding.message]),
        fresh.findings.map((finding) => [finding.mode, finding.severity, finding.message]),
      );
    }
    analyzer.setOptions({ dialect: 'nasm', mode: 'real' });
    assert.deepEqual(analyzer.result().findings.map((finding) => finding.mode), ['real']);
  });
});

describe('execution mode: the boot-sector fixture', () => {
  const text = readFileSync(FIXTURE, 'utf8');

  it('assembles with nasm into a 512-byte boot sector', function () {
    let dir: string | undefined;
    try {
      dir = mkdtempSync(join(tmpdir(), 'virtlint-boot-'));
      const output = join(dir, 'boot.bin');
      try {
        execFileSync('nasm', ['-f', 'bin', '-o', output, FIXTURE], { stdio: 'pipe' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') this.skip();
        throw error;
      }
      assert.equal(statSync(output).size, 512);
      const bytes = readFileSync(output);
      assert.equal(bytes.readUInt16LE(510), 0xaa55);
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  const switchLine = lineOf(text, 'mov cr0, eax');
  const result = analyzeText(text, {});
  const realPart = (finding: Finding): boolean => finding.range.start.line < switchLine;

  it('reads real mode up to the PE switch, 16-bit protected mode at the far jump, then 32-bit', () => {
    assert.deepEqual(
      result.modeRegions?.map((region) => [region.startLine, region.mode]),
      [
        [0, 'real'],
        [switchLine + 1, 'pm16'],
        [lineOf(text, 'bits 32') + 1, 'pm32'],
      ],
    );
  });

  it('the real-mode part reports only what is true there', () => {
    const real = result.findings.filter(realPart);
    for (const finding of real) {
      assert.equal(finding.mode, 'real');
      assert.doesNotMatch(finding.message, /real CPL|CPL>0/, finding.message);
    }
    // Segment loads and PUSH CS: real mode checks nothing, so nothing is reported.
    assert.deepEqual(real.filter((finding) => finding.ruleId.endsWith('-sreg')), []);
    // POPF, PUSHF and INT 0x10 trap to a virtual-8086 monitor when IOPL < 3: hints, not errors.
    for (const ruleId of ['pushf', 'popf', 'int']) {
      const found = real.filter((finding) => finding.ruleId === ruleId);
      assert.equal(found.length, 1, ruleId);
      assert.equal(found[0]!.severity, 'hint', ruleId);
    }
    // SMSW and SGDT still leak under a software VMM: real mode does not change that.
    assert.equal(real.find((finding) => finding.ruleId === 'smsw')?.severity, 'warning');
    assert.equal(real.find((finding) => finding.ruleId === 'sgdt')?.severity, 'warning');
    assert.ok(real.every((finding) => finding.severity !== 'error'));
  });

  it('the 32-bit part is protected mode again', () => {
    const popfd = result.findings.find((finding) => finding.ruleId === 'popf' && !realPart(finding));
    assert.equal(popfd?.mode, 'pm32');
    assert.equal(popfd?.severity, 'error');
    const loads = result.findings.filter((finding) => finding.ruleId === 'mov-sreg' && !realPart(finding));
    assert.ok(loads.length >= 2, 'the 32-bit data and stack segment loads are reported');
  });
});
