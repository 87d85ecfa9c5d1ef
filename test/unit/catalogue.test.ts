import * as assert from 'assert';
import * as fs from 'fs';
import { execFileSync } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import {
  allEntries,
  defaultSeverity,
  docsPath,
  formatMessage,
  IDIOM_RULES,
  isKnownRuleId,
  META_RULES,
  PROFILES,
  resolveRuleSelection,
  ruleById,
  RULE_IDS,
  ruleIdOf,
  RULES,
  severityFor,
  unknownSelectionTokens,
} from '../../server/src/analysis/catalogue/index';
import { describeObservation, parseObservations } from '../../server/src/analysis/catalogue/observation';
import { renderObservedModule, renderOverview, renderRulePage } from '../../server/src/analysis/catalogue/render';
import { EXAMPLES, type HostExample, type RuleExample } from '../../server/src/analysis/catalogue/examples';
import { analyzeEmbedded } from '../../server/src/analysis/embedded';
import type { Bits } from '../../server/src/analysis/types';
import { readElf } from '../helpers/hostCompilers';
import { RUST_32_ENV, RUST_32_PRELUDE } from '../rules/hostPrelude';
import { ruleForCode, sensitiveCodes } from '../../server/src/analysis/resolve/classify';
import { analyzeText, type Dialect } from '../../server/src/analysis/index';
import { codeFacts, codeName, iced } from '../../server/src/analysis/resolve/iced';
import { expectedFiles, findPackageRoot, generate, readObservations } from '../../scripts/gen-docs';

const CORE = ['sgdt', 'sidt', 'sldt', 'smsw', 'str', 'pushf', 'popf', 'lar', 'lsl', 'verr', 'verw', 'push-sreg', 'pop-sreg', 'mov-sreg', 'far-call', 'far-jmp', 'far-ret', 'int', 'iret'];
const EXTENDED = ['cpuid', 'rdtsc', 'rdtscp', 'rdpmc', 'rdpid', 'xgetbv'];
const IDIOMS = ['hypervisor-leaf', 'hypervisor-bit', 'hypervisor-signature', 'timing-check', 'vmware-backdoor', 'virtualpc-backdoor', 'red-pill'];
const META = ['invalid-in-mode', 'unknown-mnemonic', 'unknown-rule', 'unresolved-include', 'undecided-expansion'];
const UMIP_RULES = ['sgdt', 'sidt', 'sldt', 'smsw', 'str'];
const LEAKING = [...UMIP_RULES, ...EXTENDED];

const root = findPackageRoot(__dirname);

function ids(entries: readonly { id: string }[]): string[] {
  return entries.map((entry) => entry.id);
}

