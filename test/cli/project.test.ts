// Whole-program lint from the command line, on small projects in temporary directories: includes
// read in the includer's mode, -I and -D, the configuration file and compile_commands.json, files
// reached only through includes, --no-includes, and what JSON and SARIF say about each finding.
// Where an assembler can say what the code is (fasm, nasm), it is asked.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyzeText, ruleForCode } from '../../server/src/analysis';
import { decodeAll } from '../helpers/assemble';
import { runFasm } from '../helpers/fasm';
import { lineOf, parseJsonReport, removeTree, runCli, tempTree, type JsonMessage, type JsonResult } from './helpers';
import { sarifProblems } from './sarifShape';

interface ProjectMessage extends JsonMessage {
  readIn?: { dialect: string; bits: number };
  contexts?: { root: string; includes: { path: string; line: number }[]; dialect: string; bits: number }[];
  macroChain?: { name: string; kind: string; invokedAt: { path: string; line: number }; definedAt?: { path: string; line: number } }[];
  related?: { path: string; line: number; message: string }[];
}

async function lintJson(dir: string, args: string[]): Promise<Map<string, JsonResult>> {
  const run = await runCli(['-f', 'json', ...args], { cwd: dir });
  assert.ok(run.code === 0 || run.code === 1, `exit ${run.code}: ${run.stderr}`);
  return new Map(parseJsonReport(run.stdout).map((result) => [path.relative(dir, result.filePath), result]));
}

function messagesOf(results: Map<string, JsonResult>, file: string): ProjectMessage[] {
  const result = results.get(file);
  assert.ok(result, `no report for ${file}; reported: ${[...results.keys()].join(', ')}`);
  return result.messages as ProjectMessage[];
}

function ruleLines(messages: readonly JsonMessage[]): string[] {
  return messages.map((m) => `${m.line}:${m.ruleId}`).sort();
}

// A boot sector would run in real mode, where segment pushes and pops are not reported: the mode
// comment makes it 16-bit protected mode, so what is compared is how the include is read.
const FASM_MAIN = "format binary\nuse16 ; virtlint: mode=pm16\norg 0x7c00\ninclude 'boot.inc'\n    hlt\n";
const FASM_INC = '    push es di\n    pop di es\n';

const NASM_MAIN = 'bits 32\n%include "defs.inc"\n%ifdef USE_SGDT\n    sgdt [gdt]\n%endif\n    SAVE_FLAGS\n    ret\ngdt: dq 0\n';
const NASM_DEFS = '%macro SAVE_FLAGS 0\n    pushfd\n%endmacro\n';

