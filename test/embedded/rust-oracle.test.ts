// rustc as the oracle for what an asm! template becomes: each case is compiled by Debian's rustc
// (1.63) for x86_64 and, as a `#![no_core]` crate under RUSTC_BOOTSTRAP=1 (its package has no
// i686 `core`), for i686, and
// the function's bytes decoded with iced-x86; the lines the Rust front end hands over, assembled
// by LLVM's assembler (clang -x assembler, the one rustc uses) in the block's syntax, must decode to the same run of iced Codes inside that function.
// The registers rustc picks may differ from ours; the instruction forms (class and width) may not.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { scanRust } from '../../server/src/analysis/embedded/rust';
import type { AsmBlock } from '../../server/src/analysis/embedded/types';
import { decodeAll } from '../helpers/assemble';
import { RUST_32_PRELUDE } from '../rules/hostPrelude';

const DEBIAN_RUSTC = '/usr/bin/rustc';

interface Case {
  /** The function's (or global_asm label's) symbol. */
  symbol: string;
  /** Rust source for the case: one `#[no_mangle]` function (or a `global_asm!`) holding one asm call. */
  source: string;
}

const fn = (symbol: string, body: string, params = ''): Case => ({
  symbol,
  source: `#[no_mangle]\npub unsafe fn ${symbol}(${params}) -> u64 {\n    let mut r: u64 = 0;\n    ${body}\n    r\n}\n`,
});

// Every case differs from the others: LLVM merges identical functions, leaving one symbol.
const CASES: Case[] = [
  fn('sgdt_reg', 'asm!("sgdt [{}]", in(reg) p);', 'p: *mut u8'),
  fn('segment_x', 'let x: u16; asm!("mov {0:x}, ds", out(reg) x); r = x as u64;'),
  fn('pushf_pop', 'asm!("pushfq", "pop {}", out(reg) r);'),
  fn('lsl_e', 'let a: u32; asm!("mov {0:e}, {1:e}", "lsl {0:e}, {1:e}", out(reg) a, in(reg) 0x2b_u32); r = a as u64;'),
  fn('named_popf', 'asm!("push {x}", "popfq", x = in(reg) 0x202_u64);'),
  fn('att_pop', 'asm!("pushfq", "popq {0}", "notq {0}", out(reg) r, options(att_syntax));'),
  fn('att_segment', 'let x: u16; asm!("movw %ds, {0:x}", "movw {0:x}, %es", out(reg) x, options(att_syntax)); r = x as u64;'),
  fn('byte_high', 'let a: u8; asm!("mov {0}, {1:h}", out(reg_byte) a, in(reg_abcd) 0x1234_u16); r = a as u64;'),
  fn('int_const', 'asm!("int {}", const 0x80);'),
  fn('int_named_const', 'asm!("int {n}", "int3", n = const 3);'),
  fn('call_sym', 'asm!("call {}", sym target, out("rax") _, out("rcx") _, out("rdx") _, out("rsi") _, out("rdi") _, out("r8") _, out("r9") _, out("r10") _, out("r11") _);'),
  fn('store_regs', 'let x: u64; asm!("str {0:x}", "sldt {0:x}", "smsw {0:e}", out(reg) x); r = x;'),
  fn('raw_cpuid', 'asm!(r#"push rbx\ncpuid\npop rbx"#, inout("eax") 0 => _, out("ecx") _, out("edx") _);'),
  fn('escapes', 'asm!("\\tpushfq\\n\\tpopfq", "\\x72dtsc", out("eax") _, out("edx") _);'),
  fn('braces', 'asm!("lea {0}, [{1} + 8]", "verw [{1}]", out(reg) r, in(reg) p);', 'p: *mut u16'),
  fn('rdpid_reg', 'asm!("rdpid {}", out(reg) r);'),
  fn('inout_lar', 'let mut v: u32 = 0x10; asm!("lar {0:e}, {0:e}", inout(reg) v); r = v as u64;'),
  fn('lateout_mix', 'let x: u64; asm!("mov {1}, {0}", "xgetbv", "push {1}", "pop {1}", in(reg) 0u64, lateout(reg) x, out("eax") _, out("edx") _, in("ecx") 0); r = x;'),
  fn('path_macro', 'core::arch::asm!("sidt [{}]", in(reg) p);', 'p: *mut u8'),
  fn('multi_line_continuation', 'asm!("pushfq\\n\\\n        popfq");'),
  { symbol: 'global_probe', source: 'core::arch::global_asm!(".globl global_probe", "global_probe:", "pushfq", "popfq", "iretq");\n' },
];

