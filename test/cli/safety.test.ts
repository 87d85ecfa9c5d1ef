// Issue 20: nothing a user does with the CLI loses data, hangs or runs away. Each test is the
// issue's reproducer (or the closest real one this machine allows), against the real file system.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from '../../server/src/cli/args';
import { escapeControlCharacters, formatReports, type FileReport } from '../../server/src/report';
import { UsageError } from '../../server/src/report/options';
import { CLI_SCRIPT, parseJsonReport, removeTree, runCli, spawnCli, tempTree, type CliRun, type JsonResult } from './helpers';

const PUSHF = 'bits 64\n    pushfq\n';
/** 200 findings with comments: the fixed text is several times the original's size. */
const LONG = 'bits 64\n' + Array.from({ length: 200 }, (_, i) => `    pushfq ; keep the flags (${i})\n`).join('');

function onlyResult(run: CliRun): JsonResult {
  const results = parseJsonReport(run.stdout);
  assert.equal(results.length, 1, run.stdout);
  return results[0]!;
}

function fatalMessage(result: JsonResult): string {
  assert.equal(result.fatalErrorCount, 1, JSON.stringify(result));
  assert.equal(result.messages[0]!.ruleId, null);
  return result.messages[0]!.message;
}

/** Runs the compiled CLI under `ulimit -f <blocks>` (1 KiB blocks): writing past it fails with EFBIG. */
function spawnWithFileSizeLimit(blocks: number, argv: string[], cwd: string): CliRun {
  const run = spawnSync('bash', ['-c', `ulimit -f ${blocks} && exec "$0" "$@"`, process.execPath, CLI_SCRIPT, ...argv], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 60_000,
  });
  if (run.error) throw run.error;
  return { code: run.status ?? -1, stdout: run.stdout, stderr: run.stderr };
}

