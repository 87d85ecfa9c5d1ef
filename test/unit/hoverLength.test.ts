// Every hover card, over every rule × execution mode × profile × dialect (and hypercall ABI, and
// where a fix's numbers go): the answer first, the menu's fixes, one paragraph of why, the link,
// and at most 600 characters before the link (issue 19: "under about 600"). Set
// VIRTLINT_HOVER_STATS=1 to print the distribution.
import * as assert from 'node:assert/strict';
import { analyzeText, type Bits, type Dialect, type ExecutionMode, type Finding, type FindingContext, type HypercallAbi } from '../../server/src/analysis';
import { PROFILES, RULES } from '../../server/src/analysis/catalogue/index';
import { fixesForFinding } from '../../server/src/analysis/fixes/index';
import { hoverAt } from '../../server/src/analysis/hover/index';

/** The issue's bound on the text before the docs link. */
const MOST_BEFORE_LINK = 600;

type Forms = Record<string, Record<Bits, readonly string[]>>;

function everywhere(...statements: string[]): Record<Bits, readonly string[]> {
  return { 16: statements, 32: statements, 64: statements };
}

/** Intel-order statements (NASM spelling): segment stores and loads, CS/SS and data registers, each rule's forms per bitness. */
const NASM: Forms = {
  sgdt: { 16: ['sgdt [bx]'], 32: ['sgdt [ebx]'], 64: ['sgdt [rbx]'] },
  sidt: { 16: ['sidt [bx]'], 32: ['sidt [ebx]'], 64: ['sidt [rbx]'] },
  sldt: everywhere('sldt ax'),
  smsw: { 16: ['smsw ax'], 32: ['smsw eax'], 64: ['smsw rax'] },
  str: everywhere('str ax'),
  pushf: { 16: ['pushf'], 32: ['pushfd'], 64: ['pushfq'] },
  popf: { 16: ['popf'], 32: ['popfd'], 64: ['popfq'] },
  lar: { 16: ['lar ax, bx'], 32: ['lar eax, bx'], 64: ['lar eax, bx'] },
  lsl: { 16: ['lsl ax, bx'], 32: ['lsl eax, bx'], 64: ['lsl eax, bx'] },
  verr: everywhere('verr ax'),
  verw: everywhere('verw ax'),
  'push-sreg': { 16: ['push cs', 'push ss', 'push ds'], 32: ['push cs', 'push ss', 'push ds'], 64: ['push fs'] },
  'pop-sreg': { 16: ['pop ss', 'pop ds'], 32: ['pop ss', 'pop ds'], 64: ['pop fs'] },
  'mov-sreg': everywhere('mov ax, cs', 'mov ax, ss', 'mov ax, ds', 'mov ss, ax', 'mov ds, ax'),
  'far-call': { 16: ['call 0x08:0x1000'], 32: ['call 0x08:0x1000'], 64: ['call far [rax]'] },
  'far-jmp': { 16: ['jmp 0x08:0x1000'], 32: ['jmp 0x08:0x1000'], 64: ['jmp far [rax]'] },
  'far-ret': everywhere('retf'),
  int: everywhere('int 0x80'),
  iret: { 16: ['iret'], 32: ['iretd'], 64: ['iretq'] },
  cpuid: everywhere('cpuid'),
  rdtsc: everywhere('rdtsc'),
  rdtscp: everywhere('rdtscp'),
  rdpmc: everywhere('rdpmc'),
  rdpid: { 16: ['rdpid eax'], 32: ['rdpid eax'], 64: ['rdpid rax'] },
  xgetbv: everywhere('xgetbv'),
};

