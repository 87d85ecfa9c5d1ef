// Macro body fixes as text: MASM (no assembler here, so hand-checked spellings), the label
// spellings per dialect, what stays refused (parameters, repeats, anonymous labels already in
// use), and that NASM assembles what the repeat case leaves.
import * as assert from 'node:assert/strict';
import { analyzeText, type Dialect } from '../../server/src/analysis';
import { applyEdits, fixesForFinding, fixAll, macroFixRefusal, type FixOptions } from '../../server/src/analysis/fixes';
import { assembleDetailed } from '../helpers/assemble';

const KVM: FixOptions = { abi: 'kvm' };

function lines(...text: string[]): string {
  return text.join('\n') + '\n';
}

function fixesOn(text: string, dialect: Dialect, ruleId: string, options: FixOptions = KVM) {
  const result = analyzeText(text, { dialect, bits: 32, rules: ['all'] });
  const finding = result.findings.find((f) => f.ruleId === ruleId);
  assert.ok(finding, `${ruleId} is reported`);
  return { result, finding, fixes: fixesForFinding(text, result, finding, options) };
}

describe('fixes: macro body lines as text', () => {
  it('MASM: the POPF trap uses anonymous labels, each jump forward to the very next @@', () => {
    const text = lines('.model flat', '.code', 'SAVE_FLAGS MACRO', '    popfd ; restore', 'ENDM', '    SAVE_FLAGS', '    SAVE_FLAGS', 'end');
    const { fixes } = fixesOn(text, 'masm', 'popf');
    const trap = fixes.find((f) => f.kind === 'trap-equivalent')!;
    assert.equal(trap.title, "Replace POPFD's IF change with CLI/STI (trap when CPL>IOPL) in the body of SAVE_FLAGS (changes every use)");
    assert.equal(
      trap.edit.newText,
      [
        "; virtlint: POPFD's IF change as CLI/STI, which fault when CPL > IOPL so the VMM sees it",
        '    test word ptr [esp], 200h ; IF (bit 9) of the saved flags image',
        '    jz @F',
        '    sti ; faults when CPL > IOPL',
        '    @@:',
        '    jnz @F',
        '    cli ; faults when CPL > IOPL',
        '    @@:',
        '    popfd ; virtlint-fixed: popf -- ; restore',
      ].join('\n'),
    );
  });

  it('MASM: no labelled fix when the file already uses @@ labels; the prefix is still offered', () => {
    const text = lines('.model flat', '.code', 'SAVE_FLAGS MACRO', '    popfd', 'ENDM', '    jmp @F', '    SAVE_FLAGS', '@@: nop', 'end');
    const { fixes } = fixesOn(text, 'masm', 'popf');
    assert.deepEqual(fixes.map((f) => f.kind), ['hypercall', 'forced-emulation']);
    assert.equal(
      fixes[1]!.edit.newText,
      [
        '; virtlint: KVM forced-emulation prefix for POPFD, needs kvm.force_emulation_prefix=1; elsewhere its ud2 is an invalid-opcode fault',
        '    db 0Fh, 0Bh, 6Bh, 76h, 6Dh ; KVM forced-emulation prefix (ud2 + "kvm")',
        '    popfd ; virtlint-fixed: popf',
      ].join('\n'),
    );
  });

  it("MASM: Xen's POPF sequence jumps past its own label, so it is not offered in a macro body", () => {
    const text = lines('.model flat', '.code', 'SAVE_FLAGS MACRO', '    popfd', 'ENDM', '    SAVE_FLAGS', 'end');
    const { fixes } = fixesOn(text, 'masm', 'popf', { abi: 'xen' });
    assert.deepEqual(fixes.map((f) => f.kind), ['trap-equivalent', 'forced-emulation']);
  });

  it('MASM: a parameter or a & substitution in the operands is refused, with the reason', () => {
    const byName = lines('.model flat', '.code', 'STORE_MSW MACRO dst:REQ', '    smsw word ptr [DST]', 'ENDM', '    STORE_MSW esp', 'end');
    const named = fixesOn(byName, 'masm', 'smsw');
    assert.deepEqual(named.fixes, []);
    assert.match(macroFixRefusal(byName, named.finding, 'masm') ?? '', /macro parameter DST/);
    const amp = lines('.model flat', '.code', 'STORE_MSW MACRO n', '    smsw word ptr [esp+&n&]', 'ENDM', '    STORE_MSW 4', 'end');
    const substituted = fixesOn(amp, 'masm', 'smsw');
    assert.deepEqual(substituted.fixes, []);
    assert.match(macroFixRefusal(amp, substituted.finding, 'masm') ?? '', /text substitution/);
  });

  it('the label spellings: NASM %%, GNU as \\@, FASM local before the first use', () => {
    const nasm = fixesOn(lines('bits 32', '%macro M 0', '    popf', '%endmacro', '    M'), 'nasm', 'popf').fixes[0]!.edit.newText;
    assert.match(nasm, /jz %%vl_cli_1\n/);
    assert.match(nasm, /\n {4}%%vl_cli_1:\n/);
    const gas = fixesOn(lines('.code32', '.macro M', '    popfl', '.endm', '    M'), 'gas-att', 'popf').fixes[0]!.edit.newText;
    assert.match(gas, /jz \.Lvl_cli_1\\@\n/);
    assert.match(gas, /\n {4}\.Lvl_popf_1\\@:\n/);
    const fasm = fixesOn(lines('use32', 'macro M {', '    popfd', '}', '    M'), 'fasm', 'popf').fixes[0]!.edit.newText.split('\n');
    assert.equal(fasm[2], '    local ..vl_cli_1, ..vl_popf_1');
    assert.match(fasm[3]!, /^ {4}jz \.\.vl_cli_1$/);
  });

  it('NASM: in a %rep inside the macro, labelled fixes are refused and the prefix assembles', () => {
    const text = lines('bits 32', '%macro M 0', '%rep 2', '    popf', '%endrep', '%endmacro', '    M', '    M');
    const { result, fixes } = fixesOn(text, 'nasm', 'popf');
    assert.deepEqual(fixes.map((f) => f.kind), ['hypercall', 'forced-emulation']);
    const fixed = applyEdits(text, fixAll(text, result, 'trap', KVM));
    const image = Buffer.from(assembleDetailed('nasm', fixed, { bits: 32 }).image).toString('hex');
    assert.equal(image, '0f0b6b766d9d'.repeat(4), 'four prefixed POPFs: two uses × two repeats');
  });

  it('outside a macro the fix is as before (no "in the body" title, no macro-local labels)', () => {
    const { fixes } = fixesOn(lines('bits 32', '    popf'), 'nasm', 'popf');
    assert.ok(!fixes[0]!.title.includes('in the body'));
    assert.match(fixes[0]!.edit.newText, /jz \.\.@vl_cli_1\n/);
  });
});
