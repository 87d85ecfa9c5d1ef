// Runs fixes for real: the original instruction and its fixed sequence execute side by side
// in a 64-bit Linux process from the same random machine states; a signal handler plays the
// hypervisor (KVM ABI via VMCALL, the forced-emulation prefix, MOV from CR0, CLI/STI).
// Registers, arithmetic flags, the stack and memory must come out identical.
// See test/fixtures/fixes/harness.c. Needs gcc and GNU as (x86-64 Linux).
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Finding, RuleId } from '../../server/src/analysis';
import { applyEdits, fixesForFinding, hypercallDefinitions, hypercallHeader, type FixOptions, type QuickFix } from '../../server/src/analysis/fixes';
import { parseInstruction } from './fixture';

const HARNESS = path.resolve(__dirname, '../../../test/fixtures/fixes/harness.c');
const GPRS = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];

function prologue(): string[] {
  return [
    'push %rbx', 'push %rbp', 'push %r12', 'push %r13', 'push %r14', 'push %r15',
    'mov %rsp, host_rsp(%rip)',
    'lea stack_area+2048(%rip), %rsp',
    'pushq in_flags(%rip)', 'popfq',
    ...GPRS.map((r, i) => (r === 'rsp' ? '' : `mov in_regs+${i * 8}(%rip), %${r}`)).filter(Boolean),
  ];
}

function epilogue(): string[] {
  return [
    ...GPRS.map((r, i) => `mov %${r}, out_regs+${i * 8}(%rip)`),
    'pushfq', 'popq out_flags(%rip)', 'cld', // the C caller expects DF = 0
    'mov host_rsp(%rip), %rsp',
    'pop %r15', 'pop %r14', 'pop %r13', 'pop %r12', 'pop %rbp', 'pop %rbx', 'ret',
  ];
}

interface Case {
  ruleId: RuleId;
  instruction: string;
  /** Register setup for the harness (`rbx=ptr`, `rax=leaf`, `image`...). */
  setup: string[];
  kinds: QuickFix['kind'][];
}

const CASES: Case[] = [
  { ruleId: 'cpuid', instruction: 'cpuid', setup: ['rax=leaf', 'rcx=small'], kinds: ['forced-emulation', 'hypercall'] },
  { ruleId: 'xgetbv', instruction: 'xgetbv', setup: ['rcx=zero'], kinds: ['hypercall'] },
  { ruleId: 'sgdt', instruction: 'sgdt 8(%rsp)', setup: [], kinds: ['hypercall'] },
  { ruleId: 'sidt', instruction: 'sidt -8(%rbx,%rcx,4)', setup: ['rbx=ptr', 'rcx=small'], kinds: ['hypercall'] },
  { ruleId: 'sldt', instruction: 'sldt %dx', setup: [], kinds: ['hypercall'] },
  { ruleId: 'str', instruction: 'str -16(%rsp,%rcx,8)', setup: ['rcx=small'], kinds: ['hypercall'] },
  { ruleId: 'smsw', instruction: 'smsw %cx', setup: [], kinds: ['trap-equivalent', 'hypercall'] },
  { ruleId: 'smsw', instruction: 'smsw %ax', setup: [], kinds: ['trap-equivalent', 'hypercall'] },
  // r64 gets all of CR0 (PG, bit 31, is set under Linux), not just its low 16 bits. The r32
  // form is not run here: on a UMIP host the kernel emulates SMSW for user space and writes
  // 4 bytes into the saved register without clearing bits 63:32, which the CPU would clear, so
  // the "original" would be wrong. The proof bench runs `smsw eax` in 64-bit code on QEMU.
  { ruleId: 'smsw', instruction: 'smsw %rsi', setup: [], kinds: ['trap-equivalent', 'hypercall'] },
  { ruleId: 'smsw', instruction: 'smsw %rdx', setup: [], kinds: ['trap-equivalent', 'hypercall'] },
  { ruleId: 'smsw', instruction: 'smsw 24(%rsp)', setup: [], kinds: ['trap-equivalent', 'hypercall'] },
  { ruleId: 'smsw', instruction: 'smsw (%rcx)', setup: ['rcx=ptr'], kinds: ['trap-equivalent', 'hypercall'] },
  { ruleId: 'mov-sreg', instruction: 'mov %ss, %bx', setup: [], kinds: ['hypercall'] },
  { ruleId: 'mov-sreg', instruction: 'mov %cs, 6(%rsp)', setup: [], kinds: ['hypercall'] },
  { ruleId: 'lar', instruction: 'lar %cx, %eax', setup: ['rcx=sel'], kinds: ['hypercall'] },
  { ruleId: 'lar', instruction: 'lar %ax, %rbx', setup: ['rax=sel'], kinds: ['hypercall'] },
  { ruleId: 'lsl', instruction: 'lsl (%rsi), %edx', setup: ['rsi=ptr'], kinds: ['hypercall'] },
  { ruleId: 'lsl', instruction: 'lsl 2(%rsi), %si', setup: ['rsi=ptr'], kinds: ['hypercall'] },
  { ruleId: 'verr', instruction: 'verr %bx', setup: ['rbx=sel'], kinds: ['hypercall'] },
  { ruleId: 'verw', instruction: 'verw 2(%rdi)', setup: ['rdi=ptr'], kinds: ['hypercall'] },
  { ruleId: 'pushf', instruction: 'pushfq', setup: [], kinds: ['hypercall'] },
  { ruleId: 'pushf', instruction: 'pushfw', setup: [], kinds: ['hypercall'] },
  { ruleId: 'popf', instruction: 'popfq', setup: ['image'], kinds: ['trap-equivalent', 'hypercall'] },
];