const ATT: Forms = {
  ...NASM,
  sgdt: { 16: ['sgdt (%bx)'], 32: ['sgdt (%ebx)'], 64: ['sgdt (%rbx)'] },
  sidt: { 16: ['sidt (%bx)'], 32: ['sidt (%ebx)'], 64: ['sidt (%rbx)'] },
  sldt: everywhere('sldt %ax'),
  smsw: { 16: ['smsw %ax'], 32: ['smsw %eax'], 64: ['smsw %rax'] },
  str: everywhere('str %ax'),
  pushf: { 16: ['pushf'], 32: ['pushfl'], 64: ['pushfq'] },
  popf: { 16: ['popf'], 32: ['popfl'], 64: ['popfq'] },
  lar: { 16: ['lar %bx, %ax'], 32: ['lar %bx, %eax'], 64: ['lar %bx, %eax'] },
  lsl: { 16: ['lsl %bx, %ax'], 32: ['lsl %bx, %eax'], 64: ['lsl %bx, %eax'] },
  verr: everywhere('verr %ax'),
  verw: everywhere('verw %ax'),
  'push-sreg': { 16: ['push %cs', 'push %ss', 'push %ds'], 32: ['push %cs', 'push %ss', 'push %ds'], 64: ['push %fs'] },
  'pop-sreg': { 16: ['pop %ss', 'pop %ds'], 32: ['pop %ss', 'pop %ds'], 64: ['pop %fs'] },
  'mov-sreg': everywhere('mov %cs, %ax', 'mov %ss, %ax', 'mov %ds, %ax', 'mov %ax, %ss', 'mov %ax, %ds'),
  'far-call': { 16: ['lcall $0x08, $0x1000'], 32: ['lcall $0x08, $0x1000'], 64: ['lcall *(%rax)'] },
  'far-jmp': { 16: ['ljmp $0x08, $0x1000'], 32: ['ljmp $0x08, $0x1000'], 64: ['ljmp *(%rax)'] },
  'far-ret': everywhere('lret'),
  int: everywhere('int $0x80'),
  iret: { 16: ['iret'], 32: ['iretl'], 64: ['iretq'] },
  rdpid: { 16: ['rdpid %eax'], 32: ['rdpid %eax'], 64: ['rdpid %rax'] },
};

const GAS_INTEL: Forms = {
  ...NASM,
  'far-call': { 16: ['call 0x08:0x1000'], 32: ['call 0x08:0x1000'], 64: ['call fword ptr [rax]'] },
  'far-jmp': { 16: ['jmp 0x08:0x1000'], 32: ['jmp 0x08:0x1000'], 64: ['jmp fword ptr [rax]'] },
};

const MASM: Forms = {
  ...NASM,
  sgdt: { 16: ['sgdt fword ptr [bx]'], 32: ['sgdt fword ptr [ebx]'], 64: ['sgdt fword ptr [rbx]'] },
  sidt: { 16: ['sidt fword ptr [bx]'], 32: ['sidt fword ptr [ebx]'], 64: ['sidt fword ptr [rbx]'] },
  'far-call': { 16: ['call dword ptr [bx]'], 32: ['call fword ptr [ebx]'], 64: ['call fword ptr [rax]'] },
  'far-jmp': { 16: ['jmp dword ptr [bx]'], 32: ['jmp fword ptr [ebx]'], 64: ['jmp fword ptr [rax]'] },
  int: everywhere('int 80h'),
};

const FASM: Forms = {
  ...NASM,
  'far-call': { 16: ['call 0x08:0x1000'], 32: ['call 0x08:0x1000'], 64: ['call fword [rax]'] },
  'far-jmp': { 16: ['jmp 0x08:0x1000'], 32: ['jmp 0x08:0x1000'], 64: ['jmp fword [rax]'] },
};

const DIALECT_FORMS: Record<Dialect, Forms> = { nasm: NASM, 'gas-att': ATT, 'gas-intel': GAS_INTEL, masm: MASM, fasm: FASM };
const MODE_BITS: Record<ExecutionMode, Bits> = { real: 16, v86: 16, pm16: 16, unknown: 16, pm32: 32, long: 64 };
const ABIS: readonly HypercallAbi[] = ['kvm', 'kvm-amd', 'xen', 'hyperv'];

/** A menu title as the card names it: without its remarks in parentheses (the previews and the menu give it whole). */
function cardName(title: string): string {
  return title.replace(/\s*\([^()]*\)/g, '').trim();
}

interface Measured {
  length: number;
  what: string;
}

interface Case {
  dialect: Dialect;
  rule: string;
  mode: ExecutionMode;
  statement: string;
  profile: (typeof PROFILES)[number];
  text: string;
  result: ReturnType<typeof analyzeText>;
  finding: Finding;
}

