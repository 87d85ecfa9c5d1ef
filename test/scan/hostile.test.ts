// `virtlint scan` against hostile input and careless options (issue 20): names that carry
// terminal escapes, huge finding counts, endless --map files, unknown rule ids, addresses at the
// top of the address space.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from '../../server/src/cli/args';
import { UsageError } from '../../server/src/report/options';
import { resolveRuleSelection } from '../../server/src/analysis/catalogue';
import { loadImage } from '../../server/src/scan/load';
import { scanImage } from '../../server/src/scan/scanner';
import { scan } from './runScan';
import { ld, nasm, randomBytes, run, scratchDir } from './toolchain';

const ESC = '\u001b';
const RED = `${ESC}[31m`;
const RESET = `${ESC}[0m`;
/** An OSC sequence that sets the terminal's window title, ended by BEL. */
const SET_TITLE = `${ESC}]0;pwned\u0007`;

/** True when the text holds a C0 control character other than a line feed (ESC, BEL, CR...). */
function hasControlCharacter(text: string): boolean {
  return /[\u0000-\u0009\u000b-\u001f\u007f]/.test(text);
}

interface JsonMessage {
  ruleId: string | null;
  message: string;
  address?: string;
  section?: string;
  symbol?: string;
}

function jsonMessages(stdout: string): JsonMessage[] {
  return (JSON.parse(stdout) as { messages: JsonMessage[] }[]).flatMap((report) => report.messages);
}

