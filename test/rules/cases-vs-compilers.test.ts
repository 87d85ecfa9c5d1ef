// Keeps the host-file rule cases honest, as cases-vs-assemblers does for assembly: every C, C++
// and Rust case is compiled at -O0 with gcc, g++ or Debian's rustc (1.63), the code decoded with
// iced-x86 and each instruction credited to its source line through the DWARF line table; the
// count (and line) a case expects must be what the compiler emitted. A case the analyzer must call
// `invalid-in-mode` must be one the assembler refuses. MSVC-only intrinsics cannot be compiled
// here: those cases say why and are listed, never silently passed.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  compileHost,
  describeInstruction,
  HostCompileFailedError,
  mapPool,
  requireHostCompiler,
  type CompiledInstruction,
  type HostCompilation,
} from '../helpers/hostCompilers';
import { RUST_32_ENV, RUST_32_PRELUDE } from './hostPrelude';
import { REGISTERED_HOST_CASES, type HostCase, type RegisteredHostCase } from './ruletester';
// Loading the rule files registers their cases (see cases-vs-assemblers).
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

const EXTENSION: Record<HostCase['host'], string> = { c: '.c', cpp: '.cpp', rust: '.rs' };

interface Outcome {
  compiled: boolean;
  error?: string;
  /** Sensitive instructions credited to a line of the case (1-based, the case's own numbering). */
  hits: { rule: string; line: number; instruction: CompiledInstruction }[];
  /** Sensitive instructions outside every function (file-scope asm): counted, with no line. */
  outside: CompiledInstruction[];
}

function compilerFlags(testCase: HostCase): string[] {
  const flags: string[] = [];
  if (testCase.host === 'rust') return flags;
  if (testCase.build?.asmSyntax === 'intel') flags.push('-masm=intel');
  for (const [name, value] of testCase.build?.defines ?? []) flags.push(value === '' ? `-D${name}` : `-D${name}=${value}`);
  for (const flag of testCase.compileFlags ?? []) flags.push(flag);
  return flags;
}

async function compileCase(testCase: HostCase, dir: string, index: number): Promise<Outcome> {
  const caseDir = path.join(dir, `case-${index}`);
  await fs.promises.mkdir(caseDir);
  const source = path.join(caseDir, `unit${EXTENSION[testCase.host]}`);
  const needsPrelude = testCase.host === 'rust' && testCase.bits !== 64;
  await fs.promises.writeFile(source, needsPrelude ? `${RUST_32_PRELUDE}\n${testCase.code}\n` : `${testCase.code}\n`);
  let compilation: HostCompilation;
  try {
    compilation = await compileHost({
      compiler: testCase.host === 'rust' ? 'rustc' : 'gcc',
      source,
      bits: testCase.bits,
      optimize: 0,
      flags: compilerFlags(testCase),
      env: needsPrelude ? RUST_32_ENV : undefined,
    });
  } catch (error) {
    if (!(error instanceof HostCompileFailedError)) throw error;
    return { compiled: false, error: error.message, hits: [], outside: [] };
  }
  const shift = needsPrelude ? 1 : 0;
  const hits: Outcome['hits'] = [];
  for (const [line, instructions] of compilation.byLine.get(source) ?? new Map<number, CompiledInstruction[]>()) {
    for (const instruction of instructions) if (instruction.rule) hits.push({ rule: instruction.rule, line: line - shift, instruction });
  }
  hits.sort((a, b) => a.line - b.line || a.instruction.address - b.instruction.address);
  const outside = compilation.unattributed.filter((i) => i.rule !== undefined && i.functionName === undefined);
  return { compiled: true, hits, outside };
}

/** INT3 is the `int` rule's only under `all` (the tester's default selection). */
function countsInt3(testCase: HostCase): boolean {
  return testCase.options?.rules === undefined || testCase.options.rules.includes('all');
}

/** How GNU as and LLVM refuse an instruction the mode does not have (not a typo or a bad operand). */
const NOT_IN_THIS_MODE = /you can't `|unsupported instruction `|instruction requires: Not 64-bit mode|not supported in 64-bit mode/;

