// The MASM preprocessor stage. There is no MASM-compatible assembler on this machine (no ml,
// jwasm, uasm or asmc in Debian), so these are hand-checked cases; each expected result follows
// Microsoft's MASM reference (learn.microsoft.com "MASM directives reference": MACRO, LOCAL,
// EXITM, PURGE, REPT, FOR/IRP, FORC/IRPC, WHILE, TEXTEQU, CATSTR, EQU, =, IF family, INCLUDE).
import * as assert from 'node:assert/strict';
import type { ExpandedLine } from '../../server/src/analysis/project/source';
import { runMasmPreprocessor, type ToolRunOptions } from '../helpers/memoryEnv';

function run(source: string, extra: Record<string, string> = {}, options: ToolRunOptions = {}) {
  return runMasmPreprocessor({ '/p/main.asm': source, ...extra }, '/p/main.asm', options);
}

/** The code the assembler proper gets, trimmed, definitions left out. */
function code(lines: readonly ExpandedLine[]): string[] {
  return lines.filter((line) => !line.definition && line.text.trim() !== '').map((line) => line.text.trim());
}

describe('MASM preprocessor (hand-checked against the MASM reference)', () => {
  it('MACRO with :REQ and :=default parameters; definition lines are marked, the expansion points at the invocation', () => {
    const { lines, definitions } = run('SAVE MACRO reg:REQ, other:=<eax>\n  push reg\n  push other\nENDM\n  SAVE ebx\n  save ecx, edx\n');
    assert.deepEqual(code(lines), ['push ebx', 'push eax', 'push ecx', 'push edx']);
    assert.equal(lines.filter((line) => line.definition).length, 4);
    const first = lines.find((line) => !line.definition)!;
    assert.equal(first.verbatim, false);
    assert.equal(first.at.line, 4);
    assert.equal(first.body!.line, 1);
    assert.deepEqual(first.macros.map((use) => [use.name, use.kind, use.definedAt!.line, use.invokedAt.line]), [['SAVE', 'macro', 0, 4]]);
    assert.deepEqual(first.macros[0]!.columns, { start: 2, end: 6 });
    assert.deepEqual(definitions.map((d) => [d.name, d.kind]), [['SAVE', 'macro']]);
  });

  it('a missing :REQ argument is undecided and expands nothing', () => {
    const { lines, problems } = run('M MACRO a:REQ\n  push a\nENDM\n  M\n');
    assert.deepEqual(code(lines), []);
    assert.equal(problems[0]?.kind, 'undecided');
  });

  it(':VARARG takes the rest of the arguments, FOR iterates them', () => {
    const { lines } = run('POPALL MACRO regs:VARARG\n  FOR r, <regs>\n    pop r\n  ENDM\nENDM\n  POPALL eax, ebx, ecx\n');
    assert.deepEqual(code(lines), ['pop eax', 'pop ebx', 'pop ecx']);
    assert.deepEqual(lines.find((line) => !line.definition)!.macros.map((use) => use.kind), ['macro', 'repeat']);
  });

  it('LOCAL gives ??nnnn names; & concatenates, and substitutes inside strings', () => {
    const { lines } = run('M MACRO reg\n  LOCAL done\ndone&reg&:\n  db "&reg&", 0\n  jmp done\nENDM\n  M ax\n  M bx\n');
    assert.deepEqual(code(lines), ['??0000ax:', 'db "ax", 0', 'jmp ??0000', '??0001bx:', 'db "bx", 0', 'jmp ??0001']);
  });

  it('EXITM ends the expansion; PURGE deletes the macro', () => {
    const { lines } = run('M MACRO\n  pushfd\n  EXITM\n  popfd\nENDM\n  M\n  PURGE M\n  M\n');
    assert.deepEqual(code(lines), ['pushfd', 'M']);
  });

  it('REPT/REPEAT in the file reports each line where it is written, verbatim when unchanged', () => {
    const { lines } = run('N = 2\nREPEAT N\n  cpuid ; here\nENDM\n');
    const out = lines.filter((line) => !line.definition);
    assert.deepEqual(out.map((line) => [line.text, line.at.line, line.verbatim]), [['N = 2', 0, true], ['  cpuid ; here', 2, true], ['  cpuid ; here', 2, true]]);
    assert.deepEqual(out[1]!.macros.map((use) => [use.name, use.kind, use.invokedAt.line]), [['REPEAT', 'repeat', 1]]);
  });

  it('IRP and IRPC/FORC', () => {
    const { lines } = run('IRP x, <1, 2>\n  db x\nENDM\nFORC c, <ab>\n  db "&c"\nENDM\n');
    assert.deepEqual(code(lines), ['db 1', 'db 2', 'db "a"', 'db "b"']);
  });

  it('WHILE runs while its condition holds, and stops at the repeat limit', () => {
    const bounded = run('i = 0\nWHILE i LT 3\n  nop\ni = i + 1\nENDM\n');
    assert.deepEqual(code(bounded.lines).filter((text) => text === 'nop').length, 3);
    const endless = run('WHILE 1\n  nop\nENDM\n', {}, { limits: { repeat: 10 } });
    assert.equal(code(endless.lines).length, 10);
    assert.equal(endless.problems.length, 1);
  });

  it('TEXTEQU, CATSTR and text EQU replace in later lines with a define use; numeric EQU is tracked', () => {
    const { lines } = run('F TEXTEQU <pushfd>\nG CATSTR <pop>, <fd>\nH EQU <cpuid>\nK EQU 3 + 4\nV TEXTEQU %K * 2\n  F\n  G\n  H\n  dd V\n  mov eax, K\n');
    assert.deepEqual(code(lines), ['K EQU 3 + 4', 'pushfd', 'popfd', 'cpuid', 'dd 14', 'mov eax, K']);
    const pushfd = lines.find((line) => line.text.trim() === 'pushfd')!;
    assert.equal(pushfd.verbatim, false);
    assert.deepEqual(pushfd.macros.map((use) => [use.name, use.kind, use.definedAt!.line]), [['F', 'define', 0]]);
  });

  it('IF/ELSEIF/ELSE with relational operators; IFE, IFDEF, IFNDEF', () => {
    const { lines } = run('A = 5\nIF A GT 10\n  db 1\nELSEIF A EQ 5\n  db 2\nELSE\n  db 3\nENDIF\nIFE A - 5\n  db 4\nENDIF\nIFDEF A\n  db 5\nENDIF\nIFNDEF NOPE\n  db 6\nENDIF\n');
    assert.deepEqual(code(lines), ['A = 5', 'db 2', 'db 4', 'db 5', 'db 6']);
  });

  it('IFB/IFNB and IFIDN/IFIDNI/IFDIF inside a macro', () => {
    const { lines } = run('M MACRO a, b\n  IFB <b>\n    db 0\n  ENDIF\n  IFNB <b>\n    db 1\n  ENDIF\n  IFIDNI <a>, <EAX>\n    db 2\n  ENDIF\n  IFIDN <a>, <EAX>\n    db 3\n  ENDIF\n  IFDIF <a>, <ebx>\n    db 4\n  ENDIF\nENDM\n  M eax\n  M ebx, 1\n');
    assert.deepEqual(code(lines), ['db 0', 'db 2', 'db 4', 'db 1']);
  });

  it('a condition on an unknown symbol is undecided and both branches are kept', () => {
    const { lines, problems } = run('IF SOMETHING\n  sgdt [eax]\nELSE\n  sidt [eax]\nENDIF\n');
    assert.deepEqual(code(lines), ['sgdt [eax]', 'sidt [eax]']);
    assert.deepEqual(problems.map((p) => [p.kind, p.at.line]), [['undecided', 0]]);
  });

  it('a bitwise operation on a shift that leaves no whole number is undecided, not a throw', () => {
    const { lines, problems } = run('IF (1 SHL -1) AND 1\n  sgdt [eax]\nENDIF\n');
    assert.deepEqual(code(lines), ['sgdt [eax]']);
    assert.deepEqual(problems.map((p) => [p.kind, p.at.line]), [['undecided', 0]]);
  });

  it('-D defines from the configuration are text macros', () => {
    const { lines } = run('IF DEBUG\n  int 3\nENDIF\n', {}, { defines: { DEBUG: '1' } });
    assert.deepEqual(code(lines), ['int 3']);
  });

  it('INCLUDE file and INCLUDE <file> go through env.include; macros from them apply', () => {
    const { lines, includes } = run('INCLUDE defs.inc\ninclude <more.inc>\n  SF\n', { '/p/defs.inc': 'SF MACRO\n  pushfd\nENDM\n', '/p/more.inc': 'sgdt [eax]\n' });
    assert.deepEqual(includes.map((inc) => inc.spec), ['defs.inc', 'more.inc']);
    assert.deepEqual(code(lines), ['sgdt [eax]', 'pushfd']);
    const pushfd = lines.find((line) => !line.definition && line.text.trim() === 'pushfd')!;
    assert.equal(pushfd.at.file.path, '/p/main.asm');
    assert.equal(pushfd.body!.file.path, '/p/defs.inc');
  });

  it('keywords are case-insensitive, COMMENT blocks are skipped', () => {
    const { lines } = run('m macro\n  pushfd\nendm\nCOMMENT !\n  m\n!\n  M\n');
    assert.deepEqual(code(lines).filter((text) => !text.startsWith('COMMENT') && text !== '!' && text !== 'm'), ['pushfd']);
  });

  it('recursion stops at the depth limit, unterminated blocks and garbage are reported without throwing', () => {
    const recursive = run('R MACRO\n  R\nENDM\n  R\n', {}, { limits: { depth: 8 } });
    assert.equal(recursive.problems.length, 1);
    assert.match(recursive.problems[0]!.message, /nested/);
    const open = run('M MACRO\n  nop\n');
    assert.equal(open.problems.length, 1);
    const garbage = run('ENDIF\nELSE\nENDM\nEXITM\nREPT\nIRP\nFORC\nIF (\nX TEXTEQU %(\nM MACRO a:VARARG, b:REQ\nENDM\nM <,!>\nINCLUDE\n');
    assert.ok(garbage.problems.length > 0);
  });
});
