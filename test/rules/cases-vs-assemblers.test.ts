// Keeps the rule tests honest: every case written for a dialect that has an assembler
// here (NASM, GNU as AT&T/Intel, FASM) is assembled and decoded with iced-x86, and the
// expectation written by hand must agree with the bytes. MASM cases have no assembler
// on this machine and are checked by the analyzer tests only.
import * as assert from 'node:assert/strict';
import { ruleForCode } from '../../server/src/analysis';
import { assemble, decodeAll, isDataLine, type Assembler } from '../helpers/assemble';
import { REGISTERED_CASES, type Case } from './ruletester';
// Loading the rule files registers their cases (so this file also works on its own; mocha
// loads each module once, so nothing runs twice when the whole tier runs).
import './cpuid.test';
import './far-call.test';
import './far-jmp.test';
import './far-ret.test';
import './int.test';
import './iret.test';
import './lar.test';
import './lsl.test';
import './mov-sreg.test';
import './pop-sreg.test';
import './popf.test';
import './push-sreg.test';
import './pushf.test';
import './rdpid.test';
import './rdpmc.test';
import './rdtsc.test';
import './rdtscp.test';
import './sgdt.test';
import './sidt.test';
import './sldt.test';
import './smsw.test';
import './str.test';
import './verr.test';
import './verw.test';
import './xgetbv.test';
import './suppressions.test';
import './meta-kinds.test';

function assemblerFor(testCase: Case): { assembler: Assembler; source: string } | undefined {
  switch (testCase.dialect) {
    case 'nasm':
      return { assembler: 'nasm', source: testCase.code };
    case 'fasm':
      return { assembler: 'fasm', source: testCase.code };
    case 'gas-att':
      return { assembler: 'gas', source: testCase.code };
    case 'gas-intel':
      // Same line, so line numbers do not move.
      return { assembler: 'gas', source: `.intel_syntax noprefix;${testCase.code}` };
    case 'masm':
      return undefined;
  }
}

interface Outcome {
  assembled: boolean;
  error?: string;
  /** The bytes contain something iced-x86 cannot decode in this mode. */
  undecodable: boolean;
  /** Rule ids in order of appearance, with the 1-based line each came from. */
  hits: { ruleId: string; line: number }[];
}

function assembleCase(testCase: Case): Outcome | undefined {
  const target = assemblerFor(testCase);
  if (!target) return undefined;
  let byLine;
  try {
    byLine = assemble(target.assembler, target.source, { bits: testCase.bits });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/could not be run/.test(message)) throw error; // a missing assembler is a failure, never "does not assemble"
    return { assembled: false, error: message, undecodable: false, hits: [] };
  }
  const lines = testCase.code.split('\n');
  const includeInt3 = testCase.options?.rules === undefined || testCase.options.rules.includes('all');
  const hits: Outcome['hits'] = [];
  let undecodable = false;
  for (const [line, bytes] of [...byLine].sort((a, b) => a[0] - b[0])) {
    if (isDataLine(lines[line - 1] ?? '')) continue;
    for (const decoded of decodeAll(bytes, testCase.bits)) {
      if (decoded.codeName === 'INVALID') undecodable = true;
      const ruleId = ruleForCode(decoded.code);
      if (!ruleId) continue;
      if (decoded.codeName === 'Int3' && !includeInt3) continue;
      hits.push({ ruleId, line });
    }
  }
  return { assembled: true, undecodable, hits };
}

const DEFINES_MACRO = /^\s*%macro\b|^\s*\.macro\b|^\s*\w+\s+MACRO\b|^\s*macro\s+\w+/im;

const sameCase = (a: Case, b: Case): boolean => a.code === b.code && a.dialect === b.dialect && a.bits === b.bits;

describe('rule test cases agree with the real assemblers', function () {
  this.timeout(300_000);
  it('every NASM / GNU as / FASM case assembles (or is rejected) as its expectation says', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const { ruleId, kind, testCase } of REGISTERED_CASES) {
      const outcome = assembleCase(testCase);
      if (!outcome) continue;
      checked++;
      const label = `${ruleId} ${kind} ${testCase.dialect}/${testCase.bits} ${JSON.stringify(testCase.code)}`;
      if (ruleId === 'unknown-mnemonic') {
        if (kind === 'valid' && !outcome.assembled) problems.push(`${label}: the assembler rejects it: ${outcome.error?.split('\n').slice(0, 3).join(' ')}`);
        if (kind === 'invalid' && outcome.assembled) problems.push(`${label}: expected an unknown mnemonic but the assembler accepted it`);
        continue;
      }
      if (kind === 'invalid' && testCase.expect === 'invalid-in-mode') {
        // NASM still emits 8086-only forms such as `pop cs` (0F); the CPU cannot run them.
        if (outcome.assembled && !outcome.undecodable) problems.push(`${label}: expected "${testCase.expect}" but it assembles to valid code`);
        continue;
      }
      if (!outcome.assembled) {
        const isKnownInvalid =
          kind === 'valid' &&
          REGISTERED_CASES.some((other) => other.kind === 'invalid' && other.testCase.expect !== undefined && sameCase(other.testCase, testCase));
        if (!isKnownInvalid) problems.push(`${label}: the assembler rejects it: ${outcome.error?.split('\n').slice(0, 3).join(' ')}`);
        continue;
      }
      const mine = outcome.hits.filter((h) => h.ruleId === ruleId);
      // Assemblers put a macro's bytes on each invocation line; virtlint reports the body line once.
      if (DEFINES_MACRO.test(testCase.code)) continue;
      if (testCase.expect !== undefined && testCase.expect !== ruleId) continue; // e.g. unknown-rule: only "it assembles" matters
      const silencedByOptions = testCase.options?.severities !== undefined || (testCase.options?.rules !== undefined && !testCase.options.rules.some((r) => r === ruleId || r === 'all' || r === 'core' || r === 'extended'));
      if (kind === 'valid' && (/virtlint-(disable|fixed)/.test(testCase.code) || silencedByOptions)) {
        // Silenced on purpose: the comment or option must be silencing a real instruction of this rule.
        if (mine.length === 0) problems.push(`${label}: suppression case, but the decoder finds no "${ruleId}" to suppress`);
        continue;
      }
      const expectedCount = kind === 'valid' ? 0 : (testCase.count ?? 1);
      const hasMarkers = /virtlint-(disable|fixed)/.test(testCase.code);
      if (hasMarkers ? mine.length < expectedCount : mine.length !== expectedCount) {
        problems.push(`${label}: decoder finds ${mine.length} "${ruleId}" (all: ${outcome.hits.map((h) => h.ruleId).join(' ') || '-'}), case expects ${expectedCount}`);
        continue;
      }
      const lineOk = hasMarkers ? mine.some((h) => h.line === testCase.line) : mine[0]?.line === testCase.line;
      if (kind === 'invalid' && testCase.line !== undefined && !lineOk) {
        problems.push(`${label}: decoder puts it on line ${mine[0]!.line}, case says ${testCase.line}`);
      }
    }
    assert.ok(checked >= 300, `only ${checked} cases checked against assemblers`);
    assert.deepEqual(problems, []);
  });
});