describe('scan: terminal escapes in names from the scanned file (issue 20 item 7)', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = scratchDir();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('an ELF symbol and section named with ESC sequences are escaped in stylish and github, exact in the json fields', async () => {
    const source = [
      '.text',
      '.globl _start',
      '_start: nop',
      `"${RED}evil${RESET}":`,
      '  pushfq',
      '  ret',
      `.section "${ESC}[32mhot","ax",@progbits`,
      '  pushfq',
      '',
    ].join('\n');
    fs.writeFileSync(path.join(dir, 'esc.s'), source);
    run('as', ['--64', '-o', 'esc.o', 'esc.s'], dir);

    const json = await scan(['--format', 'json', 'esc.o'], dir);
    const messages = jsonMessages(json.stdout);
    assert.deepEqual(
      messages.map((m) => [m.ruleId, m.symbol, m.section]),
      [
        ['pushf', `${RED}evil${RESET}`, '.text'],
        ['pushf', undefined, `${ESC}[32mhot`],
      ],
      'the json fields keep the names as the file has them',
    );
    assert.ok(messages.every((m) => !hasControlCharacter(m.message)), 'json message texts are escaped');

    const stylish = await scan(['esc.o'], dir);
    assert.equal(stylish.code, json.code);
    assert.ok(!hasControlCharacter(stylish.stdout), `stylish output has a raw control character:\n${stylish.stdout}`);
    assert.ok(stylish.stdout.includes('<\\x1B[31mevil\\x1B[0m>'), stylish.stdout);
    assert.ok(stylish.stdout.includes('in \\x1B[32mhot'), stylish.stdout);

    const github = await scan(['--format', 'github', 'esc.o'], dir);
    assert.ok(!hasControlCharacter(github.stdout), `github output has a raw control character:\n${github.stdout}`);
    assert.match(github.stdout, /^::\w+ .*\\x1B\[31mevil/m);

    const sarif = JSON.parse((await scan(['--format', 'sarif', 'esc.o'], dir)).stdout) as { runs: { results: { message: { text: string } }[] }[] };
    const texts = sarif.runs[0]!.results.map((r) => r.message.text);
    assert.equal(texts.length, 2);
    assert.ok(texts.every((text) => !hasControlCharacter(text)), texts.join('\n'));
  });

  it('a PE export named with an ESC sequence is escaped in stylish', async () => {
    // nasm cannot spell ESC in a name: link with a placeholder of the same length, then patch the bytes.
    const placeholder = 'QQQQQ';
    assert.equal(placeholder.length, RED.length);
    const source = `bits 64\nsection .text\nglobal _start\nglobal ${placeholder}evil\n_start:\n  nop\n${placeholder}evil:\n  pushfq\n  ret\n`;
    const dll = ld(dir, ['-m', 'i386pep', '--shared', '--export-all-symbols', '-e', '_start', nasm(dir, 'pe-esc', source, 'win64')], 'pe-esc.dll');
    const bytes = fs.readFileSync(dll);
    const patched = Buffer.from(bytes.toString('latin1').split(`${placeholder}evil`).join(`${RED}evil`), 'latin1');
    assert.ok(!patched.equals(bytes), 'the export name was patched');
    fs.writeFileSync(dll, patched);

    const messages = jsonMessages((await scan(['--format', 'json', dll], dir)).stdout);
    assert.deepEqual(messages.map((m) => m.symbol), [`${RED}evil`], 'the finding is attributed to the patched export');
    assert.ok(messages.every((m) => !hasControlCharacter(m.message)), 'json message texts are escaped');
    const stylish = await scan([dll], dir);
    assert.ok(!hasControlCharacter(stylish.stdout), stylish.stdout);
    assert.ok(stylish.stdout.includes('<\\x1B[31mevil>'), stylish.stdout);
  });

  it('System.map names with ESC and BEL are escaped in stylish; a map path with ESC is escaped on stderr', async () => {
    const exe = ld(dir, [nasm(dir, 'mapped', 'bits 64\nsection .text\nglobal _start\nglobal probe\n_start:\n  nop\nprobe:\n  cpuid\n  pushfq\n  ret\n', 'elf64')], 'mapped');
    const map = run('nm', [exe], dir).replace(/ probe$/m, ` ${SET_TITLE}probe`);
    assert.ok(map.includes(SET_TITLE));
    fs.writeFileSync(path.join(dir, 'esc.map'), map);
    run('strip', [exe], dir);

    const messages = jsonMessages((await scan(['--format', 'json', '--map', 'esc.map', 'mapped'], dir)).stdout);
    assert.deepEqual(messages.map((m) => m.symbol), [`${SET_TITLE}probe+0x2`]);
    const stylish = await scan(['--map', 'esc.map', 'mapped'], dir);
    assert.ok(!hasControlCharacter(stylish.stdout), stylish.stdout);
    assert.ok(stylish.stdout.includes('<\\x1B]0;pwned\\x07probe+0x2>'), stylish.stdout);

    const missing = await scan(['--map', `${RED}missing.map`, 'mapped'], dir);
    assert.equal(missing.code, 2);
    assert.ok(!hasControlCharacter(missing.stderr.split('\n')[0]!), missing.stderr);
    assert.match(missing.stderr, /cannot use map \\x1B\[31mmissing\.map: no such file/);
  });
});

describe('scan: 8 MB of random bytes (issue 20 item 8)', function () {
  this.timeout(180_000);
  let dir: string;
  before(() => {
    dir = scratchDir();
    fs.writeFileSync(path.join(dir, 'random.bin'), randomBytes(8 * 1024 * 1024, 20));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('json and stylish both report every one of the >100,000 findings', async () => {
    // About 252,000: over the default --max-findings, which the next describe covers.
    const json = await scan(['--format', 'json', '--bits', '32', '--max-findings', '1000000', 'random.bin'], dir);
    assert.equal(json.stderr, '');
    const messages = jsonMessages(json.stdout);
    assert.ok(messages.length > 100_000, `${messages.length} findings`);
    const errors = messages.filter((m) => (m as { severity?: number }).severity === 2).length;
    assert.equal(json.code, errors > 0 ? 1 : 0);

    const stylish = await scan(['--bits', '32', '--max-findings', '1000000', 'random.bin'], dir);
    assert.equal(stylish.stderr, '');
    assert.equal(stylish.code, json.code);
    const rows = stylish.stdout.split('\n').filter((line) => /^\s+0x[0-9a-f]+\s+(error|warning|info|hint)\s/.test(line));
    assert.equal(rows.length, messages.length);
  });

  it('a --rules list of 131,071 commas (the longest single argument Linux passes) is not spread onto the stack', async () => {
    const bin = path.join(dir, 'one.bin');
    fs.writeFileSync(bin, Uint8Array.from([0x9c]));
    const result = await scan(['--format', 'json', '--bits', '32', '--rules', ','.repeat(131_071), bin], dir);
    assert.equal(result.stderr, '');
    assert.deepEqual(jsonMessages(result.stdout).map((m) => m.ruleId), ['pushf'], 'an empty selection means the profile default');
  });
});

/** The documented cap of --map (see `virtlint scan --help`). */
const MAX_MAP_BYTES = 64 * 1024 * 1024;

describe('scan --map reads only regular files, up to a cap (issue 20 item 9)', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = scratchDir();
    fs.writeFileSync(path.join(dir, 'code.bin'), Uint8Array.from([0x9c]));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('/dev/zero is refused as a device instead of being read until memory runs out', async () => {
    const result = await scan(['--bits', '32', '--map', '/dev/zero', 'code.bin'], dir);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /cannot use map \/dev\/zero: a character device, not a regular file/);
    assert.equal(result.stdout, '');
  });

  it('a FIFO is refused instead of blocking the scan', async () => {
    run('mkfifo', ['pipe.map'], dir);
    const result = await scan(['--bits', '32', '--map', 'pipe.map', 'code.bin'], dir);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /cannot use map pipe\.map: a FIFO \(named pipe\), not a regular file/);
  });

  it('a map over 64 MB is refused with the limit in the message; one of exactly 64 MB is read', async () => {
    const line = 'ffffffff81000000 T _stext\n';
    const atLimit = path.join(dir, 'at-limit.map');
    fs.writeFileSync(atLimit, line);
    fs.truncateSync(atLimit, MAX_MAP_BYTES); // NUL padding after the one symbol line
    const accepted = await scan(['--format', 'json', '--bits', '32', '--map', 'at-limit.map', 'code.bin'], dir);
    assert.equal(accepted.stderr, '');
    assert.notEqual(accepted.code, 2);

    const over = path.join(dir, 'over.map');
    fs.writeFileSync(over, line);
    fs.truncateSync(over, MAX_MAP_BYTES + 1);
    const refused = await scan(['--bits', '32', '--map', 'over.map', 'code.bin'], dir);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /cannot use map over\.map: larger than the 64 MB limit for a System\.map/);
  });
});

