// `virtlint scan` end to end through runScan: output formats, exit codes, error messages.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readImageFile, loadImage } from '../../server/src/scan/load';
import { scan } from './runScan';
import { ld, nasm, randomBytes, run, scratchDir } from './toolchain';

const SOURCE = 'bits 64\nsection .text\nglobal _start\nglobal probe\n_start:\n  nop\nprobe:\n  cpuid\n  pushfq\n  int3\n  ret\n';

describe('scan: the scan command', function () {
  this.timeout(60_000);
  let dir: string;

  before(() => {
    dir = scratchDir();
    ld(dir, [nasm(dir, 'cmd', SOURCE, 'elf64')], 'cmd');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('json: one message per finding with address, section and symbol; line/column 1', async () => {
    const { code, stdout } = await scan(['--format', 'json', 'cmd'], dir);
    const reports = JSON.parse(stdout) as { filePath: string; messages: { ruleId: string; address: string; section: string; symbol?: string; line: number; column: number }[] }[];
    assert.equal(reports.length, 1);
    const messages = reports[0]!.messages;
    assert.deepEqual(messages.map((m) => m.ruleId), ['pushf']); // default profile: cpuid off, INT3 never without `all`
    assert.equal(messages[0]!.symbol, 'probe+0x2');
    assert.equal(messages[0]!.section, '.text');
    assert.match(messages[0]!.address, /^0x[0-9a-f]+$/);
    assert.equal(messages[0]!.line, 1);
    assert.equal(messages[0]!.column, 1);
    assert.equal(code, pushfIsError(stdout) ? 1 : 0);
  });

  it('--rules all adds CPUID and INT3; --profile vm-detection-audit reports CPUID', async () => {
    const all = JSON.parse((await scan(['--format', 'json', '--rules', 'all', 'cmd'], dir)).stdout) as { messages: { ruleId: string }[] }[];
    assert.deepEqual(all[0]!.messages.map((m) => m.ruleId), ['cpuid', 'pushf', 'int']);
    const audit = JSON.parse((await scan(['--format', 'json', '--profile', 'vm-detection-audit', 'cmd'], dir)).stdout) as { messages: { ruleId: string }[] }[];
    assert.ok(audit[0]!.messages.some((m) => m.ruleId === 'cpuid'));
  });

  it('stylish shows the address and the disassembly; sarif and github render', async () => {
    const stylish = (await scan(['--rules', 'all', 'cmd'], dir)).stdout;
    assert.match(stylish, /0x[0-9a-f]+\s+\w+\s+.*\[pushfq at 0x[0-9a-f]+ <probe\+0x2>, found by traversal\]/);
    const sarif = JSON.parse((await scan(['--format', 'sarif', 'cmd'], dir)).stdout) as { runs: { results: unknown[] }[] };
    assert.equal(sarif.runs[0]!.results.length, 1);
    assert.match((await scan(['--format', 'github', 'cmd'], dir)).stdout, /::(error|warning) /);
  });

  it('exit codes: 0 clean, 1 on error findings or too many warnings, 2 on bad usage or input', async () => {
    const clean = ld(dir, [nasm(dir, 'clean', 'bits 64\nsection .text\nglobal _start\n_start: ret\n', 'elf64')], 'clean');
    assert.equal((await scan([clean], dir)).code, 0);
    assert.equal((await scan(['--severity', 'pushf=error', 'cmd'], dir)).code, 1);
    assert.equal((await scan(['--severity', 'pushf=warning', '--max-warnings', '0', 'cmd'], dir)).code, 1);
    assert.equal((await scan(['--severity', 'pushf=warning', 'cmd'], dir)).code, 0);
    const usage = await scan(['--bits', '12', 'cmd'], dir);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--bits must be 16, 32 or 64/);
    assert.equal((await scan([], dir)).code, 2);
    assert.equal((await scan(['--nope', 'cmd'], dir)).code, 2);
  });

  it('bad files: a clear fatal message per file, exit 2, the other files still scanned', async () => {
    fs.writeFileSync(path.join(dir, 'noise.bin'), randomBytes(5000, 3));
    fs.writeFileSync(path.join(dir, 'empty.bin'), '');
    fs.writeFileSync(path.join(dir, 'trunc'), fs.readFileSync(path.join(dir, 'cmd')).subarray(0, 100));
    const { code, stdout } = await scan(['--format', 'json', 'noise.bin', 'empty.bin', 'missing.bin', 'trunc', '.', 'cmd'], dir);
    assert.equal(code, 2);
    const reports = JSON.parse(stdout) as { filePath: string; messages: { fatal?: boolean; message: string; ruleId: string | null }[] }[];
    const byName = new Map(reports.map((r) => [path.basename(r.filePath), r]));
    assert.match(byName.get('noise.bin')!.messages[0]!.message, /not an ELF, PE or COFF file.*--bits/);
    assert.match(byName.get('empty.bin')!.messages[0]!.message, /empty file/);
    assert.match(byName.get('missing.bin')!.messages[0]!.message, /no such file/);
    assert.match(byName.get('trunc')!.messages[0]!.message, /truncated or corrupt ELF/);
    assert.match(byName.get(path.basename(dir))!.messages[0]!.message, /is a directory/);
    assert.ok(byName.get('cmd')!.messages.some((m) => m.ruleId === 'pushf'), 'the good file is still scanned');
  });

  it('--max-size refuses larger files; raw images need --bits; --base moves addresses', async () => {
    fs.writeFileSync(path.join(dir, 'big.bin'), new Uint8Array(2 * 1024 * 1024));
    const big = await scan(['--format', 'json', '--max-size', '1', 'big.bin'], dir);
    assert.equal(big.code, 2);
    assert.match(big.stdout, /over the --max-size limit/);
    fs.writeFileSync(path.join(dir, 'boot.bin'), Uint8Array.from([0x90, 0x9c, 0x0f, 0xa2]));
    const raw = JSON.parse((await scan(['--format', 'json', '--rules', 'all', '--bits', '16', '--base', '0x7c00', 'boot.bin'], dir)).stdout) as { messages: { ruleId: string; address: string }[] }[];
    assert.deepEqual(raw[0]!.messages.map((m) => [m.ruleId, m.address]), [['pushf', '0x7c01'], ['cpuid', '0x7c02']]);
  });

  it('--base on an ELF file says it was not used, and the file keeps its own addresses', async () => {
    type Report = { note?: string; messages: { address: string }[] }[];
    const plain = JSON.parse((await scan(['--format', 'json', 'cmd'], dir)).stdout) as Report;
    const based = JSON.parse((await scan(['--format', 'json', '--base', '0x1000', 'cmd'], dir)).stdout) as Report;
    assert.deepEqual(based[0]!.messages.map((m) => m.address), plain[0]!.messages.map((m) => m.address));
    assert.match(based[0]!.note ?? '', /--base was not used: this elf64 file gives its own load addresses \(add --raw to load its bytes at --base\)/);
    assert.doesNotMatch(plain[0]!.note ?? '', /--base/);
  });

  it('--map attributes findings in a stripped binary; a bad map is a usage error', async () => {
    const stripped = ld(dir, [nasm(dir, 'mapped', SOURCE, 'elf64')], 'mapped');
    fs.writeFileSync(path.join(dir, 'System.map'), run('nm', [stripped], dir));
    run('strip', [stripped], dir);
    const without = JSON.parse((await scan(['--format', 'json', 'mapped'], dir)).stdout) as { messages: { symbol?: string }[] }[];
    assert.equal(without[0]!.messages[0]!.symbol, undefined);
    const withMap = JSON.parse((await scan(['--format', 'json', '--map', 'System.map', 'mapped'], dir)).stdout) as { messages: { symbol?: string }[] }[];
    assert.equal(withMap[0]!.messages[0]!.symbol, 'probe+0x2');
    fs.writeFileSync(path.join(dir, 'bad.map'), 'not a map\n');
    const bad = await scan(['--map', 'bad.map', 'mapped'], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /is it a System\.map\?/);
  });

  it('reads a large ELF sparsely with the same result as reading it whole (node binary)', () => {
    const file = process.execPath;
    const whole = loadImage(new Uint8Array(fs.readFileSync(file)));
    const sparse = loadImage(readImageFile(file, fs.statSync(file).size));
    assert.equal(sparse.sections.length, whole.sections.length);
    sparse.sections.forEach((s, i) => assert.ok(Buffer.from(s.bytes).equals(Buffer.from(whole.sections[i]!.bytes)), `section ${s.name}`));
    assert.equal(sparse.symbols.length, whole.symbols.length);
  });
});

function pushfIsError(json: string): boolean {
  return (JSON.parse(json) as { messages: { severity: number }[] }[])[0]!.messages.some((m) => m.severity === 2);
}
