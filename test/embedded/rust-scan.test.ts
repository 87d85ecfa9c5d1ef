// The Rust front end on its own: which macro calls and intrinsic calls it finds, the text it
// hands the core, and source maps checked character by character against the host text.
import * as assert from 'node:assert/strict';
import { scanRust } from '../../server/src/analysis/embedded/rust';
import type { AsmBlock, AsmLine, EmbeddedScan, HostBuild } from '../../server/src/analysis/embedded/types';
import { lineOffsets } from '../../server/src/analysis/text/lineBreaks';
import { seededRandom } from '../helpers/seededRandom';

function hostSlice(text: string, range: { start: { line: number; character: number }; end: { line: number; character: number } }): string {
  const { starts } = lineOffsets(text);
  return text.slice(starts[range.start.line]! + range.start.character, starts[range.end.line]! + range.end.character);
}

/** Every exact segment reads the same in the host; every other segment covers host text; segments are sorted and inside the line. */
function checkMap(text: string, line: AsmLine): void {
  let last = 0;
  for (const segment of line.segments) {
    assert.ok(segment.textStart >= last && segment.textEnd <= line.text.length && segment.textStart <= segment.textEnd, `segments of "${line.text}"`);
    last = segment.textEnd;
    const host = hostSlice(text, segment.host);
    if (segment.exact) assert.equal(host, line.text.slice(segment.textStart, segment.textEnd), `exact segment of "${line.text}"`);
    else assert.ok(host.length > 0, `inexact segment of "${line.text}" covers no host text`);
  }
}

function scan(text: string, build?: HostBuild): EmbeddedScan {
  const result = scanRust(text, { build });
  for (const block of result.blocks) for (const line of block.lines) checkMap(text, line);
  return result;
}

function texts(block: AsmBlock | undefined): string[] {
  assert.ok(block, 'no block');
  return block.lines.map((line) => line.text);
}

/** The host text a placeholder's substitution maps to. */
function substitutionSource(text: string, line: AsmLine, substituted: string): string {
  const at = line.text.indexOf(substituted);
  assert.ok(at >= 0, `"${substituted}" not in "${line.text}"`);
  const segment = line.segments.find((s) => s.textStart === at && s.textEnd === at + substituted.length);
  assert.ok(segment, `no segment for "${substituted}" in "${line.text}"`);
  return hostSlice(text, segment.host);
}