describe('scan validates --rules and --severity like the lint command (issue 20 item 13)', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = scratchDir();
    fs.writeFileSync(path.join(dir, 'flags.bin'), Uint8Array.from([0x9c, 0x9d])); // pushf; popf
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  function lintUsageMessage(options: string[]): string {
    try {
      parseArgs([...options, 'file.asm']);
    } catch (e) {
      if (e instanceof UsageError) return e.message;
      throw e;
    }
    assert.fail(`lint accepts ${options.join(' ')}`);
  }

  for (const bad of [
    ['--rules', 'popff'],
    ['--rules', 'popf,nosuch,ALSO-NOT'],
    ['--severity', 'popff=error'],
    ['--severity', 'popf'],
    ['--severity', 'popf=loud'],
    ['--severity', '=error'],
  ]) {
    it(`${bad.join(' ')}: exit 2 with lint's message`, async () => {
      const result = await scan([...bad, '--bits', '32', 'flags.bin'], dir);
      assert.equal(result.code, 2);
      assert.equal(result.stdout, '');
      assert.equal(result.stderr.split('\n')[0], `virtlint scan: ${lintUsageMessage(bad)}`);
    });
  }

  it('rule ids are case-insensitive in --rules and --severity, as in lint, and the override takes effect', async () => {
    assert.doesNotThrow(() => parseArgs(['--rules', 'POPF', '--severity', 'POPF=Off', 'file.asm']));
    const rulesOnly = await scan(['--format', 'json', '--rules', 'POPF', '--bits', '32', 'flags.bin'], dir);
    assert.deepEqual(jsonMessages(rulesOnly.stdout).map((m) => m.ruleId), ['popf']);
    const silenced = await scan(['--format', 'json', '--rules', 'pushf,popf', '--severity', 'POPF=off', '--bits', '32', 'flags.bin'], dir);
    assert.deepEqual(jsonMessages(silenced.stdout).map((m) => m.ruleId), ['pushf']);
    assert.equal(silenced.stderr, '');
  });

  it('-f is --format, as in lint', async () => {
    const result = await scan(['-f', 'json', '--bits', '32', 'flags.bin'], dir);
    assert.equal(result.stderr, '');
    assert.deepEqual(jsonMessages(result.stdout).map((m) => m.ruleId), ['pushf', 'popf']);
  });
});