function judge({ ruleId, kind, testCase }: RegisteredHostCase, outcome: Outcome): string | undefined {
  if (kind === 'invalid' && testCase.expect === 'invalid-in-mode') {
    if (outcome.compiled) return `expected "invalid-in-mode" but it compiles (${outcome.hits.map((h) => h.instruction.codeName).join(' ') || 'nothing sensitive'})`;
    return NOT_IN_THIS_MODE.test(outcome.error ?? '') ? undefined : `refused, but not for the mode:\n${outcome.error?.split('\n').slice(0, 8).join('\n')}`;
  }
  if (!outcome.compiled) return `the compiler rejects it:\n${outcome.error?.split('\n').slice(0, 8).join('\n')}`;
  if (testCase.expect !== undefined && testCase.expect !== ruleId) return undefined; // e.g. unknown-rule: only "it compiles" matters
  const keep = (codeName: string, rule: string): boolean => rule === ruleId && (codeName !== 'Int3' || countsInt3(testCase));
  const mine = outcome.hits.filter((h) => keep(h.instruction.codeName, h.rule));
  const outside = outcome.outside.filter((i) => keep(i.codeName, i.rule ?? ''));
  const found = mine.length + outside.length;
  const listing = [...mine.map((h) => `line ${h.line}: ${describeInstruction(h.instruction)}`), ...outside.map((i) => `outside functions: ${describeInstruction(i)}`)].join('\n') || '(none)';
  const hasMarkers = /virtlint-(disable|fixed)/.test(testCase.code);
  if (kind === 'valid' && (hasMarkers || testCase.options?.severities !== undefined)) {
    return found > 0 ? undefined : `suppression case, but the compiler emitted no "${ruleId}" to suppress`;
  }
  // With suppression markers the compiler also emits what the markers silence: at least the count is expected.
  const expected = kind === 'valid' ? 0 : (testCase.count ?? 1);
  if (hasMarkers ? found < expected : found !== expected) return `the compiler emitted ${found} "${ruleId}", the case expects ${expected}:\n${listing}`;
  if (kind === 'invalid' && testCase.line !== undefined && !/#define/.test(testCase.code)) {
    const statement = statementLine(testCase.code, testCase.line);
    const onLine = (hit: Outcome['hits'][number]): boolean => hit.line === testCase.line || hit.line === statement;
    if (hasMarkers ? !mine.some(onLine) : mine[0] !== undefined && !onLine(mine[0])) {
      return `the compiler puts it on line ${mine[0]?.line}, the case says ${testCase.line} (its statement starts on line ${statement}):\n${listing}`;
    }
  }
  return undefined;
}

const ASM_KEYWORD = /\b(?:asm|__asm__|__asm)\b|\basm!/;

/**
 * DWARF gives an asm statement one line, the line its keyword is on; the case's line is the
 * mnemonic's, inside a string that may sit lines further down: the nearest line at or above it
 * with an asm keyword.
 */
function statementLine(code: string, line: number): number {
  const lines = code.split('\n');
  for (let at = line; at >= 1; at--) if (ASM_KEYWORD.test(lines[at - 1] ?? '')) return at;
  return line;
}

describe('host-file rule cases agree with gcc, g++ and rustc', function () {
  this.timeout(600_000);
  it('every C, C++ and Rust case compiles (or is refused) to what its expectation says', async () => {
    requireHostCompiler('gcc');
    requireHostCompiler('rustc');
    const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'virtlint-host-cases-'));
    try {
      const checkable = REGISTERED_HOST_CASES.filter((entry) => entry.testCase.notCompiled === undefined);
      const outcomes = await mapPool(checkable, 2, (entry) => compileCase(entry.testCase, dir, checkable.indexOf(entry)));
      const problems: string[] = [];
      checkable.forEach((entry, index) => {
        const problem = judge(entry, outcomes[index]!);
        if (problem) problems.push(`${entry.ruleId} ${entry.kind} ${entry.testCase.host}/${entry.testCase.bits} ${JSON.stringify(entry.testCase.code)}: ${problem}`);
      });
      const languages = new Set(checkable.map((entry) => entry.testCase.host));
      assert.deepEqual([...languages].sort(), ['c', 'cpp', 'rust']);
      assert.ok(checkable.length >= 200, `only ${checkable.length} host cases checked against compilers`);
      assert.deepEqual(problems, []);
    } finally {
      await fs.promises.rm(dir, { recursive: true, force: true });
    }
  });

  it('the cases the compilers cannot check say why, and are few', () => {
    const unchecked = REGISTERED_HOST_CASES.filter((entry) => entry.testCase.notCompiled !== undefined);
    for (const { testCase } of unchecked) assert.match(testCase.notCompiled ?? '', /MSVC/, testCase.code);
    assert.ok(unchecked.length <= 10, `${unchecked.length} host cases are not compiled`);
  });
});
