// The walk itself: roots and includes, the includer's state, findings through macros, their
// suppression, and problems reported instead of hangs. Each preprocessor has its own oracle tests;
// these check what the walk does with their output.
import * as assert from 'assert';
import { analyzeProject, type ProjectOptions, type ProjectResult } from '../../server/src/analysis/project/index';
import type { Finding } from '../../server/src/analysis/types';
import { assemble, decodeAll } from '../helpers/assemble';

function project(files: Record<string, string>, options: Partial<ProjectOptions> = {}, report?: string[]): ProjectResult {
  return analyzeProject({
    files: report ?? Object.keys(files),
    reader: { read: (path) => (path in files ? { text: files[path]! } : { error: 'not found' }) },
    options: { analysis: { rules: ['all'] }, ...options },
  });
}

function findingsOf(result: ProjectResult, path: string): Finding[] {
  const file = result.files.get(path);
  assert.ok(file, `${path} has no result (have: ${[...result.files.keys()].join(', ')})`);
  return file.result.findings;
}

function summary(findings: readonly Finding[]): string[] {
  return findings.map((f) => `${f.range.start.line}:${f.ruleId}`);
}

describe('project walk: includes', () => {
  it('reads one include in each includer state: PUSH CS is sensitive in 16-bit code and invalid in 64-bit code', () => {
    const result = project({
      '/p/boot.asm': 'bits 16\n%include "common.inc"\nbits 64\n%include "common.inc"\n',
      '/p/common.inc': 'push cs\n',
    });
    const found = findingsOf(result, '/p/common.inc');
    assert.deepStrictEqual(summary(found), ['0:push-sreg', '0:invalid-in-mode']);
    assert.deepStrictEqual(found.map((f) => f.contexts!.map((c) => [c.root, c.bits, c.includes.map((i) => i.line)])), [[['/p/boot.asm', 16, [1]]], [['/p/boot.asm', 64, [3]]]]);
    assert.deepStrictEqual(result.files.get('/p/common.inc')!.contexts.map((c) => c.bits).sort(), [16, 64]);
    assert.deepStrictEqual(result.files.get('/p/common.inc')!.includers, ['/p/boot.asm']);
  });

  it('reads a FASM include of 32-bit code in the includer\'s mode: call dword [eax-4] is near there, far in 64-bit code', () => {
    const include = 'call dword [eax-4]\n';
    const in32 = project({ '/p/k.asm': 'format ELF\nuse32\ninclude "lib.inc"\n', '/p/lib.inc': include });
    assert.deepStrictEqual(summary(findingsOf(in32, '/p/lib.inc')), []);
    const in64 = project({ '/p/k.asm': 'format ELF64\nuse64\ninclude "lib.inc"\n', '/p/lib.inc': include });
    assert.deepStrictEqual(summary(findingsOf(in64, '/p/lib.inc')), ['0:far-call']);
  });

  it('reads a FASM include as FASM, whatever its extension', () => {
    const result = project({
      '/p/boot.asm': 'format binary\nuse16\ninclude "disk.inc"\n',
      '/p/disk.inc': 'push es di\npop di es\n',
    });
    assert.deepStrictEqual(summary(findingsOf(result, '/p/disk.inc')), ['0:push-sreg', '1:pop-sreg']);
    assert.strictEqual(result.files.get('/p/disk.inc')!.result.dialect, 'fasm');
  });

  it('reports a missing include and an include cycle on the directive, and goes on', () => {
    const result = project({
      '/p/a.asm': 'bits 32\n%include "missing.inc"\n%include "b.inc"\ncpuid\n',
      '/p/b.inc': '%include "a.asm"\nrdtsc\n',
    }, {}, ['/p/a.asm']);
    assert.deepStrictEqual(summary(findingsOf(result, '/p/a.asm')), ['1:unresolved-include', '3:cpuid']);
    assert.match(findingsOf(result, '/p/a.asm')[0]!.message, /Cannot find "missing.inc"/);
    assert.deepStrictEqual(summary(findingsOf(result, '/p/b.inc')), ['0:unresolved-include', '1:rdtsc']);
    assert.match(findingsOf(result, '/p/b.inc')[0]!.message, /includes itself/);
  });

  it('searches the include paths after the includer\'s folder', () => {
    const files = { '/p/src/main.asm': 'bits 64\n%include "lib.inc"\n', '/p/inc/lib.inc': 'sgdt [rax]\n' };
    assert.deepStrictEqual(summary(findingsOf(project(files, { includePaths: ['/p/inc'] }), '/p/inc/lib.inc')), ['0:sgdt']);
    assert.deepStrictEqual(summary(findingsOf(project(files), '/p/src/main.asm')), ['1:unresolved-include']);
  });

  it('starts a root in the mode the build gives it, before guessing', () => {
    const files = { '/p/k.asm': 'push cs\n' };
    assert.deepStrictEqual(summary(findingsOf(project(files, { buildFor: () => ({ bits: 32 }) }), '/p/k.asm')), ['0:push-sreg']);
    assert.deepStrictEqual(summary(findingsOf(project(files, { settingsFor: () => ({ bits: 64 }) }), '/p/k.asm')), ['0:invalid-in-mode']);
  });
});