// `const` and `sym` operands were still unstable in rustc 1.63 (stable from 1.66): RUSTC_BOOTSTRAP lets Debian's rustc take them.
const PRELUDE = '#![feature(asm_const, asm_sym)]\n#![allow(unused_mut, unused_assignments)]\nuse core::arch::asm;\n#[no_mangle]\npub extern "C" fn target() {}\n';

// i686: Debian's rustc has no i686 `core`, so these are a `#![no_core]` crate (the prelude's lang
// items and built-in asm!), which RUSTC_BOOTSTRAP=1 lets it compile.
const fn32 = (symbol: string, body: string, params = ''): Case => ({
  symbol,
  source: `#[no_mangle]\npub unsafe fn ${symbol}(${params}) -> u32 {\n    let mut r: u32 = 0;\n    ${body}\n    r\n}\n`,
});

const CASES_32: Case[] = [
  fn32('sgdt_reg32', 'core::arch::asm!("sgdt [{}]", in(reg) p);', 'p: *mut u8'),
  fn32('pushfd_pop', 'core::arch::asm!("pushfd", "pop {}", out(reg) r);'),
  fn32('segment_x32', 'let x: u16; core::arch::asm!("mov {0:x}, ds", "push es", "pop ds", out(reg) x); r = x as u32;'),
  fn32('att_pop32', 'core::arch::asm!("pushfl", "popl {0}", "notl {0}", out(reg) r, options(att_syntax));'),
  fn32('far_call32', 'core::arch::asm!("call fword ptr [{0}]", "jmp fword ptr [{0}]", in(reg) p);', 'p: *mut u8'),
  fn32('far_att32', 'core::arch::asm!("lcall *({0})", "ljmp *({0})", in(reg) p, options(att_syntax));', 'p: *mut u16'),
  fn32('str_sldt32', 'let x: u32; core::arch::asm!("str {0:x}", "sldt {0:x}", "smsw {0:e}", out(reg) x); r = x;'),
  fn32('byte_high32', 'let a: u8; core::arch::asm!("mov {0}, {1:h}", out(reg_byte) a, in(reg_abcd) 0x1234_u16); r = a as u32;'),
  fn32('popfd_named', 'core::arch::asm!("push {x}", "popfd", x = in(reg) 0x202_u32);'),
  fn32('raw_cpuid32', 'core::arch::asm!(r#"push ebx\ncpuid\npop ebx"#, inout("eax") 0 => _, out("ecx") _, out("edx") _);'),
];

// ---------------------------------------------------------------- reading the object

const FUNCTION_HEADER = /^[0-9a-f]+ <([^>]+)>:$/;
const INSTRUCTION_LINE = /^\s*[0-9a-f]+:\t([0-9a-f ]+?)\s*(?:\t.*)?$/;

