// Text-level properties of the fixes: exact spellings per dialect (MASM included, which has
// no assembler here), stack-offset folding, layout, fixAll, applyEdits, templates, the
// definitions file and the C header.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AnalysisResult, Finding, RuleId } from '../../server/src/analysis';
import { analyzeText } from '../../server/src/analysis';
import {
  applyEdits,
  fixAll,
  fixUntilStable,
  MAX_FIX_PASSES,
  fixesForFinding,
  fixPreview,
  HYPERCALL_RULES,
  hypercallDefinitions,
  hypercallHeader,
  hypercallNumber,
  hypercallSymbol,
  type FixOptions,
} from '../../server/src/analysis/fixes';
import { CASE_RULES, instructionFor } from './cases';
import { buildFixture, type FixtureSpec } from './fixture';

function fixesFor(spec: FixtureSpec, options: FixOptions = { abi: spec.abi ?? 'kvm' }) {
  const fixture = buildFixture(spec);
  return { fixture, fixes: fixesForFinding(fixture.text, fixture.result, fixture.finding, options) };
}

function titled(list: ReturnType<typeof fixesFor>['fixes'], kind: string) {
  const fix = list.find((f) => f.kind === kind);
  assert.ok(fix, `no ${kind} fix among ${list.map((f) => f.title).join(' | ')}`);
  return fix;
}

