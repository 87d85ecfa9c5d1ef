// The cpp stage against gcc's own preprocessor: each fixture is run through `cpp -P` (in
// assembler-with-cpp or C mode, with the same -I and -D) and through our stage with an in-memory
// walk over the same files; the two outputs must hold the same lines. Comments (which cpp drops
// and we pass on for the assembler's lexer) are removed and whitespace normalised before the
// comparison, nothing else.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readFixtureDir, runCpp } from '../helpers/memoryEnv';

function packageRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}

const FIXTURES = path.join(packageRoot(), 'test', 'fixtures', 'project', 'cpp');

interface OracleCase {
  dir: string;
  main: string;
  language: 'assembler' | 'c';
  includePaths?: string[];
  /** -D flags: '' for a bare -DNAME. */
  defines?: Record<string, string>;
}

const CASES: OracleCase[] = [
  { dir: 'guards', main: 'main.S', language: 'assembler', includePaths: ['inc'] },
  { dir: 'macros', main: 'main.S', language: 'assembler' },
  { dir: 'conditions', main: 'main.S', language: 'assembler', defines: { CONFIG_SMP: '1', LEVEL: '3' } },
  {
    dir: 'linux',
    main: 'main.S',
    language: 'assembler',
    includePaths: ['include'],
    defines: { __ASSEMBLY__: '', CONFIG_X86_32: '', CONFIG_PARAVIRT: '', CONFIG_NR_CPUS: '8' },
  },
  { dir: 'comments', main: 'main.S', language: 'assembler' },
  { dir: 'cmode', main: 'main.c', language: 'c' },
];

function cppFlags(c: OracleCase, dir: string): string[] {
  const flags = ['-P', '-undef', '-x', c.language === 'assembler' ? 'assembler-with-cpp' : 'c'];
  for (const inc of c.includePaths ?? []) flags.push(`-I${path.join(dir, inc)}`);
  for (const [name, value] of Object.entries(c.defines ?? {})) flags.push(value === '' ? `-D${name}` : `-D${name}=${value}`);
  return flags;
}

function runRealCpp(c: OracleCase): string {
  const dir = path.join(FIXTURES, c.dir);
  const result = spawnSync('cpp', [...cppFlags(c, dir), path.join(dir, c.main)], { encoding: 'utf8' });
  if (result.error) throw result.error;
  assert.equal(result.status, 0, `cpp failed: ${result.stderr}`);
  return result.stdout;
}

function runOurs(c: OracleCase): { text: string; undecided: string[] } {
  const dir = path.join(FIXTURES, c.dir);
  const result = runCpp(c.language, readFixtureDir(dir), path.join(dir, c.main), {
    includePaths: (c.includePaths ?? []).map((p) => path.join(dir, p)),
    defines: c.defines ?? {},
  });
  return { text: result.lines.map((l) => l.text).join('\n'), undecided: result.problems.map((r) => r.message) };
}

/** Comments out (strings kept), whitespace runs to one space where it separates two word characters, none elsewhere. */
function normalise(text: string): string[] {
  const noComments = text.replace(/"(?:\\.|[^"\\\n])*"|\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (m) => (m.startsWith('"') ? m : ' '));
  const out: string[] = [];
  for (const line of noComments.split('\n')) {
    const squeezed = line
      .replace(/\s+/g, ' ')
      .trim()
      .replace(/(?<=\W) | (?=\W)/g, '');
    if (squeezed !== '') out.push(squeezed);
  }
  return out;
}

describe('cpp stage: oracle (gcc cpp -P)', () => {
  for (const c of CASES) {
    it(`${c.dir}/${c.main} (${c.language}) reads as cpp ${cppFlags(c, '.').join(' ')} does`, () => {
      const expected = normalise(runRealCpp(c));
      const ours = runOurs(c);
      assert.deepEqual(ours.undecided, [], 'every condition is decided by the fixture and its -D flags');
      assert.deepEqual(normalise(ours.text), expected);
      assert.ok(expected.length >= 5, 'the fixture produces text');
    });
  }
});
