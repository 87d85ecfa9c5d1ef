// Unit tests for the proof bench's own machinery (proof/*.js): the parser of the harness's
// port-0xE9 output, the judge's failure reporting, and that the bench covers the catalogue.
// Running the bench itself is the `proof` tier (bash proof/run.sh).
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { RULES } from '../../server/src/analysis/catalogue';

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
  sentinel: bigint;
  r(name: string, cpl?: number): bigint;
  expectFault(ipName: string, vec: number, err: number | undefined, what: string): HarnessEvent | undefined;
  expectNoFault(ipName: string, what: string): void;
  expectOnlyFaultsAt(ipNames: string[]): void;
}

interface ObserveModule {
  parseOutput(text: string): HarnessEvent[];
  Judge: new (events: HarnessEvent[], bits: number) => JudgeLike;
}

interface BenchCase {
  rule: string;
  name: string;
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

  it('ships proof/observed.json with one complete entry per rule', () => {
    const file = path.join(root, 'proof', 'observed.json');
    const observed = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>;
    assert.deepStrictEqual(Object.keys(observed).sort(), ruleIds);
    for (const [rule, entry] of Object.entries(observed)) {
      for (const field of ['case', 'observed', 'qemu', 'mode']) {
        assert.strictEqual(typeof entry[field], 'string', `${rule}.${field}`);
        assert.ok((entry[field] as string).length > 0, `${rule}.${field} is empty`);
      }
      assert.match(entry['qemu'] as string, /QEMU/);
      assert.match(entry['mode'] as string, /^(32-bit protected mode|64-bit long mode)$/);
    }
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
