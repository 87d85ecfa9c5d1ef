// VM-detection idioms in binaries: test/fixtures/idioms/detect.c (one detection trick per function),
// wrappers.c (CPUID through a helper, a signature compared by memcmp) and honest.c (feature detection
// and a timing loop) built by gcc and mingw-w64, then scanned in the audit profile. A signature
// compared through a call is read from the image's .rodata or .rdata. Every trick is found where it was compiled, the honest uses stay plain CPUID and
// RDTSC findings, and the SARIF with ATT&CK/MBC tags passes the validator.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sarifProblems } from '../cli/sarifShape';
import { run, scratchDir } from './toolchain';
import { scan } from './runScan';

const FIXTURES = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'idioms');

interface Message {
  ruleId: string;
  symbol?: string;
  tags?: string[];
}

const IDIOM_IDS = new Set(['hypervisor-leaf', 'hypervisor-bit', 'hypervisor-signature', 'timing-check', 'vmware-backdoor', 'virtualpc-backdoor', 'red-pill']);

async function scanJson(binary: string, dir: string, profile = 'vm-detection-audit'): Promise<Message[]> {
  const out = await scan(['--profile', profile, '-f', 'json', binary], dir);
  const reports = JSON.parse(out.stdout) as { messages: Message[] }[];
  return reports[0]!.messages;
}

function idioms(messages: readonly Message[]): Message[] {
  return messages.filter((message) => IDIOM_IDS.has(message.ruleId));
}

/** The function each trick is in, and the idiom it must be reported as at each optimisation level. */
const EXPECTED: Record<string, string> = {
  // -O0 and -O1 call memcmp with the address of "VMwareVMware" in .rodata; -O2 compares immediates.
  hypervisor_vendor_is_vmware: 'hypervisor-signature',
  hypervisor_present: 'hypervisor-bit',
  cpuid_exit_is_slow: 'timing-check',
  vmware_backdoor: 'vmware-backdoor',
  virtualpc_backdoor: 'virtualpc-backdoor',
  red_pill: 'red-pill',
};

function inFunction(found: readonly Message[], fn: string): string[] {
  return found.filter((message) => message.symbol === fn || message.symbol?.startsWith(`${fn}+`)).map((message) => message.ruleId);
}