describe('scan addresses wrap at the top of the address space (issue 20 item 15)', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = scratchDir();
    fs.writeFileSync(path.join(dir, 'top.bin'), Uint8Array.from([0x9c, 0x0f, 0xa2])); // pushf; cpuid
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const addresses = async (argv: string[]): Promise<string[]> => jsonMessages((await scan(['--format', 'json', '--rules', 'all', ...argv, 'top.bin'], dir)).stdout).map((m) => m.address!);

  it('32-bit (and 16-bit) code wraps at 2^32, 64-bit code at 2^64', async () => {
    assert.deepEqual(await addresses(['--bits', '32', '--base', '0xffffffff']), ['0xffffffff', '0x0']);
    assert.deepEqual(await addresses(['--bits', '16', '--base', '0xffffffff']), ['0xffffffff', '0x0']);
    assert.deepEqual(await addresses(['--bits', '64', '--base', '0xffffffff']), ['0xffffffff', '0x100000000']);
    assert.deepEqual(await addresses(['--bits', '64', '--base', '0xffffffffffffffff']), ['0xffffffffffffffff', '0x0']);
  });

  it('a --base that does not fit the bitness is a usage error', async () => {
    for (const argv of [
      ['--bits', '32', '--base', '0x100000000'],
      ['--bits', '16', '--base', '4294967296'],
      ['--base', '0x100000000'], // raw images default to 16-bit code
    ]) {
      const result = await scan([...argv, 'top.bin'], dir);
      assert.equal(result.code, 2, argv.join(' '));
      assert.match(result.stderr, /^virtlint scan: --base 0x100000000 does not fit in the 32-bit addresses of (16|32)-bit code/, argv.join(' '));
    }
    const tooBig = await scan(['--bits', '64', '--base', '0x10000000000000000', 'top.bin'], dir);
    assert.equal(tooBig.code, 2);
  });

  it('a PE32 image based near 4 GB: section and export addresses wrap alike, so symbols still match', async () => {
    const source = 'bits 32\nsection .text\nglobal __start\nglobal _read_flags\n__start:\n  nop\n_read_flags:\n  push ebp\n  pushfd\n  pop ebp\n  ret\n';
    const dll = ld(dir, ['-m', 'i386pe', '--shared', '--export-all-symbols', '-e', '__start', nasm(dir, 'high', source, 'win32')], 'high.dll');
    const bytes = new Uint8Array(fs.readFileSync(dll));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const optionalHeader = view.getUint32(0x3c, true) + 24;
    view.setUint32(optionalHeader + 28, 0xfffff000, true); // ImageBase: .text (RVA 0x1000) lands at 2^32
    const image = loadImage(bytes);
    const text = image.sections.find((s) => s.name === '.text')!;
    assert.equal(text.address, 0n);
    const all = resolveRuleSelection(['all'], 'deprivileged-kernel');
    const { findings } = await scanImage(image, { profile: 'deprivileged-kernel', enabled: all.enabled, includeInt3: true });
    assert.deepEqual(findings.map((f) => [f.ruleId, f.address, f.symbol]), [['pushf', 0x2n, 'read_flags+0x1']]);
  });

  it('an ELF32 section that runs past 4 GB wraps to 0', async () => {
    const object = nasm(dir, 'wrap32', 'bits 32\nsection .text\nnop\nnop\npushfd\n', 'elf32');
    const bytes = new Uint8Array(fs.readFileSync(object));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const image = loadImage(bytes);
    const textIndex = findElf32Section(view, bytes, '.text');
    view.setUint32(view.getUint32(0x20, true) + textIndex * 40 + 0x0c, 0xfffffffe, true); // sh_addr
    const patched = loadImage(bytes);
    assert.equal(image.sections[0]!.address, 0n);
    assert.equal(patched.sections[0]!.address, 0xfffffffen);
    const all = resolveRuleSelection(['all'], 'deprivileged-kernel');
    const { findings } = await scanImage(patched, { profile: 'deprivileged-kernel', enabled: all.enabled, includeInt3: true });
    assert.deepEqual(findings.map((f) => [f.ruleId, f.address]), [['pushf', 0n]]);
  });
});

