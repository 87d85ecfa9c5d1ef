import * as assert from 'node:assert/strict';
import { DEFAULT_MAX_FILE_SIZE, parseArgs } from '../../server/src/cli/args';
import { UsageError } from '../../server/src/report/options';

describe('cli argument parsing', () => {
  it('has documented defaults', () => {
    const options = parseArgs(['a.asm']);
    assert.deepEqual(options.paths, ['a.asm']);
    assert.equal(options.format, 'stylish');
    assert.equal(options.profile, 'deprivileged-kernel');
    assert.equal(options.maxWarnings, -1);
    assert.equal(options.maxFileSize, DEFAULT_MAX_FILE_SIZE);
    assert.equal(options.abi, 'kvm');
    assert.equal(options.color, undefined);
    assert.equal(options.rules, undefined);
  });

  it('accepts --name=value and --name value, short forms, and repeats', () => {
    const options = parseArgs(['-f', 'sarif', '--rules=core,cpuid', '--rules', 'rdtsc', '--severity', 'popf=warning', '--severity=extended=info', '-o', 'r.sarif', '--bits=16', '--dialect', 'gas-intel', '--max-warnings=0', 'x.s', '-']);
    assert.equal(options.format, 'sarif');
    assert.deepEqual(options.rules, ['core', 'cpuid', 'rdtsc']);
    assert.deepEqual(options.severities, { popf: 'warning', extended: 'info' });
    assert.equal(options.outputFile, 'r.sarif');
    assert.equal(options.bits, 16);
    assert.equal(options.dialect, 'gas-intel');
    assert.equal(options.maxWarnings, 0);
    assert.deepEqual(options.paths, ['x.s', '-']);
  });

  it('reads options in order (a later one wins), values that start with a dash, and grouped short options', () => {
    const options = parseArgs(['--max-warnings', '-1', '--format', 'json', '-f', 'sarif', '--no-color', '--color', '-', 'a.asm']);
    assert.equal(options.maxWarnings, -1);
    assert.equal(options.format, 'sarif');
    assert.equal(options.color, true);
    assert.deepEqual(options.paths, ['-', 'a.asm']);
    assert.equal(parseArgs(['--color', '--no-color', 'a.asm']).color, false);
    assert.equal(parseArgs(['-fjson', 'a.asm']).format, 'json');
    const grouped = parseArgs(['-hv']);
    assert.ok(grouped.help && grouped.version);
    assert.throws(() => parseArgs(['-xyz', 'a.asm']), (e: unknown) => e instanceof UsageError && e.message === 'unknown option -xyz');
  });

  it('treats everything after -- as a path', () => {
    assert.deepEqual(parseArgs(['--', '--weird.asm', '-x']).paths, ['--weird.asm', '-x']);
  });

  it('rejects bad values with a message naming the option', () => {
    const bad: Array<[string[], RegExp]> = [
      [['--max-warnings', 'many'], /--max-warnings wants a whole number/],
      [['--max-warnings', '-5'], /--max-warnings must be at least -1/],
      [['--max-file-size', '0'], /--max-file-size must be at least 1/],
      [['--profile', 'paranoid'], /unknown profile "paranoid"/],
      [['--dialect', 'tasm'], /--dialect: "tasm" is not one of/],
      [['--severity', 'nosuchrule=error'], /unknown rule id "nosuchrule"/],
      [['--severity', 'popf'], /--severity wants rule=level/],
      [['--rules', 'popf,bogus,worse'], /unknown rule ids in --rules: bogus, worse/],
      [['--quiet=yes'], /--quiet takes no value/],
      [['--format'], /--format needs a value/],
      [['--docs-base-url', 'not a url'], /not an absolute URL/],
      [['-x'], /unknown option -x/],
    ];
    for (const [argv, message] of bad) {
      assert.throws(() => parseArgs(argv), (e: unknown) => e instanceof UsageError && message.test(e.message), argv.join(' '));
    }
  });
});