describe('project walk: macros', () => {
  const library = '%macro SAVE_FLAGS 0\n  pushf\n%endmacro\n%macro SAVE_SEG 1\n  push %1\n%endmacro\n';

  it('reports a macro finding at the invocation, naming the macro, with the body line as related information', () => {
    const result = project({ '/p/lib.inc': library, '/p/main.asm': 'bits 32\n%include "lib.inc"\nSAVE_FLAGS\nSAVE_SEG ds\nSAVE_SEG eax\n' });
    const main = findingsOf(result, '/p/main.asm');
    assert.deepStrictEqual(summary(main), ['2:pushf', '3:push-sreg']);
    assert.match(main[0]!.message, /via SAVE_FLAGS, defined at lib\.inc:1/);
    assert.deepStrictEqual(main[0]!.macroChain!.map((m) => [m.name, m.definedAt?.line, m.invokedAt.line]), [['SAVE_FLAGS', 0, 2]]);
    assert.deepStrictEqual(main[0]!.related!.map((r) => [r.path, r.range.start.line]), [['/p/lib.inc', 1], ['/p/lib.inc', 0]]);
    const body = findingsOf(result, '/p/lib.inc');
    assert.deepStrictEqual(summary(body), ['1:pushf', '4:push-sreg']);
    assert.match(body[0]!.message, /used by 1 invocation of SAVE_FLAGS/);
    assert.match(body[1]!.message, /used by 1 invocation of SAVE_SEG/, 'the body line push %1 says what its uses pushed');
  });

  it('a suppression at the invocation silences that use; one in the body silences every use', () => {
    const atUse = project({ '/p/lib.inc': library, '/p/main.asm': 'bits 32\n%include "lib.inc"\nSAVE_FLAGS ; virtlint-disable-line pushf\nSAVE_FLAGS\n' });
    assert.deepStrictEqual(summary(findingsOf(atUse, '/p/main.asm')), ['3:pushf']);
    const inBody = project({
      '/p/lib.inc': library.replace('  pushf', '  pushf ; virtlint-disable-line pushf'),
      '/p/main.asm': 'bits 32\n%include "lib.inc"\nSAVE_FLAGS\nSAVE_FLAGS\n',
    });
    assert.deepStrictEqual(summary(findingsOf(inBody, '/p/main.asm')), []);
    assert.strictEqual(inBody.files.get('/p/main.asm')!.result.suppressed.length, 2);
  });

  it('indexes definitions, invocations and expansions', () => {
    const result = project({ '/p/lib.inc': library, '/p/main.asm': 'bits 32\n%include "lib.inc"\nSAVE_SEG es\n' });
    assert.deepStrictEqual(result.macros.get('save_seg')!.map((d) => [d.definedAt.path, d.definedAt.line]), [['/p/lib.inc', 3]]);
    assert.deepStrictEqual(result.invocations.get('save_seg')!.map((at) => [at.path, at.line]), [['/p/main.asm', 2]]);
    assert.deepStrictEqual(result.expansions.get('/p/main.asm:2')!.map((t) => t.trim()), ['push es']);
  });

  it('takes the mode from a cpp macro in a header: a far jump in 16-bit code, not an invalid one', () => {
    const result = project({
      '/p/common.h': '#define BEGIN .code16\n',
      '/p/boot.S': '#include "common.h"\nBEGIN\nljmp $0x10, $start\nstart:\n',
    });
    assert.deepStrictEqual(summary(findingsOf(result, '/p/boot.S')), ['2:far-jmp']);
    assert.strictEqual(findingsOf(result, '/p/boot.S')[0]!.contexts![0]!.bits, 16);
  });

  it('finds the instruction a cpp macro expands to', () => {
    const result = project({ '/p/sys.S': '#define T_SYSCALL 64\n#define SYSCALL(name) movl $SYS_##name, %eax; int $T_SYSCALL\n.code32\nSYSCALL(fork)\n' });
    assert.deepStrictEqual(summary(findingsOf(result, '/p/sys.S')), ['1:int', '3:int']);
    assert.match(findingsOf(result, '/p/sys.S')[0]!.message, /used by 1 invocation of SYSCALL/);
    assert.strictEqual(findingsOf(result, '/p/sys.S')[1]!.macroChain![0]!.name, 'SYSCALL');
  });

  it('a constant substituted into an operand does not make the instruction the macro\'s', () => {
    const result = project({ '/p/entry.S': '#define KERNEL_CS 0x10\n.code32\n  ljmp $KERNEL_CS, $next\nnext:\n' });
    const found = findingsOf(result, '/p/entry.S');
    assert.deepStrictEqual(summary(found), ['2:far-jmp']);
    assert.strictEqual(found[0]!.macroChain, undefined);
    assert.deepStrictEqual([found[0]!.mnemonicRange.start.character, found[0]!.mnemonicRange.end.character], [2, 6]);
  });

  it('lists a bounded number of undecided places per file', () => {
    const lines: string[] = ['bits 64'];
    for (let i = 0; i < 400; i++) lines.push(`%ifdef UNKNOWN_${i}\n%endif`);
    const found = findingsOf(project({ '/p/k.asm': lines.join('\n') }), '/p/k.asm');
    const undecided = found.filter((f) => f.ruleId === 'undecided-expansion');
    assert.ok(undecided.length > 10 && undecided.length < 400, `${undecided.length} undecided findings`);
    assert.match(undecided[undecided.length - 1]!.message, /more/);
  });

  it('gives a FASM label the size of its data: call [callback] in 16-bit code is a far call', () => {
    const result = project({ '/p/boot.asm': 'format binary\nuse16\ncall [callback]\ncall [near_one]\ncallback dd ?\nnear_one dw ?\n' });
    assert.deepStrictEqual(summary(findingsOf(result, '/p/boot.asm')), ['2:far-call']);
  });

  it('says when a condition cannot be decided, and reads the branches', () => {
    const result = project({ '/p/k.asm': 'bits 64\n%ifdef DEBUG\ncpuid\n%else\nrdtsc\n%endif\n' });
    assert.deepStrictEqual(summary(findingsOf(result, '/p/k.asm')), ['1:undecided-expansion', '2:cpuid', '4:rdtsc']);
    const decided = project({ '/p/k.asm': 'bits 64\n%ifdef DEBUG\ncpuid\n%else\nrdtsc\n%endif\n' }, { defines: { DEBUG: '1' } });
    assert.deepStrictEqual(summary(findingsOf(decided, '/p/k.asm')), ['2:cpuid']);
  });

  it('ends a runaway macro with a report instead of a hang', () => {
    const result = project({ '/p/k.asm': 'bits 64\n%macro RUNAWAY 0\nRUNAWAY\n%endmacro\nRUNAWAY\ncpuid\n' });
    const found = summary(findingsOf(result, '/p/k.asm'));
    assert.ok(found.includes('5:cpuid'), found.join(' '));
    assert.ok(found.some((f) => f.endsWith('undecided-expansion')), found.join(' '));
  });
});

