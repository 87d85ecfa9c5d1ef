// Fixes a user can apply and ship: `--fix` fixes every statement of a line (GNU as `pushf; popf`),
// repeats until nothing changes, and a second run is a no-op; a hypercall fix brings the include
// of its numbers and the CLI writes the definitions file, so the fixed file assembles in its
// folder with the real assembler and no extra step. The assembled code is decoded with iced-x86:
// what is left of the sensitive instructions is what the fix meant to keep.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ruleForCode, type Bits, type Dialect } from '../../server/src/analysis';
import { definitionsFile, FORCED_EMULATION_PREFIX, HYPERCALL_RULES, type HypercallAbi } from '../../server/src/analysis/fixes';
import { parseJsonReport, removeTree, runCli, tempTree } from '../cli/helpers';
import { buildObject } from './assembleObject';
import { instructionFor } from './cases';
import { decodeLine, type Decoded } from './fixture';

type Width = Exclude<Bits, 16>;

const FILE_NAME: Record<Exclude<Dialect, 'masm'>, string> = { nasm: 'guest.asm', 'gas-att': 'guest.s', 'gas-intel': 'guest.s', fasm: 'guest.fasm' };

/** A guest file around `body` (indented instruction lines), with the data the Xen and Hyper-V sequences name. */
function guestFile(dialect: Exclude<Dialect, 'masm'>, bits: Width, body: string[]): string {
  const code = body.map((line) => `    ${line}`);
  const pointer = bits === 64 ? 8 : 4;
  switch (dialect) {
    case 'nasm':
      return [`bits ${bits}`, 'section .text', 'start:', ...code, '    ret', 'section .data', 'hypercall_page: times 4096 db 0', 'xen_vcpu_info: times 64 db 0', `hv_hypercall_pg: times ${pointer} db 0`, ''].join('\n');
    case 'fasm':
      return [bits === 64 ? 'format ELF64' : 'format ELF', "section '.text' executable", 'start:', ...code, '    ret', "section '.data' writeable", 'hypercall_page: rb 4096', 'xen_vcpu_info: rb 64', `hv_hypercall_pg: rb ${pointer}`, ''].join('\n');
    default: {
      const head = dialect === 'gas-intel' ? ['.intel_syntax noprefix'] : [];
      return [...head, `.code${bits}`, '.text', 'start:', ...code, '    ret', '.data', 'hypercall_page: .fill 4096', 'xen_vcpu_info: .fill 64', `hv_hypercall_pg: .fill ${pointer}`, ''].join('\n');
    }
  }
}

function decoded(code: Uint8Array, bits: Width): Decoded[] {
  return decodedAroundPrefixes(code, bits).all;
}

/**
 * The forced-emulation prefix is data (ud2 and three signature bytes a linear decoder would
 * take for the start of an IMUL): decode between prefixes, and name what follows each one.
 */
function decodedAroundPrefixes(code: Uint8Array, bits: Width): { all: Decoded[]; prefixed: Decoded[] } {
  const prefix = Buffer.from(FORCED_EMULATION_PREFIX.kvm);
  const image = Buffer.from(code);
  const all: Decoded[] = [];
  const prefixed: Decoded[] = [];
  let start = 0;
  let afterPrefix = false;
  for (;;) {
    const at = image.indexOf(prefix, start);
    const segment = decodeLine(image.subarray(start, at < 0 ? image.length : at), bits);
    if (afterPrefix && segment[0]) prefixed.push(segment[0]);
    for (const d of segment) all.push(d);
    if (at < 0) return { all, prefixed };
    start = at + prefix.length;
    afterPrefix = true;
  }
}

function sensitive(list: Decoded[]): string[] {
  return list.filter((d) => ruleForCode(d.code) !== undefined).map((d) => d.codeName);
}