describe('catalogue: entries', () => {
  it('has exactly one entry per stable rule id, in the right group', () => {
    assert.deepStrictEqual(ids(RULES).sort(), [...CORE, ...EXTENDED].sort());
    assert.deepStrictEqual(ids(META_RULES).sort(), [...META].sort());
    assert.deepStrictEqual(ids(IDIOM_RULES).sort(), [...IDIOMS].sort());
    for (const id of IDIOMS) assert.strictEqual(ruleById(id)?.group, 'idiom', id);
    for (const id of CORE) assert.strictEqual(ruleById(id)?.group, 'core', id);
    for (const id of EXTENDED) assert.strictEqual(ruleById(id)?.group, 'extended', id);
    for (const id of META) assert.strictEqual(ruleById(id)?.group, 'meta', id);
  });

  it('the RuleId type names exactly the catalogue\'s entries', () => {
    assert.deepStrictEqual([...RULE_IDS].sort(), allEntries().map((entry) => entry.id).sort());
    assert.strictEqual(ruleIdOf('popf'), 'popf');
    assert.throws(() => ruleIdOf('popff'), /"popff" is not a virtlint rule id/);
  });

  it('ids are unique and kebab-case', () => {
    const all = ids(allEntries());
    assert.strictEqual(new Set(all).size, all.length);
    for (const id of all) assert.match(id, /^[a-z0-9]+(-[a-z0-9]+)*$/, id);
  });

  it('groups the core rules as Robin & Irvine did', () => {
    const register = ids(RULES.filter((entry) => entry.family === 'sensitive-register')).sort();
    const protection = ids(RULES.filter((entry) => entry.family === 'protection-system')).sort();
    assert.deepStrictEqual(register, ['popf', 'pushf', 'sgdt', 'sidt', 'sldt', 'smsw']);
    assert.deepStrictEqual(protection, ['far-call', 'far-jmp', 'far-ret', 'int', 'lar', 'lsl', 'mov-sreg', 'pop-sreg', 'push-sreg', 'str', 'verr', 'verw']);
    for (const id of ['iret', ...EXTENDED]) assert.strictEqual(ruleById(id)?.family, 'later-addition', id);
  });

  it('every entry has its text fields filled, one-line messages without a trailing period', () => {
    for (const entry of allEntries()) {
      for (const field of ['title', 'message', 'problem', 'vtx', 'amdv', 'controls', 'advice'] as const) {
        assert.ok(entry[field].trim().length > 0, `${entry.id}.${field} is empty`);
      }
      assert.ok(!/\n/.test(entry.message), `${entry.id}: message spans lines`);
      assert.ok(!entry.message.endsWith('.'), `${entry.id}: message ends with a period`);
      for (const profile of PROFILES) assert.ok(entry.severity[profile], `${entry.id}: no severity for ${profile}`);
      if (entry.group !== 'meta') {
        assert.ok(entry.mnemonics.length > 0, `${entry.id}: no mnemonics`);
        assert.ok(entry.sources.length > 0, `${entry.id}: no sources`);
      }
      for (const source of entry.sources) assert.match(source.url, /^https?:\/\//, `${entry.id}: ${source.key}`);
    }
  });

  it('offers trap-equivalent only for smsw and popf, cr4-control only where UMIP/TSD/PCE apply', () => {
    for (const entry of RULES) {
      assert.strictEqual(entry.fixes.includes('trap-equivalent'), entry.id === 'smsw' || entry.id === 'popf', entry.id);
      assert.strictEqual(entry.fixes.includes('cr4-control'), [...UMIP_RULES, 'rdtsc', 'rdtscp', 'rdpmc'].includes(entry.id), entry.id);
      assert.ok(entry.fixes.includes('forced-emulation') && entry.fixes.includes('hypercall'), entry.id);
      assert.strictEqual(new Set(entry.fixes).size, entry.fixes.length, `${entry.id}: duplicate fix kinds`);
    }
    for (const entry of META_RULES) assert.deepStrictEqual(entry.fixes, [], entry.id);
  });

  it('names the detection idioms on the rules they are built on', () => {
    assert.match(ruleById('sidt')!.detection ?? '', /Red Pill/);
    assert.match(ruleById('sldt')!.detection ?? '', /No Pill/);
    assert.match(ruleById('str')!.detection ?? '', /0x4000/);
    assert.match(ruleById('cpuid')!.detection ?? '', /hypervisor-present bit/);
    assert.match(ruleById('rdtsc')!.detection ?? '', /pafish/);
  });

  it('formatMessage fills in the mnemonic as written, upper-cased', () => {
    for (const entry of allEntries()) {
      const message = formatMessage(entry, 'pushfq');
      assert.ok(!message.includes('{mnemonic}'), entry.id);
      if (entry.message.includes('{mnemonic}')) assert.ok(message.includes('PUSHFQ'), entry.id);
    }
    assert.ok(formatMessage(ruleById('push-sreg')!, undefined).startsWith('PUSH of a segment register'));
    assert.ok(formatMessage(ruleById('sidt')!, 'sidtq').startsWith('SIDTQ stores the IDTR'));
  });

  it('isKnownRuleId and docsPath', () => {
    for (const id of [...CORE, ...EXTENDED, ...META]) assert.ok(isKnownRuleId(id), id);
    for (const id of ['core', 'all', 'int3', 'SIDT', '']) assert.ok(!isKnownRuleId(id), id);
    assert.strictEqual(docsPath('sidt'), 'docs/rules/sidt.md');
  });
});

describe('catalogue: agreement with iced-x86 tables', () => {
  const table = sensitiveCodes();

  it('every code the classifier reports is unprivileged and allowed at CPL 3', () => {
    assert.ok(table.size > 50, `only ${table.size} sensitive codes`);
    for (const [code] of table) {
      const facts = codeFacts(code);
      assert.strictEqual(facts.isPrivileged, false, `${facts.codeName} is privileged per iced`);
      assert.strictEqual(facts.cpl3, true, `${facts.codeName} is not available at CPL 3 per iced`);
    }
  });

  it('every classified rule id exists in the catalogue, and every rule has iced codes', () => {
    const classified = new Set(table.values());
    for (const rule of classified) assert.ok(ruleById(rule) && ruleById(rule)!.group !== 'meta', `classifier rule ${rule} not in the catalogue`);
    for (const entry of RULES) assert.ok(classified.has(entry.id), `${entry.id} has no iced code`);
  });
});

describe('catalogue: profiles and selection', () => {
  it('default selection follows the profile; meta kinds are always on', () => {
    const deprivileged = resolveRuleSelection(undefined, 'deprivileged-kernel');
    assert.deepStrictEqual([...deprivileged.enabled].sort(), [...CORE, ...META].sort());
    assert.strictEqual(deprivileged.includeInt3, false);
    const hardware = resolveRuleSelection([], 'hardware-assisted-guest');
    for (const id of ['cpuid', 'rdtsc', 'far-call', 'far-jmp', 'sidt']) assert.ok(hardware.enabled.has(id), id);
    for (const id of ['popf', 'pushf', 'lar', 'mov-sreg', 'iret', 'xgetbv']) assert.ok(!hardware.enabled.has(id), id);
    // The audit profile also runs the VM-detection idioms (several instructions read together); no other profile does.
    const audit = resolveRuleSelection(undefined, 'vm-detection-audit');
    assert.strictEqual(audit.enabled.size, CORE.length + EXTENDED.length + IDIOMS.length + META.length);
    for (const id of IDIOMS) assert.ok(!deprivileged.enabled.has(id) && !hardware.enabled.has(id) && audit.enabled.has(id), id);
  });

  it('explicit selection: ids and groups, all enables INT3, unknown tokens ignored and reported', () => {
    const extended = resolveRuleSelection(['extended'], 'deprivileged-kernel');
    assert.deepStrictEqual([...extended.enabled].sort(), [...EXTENDED, ...META].sort());
    const mixed = resolveRuleSelection(['sidt', ' POPF ', 'bogus'], 'hardware-assisted-guest');
    assert.deepStrictEqual([...mixed.enabled].sort(), ['popf', 'sidt', ...META].sort());
    assert.strictEqual(mixed.includeInt3, false);
    const core = resolveRuleSelection(['core'], 'deprivileged-kernel');
    assert.strictEqual(core.includeInt3, false);
    const all = resolveRuleSelection(['all'], 'deprivileged-kernel');
    assert.strictEqual(all.includeInt3, true);
    assert.strictEqual(all.enabled.size, allEntries().length);
    assert.deepStrictEqual(unknownSelectionTokens(['sidt', 'bogus', 'core', 'all', 'Int3']), ['bogus', 'int3']);
  });

  it('deprivileged-kernel: popf and iret are errors, other core rules warnings, extended off', () => {
    for (const id of CORE) assert.strictEqual(defaultSeverity(id, 'deprivileged-kernel'), id === 'popf' || id === 'iret' ? 'error' : 'warning', id);
    for (const id of EXTENDED) assert.strictEqual(defaultSeverity(id, 'deprivileged-kernel'), 'off', id);
  });

  it('hardware-assisted-guest: nothing above info; cpuid, rdtsc and far CALL/JMP are info', () => {
    for (const entry of RULES) assert.ok(['info', 'hint', 'off'].includes(defaultSeverity(entry.id, 'hardware-assisted-guest')), entry.id);
    for (const id of ['cpuid', 'rdtsc', 'far-call', 'far-jmp']) assert.strictEqual(defaultSeverity(id, 'hardware-assisted-guest'), 'info', id);
  });

  it('vm-detection-audit: leaking reads are warnings, the rest info', () => {
    for (const entry of RULES) assert.strictEqual(defaultSeverity(entry.id, 'vm-detection-audit'), LEAKING.includes(entry.id) ? 'warning' : 'info', entry.id);
  });

  it('severityFor: profile default, explicit-selection fallback, overrides by id, group and all', () => {
    assert.strictEqual(severityFor('popf', 'deprivileged-kernel'), 'error');
    assert.strictEqual(severityFor('sidt', 'hardware-assisted-guest'), 'hint');
    assert.strictEqual(severityFor('cpuid', 'deprivileged-kernel'), 'warning');
    assert.strictEqual(severityFor('popf', 'hardware-assisted-guest'), 'info');
    assert.strictEqual(severityFor('popf', 'deprivileged-kernel', { popf: 'hint' }), 'hint');
    assert.strictEqual(severityFor('sidt', 'deprivileged-kernel', { core: 'off' }), 'off');
    assert.strictEqual(severityFor('sidt', 'deprivileged-kernel', { core: 'off', sidt: 'error' }), 'error');
    assert.strictEqual(severityFor('cpuid', 'vm-detection-audit', { all: 'info' }), 'info');
    assert.strictEqual(severityFor('unknown-rule', 'vm-detection-audit', { all: 'off' }), 'warning');
    assert.strictEqual(severityFor('unknown-rule', 'vm-detection-audit', { meta: 'off' }), 'off');
    assert.strictEqual(severityFor('invalid-in-mode', 'deprivileged-kernel'), 'error');
    assert.strictEqual(severityFor('no-such-rule', 'deprivileged-kernel'), 'off');
  });
});

describe('catalogue: docs pages', () => {
  const { observations, problems } = readObservations(root);

  it('proof/observed.json, when present, is well formed', () => {
    assert.deepStrictEqual(problems, []);
  });

  it('every rule has a docs page, and every generated file equals what gen-docs would write now', () => {
    const expected = expectedFiles(observations);
    assert.strictEqual(expected.size, allEntries().length + 2);
    for (const entry of allEntries()) assert.ok(expected.has(docsPath(entry.id)), entry.id);
    for (const [relative, content] of expected) {
      const file = path.join(root, relative);
      assert.ok(fs.existsSync(file), `${relative} is missing: run node out/scripts/gen-docs.js`);
      assert.strictEqual(fs.readFileSync(file, 'utf8'), content, `${relative} is out of date: run node out/scripts/gen-docs.js`);
    }
  });

  it('a rule page carries the sections and the iced encodings', () => {
    const page = renderRulePage(ruleById('smsw')!);
    for (const heading of ['## What goes wrong at CPL>0', '## Under hardware-assisted virtualization', '## Fixes', '## Encodings (from iced-x86)', '## Sources']) {
      assert.ok(page.includes(heading), heading);
    }
    assert.match(page, /`Smsw_r64m16`/);
    assert.match(page, /MOV reg, CR0/);
    assert.ok(!page.includes('## Observed'));
    const intPage = renderRulePage(ruleById('int')!);
    assert.match(intPage, /`INT3` \(only with `all`\)/);
  });

  it('a rule page shows the C and Rust examples and the host-comment suppression; the overview says where kernels keep these instructions', () => {
    const page = renderRulePage(ruleById('sgdt')!);
    const example = EXAMPLES.sgdt!;
    assert.ok(page.includes(`\`\`\`c\n${example.c.declarations}\n${example.c.statement}\n\`\`\``), 'C example block');
    assert.ok(page.includes(`${example.rust.statement}\n\`\`\``) && page.includes('```rust\n'), 'Rust example block');
    assert.match(page, /\/\/ virtlint-disable-next-line sgdt -- reason/);
    assert.ok(!renderRulePage(ruleById('unknown-rule')!).includes('```rust'), 'meta kinds have no examples');
    const overview = renderOverview({});
    assert.match(overview, /## Where kernels keep these instructions: inline assembly and intrinsics\n/);
    for (const topic of ['store_gdt', 'native_save_fl', 'savesegment', 'x86.h', '__rdtsc', '__cpuid', 'asm!', '-masm=intel', '--masm', '--bits', 'virtlint-disable-next-line']) {
      assert.ok(overview.includes(topic), `the overview's inline-asm section mentions ${topic}`);
    }
  });

  it('observations appear on the rule page and in the generated module', () => {
    const observation = { case: 'sidt-ring3', observed: 'SIDT at CPL 3 returned the host IDT base, no #GP', qemu: '7.2.0 TCG' };
    assert.strictEqual(describeObservation(observation), 'Observed on QEMU 7.2.0 TCG (case `sidt-ring3`): SIDT at CPL 3 returned the host IDT base, no #GP');
    assert.match(renderRulePage(ruleById('sidt')!, observation), /## Observed\n\nObserved on QEMU 7\.2\.0 TCG/);
    const module = renderObservedModule({ sidt: observation });
    assert.match(module, /"sidt": \{"case":"sidt-ring3"/);
    assert.strictEqual(renderObservedModule({}).includes('export const OBSERVED: ObservationMap = {};'), true);
    const fromBench = {
      case: 'cpuid-reveals-64',
      observed: "under QEMU's TCG emulator (no KVM), 64-bit long mode: CPUID at CPL 3 ran without a fault",
      qemu: 'QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)',
      accel: 'TCG',
      mode: '64-bit long mode',
    };
    assert.strictEqual(describeObservation(fromBench), 'Observed on QEMU 7.2.22 TCG, 64-bit long mode (case `cpuid-reveals-64`): CPUID at CPL 3 ran without a fault');
    assert.deepStrictEqual(parseObservations(JSON.stringify({ cpuid: fromBench })).observations.cpuid, fromBench);
  });

  it('parseObservations rejects bad input with a message instead of throwing', () => {
    assert.deepStrictEqual(parseObservations('{not json').observations, {});
    assert.match(parseObservations('{not json').problems[0] ?? '', /not valid JSON/);
    assert.deepStrictEqual(parseObservations('[1,2]').problems, ['top level is not an object']);
    const mixed = parseObservations(JSON.stringify({ sidt: { case: 'a', observed: 'b\nc', qemu: '7.2' }, popf: { case: 1 } }));
    assert.deepStrictEqual(Object.keys(mixed.observations), ['sidt']);
    assert.strictEqual(mixed.observations.sidt?.observed, 'b c');
    assert.strictEqual(mixed.problems.length, 1);
  });
});

describe('gen-docs: proof observations end to end', () => {
  it('reads proof/observed.json, writes pages and observed.ts, removes stale pages, then checks clean', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'virtlint-gen-docs-'));
    try {
      fs.writeFileSync(path.join(tmp, 'package.json'), JSON.stringify({ name: 'virtlint' }));
      fs.mkdirSync(path.join(tmp, 'proof'));
      fs.mkdirSync(path.join(tmp, 'docs', 'rules'), { recursive: true });
      fs.writeFileSync(path.join(tmp, 'docs', 'rules', 'gone.md'), '<!-- Generated by scripts/gen-docs.ts -->');
      fs.writeFileSync(path.join(tmp, 'docs', 'rules', 'handwritten.md'), 'kept');
      const observed = { popf: { case: 'popf-ring3', observed: 'IF stayed 1 after POPF at CPL 3, no fault', qemu: '7.2.0 TCG' } };
      fs.writeFileSync(path.join(tmp, 'proof', 'observed.json'), JSON.stringify(observed));
      assert.strictEqual(findPackageRoot(path.join(tmp, 'docs', 'rules')), tmp);

      const first = generate(tmp, false);
      assert.strictEqual(first.differing.length, allEntries().length + 2);
      assert.deepStrictEqual(first.stale, ['docs/rules/gone.md']);
      assert.strictEqual(first.observations, 1);
      assert.ok(!fs.existsSync(path.join(tmp, 'docs', 'rules', 'gone.md')));
      assert.ok(fs.existsSync(path.join(tmp, 'docs', 'rules', 'handwritten.md')));
      assert.match(fs.readFileSync(path.join(tmp, 'docs', 'rules', 'popf.md'), 'utf8'), /## Observed\n\nObserved on QEMU 7\.2\.0 TCG \(case `popf-ring3`\): IF stayed 1/);
      assert.match(fs.readFileSync(path.join(tmp, 'docs', 'overview.md'), 'utf8'), /## Observed on the proof bench/);
      assert.match(fs.readFileSync(path.join(tmp, 'server', 'src', 'analysis', 'catalogue', 'observed.ts'), 'utf8'), /"popf": \{"case":"popf-ring3"/);

      const second = generate(tmp, true);
      assert.deepStrictEqual([second.differing, second.stale], [[], []]);
      fs.appendFileSync(path.join(tmp, 'docs', 'overview.md'), 'edited by hand');
      assert.deepStrictEqual(generate(tmp, true).differing, ['docs/overview.md']);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

type AssemblerDialect = 'nasm' | 'gasAtt' | 'gasIntel';

/** Assembles one statement per line and returns the iced Codes of the decoded bytes, in order. */
function assembleAndDecode(dialect: AssemblerDialect, bits: 32 | 64, statements: string[], dir: string): number[] {
  const base = path.join(dir, `${dialect}-${bits}`);
  const binary = `${base}.bin`;
  const run = (tool: string, args: string[]): void => {
    try {
      execFileSync(tool, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (error) {
      const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
      throw new Error(`${tool} failed (is it installed?): ${(error as Error).message}\n${stderr}`);
    }
  };
  if (dialect === 'nasm') {
    fs.writeFileSync(`${base}.asm`, [`bits ${bits}`, ...statements, ''].join('\n'));
    run('nasm', ['-f', 'bin', '-o', binary, `${base}.asm`]);
  } else {
    const header = [dialect === 'gasIntel' ? '.intel_syntax noprefix' : '', `.code${bits}`];
    fs.writeFileSync(`${base}.s`, [...header, ...statements, ''].join('\n'));
    run('as', ['-o', `${base}.o`, `${base}.s`]);
    run('objcopy', ['-O', 'binary', '-j', '.text', `${base}.o`, binary]);
  }
  const decoder = new iced.Decoder(bits, new Uint8Array(fs.readFileSync(binary)), iced.DecoderOptions.None);
  const codes: number[] = [];
  try {
    while (decoder.canDecode) {
      const instruction = decoder.decode();
      codes.push(instruction.code);
      instruction.free();
    }
  } finally {
    decoder.free();
  }
  return codes;
}

describe('catalogue: examples assemble to the rule they illustrate', () => {
  it('has an example for every rule', () => {
    assert.deepStrictEqual(Object.keys(EXAMPLES).sort(), ids(RULES).sort());
  });

  it('the analyzer reports each example (exactly once, under its rule) in every dialect', () => {
    const dialects: Record<AssemblerDialect, Dialect> = { nasm: 'nasm', gasAtt: 'gas-att', gasIntel: 'gas-intel' };
    for (const [id, example] of Object.entries(EXAMPLES)) {
      for (const [key, dialect] of Object.entries(dialects) as [AssemblerDialect, Dialect][]) {
        const result = analyzeText(`    ${example[key]}\n`, { dialect, bits: example.bits, rules: ['all'] });
        assert.deepStrictEqual(result.findings.map((finding) => finding.ruleId), [id], `${dialect}/${example.bits}: \`${example[key]}\``);
      }
    }
  });

  for (const dialect of ['nasm', 'gasAtt', 'gasIntel'] as const) {
    it(`${dialect}: every example assembles to one instruction of its rule`, function () {
      this.timeout(20000);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtlint-examples-'));
      try {
        for (const bits of [32, 64] as const) {
          const examples = Object.entries(EXAMPLES).filter(([, example]: [string, RuleExample]) => example.bits === bits);
          const codes = assembleAndDecode(dialect, bits, examples.map(([, example]) => example[dialect]), dir);
          assert.strictEqual(codes.length, examples.length, `${dialect} ${bits}-bit: ${codes.length} instructions for ${examples.length} examples`);
          examples.forEach(([id, example], index) => {
            const code = codes[index]!;
            assert.strictEqual(ruleForCode(code), id, `${dialect} \`${example[dialect]}\` decoded as ${codeName(code)}`);
          });
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

/** The example as a whole C file: the declarations and the statement in a function body. */
function cSource(example: HostExample): string {
  const body = [...(example.declarations ? example.declarations.split('\n') : []), example.statement];
  return `void example(void)\n{\n${body.map((line) => `\t${line}\n`).join('')}}\n`;
}

/** The example as a whole Rust file (without the 32-bit prelude), `asm!` imported. */
function rustSource(example: HostExample): string {
  const body = [...(example.declarations ? example.declarations.split('\n') : []), example.statement];
  return `use core::arch::asm;\n\n#[allow(unused)]\npub unsafe fn example() {\n${body.map((line) => `    ${line}\n`).join('')}}\n`;
}

/** Rule ids of the sensitive instructions in every executable section of an object file, in order. */
function sensitiveRulesInObject(object: string, bits: Bits): string[] {
  const rules: string[] = [];
  for (const section of readElf(fs.readFileSync(object)).sections) {
    if (!section.executable || section.bytes.length === 0) continue;
    const decoder = new iced.Decoder(bits, section.bytes, iced.DecoderOptions.None);
    try {
      while (decoder.canDecode) {
        const instruction = decoder.decode();
        const rule = ruleForCode(instruction.code);
        if (rule) rules.push(rule);
        instruction.free();
      }
    } finally {
      decoder.free();
    }
  }
  return rules;
}

function runCompiler(executable: string, args: string[], env?: Readonly<Record<string, string>>): void {
  try {
    execFileSync(executable, args, { stdio: ['ignore', 'ignore', 'pipe'], env: env ? { ...process.env, ...env } : process.env });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`${executable} ${args.join(' ')} failed (is it installed? apt-get install -y gcc rustc): ${(error as Error).message}\n${stderr}`);
  }
}

/** Debian's rustc (1.63): what CI has; never a newer one elsewhere on PATH. */
const DEBIAN_RUSTC = '/usr/bin/rustc';

describe('catalogue: the C and Rust examples compile to the rule they illustrate', () => {
  it('the analyzer reports each C and Rust example (exactly once, under its rule)', () => {
    for (const [id, example] of Object.entries(EXAMPLES)) {
      const inC = analyzeEmbedded(cSource(example.c), { language: 'c', build: { bits: example.bits }, rules: ['all'] });
      assert.deepStrictEqual(inC.findings.map((finding) => finding.ruleId), [id], `C/${example.bits}: \`${example.c.statement}\``);
      const inRust = analyzeEmbedded(rustSource(example.rust), { language: 'rust', build: { bits: example.bits }, rules: ['all'] });
      assert.deepStrictEqual(inRust.findings.map((finding) => finding.ruleId), [id], `Rust/${example.bits}: \`${example.rust.statement}\``);
    }
  });

  it('gcc: every C example compiles to one instruction of its rule', function () {
    this.timeout(60000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtlint-c-examples-'));
    try {
      for (const [id, example] of Object.entries(EXAMPLES)) {
        const source = path.join(dir, `${id}.c`);
        const object = path.join(dir, `${id}.o`);
        fs.writeFileSync(source, cSource(example.c));
        runCompiler('gcc', [`-m${example.bits}`, '-O0', '-c', '-o', object, source]);
        assert.deepStrictEqual(sensitiveRulesInObject(object, example.bits), [id], `gcc -m${example.bits}: \`${example.c.statement}\``);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rustc: every Rust example compiles to one instruction of its rule', function () {
    this.timeout(120000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtlint-rust-examples-'));
    try {
      for (const [id, example] of Object.entries(EXAMPLES)) {
        const source = path.join(dir, `${id.replace(/-/g, '_')}.rs`);
        const object = path.join(dir, `${id}.o`);
        const is64 = example.bits === 64;
        fs.writeFileSync(source, is64 ? rustSource(example.rust) : `${RUST_32_PRELUDE}\n${rustSource(example.rust)}`);
        const target = is64 ? 'x86_64-unknown-linux-gnu' : 'i686-unknown-linux-gnu';
        runCompiler(DEBIAN_RUSTC, ['--edition=2021', '--crate-type=lib', '--emit=obj', '-C', 'opt-level=0', '-C', 'panic=abort', '--target', target, '-o', object, source], is64 ? undefined : RUST_32_ENV);
        assert.deepStrictEqual(sensitiveRulesInObject(object, example.bits), [id], `rustc ${target}: \`${example.rust.statement}\``);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