/** Every rule's every form in every mode and profile, in every dialect, where it is reported. */
function* cases(): Generator<Case> {
  for (const [dialect, forms] of Object.entries(DIALECT_FORMS) as Array<[Dialect, Forms]>) {
    const comment = dialect.startsWith('gas') ? '#' : ';';
    for (const [rule, byBits] of Object.entries(forms)) {
      for (const [mode, bits] of Object.entries(MODE_BITS) as Array<[ExecutionMode, Bits]>) {
        for (const statement of byBits[bits]) {
          const text = `${comment} virtlint: dialect=${dialect} bits=${bits}${mode === 'unknown' ? '' : ` mode=${mode}`}\n    ${statement}\n`;
          for (const profile of PROFILES) {
            const result = analyzeText(text, { rules: ['all'], profile });
            const finding = result.findings.find((candidate) => candidate.ruleId === rule);
            if (finding) yield { dialect, rule, mode, statement, profile, text, result, finding };
          }
        }
      }
    }
  }
}

/** A header read by several includers: the finding the merged view shows, with two other readings from includers with long names. */
function readOtherwiseElsewhere(finding: Finding, dialect: Dialect): Finding {
  const includer = (name: string, line: number): FindingContext => ({ root: `/work/project/${name}`, includes: [{ path: `/work/project/${name}`, line }], dialect, bits: 16 });
  const shown: FindingContext = { ...includer('the-includer-this-card-speaks-for.asm', 11), severity: finding.severity, ...(finding.mode ? { mode: finding.mode } : {}), message: finding.message };
  const others: FindingContext[] = [
    { ...includer('second-stage-boot-loader-in-real-mode.asm', 120), mode: 'real', severity: finding.severity === 'hint' ? 'info' : 'hint', message: 'read in real mode' },
    { ...includer('advanced-power-management-bios-calls.asm', 340), mode: 'pm16', severity: finding.severity === 'error' ? 'warning' : 'error', message: 'read in 16-bit protected mode' },
    { ...includer('another-advanced-power-management-entry.asm', 7), mode: 'pm16', severity: finding.severity === 'error' ? 'warning' : 'error', message: 'read in 16-bit protected mode' },
    { ...includer('and-a-third-one.asm', 9), mode: 'pm16', severity: finding.severity === 'error' ? 'warning' : 'error', message: 'read in 16-bit protected mode' },
  ];
  return { ...finding, contexts: [shown, ...others] };
}

