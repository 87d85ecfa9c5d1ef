// ELF, PE/COFF and raw images built at test time: sections, symbols, addresses and findings.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveRuleSelection } from '../../server/src/analysis/catalogue';
import { ScanInputError } from '../../server/src/binary/image';
import { loadImage } from '../../server/src/scan/load';
import { scanImage, type BinaryFinding } from '../../server/src/scan/scanner';
import { parseSystemMap, SymbolIndex } from '../../server/src/binary/symbols';
import { referenceSweep } from '../../server/src/binary/sweep';
import { ld, nasm, nmSymbols, randomBytes, run, scratchDir } from './toolchain';

const ALL = resolveRuleSelection(['all'], 'deprivileged-kernel');

async function scanFile(file: string, options: Parameters<typeof loadImage>[1] = {}, extra?: SymbolIndex): Promise<BinaryFinding[]> {
  const image = loadImage(new Uint8Array(fs.readFileSync(file)), options);
  const base = { profile: 'deprivileged-kernel' as const, enabled: ALL.enabled, includeInt3: true };
  return (await scanImage(image, extra ? { ...base, extraSymbols: extra } : base)).findings;
}

const SOURCE64 = `bits 64
section .text
global _start
global read_flags
global probe_cpu
_start:
    nop
    call read_flags
    call probe_cpu
    ret
read_flags:
    push rbp
    pushfq
    pop rax
    pop rbp
    ret
probe_cpu:
    xor eax, eax
    cpuid
    rdtsc
    sgdt [rsp-16]
    ret
`;

// 32-bit Windows decorates C names with a leading underscore; the export table drops it again.
const decorate = (source: string): string => source.replace(/\b(read_flags|probe_cpu|_start)\b/g, '_$1');

const SOURCE32 = SOURCE64.replace('bits 64', 'bits 32').replace('push rbp', 'push ebp').replace('pushfq', 'pushfd').replace('pop rax', 'pop eax').replace('pop rbp', 'pop ebp').replace('[rsp-16]', '[esp-16]');

function expectFindings(findings: BinaryFinding[], symbols: Map<string, bigint>, bits: 32 | 64): void {
  const rules = findings.map((f) => f.ruleId);
  assert.deepEqual(rules, ['pushf', 'cpuid', 'rdtsc', 'sgdt']);
  const readFlags = symbols.get('read_flags');
  const probeCpu = symbols.get('probe_cpu');
  assert.ok(readFlags !== undefined && probeCpu !== undefined, 'nm lists both functions');
  // read_flags: push rbp (1 byte) then pushf.
  assert.equal(findings[0]!.address, readFlags + 1n);
  assert.equal(findings[0]!.symbol, 'read_flags+0x1');
  assert.equal(findings[0]!.text, bits === 64 ? 'pushfq' : 'pushfd');
  // probe_cpu: xor eax,eax (2 bytes) then cpuid (2) then rdtsc (2).
  assert.equal(findings[1]!.address, probeCpu + 2n);
  assert.equal(findings[1]!.symbol, 'probe_cpu+0x2');
  assert.equal(findings[2]!.symbol, 'probe_cpu+0x4');
  assert.equal(findings[3]!.symbol, 'probe_cpu+0x6');
  for (const f of findings) assert.equal(f.section, '.text');
}

