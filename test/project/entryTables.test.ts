// The merge after the walks builds one line table per distinct reading of a file: inclusions
// that read the same entries on the same lines, in the same dialect and bitness, share it; any
// difference in what the walk saw gives the inclusion a table of its own.
import * as assert from 'node:assert/strict';
import { parseLineEntry, type LineEntry } from '../../server/src/analysis/document/lineEntries';
import { FileCache } from '../../server/src/analysis/project/fileCache';
import { EntryTables } from '../../server/src/analysis/project/program';
import type { InstanceRecord } from '../../server/src/analysis/project/walk';
import { initialParserState } from '../../server/src/analysis/syntax/parser';
import type { Bits, Dialect } from '../../server/src/analysis/types';

const FILES: Record<string, string> = { '/h.S': 'pushf\nnop\ncpuid\n', '/g.S': 'pushf\nnop\ncpuid\n' };

function cache(): FileCache {
  return new FileCache({ read: (path) => (path in FILES ? { text: FILES[path]! } : { error: 'not found' }) });
}

let nextId = 0;

function record(path: string, entries: [number, LineEntry][], bits: Bits = 32, dialect: Dialect = 'gas-att'): InstanceRecord {
  return {
    file: { id: nextId++, path },
    root: '/root.S',
    header: { dialect, dialectSource: 'includer', bits, bitsSource: 'includer' },
    entries: new Map(entries),
    produced: [],
    problems: [],
    started: true,
    firstProducedCode: undefined,
  };
}

function entry(text: string, line: number, bits: Bits = 32): LineEntry {
  return parseLineEntry(text, line, initialParserState('gas-att', bits));
}

describe('line tables of the merge', () => {
  it('shares one table among inclusions that read the same entries the same way', () => {
    const tables = new EntryTables(cache());
    const pushf = entry('pushf', 0);
    const cpuid = entry('cpuid', 2);
    const first = tables.of(record('/h.S', [[0, pushf], [2, cpuid]]));
    assert.equal(tables.of(record('/h.S', [[0, pushf], [2, cpuid]])), first);
    assert.equal(first.at(0), pushf);
    assert.equal(first.at(2), cpuid);
    assert.equal(first.at(1).parsed.instructions.length, 0);
  });

  it('gives an inclusion its own table when anything it read differs', () => {
    const tables = new EntryTables(cache());
    const pushf = entry('pushf', 0);
    const cpuid = entry('cpuid', 2);
    const first = tables.of(record('/h.S', [[0, pushf], [2, cpuid]]));
    const otherEntry = entry('pushf', 0);
    const differing: [string, InstanceRecord][] = [
      ['another entry on a line', record('/h.S', [[0, otherEntry], [2, cpuid]])],
      ['the entry on another line', record('/h.S', [[1, pushf], [2, cpuid]])],
      ['one entry fewer', record('/h.S', [[0, pushf]])],
      ['one entry more', record('/h.S', [[0, pushf], [1, entry('nop', 1)], [2, cpuid]])],
      ['another bitness', record('/h.S', [[0, pushf], [2, cpuid]], 16)],
      ['another dialect', record('/h.S', [[0, pushf], [2, cpuid]], 32, 'gas-intel')],
      ['another file', record('/g.S', [[0, pushf], [2, cpuid]])],
    ];
    const seen = new Set([first]);
    for (const [why, other] of differing) {
      const table = tables.of(other);
      assert.ok(!seen.has(table), `${why}: shared a table built for another reading`);
      seen.add(table);
      assert.equal(tables.of(record(other.file.path, [...other.entries], other.header.bits, other.header.dialect)), table, `${why}: not shared with the same reading`);
    }
    assert.equal(tables.of(record('/h.S', [[0, otherEntry], [2, cpuid]])).at(0), otherEntry);
  });

  it('starts the quiet lines of a table in its own bitness', () => {
    const tables = new EntryTables(cache());
    assert.equal(tables.of(record('/h.S', [], 16)).at(0).before.bits, 16);
    assert.equal(tables.of(record('/h.S', [], 64)).at(0).before.bits, 64);
  });
});