/** Symbol → code bytes, from `objdump -d` (symbols give the boundaries). */
function functionBytes(object: string): Map<string, number[]> {
  const result = spawnSync('objdump', ['-d', '-z', '--insn-width=16', object], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(result.status, 0, `objdump -d failed: ${result.stderr}`);
  const functions = new Map<string, number[]>();
  let current: number[] | undefined;
  for (const line of result.stdout.split('\n')) {
    const header = FUNCTION_HEADER.exec(line);
    if (header) {
      current = [];
      functions.set(header[1]!, current);
      continue;
    }
    const instruction = current && INSTRUCTION_LINE.exec(line);
    if (current && instruction) for (const byte of instruction[1]!.split(' ')) if (byte) current.push(parseInt(byte, 16));
  }
  return functions;
}

type Bits = 32 | 64;

function codeNames(bytes: Uint8Array | number[], bits: Bits): string[] {
  return decodeAll(Uint8Array.from(bytes), bits).map((d) => d.codeName);
}

function ourCodes(block: AsmBlock, bits: Bits): string[] {
  const header = block.syntax === 'att' ? (bits === 32 ? '.code32\n' : '') : `${bits === 32 ? '.code32\n' : ''}.intel_syntax noprefix\n`;
  const source = header + block.lines.map((line) => line.text).join('\n') + '\n';
  return codeNames(assembleWithLlvm(source, bits), bits);
}

/** LLVM's integrated assembler: GNU as and LLVM encode some forms differently (`mov ax, ds` with or without 0x66). */
function assembleWithLlvm(source: string, bits: Bits): Uint8Array {
  const input = path.join(dir, 'block.s');
  const object = path.join(dir, 'block.o');
  const text = path.join(dir, 'block.bin');
  fs.writeFileSync(input, source);
  const assembled = spawnSync('clang', [`--target=${bits === 32 ? 'i686' : 'x86_64'}-unknown-linux-gnu`, '-c', '-x', 'assembler', '-o', object, input], { encoding: 'utf8' });
  if (assembled.error) throw new Error(`clang could not run (${assembled.error.message}): apt-get install -y clang`);
  assert.equal(assembled.status, 0, `clang -x assembler:\n${source}\n${assembled.stderr}`);
  const copied = spawnSync('objcopy', ['-O', 'binary', '-j', '.text', object, text], { encoding: 'utf8' });
  assert.equal(copied.status, 0, `objcopy: ${copied.stderr}`);
  return fs.readFileSync(text);
}

function containsRun(haystack: readonly string[], needle: readonly string[]): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let k = 0; k < needle.length; k++) if (haystack[i + k] !== needle[k]) continue outer;
    return true;
  }
  return false;
}

let dir: string;

interface OracleRun {
  bits: Bits;
  cases: readonly Case[];
  /** What goes before the cases (features, a `#![no_core]` prelude). */
  prelude: string;
}

const RUNS: OracleRun[] = [
  { bits: 64, cases: CASES, prelude: PRELUDE },
  { bits: 32, cases: CASES_32, prelude: `${RUST_32_PRELUDE}\n` },
];

for (const run of RUNS) {
  const target = run.bits === 64 ? 'x86_64-unknown-linux-gnu' : 'i686-unknown-linux-gnu';
  describe(`rust front end against rustc: templates as compiled (${target})`, function () {
    this.timeout(180_000);
    let functions: Map<string, number[]>;
    let blocks: AsmBlock[];

    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtlint-rust-oracle-'));
      const text = run.prelude + run.cases.map((c) => c.source).join('\n');
      const source = path.join(dir, 'cases.rs');
      fs.writeFileSync(source, text);
      const object = path.join(dir, 'cases.o');
      const args = ['--edition=2021', '--crate-type=lib', '--emit=obj', '-O', '-C', 'debuginfo=0', '--target', target, '-o', object, source];
      const result = spawnSync(DEBIAN_RUSTC, args, { encoding: 'utf8', timeout: 120_000, env: { ...process.env, RUSTC_BOOTSTRAP: '1' } });
      if (result.error) throw new Error(`${DEBIAN_RUSTC} could not run (${result.error.message}): apt-get install -y rustc`);
      assert.equal(result.status, 0, `rustc ${args.join(' ')}:\n${result.stderr}`);
      functions = functionBytes(object);
      const scan = scanRust(text, { build: { bits: run.bits } });
      assert.deepEqual(scan.problems, [], 'the cases are valid Rust: no front-end problem expected');
      blocks = [...scan.blocks];
    });

    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('finds one block per case', () => {
      assert.equal(blocks.length, run.cases.length);
    });

    run.cases.forEach((testCase, index) => {
      it(`${testCase.symbol}: the lines handed over assemble to what rustc emitted`, () => {
        const block = blocks[index];
        assert.ok(block, `no block for ${testCase.symbol}`);
        const compiled = functions.get(testCase.symbol);
        assert.ok(compiled, `rustc emitted no ${testCase.symbol} (symbols: ${[...functions.keys()].join(", ")})`);
        const ours = ourCodes(block, run.bits);
        assert.ok(ours.length > 0, `${testCase.symbol}: our lines assemble to nothing: ${JSON.stringify(block.lines.map((l) => l.text))}`);
        const theirs = codeNames(compiled, run.bits);
        assert.ok(
          containsRun(theirs, ours),
          `${testCase.symbol}: ours ${ours.join(' ')} (from ${JSON.stringify(block.lines.map((l) => l.text))}) not in rustc's ${theirs.join(' ')}`,
        );
      });
    });
  });
}