describe('rust front end: asm! forms', () => {
  it('finds asm!, global_asm!, naked_asm! under any path', () => {
    const text = [
      'use std::arch::asm;',
      'unsafe fn a() { asm!("cpuid"); }',
      'unsafe fn b() { core::arch::asm!("rdtsc"); }',
      'unsafe fn c() { ::std::arch::asm!("sldt ax"); }',
      'global_asm!("str ax");',
      'core::arch::global_asm!("smsw ax");',
      '#[naked] unsafe extern "C" fn d() { naked_asm!("pushfq", "ret") }',
      'macro_rules! m { () => { $crate::arch::asm!("lsl eax, ecx") } }',
    ].join('\n');
    const result = scan(text);
    assert.deepEqual(
      result.blocks.map((b) => [b.form, texts(b).join('|')]),
      [
        ['rust-asm', 'cpuid'],
        ['rust-asm', 'rdtsc'],
        ['rust-asm', 'sldt ax'],
        ['rust-global-asm', 'str ax'],
        ['rust-global-asm', 'smsw ax'],
        ['rust-naked-asm', 'pushfq|ret'],
        ['rust-asm', 'lsl eax, ecx'],
      ],
    );
    assert.equal(hostSlice(text, result.blocks[2]!.range), '::std::arch::asm!("sldt ax")');
    assert.equal(hostSlice(text, result.blocks[2]!.keywordRange), 'asm!');
  });

  it('accepts asm![…] and asm!{…} delimiters', () => {
    const result = scan('fn f() { unsafe { asm!["sidt [rax]"]; asm!{"sgdt [rax]"} } }');
    assert.deepEqual(result.blocks.map((b) => texts(b)[0]), ['sidt [rax]', 'sgdt [rax]']);
  });

  it('does not mistake definitions, methods or text for calls', () => {
    const text = [
      'macro_rules! asm { () => {} }',
      'fn asm() {}',
      'fn f(x: X) { x.asm(); let s = "asm!(\\"cpuid\\")"; }',
      '// asm!("cpuid")',
      '/* asm!("cpuid") */',
    ].join('\n');
    assert.equal(scan(text).blocks.length, 0);
  });

  it('joins several template strings with newlines, one line each', () => {
    const text = 'unsafe fn f() { asm!("pushfq", "pop rax", "push rax", "popfq"); }';
    const block = scan(text).blocks[0];
    assert.deepEqual(texts(block), ['pushfq', 'pop rax', 'push rax', 'popfq']);
    assert.equal(hostSlice(text, block!.lines[1]!.fallback), '"pop rax"');
  });

  it('splits a string at \\n escapes and at real newlines, keeping columns', () => {
    const text = 'unsafe fn f() {\n    asm!("mov ax, ds\\n  mov es, ax",\n         "cpuid\n  rdtsc");\n}';
    const block = scan(text).blocks[0];
    assert.deepEqual(texts(block), ['mov ax, ds', '  mov es, ax', 'cpuid', '  rdtsc']);
    const rdtsc = block!.lines[3]!;
    assert.deepEqual(rdtsc.segments[0]!.host.start, { line: 3, character: 0 });
  });

  it('reads escapes (\\t, \\x41, \\u{…}, \\\\, \\") and line continuations', () => {
    const text = 'unsafe fn f() { asm!("\\tcpuid \\x2f\\x2f \\u{41}\\\\\\"", "rdtsc\\\n        ; next"); }';
    const block = scan(text).blocks[0];
    assert.deepEqual(texts(block), ['\tcpuid // A\\"', 'rdtsc; next']);
  });

  it('reads raw strings r"…" and r#"…"# with quotes and braces inside', () => {
    const text = 'unsafe fn f() { asm!(r"sgdt [{}]", r#"mov "x", 1"#, r##"cpuid"#"##, in(reg) p); }';
    const block = scan(text).blocks[0];
    assert.deepEqual(texts(block), ['sgdt [rax]', 'mov "x", 1', 'cpuid"#']);
  });

  it('reads CRLF files: lines and columns as LSP counts them', () => {
    const text = 'unsafe fn f() {\r\n  asm!("str ax",\r\n       "verw [rax]");\r\n}\r\n';
    const block = scan(text).blocks[0];
    assert.deepEqual(texts(block), ['str ax', 'verw [rax]']);
    assert.deepEqual(block!.lines[1]!.segments[0]!.host.start, { line: 2, character: 8 });
  });
});

describe('rust front end: placeholders and operands', () => {
  it('substitutes {} in order, {0}, {name} and {0:x}-style modifiers (64-bit default)', () => {
    const text = 'unsafe fn f() { asm!("mov {}, {}", "mov {1:e}, {0:x}", "mov {a:l}, {a:h}", in(reg) x, out(reg) y, a = inout(reg_abcd) z => w); }';
    const block = scan(text).blocks[0];
    assert.deepEqual(texts(block), ['mov rax, rcx', 'mov ecx, ax', 'mov dl, dh']);
    const line = block!.lines[1]!;
    assert.equal(substitutionSource(text, line, 'ecx'), '{1:e}');
    assert.equal(substitutionSource(text, line, 'ax'), '{0:x}');
  });

  it('uses 32-bit registers in 32-bit code and the AT&T % prefix under options(att_syntax)', () => {
    const text = 'unsafe fn f() { asm!("pushfl", "popl {0}", "movw %ds, {0:x}", out(reg) x, options(nomem, att_syntax)); }';
    const block = scan(text, { bits: 32 }).blocks[0];
    assert.equal(block!.syntax, 'att');
    assert.deepEqual(texts(block), ['pushfl', 'popl %eax', 'movw %ds, %ax']);
  });

  it('substitutes const values and sym names, and unescapes {{ }}', () => {
    const text = 'unsafe fn f() { asm!("int {v}", "call {f}", "mov eax, {c}", ".byte {{0}}", v = const 0x2c, f = sym self::handler, c = const -1_i32); }';
    assert.deepEqual(texts(scan(text).blocks[0]), ['int 44', 'call handler', 'mov eax, -1', '.byte {0}']);
  });

  it('leaves explicit-register operands out of the numbering', () => {
    const text = 'unsafe fn f() { asm!("cpuid", "mov {0:e}, ebx", out(reg) b, inout("eax") 1 => a, out("ecx") c, out("edx") _); }';
    assert.deepEqual(texts(scan(text).blocks[0]), ['cpuid', 'mov eax, ebx']);
  });

  it('options(raw) keeps the text as written', () => {
    const text = 'unsafe fn f() { asm!("mov {0}, 1", options(raw)); }';
    assert.deepEqual(texts(scan(text).blocks[0]), ['mov {0}, 1']);
  });

  it('reports bad placeholders and still hands the block over', () => {
    const text = 'unsafe fn f() { asm!("sgdt [{9}]", "push {", "pop }", "mov {nope}, 1", in(reg) p); }';
    const result = scan(text);
    assert.equal(result.blocks.length, 1);
    assert.deepEqual(texts(result.blocks[0]).slice(0, 1), ['sgdt [rax]']);
    assert.equal(result.problems.length, 4, JSON.stringify(result.problems.map((p) => p.message)));
  });

  it('reports the syntax from options and intel by default', () => {
    const result = scan('unsafe fn f() { asm!("cpuid"); asm!("cpuid", options(att_syntax, nostack)); }');
    assert.deepEqual(result.blocks.map((b) => b.syntax), ['intel', 'att']);
  });
});

