// The cpp stage replays a header's recorded expansion when another root includes it with the same
// macro table. Whatever it replays must be what reading the header again gives: every check here
// compares a whole-program analysis with the memo against the same analysis without it.
import * as assert from 'node:assert/strict';
import { setIncludeMemo } from '../../server/src/analysis/project/cpp/memo';
import { analyzeProject, type ProjectOptions, type ProjectResult } from '../../server/src/analysis/project/index';

function analyze(files: Record<string, string>, roots: string[], options: ProjectOptions, memo: boolean): ProjectResult {
  setIncludeMemo(memo);
  try {
    return analyzeProject({ files: roots, reader: { read: (path) => (path in files ? { text: files[path]! } : { error: 'not found' }) }, options });
  } finally {
    setIncludeMemo(true);
  }
}

/** The result as data: maps as entry lists, functions (closures over the result) left out. */
function comparable(value: unknown): unknown {
  if (typeof value === 'function') return undefined;
  if (value instanceof Map) return [...value].map(([k, v]) => [k, comparable(v)]);
  if (Array.isArray(value)) return value.map(comparable);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (typeof v !== 'function') out[k] = comparable(v);
    return out;
  }
  return value;
}

/** The analysis with the memo, after a first run that fills it; asserts it equals the analysis without. */
function sameWithAndWithoutMemo(files: Record<string, string>, roots: string[]): ProjectResult {
  const options: ProjectOptions = { analysis: { rules: ['all'] }, includePaths: ['/inc'] };
  analyze(files, roots, options, true);
  const memo = analyze(files, roots, options, true);
  const plain = analyze(files, roots, { ...options }, false);
  assert.deepEqual(comparable(memo), comparable(plain));
  return memo;
}

function rulesIn(result: ProjectResult, path: string): string[] {
  return result.files.get(path)!.result.findings.map((f) => `${f.range.start.line}:${f.ruleId}:${f.contexts?.map((c) => c.root).join('+')}`).sort();
}