describe('fixes: complete and self-contained through the CLI', function () {
  this.timeout(180_000);
  const dirs: string[] = [];
  after(() => dirs.forEach(removeTree));

  function tree(files: Record<string, string>): string {
    const dir = tempTree(files);
    dirs.push(dir);
    return dir;
  }

  describe('GNU as lines with several sensitive statements', () => {
    const cases: { dialect: 'gas-att' | 'gas-intel'; bits: Width; body: string[]; statements: number }[] = [
      { dialect: 'gas-att', bits: 32, body: ['pushf; popf   # flags', 'sgdt (%ebx); sidt (%ecx)', 'nop; smsw %ax; nop', 'again: popf; pushf # c'], statements: 7 },
      { dialect: 'gas-att', bits: 64, body: ['pushfq; popfq', 'sgdt (%rbx); sidt 8(%rsp)', 'nop; smsw %ax; nop', 'again: popfq; pushfq # c'], statements: 7 },
      { dialect: 'gas-intel', bits: 64, body: ['pushfq; popfq', 'sgdt [rbx]; sidt [rsp+8]', 'nop; smsw ax; nop', 'again: popfq; pushfq # c'], statements: 7 },
    ];
    for (const { dialect, bits, body, statements } of cases) {
      it(`${dialect} ${bits}-bit, trap: every statement fixed, re-lint clean, second run a no-op, assembles`, async () => {
        const dir = tree({ [FILE_NAME[dialect]]: guestFile(dialect, bits, body) });
        const file = path.join(dir, FILE_NAME[dialect]);
        const run = await runCli(['-f', 'json', '--fix', 'trap', FILE_NAME[dialect]], { cwd: dir });
        const fixed = fs.readFileSync(file, 'utf8');
        assert.deepEqual(parseJsonReport(run.stdout)[0]!.messages.map((m) => `${m.line}: ${m.ruleId}`), [], fixed);
        await runCli(['--fix', 'trap', FILE_NAME[dialect]], { cwd: dir });
        assert.equal(fs.readFileSync(file, 'utf8'), fixed, 'the second --fix run changed the file');
        const built = buildObject(dialect, bits, file);
        assert.ok(built.ok, `${built.message}\n${fixed}`);
        // What is left: POPF after CLI/STI (trap-equivalent), SMSW gone (MOV from CR0), every other one behind KVM's prefix.
        const { all: code, prefixed } = decodedAroundPrefixes(built.code, bits);
        const kept = sensitive(code);
        assert.ok(!kept.some((name) => name.startsWith('Smsw')), kept.join(' '));
        assert.equal(code.filter((d) => d.codeName.startsWith('Mov_r') && d.codeName.includes('cr')).length, 1, 'one MOV from CR0');
        assert.equal(kept.filter((name) => name.startsWith('Popf')).length, 2);
        assert.equal(code.filter((d) => d.codeName === 'Cli').length, 2);
        for (const name of ['Pushf', 'Sgdt', 'Sidt']) {
          const found = code.filter((d) => d.codeName.startsWith(name));
          assert.ok(found.length > 0, `${name} missing`);
          for (const d of found) assert.ok(prefixed.includes(d), `${d.codeName} is not behind the prefix`);
        }
        assert.equal(kept.length, statements - 1, `sensitive instructions left: ${kept.join(' ')}`);
      });

      it(`${dialect} ${bits}-bit, hypercall: one VMCALL per statement, nothing sensitive left, assembles with the written include`, async () => {
        const dir = tree({ [FILE_NAME[dialect]]: guestFile(dialect, bits, body) });
        const file = path.join(dir, FILE_NAME[dialect]);
        const run = await runCli(['-f', 'json', '--fix', 'hypercall', '--abi', 'kvm', FILE_NAME[dialect]], { cwd: dir });
        const fixed = fs.readFileSync(file, 'utf8');
        assert.deepEqual(parseJsonReport(run.stdout)[0]!.messages.map((m) => `${m.line}: ${m.ruleId}`), [], fixed);
        const built = buildObject(dialect, bits, file);
        assert.ok(built.ok, `${built.message}\n${fixed}`);
        const code = decoded(built.code, bits);
        assert.deepEqual(sensitive(code), []);
        assert.equal(code.filter((d) => d.codeName === 'Vmcall').length, statements);
        await runCli(['--fix', 'hypercall', '--abi', 'kvm', FILE_NAME[dialect]], { cwd: dir });
        assert.equal(fs.readFileSync(file, 'utf8'), fixed, 'the second --fix run changed the file');
      });
    }
  });

  describe('a hypercall fix makes the file assemble with no extra step', () => {
    const DIALECTS: Exclude<Dialect, 'masm'>[] = ['nasm', 'gas-att', 'gas-intel', 'fasm'];
    const ABIS: HypercallAbi[] = ['kvm', 'kvm-amd', 'xen', 'hyperv'];
    for (const dialect of DIALECTS) {
      for (const bits of [32, 64] as const) {
        for (const abi of ABIS) {
          it(`${dialect} ${bits}-bit, ${abi}`, async () => {
            const rules: string[] = [...HYPERCALL_RULES];
            if (abi === 'xen' && bits === 64) rules.push('iret');
            const body = rules.map((rule) => instructionFor(rule, dialect, bits)).filter((line): line is string => line !== undefined);
            const name = FILE_NAME[dialect];
            const dir = tree({ [name]: guestFile(dialect, bits, body) });
            const file = path.join(dir, name);
            const expected = definitionsFile(dialect, abi);
            const run = await runCli(['-f', 'json', '--rules', 'all', '--fix', 'hypercall', '--abi', abi, name], { cwd: dir });
            const fixed = fs.readFileSync(file, 'utf8');
            assert.match(run.stderr, new RegExp(`wrote the hypercall numbers \\(${abi}\\) the fixes include to .*${expected.name.replace(/\./g, '\\.')}`));
            assert.equal(fs.readFileSync(path.join(dir, expected.name), 'utf8'), expected.text);
            assert.equal(fixed.split(expected.name).length - 1, 1 + (fixed.match(/numbers in virtlint-hypercalls/g)?.length ?? 0), 'the include appears once');
            assert.deepEqual(parseJsonReport(run.stdout)[0]!.messages.map((m) => `${m.line}: ${m.ruleId}`), [], 're-lint after the fix');
            const built = buildObject(dialect, bits, file);
            assert.ok(built.ok, `${built.message}\n${fixed}`);
            // Xen's PV PUSHF/POPF keep the instructions (marked) and mask events instead; nothing else is left.
            const left = sensitive(decoded(built.code, bits)).filter((codeName) => !(abi === 'xen' && /^(Pushf|Popf)/.test(codeName)));
            assert.deepEqual(left, [], fixed);
            const again = await runCli(['--rules', 'all', '--fix', 'hypercall', '--abi', abi, name], { cwd: dir });
            assert.equal(fs.readFileSync(file, 'utf8'), fixed, 'the second --fix run changed the file');
            assert.doesNotMatch(again.stderr, /wrote/);
          });
        }
      }
    }
  });
});
