// Hover tests build AnalysisResult objects by hand (the analyzer is being written in
// parallel); the hover only reads findings, instructions and suppressed findings.
import * as assert from 'assert';
import * as fc from 'fast-check';
import { analyzeText } from '../../server/src/analysis/index';
import { ruleById } from '../../server/src/analysis/catalogue/index';
import { hoverAt, instructionFactsLine, ruleSummary } from '../../server/src/analysis/hover/index';
import { fixesForFinding } from '../../server/src/analysis/fixes/index';
import { Code } from '../../server/src/analysis/resolve/iced';
import type { AnalysisResult, Bits, Finding, Operand, ParsedInstruction, Range, RuleId } from '../../server/src/analysis/types';

/** A menu title as the card's Do line names it: without its remarks in parentheses. */
function cardName(title: string): string {
  return title.replace(/\s*\([^()]*\)/g, '').trim();
}

function range(line: number, start: number, end: number): Range {
  return { start: { line, character: start }, end: { line, character: end } };
}

/** A NASM statement on `line`, with register operands split out of `source` (enough for these tests). */
function instruction(line: number, source: string, bits: Bits = 64): ParsedInstruction {
  const indent = source.length - source.trimStart().length;
  const [mnemonic = '', ...rest] = source.trim().split(/\s+/);
  const operandText = rest.join(' ');
  const operands: Operand[] = [];
  let offset = indent + mnemonic.length + 1;
  for (const text of operandText ? operandText.split(/\s*,\s*/) : []) {
    const at = source.indexOf(text, offset);
    offset = at + text.length;
    operands.push(operandFor(text, range(line, at, at + text.length)));
  }
  return {
    dialect: 'nasm',
    bits,
    range: range(line, indent, source.trimEnd().length),
    mnemonicRange: range(line, indent, indent + mnemonic.length),
    mnemonic: mnemonic.toLowerCase(),
    prefixes: [],
    operands,
    far: false,
    inMacro: false,
    line,
  };
}

const REGISTERS: Record<string, { cls: 'gpr16' | 'gpr32' | 'gpr64' | 'sreg' | 'cr'; size: number }> = {
  ax: { cls: 'gpr16', size: 2 },
  eax: { cls: 'gpr32', size: 4 },
  rax: { cls: 'gpr64', size: 8 },
  rbx: { cls: 'gpr64', size: 8 },
  ds: { cls: 'sreg', size: 2 },
  cr0: { cls: 'cr', size: 8 },
};

function operandFor(text: string, where: Range): Operand {
  const register = REGISTERS[text];
  if (register) return { kind: 'reg', reg: text, cls: register.cls, size: register.size, text, range: where };
  const memory = /^\[(\w+)\]$/.exec(text);
  if (memory) return { kind: 'mem', base: memory[1], text, range: where };
  return { kind: 'unknown', text, range: where };
}

function finding(ins: ParsedInstruction, ruleId: RuleId, code: number, message: string): Finding {
  return { ruleId, severity: 'warning', message, range: ins.range, mnemonicRange: ins.mnemonicRange, instruction: ins, code, codeName: '' };
}

function result(instructions: ParsedInstruction[], findings: Finding[], suppressed: Finding[] = []): AnalysisResult {
  return { dialect: 'nasm', dialectSource: 'modeline', bits: 64, bitsSource: 'modeline', bitsRegions: [{ startLine: 0, bits: 64 }], instructions, findings, suppressed };
}

const TEXT = [
  '    sidt [rax]', //                                              0
  '    mov rax, cr0', //                                            1
  '    add rax, rbx', //                                            2
  '    cpuid', //                                                   3
  '    ; virtlint-disable-next-line popf, sidt -- saved flags only', // 4
  '    mov ax, ds', //                                              5
  '    ; virtlint-disable-line nosuchrule', //                     6
  '    cli', //                                                     7
  '    frobnicate rax', //                                          8
].join('\n');