describe('cli safety (issue 20)', function () {
  this.timeout(120_000);
  let dir: string;
  beforeEach(() => {
    dir = tempTree({ 'boot.asm': PUSHF });
  });
  afterEach(() => removeTree(dir));
  const at = (name: string) => path.join(dir, name);

  describe('a failed --fix write (item 3)', () => {
    it('leaves the file exactly as it was, removes its temporary file and says so', () => {
      fs.writeFileSync(at('big.asm'), LONG);
      // The limit only stops writes; the original fits in it, the fixed text (a prefix line per finding) does not.
      assert.ok(Buffer.byteLength(LONG) < 8 * 1024);
      const run = spawnWithFileSizeLimit(8, ['-f', 'json', '--fix', 'trap', 'big.asm'], dir);
      assert.equal(fs.readFileSync(at('big.asm'), 'utf8'), LONG, 'the file was cut short');
      assert.deepEqual(fs.readdirSync(dir).sort(), ['big.asm', 'boot.asm'], 'a temporary file was left behind');
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /cannot write the fixed .*big\.asm \(left unchanged\): EFBIG/);
      assert.match(onlyResult(run).note ?? '', /could not be written and the file is unchanged/);
    });

    it('a successful write keeps the file mode (and the owner, when run as root)', async () => {
      fs.chmodSync(at('boot.asm'), 0o640);
      const asRoot = process.getuid?.() === 0;
      if (asRoot) fs.chownSync(at('boot.asm'), 65534, 65534);
      const run = await runCli(['--fix', 'trap', 'boot.asm'], { cwd: dir });
      assert.equal(run.code, 0, run.stderr);
      const stat = fs.statSync(at('boot.asm'));
      assert.notEqual(fs.readFileSync(at('boot.asm'), 'utf8'), PUSHF, 'the fix was written');
      assert.equal(stat.mode & 0o7777, 0o640);
      if (asRoot) assert.deepEqual([stat.uid, stat.gid], [65534, 65534]);
      assert.deepEqual(fs.readdirSync(dir), ['boot.asm']);
    });

    it('a read-only file is not rewritten, although its directory is writable', () => {
      fs.chmodSync(at('boot.asm'), 0o444);
      const run = spawnUnprivileged(['--fix', 'trap', 'boot.asm'], dir);
      assert.equal(fs.readFileSync(at('boot.asm'), 'utf8'), PUSHF);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /cannot write the fixed .*boot\.asm \(left unchanged\): EACCES/);
    });
  });

  describe('output files that are inputs or each other (item 4)', () => {
    it('refuses, before writing anything, an output that is an input however it is named', async () => {
      fs.mkdirSync(at('src'));
      fs.writeFileSync(at('src/inner.asm'), PUSHF);
      fs.linkSync(at('boot.asm'), at('hard.asm'));
      fs.symlinkSync('boot.asm', at('link.out'));
      fs.writeFileSync(at('template.txt'), 'vmcall\n');
      const cases: Array<[string[], RegExp]> = [
        [['boot.asm', '-o', 'boot.asm'], /-o boot\.asm would overwrite the input boot\.asm/],
        [['boot.asm', '-o', './boot.asm'], /-o \.\/boot\.asm would overwrite the input boot\.asm/],
        [['boot.asm', '-o', path.join(dir, 'boot.asm')], /would overwrite the input boot\.asm/],
        [['boot.asm', '-o', 'hard.asm'], /-o hard\.asm would overwrite the input boot\.asm/],
        [['boot.asm', '-o', 'link.out'], /-o link\.out would overwrite the input boot\.asm/],
        [['src', '-o', 'src/inner.asm'], /-o src\/inner\.asm would overwrite the input src\/inner\.asm/],
        [['--fix', 'trap', '-o', 'boot.asm', 'boot.asm'], /-o boot\.asm would overwrite the input boot\.asm/],
        [['--write-hypercall-defs', 'boot.asm', '--abi', 'kvm', 'boot.asm'], /--write-hypercall-defs boot\.asm would overwrite the input boot\.asm/],
        [['--fix', 'hypercall', '--abi', 'custom', '--fix-template', 'template.txt', '-o', 'template.txt', 'src'], /-o template\.txt would overwrite the --fix-template template\.txt/],
      ];
      for (const [argv, message] of cases) {
        const run = await runCli(argv, { cwd: dir });
        assert.equal(run.code, 2, `${argv.join(' ')}: ${run.stderr}`);
        assert.match(run.stderr, message, argv.join(' '));
        assert.equal(fs.readFileSync(at('boot.asm'), 'utf8'), PUSHF, argv.join(' '));
        assert.equal(fs.readFileSync(at('src/inner.asm'), 'utf8'), PUSHF, argv.join(' '));
        assert.equal(fs.readFileSync(at('template.txt'), 'utf8'), 'vmcall\n', argv.join(' '));
      }
    });

    it('refuses two outputs that are the same file', async () => {
      const run = await runCli(['--write-hypercall-defs', 'hc.inc', '--write-hypercall-header', './hc.inc', '--abi', 'kvm'], { cwd: dir });
      assert.equal(run.code, 2);
      assert.match(run.stderr, /--write-hypercall-defs hc\.inc and --write-hypercall-header \.\/hc\.inc are the same file/);
      assert.ok(!fs.existsSync(at('hc.inc')), 'nothing written');
      // A dangling link: writing to it creates the file it points to.
      fs.symlinkSync('real.h', at('alias.h'));
      const linked = await runCli(['boot.asm', '-o', 'alias.h', '--write-hypercall-header', 'real.h', '--abi', 'kvm'], { cwd: dir });
      assert.equal(linked.code, 2);
      assert.match(linked.stderr, /-o alias\.h and --write-hypercall-header real\.h are the same file/);
      assert.ok(!fs.existsSync(at('real.h')), 'nothing written');
    });

    it('still writes outputs that are not inputs', async () => {
      const run = await runCli(['-f', 'json', '-o', 'report.json', '--write-hypercall-defs', 'hc.inc', '--abi', 'kvm', 'boot.asm'], { cwd: dir });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(parseJsonReport(fs.readFileSync(at('report.json'), 'utf8')).length, 1);
      assert.match(fs.readFileSync(at('hc.inc'), 'utf8'), /VIRTLINT_HC_/);
    });
  });

  describe('--fix and symbolic links (item 5)', () => {
    it('does not rewrite a file outside the tree through a link in it, and says why', async () => {
      const outside = tempTree({ 'target.asm': PUSHF });
      try {
        fs.mkdirSync(at('tree'));
        fs.symlinkSync(path.join(outside, 'target.asm'), at('tree/linked.asm'));
        fs.writeFileSync(at('tree/own.asm'), PUSHF);
        const run = await runCli(['-f', 'json', '--fix', 'trap', 'tree'], { cwd: dir });
        assert.equal(fs.readFileSync(path.join(outside, 'target.asm'), 'utf8'), PUSHF, 'the file outside the tree was rewritten');
        assert.ok(fs.lstatSync(at('tree/linked.asm')).isSymbolicLink(), 'the link was replaced');
        assert.notEqual(fs.readFileSync(at('tree/own.asm'), 'utf8'), PUSHF, 'the regular file is still fixed');
        const [linked, own] = parseJsonReport(run.stdout);
        assert.equal(path.basename(linked!.filePath), 'linked.asm');
        assert.match(linked!.note ?? '', /^not fixed: it is a symbolic link \(to .*target\.asm\)/);
        assert.deepEqual(linked!.messages.map((m) => m.ruleId), ['pushf'], 'its findings are still reported');
        assert.match(own!.note ?? '', /^fixed 1 instruction/);
        assert.match(run.stderr, /not fixing .*linked\.asm: it is a symbolic link/);
        const named = await runCli(['--fix', 'trap', '--fix-dry-run', 'tree/linked.asm'], { cwd: dir });
        assert.ok(!named.stdout.includes('+++'), 'the dry run shows no change it would not make');
        assert.match(named.stdout, /not fixed: it is a symbolic link/);
      } finally {
        removeTree(outside);
      }
    });
  });

  describe('terminal escapes in names and messages (item 7)', () => {
    const hostile = 'evil\u001b[2J\u001b]0;owned\u0007\u009b31m\u202e.asm';

    it('escapeControlCharacters makes every control character visible and keeps the rest', () => {
      assert.equal(escapeControlCharacters('a\u001b[1mb\u0007\tc\r\n\u007f\u009b\u2028\u202e\u2066'), 'a\\x1B[1mb\\x07\\x09c\\x0D\\x0A\\x7F\\x9B\\u2028\\u202E\\u2066');
      assert.equal(escapeControlCharacters('boot/start.S ✓ 日本 ünï'), 'boot/start.S ✓ 日本 ünï');
    });

    it('stylish and github output, and error messages, carry no raw control characters from input', async () => {
      fs.writeFileSync(at(hostile), PUSHF);
      const stylish = await runCli(['--color', hostile], { cwd: dir });
      assert.ok(stylish.stdout.includes('evil\\x1B[2J\\x1B]0;owned\\x07\\x9B31m\\u202E.asm'), stylish.stdout);
      // The only escape sequences left are the colours stylish adds itself.
      assert.deepEqual(stylish.stdout.replace(/\u001b\[\d+m/g, '').match(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/g), null);
      const github = await runCli(['-f', 'github', hostile], { cwd: dir });
      assert.deepEqual(github.stdout.match(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g), null, github.stdout);
      const missing = await runCli([`missing-${hostile}`], { cwd: dir });
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /no such file or directory: missing-evil\\x1B\[2J/);
      assert.deepEqual(missing.stderr.match(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g), null);
    });

    it('stylish escapes messages, notes and addresses too (the scanner reports symbol names in them)', () => {
      const report: FileReport = {
        filePath: 'vmlinux',
        messages: [{ ruleId: 'sgdt', severity: 1, message: 'SGDT in sym\u001b]8;;http://x\u0007', line: 1, column: 1, endLine: 1, endColumn: 1, address: '0x10\u001b[A' }],
        errorCount: 0,
        warningCount: 1,
        note: 'map \u001b[31mred',
      };
      const out = formatReports([report], 'stylish', { cwd: '/' });
      assert.deepEqual(out.match(/[\u0000-\u0009\u000b-\u001f]/g), null, out);
      assert.ok(out.includes('sym\\x1B]8;;http://x\\x07') && out.includes('0x10\\x1B[A') && out.includes('map \\x1B[31mred'), out);
    });
  });

  describe('huge reports and arguments (item 8)', () => {
    it('stylish prints 130,000 findings (it overflowed the stack)', async () => {
      fs.writeFileSync(at('many.asm'), 'bits 64\n' + 'pushf\n'.repeat(130_000));
      const run = await runCli(['many.asm'], { cwd: dir });
      assert.equal(run.code, 0, run.stderr);
      const lines = run.stdout.trimEnd().split('\n');
      assert.equal(lines.length, 1 + 130_000 + 1 + 1);
      assert.equal(lines[lines.length - 1], '✖ 130000 problems (0 errors, 130000 warnings)');
    });

    it('--rules with 200,000 list items is parsed (it overflowed the stack)', () => {
      assert.deepEqual(parseArgs(['--rules', ','.repeat(200_000) + 'popf', 'a.asm']).rules, ['popf']);
    });
  });

  describe('inputs that never end or block (item 9)', () => {
    it('a FIFO is refused without opening it for reading (it hung)', () => {
      const made = spawnSync('mkfifo', [at('pipe.asm')]);
      if (made.error) throw new Error(`mkfifo is required by this test: ${made.error.message}`);
      const run = spawnCli(['-f', 'json', 'pipe.asm', 'boot.asm'], { cwd: dir });
      const [fifo, boot] = parseJsonReport(run.stdout);
      assert.equal(fatalMessage(fifo!), 'a FIFO (named pipe), not a regular file; not linted');
      assert.deepEqual(boot!.messages.map((m) => m.ruleId), ['pushf'], 'the next file is linted');
      assert.equal(run.code, 1);
    });

    it('/dev/zero as a file to lint or as --fix-template is refused (they grew to gigabytes)', () => {
      const input = spawnCli(['-f', 'json', '/dev/zero'], { cwd: dir });
      assert.equal(fatalMessage(onlyResult(input)), 'a character device, not a regular file; not linted');
      const template = spawnCli(['--fix', 'hypercall', '--abi', 'custom', '--fix-template', '/dev/zero', 'boot.asm'], { cwd: dir });
      assert.equal(template.code, 2);
      assert.match(template.stderr, /--fix-template: \/dev\/zero is a character device, not a regular file/);
    });

    it('a --fix-template over --max-file-size is refused', async () => {
      fs.writeFileSync(at('template.txt'), 'vmcall ; ' + 'x'.repeat(200) + '\n');
      const run = await runCli(['--fix', 'hypercall', '--abi', 'custom', '--fix-template', 'template.txt', '--max-file-size', '100', 'boot.asm'], { cwd: dir });
      assert.equal(run.code, 2);
      assert.match(run.stderr, /--fix-template: template\.txt is over the --max-file-size limit of 100 bytes/);
    });

    it('standard input stops being read once it passes --max-file-size', async () => {
      const chunk = Buffer.from('    pushf\n'.repeat(6554));
      let chunksRead = 0;
      function* endless(): Generator<Buffer> {
        for (;;) {
          chunksRead++;
          yield chunk;
        }
      }
      const limit = 1024 * 1024;
      const run = await runCli(['-f', 'json', '--max-file-size', String(limit), '-'], { cwd: dir, stdinChunks: endless() });
      assert.match(fatalMessage(onlyResult(run)), /^input is over the --max-file-size limit of 1 MiB \(reading stopped there\)/);
      assert.equal(chunksRead, Math.floor(limit / chunk.length) + 1, 'read one chunk past the limit, no more');
    });

    it('a real endless standard input (a pipe, and /dev/zero) ends with a report (spawned)', async () => {
      const piped = await spawnWithEndlessPipe(['-f', 'json', '--max-file-size', '100000', '-'], dir);
      assert.equal(piped.signal, null, 'the CLI had to be killed: it kept reading');
      assert.match(fatalMessage(onlyResult(piped)), /^input is over the --max-file-size limit/);
      const zero = fs.openSync('/dev/zero', 'r');
      try {
        const run = spawnSync(process.execPath, [CLI_SCRIPT, '-f', 'json', '--max-file-size', '100000', '-'], { cwd: dir, stdio: [zero, 'pipe', 'pipe'], encoding: 'utf8', timeout: 60_000 });
        if (run.error) throw run.error;
        assert.match(fatalMessage(onlyResult({ code: run.status ?? -1, stdout: run.stdout, stderr: run.stderr })), /^input is over the --max-file-size limit/);
      } finally {
        fs.closeSync(zero);
      }
    });
  });

  describe('unreadable paths are reported per path (items 12, 16)', () => {
    it('a directory past the path length limit (ENAMETOOLONG) is one problem; the rest is linted', async () => {
      const name = 'd'.repeat(200);
      // Made with relative steps: the absolute path is too long for mkdir(2) itself.
      const made = spawnSync('bash', ['-c', `mkdir deep && cd deep && for i in $(seq 25); do mkdir ${name} && cd ${name} || exit 1; done; echo popf > z.asm`], { cwd: dir });
      try {
        assert.equal(made.status, 0, String(made.stderr));
        fs.writeFileSync(at('deep/a.asm'), PUSHF);
        const run = await runCli(['-f', 'json', 'deep', 'boot.asm'], { cwd: dir });
        const [first, tooLong, last] = parseJsonReport(run.stdout);
        assert.equal(first!.filePath, at('deep/a.asm'));
        assert.equal(first!.warningCount, 1);
        assert.ok(tooLong!.filePath.startsWith(at(`deep/${name}/`)) && tooLong!.filePath.length >= 4096, tooLong!.filePath);
        assert.equal(fatalMessage(tooLong!), 'cannot read the directory: the path is too long (ENAMETOOLONG); the files under it were not linted');
        assert.equal(last!.filePath, at('boot.asm'));
        assert.equal(run.code, 1, 'an error, like an unreadable file');
      } finally {
        // fs.rmSync cannot remove a tree deeper than PATH_MAX; rm(1) can.
        spawnSync('rm', ['-rf', at('deep')]);
      }
    });

    it('an unreadable subdirectory (chmod 000) is one problem; the rest is linted', () => {
      fs.mkdirSync(at('tree/locked'), { recursive: true });
      fs.writeFileSync(at('tree/locked/x.asm'), 'popf\n');
      fs.writeFileSync(at('tree/ok.asm'), PUSHF);
      fs.chmodSync(at('tree/locked'), 0o000);
      const run = spawnUnprivileged(['-f', 'json', 'tree'], dir);
      fs.chmodSync(at('tree/locked'), 0o755);
      const results = parseJsonReport(run.stdout);
      assert.deepEqual(results.map((r) => path.relative(dir, r.filePath)), [path.join('tree', 'locked'), path.join('tree', 'ok.asm')], run.stderr);
      assert.equal(fatalMessage(results[0]!), 'cannot read the directory: permission denied; the files under it were not linted');
      assert.deepEqual(results[1]!.messages.map((m) => m.ruleId), ['pushf']);
      assert.equal(run.code, 1);
    });

    it('a symbolic link loop is named as one, and the run goes on', async () => {
      fs.symlinkSync('loop.asm', at('loop.asm'));
      const run = await runCli(['-f', 'json', 'loop.asm', 'boot.asm'], { cwd: dir });
      const [loop, boot] = parseJsonReport(run.stdout);
      assert.match(fatalMessage(loop!), /symbolic link loop, ELOOP/);
      assert.equal(boot!.warningCount, 1);
      assert.equal(run.code, 1);
    });

    it('a path that does not exist is still a usage error, and a broken link says so', async () => {
      fs.symlinkSync('gone.asm', at('dangling.asm'));
      const run = await runCli(['dangling.asm'], { cwd: dir });
      assert.equal(run.code, 2);
      assert.match(run.stderr, /broken symbolic link \(to gone\.asm\): dangling\.asm/);
    });
  });

  describe('option values (item 16)', () => {
    it('a number past the safe integer range is "too large", not "must be at least -1"', () => {
      assert.throws(() => parseArgs(['--max-warnings', '99999999999999999999']), (e: unknown) => e instanceof UsageError && /--max-warnings: 99999999999999999999 is too large \(at most 9007199254740991\)/.test(e.message));
      assert.throws(() => parseArgs(['--max-file-size', '99999999999999999999']), (e: unknown) => e instanceof UsageError && /too large/.test(e.message));
      assert.throws(() => parseArgs(['--max-warnings', '-99999999999999999999']), (e: unknown) => e instanceof UsageError && /must be at least -1/.test(e.message));
    });

    it('an empty path is a usage error (it meant the current directory)', async () => {
      for (const argv of [['-o', '', 'boot.asm'], ['--output-file=', 'boot.asm'], ['--write-hypercall-defs', '', '--abi', 'kvm'], ['--stdin-filename', '', '-'], ['']]) {
        const run = await runCli(argv, { cwd: dir });
        assert.equal(run.code, 2, argv.join(' '));
        assert.match(run.stderr, /: the path is empty|an empty argument is not a path/, argv.join(' '));
      }
    });
  });
});

