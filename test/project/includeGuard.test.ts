// A header wrapped whole in `#ifndef G` / `#define G` … `#endif` is not read again once G is
// defined (gcc's multiple-include optimisation). Each case compares the whole-program result with
// the skip against the result without it, with the include memo off so that every inclusion the
// skip does not take is really read; the shapes that only look guarded must never be skipped.
import * as assert from 'node:assert/strict';
import { guardSkips, setGuardSkip } from '../../server/src/analysis/project/cpp/guard';
import { setIncludeMemo } from '../../server/src/analysis/project/cpp/memo';
import { analyzeProject, type ProjectOptions, type ProjectResult } from '../../server/src/analysis/project/index';

const OPTIONS: ProjectOptions = { analysis: { rules: ['all'] }, includePaths: ['/inc'] };

function analyze(files: Record<string, string>, roots: string[], skip: boolean): ProjectResult {
  setGuardSkip(skip);
  setIncludeMemo(false);
  try {
    return analyzeProject({ files: roots, reader: { read: (path) => (path in files ? { text: files[path]! } : { error: 'not found' }) }, options: OPTIONS });
  } finally {
    setGuardSkip(true);
    setIncludeMemo(true);
  }
}

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

/** Roots that include `/inc/h.h` twice, once after another header, and once after defining the guard themselves. */
function project(header: string): { files: Record<string, string>; roots: string[] } {
  return {
    files: {
      '/inc/h.h': header,
      '/inc/other.h': '#include <h.h>\n\tnop\n',
      '/p/twice.S': '#include <h.h>\n\tnop\n#include <h.h>\n',
      '/p/after.S': '#include <other.h>\n#include <h.h>\n\tnop\n#include <other.h>\n',
      '/p/first.S': '#define G 1\n#include <h.h>\n#include <h.h>\n',
    },
    roots: ['/p/twice.S', '/p/after.S', '/p/first.S'],
  };
}

/** The inclusions the skip took; asserts the result is the one without it. */
function skipsWithSameResult(header: string): number {
  const { files, roots } = project(header);
  const plain = analyze(files, roots, false);
  const before = guardSkips.count;
  const skipped = analyze(files, roots, true);
  const count = guardSkips.count - before;
  assert.deepEqual(comparable(skipped), comparable(plain));
  return count;
}

function contextsOfLine(result: ProjectResult, line: number): string[] {
  const findings = result.files.get('/inc/h.h')?.result.findings ?? [];
  return findings.filter((f) => f.range.start.line === line).flatMap((f) => (f.contexts ?? []).map((c) => `${c.root}@${c.includes.map((i) => i.line).join('/')}`));
}

describe('include guard skip', () => {
  it('skips a guarded header once its guard is defined, with the result of reading it', () => {
    const header = '/* a header */\n#ifndef G\n#define G\n\tpushf\n#ifdef X\n\tcpuid\n#else\n\trdtsc\n#endif\n#endif\n\n';
    assert.equal(skipsWithSameResult(header), 5);
    const { files, roots } = project(header);
    const contexts = contextsOfLine(analyze(files, roots, true), 3).sort();
    assert.deepEqual(contexts, ['/p/after.S@0/0', '/p/twice.S@0']);
  });

  it('learns the guard from a first reading that found it defined already', () => {
    const { files } = project('#ifndef G\n#define G\n\tpushf\n#endif\n');
    const before = guardSkips.count;
    const skipped = analyze(files, ['/p/first.S'], true);
    assert.equal(guardSkips.count - before, 1);
    assert.deepEqual(comparable(skipped), comparable(analyze(files, ['/p/first.S'], false)));
  });

  const lookAlikes: [string, string][] = [
    ['text after the #endif', '#ifndef G\n#define G\n#endif\n\tpushf\n'],
    ['an #else of the guard', '#ifndef G\n#define G\n\tcpuid\n#else\n\tpushf\n#endif\n'],
    ['an #elif of the guard', '#ifndef G\n#define G\n\tcpuid\n#elif 1\n\tpushf\n#endif\n'],
    ['the guard in a comment', '/*\n#ifndef G\n#define G\n*/\n\tpushf\n#ifndef G\n#define G\n#endif\n'],
    ['text before the #ifndef', '\tpushf\n#ifndef G\n#define G\n#endif\n'],
    ['another name defined after the #ifndef', '#ifndef G\n#define H\n\tpushf\n#endif\n'],
    ['a blank line before the #define', '#ifndef G\n\n#define G\n\tpushf\n#endif\n'],
    ['a second group after the guard', '#ifndef G\n#define G\n#endif\n#ifdef G\n\tpushf\n#endif\n'],
    ['a comment left open at the end', '#ifndef G\n#define G\n#endif\n/* pushf\n'],
  ];
  for (const [shape, header] of lookAlikes) {
    it(`reads a header again when only its look is guarded: ${shape}`, () => {
      assert.equal(skipsWithSameResult(header), 0);
    });
  }
});