describe('cli: whole-program lint', function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  const project = (files: Record<string, string>): string => {
    const dir = tempTree(files);
    dirs.push(dir);
    return dir;
  };
  after(() => dirs.forEach(removeTree));

  it('reads an include in the includer\'s mode (FASM 16-bit), as fasm assembles it', async () => {
    const dir = project({ 'main.asm': FASM_MAIN, 'boot.inc': FASM_INC });
    const assembled = runFasm(['main.asm', 'main.bin'], dir);
    assert.equal(assembled.status, 0, assembled.stdout + assembled.stderr);
    const bytes = fs.readFileSync(path.join(dir, 'main.bin'));
    // main.asm adds only the final HLT: every other instruction comes from boot.inc.
    const expected = decodeAll(bytes.subarray(0, bytes.length - 1), 16)
      .map((d) => ruleForCode(d.code))
      .filter((rule) => rule !== undefined)
      .sort();
    assert.deepEqual(expected, ['pop-sreg', 'push-sreg']);

    const results = await lintJson(dir, ['.']);
    const messages = messagesOf(results, 'boot.inc');
    assert.deepEqual(messages.map((m) => m.ruleId).sort(), expected);
    assert.deepEqual(ruleLines(messages), [`1:push-sreg`, `2:pop-sreg`]);
    for (const message of messages) {
      assert.deepEqual(message.readIn, { dialect: 'fasm', bits: 16 });
      assert.deepEqual(message.contexts, [
        { root: path.join(dir, 'main.asm'), includes: [{ path: path.join(dir, 'main.asm'), line: lineOf(FASM_MAIN, 'include') }], dialect: 'fasm', bits: 16 },
      ]);
    }
    assert.equal(results.get('boot.inc')!.dialect, 'fasm');

    // Read alone, the include is not FASM and the two-operand push/pop are lost: the old behaviour.
    const alone = await lintJson(dir, ['--no-includes', '.']);
    assert.notDeepEqual(ruleLines(messagesOf(alone, 'boot.inc')), ruleLines(messages));
  });

  it('-I finds an include and -D decides %ifdef, as nasm -E does', async () => {
    const dir = project({ 'main.asm': NASM_MAIN, 'inc/defs.inc': NASM_DEFS });
    const nasmSees = (flags: string[]): string | undefined => {
      const run = spawnSync('nasm', ['-E', ...flags, 'main.asm'], { cwd: dir, encoding: 'utf8' });
      return run.status === 0 ? run.stdout : undefined;
    };
    const ifdefLine = lineOf(NASM_MAIN, '%ifdef');
    const defined = nasmSees(['-Iinc/', '-DUSE_SGDT']);
    assert.ok(defined !== undefined && /\bsgdt\b/.test(defined) && /\bpushfd\b/.test(defined), 'nasm reads the include through -I and the branch with -D');
    const withDefine = messagesOf(await lintJson(dir, ['-I', 'inc/', '-D', 'USE_SGDT', 'main.asm']), 'main.asm');
    assert.deepEqual(ruleLines(withDefine), [`${lineOf(NASM_MAIN, 'sgdt')}:sgdt`, `${lineOf(NASM_MAIN, 'SAVE_FLAGS')}:pushf`].sort());

    const undefinedHere = nasmSees(['-Iinc/']);
    assert.ok(undefinedHere !== undefined && !/\bsgdt\b/.test(undefinedHere), 'without -D nasm skips the branch');
    const withoutDefine = messagesOf(await lintJson(dir, ['--include-path=inc', 'main.asm']), 'main.asm');
    assert.ok(withoutDefine.some((m) => m.ruleId === 'pushf'), 'the macro from the include is expanded at its invocation');
    // A symbol no file defines may come from the build: virtlint says it cannot decide rather than guess.
    const claimsSgdt = withoutDefine.some((m) => m.ruleId === 'sgdt');
    const saysUndecided = withoutDefine.some((m) => m.ruleId === 'undecided-expansion' && m.line === ifdefLine);
    assert.ok(!claimsSgdt || saysUndecided, ruleLines(withoutDefine).join(' '));

    assert.equal(nasmSees([]), undefined, 'without -I nasm cannot open the include');
    const without = messagesOf(await lintJson(dir, ['main.asm']), 'main.asm');
    assert.ok(without.some((m) => m.ruleId === 'unresolved-include' && m.line === lineOf(NASM_MAIN, '%include')), ruleLines(without).join(' '));
  });

  it('JSON carries readIn, contexts, macroChain and related for a macro finding', async () => {
    const dir = project({ 'main.asm': NASM_MAIN, 'defs.inc': NASM_DEFS });
    const results = await lintJson(dir, ['main.asm']);
    const pushf = messagesOf(results, 'main.asm').find((m) => m.ruleId === 'pushf');
    assert.ok(pushf);
    const invocation = lineOf(NASM_MAIN, 'SAVE_FLAGS');
    assert.equal(pushf.line, invocation);
    assert.match(pushf.message, /via SAVE_FLAGS, defined at defs\.inc:1/);
    assert.deepEqual(pushf.readIn, { dialect: 'nasm', bits: 32 });
    assert.deepEqual(pushf.contexts, [{ root: path.join(dir, 'main.asm'), includes: [], dialect: 'nasm', bits: 32 }]);
    assert.equal(pushf.macroChain?.length, 1);
    const step = pushf.macroChain![0]!;
    assert.equal(step.name, 'SAVE_FLAGS');
    assert.deepEqual([step.invokedAt.path, step.invokedAt.line], [path.join(dir, 'main.asm'), invocation]);
    assert.deepEqual([step.definedAt?.path, step.definedAt?.line], [path.join(dir, 'defs.inc'), lineOf(NASM_DEFS, '%macro')]);
    assert.ok(pushf.related?.some((r) => r.path === path.join(dir, 'defs.inc') && r.line === lineOf(NASM_DEFS, 'pushfd')));
    // The body line has its own finding, in the include, reported because an include reached it.
    const body = messagesOf(results, 'defs.inc');
    assert.deepEqual(ruleLines(body), [`${lineOf(NASM_DEFS, 'pushfd')}:pushf`]);
  });

  it('SARIF: relatedLocations, one code flow through include and macro, dialect and bits; still valid', async () => {
    const main = 'bits 16\n%include "mid.inc"\n    hlt\n';
    const mid = '%include "flags.inc"\n    SAVE_FLAGS\n';
    const dir = project({ 'main.asm': main, 'mid.inc': mid, 'flags.inc': '%macro SAVE_FLAGS 0\n    pushf\n%endmacro\n    smsw ax\n' });
    const run = await runCli(['-f', 'sarif', 'main.asm'], { cwd: dir });
    const log = JSON.parse(run.stdout);
    assert.deepEqual(sarifProblems(log), []);
    const results = log.runs[0].results as Record<string, any>[];
    const uri = (location: any): string => `${location.physicalLocation.artifactLocation.uri}:${location.physicalLocation.region.startLine}`;

    const smsw = results.find((r) => r.ruleId === 'smsw');
    assert.ok(smsw, JSON.stringify(results.map((r) => r.ruleId)));
    assert.deepEqual(smsw.properties, { dialect: 'nasm', bits: 16 });
    const smswFlow = smsw.codeFlows[0].threadFlows[0].locations.map((step: any) => uri(step.location));
    assert.deepEqual(smswFlow, ['main.asm:2', 'mid.inc:1', 'flags.inc:4'], 'root → include directives → the instruction');

    const pushf = results.find((r) => r.ruleId === 'pushf' && r.locations[0].physicalLocation.artifactLocation.uri === 'mid.inc');
    assert.ok(pushf);
    assert.deepEqual(
      pushf.codeFlows[0].threadFlows[0].locations.map((step: any) => uri(step.location)),
      ['main.asm:2', 'mid.inc:2', 'flags.inc:2'],
      'root → include → invocation → body',
    );
    const related = pushf.relatedLocations.map(uri);
    assert.ok(related.includes('flags.inc:2') && related.includes('flags.inc:1'), related.join(' '));
    const ids = pushf.relatedLocations.map((r: any) => r.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const result of results) {
      for (const flow of result.codeFlows ?? []) {
        assert.ok(flow.threadFlows.length >= 1);
        for (const thread of flow.threadFlows) {
          assert.ok(thread.locations.length >= 1);
          for (const step of thread.locations) {
            assert.ok(Number.isInteger(step.nestingLevel) && step.nestingLevel >= 0);
            assert.equal(typeof step.location.message.text, 'string');
          }
        }
      }
    }
  });

  it('stylish shows the include chain under a finding', async () => {
    const dir = project({ 'main.asm': FASM_MAIN, 'boot.inc': FASM_INC });
    const run = await runCli(['.'], { cwd: dir });
    assert.match(run.stdout, /included from main\.asm:4, read as fasm 16-bit/);
  });

  it('reports a .h header reached through #include in a .S file', async () => {
    const entry = '#include "asm.h"\n    .code32\n    SAVE_FLAGS\n    ret\n';
    const header = '.macro SAVE_FLAGS\n    pushfl\n.endm\n';
    const dir = project({ 'entry.S': entry, 'asm.h': header });
    const results = await lintJson(dir, ['.']);
    assert.deepEqual(ruleLines(messagesOf(results, 'asm.h')), [`${lineOf(header, 'pushfl')}:pushf`]);
    assert.deepEqual(ruleLines(messagesOf(results, 'entry.S')), [`${lineOf(entry, 'SAVE_FLAGS')}:pushf`]);
    const alone = await lintJson(dir, ['--no-includes', '--languages', 'asm', '.']);
    assert.equal(alone.has('asm.h'), false, 'read alone, a walk for assembly only skips headers');
    const asC = await lintJson(dir, ['--no-includes', '.']);
    assert.deepEqual(messagesOf(asC, 'asm.h'), [], 'read as C, the header holds no asm statement');
  });

  it('a directory walk skips linker scripts (*.lds.S): cpp reads them, but they hold no instructions', async () => {
    const dir = project({ 'vmlinux.lds.S': 'SECTIONS\n{\n  . = 0x100000;\n  .text : { *(.text) }\n}\n', 'head.S': '.code32\n    pushfl\n' });
    const results = await lintJson(dir, ['.']);
    assert.deepEqual([...results.keys()], ['head.S']);
  });

  it('--no-includes reports each file exactly as a single-file analysis does', async () => {
    const files = { 'main.asm': NASM_MAIN, 'defs.inc': NASM_DEFS, 'boot.asm': FASM_MAIN, 'boot.inc': FASM_INC };
    const dir = project(files);
    const results = await lintJson(dir, ['--no-includes', '.']);
    assert.deepEqual([...results.keys()].sort(), Object.keys(files).sort());
    for (const [name, text] of Object.entries(files)) {
      const alone = analyzeText(text, { fileName: path.join(dir, name), severities: { 'unknown-mnemonic': 'off' } });
      const expected = alone.findings.map((f) => `${f.mnemonicRange.start.line + 1}:${f.mnemonicRange.start.character + 1}:${f.ruleId}:${f.message}`).sort();
      const got = messagesOf(results, name).map((m) => `${m.line}:${m.column}:${m.ruleId}:${m.message}`).sort();
      assert.deepEqual(got, expected, name);
      assert.deepEqual([results.get(name)!.dialect, results.get(name)!.bits], [alone.dialect, alone.bits], name);
      for (const message of messagesOf(results, name)) assert.equal(message.readIn, undefined);
    }
  });

  describe('virtlint.config.json', () => {
    it('gives per-glob bitness, include paths, defines, ignores and extra extensions', async () => {
      const config = {
        files: [{ glob: 'boot/**/*.asm', bits: 16 }],
        includePaths: ['inc'],
        defines: { USE_SGDT: '1' },
        ignore: ['vendor'],
        extensions: { asm_ia32: 'nasm' },
      };
      const dir = project({
        'virtlint.config.json': JSON.stringify(config, null, 2),
        'boot/stage1/a.asm': '    mov eax, [esp+4]\n    pop ds\n',
        'k/b.asm': '    mov eax, [esp+4]\n    pop ds\n',
        'main.asm': NASM_MAIN,
        'inc/defs.inc': NASM_DEFS,
        'x86/c.asm_ia32': '    sidt [ebx]\n',
        'vendor/v.asm': '    pushf\n',
        'uses_vendor.asm': 'bits 32\n%include "vendor/v.asm"\n',
      });
      const results = await lintJson(dir, ['.']);
      assert.deepEqual(messagesOf(results, 'boot/stage1/a.asm').map((m) => m.readIn?.bits), [16]);
      assert.equal(results.get('boot/stage1/a.asm')!.bits, 16);
      assert.notEqual(results.get('k/b.asm')!.bits, 16, 'a file the glob does not match keeps its own detection');
      assert.ok(messagesOf(results, 'main.asm').some((m) => m.ruleId === 'sgdt'), 'the define turns on %ifdef USE_SGDT');
      assert.ok(!messagesOf(results, 'main.asm').some((m) => m.ruleId === 'unresolved-include'), 'the include path finds defs.inc');
      assert.deepEqual(ruleLines(messagesOf(results, 'x86/c.asm_ia32')), ['1:sidt']);
      assert.equal(results.has('vendor/v.asm'), false, 'ignored, even when reached through an include');
      assert.deepEqual(messagesOf(results, 'uses_vendor.asm'), [], 'the ignored file is still read for its includer (no unresolved include)');

      // The command line wins over the configuration.
      const forced = await lintJson(dir, ['--bits', '32', 'boot/stage1/a.asm']);
      assert.equal(forced.get('boot/stage1/a.asm')!.bits, 32);
      const ignored = await lintJson(dir, ['--no-config', '.']);
      assert.ok(ignored.has('vendor/v.asm'));
      assert.equal(ignored.has('x86/c.asm_ia32'), false);
    });

    it('is found upward from the first path, and --config names another', async () => {
      const dir = project({
        'virtlint.config.json': JSON.stringify({ severities: { smsw: 'off' } }),
        'alt.json': JSON.stringify({ severities: { smsw: 'error' } }),
        'src/deep/a.asm': 'bits 16\n    smsw ax\n',
      });
      const other = project({});
      const fromElsewhere = await runCli(['-f', 'json', path.join(dir, 'src')], { cwd: other });
      assert.deepEqual(parseJsonReport(fromElsewhere.stdout)[0]!.messages, []);
      const alt = await runCli(['-f', 'json', '--config', 'alt.json', 'src'], { cwd: dir });
      assert.equal(alt.code, 1);
      assert.deepEqual(parseJsonReport(alt.stdout)[0]!.messages.map((m) => [m.ruleId, m.severity]), [['smsw', 2]]);
    });

    it('an unknown key or a wrong type is a usage error naming the key and its line', async () => {
      const text = '{\n  "profile": "deprivileged-kernel",\n  "includePath": ["inc"],\n  "files": [{ "glob": "*.asm", "bits": 17 }]\n}\n';
      const dir = project({ 'virtlint.config.json': text, 'a.asm': 'bits 16\n    smsw ax\n' });
      const run = await runCli(['a.asm'], { cwd: dir });
      assert.equal(run.code, 2);
      assert.equal(run.stdout, '');
      assert.ok(run.stderr.includes(`virtlint.config.json:3:3: unknown key "includePath"`), run.stderr);
      assert.ok(run.stderr.includes(`virtlint.config.json:4:40: "files[0].bits" must be 16, 32 or 64, not 17`), run.stderr);
      const skipped = await runCli(['--no-config', 'a.asm'], { cwd: dir });
      assert.equal(skipped.code, 0, skipped.stderr);
      const both = await runCli(['--no-config', '--config', 'x.json', 'a.asm'], { cwd: dir });
      assert.equal(both.code, 2);
    });
  });

  it('compile_commands.json at the root gives the starting bitness (nasm -f elf32)', async () => {
    const source = '    push cs\n    pop ds\n';
    const dir = project({ 'k.asm': source });
    fs.writeFileSync(path.join(dir, 'compile_commands.json'), JSON.stringify([{ directory: dir, file: 'k.asm', command: 'nasm -f elf32 -o k.o k.asm' }]));
    const elf32 = spawnSync('nasm', ['-f', 'elf32', '-o', 'k.o', 'k.asm'], { cwd: dir, encoding: 'utf8' });
    assert.equal(elf32.status, 0, 'nasm assembles it as 32-bit code');
    const elf64 = spawnSync('nasm', ['-f', 'elf64', '-o', 'k64.o', 'k.asm'], { cwd: dir, encoding: 'utf8' });
    assert.notEqual(elf64.status, 0, 'and refuses it as 64-bit code');
    const results = await lintJson(dir, ['.']);
    const messages = messagesOf(results, 'k.asm');
    assert.deepEqual(ruleLines(messages), ['1:push-sreg', '2:pop-sreg']);
    for (const message of messages) assert.deepEqual(message.readIn, { dialect: 'nasm', bits: 32 });
  });

  it('--fix-dry-run leaves macro invocations alone and says so once; direct findings are rewritten', async () => {
    const main = 'bits 32\n%include "defs.inc"\n    SAVE_FLAGS\n    sgdt [gdt]\n    SAVE_FLAGS\n    ret\ngdt: dq 0\n';
    const dir = project({ 'main.asm': main, 'defs.inc': NASM_DEFS });
    const run = await runCli(['--fix', 'trap', '--fix-dry-run', 'main.asm'], { cwd: dir });
    const notes = run.stderr.split('\n').filter((line) => line.includes('reported at a macro invocation'));
    assert.deepEqual(notes, ['virtlint: 2 findings are reported at a macro invocation and not rewritten there; --fix rewrites the macro\'s body line, which has its own finding']);
    assert.match(run.stdout, /^--- a\/main\.asm$/m);
    assert.match(run.stdout, /^-\s+sgdt \[gdt\]$/m, 'the direct finding is rewritten');
    assert.doesNotMatch(run.stdout, /^-\s+SAVE_FLAGS$/m, 'the invocation lines are left alone');
    assert.equal(fs.readFileSync(path.join(dir, 'main.asm'), 'utf8'), main, 'a dry run writes nothing');
    assert.equal(fs.readFileSync(path.join(dir, 'defs.inc'), 'utf8'), NASM_DEFS);
  });
});
