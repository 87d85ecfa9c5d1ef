// VM-detection idioms in every dialect, and the honest uses of the same instructions that must
// stay plain instruction findings. Each NASM, GNU as and FASM case is also assembled by the real
// assembler and its bytes run through the binary scanner's idiom pass, which must find the same
// idioms: the source is real assembly, and the two readings agree.
import * as assert from 'node:assert/strict';
import { analyzeText, DocumentAnalyzer, type Bits, type Dialect, type Finding } from '../../server/src/analysis';
import { IDIOM_RULES, ruleById, tagsForFinding } from '../../server/src/analysis/catalogue';
import { IDIOM_EXAMPLES } from '../../server/src/analysis/catalogue/examples';
import { fixesForFinding } from '../../server/src/analysis/fixes';
import { hoverAt } from '../../server/src/analysis/hover';
import { findBinaryIdioms } from '../../server/src/binary/idioms';
import { assembleDetailed, type Assembler } from '../helpers/assemble';

const AUDIT = { profile: 'vm-detection-audit' } as const;

interface IdiomCase {
  dialect: Dialect;
  bits: Bits;
  code: string;
  /** The idiom and the 1-based line it is reported at; absent for negative cases. */
  idiom?: string;
  line?: number;
  /** Negative cases: the plain instruction rule that must still report the instruction. */
  plain?: string;
  /** What the binary pass finds in the assembled bytes when it differs (a string kept as data counts only when code after a CPUID points at it). */
  inBytes?: string[];
  why: string;
}

const END = '\ndone:\n  ret';