describe('rust front end: #[cfg(target_arch)]', () => {
  it('sets bits from the attribute on the item, statement or block', () => {
    const text = [
      '#[cfg(target_arch = "x86")]',
      'unsafe fn a() { asm!("pushfd"); }',
      '#[cfg(target_arch = "x86_64")]',
      'unsafe fn b() { asm!("pushfq"); }',
      'unsafe fn c() {',
      '    #[cfg(target_arch = "x86")]',
      '    asm!("mov {}, ds", out(reg) x);',
      '    #[cfg(all(unix, target_arch = "x86_64"))]',
      '    unsafe { asm!("mov {}, ds", out(reg) x); }',
      '    asm!("cpuid");',
      '}',
    ].join('\n');
    const result = scan(text);
    assert.deepEqual(
      result.blocks.map((b) => [texts(b)[0], b.bits]),
      [
        ['pushfd', 32],
        ['pushfq', 64],
        ['mov eax, ds', 32],
        ['mov rax, ds', 64],
        ['cpuid', undefined],
      ],
    );
  });

  it('an inner #![cfg] covers its module, any() leaves bits open, other arches are skipped', () => {
    const text = [
      'mod m32 {',
      '    #![cfg(target_arch = "x86")]',
      '    unsafe fn a() { asm!("sidt [eax]"); }',
      '}',
      '#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]',
      'unsafe fn b() { asm!("rdtscp"); }',
      '#[cfg(target_arch = "aarch64")]',
      'unsafe fn c() { asm!("mrs x0, cntvct_el0"); }',
      '#[cfg(not(target_arch = "x86"))]',
      'mod m { #[cfg(target_pointer_width = "64")] unsafe fn d() { asm!("rdpid rax"); } }',
      'unsafe fn e() { asm!("cpuid"); }',
    ].join('\n');
    const result = scan(text);
    assert.deepEqual(
      result.blocks.map((b) => [texts(b)[0], b.bits]),
      [
        ['sidt [eax]', 32],
        ['rdtscp', undefined],
        ['rdpid rax', 64],
        ['cpuid', undefined],
      ],
    );
  });
});

describe('rust front end: comments, lifetimes, char literals', () => {
  it('keeps // and nested /* */ comments, cut per line, with their columns', () => {
    const text = 'fn f() { // virtlint-disable-next-line cpuid -- probe\n  /* outer /* inner */\n still */ unsafe { asm!("cpuid") } }';
    const result = scan(text);
    assert.deepEqual(result.comments, [
      { line: 0, start: 9, text: '// virtlint-disable-next-line cpuid -- probe' },
      { line: 1, start: 2, text: '/* outer /* inner */' },
      { line: 2, start: 0, text: ' still */' },
    ]);
    assert.equal(result.blocks.length, 1);
  });

  it("tells lifetimes from char literals ('a vs 'a' vs '\"')", () => {
    const text = "fn f<'a>(x: &'a u8) -> char { let q = '\"'; let c = 'a'; let e = '\\''; 'outer: loop { break 'outer; } unsafe { asm!(\"str ax\") } }";
    const result = scan(text);
    assert.deepEqual(texts(result.blocks[0]), ['str ax']);
    assert.deepEqual(result.problems, []);
  });
});

