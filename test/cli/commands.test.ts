// `virtlint` (lint) and `virtlint scan` share one option kit (server/src/report/options.ts): the
// same bad option gets the same exit status and the same message from both, and the options they
// share behave alike.
import * as assert from 'node:assert/strict';
import { removeTree, runCli, tempTree, type CliRun } from './helpers';

/** The message of a usage error, after checking the shape every usage error has. */
function usageMessage(run: CliRun, command: string): string {
  assert.equal(run.code, 2, `${command}: exit status\n${run.stderr}`);
  assert.equal(run.stdout, '', `${command}: nothing on stdout`);
  const lines = run.stderr.split('\n');
  assert.ok(lines[0]!.startsWith(`${command}: `), `${command}: ${run.stderr}`);
  assert.equal(lines.slice(1).join('\n'), `Run \`${command} --help\` for usage.\n`, `${command}: the line after the message`);
  return lines[0]!.slice(command.length + 2);
}

describe('lint and scan: one option kit', () => {
  let dir: string;
  before(() => {
    // pushf; popf: a warning and an error in the default profile, as source and as raw 32-bit code.
    dir = tempTree({ 'flags.asm': 'bits 32\npushf\npopf\n', 'flags.bin': Uint8Array.from([0x9c, 0x9d]), 'pushf.asm': 'bits 32\npushf\n', 'pushf.bin': Uint8Array.from([0x9c]) });
  });
  after(() => removeTree(dir));

  const badOptions: Array<{ argv: string[]; mentions: string }> = [
    { argv: ['--severity', 'bogus=error'], mentions: 'bogus' },
    { argv: ['--severity', 'popf'], mentions: 'popf' },
    { argv: ['--severity=popf=loud'], mentions: 'loud' },
    { argv: ['--rules', 'bogus'], mentions: 'bogus' },
    { argv: ['--rules', 'popf,nosuch', '--rules', 'worse'], mentions: 'nosuch, worse' },
    { argv: ['--format', 'bogus'], mentions: 'bogus' },
    { argv: ['-f', 'bogus'], mentions: 'bogus' },
    { argv: ['--format=xml'], mentions: 'xml' },
    { argv: ['--profile', 'paranoid'], mentions: 'paranoid' },
    { argv: ['--max-warnings', 'x'], mentions: '"x"' },
    { argv: ['--max-warnings', '-5'], mentions: '--max-warnings' },
    { argv: ['--max-warnings', '99999999999999999999'], mentions: 'too large' },
    { argv: ['--bits', '12'], mentions: '"12"' },
    { argv: ['--bogus'], mentions: '--bogus' },
    { argv: ['--bogus=1'], mentions: '--bogus' },
    { argv: ['-x'], mentions: '-x' },
    { argv: ['--format'], mentions: '--format' },
    { argv: ['-f'], mentions: '-f' },
    { argv: ['--help=yes'], mentions: '--help' },
    { argv: ['--no-color=1'], mentions: '--no-color' },
    { argv: [''], mentions: 'empty' },
  ];

  for (const { argv, mentions } of badOptions) {
    it(`${JSON.stringify(argv)}: exit 2 and the same message from both`, async () => {
      // The bad option comes last so that a missing value really is missing.
      const lint = usageMessage(await runCli(['flags.asm', ...argv], { cwd: dir }), 'virtlint');
      const scan = usageMessage(await runCli(['scan', 'flags.bin', ...argv], { cwd: dir }), 'virtlint scan');
      assert.equal(scan, lint);
      assert.ok(lint.includes(mentions), lint);
    });
  }

  it('both count errors and warnings alike for the exit status, and say when --max-warnings decided it', async () => {
    assert.equal((await runCli(['flags.asm'], { cwd: dir })).code, 1);
    assert.equal((await runCli(['scan', '--bits', '32', 'flags.bin'], { cwd: dir })).code, 1);
    for (const [command, argv] of [
      ['virtlint', ['pushf.asm']],
      ['virtlint scan', ['scan', '--bits', '32', 'pushf.bin']],
    ] as const) {
      assert.deepEqual(await runCli([...argv, '--max-warnings', '1'], { cwd: dir }).then((r) => [r.code, r.stderr]), [0, ''], command);
      const over = await runCli([...argv, '--max-warnings', '0'], { cwd: dir });
      assert.equal(over.code, 1, command);
      assert.equal(over.stderr, `${command}: 1 warnings, more than --max-warnings 0\n`);
    }
  });

  it('both colour stylish output on a terminal, with --color anywhere, and not with --no-color or NO_COLOR', async () => {
    for (const argv of [['pushf.asm'], ['scan', '--bits', '32', 'pushf.bin']]) {
      const coloured = (run: CliRun): boolean => run.stdout.includes('\u001b[33mwarning');
      assert.ok(coloured(await runCli(argv, { cwd: dir, isTTY: true })), argv.join(' '));
      assert.ok(coloured(await runCli([...argv, '--color'], { cwd: dir })), argv.join(' '));
      assert.ok(!coloured(await runCli(argv, { cwd: dir })), argv.join(' '));
      assert.ok(!coloured(await runCli([...argv, '--no-color'], { cwd: dir, isTTY: true })), argv.join(' '));
      assert.ok(!coloured(await runCli([...argv, '--color', '--no-color'], { cwd: dir })), argv.join(' '));
      assert.ok(!coloured(await runCli(argv, { cwd: dir, isTTY: true, env: { NO_COLOR: '1' } })), argv.join(' '));
    }
  });
});