const CASES: IdiomCase[] = [
  // CPUID hypervisor leaves
  { dialect: 'nasm', bits: 64, code: 'mov eax, 0x40000000\ncpuid\nmov [rdi], ebx', idiom: 'hypervisor-leaf', line: 2, why: 'leaf 0x40000000' },
  { dialect: 'gas-att', bits: 64, code: 'movl $0x40000010, %eax\nxorl %ecx, %ecx\ncpuid\nmovl %eax, (%rdi)', idiom: 'hypervisor-leaf', line: 3, why: 'the TSC-frequency leaf 0x40000010' },
  { dialect: 'gas-intel', bits: 32, code: 'mov esi, 0x40000100\nmov eax, esi\ncpuid', why: 'leaf 0x40000100 is past the range', plain: 'cpuid' },
  { dialect: 'masm', bits: 32, code: 'mov eax, 40000000h\ncpuid', idiom: 'hypervisor-leaf', line: 2, why: 'MASM hex suffix' },
  { dialect: 'fasm', bits: 32, code: 'mov ebx, 0x40000001\nmov eax, ebx\ncpuid\nmov [edi], eax', idiom: 'hypervisor-leaf', line: 3, why: 'the leaf copied through EBX' },
  // The hypervisor-present bit
  { dialect: 'nasm', bits: 32, code: 'mov eax, 1\ncpuid\nbt ecx, 31\njc done' + END, idiom: 'hypervisor-bit', line: 2, why: 'BT ECX, 31' },
  { dialect: 'gas-att', bits: 64, code: 'movl $1, %eax\ncpuid\nmovl %ecx, %esi\ntestl $0x80000000, %esi\njnz done' + END, idiom: 'hypervisor-bit', line: 2, why: 'TEST of a copy of ECX' },
  { dialect: 'gas-intel', bits: 64, code: 'mov eax, 1\ncpuid\nshr ecx, 31\nmov eax, ecx', idiom: 'hypervisor-bit', line: 2, why: 'SHR ECX, 31' },
  { dialect: 'masm', bits: 32, code: 'mov eax, 1\ncpuid\ntest ecx, ecx\njs virtual', idiom: 'hypervisor-bit', line: 2, why: 'a sign test of ECX' },
  { dialect: 'fasm', bits: 32, code: 'mov eax, 1\ncpuid\nand ecx, 0x80000000\njnz done' + END, idiom: 'hypervisor-bit', line: 2, why: 'AND with bit 31' },
  { dialect: 'nasm', bits: 64, code: 'mov eax, 1\ncpuid\nbt ecx, 28\njc done' + END, plain: 'cpuid', why: 'AVX feature detection (leaf 1, bit 28)' },
  { dialect: 'gas-att', bits: 64, code: 'movl $7, %eax\nxorl %ecx, %ecx\ncpuid\ntestl $0x20, %ebx\njnz done' + END, plain: 'cpuid', why: 'AVX2 feature detection (leaf 7)' },
  { dialect: 'nasm', bits: 64, code: 'mov eax, 1\ncpuid\nbt edx, 31\njc done' + END, plain: 'cpuid', why: 'bit 31 of EDX is not the hypervisor bit' },
  { dialect: 'nasm', bits: 64, code: 'mov eax, 1\ncpuid\nmov ecx, 5\nbt ecx, 31\njc done' + END, plain: 'cpuid', why: 'ECX overwritten before the test' },
  // Vendor signatures
  { dialect: 'nasm', bits: 64, code: "mov eax, 0x40000000\ncpuid\ncmp ebx, 'VMwa'\njne done\ncmp ecx, 'reVM'" + END, idiom: 'hypervisor-signature', line: 2, why: 'VMware, NASM character constants' },
  { dialect: 'gas-att', bits: 64, code: 'movl $0x40000000, %eax\ncpuid\ncmpl $0x4b4d564b, %ebx\njne done' + END, idiom: 'hypervisor-signature', line: 2, why: 'KVM as a hex immediate' },
  { dialect: 'gas-intel', bits: 64, code: 'xor eax, eax\nmov eax, 0x40000000\ncpuid\nmovabs rax, 0x7263694d\ncmp rbx, rax', idiom: 'hypervisor-signature', line: 3, why: '"Micr" through a register (Hyper-V)' },
  { dialect: 'masm', bits: 32, code: "mov eax, 40000000h\ncpuid\ncmp ebx, 'xoBV'\njne other", idiom: 'hypervisor-signature', line: 2, why: 'VirtualBox, MASM big-endian constant' },
  { dialect: 'fasm', bits: 32, code: "mov eax, 0x40000000\ncpuid\ncmp ebx, 'XenV'\njne done" + END, idiom: 'hypervisor-signature', line: 2, why: 'Xen' },
  { dialect: 'nasm', bits: 32, code: "cpuid\ncmp ecx, 'TCGT'\njne done" + END, idiom: 'hypervisor-signature', line: 1, why: 'QEMU TCG, leaf unknown' },
  { dialect: 'nasm', bits: 32, code: "xor eax, eax\ncpuid\ncmp ebx, 'Genu'\njne done" + END, plain: 'cpuid', why: 'the CPU vendor (GenuineIntel) is not a hypervisor' },
  // Timing
  { dialect: 'nasm', bits: 64, code: IDIOM_EXAMPLES['timing-check']!.nasm.replace('.virtual', 'done') + END, idiom: 'timing-check', line: 1, why: 'RDTSC, CPUID, RDTSC, SUB, CMP' },
  { dialect: 'gas-att', bits: 32, code: 'rdtsc\nmovl %eax, %esi\ncpuid\nrdtscp\nsubl %esi, %eax\ncmpl $500, %eax\nja done' + END, idiom: 'timing-check', line: 1, why: 'RDTSCP as the second read' },
  { dialect: 'gas-intel', bits: 64, code: 'rdtsc\nmov esi, eax\ncpuid\nrdtsc\nsub eax, esi\ncmp eax, edi', idiom: 'timing-check', line: 1, why: 'threshold in a register' },
  { dialect: 'masm', bits: 32, code: 'rdtsc\nmov esi, eax\ncpuid\nrdtsc\nsub eax, esi\ncmp eax, 1000', idiom: 'timing-check', line: 1, why: 'MASM' },
  { dialect: 'fasm', bits: 32, code: 'rdtsc\nmov esi, eax\ncpuid\nrdtsc\nsub eax, esi\ncmp eax, 1000\nja done' + END, idiom: 'timing-check', line: 1, why: 'FASM' },
  { dialect: 'nasm', bits: 64, code: 'rdtsc\nmov rsi, rax\nmov ecx, 100\nspin:\ndec ecx\njnz spin\nrdtsc\nsub rax, rsi\ncmp rax, 1000', plain: 'rdtsc', why: 'a timing loop: nothing exits in between' },
  { dialect: 'nasm', bits: 64, code: 'xor eax, eax\ncpuid\nrdtsc\nmov rsi, rax\nadd rbx, rcx\nrdtscp\nsub rax, rsi\ncmp rax, 1000', plain: 'rdtsc', why: 'benchmark serialisation: CPUID before the measured region' },
  // VMware backdoor
  { dialect: 'nasm', bits: 32, code: IDIOM_EXAMPLES['vmware-backdoor']!.nasm, idiom: 'vmware-backdoor', line: 5, why: 'VMXh and VX' },
  { dialect: 'gas-att', bits: 32, code: 'movl $0x564d5868, %eax\nmovl $10, %ecx\nmovw $0x5658, %dx\ninl %dx, %eax', idiom: 'vmware-backdoor', line: 4, why: 'AT&T' },
  { dialect: 'gas-intel', bits: 64, code: 'mov eax, 0x564d5868\nmov ecx, 10\nmov edx, 0x5658\nin eax, dx', idiom: 'vmware-backdoor', line: 4, why: 'EDX holds the port' },
  { dialect: 'masm', bits: 32, code: "mov eax, 'VMXh'\nmov ecx, 0Ah\nmov dx, 'VX'\nin eax, dx", idiom: 'vmware-backdoor', line: 4, why: 'MASM big-endian constants, as the classic snippet writes them' },
  { dialect: 'fasm', bits: 32, code: 'mov eax, 0x564D5868\nmov dx, 0x5658\nin eax, dx', idiom: 'vmware-backdoor', line: 3, why: 'FASM' },
  { dialect: 'nasm', bits: 32, code: 'mov dx, 0x3f8\nin al, dx', why: 'a serial port read', plain: undefined },
  { dialect: 'gas-att', bits: 64, code: 'movl $0x564d5868, %eax\nmovl $10, %ecx\nvmcall', idiom: 'vmware-backdoor', line: 3, why: 'the backdoor as a VMCALL hypercall' },
  { dialect: 'nasm', bits: 64, code: 'mov eax, 0x564d5868\nvmmcall', idiom: 'vmware-backdoor', line: 2, why: 'the backdoor as a VMMCALL hypercall (AMD)' },
  { dialect: 'nasm', bits: 64, code: 'mov eax, 9\nvmcall', why: 'a KVM hypercall is not the VMware backdoor', plain: undefined },
  // VirtualPC's vpcext, written as data
  { dialect: 'nasm', bits: 32, code: IDIOM_EXAMPLES['virtualpc-backdoor']!.nasm, idiom: 'virtualpc-backdoor', line: 3, why: 'NASM db' },
  { dialect: 'gas-att', bits: 32, code: 'movl $1, %eax\n.byte 0x0f, 0x3f, 0x07, 0x0b\ntestl %ebx, %ebx', idiom: 'virtualpc-backdoor', line: 2, why: 'GNU as .byte' },
  { dialect: 'gas-intel', bits: 32, code: 'mov eax, 1\n.byte 15, 63, 7, 11 # decimal', idiom: 'virtualpc-backdoor', line: 2, why: 'decimal bytes' },
  { dialect: 'masm', bits: 32, code: 'mov eax, 1\ndb 0Fh, 3Fh, 07h, 0Bh', idiom: 'virtualpc-backdoor', line: 2, why: 'MASM h suffix' },
  { dialect: 'fasm', bits: 32, code: 'mov eax, 1\ndb 0x0F,0x3F,7,0x0B', idiom: 'virtualpc-backdoor', line: 2, why: 'FASM' },
  { dialect: 'nasm', bits: 32, code: 'mov eax, 1\n; db 0x0f, 0x3f, 0x07, 0x0b\nnop', why: 'the bytes in a comment', plain: undefined },
  { dialect: 'nasm', bits: 32, code: 'db 0x0f, 0x3f, 0x07, 0x0c', why: 'other bytes', plain: undefined },
  // Vendor signatures kept as data
  { dialect: 'nasm', bits: 64, code: "vendor: db 'VMwareVMware', 0", idiom: 'hypervisor-signature', line: 1, inBytes: [], why: 'NASM string' },
  { dialect: 'gas-att', bits: 64, code: '.section .rodata\nkvm: .ascii "KVMKVMKVM\\0\\0\\0"', idiom: 'hypervisor-signature', line: 2, inBytes: [], why: 'GNU as .ascii with NULs' },
  { dialect: 'nasm', bits: 64, code: "name: db 'GenuineIntel', 0", why: 'a CPU vendor string', plain: undefined },
  // Red pill family
  { dialect: 'nasm', bits: 32, code: IDIOM_EXAMPLES['red-pill']!.nasm.replace('.virtual', 'done') + END, idiom: 'red-pill', line: 1, why: 'SIDT, top byte compared with 0xd0' },
  { dialect: 'gas-att', bits: 32, code: 'sgdt -8(%ebp)\nmovzbl -3(%ebp), %eax\ncmpl $0xff, %eax\nje done' + END, idiom: 'red-pill', line: 1, why: 'SGDT loaded back, then compared' },
  { dialect: 'gas-intel', bits: 64, code: 'str ax\ncmp ax, 0x4000\nje done' + END, idiom: 'red-pill', line: 1, why: 'STR 0x4000 (Omella)' },
  { dialect: 'masm', bits: 32, code: 'sldt ax\ntest ax, ax\njnz virtual', idiom: 'red-pill', line: 1, why: 'No Pill: a non-zero LDTR' },
  { dialect: 'fasm', bits: 32, code: 'smsw eax\nand eax, 0x0e\ncmp eax, 0x0e\nje done' + END, idiom: 'red-pill', line: 1, why: 'SMSW bits compared' },
  { dialect: 'nasm', bits: 64, code: 'sidt [rsp-16]\nmov rax, [rsp-14]\nmov [rdi], rax', plain: 'sidt', why: 'SIDT stored and copied, never compared' },
  { dialect: 'nasm', bits: 32, code: 'sldt [eax]\ncld\ntest byte [eax], 0', plain: 'sldt', why: 'TEST with 0 compares nothing (a data table swept as code in xen.elf)' },
];