describe('project walk: what the build tells', () => {
  it('with the defines declared complete, a name nobody defines is undefined, not undecided', () => {
    const files = { '/p/k.S': '.code64\n#ifdef CONFIG_X86_32\npushl %eax\n#else\npushq %rax\n#endif\npushf\n' };
    const open = summary(findingsOf(project(files), '/p/k.S'));
    assert.deepStrictEqual(open, ['1:undecided-expansion', '2:invalid-in-mode', '6:pushf']);
    const complete = summary(findingsOf(project(files, { definesComplete: true }), '/p/k.S'));
    assert.deepStrictEqual(complete, ['6:pushf']);
  });

  it('a macro body is checked where it is used, not in the mode where it is defined', () => {
    const result = project({
      '/p/adjust.h': '.macro ADJUST\n  pusha\n  popa\n.endm\n',
      '/p/boot.S': '.code64\n#include "adjust.h"\n.code16\nADJUST\n',
    });
    assert.deepStrictEqual(summary(findingsOf(result, '/p/adjust.h')), []);
    assert.deepStrictEqual(summary(findingsOf(result, '/p/boot.S')), []);
  });

  it('a file the build assembles on its own is a root even when another file includes it', () => {
    const files = { '/p/debug.asm': '%define DEBUG 1\n%include "main.asm"\n', '/p/main.asm': 'bits 16\n%ifndef DEBUG\npush es\n%endif\n' };
    assert.deepStrictEqual(summary(findingsOf(project(files), '/p/main.asm')), []);
    const built = project(files, { buildFor: (path) => (path === '/p/main.asm' ? { defines: {} } : undefined) });
    assert.deepStrictEqual(summary(findingsOf(built, '/p/main.asm')), ['2:push-sreg']);
  });

  it('a macro\'s finding is read in the bitness and mode of its invocation, not those the file starts in (nasm agrees)', () => {
    const source = 'bits 32\n    nop\n%macro SAVE 0\n    pushfd\n%endmacro\n    SAVE\nbits 16\n    SAVE\n%macro SAVE16 0\n    bits 16\n    pushfd\n    bits 32\n%endmacro\nbits 32\n    SAVE16\n';
    // The oracle: nasm emits PUSHFD with an operand-size prefix at the second invocation and inside SAVE16, so it read them as 16-bit code.
    const lines = assemble('nasm', source, { bits: 32 });
    const decoded = (line: number, bits: 16 | 32): string[] => decodeAll(lines.get(line)!, bits).map((d) => d.codeName);
    assert.deepStrictEqual([decoded(6, 32), decoded(8, 16), decoded(15, 16)], [['Pushfd'], ['Pushfd'], ['Pushfd']]);
    assert.deepStrictEqual([...lines.get(8)!, ...lines.get(15)!], [0x66, 0x9c, 0x66, 0x9c]);
    const found = findingsOf(project({ '/p/k.asm': source }), '/p/k.asm').filter((f) => f.macroChain);
    const readIn = found.map((f) => `${f.range.start.line}:${f.contexts!.map((c) => `${c.bits}/${c.mode}`).join(',')}`);
    // 16-bit code after 32-bit code runs in 16-bit protected mode.
    assert.deepStrictEqual(readIn, ['5:32/pm32', '7:16/pm16', '14:16/pm16']);
    assert.deepStrictEqual(found.map((f) => f.mode), ['pm32', 'pm16', 'pm16']);
  });

  it('code a macro produced counts as code that ran: 16-bit code after it runs in protected mode', () => {
    const files = { '/p/k.asm': 'bits 32\n%macro SAVE 0\n    pushfd\n%endmacro\n    SAVE\nbits 16\n    pushf\n' };
    const pushf = findingsOf(project(files), '/p/k.asm').find((f) => f.range.start.line === 6);
    assert.equal(pushf?.mode, 'pm16');
    // With no code before the switch, `bits 32` said nothing about CR0.PE.
    const idle = { '/p/k.asm': 'bits 32\n%macro SAVE 0\n    pushfd\n%endmacro\nbits 16\n    pushf\n' };
    assert.equal(findingsOf(project(idle), '/p/k.asm').find((f) => f.range.start.line === 5)?.mode, 'unknown');
  });

  it('reports a recursive macro\'s finding once per invocation', () => {
    const result = project({ '/p/r.s': '.code32\n.macro ENT n\n  pushf\n  .if \\n\n    ENT "(\\n-1)"\n  .endif\n.endm\nENT 5\n' });
    assert.deepStrictEqual(summary(findingsOf(result, '/p/r.s')), ['2:pushf', '7:pushf']);
  });
});