describe('hover: every card, every rule × mode × profile × dialect', function () {
  this.timeout(120000);
  const measured: Measured[] = [];
  const cardsPerDialect = new Map<Dialect, number>();

  it('has the forms of every instruction rule in every dialect', () => {
    for (const [dialect, forms] of Object.entries(DIALECT_FORMS)) {
      assert.deepEqual(Object.keys(forms).sort(), RULES.map((rule) => rule.id).sort(), dialect);
    }
  });

  /** The card's parts in order, and its length before the link (checked against the bound). */
  function checkCard(card: string, { text, result, finding, rule }: Case, abi: HypercallAbi, what: string): string[] {
    const blocks = card.split('\n\n');
    assert.equal(blocks[0], `**${finding.message}.**`, what);
    assert.ok(blocks[1]!.startsWith(`\`${rule}\` · ${finding.severity}`), `${what}\n${blocks[1]}`);
    const offered = fixesForFinding(text, result, finding, { abi }).map((fix) => cardName(fix.title));
    const doLine = blocks[2] ?? '';
    if (offered.length === 0) assert.match(doLine, /^\*\*Do:\*\* no quick fix on this line; /, what);
    else assert.ok(doLine.startsWith(`**Do:** ${offered.join(' · ')}.`), `${what}\n${doLine}\nmenu: ${offered.join(' | ')}`);
    assert.ok((blocks[3] ?? '').length > 0 && !blocks[3]!.startsWith('['), `${what}: a paragraph of why`);
    assert.match(blocks[4] ?? '', new RegExp(`^\\[VT-x, AMD-V, UMIP, proof observations, encoding and sources\\]\\(docs/rules/${rule}\\.md\\)$`), what);
    assert.equal(blocks.length, 5, what);
    const length = card.indexOf('[VT-x');
    assert.ok(length <= MOST_BEFORE_LINK, `${what}: ${length} characters before the link\n${card}`);
    return blocks;
  }

  it('leads with the problem, names exactly the menu\'s fixes, gives one paragraph of why and the link, in at most 600 characters before it', () => {
    for (const dialect of Object.keys(DIALECT_FORMS) as Dialect[]) cardsPerDialect.set(dialect, 0);
    for (const each of cases()) {
      cardsPerDialect.set(each.dialect, cardsPerDialect.get(each.dialect)! + 1);
      for (const abi of ABIS) {
        for (const inline of [false, true]) {
          const what = `${each.dialect} ${each.mode} ${each.profile} ${abi}${inline ? ' inline' : ''}: ${each.statement}`;
          const card = hoverAt(each.text, each.result, { line: 1, character: 5 }, { fixes: { abi }, numbersInline: () => inline })?.markdown ?? '';
          const blocks = checkCard(card, each, abi, what);
          assert.ok(!blocks[3]!.endsWith('…'), `${what}: the why paragraph's first sentence is whole\n${blocks[3]}`);
          measured.push({ length: card.indexOf('[VT-x'), what });
        }
      }
    }
  });

  it('says how the line reads in the other contexts of a merged view (named, else counted) and stays within 600 characters', () => {
    let named = 0;
    let counted = 0;
    for (const each of cases()) {
      const what = `${each.dialect} ${each.mode} ${each.profile}: ${each.statement}, read otherwise elsewhere`;
      const merged = readOtherwiseElsewhere(each.finding, each.dialect);
      const card = hoverAt(each.text, each.result, { line: 1, character: 5 }, { findings: [merged] })?.markdown ?? '';
      const readings = checkCard(card, { ...each, finding: merged }, 'kvm', what)[1]!;
      const hint = each.finding.severity === 'hint' ? 'info' : 'hint';
      const loud = each.finding.severity === 'error' ? 'warning' : 'error';
      const whole = `; ${hint} in real mode when included from second-stage-boot-loader-in-real-mode.asm:121; ${loud} in 16-bit protected mode when included from advanced-power-management-bios-calls.asm:341 or another-advanced-power-management-entry.asm:8 and 1 more`;
      if (readings.endsWith(whole)) named++;
      else {
        assert.ok(readings.endsWith('; reads otherwise in 4 other contexts'), `${what}\n${readings}`);
        counted++;
      }
    }
    // Both forms are reached: the note is named when the card has room, counted when it has not.
    assert.ok(named > 0 && counted > 0, `named ${named}, counted ${counted}`);
    if (process.env.VIRTLINT_HOVER_STATS) console.log(`other readings: named in ${named} cards, counted in ${counted}`);
  });

  it('repeats a merged view\'s message whole, with the contexts it was only seen in, and stays within 600 characters', () => {
    const only = ' [only included from boot16.asm:3, NASM 16-bit real mode; included from apm.asm:2, NASM 16-bit protected mode]';
    let shortened = 0;
    for (const each of cases()) {
      const what = `${each.dialect} ${each.mode} ${each.profile}: ${each.statement}, seen in some contexts only`;
      const merged = { ...readOtherwiseElsewhere(each.finding, each.dialect), message: `${each.finding.message}${only}` };
      const card = hoverAt(each.text, each.result, { line: 1, character: 5 }, { findings: [merged] })?.markdown ?? '';
      const blocks = checkCard(card, { ...each, finding: merged }, 'kvm', what);
      if (blocks[3]!.endsWith('…')) shortened++;
    }
    // Some messages leave the why paragraph's first sentence no room: its opening words stand for it.
    assert.ok(shortened > 0, 'no why paragraph was shortened');
    if (process.env.VIRTLINT_HOVER_STATS) console.log(`seen in some contexts only: the why paragraph shortened in ${shortened} cards`);
  });

  it('reads every case in every dialect as NASM does (no form silently lost)', () => {
    const nasm = cardsPerDialect.get('nasm') ?? 0;
    assert.ok(nasm > 300, `${nasm} NASM cards`);
    for (const [dialect, count] of cardsPerDialect) assert.equal(count, nasm, dialect);
  });

  after(() => {
    if (!process.env.VIRTLINT_HOVER_STATS || measured.length === 0) return;
    const lengths = measured.map((m) => m.length).sort((a, b) => a - b);
    const longest = measured.reduce((a, b) => (b.length > a.length ? b : a));
    console.log(`hover cards: ${lengths.length}, characters before the link: median ${lengths[lengths.length >> 1]}, max ${lengths.at(-1)} (${longest.what}), over 550: ${lengths.filter((n) => n > 550).length}`);
  });
});