describe('cpp include memo', () => {
  it('reads a header anew under a different macro table: no stale replay', () => {
    const files = {
      '/inc/pick.h': '#ifdef USE_FAR\n\tljmp $0x10, $1f\n#else\n\tcpuid\n#endif\n\tINSN\n',
      '/p/a.S': '#define INSN rdtsc\n#include <pick.h>\n',
      '/p/b.S': '#define USE_FAR\n#define INSN sgdt (%eax)\n#include <pick.h>\n',
      '/p/c.S': '#define INSN rdtsc\n#include <pick.h>\n',
    };
    const result = sameWithAndWithoutMemo(files, ['/p/a.S', '/p/b.S', '/p/c.S']);
    const found = rulesIn(result, '/inc/pick.h');
    assert.ok(found.includes('5:rdtsc:/p/a.S+/p/c.S'), found.join(', '));
    assert.ok(found.includes('5:sgdt:/p/b.S'), found.join(', '));
    assert.ok(found.includes('1:far-jmp:/p/b.S'), found.join(', '));
    assert.ok(!found.some((f) => f.startsWith('3:') && f.includes('/p/b.S')), `cpuid is not read from b.S: ${found.join(', ')}`);
  });

  it('replays a header whose macros come from another header, with each root\'s own include chain', () => {
    const files = {
      '/inc/defs.h': '#ifndef DEFS_H\n#define DEFS_H\n#define READ_TSC rdtsc\n#define PROBE(x) cpuid; x\n#endif\n',
      '/inc/use.h': '#include <defs.h>\n\tREAD_TSC\n\tPROBE(sidt (%eax))\n#include <inner.h>\n\tINNER\n',
      '/inc/inner.h': '#define INNER smsw %ax\n\tpushf\n',
      '/p/one.S': '\tnop\n#include <defs.h>\n#include <use.h>\n',
      '/p/two.S': '#include <use.h>\n\tnop\n\tnop\n#include <use.h>\n',
      '/p/three.S': '#define PROBE(x) x\n#include <use.h>\n',
    };
    const result = sameWithAndWithoutMemo(files, ['/p/one.S', '/p/two.S', '/p/three.S']);
    const uses = result.files.get('/inc/use.h')!.result.findings;
    const chains = uses.filter((f) => f.range.start.line === 1).flatMap((f) => (f.contexts ?? []).map((c) => `${c.root}@${c.includes.map((i) => i.line).join('/')}`));
    assert.deepEqual([...new Set(chains)].sort(), ['/p/one.S@2', '/p/three.S@1', '/p/two.S@0', '/p/two.S@3']);
  });

  it('replays lines as written (recorded by index), spliced lines and macro lines, each at its line in every root', () => {
    const files = {
      '/inc/lines.h': '#include <deep.h>\n\tcpuid\n\tsgdt \\\n (%eax)\n/* a\n b */ rdtsc\n\tSIDT_IT\n\tpushf\n',
      '/inc/deep.h': '#define SIDT_IT sidt (%ebx)\n\tsmsw %ax\n',
      '/p/a.S': '#include <lines.h>\n',
      '/p/b.S': '\tnop\n#include <lines.h>\n',
      '/p/c.S': '#include <lines.h>\n\tnop\n',
    };
    const result = sameWithAndWithoutMemo(files, ['/p/a.S', '/p/b.S', '/p/c.S']);
    const roots = '/p/a.S+/p/b.S+/p/c.S';
    assert.deepEqual(rulesIn(result, '/inc/lines.h').map((f) => f.replace(/:[^:]*:/, ':')), ['1:' + roots, '2:' + roots, '5:' + roots, '6:' + roots, '7:' + roots]);
    assert.ok(rulesIn(result, '/inc/deep.h').map((f) => f.replace(/:[^:]*:/, ':')).includes('1:' + roots));
  });

  it('goes on afresh where a header it replays includes a file that changed since it was recorded', () => {
    const files: Record<string, string> = {
      '/inc/outer.h': '#define BEFORE 1\n#include <leaf.h>\n#ifdef LEAF_FAR\n\tljmp $8, $0\n#endif\n\tLEAF_INSN\n',
      '/inc/leaf.h': '#define LEAF_INSN cpuid\n',
      '/p/a.S': '#include <outer.h>\n',
      '/p/b.S': '#include <outer.h>\n',
    };
    const options: ProjectOptions = { analysis: { rules: ['all'] }, includePaths: ['/inc'] };
    const roots = ['/p/a.S', '/p/b.S'];
    analyze(files, roots, options, true);
    files['/inc/leaf.h'] = '#define LEAF_FAR\n#define LEAF_INSN sgdt (%eax)\n';
    const memo = analyze(files, roots, options, true);
    const plain = analyze(files, roots, { ...options }, false);
    assert.deepEqual(comparable(memo), comparable(plain));
    assert.deepEqual(rulesIn(memo, '/inc/outer.h').map((f) => f.split(':')[0]), ['3', '5']);
    files['/inc/outer.h'] = '#include <leaf.h>\n\tpushf\n';
    const changed = analyze(files, roots, options, true);
    assert.deepEqual(comparable(changed), comparable(analyze(files, roots, { ...options }, false)));
  });

  it('keeps #pragma once, #undef and include guards as reading the headers again would', () => {
    const files = {
      '/inc/once.h': '#pragma once\n\tpushf\n#undef GONE\n#define KEPT 1\n',
      '/inc/guard.h': '#ifndef GUARD_H\n#define GUARD_H\n#include <once.h>\n#include <once.h>\n#if defined(GONE) || !defined(KEPT)\n\tcpuid\n#endif\n#endif\n',
      '/p/a.S': '#define GONE 1\n#include <guard.h>\n#include <guard.h>\n#include <once.h>\n',
      '/p/b.S': '#include <once.h>\n#include <guard.h>\n',
      '/p/c.S': '#define GONE 1\n#include <guard.h>\n',
    };
    sameWithAndWithoutMemo(files, ['/p/a.S', '/p/b.S', '/p/c.S']);
  });
});
