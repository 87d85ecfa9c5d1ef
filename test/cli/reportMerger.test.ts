// A C header the assembly walk reached (under __ASSEMBLY__) and the C front end read too must come
// out as one report with both readings' messages, once each and in line order; every other report
// keeps its place; a report that says the file could not be read is not merged into.
import * as assert from 'node:assert/strict';
import { ReportMerger } from '../../server/src/cli/embeddedLint';
import type { FileReport, ReportMessage } from '../../server/src/report/types';

function message(ruleId: string, line: number, severity: 1 | 2 = 2): ReportMessage {
  return { ruleId, severity, message: ruleId, line, column: 1, endLine: line, endColumn: 5 };
}

function report(filePath: string, messages: ReportMessage[], fatal = false): FileReport {
  return { filePath, messages, errorCount: messages.filter((m) => m.severity === 2).length, warningCount: messages.filter((m) => m.severity === 1).length, fatalErrorCount: fatal ? 1 : 0 };
}

describe('CLI: merging host reports into the assembly reports', () => {
  it('gives a header one report with both readings, each message once, in line order', () => {
    const reports = [report('/t/a.S', [message('sgdt', 3)]), report('/t/asm/seg.h', [message('mov-sreg', 9), message('pushf', 2, 1)])];
    const merger = new ReportMerger(reports);
    merger.add(report('/t/asm/seg.h', [message('mov-sreg', 9), message('sidt', 5)]));
    merger.add(report('/t/b.c', [message('cpuid', 1)]));
    assert.deepEqual(reports.map((r) => r.filePath), ['/t/a.S', '/t/asm/seg.h', '/t/b.c']);
    const header = reports[1]!;
    assert.deepEqual(header.messages.map((m) => `${m.line}:${m.ruleId}`), ['2:pushf', '5:sidt', '9:mov-sreg']);
    assert.deepEqual([header.errorCount, header.warningCount], [2, 1]);
  });

  it('adds after a report that could not be read, and finds the first report of a path as a search from the start would', () => {
    const unreadable = report('/t/x.h', [], true);
    const reports = [unreadable];
    const merger = new ReportMerger(reports);
    merger.add(report('/t/x.h', [message('sgdt', 1)]));
    merger.add(report('/t/x.h', [message('sidt', 2)]));
    assert.deepEqual(reports.map((r) => r.messages.map((m) => m.ruleId)), [[], ['sgdt'], ['sidt']]);
    merger.add(report('/t/y.c', [message('cpuid', 4)]));
    merger.add(report('/t/y.c', [message('rdtsc', 2)]));
    assert.deepEqual(reports.map((r) => r.filePath), ['/t/x.h', '/t/x.h', '/t/x.h', '/t/y.c']);
    assert.deepEqual(reports[3]!.messages.map((m) => m.ruleId), ['rdtsc', 'cpuid']);
  });
});
