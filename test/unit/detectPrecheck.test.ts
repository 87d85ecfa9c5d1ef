// Dialect detection skips a content pattern when the sample lacks the words it needs: a word
// anywhere in the text, or, for a pattern that is a line's first word, a line starting with it.
// Skipping must never change a score: every sample here is scored with and without the checks.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { contentScores, sampleOf } from '../../server/src/analysis/syntax/detect';
import { splitLines } from '../../server/src/analysis/text/lineBreaks';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** Lines each of which some signal votes for, in the spellings assemblers accept. */
const SIGNAL_LINES = [
  'ASSUME cs:code, ds:code', '\t  End start', 'end', 'INVOKE ExitProcess, 0', 'includelib kernel32.lib', 'Option casemap:none',
  '.MODEL small', '  .386p', '.686', '.x64', '.XMM', '.mmx', '.STACK 100h', 'main PROC', 'main endp', 'code SEGMENT', 'm MACRO a',
  'mov eax, DWORD PTR [x]', 'mov eax, offset x', 'FORMAT PE GUI 4.0', 'format ELF64', 'Use16', 'use64', 'MACRO foo {', 'macro bar a, b',
  'rept 4 {', 'IRP r, a,b {', 'match =x, y {', "include 'win32a.inc'", 'x pword 0', 'buf rb 16', 'Section .text', 'segment .data',
  'GLOBAL _start', 'extern printf', 'default rel', 'DEFAULT REL', '%macro m 1', '  %  define X 1', 'bits 16', '[BITS 32]', '  [ bits 64 ]',
  'mov byte [eax], 1', 'resb 4', '  #include <asm/x.h>', '# define X', ' .globl f', '.CODE16', '.intel_syntax noprefix', 'movl %eax, %ebx',
  'movl $0x10, %eax', 'mov $5, %al', 'pushfq', '.386P', '.386px', '.386.', 'assume\u00e9 x', 'use16x', 'USE32', '.', '%', 'end_of_it', 'endm',
];

/** How a line may stand in a sample: indented with spaces, tabs or other blanks, after a separator that also starts a line. */
const PLACINGS: Array<(line: string) => string> = [
  (line) => line,
  (line) => `    ${line}`,
  (line) => `\t${line}`,
  (line) => `\u00a0${line}`,
  (line) => `x:\n${line}`,
  (line) => `x\u2028${line}`,
  (line) => `x\u2029 ${line}`,
  (line) => `x\r${line}`,
  (line) => `; ${line}`,
  (line) => `nop ; ${line.toUpperCase()}`,
  (line) => `\n\n${line}\n`,
];

function assertSameScores(sample: string, what: string): void {
  assert.deepEqual(contentScores(sample), contentScores(sample, false), what);
}

function sourcesUnder(dir: string, found: string[]): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) sourcesUnder(full, found);
    else if (/\.(asm|s|S|inc|nasm|fasm|masm|mac|x16)$/.test(entry.name) && fs.statSync(full).size < 2_000_000) found.push(full);
  }
}

describe('dialect detection: the word checks in front of the patterns change no score', () => {
  it('each signal line, alone and placed every way a line can start', () => {
    for (const line of SIGNAL_LINES) for (const place of PLACINGS) assertSameScores(place(line), JSON.stringify(place(line)));
  });

  it('each pair of signal lines', () => {
    for (const first of SIGNAL_LINES) for (const second of SIGNAL_LINES) assertSameScores(`${first}\n${second}`, `${first} / ${second}`);
  });

  it('every assembly source of the tests, the examples and the proof bench', () => {
    const files: string[] = [];
    for (const dir of ['test', 'examples', 'proof']) sourcesUnder(path.join(ROOT, dir), files);
    assert.ok(files.length > 50, `only ${files.length} sources found`);
    for (const file of files) assertSameScores(sampleOf(splitLines(fs.readFileSync(file, 'latin1'))), file);
  });

  it('the checks do rule patterns out (they are not all let through)', () => {
    // A GNU as sample: the MASM and FASM line patterns must be skipped, yet score the same.
    const sample = ['.text', '.globl f', 'f:', '\tmovl %eax, %ebx', '\tret', '# the end, assume nothing; format and use are words'].join('\n');
    assert.deepEqual(contentScores(sample), contentScores(sample, false));
    assert.equal(contentScores(sample).masm, 0);
  });
});
