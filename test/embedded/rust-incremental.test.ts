// Reading an edited Rust file again from where the edit is (rust/incremental.ts) must give exactly
// what a fresh analysis of the new text gives: every edit below is checked against one, field by
// field (findings, instructions, blocks with their source maps, intrinsics, comments, problems).
import * as assert from 'node:assert/strict';
import { analyzeEmbedded, EmbeddedSession, type EmbeddedOptions, type EmbeddedResult } from '../../server/src/analysis/embedded/analyze';
import { scanRustIncrementally } from '../../server/src/analysis/embedded/rust';
import type { RustIncrementalState } from '../../server/src/analysis/embedded/rust/incremental';
import { asData, randomEdit, randomEdits, replaceOnce } from '../helpers/editedText';
import { seededRandom } from '../helpers/seededRandom';

/** Analyses texts one after the other through one session, each checked against a fresh analysis and a fresh scan. */
class Editor {
  readonly session = new EmbeddedSession();

  constructor(private readonly extra: Partial<EmbeddedOptions> = {}) {}

  private options(): EmbeddedOptions {
    return { language: 'rust', rules: ['all'], ...this.extra };
  }

  analyze(text: string, what: string): EmbeddedResult {
    const incremental = analyzeEmbedded(text, { ...this.options(), session: this.session });
    const fresh = analyzeEmbedded(text, this.options());
    assert.deepEqual(asData(incremental), asData(fresh), `${what}: the incremental analysis differs from a fresh one`);
    return incremental;
  }

  get read(): { from: number; to: number } {
    return this.session.rust.lastRead!;
  }
}

function items(count: number): string {
  const out: string[] = ['use core::arch::asm;', '#![allow(unused)]', ''];
  for (let k = 0; k < count; k++) {
    const body =
      k % 4 === 0 ? 'asm!("sgdt [{}]", in(reg) p);'
      : k % 4 === 1 ? 'let f: u64; asm!("pushfq", "pop {}", out(reg) f); // virtlint-disable-line pushf -- a test'
      : k % 4 === 2 ? 'let _ = core::arch::x86_64::_rdtsc(); asm!(r#"sidt [{}]"#, in(reg) p);'
      : 'asm!("nop", "str {0:x}", out(reg) _);';
    if (k % 5 === 3) out.push('#[cfg(target_arch = "x86")]');
    out.push(`/// item ${k}`, `pub unsafe fn f${k}(p: *mut u8) {`, `    ${body}`, '}', '');
    if (k % 6 === 5) out.push(`static S${k}: [u8; 2] = [1, 2];`, `macro_rules! m${k} { () => { core::arch::asm!("smsw ax") }; }`, '');
  }
  return out.join('\n');
}

const BASE = items(16);

