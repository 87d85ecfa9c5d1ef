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
