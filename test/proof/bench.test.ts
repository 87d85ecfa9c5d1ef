// Unit tests for the proof bench's own machinery (proof/*.js): the parser of the harness's
// port-0xE9 output, the judge's failure reporting, and that the bench covers the catalogue.
// Running the bench itself is the `proof` tier (bash proof/run.sh).
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { RULES, describeObservation } from '../../server/src/analysis/catalogue';
import { execFileSync } from 'child_process';
import * as os from 'os';

interface HarnessEvent {
  type: string;
  cpl?: number;
  name?: string;
  value?: bigint;
  vec?: number;
  err?: bigint;
  ip?: bigint;
  kind?: string;
  nr?: bigint;
  regs?: Record<string, bigint>;
  bytes?: Buffer;
  text?: string;
}

interface JudgeLike {
  failures: string[];
  behaviours: Record<string, { value: string; text: string }>;
  sentinel: bigint;
  r(name: string, cpl?: number): bigint;
  expectFault(ipName: string, vec: number, err: number | undefined, what: string): HarnessEvent | undefined;
  expectNoFault(ipName: string, what: string): void;
  expectOnlyFaultsAt(ipNames: string[]): void;
}

interface ObserveModule {
  parseOutput(text: string): HarnessEvent[];
  Judge: new (events: HarnessEvent[], bits: number, model?: string) => JudgeLike;
}

interface BenchCase {
  rule: string;
  name: string;
  judge(j: JudgeLike, bits: number): string;
}

function packageRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'proof', 'harness.asm'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('could not find the package root (proof/harness.asm) above ' + __dirname);
    dir = up;
  }
  return dir;
}

const root = packageRoot();
// eslint-disable-next-line @typescript-eslint/no-require-imports
const observe = require(path.join(root, 'proof/lib/observe.js')) as ObserveModule;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { RULE_CASES } = require(path.join(root, 'proof/cases/rules.js')) as { RULE_CASES: BenchCase[] };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { FIXTURES } = require(path.join(root, 'proof/cases/fixtures.js')) as { FIXTURES: { rule: string }[] };