describe('scan: file formats', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = scratchDir();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('ELF64 executable (nasm -f elf64 + ld): addresses and symbol+offset match nm', async () => {
    const obj = nasm(dir, 'prog64', SOURCE64, 'elf64');
    const exe = ld(dir, [obj], 'prog64');
    const image = loadImage(new Uint8Array(fs.readFileSync(exe)));
    assert.equal(image.format, 'elf64');
    assert.equal(image.bits, 64);
    assert.deepEqual(image.sections.map((s) => s.name), ['.text']);
    expectFindings(await scanFile(exe), nmSymbols(dir, exe), 64);
  });

  it('ELF32 executable (nasm -f elf32 + ld -m elf_i386)', async () => {
    const obj = nasm(dir, 'prog32', SOURCE32, 'elf32');
    const exe = ld(dir, ['-m', 'elf_i386', obj], 'prog32');
    const image = loadImage(new Uint8Array(fs.readFileSync(exe)));
    assert.equal(image.format, 'elf32');
    assert.equal(image.bits, 32);
    expectFindings(await scanFile(exe), nmSymbols(dir, exe), 32);
  });

  it('ELF64 relocatable object: symbols attributed within their section', async () => {
    const obj = nasm(dir, 'obj64', SOURCE64, 'elf64');
    const findings = await scanFile(obj);
    assert.deepEqual(findings.map((f) => f.symbol), ['read_flags+0x1', 'probe_cpu+0x2', 'probe_cpu+0x4', 'probe_cpu+0x6']);
  });

  it('stripped ELF + System.map (built with nm): symbols come from the map', async () => {
    const obj = nasm(dir, 'strip64', SOURCE64, 'elf64');
    const exe = ld(dir, [obj], 'strip64');
    const map = run('nm', [exe], dir);
    run('strip', [exe], dir);
    assert.equal(loadImage(new Uint8Array(fs.readFileSync(exe))).symbols.length, 0, 'strip removed the symbols');
    const findings = await scanFile(exe, {}, new SymbolIndex(parseSystemMap(map, 'System.map')));
    expectFindings(findings, new Map(parseSystemMap(map, 'System.map').map((s) => [s.name, s.address])), 64);
  });

  for (const [format, emulation, bits] of [
    ['win64', 'i386pep', 64],
    ['win32', 'i386pe', 32],
  ] as const) {
    const source = bits === 64 ? SOURCE64 : decorate(SOURCE32);
    const prefix = bits === 64 ? '' : '_';
    const entry = `${prefix}_start`;
    it(`COFF object (nasm -f ${format})`, async () => {
      const obj = nasm(dir, `coff${bits}`, source, format);
      const image = loadImage(new Uint8Array(fs.readFileSync(obj)));
      assert.equal(image.format, 'coff');
      assert.equal(image.bits, bits);
      const findings = await scanFile(obj);
      assert.deepEqual(findings.map((f) => f.ruleId), ['pushf', 'cpuid', 'rdtsc', 'sgdt']);
      assert.deepEqual(findings.map((f) => f.symbol), [`${prefix}read_flags+0x1`, `${prefix}probe_cpu+0x2`, `${prefix}probe_cpu+0x4`, `${prefix}probe_cpu+0x6`]);
    });

    it(`PE image (ld -m ${emulation}) with an export table`, async () => {
      const obj = nasm(dir, `pe${bits}`, source, format);
      const dll = ld(dir, ['-m', emulation, '--shared', '--export-all-symbols', '-e', entry, obj], `pe${bits}.dll`);
      const image = loadImage(new Uint8Array(fs.readFileSync(dll)));
      assert.equal(image.format, bits === 64 ? 'pe32+' : 'pe32');
      assert.equal(image.bits, bits);
      assert.ok(image.sections.some((s) => s.name === '.text'));
      const exported = new Set(image.symbols.map((s) => s.name));
      assert.ok(exported.has('read_flags') && exported.has('probe_cpu'), `exports: ${[...exported].join(', ')}`);
      const findings = await scanFile(dll);
      assert.deepEqual(findings.map((f) => f.ruleId), ['pushf', 'cpuid', 'rdtsc', 'sgdt']);
      assert.deepEqual(findings.map((f) => f.symbol), ['read_flags+0x1', 'probe_cpu+0x2', 'probe_cpu+0x4', 'probe_cpu+0x6']);
      const text = image.sections.find((s) => s.name === '.text')!;
      assert.ok(findings.every((f) => f.address >= text.address && f.address < text.address + BigInt(text.bytes.length)));
    });
  }

  it('gcc-compiled C with inline assembly: findings attributed to the right functions, counts equal a plain iced sweep', async () => {
    const src = path.join(dir, 'prog.c');
    fs.writeFileSync(
      src,
      [
        'unsigned long read_flags(void) { unsigned long f; __asm__ volatile("pushf; pop %0" : "=r"(f)); return f; }',
        'unsigned probe_cpu(void) { unsigned a = 0, b, c = 0, d; __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d)); return a ^ b; }',
        'int main(void) { return (int)(read_flags() + probe_cpu()); }',
      ].join('\n'),
    );
    const exe = path.join(dir, 'prog');
    run('gcc', ['-O1', '-fno-inline', '-o', exe, src], dir);
    const findings = (await scanFile(exe)).filter((f) => f.section === '.text');
    const pushf = findings.filter((f) => f.ruleId === 'pushf');
    const cpuid = findings.filter((f) => f.ruleId === 'cpuid');
    assert.equal(pushf.length, 1);
    assert.equal(cpuid.length, 1);
    assert.match(pushf[0]!.symbol ?? '', /^read_flags(\+0x[0-9a-f]+)?$/);
    assert.match(cpuid[0]!.symbol ?? '', /^probe_cpu(\+0x[0-9a-f]+)?$/);
    const image = loadImage(new Uint8Array(fs.readFileSync(exe)));
    for (const section of image.sections) {
      const reference = referenceSweep(section.bytes, section.bits);
      const ours = (await scanFile(exe)).filter((f) => f.section === section.name);
      assert.equal(ours.length, reference.offsets.length, `${section.name}: findings vs plain iced sweep`);
    }
  });

  it('raw 16-bit boot sector (nasm -f bin) with --bits 16 --base 0x7c00', async () => {
    const bin = nasm(dir, 'boot', 'bits 16\norg 0x7c00\ncli\nxor ax, ax\nmov ds, ax\nsmsw ax\nlgdt [gdt]\nhlt\ngdt: dw 0, 0, 0\n', 'bin');
    const findings = await scanFile(bin, { bits: 16, base: 0x7c00n });
    assert.deepEqual(findings.map((f) => [f.ruleId, f.address.toString(16), f.section]), [
      ['mov-sreg', '7c03', 'raw'],
      ['smsw', '7c05', 'raw'],
    ]);
  });

  it('--section limits the scan and reports unknown names', () => {
    const obj = nasm(dir, 'sect', SOURCE64, 'elf64');
    const image = loadImage(new Uint8Array(fs.readFileSync(obj)), { sections: ['.nosuch'] });
    assert.equal(image.sections.length, 0);
    assert.ok(image.notes.some((n) => n.includes('.nosuch')));
  });

  it('--bits overrides the header (64-bit code in an ELF32 container, like Xen)', async () => {
    const obj = nasm(dir, 'wrap', 'bits 64\nsection .text\npushfq\nmov rax, [rel $+8]\n', 'elf32');
    const image = loadImage(new Uint8Array(fs.readFileSync(obj)), { bits: 64 });
    assert.equal(image.sections[0]!.bits, 64);
    const findings = await scanFile(obj, { bits: 64 });
    assert.equal(findings[0]!.text, 'pushfq');
  });
});