describe('fixes: text', () => {
  it('folds the push adjustment into a stack-relative displacement: [esp+8] after two pushes reads [esp+16]', () => {
    const { fixes } = fixesFor({ dialect: 'nasm', bits: 32, ruleId: 'sgdt', instruction: 'sgdt [esp+8]' });
    assert.match(titled(fixes, 'hypercall').edit.newText, /push eax( ;[^\n]*)?\n\s+push ebx\n\s+lea ebx, \[esp\+16\]/);
  });

  it('64-bit sequences step over the red zone first: [rsp+8] → [rsp+8+128+16]', () => {
    const { fixes } = fixesFor({ dialect: 'nasm', bits: 64, ruleId: 'sgdt', instruction: 'sgdt [rsp+8]' });
    const text = titled(fixes, 'hypercall').edit.newText;
    assert.match(text, /^; virtlint: KVM hypercall for SGDT, numbers in virtlint-hypercalls\.inc\n\s+lea rsp, \[rsp-128\]( ;[^\n]*)?\n\s+push rax\n\s+push rbx\n\s+lea rbx, \[rsp\+152\]/);
    assert.match(text, /\n\s+lea rsp, \[rsp\+128\]( ;[^\n]*)?$/);
  });

  it('adjusts an AT&T operand with index and negative displacement: -8(%esp,%ecx,4)', () => {
    const { fixes } = fixesFor({ dialect: 'gas-att', bits: 32, ruleId: 'sgdt', instruction: 'sgdt -8(%esp,%ecx,4)' });
    assert.match(titled(fixes, 'hypercall').edit.newText, /lea 0\(%esp,%ecx,4\), %ebx/);
    const trap = fixesFor({ dialect: 'gas-att', bits: 32, ruleId: 'smsw', instruction: 'smsw -8(%esp,%ecx,4)' }).fixes;
    // ECX is in the address, so EAX is the scratch register; one 4-byte push moves -8 to -4.
    assert.match(titled(trap, 'trap-equivalent').edit.newText, /push %eax( #[^\n]*)?\n\s+mov %cr0, %eax[^\n]*\n\s+mov %ax, -4\(%esp,%ecx,4\)\n\s+pop %eax/);
  });

  it('keeps label and indentation; added lines line up with the instruction; the comment ends the last line, after the marker', () => {
    const { fixture, fixes } = fixesFor({ dialect: 'nasm', bits: 32, ruleId: 'popf', instruction: 'popf' });
    const after = applyEdits(fixture.text, [titled(fixes, 'trap-equivalent').edit]);
    const lines = after.split('\n');
    // The block opens with one comment saying what it does and what it needs; the code follows, aligned.
    assert.equal(lines[fixture.line], "target_site:    ; virtlint: POPF's IF change as CLI/STI, which fault when CPL > IOPL so the VMM sees it");
    assert.equal(lines[fixture.line + 1], '                test word [esp], 0x200 ; IF (bit 9) of the saved flags image');
    const column = 'target_site:    '.length;
    let last = fixture.line;
    for (let i = fixture.line + 1; lines[i]!.includes('vl_') || /^\s+(test|jz|sti|jmp|cli|popf)/.test(lines[i]!); i++) {
      assert.equal(lines[i]!.search(/\S/), column, `line "${lines[i]}" is not aligned`);
      last = i;
    }
    assert.equal(lines[last]!.trim(), 'popf ; virtlint-fixed: popf -- ; keep this comment', 'the kept POPF ends with the marker, then the comment as written');
  });

  it('keeps CRLF line endings', () => {
    const fixture = buildFixture({ dialect: 'nasm', bits: 64, ruleId: 'cpuid', instruction: 'cpuid' });
    const crlf = fixture.text.replace(/\n/g, '\r\n');
    const fix = fixesForFinding(crlf, fixture.result, fixture.finding, { abi: 'kvm' }).find((f) => f.kind === 'forced-emulation');
    assert.ok(fix);
    const after = applyEdits(crlf, [fix.edit]);
    assert.ok(!/[^\r]\n/.test(after), 'a bare LF slipped in');
    assert.match(after, /db 0x0f, 0x0b, 0x6b, 0x76, 0x6d ; KVM forced-emulation prefix \(ud2 \+ "kvm"\)\r\n\s+cpuid ; virtlint-fixed: cpuid -- ; keep this comment\r\n/);
  });

  it('writes MASM spellings: ptr, h-suffixed hex, db bytes, plain labels', () => {
    for (const rule of CASE_RULES) {
      for (const bits of [32, 64] as const) {
        const instruction = instructionFor(rule, 'masm', bits);
        if (!instruction) continue;
        for (const abi of ['kvm', 'xen', 'hyperv'] as const) {
          const { fixes } = fixesFor({ dialect: 'masm', bits, ruleId: rule, instruction, abi });
          for (const fix of fixes) {
            const text = fix.edit.newText;
            assert.doesNotMatch(text, /0x[0-9a-f]/i, `C-style hex in MASM output: ${text}`);
            assert.doesNotMatch(text, /\b(byte|word|dword|qword) \[/, `size without ptr in MASM output: ${text}`);
            assert.doesNotMatch(text, /(^|\s)(#|\.byte|\.L|\.\.@)/m, `foreign syntax in MASM output: ${text}`);
          }
          const prefix = fixes.find((f) => f.kind === 'forced-emulation');
          assert.ok(prefix, `${rule}: no forced-emulation fix`);
          assert.match(prefix.edit.newText, abi === 'xen' ? /db 0Fh, 0Bh, 78h, 65h, 6Eh/ : /db 0Fh, 0Bh, 6Bh, 76h, 6Dh/);
        }
      }
    }
    const popf = titled(fixesFor({ dialect: 'masm', bits: 64, ruleId: 'popf', instruction: 'popfq' }).fixes, 'trap-equivalent').edit.newText;
    assert.match(popf, /test word ptr \[rsp\], 200h/);
    assert.match(popf, /\n\s+vl_cli_\d+:\n/);
  });

  it('offers 16-bit hypercalls only through the ABIs that have a 16-bit convention, and none for far transfers', () => {
    const hypercalls = (spec: FixtureSpec, abi: FixOptions['abi']) => fixesFor({ ...spec, abi }).fixes.filter((f) => f.strategy === 'hypercall');
    const none = (spec: FixtureSpec, abi: FixOptions['abi']) => assert.deepEqual(hypercalls(spec, abi).map((f) => f.title), []);
    const sgdt16: FixtureSpec = { dialect: 'nasm', bits: 16, ruleId: 'sgdt', instruction: 'sgdt [bx]' };
    for (const abi of ['xen', 'hyperv'] as const) none(sgdt16, abi);
    for (const abi of ['kvm', 'kvm-amd', 'custom'] as const) {
      const [fix] = hypercalls(sgdt16, abi);
      assert.ok(fix, `a 16-bit hypercall through ${abi}`);
      // The offset in EBX, the segment it is relative to (DS: a BX base) after the last argument.
      assert.match(fix.edit.newText, /lea ebx, \[bx\]\n\s+push ebp\n\s+mov bp, sp[^\n]*\n\s+mov ecx, VIRTLINT_SREG_DS\n/);
    }
    const onStack = hypercalls({ dialect: 'nasm', bits: 16, ruleId: 'sidt', instruction: 'sidt [bp+si+4]' }, 'kvm')[0]!.edit.newText;
    assert.match(onStack, /lea ebx, \[bp\+si\+4\][\s\S]*mov ecx, VIRTLINT_SREG_SS\n/, 'a BP base addresses SS');
    const overridden = hypercalls({ dialect: 'nasm', bits: 16, ruleId: 'str', instruction: 'str word [es:di]' }, 'kvm')[0]!.edit.newText;
    assert.match(overridden, /mov ecx, VIRTLINT_SREG_ES\n/, 'an override names its segment');
    for (const abi of ['kvm', 'kvm-amd', 'hyperv', 'custom'] as const) {
      none({ dialect: 'nasm', bits: 32, ruleId: 'far-ret', instruction: 'retf' }, abi);
      none({ dialect: 'nasm', bits: 32, ruleId: 'far-jmp', instruction: 'jmp 0x10:0x1000' }, abi);
      none({ dialect: 'nasm', bits: 32, ruleId: 'far-call', instruction: 'call 0x10:0x1000' }, abi);
    }
    // Xen: a 32-bit RETF through the iret hypercall; not one with an immediate, a 16-bit one or LRETQ.
    assert.deepEqual(hypercalls({ dialect: 'nasm', bits: 32, ruleId: 'far-ret', instruction: 'retf' }, 'xen').map((f) => f.title), ["Replace RETF with Xen's iret hypercall"]);
    none({ dialect: 'nasm', bits: 32, ruleId: 'far-ret', instruction: 'retf 8' }, 'xen');
    none({ dialect: 'nasm', bits: 32, ruleId: 'far-ret', instruction: 'retfw' }, 'xen');
    none({ dialect: 'nasm', bits: 64, ruleId: 'far-ret', instruction: 'retfq' }, 'xen');
    none({ dialect: 'nasm', bits: 32, ruleId: 'far-jmp', instruction: 'jmp 0x10:0x1000' }, 'xen');
    none({ dialect: 'nasm', bits: 16, ruleId: 'iret', instruction: 'iret' }, 'xen');
    none({ dialect: 'nasm', bits: 32, ruleId: 'iret', instruction: 'iretw' }, 'xen');
    const iretd = hypercalls({ dialect: 'nasm', bits: 32, ruleId: 'iret', instruction: 'iretd' }, 'xen');
    assert.deepEqual(iretd.map((f) => f.title), ["Replace IRETD with Xen's iret hypercall"]);
    // The page's stub pushes EAX itself: the jump alone, nothing pushed in front of the frame.
    assert.match(iretd[0]!.edit.newText, /\n\s+jmp hypercall_page \+ VIRTLINT_XEN_HC_IRET\*32 ; keep this comment$/);
    assert.doesNotMatch(iretd[0]!.edit.newText, /push/);
    assert.equal(hypercalls({ dialect: 'nasm', bits: 64, ruleId: 'iret', instruction: 'iretq' }, 'xen').length, 1);
  });

  it('previews a fix as a short diff: the lines it replaces, then the lines they become, cut after a few', () => {
    for (const spec of [
      { dialect: 'nasm', bits: 64, ruleId: 'sidt', instruction: 'sidt [rbx+rcx*4+16]' },
      { dialect: 'gas-att', bits: 32, ruleId: 'popf', instruction: 'popf' },
      { dialect: 'nasm', bits: 16, ruleId: 'sgdt', instruction: 'sgdt [bx+2]' },
    ] as FixtureSpec[]) {
      const { fixture, fixes } = fixesFor(spec);
      for (const fix of fixes) {
        const original = fixture.text.split('\n');
        const fixed = applyEdits(fixture.text, [fix.edit]).split('\n');
        const whole = fixPreview(fixture.text, [fix.edit], { maxAdded: 1000 }).split('\n');
        assert.equal(whole[0], `@@ line ${fixture.line + 1} @@`);
        assert.equal(whole[1], `-${original[fixture.line]!}`, 'the line as written');
        const added = whole.slice(2).map((line) => line.slice(1));
        assert.deepEqual(added, fixed.slice(fixture.line, fixture.line + added.length), `${fix.title}: the + lines are the fixed text`);
        assert.equal(fixed.length - original.length, added.length - 1, 'every added line is shown');
        const short = fixPreview(fixture.text, [fix.edit], { maxAdded: 4 }).split('\n');
        if (added.length > 4) {
          assert.deepEqual(short.slice(2, 5), whole.slice(2, 5));
          assert.equal(short[5], `+… ${added.length - 3} more lines`);
          assert.equal(short.length, 6);
        } else assert.deepEqual(short, whole);
      }
    }
    // An include lands on its own line: nothing is removed.
    const include = { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: '%include "virtlint-hypercalls.inc"\n' };
    assert.equal(fixPreview('    cpuid\n', [include]), '@@ line 1 @@\n+%include "virtlint-hypercalls.inc"');
  });

  it('gives meta findings and findings without a parsed instruction no fixes', () => {
    const { fixture } = fixesFor({ dialect: 'nasm', bits: 64, ruleId: 'cpuid', instruction: 'cpuid' });
    const meta: Finding = { ...fixture.finding, ruleId: 'invalid-in-mode' };
    assert.deepEqual(fixesForFinding(fixture.text, fixture.result, meta, { abi: 'kvm' }), []);
    const bare: Finding = { ...fixture.finding };
    delete bare.instruction;
    assert.deepEqual(fixesForFinding(fixture.text, fixture.result, bare, { abi: 'kvm' }), []);
  });

  it('fixAll returns sorted, non-overlapping edits, one per line, and applyEdits applies them', () => {
    const rules: RuleId[] = ['cpuid', 'rdtsc', 'smsw', 'popf', 'pushf'];
    const source = ['bits 64', ...rules.map((r, i) => `l${i}: ${r === 'smsw' ? 'smsw ax' : r} ; c${i}`)].join('\n') + '\n';
    const base = buildFixture({ dialect: 'nasm', bits: 64, ruleId: 'cpuid', instruction: 'cpuid' });
    const findings: Finding[] = rules.map((rule, i) => {
      const line = i + 1;
      const start = `l${i}: `.length;
      const instruction = rule === 'smsw' ? 'smsw ax' : rule;
      const one = buildFixture({ dialect: 'nasm', bits: 64, ruleId: rule, instruction });
      const ins = one.finding.instruction!;
      const shift = (p: { line: number; character: number }) => ({ line, character: p.character - ins.range.start.character + start });
      const moved = {
        ...ins,
        line,
        range: { start: shift(ins.range.start), end: shift(ins.range.end) },
        mnemonicRange: { start: shift(ins.mnemonicRange.start), end: shift(ins.mnemonicRange.end) },
        operands: ins.operands.map((o) => ({ ...o, range: { start: shift(o.range.start), end: shift(o.range.end) } })),
      };
      return { ...one.finding, range: moved.range, mnemonicRange: moved.mnemonicRange, instruction: moved };
    });
    // A duplicate finding on the same line must not produce a second, overlapping edit.
    const result: AnalysisResult = { ...base.result, findings: [...findings.reverse(), findings[0]!] };
    for (const strategy of ['trap', 'hypercall'] as const) {
      // The hypercall fixes also include the definitions file, once, before the first line of code.
      const edits = fixAll(source, result, strategy, { abi: 'kvm' });
      const include = strategy === 'hypercall' ? edits.shift() : undefined;
      if (strategy === 'hypercall') assert.deepEqual(include, { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: '%include "virtlint-hypercalls.inc"\n' });
      assert.equal(edits.length, rules.length);
      for (let i = 1; i < edits.length; i++) assert.ok(edits[i - 1]!.range.end.line < edits[i]!.range.start.line, 'edits overlap or are unsorted');
      const after = applyEdits(source, include ? [include, ...edits] : edits);
      for (let i = 0; i < rules.length; i++) {
        assert.match(after, new RegExp(`^l${i}: \\S`, 'm'), `label ${i} lost`);
        assert.match(after, new RegExp(`; c${i}$`, 'm'), `comment ${i} lost`);
      }
      if (strategy === 'trap') {
        assert.match(after, /mov rcx, cr0/);
        assert.match(after, /\bsti\b/);
      } else assert.equal((after.match(/vmcall/g) ?? []).length, rules.length);
    }
  });

  it('applyEdits rejects overlapping edits', () => {
    const r = (a: number, b: number) => ({ start: { line: 0, character: a }, end: { line: 0, character: b } });
    assert.throws(() => applyEdits('abcdef', [{ range: r(0, 3), newText: 'x' }, { range: r(2, 4), newText: 'y' }]), /overlapping/);
    assert.equal(applyEdits('abcdef', [{ range: r(4, 6), newText: 'Z' }, { range: r(0, 1), newText: 'A' }]), 'AbcdZ');
  });

  it('custom template: register convention and call text from the setting, {nr} substituted, prefix choice', () => {
    const template = '@nr rax | @args rdi, rsi, rdx | @ret rax | @clobbers r11 | @prefix xen | int 0x81 ; nr {nr}';
    const { fixes } = fixesFor({ dialect: 'nasm', bits: 64, ruleId: 'sgdt', instruction: 'sgdt [rsp]', abi: 'custom' }, { abi: 'custom', customTemplate: template });
    const text = titled(fixes, 'hypercall').edit.newText;
    assert.match(text, /push rdi/);
    assert.match(text, /push r11/);
    assert.match(text, /lea rdi, \[rsp\+152\]/); // 128 (red zone) + three pushes
    assert.match(text, /int 0x81 ; nr VIRTLINT_HC_SGDT/);
    assert.match(titled(fixes, 'forced-emulation').edit.newText, /0x78, 0x65, 0x6e/);
    const broken = fixesFor({ dialect: 'nasm', bits: 64, ruleId: 'sgdt', instruction: 'sgdt [rsp]', abi: 'custom' }, { abi: 'custom', customTemplate: '@args nonsense' });
    assert.equal(broken.fixes.filter((f) => f.strategy === 'hypercall').length, 0, 'a bad template gives no hypercall fix');
  });

  it('SMSW hypercalls pass the byte count SMSW stores (memory and r16: 2, r32: 4, r64: 8) and read back exactly that', () => {
    const cases: { bits: 32 | 64; instruction: string; count: 2 | 4 | 8 }[] = [
      { bits: 64, instruction: 'smsw [rsp+8]', count: 2 },
      { bits: 32, instruction: 'smsw word [ebx]', count: 2 },
      { bits: 64, instruction: 'smsw ax', count: 2 },
      { bits: 32, instruction: 'smsw dx', count: 2 },
      { bits: 64, instruction: 'smsw eax', count: 4 },
      { bits: 32, instruction: 'smsw edx', count: 4 },
      { bits: 64, instruction: 'smsw rdx', count: 8 },
      { bits: 64, instruction: 'smsw rcx', count: 8 },
    ];
    const widthOf = (name: string): number => (/^r/.test(name) ? 8 : /^e/.test(name) ? 4 : 2);
    for (const c of cases) {
      for (const abi of ['kvm', 'xen', 'hyperv'] as const) {
        const label = `${abi} ${c.bits}-bit ${c.instruction}`;
        const text = titled(fixesFor({ dialect: 'nasm', bits: c.bits, ruleId: 'smsw', instruction: c.instruction, abi }).fixes, 'hypercall').edit.newText;
        const lines = text.split('\n').map((l) => l.trim());
        const call = lines.findIndex((l) => /^(vmcall|call )/.test(l));
        assert.ok(call > 0, `${label}: no call in\n${text}`);
        // arg1 (KVM: ECX; Xen: RSI in 64-bit, ECX in 32-bit; Hyper-V: the input block's first field)
        const countRegister = abi === 'xen' && c.bits === 64 ? 'esi' : abi === 'hyperv' ? 'eax' : 'ecx';
        const setsCount = lines.slice(0, call).filter((l) => l === `mov ${countRegister}, ${c.count}`);
        assert.equal(setsCount.length, 1, `${label}: arg1 should be ${c.count}\n${text}`);
        if (abi === 'hyperv') assert.ok(lines.slice(0, call).some((l) => /^lea rdx|^lea ecx/.test(l)), `${label}: no input block\n${text}`);
        const reads = lines.slice(call + 1).filter((l) => /^movz?x? \w+, \[[er]sp\+\d+\]$/.test(l));
        if (c.instruction.includes('[')) {
          assert.equal(reads.length, 0, `${label}: a memory destination is written by the hypervisor, not read back\n${text}`);
          continue;
        }
        assert.equal(reads.length, 1, `${label}: expected one read of the result buffer\n${text}`);
        const [, op, dest] = /^(\w+) (\w+),/.exec(reads[0]!)!;
        assert.equal(op, 'mov', `${label}: the result is ${c.count} bytes of CR0, not a zero-extended word: ${reads[0]}`);
        assert.equal(widthOf(dest!), c.count, `${label}: reads ${reads[0]}`);
      }
    }
  });

  it('titles name the instruction, the mechanism and the hypercall number', () => {
    const smsw = fixesFor({ dialect: 'nasm', bits: 64, ruleId: 'smsw', instruction: 'smsw ax' }).fixes.map((f) => f.title);
    // The fixture defines the numbers itself, so the hypercall adds no include and its title says none.
    assert.deepEqual(smsw, [
      'Replace SMSW with MOV from CR0 (traps at CPL>0)',
      'Replace SMSW with a KVM hypercall (VIRTLINT_HC_SMSW)',
      "Prefix SMSW with KVM's forced-emulation marker (needs kvm.force_emulation_prefix=1)",
    ]);
    const cpuid = fixesFor({ dialect: 'nasm', bits: 64, ruleId: 'cpuid', instruction: 'cpuid', abi: 'xen' }).fixes.map((f) => f.title);
    assert.deepEqual(cpuid, ["Prefix CPUID with Xen's forced-emulation marker (Xen emulates CPUID for PV guests)", 'Replace CPUID with a Xen hypercall (VIRTLINT_HC_CPUID)']);
  });
});

describe('fixes: definitions and header', () => {
  it('writes every number in each dialect\'s constant syntax', () => {
    const syntax = { nasm: /^%define (\w+) (0x[0-9a-f]+|\d+) ;/m, 'gas-att': /^\.equ (\w+), (0x[0-9a-f]+|\d+) \/\*/m, 'gas-intel': /^\.equ (\w+), (0x[0-9a-f]+|\d+) \/\*/m, masm: /^(\w+) EQU ([0-9A-F]+h|\d+) ;/m, fasm: /^(\w+) = (0x[0-9a-f]+|\d+) ;/m } as const;
    for (const [dialect, pattern] of Object.entries(syntax) as [keyof typeof syntax, RegExp][]) {
      for (const abi of ['kvm', 'xen', 'hyperv'] as const) {
        const text = hypercallDefinitions(dialect, abi);
        for (const rule of HYPERCALL_RULES) {
          const line = text.split('\n').find((l) => l.includes(`${hypercallSymbol(rule)} `) || l.includes(`${hypercallSymbol(rule)},`));
          assert.ok(line, `${dialect}/${abi}: ${rule} missing`);
          const m = pattern.exec(line);
          assert.ok(m, `${dialect}: "${line}" has the wrong syntax`);
          const raw = m[2]!;
          const value = raw.endsWith('h') ? parseInt(raw.slice(0, -1), 16) : Number(raw);
          assert.equal(value, hypercallNumber(rule, abi));
        }
        if (abi === 'xen') assert.match(text, /VIRTLINT_XEN_VCPU_UPCALL_MASK/);
      }
    }
  });

  it('the header states how many bytes each SMSW hypercall writes', () => {
    for (const abi of ['kvm', 'xen', 'hyperv'] as const) {
      const line = hypercallHeader(abi).split('\n').find((l) => l.startsWith(`/* ${hypercallSymbol('smsw')}:`));
      assert.ok(line, `${abi}: no SMSW contract`);
      assert.match(line, /arg1 = byte count \(2, 4 or 8\); write exactly arg1 bytes/);
      assert.match(line, /2 = a memory or 16-bit register destination/);
      assert.match(line, /4 = a 32-bit register \(CR0\[31:0\]\)/);
      assert.match(line, /8 = a 64-bit register \(CR0\[63:0\]\)/);
    }
    assert.match(hypercallDefinitions('nasm', 'kvm'), /VIRTLINT_HC_SMSW 0x564c0005 ; replaces SMSW \(arg1 = bytes of CR0 to store: 2 memory\/r16, 4 r32, 8 r64\)/);
  });

  it('the C header compiles and agrees with the guest-side numbers', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtlint-h-'));
    try {
      for (const abi of ['kvm', 'kvm-amd', 'xen', 'hyperv', 'custom'] as const) {
        fs.writeFileSync(path.join(dir, 'virtlint_hypercalls.h'), hypercallHeader(abi));
        const checks = HYPERCALL_RULES.map((r) => `_Static_assert(${hypercallSymbol(r)} == ${hypercallNumber(r, abi)}u, "${r}");`).join('\n');
        fs.writeFileSync(path.join(dir, 'check.c'), `#include "virtlint_hypercalls.h"\n${checks}\nint main(void) { return 0; }\n`);
        const cc = spawnSync('cc', ['-std=c11', '-Wall', '-Werror', '-fsyntax-only', 'check.c'], { cwd: dir, encoding: 'utf8' });
        if (cc.error) throw new Error(`cc is required for this test (apt-get install -y gcc): ${cc.error.message}`);
        assert.equal(cc.status, 0, `${abi}: ${cc.stderr}`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('fixes: readable blocks, labels and the pass bound', () => {
  it("the forced-emulation prefix keeps the user's comment on the instruction, not on the db line", () => {
    const { fixture, fixes } = fixesFor({ dialect: 'nasm', bits: 32, ruleId: 'sgdt', instruction: 'sgdt [esp+8]' });
    const after = applyEdits(fixture.text, [titled(fixes, 'forced-emulation').edit]).split('\n');
    const db = after.findIndex((line) => /\bdb 0x0f, 0x0b/.test(line));
    assert.ok(db > 0);
    assert.doesNotMatch(after[db]!, /keep this comment/);
    assert.match(after[db + 1]!, /sgdt \[esp\+8\] ; virtlint-fixed: sgdt -- ; keep this comment$/);
    assert.match(after[db - 1]!, /; virtlint: KVM forced-emulation prefix for SGDT, needs kvm\.force_emulation_prefix=1/);
  });

  it('generated labels are numbered, not named after a line, and fixes planned together never share one', () => {
    const text = ['bits 32', ...Array<string>(40).fill('nop'), 'popf', 'popf', 'popf'].join('\n') + '\n';
    const result = analyzeText(text, { rules: ['all'] });
    const after = applyEdits(text, fixAll(text, result, 'trap', { abi: 'kvm' }));
    const labels = (after.match(/^\s*\.\.@(vl_\w+):/gm) ?? []).map((l) => l.trim());
    assert.deepEqual(labels, ['..@vl_cli_1:', '..@vl_popf_1:', '..@vl_cli_2:', '..@vl_popf_2:', '..@vl_cli_3:', '..@vl_popf_3:']);
    // A later fix in the fixed text takes the next free numbers.
    const more = after + 'popf\n';
    const fix = fixesForFinding(more, analyzeText(more, { rules: ['all'] }), analyzeText(more, { rules: ['all'] }).findings.find((f) => f.ruleId === 'popf' && f.range.start.line > 60)!, { abi: 'kvm' })[0]!;
    assert.match(fix.edit.newText, /\.\.@vl_cli_4:/);
  });

  it('fix passes stop at MAX_FIX_PASSES and say so; the next run finishes the line', () => {
    const line = Array<string>(MAX_FIX_PASSES + 2).fill('pushf').join('; ');
    const text = `.code32\n    ${line}\n`;
    const options = { dialect: 'gas-att' as const, rules: ['all'] };
    const reanalyze = (t: string) => analyzeText(t, options);
    const first = fixUntilStable(text, reanalyze(text), 'trap', { abi: 'kvm' }, reanalyze);
    assert.equal(first.passes, MAX_FIX_PASSES);
    assert.equal(first.stable, false);
    assert.equal(first.applied, MAX_FIX_PASSES);
    const second = fixUntilStable(first.text, reanalyze(first.text), 'trap', { abi: 'kvm' }, reanalyze);
    assert.equal(second.applied, 2);
    assert.equal(second.stable, true);
    assert.deepEqual(reanalyze(second.text).findings.map((f) => f.ruleId), []);
  });
});