interface Unit {
  name: string;
  globalLabels?: Set<string>;
  ring0: () => string;
  ring3: () => string;
}
interface Image {
  bits: number;
  name: string;
  units: Unit[];
}
interface ImagesModule {
  packImages(units: Unit[], bits: number, maxUnits: number): Image[];
  imageSource(image: Image): string;
  eventsFor(events: HarnessEvent[], unit: number, variant?: number): HarnessEvent[];
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const images = require(path.join(root, 'proof/lib/images.js')) as ImagesModule;

const SAMPLE = [
  'S boot long-mode',
  'R 0 loaded.base 0000000000100e10',
  'R 3 cpl3.base 0000000000100e10',
  'R 3 probe.ip 0000000000100a00',
  'X 3 0d 0000000000000000 0000000000100a00',
  'M 3 vmcall 0000000000100b00 00000000564c0001',
  'D 3 after ax=0000000000000011 bx=0000000000000002 fl=0000000000000202',
  'B 3 mem 4f00100e1000',
  'E 0023 0023 0010 0023',
  'END',
].join('\n');

describe('proof bench: harness output parser', () => {
  it('parses every line kind with its numbers', () => {
    const events = observe.parseOutput(SAMPLE);
    assert.deepStrictEqual(
      events.map((e) => e.type),
      ['S', 'R', 'R', 'R', 'X', 'M', 'D', 'B', 'E', 'END'],
    );
    const x = events[4]!;
    assert.strictEqual(x.vec, 13);
    assert.strictEqual(x.cpl, 3);
    assert.strictEqual(x.ip, 0x100a00n);
    const m = events[5]!;
    assert.strictEqual(m.kind, 'vmcall');
    assert.strictEqual(m.nr, 0x564c0001n);
    assert.strictEqual(events[6]!.regs!['ax'], 0x11n);
    assert.strictEqual(events[7]!.bytes!.toString('hex'), '4f00100e1000');
  });

  it('flags output it does not understand', () => {
    const judge = new observe.Judge(observe.parseOutput('garbage line\nEND'), 32);
    assert.ok(judge.failures.some((f) => f.includes('unparsed output')), judge.failures.join('; '));
  });
});

describe('proof bench: judge', () => {
  it('accepts a run that shows the predicted fault and values', () => {
    const judge = new observe.Judge(observe.parseOutput(SAMPLE), 64);
    assert.strictEqual(judge.r('cpl3.base', 3), judge.r('loaded.base', 0));
    judge.expectFault('probe.ip', 13, 0, 'probe');
    judge.expectOnlyFaultsAt(['probe.ip']);
    assert.deepStrictEqual(judge.failures, []);
  });

  it('fails a run that never reached END', () => {
    const judge = new observe.Judge(observe.parseOutput(SAMPLE.replace('END', '')), 64);
    assert.ok(judge.failures.some((f) => f.includes('did not reach END')));
  });

  it('fails when the predicted fault did not happen or had another vector or error code', () => {
    const judge = new observe.Judge(observe.parseOutput(SAMPLE), 64);
    judge.expectFault('probe.ip', 6, undefined, 'wrong vector');
    judge.expectFault('probe.ip', 13, 8, 'wrong error code');
    judge.expectNoFault('probe.ip', 'no fault expected');
    assert.strictEqual(judge.failures.length, 3, judge.failures.join('; '));
  });

  it('fails on an exception the case did not predict and on a missing report', () => {
    const judge = new observe.Judge(observe.parseOutput(SAMPLE), 64);
    judge.expectOnlyFaultsAt([]);
    judge.r('never.reported');
    assert.strictEqual(judge.failures.length, 2, judge.failures.join('; '));
  });

  it('uses a sentinel no probed instruction returns', () => {
    assert.strictEqual(new observe.Judge([], 32).sentinel, 0xa5a5a5a5n);
    assert.strictEqual(new observe.Judge([], 64).sentinel, 0xa5a5a5a5a5a5a5a5n);
  });
});

describe('proof bench: coverage of the catalogue', () => {
  const ruleIds = RULES.map((r) => r.id).sort();

  it('has a behaviour case for every catalogue rule', () => {
    assert.strictEqual(ruleIds.length, 25);
    assert.deepStrictEqual([...new Set(RULE_CASES.map((c) => c.rule))].sort(), ruleIds);
  });

  it('has a fix fixture for every rule that offers a text fix', () => {
    const textFixKinds = new Set(['trap-equivalent', 'forced-emulation', 'hypercall']);
    const withFixes = RULES.filter((r) => r.fixes.some((k) => textFixKinds.has(k))).map((r) => r.id);
    const fixtureRules = new Set(FIXTURES.map((f) => f.rule));
    assert.deepStrictEqual(withFixes.filter((id) => !fixtureRules.has(id)), []);
  });

  it('ships proof/observed.json with one complete entry per rule, seen on both CPU models', () => {
    const file = path.join(root, 'proof', 'observed.json');
    const observed = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>;
    assert.deepStrictEqual(Object.keys(observed).sort(), ruleIds);
    for (const [rule, entry] of Object.entries(observed)) {
      for (const field of ['case', 'observed', 'qemu', 'mode', 'platform', 'model']) {
        assert.strictEqual(typeof entry[field], 'string', `${rule}.${field}`);
        assert.ok((entry[field] as string).length > 0, `${rule}.${field} is empty`);
      }
      assert.match(entry['qemu'] as string, /QEMU/);
      assert.match(entry['mode'] as string, /^(32-bit protected mode|64-bit long mode)$/);
      const models = entry['models'] as Record<string, { demonstrated: boolean; modes: string[]; cpu: string }>;
      assert.deepStrictEqual(Object.keys(models).sort(), ['bochs', 'qemu-tcg'], `${rule}: both models ran it`);
      assert.strictEqual(models['bochs']!.cpu, 'tigerlake');
      // every rule is shown on Bochs; on QEMU every rule but RDPID, which its TCG CPU model lacks
      assert.ok(models['bochs']!.demonstrated, `${rule} is not demonstrated on Bochs`);
      assert.strictEqual(models['qemu-tcg']!.demonstrated, rule !== 'rdpid', `${rule} on QEMU`);
      assert.ok(Array.isArray(entry['differences']), `${rule}.differences`);
    }
    assert.match(observed['rdpid']!['platform'] as string, /^Bochs 2\.7 \(tigerlake\)/);
    assert.match(observed['sgdt']!['platform'] as string, /^QEMU [\d.]+ TCG and Bochs 2\.7 \(tigerlake\), 32- and 64-bit$/);
  });
});

describe('proof bench: images shared by several cases', () => {
  const unit = (name: string, labels: string[] = []): Unit => ({
    name,
    globalLabels: new Set(labels),
    ring0: () => '  ret',
    ring3: () => `  nop ; ${name}\n  EXIT`,
  });

  it('packs units up to the limit and keeps units with the same global label apart', () => {
    const packed = images.packImages([unit('a', ['..@x']), unit('b', ['..@x']), unit('c'), unit('d')], 64, 2);
    assert.deepStrictEqual(
      packed.map((im) => im.units.map((u) => u.name)),
      [['a', 'c'], ['b', 'd']],
    );
  });

  it("turns each unit's EXIT into a jump to the next unit and announces every unit in both rings", () => {
    const [image] = images.packImages([unit('a'), unit('b')], 32, 10);
    const text = images.imageSource(image!);
    assert.match(text, /jmp u0_done/);
    assert.match(text, /jmp u1_done/);
    assert.strictEqual((text.match(/REPORT "unit", 1/g) ?? []).length, 2);
    assert.strictEqual((text.match(/^\s*EXIT\s*$/gm) ?? []).length, 1);
  });

  it("gives each case only its own unit's and variant's events", () => {
    const out = [
      'S boot protected-mode',
      'R 0 unit 00000000',
      'R 0 x 00000001',
      'R 0 unit 00000001',
      'R 0 x 00000002',
      'R 3 unit 00000000',
      'X 3 0d 00000000 00001000',
      'R 3 unit 00000001',
      'R 3 variant 00000000',
      'R 3 y 00000003',
      'R 3 variant 00000001',
      'R 3 y 00000004',
      'END',
    ].join('\n');
    const events = observe.parseOutput(out);
    const names = (list: HarnessEvent[]) => list.map((e) => (e.type === 'R' ? `${e.name}=${e.value}` : e.type));
    assert.deepStrictEqual(names(images.eventsFor(events, 0)), ['S', 'x=1', 'X', 'END']);
    assert.deepStrictEqual(names(images.eventsFor(events, 1, 1)), ['S', 'x=2', 'y=4', 'END']);
  });
});

// ---------- two CPU models ----------

interface ModelsModule {
  MODELS: { id: string }[];
  harnessLines(stdout: string): string;
  bochsConfig(disk: string, log: string): string;
}
interface Described {
  id: string;
  label: string;
  version: string;
  cpu: string;
  prose: string;
}
interface Result {
  id: string;
  c: { kind?: string; rule: string; name: string; claim: string; coversIn?: number[] };
  bits: number;
  model: string;
  failures: string[];
  observed: string;
  notDemonstrated?: string;
  behaviours?: Record<string, { value: string; text: string }>;
}
interface SummaryModule {
  summarise(results: Result[], setupFailures: string[], models: Described[]): {
    line: string;
    failed: number;
    differences: { rule: string; case: string; text: string }[];
    observed: Record<string, Record<string, unknown>>;
  };
  modesText(bits: number[]): string;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const models = require(path.join(root, 'proof/lib/models.js')) as ModelsModule;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const summary = require(path.join(root, 'proof/lib/summary.js')) as SummaryModule;

const QEMU: Described = { id: 'qemu-tcg', label: 'QEMU 7.2 TCG', version: 'QEMU emulator version 7.2', cpu: 'max', prose: "under QEMU's TCG emulator (no KVM)" };
const BOCHS: Described = { id: 'bochs', label: 'Bochs 2.7 (tigerlake)', version: 'Bochs x86 Emulator 2.7', cpu: 'tigerlake', prose: 'under Bochs 2.7 (CPU model tigerlake)' };

function caseNamed(name: string): BenchCase {
  const c = RULE_CASES.find((x) => x.name === name);
  if (!c) throw new Error(`no rule case ${name}`);
  return c;
}

/** Output of the INT case as a model prints it, with the #GP error code `err` for INT 0x40 at CPL 3. */
function intOutput(err: string): string {
  return [
    'S boot long-mode',
    'G 0 40',
    'X 3 0d ' + err + ' 0000000000100a00',
    'R 3 probe.ip 0000000000100a00',
    'G 3 41',
    'R 3 control.ip 0000000000100a10',
    'END',
  ].join('\n');
}

describe('proof bench: judges on each CPU model', () => {
  it("accepts QEMU TCG's long-mode INT error code 0x402 only from QEMU, and records it as that model's behaviour", () => {
    const intCase = caseNamed('int-gate-dpl');
    const onQemu = new observe.Judge(observe.parseOutput(intOutput('0000000000000402')), 64, 'qemu-tcg');
    intCase.judge(onQemu, 64);
    assert.deepStrictEqual(onQemu.failures, []);
    assert.strictEqual(onQemu.behaviours['gp-error-code']?.value, '0x402');
    const onBochs = new observe.Judge(observe.parseOutput(intOutput('0000000000000402')), 64, 'bochs');
    intCase.judge(onBochs, 64);
    assert.ok(onBochs.failures.some((f) => f.includes('does not name gate 0x40')), onBochs.failures.join('; '));
    const sdm = new observe.Judge(observe.parseOutput(intOutput('0000000000000202')), 64, 'bochs');
    intCase.judge(sdm, 64);
    assert.deepStrictEqual(sdm.failures, []);
  });

  it('accepts either SDM behaviour for the upper half of a 32-bit PUSH CS slot, and nothing else', () => {
    const pushCase = caseNamed('push-sreg-cpl');
    const run = (cs: string) => {
      const out = ['S boot protected-mode', 'R 0 cpl0.cs 00000008', 'R 0 cpl0.ss 00000010', 'R 3 probe.ip 00100a00', `R 3 cpl3.cs ${cs}`, 'R 3 cpl3.ss 00000023', 'END'].join('\n');
      const j = new observe.Judge(observe.parseOutput(out), 32, 'bochs');
      pushCase.judge(j, 32);
      return j;
    };
    assert.deepStrictEqual(run('0000001b').failures, []);
    assert.strictEqual(run('0000001b').behaviours['push-sreg-slot']?.value, 'zero-extend');
    assert.strictEqual(run('a5a5001b').behaviours['push-sreg-slot']?.value, '16-bit move');
    assert.ok(run('1234001b').failures.some((f) => f.includes('upper half')));
  });
});

describe('proof bench: results from two CPU models', () => {
  const rule = (name: string, ruleId: string, extra: Partial<Result['c']> = {}) => ({ kind: undefined, rule: ruleId, name, claim: `claim of ${name}`, ...extra });
  const sgdt = rule('sgdt-leak', 'sgdt');
  const rdpid = rule('rdpid-reveals', 'rdpid');
  const fix = { kind: 'fix', rule: 'sgdt', name: 'fix-sgdt', claim: 'fix' };
  const result = (c: Result['c'], model: string, bits: number, extra: Partial<Result> = {}): Result => ({
    id: `${c.name}-${bits}`,
    c,
    bits,
    model,
    failures: [],
    observed: `${c.name} on ${model}`,
    ...extra,
  });

  it('counts cases per model, covers a rule shown on either model, and proves a fix only when every model passed it', () => {
    const results = [
      result(sgdt, 'qemu-tcg', 64),
      result(sgdt, 'bochs', 64),
      result(rdpid, 'qemu-tcg', 64, { notDemonstrated: 'lacks RDPID', behaviours: { rdpid: { value: 'absent', text: 'no RDPID' } } }),
      result(rdpid, 'bochs', 64, { behaviours: { rdpid: { value: 'present', text: 'RDPID read TSC_AUX' } } }),
      result(fix, 'qemu-tcg', 64),
      result(fix, 'bochs', 64, { failures: ['meaning changed'] }),
    ];
    const s = summary.summarise(results, [], [QEMU, BOCHS]);
    assert.strictEqual(s.line, 'proof: 6 cases, 5 passed, 1 failed; rules covered 2/25; fixes proven 0; models: qemu-tcg, bochs');
    assert.strictEqual(s.failed, 1);
    assert.deepStrictEqual(s.differences.map((d) => [d.case, d.text]), [['rdpid-reveals', '64-bit: QEMU 7.2 TCG: no RDPID; Bochs 2.7 (tigerlake): RDPID read TSC_AUX']]);
    const rd = s.observed['rdpid']!;
    assert.strictEqual(rd['model'], 'bochs');
    assert.strictEqual(rd['platform'], 'Bochs 2.7 (tigerlake), 64-bit');
    assert.match(rd['observed'] as string, /^under Bochs 2\.7 \(CPU model tigerlake\), 64-bit long mode: rdpid-reveals on bochs$/);
    assert.strictEqual(s.observed['sgdt']!['platform'], 'QEMU 7.2 TCG and Bochs 2.7 (tigerlake), 64-bit');
  });

  it('lists no difference where the models recorded the same behaviour, and names per-model modes when they differ', () => {
    const same = { k: { value: 'x', text: 'same' } };
    const results = [result(sgdt, 'qemu-tcg', 32, { behaviours: same }), result(sgdt, 'bochs', 32, { behaviours: same }), result(sgdt, 'qemu-tcg', 64)];
    const s = summary.summarise(results, ['setup broke'], [QEMU, BOCHS]);
    assert.deepStrictEqual(s.differences, []);
    assert.strictEqual(s.observed['sgdt']!['platform'], 'QEMU 7.2 TCG (32- and 64-bit) and Bochs 2.7 (tigerlake) (32-bit)');
    assert.match(s.line, /^proof: 4 cases, 3 passed, 1 failed;/);
    assert.strictEqual(summary.modesText([64, 32, 64]), '32- and 64-bit');
  });

  it("keeps only the harness's lines from Bochs's stdout", () => {
    const stdout = [
      '========================================================================',
      '                        Bochs x86 Emulator 2.7',
      'Next at t=0',
      '(0) [0x0000fffffff0] f000:fff0 (unk. ctxt): jmpf 0xf000:e05b          ; ea5be000f0',
      'S boot long-mode',
      'R 0 unit 0000000000000000',
      'END',
      '(0).[10333180] [0x000000100425] 0008:0000000000100425 (unk. ctxt): out dx, al                ; ee',
    ].join('\n');
    assert.strictEqual(models.harnessLines(stdout), 'S boot long-mode\nR 0 unit 0000000000000000\nEND\n');
    assert.strictEqual(models.harnessLines('Next at t=0\nFATAL boot: BIOS disk read failed\n(0) junk'), 'FATAL boot: BIOS disk read failed\n');
    assert.strictEqual(models.harnessLines('Bochs banner only'), '');
    // a run cut short keeps what it printed, so the judge reports that END was never reached
    const judge = new observe.Judge(observe.parseOutput(models.harnessLines('S boot long-mode\nR 0 unit 0\n')), 64, 'bochs');
    assert.ok(judge.failures.some((f) => f.includes('did not reach END')));
  });

  it('configures Bochs headless with the tigerlake CPU, the debug port and no reset on a triple fault', () => {
    const rc = models.bochsConfig('/tmp/d.img', '/tmp/b.log');
    for (const line of ['display_library: sdl2', 'port_e9_hack: enabled=1', 'ata0-master: type=disk, path=/tmp/d.img, mode=flat', 'log: /tmp/b.log', 'panic: action=fatal']) {
      assert.ok(rc.split('\n').includes(line), `bochsrc has ${line}`);
    }
    assert.match(rc, /^cpu: model=tigerlake, .*reset_on_triple_fault=0$/m);
    assert.deepStrictEqual(models.MODELS.map((m) => m.id), ['qemu-tcg', 'bochs']);
  });
});

describe('proof bench: the Bochs boot disk', () => {
  const bootAsm = path.join(root, 'proof', 'bochs', 'boot.asm');

  function buildDisk(dir: string, kernel: Buffer): Buffer {
    fs.writeFileSync(path.join(dir, 'kernel.bin'), kernel);
    execFileSync('nasm', ['-f', 'bin', `-DKERNEL="${path.join(dir, 'kernel.bin')}"`, '-o', path.join(dir, 'disk.img'), bootAsm]);
    return fs.readFileSync(path.join(dir, 'disk.img'));
  }

  it('puts a boot sector before the kernel and pads the disk to whole 16x63 cylinders', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtlint-boot-'));
    try {
      const kernel = Buffer.alloc(3000, 0x5a);
      const disk = buildDisk(dir, kernel);
      assert.strictEqual(disk.length % (512 * 16 * 63), 0);
      assert.strictEqual(disk.readUInt16LE(510), 0xaa55);
      assert.ok(disk.subarray(512, 512 + kernel.length).equals(kernel));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops Bochs with a FATAL line, in bounded time, when the kernel has no multiboot header', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtlint-boot-'));
    try {
      buildDisk(dir, Buffer.alloc(1024, 0x90));
      const log = path.join(dir, 'bochs.log');
      fs.writeFileSync(path.join(dir, 'rc'), models.bochsConfig(path.join(dir, 'disk.img'), log));
      fs.writeFileSync(path.join(dir, 'commands'), 'c\nquit\n');
      let stdout = '';
      try {
        stdout = execFileSync('timeout', ['30', 'bochs', '-q', '-unlock', '-f', path.join(dir, 'rc'), '-rc', path.join(dir, 'commands')], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
          env: { ...process.env, SDL_VIDEODRIVER: 'dummy', SDL_AUDIODRIVER: 'dummy' },
        });
      } catch (e) {
        const err = e as { status?: number; stdout?: string };
        assert.notStrictEqual(err.status, 124, 'Bochs ran into the 30 s timeout');
        stdout = err.stdout ?? '';
      }
      assert.strictEqual(models.harnessLines(stdout), 'FATAL boot: no multiboot a.out header at the start of the kernel\n');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('proof bench: what the hover and docs say', () => {
  it('names every model and mode that showed the behaviour, and the differences', () => {
    const text = describeObservation({
      case: 'rdpid-reveals-64',
      observed: 'under Bochs 2.7 (CPU model tigerlake), 64-bit long mode: RDPID at CPL 3 returned 0x5a3',
      qemu: 'QEMU emulator version 7.2.22',
      mode: '64-bit long mode',
      platform: 'Bochs 2.7 (tigerlake), 32- and 64-bit',
      differences: ['32- and 64-bit: QEMU 7.2.22 TCG: no RDPID; Bochs 2.7 (tigerlake): RDPID works'],
    });
    assert.strictEqual(
      text,
      'Observed on Bochs 2.7 (tigerlake), 32- and 64-bit (case `rdpid-reveals-64`): RDPID at CPL 3 returned 0x5a3; the CPU models differ: 32- and 64-bit: QEMU 7.2.22 TCG: no RDPID; Bochs 2.7 (tigerlake): RDPID works',
    );
  });
});

interface LowModeCase extends BenchCase {
  mode: string;
  modeName: string;
  modes: number[];
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { LOW_MODE_CASES } = require(path.join(root, 'proof/cases/lowModes.js')) as { LOW_MODE_CASES: LowModeCase[] };

/** What ring 0 reports after the two `lowrun`s of a further-mode case (values in hex). */
function lowModeOutput(iopl0: Record<string, string>, iopl3: Record<string, string>): string {
  const defaults: Record<string, string> = { faults: '0', 'fault.ip': 'a5a5', 'fault.err': 'a5a5', 'end.ip': '20', gate: '0', 'gate.flags': '0', result: 'a5a5' };
  const lines = ['S boot protected-mode'];
  for (const [iopl, values] of [['0', iopl0], ['3', iopl3]] as const) {
    for (const name of Object.keys(defaults)) lines.push(`R 0 iopl${iopl}.${name} ${(values[name] ?? defaults[name]!).padStart(8, '0')}`);
  }
  lines.push('R 0 probe.ip 00000010', 'R 0 done.ip 00000020', 'END');
  return lines.join('\n');
}

function judgeLow(rule: string, mode: string, output: string): JudgeLike {
  const c = LOW_MODE_CASES.find((x) => x.rule === rule && x.mode === mode);
  if (!c) throw new Error(`no ${mode} case for ${rule}`);
  const j = new observe.Judge(observe.parseOutput(output), 32, 'bochs');
  c.judge(j, 32);
  return j;
}

describe('proof bench: 16-bit protected mode and virtual-8086 mode', () => {
  it('has a case in each mode for each IOPL-sensitive rule, in the 32-bit image only', () => {
    for (const mode of ['pm16', 'v86']) {
      assert.deepStrictEqual(LOW_MODE_CASES.filter((c) => c.mode === mode).map((c) => c.rule).sort(), ['int', 'iret', 'popf', 'pushf']);
    }
    for (const c of LOW_MODE_CASES) assert.deepStrictEqual(c.modes, [32]);
  });

  it('virtual-8086 mode: accepts #GP(0) at the probe with IOPL 0 and the instruction running with IOPL 3, and nothing else', () => {
    const trapped = { faults: '1', 'fault.ip': '10', 'fault.err': '0' };
    assert.deepStrictEqual(judgeLow('popf', 'v86', lowModeOutput(trapped, { result: '3203' })).failures, []);
    // no trap at IOPL 0 is the protected-mode behaviour, not virtual-8086 mode's
    assert.ok(judgeLow('popf', 'v86', lowModeOutput({ result: '3203' }, { result: '3203' })).failures.some((f) => f.includes('expected one #GP')));
    // a trap elsewhere, or with another error code, is not the probe's
    assert.ok(judgeLow('popf', 'v86', lowModeOutput({ ...trapped, 'fault.ip': '12' }, { result: '3203' })).failures.some((f) => f.includes('the probe is at')));
    assert.ok(judgeLow('popf', 'v86', lowModeOutput({ ...trapped, 'fault.err': '42' }, { result: '3203' })).failures.some((f) => f.includes('error code')));
    // the control must run: a #GP at IOPL 3 fails, so does POPF not loading IF there
    assert.ok(judgeLow('popf', 'v86', lowModeOutput(trapped, { ...trapped, result: '3203' })).failures.length > 0);
    assert.ok(judgeLow('popf', 'v86', lowModeOutput(trapped, { result: '3003' })).failures.some((f) => f.includes('IF=0')));
    // INT n: the gate must see EFLAGS.VM set
    assert.deepStrictEqual(judgeLow('int', 'v86', lowModeOutput(trapped, { gate: '1', 'gate.flags': '23002', result: '1' })).failures, []);
    assert.ok(judgeLow('int', 'v86', lowModeOutput(trapped, { gate: '1', 'gate.flags': '3002', result: '1' })).failures.some((f) => f.includes('VM=0')));
  });

  it('16-bit protected mode: accepts no fault at either IOPL, with IF kept at IOPL 0 and loaded at IOPL 3', () => {
    assert.deepStrictEqual(judgeLow('iret', 'pm16', lowModeOutput({ result: '0003' }, { result: '3203' })).failures, []);
    assert.ok(judgeLow('iret', 'pm16', lowModeOutput({ faults: '1', 'fault.ip': '10', 'fault.err': '0' }, { result: '3203' })).failures.some((f) => f.includes('expected none')));
    assert.ok(judgeLow('iret', 'pm16', lowModeOutput({ result: '0203' }, { result: '3203' })).failures.some((f) => f.includes('IF=1')));
    assert.ok(judgeLow('pushf', 'pm16', lowModeOutput({ result: '0002', 'end.ip': '1e' }, { result: '3002' })).failures.some((f) => f.includes('not at the blob')));
  });

  it('reports a further mode as a note with its mode and case, lists it in the platform, and does not count it as covering the rule', () => {
    const c = LOW_MODE_CASES.find((x) => x.rule === 'popf' && x.mode === 'v86')!;
    const main = { kind: undefined, rule: 'popf', name: 'popf-silent', claim: 'silent' };
    const results = [
      { id: 'popf-silent-64', c: main, bits: 64, model: 'qemu-tcg', failures: [], observed: 'silent on qemu' },
      { id: 'popf-v86-32', c, bits: 32, model: 'qemu-tcg', failures: [], observed: 'POPF trapped' },
      { id: 'popf-v86-32', c, bits: 32, model: 'bochs', failures: [], observed: 'POPF trapped' },
    ];
    const s = summary.summarise(results as unknown as Result[], [], [QEMU, BOCHS]);
    const popf = s.observed['popf']!;
    assert.strictEqual(popf['case'], 'popf-silent-64');
    assert.strictEqual(popf['platform'], 'QEMU 7.2 TCG (64-bit, virtual-8086 mode) and Bochs 2.7 (tigerlake) (virtual-8086 mode)');
    assert.deepStrictEqual(popf['modeNotes'], [{ mode: 'virtual-8086 mode', case: 'popf-v86-32', models: ['qemu-tcg', 'bochs'], observed: 'POPF trapped' }]);
    const onlyNote = summary.summarise(results.slice(1) as unknown as Result[], [], [QEMU, BOCHS]);
    assert.match(onlyNote.line, /rules covered 0\/25/);
  });

  it('the hover and docs sentence adds each further mode after the main observation', () => {
    const text = describeObservation({
      case: 'popf-silent-64',
      observed: 'POPF kept IF',
      qemu: 'QEMU emulator version 7.2.22',
      platform: 'QEMU 7.2.22 TCG, 64-bit and virtual-8086 mode',
      modeNotes: [{ mode: 'virtual-8086 mode', case: 'popf-v86-32', observed: 'POPF with IOPL 0: #GP(0x0)' }],
    });
    assert.strictEqual(text, 'Observed on QEMU 7.2.22 TCG, 64-bit and virtual-8086 mode (case `popf-silent-64`): POPF kept IF; virtual-8086 mode (case `popf-v86-32`): POPF with IOPL 0: #GP(0x0)');
  });
});

interface Fix16Unit {
  name: string;
  rule: string;
  modes: number[];
  subcases: { id: string; c: BenchCase & { kind: string } }[];
}

describe('proof bench: 16-bit fixes (hypercall and trap strategy)', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { loadEngine } = require(path.join(root, 'proof/cases/fixes.js')) as { loadEngine(): { fixes: { hypercallDefinitions(d: string, abi: string): string } } };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { fixCases16 } = require(path.join(root, 'proof/cases/fixes16.js')) as { fixCases16(engine: unknown, o?: { gaps?: boolean }): { cases: Fix16Unit[]; problems: string[] } };
  const engine = loadEngine();

  it('has a case for every KVM hypercall number, each run with the KVM and the KVM-on-AMD replacement, in the 32-bit image', () => {
    const { cases, problems } = fixCases16(engine);
    assert.deepStrictEqual(problems, []);
    const numbered = [...engine.fixes.hypercallDefinitions('nasm', 'kvm').matchAll(/%define VIRTLINT_HC_(\w+)/g)].map((m) => (m[1] ?? '').toLowerCase().replace(/_/g, '-'));
    assert.ok(numbered.length >= 20, `the KVM definitions name ${numbered.length} hypercalls`);
    const hypercalls = cases.filter((u) => !u.name.startsWith('fixes16-trap-'));
    const covered = new Set(hypercalls.map((u) => u.rule));
    for (const rule of numbered) assert.ok(covered.has(rule), `no 16-bit fix case for ${rule}`);
    for (const u of hypercalls) {
      assert.deepStrictEqual(u.modes, [32]);
      assert.deepStrictEqual(u.subcases.map((s) => s.id.replace(/^.*-hypercall-/, '')), ['kvm-16bit', 'kvm-amd-16bit'], u.name);
    }
  });

  it('runs the trap strategy too: each hypercall case with the KVM and Xen prefixes, and MOV from CR0 or CLI/STI where the engine offers them', () => {
    const { cases } = fixCases16(engine);
    const hypercallUnits = cases.filter((u) => !u.name.startsWith('fixes16-trap-')).map((u) => u.name.replace(/^fixes16-/, ''));
    const trapUnits = cases.filter((u) => u.name.startsWith('fixes16-trap-'));
    assert.deepStrictEqual(trapUnits.map((u) => u.name.replace(/^fixes16-trap-/, '')), hypercallUnits);
    for (const u of trapUnits) {
      assert.deepStrictEqual(u.modes, [32]);
      const kinds = u.subcases.map((s) => s.id.replace(/^fix-.*?-(trap-equivalent|forced-emulation-(kvm|xen))-16bit$/, '$1'));
      const equivalent = u.rule === 'smsw' || u.rule === 'popf' ? ['trap-equivalent'] : [];
      assert.deepStrictEqual(kinds, [...equivalent, 'forced-emulation-kvm', 'forced-emulation-xen'], u.name);
    }
  });

  // what the harness prints for one unit: the layout, the original's run at CPL 0, then each replacement's
  const state = (over: Record<string, string> = {}): string[] => {
    const s: Record<string, string> = { 's.ax': '11111111', 's.bx': '22222222', 's.cx': '33333333', 's.dx': '44444444', 's.si': '66666666', 's.di': '77777777', 's.bp': '88888888', 's.sp': 'fe00', 's.fl': '202', 's.fs': '0', faults: '0', 'fault.ip': 'a5a5', 'fault.vec': 'a5a5', 'end.ip': '1a2', gate: '0', ...over };
    const mem = over.mem ?? '5f00e02e1000a5a5a5a5a5a5a5a5a5a5';
    return [...Object.entries(s).filter(([k]) => k !== 'mem').map(([k, v]) => `R 0 ${k} ${v}`), `B 0 mem ${mem}`, 'B 0 stack 00000000000000000000000000000000'];
  };
  const output = (fixed: Record<string, string> = {}, monitor = 'M 3 vmcall 000000c1 564c0001', virtualIf = '1'): string =>
    [
      'S boot protected-mode',
      'R 0 unit 0',
      'R 0 orig.start 4f',
      'R 0 done.ip 1a2',
      'R 0 v0.start a6',
      'R 0 v0.end cc',
      'R 0 v1.start 11d',
      'R 0 v1.end 143',
      'R 0 run16 0',
      ...state(),
      'R 0 run16 1',
      monitor,
      ...state(fixed),
      `R 0 virtual_if ${virtualIf}`,
      'END',
    ].join('\n');
  const judgeSgdt = (text: string): string[] => {
    const unit = fixCases16(engine).cases.find((u) => u.name === 'fixes16-sgdt')!;
    const kvm = unit.subcases[0]!.c;
    const j = new observe.Judge(observe.parseOutput(text), 32, 'qemu-tcg');
    kvm.judge(j, 32);
    return j.failures;
  };

  it('accepts a replacement that reached the monitor by VMCALL and left what the original left at CPL 0', () => {
    assert.deepStrictEqual(judgeSgdt(output()), []);
    // ESP's upper half after the IRET to a 16-bit stack is ring 0's (as on hardware): only SP counts
    assert.deepStrictEqual(judgeSgdt(output({ 's.sp': '10fe00' })), []);
  });

  it('fails on a changed register, SP, flag, IF or byte, on a missed or foreign monitor entry, and on a run that did not end', () => {
    const fails = (text: string, part: string): void => {
      const failures = judgeSgdt(text);
      assert.ok(failures.some((f) => f.includes(part)), `expected a failure naming ${part}, got ${JSON.stringify(failures)}`);
    };
    fails(output({ 's.bx': '2222' }), 'bx:');
    fails(output({ 's.sp': 'fdfe' }), 'stack pointer');
    fails(output({ 's.fl': '203' }), 'arithmetic flags');
    fails(output({}, undefined, '0'), 'IF:');
    fails(output({ mem: '5f00e02e1000a5a5a5a5a5a5a5a5a5a4' }), 'memory');
    fails(output({}, 'M 3 vmcall 00000010 564c0001'), 'never reached the monitor');
    fails(output({}, 'M 3 vmmcall 000000c1 564c0001'), 'should reach the monitor only as vmcall');
    fails(output({ 'end.ip': '30' }), 'not at the blob');
    fails(output({ faults: '1', 'fault.ip': 'b0', 'fault.vec': '6' }), 'the replacement faulted');
  });

  it('a trap-strategy fix passes only through its own monitor entry (the prefix), and its CPL 0 fault must be the original\'s', () => {
    const unit = fixCases16(engine).cases.find((u) => u.name === 'fixes16-trap-sgdt')!;
    const kvmPrefix = unit.subcases.find((s) => s.id.endsWith('-forced-emulation-kvm-16bit'))!.c;
    const judge = (text: string, model = 'qemu-tcg'): string[] => {
      const j = new observe.Judge(observe.parseOutput(text), 32, model);
      kvmPrefix.judge(j, 32);
      return j.failures;
    };
    assert.deepStrictEqual(judge(output({}, 'M 3 fep-kvm 000000b0')), []);
    assert.ok(judge(output({}, 'M 3 fep-xen 000000b0')).some((f) => f.includes('should reach the monitor only as fep-kvm')));
    assert.ok(judge(output({}, 'M 3 vmcall 000000b0 564c0001')).some((f) => f.includes('should reach the monitor only as fep-kvm')));
    assert.ok(judge(output({ 's.cx': '0' }, 'M 3 fep-kvm 000000b0')).some((f) => f.includes('cx:')));
    const rdpmc = fixCases16(engine).cases.find((u) => u.name === 'fixes16-trap-rdpmc')!.subcases[0]!.c;
    const faulting = (fixedFault: Record<string, string>): string[] => {
      const text = output({ faults: '1', 'fault.vec': '6', ...fixedFault }, 'M 3 fep-kvm 000000b0').replace('R 0 faults 0\n', 'R 0 faults 1\n').replace('R 0 fault.ip a5a5\n', 'R 0 fault.ip 4f\n').replace('R 0 fault.vec a5a5\n', 'R 0 fault.vec 6\n');
      const j = new observe.Judge(observe.parseOutput(text), 32, 'qemu-tcg');
      rdpmc.judge(j, 32);
      return j.failures;
    };
    assert.deepStrictEqual(faulting({ 'fault.ip': 'b5' }), [], 'RDPMC run at CPL 0 by the monitor raised #UD inside the replacement, as the original did');
    assert.ok(faulting({ 'fault.ip': 'b5', 'fault.vec': 'd' }).some((f) => f.includes('to raise vector 6')));
    assert.ok(faulting({ 'fault.ip': '30' }).some((f) => f.includes('to raise vector 6')));
  });
});