describe('scan: VM-detection idioms in binaries built by gcc and mingw-w64', function () {
  this.timeout(180_000);
  let dir: string;
  before(() => {
    dir = scratchDir();
    for (const name of ['detect', 'honest']) {
      const source = path.join(FIXTURES, `${name}.c`);
      for (const level of ['O0', 'O1', 'O2']) run('gcc', [`-${level}`, '-o', `${name}-${level}`, source], dir);
      run('x86_64-w64-mingw32-gcc', ['-O2', '-o', `${name}-w64.exe`, source], dir);
      run('i686-w64-mingw32-gcc', ['-O2', '-o', `${name}-w32.exe`, source], dir);
    }
    const wrappers = path.join(FIXTURES, 'wrappers.c');
    for (const level of ['O1', 'O2']) run('gcc', [`-${level}`, '-o', `wrappers-${level}`, wrappers], dir);
    run('x86_64-w64-mingw32-gcc', ['-O0', '-o', 'detect-w64-O0.exe', path.join(FIXTURES, 'detect.c')], dir);
    run('i686-w64-mingw32-gcc', ['-O0', '-o', 'detect-w32-O0.exe', path.join(FIXTURES, 'detect.c')], dir);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const level of ['O0', 'O1', 'O2'] as const) {
    it(`gcc -${level}: each trick is reported as its idiom, in its function`, async () => {
      const found = idioms(await scanJson(path.join(dir, `detect-${level}`), dir));
      for (const [fn, expected] of Object.entries(EXPECTED)) assert.deepEqual(inFunction(found, fn), [expected], `${fn}: ${JSON.stringify(found)}`);
    });

    it(`gcc -${level}: feature detection and a timing loop are not idioms, and stay CPUID and RDTSC findings`, async () => {
      const messages = await scanJson(path.join(dir, `honest-${level}`), dir);
      assert.deepEqual(idioms(messages), []);
      assert.ok(messages.some((message) => message.ruleId === 'cpuid'));
      assert.ok(messages.some((message) => message.ruleId === 'rdtsc'));
    });
  }

  for (const target of ['w64', 'w32']) {
    it(`mingw-w64 (${target}, PE): every kind of trick is found, and nothing in the honest program`, async () => {
      const found = new Set(idioms(await scanJson(path.join(dir, `detect-${target}.exe`), dir)).map((message) => message.ruleId));
      for (const id of ['hypervisor-bit', 'timing-check', 'vmware-backdoor', 'virtualpc-backdoor', 'red-pill']) assert.ok(found.has(id), `${id} in ${[...found].join(', ')}`);
      assert.ok(found.has('hypervisor-signature') || found.has('hypervisor-leaf'), [...found].join(', '));
      assert.deepEqual(idioms(await scanJson(path.join(dir, `honest-${target}.exe`), dir)), []);
    });
  }

  for (const level of ['O1', 'O2']) {
    it(`gcc -${level}, wrappers.c: the signature compared after a helper's CPUID (memcmp with .rodata at -O1), the vendor leaf read`, async () => {
      const found = idioms(await scanJson(path.join(dir, `wrappers-${level}`), dir));
      assert.deepEqual(inFunction(found, 'vendor_is_vbox'), ['hypervisor-signature'], JSON.stringify(found));
      assert.deepEqual(inFunction(found, 'hv_max_leaf'), ['hypervisor-leaf'], JSON.stringify(found));
    });
  }

  for (const target of ['w64', 'w32']) {
    it(`mingw-w64 -O0 (${target}): the signature compared by memcmp with a string in .rdata`, async () => {
      const found = idioms(await scanJson(path.join(dir, `detect-${target}-O0.exe`), dir)).map((message) => message.ruleId);
      assert.ok(found.includes('hypervisor-signature') && !found.includes('hypervisor-leaf'), found.join(', '));
    });
  }

  it('an idiom is as certain as the code it is in: with --min-confidence symbol every trick of gcc -O2 stays, the backdoors included', async () => {
    const out = await scan(['--profile', 'vm-detection-audit', '--min-confidence', 'symbol', '-f', 'json', path.join(dir, 'detect-O2')], dir);
    const messages = (JSON.parse(out.stdout) as { messages: (Message & { discovery?: string })[] }[])[0]!.messages;
    const found = idioms(messages);
    for (const [fn, expected] of Object.entries(EXPECTED)) assert.deepEqual(inFunction(found, fn), [expected], `${fn}: ${JSON.stringify(found)}`);
    for (const message of found as (Message & { discovery?: string })[]) assert.equal(message.discovery, 'symbol', JSON.stringify(message));
  });

  it('other profiles report the plain instructions only', async () => {
    const messages = await scanJson(path.join(dir, 'detect-O2'), dir, 'hardware-assisted-guest');
    assert.deepEqual(idioms(messages), []);
    assert.ok(messages.some((message) => message.ruleId === 'cpuid'));
  });

  it('the lint command on the C fixture: the same idioms, tagged in JSON, and SARIF that passes the validator', () => {
    const cli = path.join(__dirname, '..', '..', '..', 'bin', 'virtlint.js');
    const lint = (format: string): string => spawnSync(process.execPath, [cli, '--profile', 'vm-detection-audit', '-f', format, path.join(FIXTURES, 'detect.c')], { encoding: 'utf8' }).stdout;
    const messages = (JSON.parse(lint('json')) as { messages: Message[] }[])[0]!.messages;
    assert.deepEqual(messages.map((message) => message.ruleId), ['hypervisor-signature', 'hypervisor-bit', 'timing-check', 'vmware-backdoor', 'virtualpc-backdoor', 'red-pill']);
    for (const message of messages) assert.ok(message.tags?.includes('attack/T1497.001'), message.ruleId);
    assert.deepEqual(sarifProblems(JSON.parse(lint('sarif'))), []);
  });

  it('JSON carries the ATT&CK and MBC tags; the SARIF passes the validator and has them in properties.tags', async () => {
    const messages = idioms(await scanJson(path.join(dir, 'detect-O2'), dir));
    for (const message of messages) assert.ok(message.tags?.includes('attack/T1497.001') && message.tags.includes('mbc/B0009'), JSON.stringify(message));
    const out = await scan(['--profile', 'vm-detection-audit', '-f', 'sarif', path.join(dir, 'detect-O2')], dir);
    const log = JSON.parse(out.stdout) as { runs: { results: { ruleId: string; properties?: { tags?: string[] } }[]; tool: { driver: { rules: { id: string; properties: { tags: string[] } }[] } } }[] };
    assert.deepEqual(sarifProblems(log), []);
    const results = log.runs[0]!.results.filter((result) => IDIOM_IDS.has(result.ruleId));
    assert.ok(results.length >= 5);
    for (const result of results) assert.ok(result.properties?.tags?.includes('attack/T1497.001'), result.ruleId);
    const timing = log.runs[0]!.tool.driver.rules.find((rule) => rule.id === 'timing-check')!;
    assert.ok(timing.properties.tags.includes('mbc/B0009.036'), timing.properties.tags.join(', '));
  });
});