/**
 * Runs the compiled CLI as a user without privileges, so that file permissions apply: as nobody
 * when the tests run as root (which reads and writes anything), else as the current user. The
 * test directory is handed to that user.
 */
function spawnUnprivileged(argv: string[], cwd: string): CliRun {
  const asRoot = process.getuid?.() === 0;
  if (asRoot) spawnSync('chown', ['-R', '65534:65534', cwd]);
  const command = asRoot ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath] : [process.execPath];
  const run = spawnSync(command[0]!, [...command.slice(1), CLI_SCRIPT, ...argv], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
  if (run.error) throw new Error(`${command[0]} is required by this test when run as root: ${run.error.message}`);
  return { code: run.status ?? -1, stdout: run.stdout, stderr: run.stderr };
}

interface SpawnOutcome extends CliRun {
  signal: NodeJS.Signals | null;
}

/** Spawns the CLI and writes to its standard input until it exits (killed after 60 s if it never does). */
function spawnWithEndlessPipe(argv: string[], cwd: string): Promise<SpawnOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_SCRIPT, ...argv], { cwd, env: { ...process.env, NO_COLOR: '1' } });
    const chunk = Buffer.from('    pushf\n'.repeat(6554));
    let writing = true;
    const pump = (): void => {
      while (writing && child.stdin.write(chunk)) {
        // Until the pipe is full; 'drain' resumes.
      }
    };
    child.stdin.on('drain', pump);
    child.stdin.on('error', () => (writing = false)); // EPIPE once the CLI stops reading.
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString('utf8')));
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString('utf8')));
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      writing = false;
      clearTimeout(killer);
      resolve({ code: code ?? -1, signal, stdout, stderr });
    });
    pump();
  });
}
