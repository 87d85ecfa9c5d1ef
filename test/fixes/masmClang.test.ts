// MASM fixes checked by a real assembler. There is no MASM here, but clang's MS-style inline
// assembler (`-fasm-blocks`, 32- and 64-bit) reads MASM instruction syntax inside `__asm { }`.
// Every MASM fix is assembled that way and decoded with iced-x86, and must give the same
// instructions as the same fix written for GNU as (Intel syntax) and assembled by `as`.
//
// What is not MASM text is translated, and only that: `db` lines become `_emit` (inline asm has
// no data directives); the definitions file's `NAME EQU value` lines become `#define NAME value`
// (the values stay in MASM's notation, which clang reads inside the block); the symbols the
// program defines elsewhere are a C array (xen_vcpu_info), a C pointer (hv_hypercall_pg) and a
// label after the code (hypercall_page). Two clang quirks are allowed for and named where they
// are: `call dword ptr [sym]` is read as a direct call unless the segment is written
// (`ds:[sym]`), and `push cs`/`push ds` in 32-bit code gets a 66h prefix (the user's own
// instruction, kept after a forced-emulation prefix, so only its rule is compared).
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as iced from 'iced-x86';
import { ruleForCode, type Bits } from '../../server/src/analysis';
import { applyEdits, FORCED_EMULATION_PREFIX, fixesForFinding, hypercallDefinitions, type FixOptions, type QuickFix } from '../../server/src/analysis/fixes';
import { assembleDetailed } from '../helpers/assemble';
import { CASE_RULES, instructionFor } from './cases';
import { buildFixture, decodeLine, type Decoded } from './fixture';

type Width = Exclude<Bits, 16>;

const RUNS: { label: string; abi: FixOptions['abi'] }[] = [
  { label: 'KVM', abi: 'kvm' },
  { label: 'Xen', abi: 'xen' },
  { label: 'Hyper-V', abi: 'hyperv' },
];

/** Instructions between forced-emulation prefixes (the prefix is data; decoded linearly it would swallow what follows). */
function decodeAroundPrefixes(code: Uint8Array, bits: Width): Decoded[] {
  const image = Buffer.from(code);
  const out: Decoded[] = [];
  let start = 0;
  for (;;) {
    let at = -1;
    for (const prefix of [FORCED_EMULATION_PREFIX.kvm, FORCED_EMULATION_PREFIX.xen]) {
      const found = image.indexOf(Buffer.from(prefix), start);
      if (found >= 0 && (at < 0 || found < at)) at = found;
    }
    for (const d of decodeLine(image.subarray(start, at < 0 ? image.length : at), bits)) out.push(d);
    if (at < 0) return out;
    out.push({ code: -1, codeName: 'forced-emulation prefix', bytes: [...image.subarray(at, at + 5)], stackDelta: 0 });
    start = at + 5;
  }
}

/** The MASM fix text as the body of an `__asm { }` block (see the top of the file). */
function inlineAsmBody(newText: string, bits: Width): string[] {
  const out: string[] = [];
  for (const raw of newText.split('\n')) {
    const line = raw.trim();
    const data = /^db\s+([^;]*)/i.exec(line);
    if (data) {
      for (const byte of data[1]!.split(',')) out.push(`_emit ${byte.trim()}`);
      continue;
    }
    // clang quirk: without the segment, `call dword ptr [sym]` becomes a direct call.
    out.push(line.replace(/\bcall (dword|qword) ptr \[hv_hypercall_pg\]/i, `call ${bits === 64 ? 'qword' : 'dword'} ptr ds:[hv_hypercall_pg]`));
  }
  return out;
}

function cSource(newText: string, bits: Width, abi: FixOptions['abi']): string {
  const defines: string[] = [];
  for (const line of hypercallDefinitions('masm', abi).split('\n')) {
    const equ = /^(\w+) EQU (\S+)/.exec(line);
    if (equ) defines.push(`#define ${equ[1]} ${equ[2]}`);
  }
  return [
    ...defines,
    'char xen_vcpu_info[64];',
    'void *hv_hypercall_pg;',
    '__attribute__((naked)) void site(void) {',
    '  __asm {',
    ...inlineAsmBody(newText, bits).map((line) => `    ${line}`),
    '  hypercall_page:',
    '    ret',
    '  }',
    '}',
    '',
  ].join('\n');
}

let workDir = '';

