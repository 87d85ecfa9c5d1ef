// compile_commands.json: which flags reach an assembly file. The bitness nasm starts each output
// format in is taken from nasm itself, and cc's -m32/-m64 from GNU as through gcc.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCompileCommands, splitCommand, type BuildEntry } from '../../server/src/analysis/project/compileCommands';

function entriesOf(database: unknown): BuildEntry[] {
  const parsed = parseCompileCommands(JSON.stringify(database));
  assert.ok(parsed.ok, JSON.stringify(parsed.problems));
  assert.deepEqual(parsed.problems, []);
  return parsed.entries;
}

function only(database: unknown): BuildEntry {
  const entries = entriesOf(database);
  assert.equal(entries.length, 1, JSON.stringify(entries));
  return entries[0]!;
}

describe('config: compile_commands.json', () => {
  it('takes include paths relative to the directory, defines and undefines in order', () => {
    const entry = only([
      {
        directory: '/src/kernel/build',
        file: '../arch/entry.S',
        arguments: ['gcc', '-c', '-I../include', '-I', '/abs/inc', '-iquote', 'q', '-isystem', 'sys', '-DA', '-D', 'B=2', '-DC=x=y', '-UA', '-m32', '-o', 'entry.o', '../arch/entry.S'],
      },
    ]);
    assert.equal(entry.file, '/src/kernel/arch/entry.S');
    assert.deepEqual(entry.includePaths, ['/src/kernel/include', '/abs/inc', '/src/kernel/build/q', '/src/kernel/build/sys']);
    assert.deepEqual(entry.defines, { B: '2', C: 'x=y' });
    assert.equal(entry.bits, 32);
    assert.deepEqual(entry.settings, { dialectFamily: 'gas', bits: 32 });
  });

  it('splits "command" as a shell does: quotes and backslashes', () => {
    assert.deepEqual(splitCommand(`cc -DMSG="a b" -I'dir with space' x\\ y.S "q\\"uote"`), ['cc', '-DMSG=a b', '-Idir with space', 'x y.S', 'q"uote']);
    const entry = only([{ directory: '/p', file: 'boot.asm', command: 'nasm -f bin -I inc/ "-DNAME=two words" boot.asm -o boot.bin' }]);
    assert.deepEqual(entry.includePaths, ['/p/inc']);
    assert.deepEqual(entry.defines, { NAME: 'two words' });
    assert.deepEqual(entry.settings, { dialect: 'nasm', bits: 16 });
  });

  it('reads the assembler flags passed through the driver (-Wa, -Xassembler) and --target', () => {
    assert.equal(only([{ directory: '/p', file: 'a.S', arguments: ['cc', '-Wa,--32,-I,wa', 'a.S'] }]).bits, 32);
    assert.deepEqual(only([{ directory: '/p', file: 'a.S', arguments: ['cc', '-Wa,--32,-I,wa', 'a.S'] }]).includePaths, ['/p/wa']);
    assert.equal(only([{ directory: '/p', file: 'a.s', arguments: ['as', '--64', 'a.s'] }]).bits, 64);
    assert.equal(only([{ directory: '/p', file: 'a.S', arguments: ['clang', '-Xassembler', '--32', 'a.S'] }]).bits, 32);
    assert.equal(only([{ directory: '/p', file: 'a.S', arguments: ['clang', '--target=i686-linux-gnu', 'a.S'] }]).bits, 32);
    assert.equal(only([{ directory: '/p', file: 'a.S', arguments: ['cc', '-m32', '-m64', 'a.S'] }]).bits, 64, 'the last flag wins');
    assert.equal(only([{ directory: '/p', file: 'a.S', arguments: ['cc', 'a.S'] }]).bits, undefined);
  });

  it('keeps assembly and C/C++ files, the first entry for a file, and reads yasm/fasm/ml as their dialects', () => {
    const entries = entriesOf([
      { directory: '/p', file: 'main.c', arguments: ['cc', '-m32', 'main.c'] },
      { directory: '/p', file: 'intel.cpp', arguments: ['c++', '-masm=intel', '-c', 'intel.cpp'] },
      { directory: '/p', file: 'README', arguments: ['cc', 'README'] },
      { directory: '/p', file: 'x.S', arguments: ['cc', '-m32', 'x.S'] },
      { directory: '/p', file: 'x.S', arguments: ['cc', '-m64', 'x.S'] },
      { directory: '/p', file: 'odd.src', arguments: ['/usr/bin/yasm', '-f', 'elf64', 'odd.src'] },
      { directory: '/p', file: 'f.inc', arguments: ['fasm', 'f.inc'] },
      { directory: 'C:\\proj', file: 'w.asm', arguments: ['ml64.exe', 'w.asm'] },
    ]);
    assert.deepEqual(
      entries.map((e) => [e.file, e.settings]),
      [
        ['/p/main.c', { bits: 32 }],
        ['/p/intel.cpp', {}],
        ['/p/x.S', { dialectFamily: 'gas', bits: 32 }],
        ['/p/odd.src', { dialect: 'nasm', bits: 64 }],
        ['/p/f.inc', { dialect: 'fasm' }],
        ['C:/proj/w.asm', { dialect: 'masm' }],
      ],
    );
    assert.deepEqual(entries.map((e) => e.asmSyntax), [undefined, 'intel', undefined, undefined, undefined, undefined]);
  });

  it('reports bad entries with their position and goes on; refuses a file that is not a database', () => {
    const text = '[\n  {"directory": "/p", "file": "a.asm"},\n  {"directory": "/p", "file": "b.asm", "arguments": ["nasm", 3]},\n  7,\n  {"directory": "/p", "file": "c.asm", "command": "nasm -f elf32 c.asm"}\n]';
    const parsed = parseCompileCommands(text);
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.entries.map((e) => e.file), ['/p/c.asm']);
    assert.deepEqual(
      parsed.problems.map((p) => [p.line, p.message]),
      [
        [2, 'entry 0 has neither "arguments" nor "command"'],
        [3, 'entry 1: "arguments" must be an array of strings'],
        [4, 'entry 2 must be an object, not a number'],
      ],
    );
    const notArray = parseCompileCommands('{"directory": "/p"}');
    assert.equal(notArray.ok, false);
    assert.match(notArray.problems[0]!.message, /must be an array, not an object/);
    assert.equal(parseCompileCommands('[{"file": ').ok, false);
  });

  describe('nasm -f FORMAT: the bitness nasm itself starts in', () => {
    let dir: string;
    before(function () {
      if (spawnSync('nasm', ['-v']).status !== 0) throw new Error('nasm is needed for this oracle');
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtlint-ccdb-'));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    // `push eax` is 50 in 32-bit code, 66 50 in 16-bit code, and an error in 64-bit code.
    function nasmBits(format: string): number {
      const source = path.join(dir, 'probe.asm');
      fs.writeFileSync(source, 'push eax\n');
      const listing = path.join(dir, `probe-${format}.lst`);
      const run = spawnSync('nasm', ['-f', format, source, '-o', path.join(dir, `probe-${format}.o`), '-l', listing], { encoding: 'utf8' });
      if (run.status !== 0) {
        assert.match(run.stderr, /not supported in 64-bit mode/, `${format}: ${run.stderr}`);
        return 64;
      }
      const bytes = /^\s*1\s+[0-9A-F]+\s+([0-9A-F]+)/m.exec(fs.readFileSync(listing, 'utf8'))?.[1];
      if (bytes === '6650') return 16;
      if (bytes === '50') return 32;
      throw new Error(`${format}: unexpected listing bytes ${bytes}`);
    }

    for (const format of ['bin', 'elf', 'elf32', 'elf64', 'elfx32', 'win32', 'win64', 'coff', 'macho32', 'macho64', 'aout', 'as86']) {
      it(format, () => {
        const entry = only([{ directory: dir, file: 'probe.asm', arguments: ['nasm', `-f${format}`, 'probe.asm'] }]);
        assert.equal(entry.bits, nasmBits(format));
      });
    }
  });
});