describe('scan: bad input gives a clear error, never a crash', function () {
  this.timeout(60_000);

  it('random bytes without --bits are refused with a hint', () => {
    assert.throws(() => loadImage(randomBytes(4096, 5)), (e: unknown) => e instanceof ScanInputError && /--bits/.test(e.message));
  });

  it('every truncation of a real ELF, PE and COFF file either parses or throws ScanInputError', () => {
    const dir = scratchDir();
    try {
      const elf = ld(dir, [nasm(dir, 't64', SOURCE64, 'elf64')], 't64');
      const coff = nasm(dir, 'tw64', SOURCE64, 'win64');
      const pe = ld(dir, ['-m', 'i386pep', '--shared', '--export-all-symbols', '-e', '_start', coff], 't.dll');
      for (const file of [elf, pe, coff]) {
        const bytes = new Uint8Array(fs.readFileSync(file));
        let refused = 0;
        for (let cut = 1; cut < bytes.length; cut += cut < 1024 ? 1 : 97) {
          try {
            loadImage(bytes.subarray(0, cut));
          } catch (e) {
            if (!(e instanceof ScanInputError)) throw new Error(`${path.basename(file)} cut at ${cut}: ${String(e)}`);
            refused++;
          }
        }
        assert.ok(refused > 0, `${path.basename(file)}: no truncation was refused`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('random corruption of header bytes never crashes the parser or the scanner', async () => {
    const dir = scratchDir();
    try {
      const elf = new Uint8Array(fs.readFileSync(ld(dir, [nasm(dir, 'c64', SOURCE64, 'elf64')], 'c64')));
      const pe = new Uint8Array(fs.readFileSync(ld(dir, ['-m', 'i386pe', '--shared', '--export-all-symbols', '-e', '__start', nasm(dir, 'c32', decorate(SOURCE32), 'win32')], 'c.dll')));
      const noise = randomBytes(20_000, 77);
      let n = 0;
      for (const original of [elf, pe]) {
        for (let round = 0; round < 300; round++) {
          const bytes = original.slice();
          for (let k = 0; k < 4; k++) {
            const at = noise[n++ % noise.length]! * 2 + (noise[n++ % noise.length]! % 2) * 256;
            bytes[Math.min(at, bytes.length - 1)] = noise[n++ % noise.length]!;
          }
          try {
            const image = loadImage(bytes);
            await scanImage(image, { profile: 'deprivileged-kernel', enabled: ALL.enabled, includeInt3: true });
          } catch (e) {
            if (!(e instanceof ScanInputError)) throw new Error(`round ${round}: ${String(e)}`);
          }
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('thousands of overlapping executable sections are cut off instead of swept for hours', () => {
    // An ELF64 header whose section table repeats one 1 MB executable section 2,000 times.
    const codeSize = 1 << 20;
    const count = 2000;
    const shoff = 64 + codeSize;
    const bytes = new Uint8Array(shoff + count * 64);
    const view = new DataView(bytes.buffer);
    bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
    view.setUint16(18, 62, true); // x86-64
    view.setBigUint64(0x28, BigInt(shoff), true);
    view.setUint16(0x3a, 64, true);
    view.setUint16(0x3c, count, true);
    for (let i = 1; i < count; i++) {
      const at = shoff + i * 64;
      view.setUint32(at + 4, 1, true); // PROGBITS
      view.setBigUint64(at + 8, 6n, true); // ALLOC | EXECINSTR
      view.setBigUint64(at + 0x18, 64n, true);
      view.setBigUint64(at + 0x20, BigInt(codeSize), true);
    }
    const image = loadImage(bytes);
    assert.ok(image.sections.length <= 3, `${image.sections.length} sections kept`);
    assert.ok(image.notes.some((n) => /more than twice the file size/.test(n)));
  });

  it('a System.map without symbol lines is refused', () => {
    assert.throws(() => parseSystemMap('hello\nworld\n', 'x.map'), ScanInputError);
    assert.equal(parseSystemMap('ffffffff81000000 T _stext\nffffffff81000010 t helper\n', 'ok.map').length, 2);
  });
});