function assemblerFor(testCase: IdiomCase): { assembler: Assembler; source: string } | undefined {
  if (testCase.dialect === 'nasm') return { assembler: 'nasm', source: `bits ${testCase.bits}\n${testCase.code}` };
  if (testCase.dialect === 'fasm') return { assembler: 'fasm', source: `use${testCase.bits}\n${testCase.code}` };
  if (testCase.dialect === 'gas-att') return { assembler: 'gas', source: `.code${testCase.bits}\n${testCase.code}` };
  if (testCase.dialect === 'gas-intel') return { assembler: 'gas', source: `.intel_syntax noprefix\n.code${testCase.bits}\n${testCase.code}` };
  return undefined;
}

function describe1(testCase: IdiomCase): string {
  return `${testCase.dialect} ${testCase.bits}-bit: ${testCase.why}`;
}

describe('VM-detection idioms', () => {
  for (const testCase of CASES) {
    it(`${testCase.idiom ?? 'not an idiom'} — ${describe1(testCase)}`, () => {
      const result = analyzeText(testCase.code, { dialect: testCase.dialect, bits: testCase.bits, ...AUDIT });
      const idioms = result.findings.filter((finding) => ruleById(finding.ruleId)?.group === 'idiom');
      const listing = result.findings.map((f) => `${f.range.start.line + 1} ${f.ruleId}: ${f.message}`).join('\n');
      if (testCase.idiom) {
        assert.deepEqual(idioms.map((f) => [f.ruleId, f.range.start.line + 1]), [[testCase.idiom, testCase.line]], listing);
        // The anchor's own instruction rule is replaced by the idiom, not reported twice.
        const anchorLine = testCase.line! - 1;
        assert.ok(!result.findings.some((f) => f.range.start.line === anchorLine && f.ruleId !== testCase.idiom), listing);
        const other = analyzeText(testCase.code, { dialect: testCase.dialect, bits: testCase.bits });
        assert.ok(!other.findings.some((f) => ruleById(f.ruleId)?.group === 'idiom'), 'idioms only run in the audit profile');
      } else {
        assert.deepEqual(idioms, [], listing);
        if (testCase.plain) assert.ok(result.findings.some((f) => f.ruleId === testCase.plain), `${testCase.plain} still reported:\n${listing}`);
      }
    });
  }

  describe('the assembled bytes give the same idioms (real assemblers, then the scanner\'s pass)', () => {
    for (const testCase of CASES) {
      const target = assemblerFor(testCase);
      if (!target) continue;
      it(describe1(testCase), () => {
        const { image } = assembleDetailed(target.assembler, target.source, { bits: testCase.bits });
        const found = findBinaryIdioms(image, testCase.bits).map((idiom) => idiom.ruleId);
        assert.deepEqual(found, testCase.inBytes ?? (testCase.idiom ? [testCase.idiom] : []));
      });
    }
  });

  it('the binary pass reads the signature an operand points to in the image\'s data (nasm flat images)', () => {
    const cases: { bits: 32 | 64; load: string; origin: bigint }[] = [
      { bits: 64, load: 'lea rsi, [rel vendor]', origin: 0n },
      // 32-bit code pushes the string's address as an immediate.
      { bits: 32, load: 'push vendor', origin: 0x401000n },
    ];
    for (const { bits, load, origin } of cases) {
      for (const [vendor, expected] of [['VMwareVMware', 'hypervisor-signature'], ['VMwareVMwarf', 'hypervisor-leaf']] as const) {
        const source = `org 0x${origin.toString(16)}\nmov eax, 0x40000000\ncpuid\n${load}\nmov edx, 12\ncall compare\nret\ncompare: ret\nvendor: db '${vendor}'`;
        const { image } = assembleDetailed('nasm', source, { bits });
        const data = { address: origin, read: (address: bigint, length: number) => image.subarray(Number(address - origin), Number(address - origin) + length) };
        assert.deepEqual(findBinaryIdioms(image, bits).map((idiom) => idiom.ruleId), ['hypervisor-leaf'], `${bits}-bit ${vendor}: without the data`);
        assert.deepEqual(findBinaryIdioms(image, bits, 0, image.length, data).map((idiom) => idiom.ruleId), [expected], `${bits}-bit ${vendor}`);
      }
    }
  });

  it('an idiom finding offers no quick fix: its catalogue entry lists none, its docs page says so', () => {
    let checked = 0;
    for (const testCase of CASES.filter((c) => c.idiom)) {
      const result = analyzeText(testCase.code, { dialect: testCase.dialect, bits: testCase.bits, ...AUDIT });
      for (const finding of result.findings.filter((f) => f.ruleId === testCase.idiom)) {
        assert.deepEqual(ruleById(finding.ruleId)!.fixes, []);
        assert.deepEqual(fixesForFinding(testCase.code, result, finding, { abi: 'kvm' }).map((fix) => fix.title), [], `${testCase.idiom} (${testCase.why})`);
        checked++;
      }
    }
    assert.ok(checked >= 10, `${checked} idiom findings checked`);
  });

  it('every idiom has a docs example that is reported as that idiom', () => {
    for (const entry of IDIOM_RULES) {
      const example = IDIOM_EXAMPLES[entry.id];
      assert.ok(example, entry.id);
      const result = analyzeText(example.nasm, { dialect: 'nasm', bits: example.bits, ...AUDIT });
      assert.ok(result.findings.some((f) => f.ruleId === entry.id), `${entry.id}: ${result.findings.map((f) => f.ruleId).join(', ')}`);
    }
  });

  it('tags each idiom with ATT&CK T1497.001 and MBC B0009, and a method where MBC has one', () => {
    for (const entry of IDIOM_RULES) {
      const ids = (entry.tags ?? []).map((tag) => tag.id);
      assert.ok(ids.includes('T1497.001') && ids.includes('B0009'), entry.id);
      assert.ok(ids.some((id) => /^B0009\.\d{3}$/.test(id)), `${entry.id}: no MBC method`);
    }
    const redPill = ruleById('red-pill')!;
    assert.deepEqual(tagsForFinding(redPill, 'str').map((tag) => tag.id), ['T1497.001', 'B0009', 'B0009.029', 'B0009.033']);
  });

  it('an editor\'s edits give the idioms a fresh analysis gives', () => {
    const summary = (findings: readonly Finding[]): string[] => findings.map((f) => `${f.range.start.line}:${f.range.start.character} ${f.ruleId}`);
    const options = { dialect: 'nasm' as const, bits: 64 as const, ...AUDIT };
    const doc = new DocumentAnalyzer('mov eax, 1\ncpuid\nbt ecx, 28\n', options);
    assert.deepEqual(summary(doc.result().findings), ['1:0 cpuid']);
    doc.update([{ range: { start: { line: 2, character: 8 }, end: { line: 2, character: 10 } }, text: '31' }]);
    assert.deepEqual(summary(doc.result().findings), ['1:0 hypervisor-bit']);
    doc.update([{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: 'vpc: db 0x0f, 0x3f, 0x07, 0x0b\n' }]);
    const edited = doc.result();
    assert.deepEqual(summary(edited.findings), summary(analyzeText(doc.lineText(0) + '\nmov eax, 1\ncpuid\nbt ecx, 31\n', options).findings));
    assert.deepEqual(summary(edited.findings), ['0:8 virtualpc-backdoor', '2:0 hypervisor-bit']);
  });

  it('a suppression comment silences the idiom at its line', () => {
    const code = '; virtlint-disable-next-line hypervisor-leaf -- guest driver\nmov eax, 0x40000000\ncpuid';
    const lines = 'mov eax, 0x40000000\n; virtlint-disable-next-line hypervisor-leaf -- guest driver\ncpuid';
    assert.equal(analyzeText(code, { dialect: 'nasm', bits: 64, ...AUDIT }).findings.length, 1, 'the comment is on the wrong line: the idiom is reported at CPUID');
    const result = analyzeText(lines, { dialect: 'nasm', bits: 64, ...AUDIT });
    assert.deepEqual(result.findings, []);
    assert.deepEqual(result.suppressed.map((f) => f.ruleId), ['hypervisor-leaf']);
  });

  it('the hover explains the idiom, what defeats it and its tags', () => {
    const text = 'mov eax, 1\ncpuid\nbt ecx, 31';
    const result = analyzeText(text, { dialect: 'nasm', bits: 64, ...AUDIT });
    const hover = hoverAt(text, result, { line: 1, character: 1 });
    assert.ok(hover);
    assert.match(hover.markdown, /hypervisor-present bit/);
    assert.match(hover.markdown, /Defeated by:/);
    assert.match(hover.markdown, /ATT&CK T1497\.001/);
    assert.match(hover.markdown, /MBC B0009\.034/);
  });
});
