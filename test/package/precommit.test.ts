// The pre-commit hook (.pre-commit-hooks.yaml), run by Debian's pre-commit on a sample repository
// with `pre-commit try-repo` against a committed copy of the working tree. pre-commit installs a
// `language: node` hook itself: `npm install` in the copy (whose `prepare` script bundles dist/),
// `npm pack`, `npm install -g` of that tarball into its own environment.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURES, makeTempDir, onPath, readYaml, removeDir, ROOT, run, Run, tail } from './tools';

interface HookDefinition {
  id?: string;
  entry?: string;
  language?: string;
  files?: string;
  args?: string[];
  require_serial?: boolean;
}

const GIT_IDENTITY = ['-c', 'user.name=virtlint test', '-c', 'user.email=test@virtlint.invalid', '-c', 'commit.gpgsign=false'];

function git(cwd: string, args: readonly string[]): Run {
  const result = run('git', [...GIT_IDENTITY, ...args], { cwd, timeoutMs: 120_000 });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')} failed in ${cwd}: ${result.output}`);
  return result;
}

/** A new git repository holding the working tree's files (tracked and untracked, not ignored), committed. */
function snapshotWorkingTree(target: string): void {
  const listed = run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, timeoutMs: 60_000 });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.output}`);
  for (const file of listed.stdout.split('\0')) {
    const source = path.join(ROOT, file);
    if (file === '' || !fs.existsSync(source) || !fs.lstatSync(source).isFile()) continue;
    fs.mkdirSync(path.dirname(path.join(target, file)), { recursive: true });
    fs.copyFileSync(source, path.join(target, file));
  }
  git(target, ['init', '-q']);
  git(target, ['add', '-A']);
  git(target, ['commit', '-q', '-m', 'working tree snapshot']);
}

function makeSampleRepository(target: string): void {
  git(target, ['init', '-q']);
  fs.copyFileSync(path.join(FIXTURES, 'clean.asm'), path.join(target, 'clean.asm'));
  fs.copyFileSync(path.join(FIXTURES, 'restore.asm'), path.join(target, 'restore.asm'));
  // Warnings fail the hook too (its default args), and files it does not lint stay out.
  fs.writeFileSync(path.join(target, 'gdt.c'), 'void save_gdt(void *p)\n{\n\tasm volatile("sgdt %0" : "=m"(*(char (*)[10])p));\n}\n');
  fs.writeFileSync(path.join(target, 'notes.txt'), 'popf\n');
  git(target, ['add', '-A']);
  git(target, ['commit', '-q', '-m', 'sample']);
}

describe('package: the pre-commit hook', function () {
  this.timeout(900_000);
  let work: string | undefined;
  let hookRepo: string;
  let sample: string;
  let env: NodeJS.ProcessEnv;

  before(() => {
    assert.ok(onPath('pre-commit'), 'pre-commit is not installed (apt-get install -y pre-commit)');
    work = makeTempDir('pre-commit');
    hookRepo = path.join(work, 'virtlint');
    sample = path.join(work, 'sample');
    fs.mkdirSync(hookRepo);
    fs.mkdirSync(sample);
    snapshotWorkingTree(hookRepo);
    makeSampleRepository(sample);
    env = { ...process.env, PRE_COMMIT_HOME: path.join(work, 'cache'), PRE_COMMIT_COLOR: 'never', GIT_AUTHOR_NAME: 'virtlint test', GIT_AUTHOR_EMAIL: 'test@virtlint.invalid', GIT_COMMITTER_NAME: 'virtlint test', GIT_COMMITTER_EMAIL: 'test@virtlint.invalid' };
  });
  after(() => removeDir(work));

  function tryRepo(): Run {
    return run('pre-commit', ['try-repo', hookRepo, 'virtlint', '--all-files'], { cwd: sample, env, timeoutMs: 800_000 });
  }

  it('.pre-commit-hooks.yaml defines a node hook that runs the package\'s virtlint command on the extensions it lints', () => {
    const hooks = readYaml(path.join(ROOT, '.pre-commit-hooks.yaml')) as HookDefinition[];
    const hook = hooks.find((h) => h.id === 'virtlint');
    assert.ok(hook, 'no hook with id virtlint');
    assert.equal(hook.language, 'node');
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string> };
    assert.ok(hook.entry && manifest.bin[hook.entry], `entry ${hook.entry} is not one of the package's commands`);
    assert.ok(manifest.scripts.prepare, 'package.json has no prepare script, so an install from git has no dist/');
    const files = new RegExp(hook.files ?? '');
    for (const name of ['a.asm', 'b.s', 'c.S', 'd.nasm', 'e.inc', 'f.c', 'g.h', 'h.cpp', 'i.rs', 'j/k.sx']) assert.ok(files.test(name), `${name} not matched`);
    for (const name of ['notes.txt', 'a.asm.orig', 'Makefile', 'x.js']) assert.ok(!files.test(name), `${name} matched`);
    assert.deepEqual(hook.args, ['--max-warnings', '0'], 'warnings fail the hook (pre-commit hides the output of a hook that passes)');
  });

  it('fails on the offending files, naming each finding, and leaves the other files alone', () => {
    const first = tryRepo();
    console.log(`      first try-repo (pre-commit installs the hook: npm install + prepare + npm pack + npm install -g): ${first.seconds.toFixed(1)} s`);
    assert.equal(first.status, 1, tail(first.output, 60));
    assert.match(first.output, /^virtlint\.+Failed$/m, tail(first.output, 60));
    assert.match(first.output, /restore\.asm[\s\S]*?\b5:5\s+error\b.*\bpopf\s*$/m);
    assert.match(first.output, /gdt\.c[\s\S]*?\b3:\d+\s+warning\b.*\bsgdt\s*$/m);
    assert.doesNotMatch(first.output, /notes\.txt|clean\.asm/);
  });

  // The usual set-up from here on: a .pre-commit-config.yaml naming the hook repository at a
  // commit, so pre-commit installs the hook once into PRE_COMMIT_HOME and reuses it.
  function runConfigured(): Run {
    return run('pre-commit', ['run', '--all-files'], { cwd: sample, env, timeoutMs: 800_000 });
  }

  it('with the suppression written, the warning left still fails the hook', () => {
    const head = git(hookRepo, ['rev-parse', 'HEAD']).stdout.trim();
    fs.writeFileSync(path.join(sample, '.pre-commit-config.yaml'), `repos:\n  - repo: ${hookRepo}\n    rev: ${head}\n    hooks:\n      - id: virtlint\n`);
    fs.writeFileSync(path.join(sample, 'restore.asm'), fs.readFileSync(path.join(FIXTURES, 'restore.asm'), 'utf8').replace('    popf\n', '    ; virtlint-disable-next-line popf -- IF is restored by the caller\n    popf\n'));
    git(sample, ['add', '-A']);
    const second = runConfigured();
    console.log(`      pre-commit run (installs the hook from the configured repository): ${second.seconds.toFixed(1)} s`);
    assert.equal(second.status, 1, tail(second.output, 60));
    assert.match(second.output, /^virtlint\.+Failed$/m, tail(second.output, 60));
    assert.match(second.output, /gdt\.c[\s\S]*?\b3:\d+\s+warning\b.*\bsgdt\s*$/m);
    assert.doesNotMatch(second.output, /restore\.asm/);
  });

  it('passes once every finding is fixed or suppressed', () => {
    fs.writeFileSync(path.join(sample, 'gdt.c'), 'void save_gdt(void *p)\n{\n\t(void)p;\n}\n');
    git(sample, ['add', '-A']);
    const third = runConfigured();
    console.log(`      pre-commit run (hook environment reused): ${third.seconds.toFixed(1)} s`);
    assert.equal(third.status, 0, tail(third.output, 60));
    assert.match(third.output, /^virtlint\.+Passed$/m, tail(third.output, 60));
  });
});