/** Index of the named section in an ELF32 file's section header table. */
function findElf32Section(view: DataView, bytes: Uint8Array, name: string): number {
  const shoff = view.getUint32(0x20, true);
  const shnum = view.getUint16(0x30, true);
  const names = view.getUint32(shoff + view.getUint16(0x32, true) * 40 + 0x10, true);
  for (let i = 0; i < shnum; i++) {
    const start = names + view.getUint32(shoff + i * 40, true);
    if (Buffer.from(bytes.subarray(start, start + name.length + 1)).toString('latin1') === `${name}\0`) return i;
  }
  throw new Error(`no section ${name}`);
}

describe('scan --max-findings: millions of findings are counted, not listed (`--rules all` on a kernel)', function () {
  this.timeout(180_000);
  let dir: string;
  const padding = 300_000;
  before(() => {
    dir = scratchDir();
    // INT3 padding as a kernel has it between functions, with one PUSHF (a warning) at the start.
    fs.writeFileSync(path.join(dir, 'padding.bin'), Buffer.concat([Buffer.from([0x9c]), Buffer.alloc(padding, 0xcc)]));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const report = (stdout: string) => (JSON.parse(stdout) as { messages: { ruleId: string }[]; errorCount: number; warningCount: number; note?: string }[])[0]!;

  it('lists the first n, counts every finding in the totals, and says so on stderr and in the note', async () => {
    const all = await scan(['--format', 'json', '--raw', '--bits', '64', '--rules', 'all', '--max-findings', '1000000', 'padding.bin'], dir);
    const full = report(all.stdout);
    assert.equal(full.messages.length, padding + 1);
    const capped = await scan(['--format', 'json', '--raw', '--bits', '64', '--rules', 'all', '--max-findings', '1000', 'padding.bin'], dir);
    const shown = report(capped.stdout);
    assert.equal(shown.messages.length, 1000);
    assert.deepEqual(shown.messages, full.messages.slice(0, 1000), 'the first findings, in address order');
    assert.equal(shown.errorCount, full.errorCount);
    assert.equal(shown.warningCount, full.warningCount);
    assert.equal(capped.code, all.code);
    assert.match(capped.stderr, new RegExp(`listed the first 1000 of ${padding + 1} findings`));
    assert.match(shown.note ?? '', /listed the first 1000 of/);
  });

  it('without the option, the default cap applies; 0 or a word is a usage error', async () => {
    const defaulted = await scan(['--format', 'json', '--raw', '--bits', '64', '--rules', 'all', 'padding.bin'], dir);
    assert.equal(report(defaulted.stdout).messages.length, 250_000);
    assert.match(defaulted.stderr, /--max-findings 250000/);
    for (const bad of ['0', 'many']) assert.equal((await scan(['--max-findings', bad, 'padding.bin'], dir)).code, 2);
  });
});