describe('Rust front end: reading an edited file again from the edit', () => {
  it('an edit inside a function reads that function only, and the later blocks are the same objects', () => {
    const editor = new Editor();
    const before = editor.analyze(BASE, 'open');
    assert.ok(before.findings.some((f) => f.ruleId === 'sidt'));
    const edited = replaceOnce(BASE, 'sidt', 'sldt', 1);
    const after = editor.analyze(edited, 'sidt -> sldt');
    assert.equal(after.findings.filter((f) => f.ruleId === 'sldt').length, 1);
    const read = editor.read;
    assert.ok(read.to - read.from < 200, `read ${read.from}..${read.to} of ${edited.length}`);
    assert.equal(after.blocks[after.blocks.length - 1], before.blocks[before.blocks.length - 1], 'nothing moved after the edit: the last block was not read again');
  });

  it('a line added moves what follows, equal to a fresh reading', () => {
    const editor = new Editor();
    editor.analyze(BASE, 'open');
    const edited = replaceOnce(BASE, '    asm!("nop"', '    asm!("cli");\n    asm!("nop"', 2);
    editor.analyze(edited, 'a line added');
    assert.ok(editor.read.to - editor.read.from < 300, `read ${editor.read.from}..${editor.read.to} of ${edited.length}`);
  });

  it('an open brace, string or comment reads on to the end; closing it reads a little again', () => {
    const editor = new Editor();
    editor.analyze(BASE, 'open');
    const at = BASE.indexOf('pub unsafe fn f3');
    for (const opener of ['{', '"', '/*', 'r#"', '#![cfg(target_arch = "x86")]', '#[cfg(target_arch = "x86")] let x = { 1 }']) {
      const opened = BASE.slice(0, at) + opener + BASE.slice(at);
      editor.analyze(opened, `${opener} opened`);
      editor.analyze(BASE, `${opener} taken back`);
    }
    const inner = BASE.slice(0, at) + '#![cfg(target_arch = "x86")]\n' + BASE.slice(at);
    editor.analyze(inner, 'an inner cfg outside every block covers the rest of the file');
    assert.equal(editor.read.to, inner.length);
  });

  it('under an inner #![cfg] at the top of the file, an edit reads around itself and the attribute still decides', () => {
    for (const attribute of ['#![cfg(target_arch = "x86_64")]', '#![cfg(target_arch = "x86")]', '#![cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]']) {
      const editor = new Editor();
      const text = `${attribute}\n${BASE}`;
      const before = editor.analyze(text, `${attribute}: open`);
      const edited = replaceOnce(text, 'sidt', 'sldt', 2);
      const after = editor.analyze(edited, `${attribute}: sidt -> sldt`);
      assert.ok(editor.read.to - editor.read.from < 200, `${attribute}: read ${editor.read.from}..${editor.read.to} of ${edited.length}`);
      const x86 = !attribute.includes('not(');
      assert.equal(before.findings.length > 0, x86, `${attribute}: findings at open`);
      assert.equal(after.findings.filter((f) => f.ruleId === 'sldt').length, x86 ? 1 : 0);
      // Taking the attribute away (or changing what it allows) changes every later verdict: read to the end.
      editor.analyze(edited.slice(attribute.length + 1), `${attribute}: removed`);
      assert.equal(editor.read.to, edited.length - attribute.length - 1);
      editor.analyze(edited, `${attribute}: put back`);
      editor.analyze(edited.replace(attribute, '#![cfg(target_pointer_width = "64")]'), `${attribute}: changed`);
    }
  });

  it('after an asm!( that never closes (its arguments run to the end of the file), an edit below is read to the end', () => {
    const editor = new Editor();
    const unclosed = replaceOnce(BASE, 'in(reg) p);\n}', 'in(reg)\n}', 0);
    editor.analyze(unclosed, 'asm!( left open');
    for (const [from, to] of [['pop {}', 'pop {}, 1'], ['str {0:x}', 'str {0:x}, p'], ['sidt', 'sldt']] as const) {
      editor.analyze(replaceOnce(unclosed, from, to, 1), `${from} -> ${to} below it`);
      assert.equal(editor.read.to, unclosed.length + to.length - from.length);
    }
  });

  for (const seed of [1, 2, 3]) {
    it(`150 random edits (seed ${seed}), each equal to a fresh analysis`, () => {
      const random = seededRandom(seed);
      const pieces = ['{', '}', ';', '(', ')', '[', ']', '"', "'", 'r#"', '"#', '/*', '*/', '//', '\n', '\r\n', ' ', 'asm!("sgdt [{}]", in(reg) p);', 'core::arch::asm!("pushfq; popfq");', '#[cfg(target_arch = "x86")]', '#![cfg(not(target_arch = "x86_64"))]', '#[cfg(target_arch = "x86")] let x = { 1 };', '_rdtsc()', 'fn g() {}', 'macro_rules! m { () => {} }', '// virtlint-disable-next-line sgdt -- why\n', "'a", 'b"x"', 'static X: u8 = 1;'];
      const editor = new Editor();
      editor.analyze(BASE, 'open');
      randomEdits(BASE, pieces, random, 150, (text, step) => editor.analyze(text, `random edit ${step}`));
      // Garbage that piles up (an unclosed `/*` or `r#"`) makes whole re-reads right; how often an
      // edit is read in part is asked of single edits of the open file, each undone before the next.
      editor.analyze(BASE, 'open again');
      let partial = 0;
      for (let step = 0; step < 50; step++) {
        const text = randomEdit(BASE, pieces, random);
        editor.analyze(text, `single random edit ${step}`);
        if (editor.read.to - editor.read.from < text.length) partial++;
        editor.analyze(BASE, `single random edit ${step} undone`);
      }
      assert.ok(partial > 25, `most single edits were read in part: ${partial} of 50`);
    });
  }

  it('starts afresh under another bitness, and keeps nothing for a file with nothing to report', () => {
    const session = new EmbeddedSession();
    const options: EmbeddedOptions = { language: 'rust', rules: ['all'], session };
    analyzeEmbedded(BASE, options);
    const edited = replaceOnce(BASE, 'sidt', 'sldt');
    const bits32 = analyzeEmbedded(edited, { ...options, build: { bits: 32 } });
    assert.deepEqual(asData(bits32), asData(analyzeEmbedded(edited, { language: 'rust', rules: ['all'], build: { bits: 32 } })));
    assert.equal(session.rust.lastRead?.to, edited.length, 'read whole');
    const state: RustIncrementalState = {};
    scanRustIncrementally('fn main() {}\n', undefined, state);
    assert.equal(state.record, undefined);
  });
});