const sidt = instruction(0, '    sidt [rax]');
const movCr0 = instruction(1, '    mov rax, cr0');
const add = instruction(2, '    add rax, rbx');
const cpuid = instruction(3, '    cpuid');
const movDs = instruction(5, '    mov ax, ds');
const cli = instruction(7, '    cli');
const macro = instruction(8, '    frobnicate rax');
const sidtFinding = finding(sidt, 'sidt', Code.Sidt_m1664, 'SIDT stores the IDTR without trapping: under a software VMM it returns the host\'s IDT base');
const suppressedMovDs = finding(movDs, 'mov-sreg', Code.Mov_r32m16_Sreg, 'MOV with a segment register depends on the real CPL');
const analysis = result([sidt, movCr0, add, cpuid, movDs, cli, macro], [sidtFinding], [suppressedMovDs]);

describe('hover: flagged instruction', () => {
  const hover = hoverAt(TEXT, analysis, { line: 0, character: 6 });

  it('leads with the answer: the message, then the fixes the menu offers, one paragraph of why, the link', () => {
    assert.ok(hover, 'no hover on a flagged instruction');
    const blocks = hover.markdown.split('\n\n');
    assert.equal(blocks[0], `**${sidtFinding.message}.**`);
    assert.match(blocks[1] ?? '', /^`sidt` · warning/);
    // The fixes engine offers these for SIDT in 64-bit code with the default (KVM) ABI.
    const offered = fixesForFinding(TEXT, analysis, sidtFinding, { abi: 'kvm' }).map((fix) => cardName(fix.title));
    assert.ok(offered.length > 0);
    assert.equal(blocks[2], `**Do:** ${offered.join(' · ')}. System setting: CR4.UMIP.`);
    assert.ok((blocks[3] ?? '').startsWith('SIDT stores the interrupt descriptor table register'), blocks[3]);
    assert.match(blocks[4] ?? '', /^\[VT-x, AMD-V, UMIP, proof observations, encoding and sources\]\(docs\/rules\/sidt\.md\)$/);
    assert.equal(blocks.length, 5);
  });

  it('says the message once and stays within 600 characters before the link', () => {
    const markdown = hover?.markdown ?? '';
    assert.equal(markdown.split(sidtFinding.message).length, 2, 'the message appears exactly once');
    assert.ok(markdown.indexOf('[VT-x') <= 600, `${markdown.indexOf('[VT-x')} characters before the link`);
  });

  it('names each fix by its menu title without the remarks in parentheses, which the previews after the link give whole', () => {
    const offered = fixesForFinding(TEXT, analysis, sidtFinding, { abi: 'kvm' }).map((fix) => fix.title);
    const previewed = hoverAt(TEXT, analysis, { line: 0, character: 6 }, { previews: true })?.markdown ?? '';
    const [card = '', previews = ''] = previewed.split('\n\n---\n\n');
    assert.ok(offered.some((title) => /\(/.test(title)), offered.join(' | '));
    for (const title of offered) {
      assert.ok(card.includes(cardName(title)), title);
      assert.ok(previews.includes(`_${title}_`), `the preview heading is the whole title: ${title}`);
    }
    assert.doesNotMatch(card.split('\n\n')[2]!, /\(/);
  });

  it('lists the fixes for the ABI it is given, and takes the link maker it is given', () => {
    const xen = hoverAt(TEXT, analysis, { line: 0, character: 6 }, { fixes: { abi: 'xen' }, docsLink: (id) => `https://example.test/${id}` });
    const offered = fixesForFinding(TEXT, analysis, sidtFinding, { abi: 'xen' }).map((fix) => cardName(fix.title));
    assert.ok(xen?.markdown.includes(`**Do:** ${offered.join(' · ')}.`));
    assert.match(xen?.markdown ?? '', /\(https:\/\/example\.test\/sidt\)$/);
  });

  it('covers the whole instruction, operands included', () => {
    assert.deepStrictEqual(hover?.range, sidt.range);
    assert.ok(hoverAt(TEXT, analysis, { line: 0, character: 12 })?.markdown.startsWith(`**${sidtFinding.message}`));
  });

  it('meta findings show their title and advice', () => {
    const unknown = finding(macro, 'unknown-mnemonic', 0, 'FROBNICATE is not an x86 instruction virtlint knows; it is not checked');
    delete unknown.code;
    const meta = hoverAt(TEXT, result([macro], [unknown]), { line: 8, character: 6 });
    assert.ok(meta);
    assert.match(meta.markdown, /^\*\*`unknown-mnemonic`\*\* — Unknown mnemonic/);
    assert.ok(meta.markdown.includes(ruleById('unknown-mnemonic')!.advice));
  });
});

describe('hover: other instructions', () => {
  it('privileged instruction: one line saying it traps', () => {
    const hover = hoverAt(TEXT, analysis, { line: 1, character: 5 });
    assert.strictEqual(hover?.markdown, '`MOV r64, cr` — privileged: faults at CPL>0, so a trap-and-emulate VMM sees it; VM exit under VT-x: conditional; AMD-V: interceptable.');
    assert.deepStrictEqual(hover.range, movCr0.range);
  });

  it('ordinary instruction: not sensitive', () => {
    assert.strictEqual(
      hoverAt(TEXT, analysis, { line: 2, character: 4 })?.markdown,
      '`ADD r/m64, r64` — unprivileged and not sensitive: it behaves the same under a VMM; VM exit under VT-x: none; AMD-V: no intercept.',
    );
  });

  it('sensitive instruction whose rule is off, and one that a comment suppressed', () => {
    assert.match(hoverAt(TEXT, analysis, { line: 3, character: 6 })?.markdown ?? '', /^`CPUID` — sensitive but unprivileged \(rule `cpuid`\), not reported here: the rule is off for this profile or selection; VM exit under VT-x: always/);
    assert.match(hoverAt(TEXT, analysis, { line: 5, character: 5 })?.markdown ?? '', /\(rule `mov-sreg`\), not reported here: suppressed by a comment/);
  });

  it('IOPL-sensitive instruction', () => {
    assert.match(hoverAt(TEXT, analysis, { line: 7, character: 5 })?.markdown ?? '', /^`CLI` — IOPL-sensitive: faults when CPL > IOPL/);
  });

  it('unknown mnemonic and invalid-in-mode forms get an explanation', () => {
    assert.match(hoverAt(TEXT, analysis, { line: 8, character: 5 })?.markdown ?? '', /^`frobnicate rax` — not an x86 instruction virtlint knows/);
    const pushDs = instruction(0, 'push ds', 64);
    assert.match(instructionFactsLine(pushDs) ?? '', /^`push ds` — .*64-bit.*; valid in 16-bit, 32-bit code\.$/);
  });

  it('nothing outside instructions and comments', () => {
    assert.strictEqual(hoverAt(TEXT, analysis, { line: 0, character: 1 }), undefined);
    assert.strictEqual(hoverAt(TEXT, analysis, { line: 42, character: 0 }), undefined);
  });

  it('a statement continued onto the next line answers on both lines', () => {
    const text = '    cpuid \\\n    '; // NASM line continuation
    const spanning = { ...instruction(0, '    cpuid'), range: { start: { line: 0, character: 4 }, end: { line: 1, character: 2 } } };
    const spanned = result([spanning], []);
    assert.match(hoverAt(text, spanned, { line: 0, character: 5 })?.markdown ?? '', /^`CPUID`/);
    assert.match(hoverAt(text, spanned, { line: 1, character: 1 })?.markdown ?? '', /^`CPUID`/);
    assert.strictEqual(hoverAt(text, spanned, { line: 1, character: 3 }), undefined);
  });

  it('nothing for negative or fractional positions, even next to a suppression comment', () => {
    const text = '; virtlint-disable-line popf\npopf';
    const at = text.indexOf('popf') + 1;
    assert.ok(hoverAt(text, result([], []), { line: 0, character: at }), 'control: the id itself has a hover');
    for (const position of [{ line: -1, character: at }, { line: 0.5, character: at }, { line: 0, character: -1 }, { line: Number.NaN, character: at }]) {
      assert.strictEqual(hoverAt(text, result([], []), position), undefined, JSON.stringify(position));
    }
  });
});

describe('hover: rule ids in suppression comments', () => {
  it('shows the rule title and message for each id', () => {
    const line = TEXT.split('\n')[4]!;
    const popfAt = line.indexOf('popf');
    const popf = hoverAt(TEXT, analysis, { line: 4, character: popfAt + 2 });
    assert.ok(popf);
    assert.deepStrictEqual(popf.range, range(4, popfAt, popfAt + 4));
    assert.match(popf.markdown, /^\*\*`popf`\*\* — POPF silently ignores IF and IOPL changes at CPL>0/);
    assert.ok(popf.markdown.includes('POPF silently ignores IF and IOPL changes at CPL>0: the VMM never learns'));
    assert.match(popf.markdown, /deprivileged-kernel: error/);
    const sidtAt = line.indexOf('sidt');
    assert.match(hoverAt(TEXT, analysis, { line: 4, character: sidtAt })?.markdown ?? '', /^\*\*`sidt`\*\*/);
  });

  it('the reason after -- is not a rule id', () => {
    const line = TEXT.split('\n')[4]!;
    assert.strictEqual(hoverAt(TEXT, analysis, { line: 4, character: line.indexOf('flags') }), undefined);
  });

  it('an unknown id says it suppresses nothing', () => {
    const line = TEXT.split('\n')[6]!;
    const hover = hoverAt(TEXT, analysis, { line: 6, character: line.indexOf('nosuchrule') + 3 });
    assert.match(hover?.markdown ?? '', /^\*\*Unknown rule id `nosuchrule`\*\*: this comment suppresses nothing/);
  });

  it('works after virtlint-fixed: and in block comments', () => {
    const text = 'popf /* virtlint-fixed: popf */';
    const hover = hoverAt(text, result([], []), { line: 0, character: text.lastIndexOf('popf') + 1 });
    assert.strictEqual(hover?.markdown, ruleSummary('popf'));
    assert.strictEqual(hoverAt(text, result([], []), { line: 0, character: text.indexOf('*/') + 1 }), undefined);
  });
});

describe('hover: bad input', () => {
  it('a finding with an unknown iced code still gets a card', () => {
    const broken = { ...sidtFinding, code: 987654 };
    const hover = hoverAt(TEXT, result([sidt], [broken]), { line: 0, character: 5 });
    assert.ok(hover, 'no hover');
    assert.ok(hover.markdown.startsWith(`**${sidtFinding.message}.**`));
  });

  it('never throws on arbitrary text, comments and positions', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string(), fc.constantFrom('; virtlint-disable-next-line ', 'virtlint-fixed:', ' -- ', '*/', 'sidt', ',', '\r', '\u0000', '\ud800')), { maxLength: 12 }),
        fc.nat(4),
        fc.integer({ min: -2, max: 200 }),
        (parts, line, character) => {
          const text = parts.join('');
          const hover = hoverAt(text, result([], []), { line, character });
          if (hover) assert.ok(hover.markdown.length > 0 && hover.range.start.line === line);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('hover: on analyzeText results', () => {
  const nasmSource = [
    '; virtlint: dialect=nasm bits=64',
    '    sidt [rel idt_save]',
    '    mov rax, cr0',
    '    cpuid',
    '    ; virtlint-disable-next-line popf -- only the arithmetic flags matter here',
    '    popfq',
    'idt_save: dq 0, 0',
  ].join('\n');
  const nasm = analyzeText(nasmSource);

  it('card on the flagged SIDT, facts lines elsewhere', () => {
    const card = hoverAt(nasmSource, nasm, { line: 1, character: 6 });
    assert.match(card?.markdown ?? '', /^\*\*SIDT stores the IDTR without trapping: .*VMM's IDT base.*\.\*\*\n\n`sidt` · warning, long mode\n/);
    assert.strictEqual(card?.range.start.line, 1);
    assert.match(hoverAt(nasmSource, nasm, { line: 2, character: 5 })?.markdown ?? '', /^`MOV r64, cr` — privileged/);
    assert.match(hoverAt(nasmSource, nasm, { line: 3, character: 5 })?.markdown ?? '', /^`CPUID` — sensitive but unprivileged \(rule `cpuid`\), not reported here: the rule is off/);
  });

  it('suppressed POPFQ and the id in its comment', () => {
    assert.match(hoverAt(nasmSource, nasm, { line: 5, character: 6 })?.markdown ?? '', /^`POPFQ` — .*\(rule `popf`\), not reported here: suppressed by a comment/);
    const comment = nasmSource.split('\n')[4]!;
    assert.strictEqual(hoverAt(nasmSource, nasm, { line: 4, character: comment.indexOf('popf') + 1 })?.markdown, ruleSummary('popf'));
  });

  it('GNU as AT&T: card on lret, the iret rule reported as an error in the default profile', () => {
    const source = ['# virtlint: dialect=gas-att bits=64', '    lretq', '    iretq', '    addq %rbx, %rax'].join('\n');
    const result = analyzeText(source);
    assert.match(hoverAt(source, result, { line: 1, character: 6 })?.markdown ?? '', /^\*\*LRETQ checks the return selector's RPL against the real CPL.*\n\n`far-ret` · warning, long mode\n/);
    assert.match(hoverAt(source, result, { line: 2, character: 6 })?.markdown ?? '', /^\*\*IRETQ silently ignores IF and IOPL.*\n\n`iret` · error, long mode\n/);
    assert.match(hoverAt(source, result, { line: 3, character: 6 })?.markdown ?? '', /^`ADD r\/m64, r64` — unprivileged and not sensitive/);
  });
});

describe('hover: the execution mode and the menu', () => {
  it('16-bit real-mode code: the real-mode answer, and no hypercall where the menu offers none', () => {
    const source = ['; virtlint: dialect=nasm bits=16 mode=real', '    smsw ax', '    pushf'].join('\n');
    const analysed = analyzeText(source);
    for (const line of [1, 2]) {
      const finding = analysed.findings.find((candidate) => candidate.range.start.line === line)!;
      const card = hoverAt(source, analysed, { line, character: 5 })?.markdown ?? '';
      assert.ok(card.startsWith(`**${finding.message}.**`));
      assert.match(card, /real mode/);
      const offered = fixesForFinding(source, analysed, finding, { abi: 'kvm' }).map((fix) => cardName(fix.title));
      const doLine = card.split('\n').find((row) => row.startsWith('**Do:**')) ?? '';
      assert.ok(doLine.startsWith(offered.length > 0 ? `**Do:** ${offered.join(' · ')}.` : '**Do:** no quick fix on this line'), doLine);
      if (!offered.some((title) => /hypercall/i.test(title))) assert.doesNotMatch(card, /hypercall/i, 'no hypercall the menu does not offer');
      // Three fixes in the menu for SMSW here (MOV from CR0, the 16-bit hypercall, the prefix), and still within 600.
      assert.ok(card.indexOf('[VT-x') <= 600, `${card.indexOf('[VT-x')} characters before the link`);
    }
  });

  it('an instruction real mode does not report says why, instead of blaming the profile', () => {
    const source = ['; virtlint: dialect=nasm bits=16', 'org 0x7c00', '    mov ds, ax', '    push cs'].join('\n');
    const analysed = analyzeText(source);
    assert.deepEqual(analysed.findings, []);
    for (const line of [2, 3]) {
      const facts = hoverAt(source, analysed, { line, character: 5 })?.markdown ?? '';
      assert.match(facts, /not reported here: real mode has no CPL and checks nothing/);
      assert.doesNotMatch(facts, /off for this profile/);
    }
  });

  it('the same line reads differently per profile', () => {
    const source = ['; virtlint: dialect=nasm bits=32', '    sgdt [ebx]'].join('\n');
    const kernel = hoverAt(source, analyzeText(source), { line: 1, character: 5 })?.markdown ?? '';
    const audit = hoverAt(source, analyzeText(source, { profile: 'vm-detection-audit' }), { line: 1, character: 5 })?.markdown ?? '';
    const hardware = hoverAt(source, analyzeText(source, { profile: 'hardware-assisted-guest' }), { line: 1, character: 5 })?.markdown ?? '';
    assert.match(kernel.split('\n')[0]!, /deprivileged kernel/);
    assert.match(audit.split('\n')[0]!, /reveals the GDT base/);
    assert.match(hardware.split('\n')[0]!, /descriptor-table exiting/);
    // The why follows the profile too: what goes wrong, what detectors do with it, what VT-x changes.
    assert.match(kernel, /\n\nSGDT writes the limit and linear base/);
    assert.match(audit, /\n\nVM-detection tools such as ScoopyNG/);
    assert.match(hardware, /\n\nThe guest kernel runs at its real CPL 0 with its own descriptor-table registers/);
  });
});