describe('rust front end: macro_rules!', () => {
  it('reports a body whose template and operand classes are written out, at the definition', () => {
    const text = 'macro_rules! sidt { ($p:expr) => { core::arch::asm!("sidt [{}]", in(reg) $p) }; }';
    const block = scan(text).blocks[0];
    assert.deepEqual(texts(block), ['sidt [rax]']);
  });

  it('leaves a body whose template or operand class comes from the caller', () => {
    const text = [
      'macro_rules! a { ($t:literal) => { asm!($t) } }',
      'macro_rules! b { ($c:ident) => { asm!("mov {}, ds", out($c) x) } }',
      'macro_rules! c { ($o:tt) => { asm!("cpuid", options($o)) } }',
    ].join('\n');
    assert.equal(scan(text).blocks.length, 0);
  });
});

describe('rust front end: intrinsic calls', () => {
  it('finds core::arch calls by their last path segment, with the path as written', () => {
    const text = [
      'use core::arch::x86_64::{__cpuid, _rdtsc};',
      'unsafe fn f() -> u64 {',
      '    let r = __cpuid(0);',
      '    let t = core::arch::x86_64::_rdtsc();',
      '    let u = std::arch::x86_64::__rdtscp(&mut aux);',
      '    _xgetbv(0) + __readeflags()',
      '}',
    ].join('\n');
    const result = scan(text);
    assert.deepEqual(
      result.intrinsics.map((c) => [c.name, hostSlice(text, c.range), c.instruction(64)]),
      [
        ['__cpuid', '__cpuid', 'cpuid'],
        ['core::arch::x86_64::_rdtsc', 'core::arch::x86_64::_rdtsc', 'rdtsc'],
        ['std::arch::x86_64::__rdtscp', 'std::arch::x86_64::__rdtscp', 'rdtscp'],
        ['_xgetbv', '_xgetbv', 'xgetbv'],
        ['__readeflags', '__readeflags', 'pushfq'],
      ],
    );
  });

  it('skips definitions and methods of the same name, and has_cpuid outside 32-bit code', () => {
    const text = [
      'fn __cpuid(x: u32) {}',
      'fn g(x: X) { x._rdtsc(); has_cpuid(); }',
      '#[cfg(target_arch = "x86")] fn h() -> bool { has_cpuid() }',
    ].join('\n');
    const result = scan(text);
    assert.deepEqual(result.intrinsics.map((c) => [c.name, c.bits, c.instruction(32)]), [['has_cpuid', 32, 'pushfd']]);
  });

  it('C and C++ names are not Rust intrinsics', () => {
    assert.equal(scan('fn f() { __rdtsc(); __sidt(p); }').intrinsics.length, 0);
  });
});

describe('rust front end: bad input', () => {
  it('unterminated strings, comments and calls are reported, not thrown', () => {
    for (const text of ['asm!("cpuid', 'asm!(r#"cpuid"', '/* /* */ asm!("x")', 'asm!("cpuid", in(reg', 'asm!(', "asm!(); let c = '\\", 'asm!("\\u{110000}")']) {
      const result = scanRust(text, {});
      assert.ok(result.problems.length > 0, `no problem for ${JSON.stringify(text)}`);
    }
  });

  it('random garbage built from Rust pieces never throws and every map stays inside the host', () => {
    const random = seededRandom(1313);
    const pieces = ['asm!(', 'global_asm!{', '"', 'r#"', '"#', '{', '}', '{0:x}', '{{', '(', ')', '[', ']', ',', 'in(reg) x', 'const 5', 'sym f', 'options(att_syntax)', '#[cfg(target_arch = "x86")]', '#![cfg(', '//', '/*', '*/', '\n', '\r\n', '\r', "'a", "'", '\\', '\\u{', 'cpuid', '__cpuid(', '$x', '::', '!', '\u00e9', '\ud83d\ude00', ' '];
    for (let round = 0; round < 400; round++) {
      let text = '';
      const length = 1 + random(60);
      for (let k = 0; k < length; k++) text += pieces[random(pieces.length)]!;
      const result = scanRust(text, {});
      const lines = lineOffsets(text).starts.length;
      for (const block of result.blocks) {
        for (const line of block.lines) {
          for (const segment of line.segments) assert.ok(segment.host.end.line < lines, JSON.stringify(text));
          checkMap(text, line);
        }
      }
    }
  });

  it('deep nesting and long garbage stay bounded', () => {
    const deep = 'asm!(' + '('.repeat(50_000) + ']'.repeat(50_000);
    const result = scanRust(deep, {});
    assert.ok(result.problems.length > 0 && result.problems.length <= 200);
    const attrs = '#[cfg(target_arch = "x86")]'.repeat(20_000) + 'asm!("cpuid")';
    assert.equal(scanRust(attrs, {}).blocks.length, 1);
  });
});