function clangCode(newText: string, bits: Width, abi: FixOptions['abi']): Uint8Array {
  const c = path.join(workDir, 'site.c');
  fs.writeFileSync(c, cSource(newText, bits, abi));
  const compile = spawnSync('clang', [bits === 64 ? '-m64' : '-m32', '-fno-pic', '-fasm-blocks', '-c', '-o', 'site.o', 'site.c'], { cwd: workDir, encoding: 'utf8' });
  if (compile.error) throw new Error(`clang is required by this test (apt-get install -y clang): ${compile.error.message}`);
  assert.equal(compile.status, 0, `clang rejected the MASM fix:\n${compile.stderr}\n${newText}`);
  const copy = spawnSync('objcopy', ['-O', 'binary', '--only-section=.text', 'site.o', 'site.bin'], { cwd: workDir, encoding: 'utf8' });
  assert.equal(copy.status, 0, copy.stderr);
  return fs.readFileSync(path.join(workDir, 'site.bin'));
}

/** The same fix for GNU as Intel syntax, assembled by `as`: the bytes of the lines it wrote. */
function gasCode(rule: string, bits: Width, abi: FixOptions['abi'], fix: QuickFix): Uint8Array | undefined {
  const instruction = instructionFor(rule, 'gas-intel', bits);
  if (!instruction) return undefined;
  const fixture = buildFixture({ dialect: 'gas-intel', bits, ruleId: rule as never, instruction, abi });
  const twin = fixesForFinding(fixture.text, fixture.result, fixture.finding, { abi }).find((f) => f.kind === fix.kind && f.strategy === fix.strategy);
  if (!twin) return undefined;
  const after = applyEdits(fixture.text, [twin.edit]);
  const lines = assembleDetailed('gas', after, { bits }).lines;
  const added = twin.edit.newText.split('\n').length;
  const parts: Buffer[] = [];
  for (let line = fixture.line; line < fixture.line + added; line++) {
    const bytes = lines.get(line + 1);
    if (bytes) parts.push(Buffer.from(bytes));
  }
  return Buffer.concat(parts);
}

/**
 * What must agree: the instruction (a jump's 8- or 32-bit displacement is the assembler's choice:
 * clang does not shorten jumps in inline assembly) and a register-based memory operand. A symbol's
 * address is the linker's: absolute in the GNU as twin (`.set`), RIP-relative to clang's C globals.
 */
function shape(d: Decoded): string {
  const registerBased = d.memory && d.memory.base !== iced.Register.None && d.memory.base !== iced.Register.RIP && d.memory.base !== iced.Register.EIP;
  const memory = d.memory && registerBased ? ` [${d.memory.base}+${d.memory.index}*${d.memory.scale}${d.memory.displacement >= 0n ? '+' : ''}${d.memory.displacement}]` : '';
  return `${d.codeName.replace(/_rel(8|32)_/, '_rel_')}${memory}`;
}

describe('fixes: MASM fixes assembled by clang -fasm-blocks and decoded with iced-x86', function () {
  this.timeout(300_000);
  before(() => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtlint-masm-'));
  });
  after(() => fs.rmSync(workDir, { recursive: true, force: true }));

  for (const bits of [32, 64] as const) {
    for (const run of RUNS) {
      it(`${bits}-bit, ${run.label}: every fix assembles and decodes as its GNU as twin`, () => {
        let checked = 0;
        const problems: string[] = [];
        for (const rule of CASE_RULES) {
          const instruction = instructionFor(rule, 'masm', bits);
          if (!instruction) continue;
          const fixture = buildFixture({ dialect: 'masm', bits, ruleId: rule, instruction, abi: run.abi });
          for (const fix of fixesForFinding(fixture.text, fixture.result, fixture.finding, { abi: run.abi })) {
            const masm = decodeAroundPrefixes(clangCode(fix.edit.newText, bits, run.abi), bits);
            assert.equal(masm.pop()?.codeName.startsWith('Ret'), true, 'the block ends with the hypercall_page label and its RET');
            for (const d of masm) if (d.codeName === 'INVALID') problems.push(`${fix.title}: undecodable bytes ${Buffer.from(d.bytes).toString('hex')}`);
            const twin = gasCode(rule, bits, run.abi, fix);
            if (!twin) {
              problems.push(`${fix.title}: no GNU as twin to compare with`);
              continue;
            }
            const gas = decodeAroundPrefixes(twin, bits);
            const length = Math.max(masm.length, gas.length);
            for (let i = 0; i < length; i++) {
              const [m, g] = [masm[i], gas[i]];
              if (m && g && shape(m) === shape(g)) continue;
              // The user's own instruction kept after a prefix: clang's 66h on PUSH Sreg (see the top).
              if (m && g && m.code >= 0 && g.code >= 0 && ruleForCode(m.code) !== undefined && ruleForCode(m.code) === ruleForCode(g.code)) continue;
              problems.push(`${fix.title} (${instruction}): instruction ${i + 1} is ${m ? shape(m) : 'missing'} from MASM, ${g ? shape(g) : 'missing'} from GNU as\n${fix.edit.newText}`);
              break;
            }
            checked++;
          }
        }
        assert.ok(checked > 20, `only ${checked} fixes checked`);
        assert.deepEqual(problems, []);
      });
    }
  }
});
