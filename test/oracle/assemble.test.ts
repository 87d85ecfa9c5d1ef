// Checks the assembler helper itself against encodings taken from the Intel SDM, so a
// listing-parsing slip cannot make the oracle test agree with itself for the wrong reason.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { assemble, assembleDetailed, concatLines, decodeAll, parseGasListing, parseNasmListing, type LineBytes } from '../helpers/assemble';

function hexByLine(lines: LineBytes): Record<number, string> {
  const out: Record<number, string> = {};
  for (const [line, bytes] of lines) out[line] = Buffer.from(bytes).toString('hex');
  return out;
}

describe('assembler helper', () => {
  it('nasm: bytes per line, macro bytes on the invocation line, wrapped long runs joined', () => {
    const source = [
      '%macro both 0', // 1
      '  pushf', // 2
      '  popf', // 3
      '%endmacro', // 4
      'start: pushfq', // 5
      '  mov rax, 0x1122334455667788', // 6
      '  both', // 7
      '  ; nothing here', // 8
      '  jmp far [rax]', // 9
    ].join('\n');
    assert.deepEqual(hexByLine(assemble('nasm', source, { bits: 64 })), {
      5: '9c',
      6: '48b88877665544332211',
      7: '9c9d',
      9: '48ff28',
    });
  });

  it('nasm: 16-bit initial mode and `\\` continuation lines', () => {
    const source = ['push cs', 'mov ax, \\', '  bx', 'pushfd'].join('\n');
    assert.deepEqual(hexByLine(assemble('nasm', source, { bits: 16 })), { 1: '0e', 2: '89d8', 4: '669c' });
  });

  it('gas: statement separators, wrapped byte runs, .code16 at the top for 16-bit', () => {
    const source = ['pushf; popf', 'movl $0x11223344, %eax', 'lret'].join('\n');
    assert.deepEqual(hexByLine(assemble('gas', source, { bits: 16 })), {
      1: '9c9d',
      2: '66b844332211',
      3: 'cb',
    });
    const wide = ['.byte 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20', 'pushfq'].join('\n');
    const lines = assemble('gas', wide, { bits: 64 });
    assert.equal(lines.get(1)?.length, 20);
    assert.equal(Buffer.from(lines.get(2) ?? []).toString('hex'), '9c');
  });

  it('fasm: bytes between inserted markers, forward references resolved', () => {
    const source = ['use32', 'start: pushfd', '  jmp far fword [eax]', '  jmp fwd', '  db 1,2,3', 'fwd: iretd'].join('\n');
    assert.deepEqual(hexByLine(assemble('fasm', source, { bits: 32 })), {
      2: '9c',
      3: 'ff28',
      4: 'eb03',
      5: '010203',
      6: 'cf',
    });
  });

  it('fasm: macro bodies get no markers; the invocation line owns the bytes', () => {
    const source = ['macro both {', '  pushf', '  popf', '}', 'use16', 'both'].join('\n');
    assert.deepEqual(hexByLine(assemble('fasm', source, { bits: 16 })), { 6: '9c9d' });
  });

  it('fasm: a `\\` continued statement is attributed to its first line', () => {
    const source = ['use32', 'mov ds, \\', '    ax', 'pushfd'].join('\n');
    assert.deepEqual(hexByLine(assemble('fasm', source, { bits: 32 })), { 2: '8ed8', 4: '9c' });
  });

  it('fasm: `format PE` sources are assembled flat, output-format lines commented out', () => {
    const source = ['format PE console', 'entry start', "section '.text' code readable executable", 'start:', '  pushfd', '  ret'].join('\n');
    assert.deepEqual(hexByLine(assemble('fasm', source, { bits: 32 })), { 5: '9c', 6: 'c3' });
  });

  it('nasm: relocated fields shown as [..] / (..) in the listing keep their length', () => {
    const source = ['start: nop', 'jmp 0x08:start', 'call start'].join('\n');
    assert.deepEqual(hexByLine(assemble('nasm', source, { bits: 16 })), { 1: '90', 2: 'ea00000800', 3: 'e8f7ff' }); // rel16 = 0 - 9
  });

  it('nasm: `times` repeats and reserved space are expanded like the binary', () => {
    const source = ['times 3 pushf', 'resb 2', 'nop'].join('\n');
    const { lines, image } = assembleDetailed('nasm', source, { bits: 32 });
    assert.deepEqual(hexByLine(lines), { 1: '9c9c9c', 2: '0000', 3: '90' });
    assert.ok(concatLines(lines).equals(image));
  });

  it('gas: the per-line bytes add up to the .text section', () => {
    const source = ['pushfl; popfl', 'lcall $0x08, $0', '1: jmp 1b', '.byte 1,2,3'].join('\n');
    const { lines, image } = assembleDetailed('gas', source, { bits: 32 });
    assert.ok(concatLines(lines).equals(image), `${concatLines(lines).toString('hex')} vs ${Buffer.from(image).toString('hex')}`);
  });

  it('a missing assembler is a loud, explained error (never a skip)', () => {
    const helper = path.resolve(__dirname, '../helpers/assemble.js');
    const script = `try { require(${JSON.stringify(helper)}).assemble('nasm', 'nop', { bits: 32 }); console.log('NO ERROR'); } catch (e) { console.log(e.constructor.name + ': ' + e.message); }`;
    const child = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, PATH: '/nonexistent' }, encoding: 'utf8' });
    assert.match(child.stdout, /^AssemblerMissingError: nasm \(nasm\) is required .* apt-get install -y nasm/);
  });

  it('gas: refuses .S input that needs the C preprocessor instead of assembling it wrongly', () => {
    assert.throws(() => assemble('gas', '#include <asm.h>\npushf', { bits: 32 }), /C preprocessor/);
    assert.throws(() => assemble('gas', '#ifdef __x86_64__\npushfq\n#endif', { bits: 64 }), /C preprocessor/);
    // An ordinary `#` comment that happens to start with a cpp word is fine.
    assert.equal(assemble('gas', '# if the flags matter:\npushf', { bits: 32 }).get(2)?.length, 1);
  });

  it('surfaces assembler errors instead of returning nothing', () => {
    assert.throws(() => assemble('nasm', 'this is not an instruction ,,,', { bits: 32 }), /nasm .* exited with/);
    assert.throws(() => assemble('gas', 'movq %zz, %rax', { bits: 64 }), /as .* exited with/);
    assert.throws(() => assemble('fasm', 'mov eax,,', { bits: 32 }), /fasm .* exited with/);
  });

  it('listing parsers ignore headers and keep continuation order', () => {
    const nasm = parseNasmListing(
      ['     1 00000000 48B888776655443322-       mov rax, 0x1122334455667788', '     1 00000009 11                 '].join('\n'),
    );
    assert.equal(Buffer.from(nasm.get(1) ?? []).toString('hex'), '48b8887766554433' + '2211');
    const gas = parseGasListing(['GAS LISTING src.s \t\t\tpage 1', '   3 0002 48B88877 \t  movabs $1, %rax', '   3      66554433 ', '   3      2211'].join('\n'));
    assert.equal(Buffer.from(gas.get(3) ?? []).toString('hex'), '48b88877665544332211');
  });

  it('decodes with iced-x86 at the given bitness', () => {
    const decoded = decodeAll(Uint8Array.from([0x9c, 0x0e, 0xcf]), 32);
    assert.deepEqual(
      decoded.map((d) => d.codeName),
      ['Pushfd', 'Pushd_CS', 'Iretd'],
    );
    assert.deepEqual(
      decodeAll(Uint8Array.from([0x9c, 0x48, 0xcf]), 64).map((d) => [d.codeName, d.length]),
      [
        ['Pushfq', 1],
        ['Iretq', 2],
      ],
    );
    // 0x0E (push cs) does not exist in 64-bit mode.
    assert.deepEqual(
      decodeAll(Uint8Array.from([0x0e]), 64).map((d) => d.codeName),
      ['INVALID'],
    );
  });
});