describe('project walk: body lines cpp changed', () => {
  it('a GNU as macro body line with a cpp operand keeps its finding off the #define line', () => {
    const result = project({
      '/p/m.S': '#define REG \\reg\n.code32\n.macro load16 reg\n  movw %ax, %REG\n.endm\nload16 ds\nload16 es\n',
    });
    const found = findingsOf(result, '/p/m.S');
    assert.deepStrictEqual(summary(found), ['5:mov-sreg', '6:mov-sreg']);
    assert.ok(found.every((f) => !f.related?.some((r) => r.range.start.line === 0)), 'nothing points at the #define line');
  });
});

describe('project walk: includes multiplied by a loop', () => {
  it('keeps a bounded number of inclusions of one file and stops reading past the line budget', () => {
    const include = `%if 0\n${'nop\n'.repeat(2000)}%endif\npushf\n`;
    const result = project({ '/p/main.asm': 'bits 32\n%rep 3000\n%include "x.inc"\n%endrep\n', '/p/x.inc': include }, {}, ['/p/main.asm']);
    const main = findingsOf(result, '/p/main.asm');
    assert.ok(main.some((f) => f.ruleId === 'undecided-expansion' && /included more than 32 times/.test(f.message)), summary(main).join(' '));
    assert.ok(main.some((f) => /lines through includes/.test(f.message)), summary(main).join(' '));
    assert.deepStrictEqual(summary(findingsOf(result, '/p/x.inc')), ['2002:pushf']);
    assert.strictEqual(result.files.get('/p/x.inc')!.contexts.length, 1, 'the kept inclusions read it in one state');
  });

  it('reads the inclusions past the kept ones for their state only, however lines of kept and unkept inclusions alternate', () => {
    const include = '%if i > 32\npushf\n%endif\nnop\n';
    const main = 'bits 32\n%assign i 0\n%rep 40\n%assign i i+1\n%include "x.inc"\nsgdt [eax]\n%endrep\n';
    const result = project({ '/p/main.asm': main, '/p/x.inc': include }, {}, ['/p/main.asm']);
    assert.deepStrictEqual(summary(findingsOf(result, '/p/x.inc')), [], 'pushf is read only in inclusions 33 to 40, which are not kept');
    assert.ok(findingsOf(result, '/p/main.asm').some((f) => /included more than 32 times/.test(f.message)));
    assert.ok(summary(findingsOf(result, '/p/main.asm')).includes('5:sgdt'));
  });
});

describe('project walk: what one analysis leaves for the next', () => {
  it('a later analysis of an edited file reads the new text, whatever the shared parse cache holds', () => {
    const before = project({ '/p/main.asm': 'bits 32\n%include "lib.inc"\n', '/p/lib.inc': 'nop\npushf\n' });
    assert.deepStrictEqual(summary(findingsOf(before, '/p/lib.inc')), ['1:pushf']);
    const after = project({ '/p/main.asm': 'bits 32\n%include "lib.inc"\n', '/p/lib.inc': 'nop\npopf\n' });
    assert.deepStrictEqual(summary(findingsOf(after, '/p/lib.inc')), ['1:popf']);
    const other = project({ '/p/main.asm': 'bits 64\n%include "lib.inc"\n', '/p/lib.inc': 'nop\npush cs\n' });
    assert.deepStrictEqual(summary(findingsOf(other, '/p/lib.inc')), ['1:invalid-in-mode']);
  });
});
