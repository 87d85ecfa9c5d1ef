// A program read in parts (ProgramRun: consecutive slices of the roots walked apart, as the CLI's
// worker threads do, each part copied as a thread would copy it) gives exactly the files that
// one analyzeProject gives: findings with their messages (macro uses counted over every root),
// contexts, suppressions, header fields and includers. In every dialect, with files that only an
// include reaches and a file no walk reaches.
import * as assert from 'node:assert/strict';
import { deserialize, serialize } from 'node:v8';
import { analyzeProject, analyzeProjectFiles, ProgramRun, type FileAnalysis, type ProjectInput, type ProgramPart } from '../../server/src/analysis/project/index';

function input(files: Record<string, string>, roots: readonly string[]): ProjectInput {
  return {
    files: roots,
    reader: { read: (path) => (path in files ? { text: files[path]! } : { error: 'not found' }) },
    options: { analysis: { rules: ['all'] }, includePaths: ['/inc'], definesComplete: true },
  };
}

/** Plain data (a finding's instruction carries BigInts). */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)));
}

/** What a report shows of a file, as plain data. */
function shown(analysis: FileAnalysis): unknown {
  const { result } = analysis;
  return {
    header: [result.dialect, result.dialectSource, result.bits, result.bitsSource],
    findings: plain(result.findings),
    suppressed: plain(result.suppressed),
    contexts: analysis.contexts,
    includers: analysis.includers,
  };
}

function inParts(files: Record<string, string>, roots: readonly string[], slice: number): Map<string, FileAnalysis> {
  const run = new ProgramRun(input(files, roots));
  const ordered = run.roots();
  const parts: ProgramPart[] = [];
  for (let start = 0, n = 1; start < ordered.length; start += slice, n++) {
    // Each part as another thread would hand it back: walked by its own run, then copied.
    const own = new ProgramRun(input(files, []));
    parts.push(deserialize(serialize(own.walkPart(ordered.slice(start, start + slice), n * 1_000_000))) as ProgramPart);
  }
  return run.filesOf(parts, 0);
}

function assertSameAsWhole(files: Record<string, string>, roots: readonly string[]): void {
  const whole = analyzeProject(input(files, roots)).files;
  assert.ok(whole.size > 0);
  for (const slice of [1, 2, 3]) {
    const parts = inParts(files, roots, slice);
    assert.deepEqual([...parts.keys()], [...whole.keys()], `slices of ${slice}: the files and their order`);
    for (const [path, analysis] of whole) assert.deepEqual(shown(parts.get(path)!), shown(analysis), `slices of ${slice}: ${path}`);
  }
  // What the command line reads: the same files without the macro index.
  const withoutIndex = analyzeProjectFiles(input(files, roots));
  assert.deepEqual([...withoutIndex.keys()], [...whole.keys()], 'without the macro index: the files and their order');
  for (const [path, analysis] of whole) assert.deepEqual(shown(withoutIndex.get(path)!), shown(analysis), `without the macro index: ${path}`);
}

const GAS_HEADER = [
  '#ifdef __ASSEMBLY__',
  '.macro SAVE_FLAGS',
  '\tpushf',
  '.endm',
  '#define READ_TSC rdtsc',
  '#endif',
  '\tpush %ds',
  '/* virtlint-disable-next-line smsw */',
  '\tsmsw %ax',
  '\tstr %ax',
].join('\n');

describe('project: a program read in parts', () => {
  it('GNU as through cpp: a header in 16-, 32- and 64-bit roots, macro uses counted over all of them', () => {
    const files: Record<string, string> = { '/inc/flags.h': GAS_HEADER };
    const roots: string[] = [];
    for (let i = 0; i < 7; i++) {
      const mode = ['.code16', '.code32', '.code64'][i % 3];
      files[`/p/r${i}.S`] = `\t${mode}\n#include <flags.h>\n\tSAVE_FLAGS\n\tREAD_TSC\n${i % 2 ? '\tljmp $8, $0\n' : ''}`;
      roots.push(`/p/r${i}.S`);
    }
    const whole = analyzeProject(input(files, roots)).files.get('/inc/flags.h')!;
    assert.ok(whole.result.findings.some((f) => /used by 7 invocations/.test(f.message)), 'the body line counts every root\'s use');
    assert.ok(whole.contexts.length >= 3);
    assertSameAsWhole(files, roots);
  });

  it('NASM, FASM and MASM roots with includes and macros, a header only an include reaches, a cycle', () => {
    const files: Record<string, string> = {
      '/n/a.asm': 'bits 16\n%include "m.inc"\n  SAVE\n  sidt [0]\n',
      '/n/b.asm': 'bits 32\n%include "m.inc"\n  SAVE\n',
      '/n/m.inc': '%macro SAVE 0\n  pushf\n  push ds\n%endmacro\n  str ax\n',
      '/f/boot.fasm': "use16\ninclude 'seg.inc'\ncall [cb]\ncb dd ?\n",
      '/f/seg.inc': '  push es di\n  pop di es\n',
      '/m/x.masm': '.386\nSAVEF MACRO\n  pushfd\nENDM\n  SAVEF\n  sgdt fword ptr [eax]\n',
      '/c/one.asm': '%include "two.asm"\n  cpuid\n',
      '/c/two.asm': '%include "one.asm"\n  rdtsc\n',
    };
    assertSameAsWhole(files, Object.keys(files));
  });

  it('a part walked with no roots adds nothing', () => {
    const files = { '/p/a.S': '\tpushf\n' };
    const run = new ProgramRun(input(files, ['/p/a.S']));
    const empty = new ProgramRun(input(files, [])).walkPart([], 1_000_000);
    assert.deepEqual(empty.records, []);
    const files1 = run.filesOf([run.walkPart(run.roots(), 2_000_000), empty], 0);
    assert.deepEqual(shown(files1.get('/p/a.S')!), shown(analyzeProject(input(files, ['/p/a.S'])).files.get('/p/a.S')!));
  });
});