function requireTool(name: string, args: string[]): void {
  const probe = spawnSync(name, args, { encoding: 'utf8' });
  if (probe.error) throw new Error(`${name} is required by this test (apt-get install -y gcc binutils): ${probe.error.message}`);
}

/** What each ABI's hypercall target looks like to the harness (a ud2 it recognises). */
const ABI_SUPPORT: Record<FixOptions['abi'], { define: number; text: string[] }> = {
  kvm: { define: 1, text: [] },
  'kvm-amd': { define: 1, text: [] },
  custom: { define: 1, text: [] },
  xen: {
    define: 2,
    text: ['.balign 4096', '.globl hypercall_page', 'hypercall_page:', '.rept 128', 'ud2', 'ret', '.balign 32, 0xcc', '.endr', '.data', '.globl xen_vcpu_info', 'xen_vcpu_info: .byte 0, 0', '.text'],
  },
  hyperv: { define: 3, text: ['.balign 16', '.globl hv_page', 'hv_page: ud2', 'ret', '.data', 'hv_hypercall_pg: .quad hv_page', '.text'] },
};

function sourceFor(testCase: Case, abi: FixOptions['abi']): { text: string; finding: Finding } {
  const header = ['.text', '.globl run_orig, run_fixed', ...hypercallDefinitions('gas-att', abi).trimEnd().split('\n'), ...ABI_SUPPORT[abi].text];
  const lines = [...header, 'run_orig:', ...prologue().map((l) => `    ${l}`), `    ${testCase.instruction}`, ...epilogue().map((l) => `    ${l}`), 'run_fixed:', ...prologue().map((l) => `    ${l}`)];
  const line = lines.length;
  lines.push(`    ${testCase.instruction}   # the site`, ...epilogue().map((l) => `    ${l}`), '.section .note.GNU-stack,"",@progbits');
  const instruction = parseInstruction({ dialect: 'gas-att', bits: 64, ruleId: testCase.ruleId, instruction: testCase.instruction }, line, 4);
  const finding: Finding = { ruleId: testCase.ruleId, severity: 'warning', message: 'sensitive', range: instruction.range, mnemonicRange: instruction.mnemonicRange, instruction };
  return { text: lines.join('\n') + '\n', finding };
}

const RUNS: { abi: FixOptions['abi']; kinds: QuickFix['kind'][] }[] = [
  { abi: 'kvm', kinds: ['trap-equivalent', 'forced-emulation', 'hypercall'] },
  // kvm-amd is left out: inside a KVM guest on Intel, the host handles VMMCALL from CPL 3 itself
  // (no signal reaches the harness). matrix.test.ts still assembles and decodes it.
  { abi: 'xen', kinds: ['forced-emulation', 'hypercall'] },
  { abi: 'hyperv', kinds: ['hypercall'] },
  { abi: 'custom', kinds: ['hypercall'] },
];

describe('fixes: executed side by side with the original (x86-64 Linux)', function () {
  this.timeout(120_000);
  let dir = '';
  before(() => {
    requireTool('cc', ['--version']);
    requireTool('as', ['--version']);
    assert.equal(process.arch, 'x64', 'this tier needs an x86-64 host');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtlint-exec-'));
    for (const { abi } of RUNS) {
      const include = path.join(dir, abi);
      fs.mkdirSync(include);
      fs.writeFileSync(path.join(include, 'virtlint_hypercalls.h'), hypercallHeader(abi));
      const cc = spawnSync('cc', ['-O1', '-c', `-DVL_ABI=${ABI_SUPPORT[abi].define}`, '-o', `harness-${abi}.o`, '-I', include, HARNESS], { cwd: dir, encoding: 'utf8' });
      assert.equal(cc.status, 0, cc.stderr);
    }
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const { abi, kinds } of RUNS) {
    CASES.forEach((testCase, n) => {
      for (const kind of testCase.kinds.filter((k) => kinds.includes(k))) {
        it(`${abi}: ${testCase.instruction}: ${kind}`, () => {
          const { text, finding } = sourceFor(testCase, abi);
          const result = { dialect: 'gas-att' as const, dialectSource: 'override' as const, bits: 64 as const, bitsSource: 'override' as const, bitsRegions: [{ startLine: 0, bits: 64 as const }], instructions: [], findings: [finding], suppressed: [] };
          const fix = fixesForFinding(text, result, finding, { abi }).find((f) => f.kind === kind);
          assert.ok(fix, `no ${kind} fix`);
          const name = `${abi}-case${n}-${kind}`;
          const asm = path.join(dir, `${name}.s`);
          fs.writeFileSync(asm, applyEdits(text, [fix.edit]));
          const exe = path.join(dir, name);
          const link = spawnSync('cc', ['-no-pie', '-o', exe, path.join(dir, `harness-${abi}.o`), asm], { cwd: dir, encoding: 'utf8' });
          assert.equal(link.status, 0, `${link.stderr}\n${fs.readFileSync(asm, 'utf8')}`);
          const run = spawnSync(exe, ['300', String(1000 + n), ...testCase.setup], { encoding: 'utf8', timeout: 60_000 });
          assert.equal(run.status, 0, `${run.stdout}${run.stderr}\n--- fix ---\n${fix.edit.newText}`);
          assert.equal(run.stdout.trim(), 'ok 300');
        });
      }
    });
  }
});
