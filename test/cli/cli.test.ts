import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sarifProblems } from './sarifShape';
import { lineOf, parseJsonReport, removeTree, ROOT, ruleLines, runCli, spawnCli, tempTree } from './helpers';

// Small fixtures with known content: each sensitive instruction is written once, so the expected
// findings follow from the text (default profile: popf and iret are errors, the others warnings).
const PROBLEMS = 'bits 64\nsection .text\nstart:\n    sidt [rel idt_copy]\n    pushfq\n    cli\n    popfq\n    ret\nidt_copy: dq 0, 0\n';
const WARN_ONLY = 'bits 32\n    sgdt [gdt_copy]\n    str ax\n    ret\ngdt_copy: dd 0, 0\n';
const CLEAN = 'bits 64\n    mov eax, 1\n    add eax, ebx\n    ret\n';
const GAS = '    .code64\n    .text\n    pushfq\n    popq %rax\n    ret\n';

describe('cli', function () {
  this.timeout(60_000);
  let dir: string;

  beforeEach(() => {
    dir = tempTree({
      'problems.asm': PROBLEMS,
      'warn.asm': WARN_ONLY,
      'clean.asm': CLEAN,
      'sub/entry.S': GAS,
      'sub/notes.txt': 'popf\n',
      'sub/node_modules/dep/x.asm': 'popf\n',
      'sub/.git/y.asm': 'popf\n',
    });
  });
  afterEach(() => removeTree(dir));

  describe('exit status', () => {
    it('is 0 for a clean file and prints nothing', async () => {
      const run = await runCli(['clean.asm'], { cwd: dir });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, '');
    });

    it('is 1 when there are errors, and lists them at the mnemonic', async () => {
      const run = await runCli(['-f', 'json', 'problems.asm'], { cwd: dir });
      assert.equal(run.code, 1, run.stderr);
      const [result] = parseJsonReport(run.stdout);
      assert.deepEqual(ruleLines(result!), [`${lineOf(PROBLEMS, 'sidt')}:sidt`, `${lineOf(PROBLEMS, 'pushfq')}:pushf`, `${lineOf(PROBLEMS, 'popfq')}:popf`]);
      assert.equal(result!.errorCount, 1);
      assert.equal(result!.warningCount, 2);
      assert.deepEqual([result!.fixableErrorCount, result!.fixableWarningCount], [1, 2]);
      const popf = result!.messages.find((m) => m.ruleId === 'popf')!;
      assert.deepEqual([popf.severity, popf.column, popf.endLine, popf.endColumn], [2, 5, lineOf(PROBLEMS, 'popfq'), 10]);
      const sidt = result!.messages.find((m) => m.ruleId === 'sidt')!;
      assert.equal(sidt.endColumn, '    sidt [rel idt_copy]'.length + 1, 'endColumn is one past the whole instruction');
      assert.equal(result!.dialect, 'nasm');
      assert.equal(result!.bits, 64);
      assert.equal(result!.filePath, path.join(dir, 'problems.asm'));
    });

    it('counts as fixable only the findings --fix will rewrite: a macro body line without parameters is, one with them is not', async () => {
      fs.writeFileSync(path.join(dir, 'macro.asm'), 'bits 64\n%macro save 0\n    pushfq\n%endmacro\n%macro put 1\n    push %1\n%endmacro\n    pushfq\n    put fs\n');
      const [result] = parseJsonReport((await runCli(['-f', 'json', 'macro.asm'], { cwd: dir })).stdout);
      assert.deepEqual(ruleLines(result!), ['3:pushf', '6:push-sreg', '8:pushf', '9:push-sreg']);
      assert.deepEqual([result!.fixableErrorCount, result!.fixableWarningCount], [0, 2]);
      const fixed = await runCli(['--fix', 'trap', 'macro.asm'], { cwd: dir });
      assert.match(fixed.stdout, /fixed 2 instructions/);
    });

    it('is 0 with warnings only, and 1 once they exceed --max-warnings', async () => {
      assert.equal((await runCli(['warn.asm'], { cwd: dir })).code, 0);
      assert.equal((await runCli(['--max-warnings', '2', 'warn.asm'], { cwd: dir })).code, 0);
      const over = await runCli(['--max-warnings', '1', 'warn.asm'], { cwd: dir });
      assert.equal(over.code, 1);
      assert.match(over.stderr, /2 warnings, more than --max-warnings 1/);
    });

    it('is 2 for usage errors, with a message and no stack trace', async () => {
      for (const argv of [['--format', 'xml', 'clean.asm'], ['--bits', '8', 'clean.asm'], ['--rules', 'popf,nope', 'clean.asm'], ['--severity', 'popf=loud', 'clean.asm'], ['--frobnicate'], [], ['missing.asm'], ['--fix-dry-run', 'clean.asm']]) {
        const run = await runCli(argv, { cwd: dir });
        assert.equal(run.code, 2, `${argv.join(' ')} → ${run.code}`);
        assert.match(run.stderr, /^virtlint: /, argv.join(' '));
        assert.ok(!/\n\s+at /.test(run.stderr), `no stack trace for ${argv.join(' ')}`);
      }
    });

    it('sets the real process exit status (spawned)', () => {
      assert.equal(spawnCli(['clean.asm'], { cwd: dir }).code, 0);
      assert.equal(spawnCli(['problems.asm'], { cwd: dir }).code, 1);
      const usage = spawnCli(['--bits', '7'], { cwd: dir });
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /--bits must be 16, 32 or 64/);
    });
  });

  describe('options', () => {
    it('--quiet keeps errors only', async () => {
      const run = await runCli(['-f', 'json', '--quiet', 'problems.asm'], { cwd: dir });
      assert.deepEqual(parseJsonReport(run.stdout)[0]!.messages.map((m) => m.ruleId), ['popf']);
    });

    it('--severity overrides a rule, and off removes it', async () => {
      const run = await runCli(['-f', 'json', '--severity', 'popf=warning', '--severity', 'sidt=off', 'problems.asm'], { cwd: dir });
      assert.equal(run.code, 0);
      const [result] = parseJsonReport(run.stdout);
      assert.deepEqual(result!.messages.map((m) => `${m.ruleId}:${m.severity}`), ['pushf:1', 'popf:1']);
    });

    it('--rules limits the rules that run', async () => {
      const run = await runCli(['-f', 'json', '--rules', 'sidt', 'problems.asm'], { cwd: dir });
      assert.deepEqual(parseJsonReport(run.stdout)[0]!.messages.map((m) => m.ruleId), ['sidt']);
      assert.equal(run.code, 0);
    });

    it('--rules all adds INT3; the default does not', async () => {
      const src = 'bits 64\n    int3\n    int 0x80\n';
      fs.writeFileSync(path.join(dir, 'int.asm'), src);
      const plain = parseJsonReport((await runCli(['-f', 'json', 'int.asm'], { cwd: dir })).stdout)[0]!;
      assert.deepEqual(ruleLines(plain), ['3:int']);
      const all = parseJsonReport((await runCli(['-f', 'json', '--rules', 'all', 'int.asm'], { cwd: dir })).stdout)[0]!;
      assert.deepEqual(ruleLines(all), ['2:int', '3:int']);
    });

    it('--profile changes severities; info/hint findings never fail the run', async () => {
      const run = await runCli(['-f', 'json', '--profile', 'hardware-assisted-guest', '--max-warnings', '0', 'problems.asm'], { cwd: dir });
      const [result] = parseJsonReport(run.stdout);
      assert.equal(run.code, 0, run.stdout);
      assert.equal(result!.errorCount + result!.warningCount, 0);
      for (const message of result!.messages) {
        assert.equal(message.severity, 1);
        assert.ok(message.level === 'info' || message.level === 'hint', JSON.stringify(message));
      }
    });

    it('reports unknown mnemonics only when asked', async () => {
      fs.writeFileSync(path.join(dir, 'macro.asm'), 'bits 64\n    my_macro eax\n    ret\n');
      const quiet = parseJsonReport((await runCli(['-f', 'json', 'macro.asm'], { cwd: dir })).stdout)[0]!;
      assert.deepEqual(quiet.messages, []);
      const loud = await runCli(['-f', 'json', '--report-unknown-mnemonics', 'macro.asm'], { cwd: dir });
      const messages = parseJsonReport(loud.stdout)[0]!.messages;
      assert.deepEqual(messages.map((m) => `${m.line}:${m.ruleId}:${m.level}`), ['2:unknown-mnemonic:hint']);
      assert.equal(loud.code, 0);
    });

    it('--dialect and --bits force how a file is read', async () => {
      fs.writeFileSync(path.join(dir, 'plain.txt.asm'), '    pushf\n    popf\n');
      const forced = parseJsonReport((await runCli(['-f', 'json', '--dialect', 'yasm', '--bits', '16', 'plain.txt.asm'], { cwd: dir })).stdout)[0]!;
      assert.equal(forced.dialect, 'nasm');
      assert.equal(forced.bits, 16);
      const gas = parseJsonReport((await runCli(['-f', 'json', '--dialect', 'gas', 'sub/entry.S'], { cwd: dir })).stdout)[0]!;
      assert.equal(gas.dialect, 'gas-att');
      assert.deepEqual(ruleLines(gas), [`${lineOf(GAS, 'pushfq')}:pushf`]);
      // `gas` keeps the syntax the file starts in, even where the content alone looks like NASM.
      const asGas = parseJsonReport((await runCli(['-f', 'json', '--dialect', 'gas', 'plain.txt.asm'], { cwd: dir })).stdout)[0]!;
      assert.equal(asGas.dialect, 'gas-att');
      fs.writeFileSync(path.join(dir, 'intel.asm'), '.intel_syntax noprefix\n    sgdt [rax]\n');
      const intel = parseJsonReport((await runCli(['-f', 'json', '--dialect', 'gas', 'intel.asm'], { cwd: dir })).stdout)[0]!;
      assert.equal(intel.dialect, 'gas-intel');
      assert.deepEqual(ruleLines(intel), ['2:sgdt']);
    });

    it('-o writes the report to a file and nothing to stdout', async () => {
      const run = await runCli(['-f', 'json', '-o', 'reports/out.json', 'problems.asm'], { cwd: dir });
      assert.equal(run.code, 1);
      assert.equal(run.stdout, '');
      const saved = parseJsonReport(fs.readFileSync(path.join(dir, 'reports', 'out.json'), 'utf8'));
      assert.equal(saved[0]!.errorCount, 1);
    });

    it('colours stylish output on a terminal, not with --no-color or NO_COLOR', async () => {
      assert.ok((await runCli(['problems.asm'], { cwd: dir, isTTY: true })).stdout.includes('\u001b['));
      assert.ok(!(await runCli(['--no-color', 'problems.asm'], { cwd: dir, isTTY: true })).stdout.includes('\u001b['));
      assert.ok(!(await runCli(['problems.asm'], { cwd: dir, isTTY: true, env: { NO_COLOR: '1' } })).stdout.includes('\u001b['));
      assert.ok((await runCli(['--color', 'problems.asm'], { cwd: dir })).stdout.includes('\u001b['));
    });

    it('--version and --help', async () => {
      const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
      assert.equal((await runCli(['--version'])).stdout, `virtlint ${pkg.version}\n`);
      const help = await runCli(['--help']);
      assert.equal(help.code, 0);
      for (const option of ['--format', '--rules', '--dialect', '--bits', '--mode', '--profile', '--max-warnings', '--severity', '--no-color', '--quiet', '--report-unknown-mnemonics', '--max-file-size', '--fix', '--fix-dry-run', '--abi', '--write-hypercall-defs', '--write-hypercall-header', 'Exit status']) {
        assert.ok(help.stdout.includes(option), `help mentions ${option}`);
      }
    });

    it('writes valid SARIF for a real run, with unreadable files as notifications', async () => {
      fs.writeFileSync(path.join(dir, 'sub', 'blob.inc'), Buffer.from([1, 0, 2]));
      const run = await runCli(['-f', 'sarif', '--rules', 'all', '.', path.join(ROOT, 'examples')], { cwd: dir });
      const log = JSON.parse(run.stdout) as { runs: Array<{ results: unknown[]; invocations: Array<{ executionSuccessful: boolean; toolExecutionNotifications: Array<{ message: { text: string } }> }> }> };
      assert.deepEqual(sarifProblems(log), []);
      assert.ok(log.runs[0]!.results.length >= 10);
      assert.equal(log.runs[0]!.invocations[0]!.executionSuccessful, false);
      assert.match(log.runs[0]!.invocations[0]!.toolExecutionNotifications[0]!.message.text, /^binary file/);
    });

    it('formats sarif and github from real findings', async () => {
      const sarif = JSON.parse((await runCli(['-f', 'sarif', 'problems.asm'], { cwd: dir })).stdout) as { runs: Array<{ results: Array<{ ruleId: string; locations: Array<{ physicalLocation: { artifactLocation: { uri: string } } }> }> }> };
      assert.deepEqual(sarif.runs[0]!.results.map((r) => r.ruleId), ['sidt', 'pushf', 'popf']);
      assert.equal(sarif.runs[0]!.results[0]!.locations[0]!.physicalLocation.artifactLocation.uri, 'problems.asm');
      const github = (await runCli(['-f', 'github', 'problems.asm'], { cwd: dir })).stdout;
      assert.ok(github.includes(`::error file=problems.asm,line=${lineOf(PROBLEMS, 'popfq')},col=5,`), github);
    });
  });

  describe('inputs', () => {
    it('walks directories in a fixed order, skipping node_modules, .git and other extensions', async () => {
      const run = await runCli(['-f', 'json', '.'], { cwd: dir });
      const files = parseJsonReport(run.stdout).map((r) => path.relative(dir, r.filePath));
      assert.deepEqual(files, ['clean.asm', 'problems.asm', path.join('sub', 'entry.S'), 'warn.asm']);
    });

    it('drops a file named twice and keeps argument order', async () => {
      const run = await runCli(['-f', 'json', 'warn.asm', 'clean.asm', './warn.asm'], { cwd: dir });
      assert.deepEqual(parseJsonReport(run.stdout).map((r) => path.basename(r.filePath)), ['warn.asm', 'clean.asm']);
    });

    it('lints a named file whatever its extension', async () => {
      const run = await runCli(['-f', 'json', 'sub/notes.txt', '--dialect', 'nasm', '--bits', '32'], { cwd: dir });
      assert.deepEqual(parseJsonReport(run.stdout)[0]!.messages.map((m) => m.ruleId), ['popf']);
    });

    it('reads standard input with "-", named by --stdin-filename', async () => {
      const run = await runCli(['-f', 'json', '--stdin-filename', 'boot/start.S', '-'], { cwd: dir, stdin: GAS });
      const [result] = parseJsonReport(run.stdout);
      assert.equal(result!.filePath, path.join(dir, 'boot', 'start.S'));
      assert.equal(result!.dialect, 'gas-att');
      assert.deepEqual(ruleLines(result!), [`${lineOf(GAS, 'pushfq')}:pushf`]);
      const anonymous = await runCli(['-'], { cwd: dir, stdin: PROBLEMS });
      assert.equal(anonymous.code, 1);
      assert.ok(anonymous.stdout.startsWith('<stdin>'), anonymous.stdout);
    });

    it('reads real standard input (spawned)', () => {
      const run = spawnCli(['-f', 'json', '-'], { cwd: dir, stdin: PROBLEMS });
      assert.equal(run.code, 1, run.stderr);
      assert.equal(parseJsonReport(run.stdout)[0]!.errorCount, 1);
    });
  });

  describe('bad input', () => {
    function fatalOf(stdout: string, name: string): string {
      const result = parseJsonReport(stdout).find((r) => path.basename(r.filePath) === name);
      assert.ok(result, `a result for ${name}`);
      assert.equal(result.fatalErrorCount, 1);
      assert.equal(result.errorCount, 1);
      assert.equal(result.messages.length, 1);
      assert.equal(result.messages[0]!.ruleId, null);
      assert.equal(result.messages[0]!.fatal, true);
      return result.messages[0]!.message;
    }

    it('a binary file, invalid UTF-8 and UTF-16 each get one clear message; other files are still linted', async () => {
      fs.writeFileSync(path.join(dir, 'blob.asm'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00, 0x9d]));
      fs.writeFileSync(path.join(dir, 'latin1.asm'), Buffer.concat([Buffer.from('; caf'), Buffer.from([0xe9]), Buffer.from('\npopf\n')]));
      fs.writeFileSync(path.join(dir, 'wide.asm'), Buffer.from('\ufeffpopf\n', 'utf16le'));
      const run = await runCli(['-f', 'json', 'blob.asm', 'latin1.asm', 'wide.asm', 'problems.asm'], { cwd: dir });
      assert.equal(run.code, 1);
      assert.match(fatalOf(run.stdout, 'blob.asm'), /^binary file \(NUL byte at offset 6\); not linted/);
      assert.equal(fatalOf(run.stdout, 'latin1.asm'), 'not UTF-8 text (invalid byte sequence at offset 5); not linted');
      assert.match(fatalOf(run.stdout, 'wide.asm'), /UTF-16 text is not supported/);
      assert.equal(parseJsonReport(run.stdout)[3]!.errorCount, 1, 'the good file after them is linted');
    });

    it('a file over --max-file-size is refused before it is read', async () => {
      const run = await runCli(['-f', 'json', '--max-file-size', '100', 'problems.asm', 'clean.asm'], { cwd: dir });
      assert.equal(fatalOf(run.stdout, 'problems.asm'), `file is ${PROBLEMS.length} bytes, over the --max-file-size limit of 100 bytes; not linted`);
      assert.equal(parseJsonReport(run.stdout)[1]!.errorCount, 0);
    });

    it('a large file of garbage text finishes with a report, not a crash', async () => {
      let garbage = '';
      for (let i = 0; i < 20_000; i++) garbage += `${'%$#@!'.repeat(i % 7)} ((( [[ ]]] ${String.fromCharCode(0x4e00 + (i % 500))} popf ,,, :\n`;
      fs.writeFileSync(path.join(dir, 'garbage.asm'), garbage);
      const run = spawnCli(['-f', 'json', 'garbage.asm'], { cwd: dir });
      assert.ok(run.code === 0 || run.code === 1, `exit ${run.code}: ${run.stderr}`);
      assert.equal(parseJsonReport(run.stdout).length, 1);
    });

    it('stylish shows the file problem with the file name', async () => {
      fs.writeFileSync(path.join(dir, 'blob.inc'), Buffer.from([0, 1, 2]));
      const run = await runCli(['blob.inc'], { cwd: dir });
      assert.match(run.stdout, /^blob\.inc\n\s+1:1\s+error\s+binary file \(NUL byte at offset 0\)/);
    });

    it('standard input over --max-file-size is refused too', async () => {
      const run = await runCli(['-f', 'json', '--max-file-size', '10', '-'], { cwd: dir, stdin: PROBLEMS });
      assert.match(fatalOf(run.stdout, '<stdin>'), /over the --max-file-size limit of 10 bytes/);
    });

    it('a directory without assembly files is a usage error', async () => {
      fs.mkdirSync(path.join(dir, 'empty'));
      const run = await runCli(['empty'], { cwd: dir });
      assert.equal(run.code, 2);
      assert.match(run.stderr, /no files to lint .* under empty/);
    });
  });

  describe('bin/virtlint.js', () => {
    it('says how to build when neither dist/ nor out/ exists', () => {
      fs.mkdirSync(path.join(dir, 'pkg', 'bin'), { recursive: true });
      const shim = path.join(dir, 'pkg', 'bin', 'virtlint.js');
      fs.copyFileSync(path.join(ROOT, 'bin', 'virtlint.js'), shim);
      const run = spawnSync(process.execPath, [shim, '--version'], { encoding: 'utf8' });
      assert.equal(run.status, 2);
      assert.match(run.stderr, /not built; run `npm run build` first/);
    });

    it('survives a reader that closes the pipe early', () => {
      // ~3000 rows of output: far more than a pipe buffer, so the writer meets a closed pipe.
      fs.writeFileSync(path.join(dir, 'many.asm'), 'bits 64\n' + '    popfq\n'.repeat(3000));
      const run = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${path.join(ROOT, 'bin', 'virtlint.js')}" --no-color many.asm | head -c 10 >/dev/null`], { cwd: dir, encoding: 'utf8' });
      assert.equal(run.status, 1, `exit ${run.status}: ${run.stderr}`);
      assert.equal(run.stderr, '');
    });
  });

  describe('scan subcommand', () => {
    it('is dispatched to the binary scanner', async () => {
      const help = await runCli(['scan', '--help']);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /virtlint scan/);
      const missing = await runCli(['scan', 'no-such-binary'], { cwd: dir });
      assert.equal(missing.code, 2);
    });
  });
});
