// A small x86 length decoder for the binary scanner's hot loop.
//
// It handles the everyday, unambiguous encodings (ALU ops, MOV, LEA, Jcc, CALL/JMP near,
// SSE with a ModRM byte, ...) and answers DEFER for everything else: every opcode that could
// belong to a catalogue rule, LOCK, address-size overrides, VEX/EVEX/XOP, x87, 3-byte maps and
// anything whose length depends on details we do not model. The sweep asks iced-x86 about the
// deferred positions, so the result is exactly iced's linear sweep; `test/scan/sweep.test.ts`
// checks boundaries and findings against a plain iced sweep on real and random bytes.
//
// The tables below only say how an opcode is sized. Whether iced accepts a given combination of
// opcode, mandatory prefix, REX.W, ModRM.reg and register/memory form (iced stops early on invalid
// combinations, so their length differs) is learnt from iced itself: the first time a combination
// is seen, `probeShape` decodes every ModRM/SIB shape of it and keeps it on the fast path only when
// iced agrees on every length and none of them is an instruction a rule covers.
//
// Return values: a length (1..15), DEFER (0), or BARE_INT3 (-1: the byte 0xCC with no prefix).
import { iced } from '../analysis/resolve/iced';
import { ruleForCode } from '../analysis/resolve/classify';

export const DEFER = 0;
export const BARE_INT3 = -1;

// Per-opcode descriptors. Bits 0..3: immediate kind; bit 4: has ModRM; bit 5: defer; bit 6: group
// opcode whose ModRM.reg needs a special check (see `groupCheck`).
const IMM_NONE = 0;
const IMM_B = 1; // 1 byte
const IMM_W = 2; // 2 bytes
const IMM_Z = 3; // 2 or 4 bytes by operand size
const IMM_V = 4; // 2, 4 or 8 bytes by operand size (MOV r, imm)
const IMM_MOFFS = 5; // address-size offset (MOV AL, moffs)
const IMM_ENTER = 6; // iw + ib
const IMM_REL_Z = 7; // near branch displacement: defer when 66 is present (mode-specific rules)
const MODRM = 0x10;
const DEFER_OP = 0x20;
const GROUP = 0x40;

const ONE_BYTE = new Uint8Array(256);
const TWO_BYTE = new Uint8Array(256);

function set(table: Uint8Array, opcodes: Iterable<number>, desc: number): void {
  for (const op of opcodes) table[op] = desc;
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i <= to; i++) out.push(i);
  return out;
}

(function buildOneByte(): void {
  ONE_BYTE.fill(DEFER_OP);
  for (let base = 0x00; base <= 0x38; base += 8) {
    set(ONE_BYTE, [base, base + 1, base + 2, base + 3], MODRM);
    ONE_BYTE[base + 4] = IMM_B;
    ONE_BYTE[base + 5] = IMM_Z;
  }
  // 06 07 0E 16 17 1E 1F (segment push/pop), 27 2F 37 3F (BCD) stay deferred; 0F is the escape.
  set(ONE_BYTE, range(0x40, 0x5f), IMM_NONE); // INC/DEC (REX in 64-bit is handled before lookup), PUSH/POP reg
  ONE_BYTE[0x63] = MODRM; // ARPL / MOVSXD
  ONE_BYTE[0x68] = IMM_Z;
  ONE_BYTE[0x69] = MODRM | IMM_Z;
  ONE_BYTE[0x6a] = IMM_B;
  ONE_BYTE[0x6b] = MODRM | IMM_B;
  set(ONE_BYTE, range(0x6c, 0x6f), IMM_NONE);
  set(ONE_BYTE, range(0x70, 0x7f), IMM_B);
  ONE_BYTE[0x80] = MODRM | IMM_B;
  ONE_BYTE[0x81] = MODRM | IMM_Z;
  ONE_BYTE[0x83] = MODRM | IMM_B;
  set(ONE_BYTE, range(0x84, 0x8b), MODRM);
  ONE_BYTE[0x8d] = MODRM;
  ONE_BYTE[0x8f] = MODRM | GROUP;
  set(ONE_BYTE, range(0x90, 0x99), IMM_NONE);
  ONE_BYTE[0x9b] = IMM_NONE;
  set(ONE_BYTE, [0x9e, 0x9f], IMM_NONE);
  set(ONE_BYTE, range(0xa0, 0xa3), IMM_MOFFS);
  set(ONE_BYTE, range(0xa4, 0xa7), IMM_NONE);
  ONE_BYTE[0xa8] = IMM_B;
  ONE_BYTE[0xa9] = IMM_Z;
  set(ONE_BYTE, range(0xaa, 0xaf), IMM_NONE);
  set(ONE_BYTE, range(0xb0, 0xb7), IMM_B);
  set(ONE_BYTE, range(0xb8, 0xbf), IMM_V);
  set(ONE_BYTE, [0xc0, 0xc1], MODRM | IMM_B);
  ONE_BYTE[0xc2] = IMM_W;
  ONE_BYTE[0xc3] = IMM_NONE;
  ONE_BYTE[0xc6] = MODRM | IMM_B | GROUP;
  ONE_BYTE[0xc7] = MODRM | IMM_Z | GROUP;
  ONE_BYTE[0xc8] = IMM_ENTER;
  ONE_BYTE[0xc9] = IMM_NONE;
  set(ONE_BYTE, range(0xd0, 0xd3), MODRM);
  ONE_BYTE[0xd7] = IMM_NONE;
  set(ONE_BYTE, range(0xe0, 0xe7), IMM_B);
  set(ONE_BYTE, [0xe8, 0xe9], IMM_REL_Z);
  ONE_BYTE[0xeb] = IMM_B;
  set(ONE_BYTE, range(0xec, 0xef), IMM_NONE);
  set(ONE_BYTE, [0xf4, 0xf5], IMM_NONE);
  set(ONE_BYTE, [0xf6, 0xf7, 0xfe, 0xff], MODRM | GROUP);
  set(ONE_BYTE, range(0xf8, 0xfd), IMM_NONE);
})();

(function buildTwoByte(): void {
  TWO_BYTE.fill(DEFER_OP);
  set(TWO_BYTE, [0x05, 0x06, 0x07, 0x08, 0x09, 0x0b, 0x30, 0x32, 0x34, 0x35, 0x37, 0x77, 0xaa], IMM_NONE);
  set(TWO_BYTE, range(0xc8, 0xcf), IMM_NONE); // BSWAP
  set(TWO_BYTE, [0x0d, ...range(0x10, 0x1f), ...range(0x28, 0x2f), ...range(0x40, 0x6f)], MODRM);
  set(TWO_BYTE, [0x74, 0x75, 0x76, 0x7c, 0x7d, 0x7e, 0x7f], MODRM);
  set(TWO_BYTE, range(0x90, 0x9f), MODRM); // SETcc
  set(TWO_BYTE, [0xa3, 0xa5, 0xab, 0xad, 0xaf, 0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7], MODRM);
  set(TWO_BYTE, [0xb9, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf, 0xc0, 0xc1, 0xc3, ...range(0xd0, 0xff)], MODRM);
  set(TWO_BYTE, [0x70, 0xa4, 0xac, 0xc2, 0xc4, 0xc5, 0xc6], MODRM | IMM_B);
  set(TWO_BYTE, [0x71, 0x72, 0x73, 0xba], MODRM | IMM_B | GROUP);
  set(TWO_BYTE, [0x20, 0x21, 0x22, 0x23, 0xae], MODRM | GROUP);
  set(TWO_BYTE, range(0x80, 0x8f), IMM_REL_Z);
})();

// What a byte means before the opcode. Segment overrides (26 2E 36 3E 64 65) do not change the length.
const NOT_PREFIX = 0;
const PREFIX_66 = 1;
const PREFIX_F3 = 2;
const PREFIX_F2 = 3;
const PREFIX_SEGMENT = 4;
const PREFIX_FOR_ICED = 5; // 67 (address size)
const PREFIX_LOCK = 6; // F0: whether LOCK is allowed is a property of the shape (a prefix class of its own)
const PREFIX_KIND = new Uint8Array(256);
PREFIX_KIND[0x66] = PREFIX_66;
PREFIX_KIND[0xf3] = PREFIX_F3;
PREFIX_KIND[0xf2] = PREFIX_F2;
for (const b of [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65]) PREFIX_KIND[b] = PREFIX_SEGMENT;
PREFIX_KIND[0xf0] = PREFIX_LOCK;
PREFIX_KIND[0x67] = PREFIX_FOR_ICED;

/** True when the ModRM.reg / mod combination of a GROUP opcode is one we can size without iced. */
function groupCheck(twoByte: boolean, opcode: number, modrm: number): boolean {
  const reg = (modrm >> 3) & 7;
  const mod = modrm >> 6;
  if (!twoByte) {
    switch (opcode) {
      case 0x8f: // POP r/m (reg 0); otherwise XOP
      case 0xc6: // MOV r/m8, imm8 (reg 0); C6 F8 is XABORT
      case 0xc7: // MOV r/m, imm (reg 0); C7 F8 is XBEGIN
        return reg === 0;
      case 0xfe: // INC/DEC r/m8
        return reg <= 1;
      case 0xff: // reg 3 and 5 are far CALL/JMP (a rule), 7 is invalid
        return reg !== 3 && reg !== 5 && reg !== 7;
      default: // F6, F7: any reg; the immediate is handled by the caller
        return true;
    }
  }
  switch (opcode) {
    case 0x71:
    case 0x72:
    case 0x73: // MMX/SSE shift groups: register forms only
      return mod === 3;
    case 0xba: // BT/BTS/BTR/BTC r/m, imm8: reg 4..7
      return reg >= 4;
    case 0x20:
    case 0x21:
    case 0x22:
    case 0x23: // MOV to/from CR/DR ignore mod; only size the register form here
      return mod === 3;
    case 0xae: // memory forms are FXSAVE & co; register forms include fences and FSGSBASE
      return mod !== 3;
    default:
      return false;
  }
}

/**
 * Length of the instruction at `pos`, or DEFER / BARE_INT3. `bits` is 16, 32 or 64.
 * Never reads at or past `end`; an instruction that would cross `end` is deferred.
 */
export function fastLength(bytes: Uint8Array, pos: number, end: number, bits: number): number {
  const next = fastRun(bytes, pos, pos + 1, end, bits, false);
  if (next > pos) return next - pos;
  return bytes[pos] === 0xcc ? BARE_INT3 : DEFER;
}

const SHAPE_UNKNOWN = 0;
const SHAPE_OK = 1;
const SHAPE_DEFER = 2;
/** Prefix classes: 66 or not, times none/F3/F2 as the last repeat prefix, times LOCK or not. */
const PREFIX_CLASSES = 12;
const SHAPE_COUNT = 3 * 2 * 256 * PREFIX_CLASSES * 2 * 8 * 2;
const SHAPE_VERDICT = new Uint8Array(SHAPE_COUNT);
/** The generated table, read bit by bit (1 = fast path); without it each shape is probed once into SHAPE_VERDICT. */
let fastShapes: Uint8Array | undefined;

/** The key of a shape: (bits, two-byte map, opcode, prefix class, REX.W, ModRM.reg, memory form) as one index. */
function shapeKeyOf(bitsIndex: number, twoByte: number, opcode: number, prefixClass: number, rexW: number, reg: number, memory: number): number {
  return (((((bitsIndex * 2 + twoByte) * 256 + opcode) * PREFIX_CLASSES + prefixClass) * 2 + rexW) * 8 + reg) * 2 + memory;
}

/** Whether the fast path may size instructions of this shape: the generated table, else iced once per shape. */
function fastShape(key: number): boolean {
  if (fastShapes !== undefined) return ((fastShapes[key >> 3]! >> (key & 7)) & 1) === 1;
  const verdict = SHAPE_VERDICT[key]!;
  if (verdict === SHAPE_OK) return true;
  if (verdict === SHAPE_DEFER) return false;
  return probeShape(key);
}

/** Checks a shape with iced and caches the verdict (used only for shapes the generated table lacks). */
function probeShape(key: number): boolean {
  const ok = checkShape(key);
  SHAPE_VERDICT[key] = ok ? SHAPE_OK : SHAPE_DEFER;
  return ok;
}

/** Decode every ModRM/SIB variant of one shape with iced; true when all agree with `rawLength`, are valid, and none is covered by a rule. */
export function checkShape(key: number): boolean {
  let rest = key;
  const memory = rest % 2 === 1;
  rest = Math.floor(rest / 2);
  const reg = rest % 8;
  rest = Math.floor(rest / 8);
  const rexW = rest % 2 === 1;
  rest = Math.floor(rest / 2);
  const prefixClass = rest % PREFIX_CLASSES;
  rest = Math.floor(rest / PREFIX_CLASSES);
  const opcode = rest % 256;
  rest = Math.floor(rest / 256);
  const twoByte = rest % 2 === 1;
  const bits = [16, 32, 64][Math.floor(rest / 2)]!;
  const hasModrm = ((twoByte ? TWO_BYTE : ONE_BYTE)[opcode]! & MODRM) !== 0;
  const head: number[] = [];
  if (prefixClass >= 6) head.push(0xf0);
  if (prefixClass % 2 === 1) head.push(0x66);
  const rep = Math.floor(prefixClass / 2) % 3;
  if (rep === 1) head.push(0xf3);
  if (rep === 2) head.push(0xf2);
  if (rexW) head.push(0x48);
  if (twoByte) head.push(0x0f);
  head.push(opcode);
  const variants: number[][] = [];
  if (!hasModrm) variants.push([]);
  else if (!memory) for (let rm = 0; rm < 8; rm++) variants.push([0xc0 | (reg << 3) | rm]);
  else if (bits === 16)
    // 16-bit addressing: every rm, since rm 6 with mod 0 is a bare displacement.
    for (let mod = 0; mod < 3; mod++) for (let rm = 0; rm < 8; rm++) variants.push([(mod << 6) | (reg << 3) | rm]);
  else {
    // One of each addressing shape: base, SIB, SIB without base, RIP/absolute, disp8, disp32.
    const r = reg << 3;
    variants.push([r | 0], [r | 4, 0x00], [r | 4, 0x25], [r | 5], [0x40 | r | 1], [0x40 | r | 4, 0x65], [0x80 | r | 3], [0x80 | r | 4, 0x24]);
  }
  const stride = 32;
  const probe = new Uint8Array(variants.length * stride);
  variants.forEach((tail, i) => probe.set([...head, ...tail], i * stride));
  let ok = true;
  const decoder = new iced.Decoder(bits, probe, iced.DecoderOptions.None);
  const instruction = new iced.Instruction();
  try {
    for (let i = 0; i < variants.length && ok; i++) {
      const ours = rawLength(probe, i * stride, probe.length, bits);
      if (ours <= 0) continue; // this variant is deferred anyway (group check)
      decoder.position = i * stride;
      decoder.decodeOut(instruction);
      // Invalid encodings go to iced too: code discovery ends a path at them.
      if (instruction.length !== ours || instruction.code === iced.Code.INVALID || ruleForCode(instruction.code) !== undefined) ok = false;
    }
  } finally {
    instruction.free();
    decoder.free();
  }
  return ok;
}

/** Shapes `rawLength` can produce (the others are never looked up). */
export function isReachableShape(key: number): boolean {
  const memory = key % 2 === 1;
  const reg = Math.floor(key / 2) % 8;
  const rexW = Math.floor(key / 16) % 2 === 1;
  const opcode = Math.floor(key / (16 * 2 * PREFIX_CLASSES)) % 256;
  const twoByte = Math.floor(key / (16 * 2 * PREFIX_CLASSES * 256)) % 2 === 1;
  const bitsIndex = Math.floor(key / (16 * 2 * PREFIX_CLASSES * 256 * 2));
  const desc = (twoByte ? TWO_BYTE : ONE_BYTE)[opcode]!;
  if (desc & DEFER_OP) return false;
  if (rexW && bitsIndex !== 2) return false;
  if (!(desc & MODRM) && (reg !== 0 || memory)) return false;
  return true;
}

/**
 * False for a GROUP opcode's shape whose ModRM.reg and register/memory form `groupCheck` refuses.
 * `fastRun` refuses those before it looks at the table; clearing them in the table too lets the
 * WebAssembly loop (which has no `groupCheck`) read the table alone.
 */
function groupAllows(key: number): boolean {
  const memory = key % 2 === 1;
  const reg = Math.floor(key / 2) % 8;
  const opcode = Math.floor(key / (16 * 2 * PREFIX_CLASSES)) % 256;
  const twoByte = Math.floor(key / (16 * 2 * PREFIX_CLASSES * 256)) % 2 === 1;
  const desc = (twoByte ? TWO_BYTE : ONE_BYTE)[opcode]!;
  return (desc & GROUP) === 0 || groupCheck(twoByte, opcode, (memory ? 0 : 0xc0) | (reg << 3));
}

/** Computes the whole fast-shape bitset from iced (slow: about a second; used by the generator and its test). */
export function computeShapeBitset(): Uint8Array {
  const bitset = new Uint8Array(Math.ceil(SHAPE_COUNT / 8));
  for (let key = 0; key < SHAPE_COUNT; key++) if (isReachableShape(key) && groupAllows(key) && checkShape(key)) bitset[key >> 3]! |= 1 << (key & 7);
  return bitset;
}

/** Takes the verdicts from a bitset (1 = fast path, 0 = defer); a bitset too short for every shape is ignored. */
export function loadShapeBitset(bitset: Uint8Array): void {
  // Looked up in place: copying 147k verdicts out of it cost more than a small scan's sweep.
  if (bitset.length * 8 >= SHAPE_COUNT) fastShapes = bitset;
}

/** Length from the tables alone, whatever iced says of the shape (for `checkShape`); DEFER when the tables cannot size it. */
function rawLength(bytes: Uint8Array, pos: number, end: number, bits: number): number {
  const next = fastRun(bytes, pos, pos + 1, end, bits, true);
  return next > pos ? next - pos : DEFER;
}

/**
 * Sizes instruction after instruction from `pos` while the fast path can, and returns where it
 * stopped: the first instruction starting at or after `stop`, or the first one it cannot size
 * (deferred, a bare INT3, or one that would cross `end`). One loop with everything in locals: a
 * call per instruction cost a third of a kernel sweep. `anyShape` skips the shape table.
 */
export function fastRun(bytes: Uint8Array, pos: number, stop: number, end: number, bits: number, anyShape: boolean): number {
  const bitsIndex = bits === 16 ? 0 : bits === 32 ? 1 : 2;
  const moffsSize = bits === 64 ? 8 : bits === 32 ? 4 : 2;
  const relSize = bits === 16 ? 2 : 4;
  let start = pos;
  while (start < stop) {
    let p = start;
    let opsize16 = bits === 16;
    let rexW = 0;
    let sawOperandSize = 0;
    let lastRep = 0;
    let lock = 0;
    // Legacy prefixes.
    for (;;) {
      if (p >= end) return start;
      const kind = PREFIX_KIND[bytes[p]!]!;
      if (kind === NOT_PREFIX) break;
      if (kind === PREFIX_FOR_ICED) return start; // 16-bit addressing is left to iced
      if (kind === PREFIX_LOCK) lock = 1;
      if (kind === PREFIX_66) {
        opsize16 = bits !== 16;
        sawOperandSize = 1;
      } else if (kind === PREFIX_F3) lastRep = 1;
      else if (kind === PREFIX_F2) lastRep = 2;
      p++;
      if (p - start > 14) return start;
    }
    let opcode = bytes[p]!;
    if (bitsIndex === 2 && (opcode & 0xf0) === 0x40) {
      rexW = (opcode >> 3) & 1;
      p++;
      if (p >= end) return start;
      opcode = bytes[p]!;
      if ((opcode & 0xf0) === 0x40) return start; // REX after REX: the first is ignored
    }
    if (opcode === 0xcc) return start; // bare INT3 (the caller tells it apart) or a prefixed one (iced)
    let twoByte = 0;
    let desc: number;
    if (opcode === 0x0f) {
      twoByte = 1;
      p++;
      if (p >= end) return start;
      opcode = bytes[p]!;
      desc = TWO_BYTE[opcode]!;
    } else {
      desc = ONE_BYTE[opcode]!;
    }
    if (desc & DEFER_OP) return start;
    // A legacy prefix after REX cancels it; iced handles that.
    p++;
    const prefixClass = sawOperandSize + lastRep * 2 + lock * 6;
    let key: number;
    if (desc & MODRM) {
      if (p >= end) return start;
      const modrm = bytes[p]!;
      key = shapeKeyOf(bitsIndex, twoByte, opcode, prefixClass, rexW, (modrm >> 3) & 7, modrm < 0xc0 ? 1 : 0);
      if (desc & GROUP && !groupCheck(twoByte === 1, opcode, modrm)) return start;
      p++;
      const mod = modrm >> 6;
      if (mod !== 3) {
        const rm = modrm & 7;
        if (bitsIndex === 0) {
          if (mod === 0) p += rm === 6 ? 2 : 0;
          else p += mod === 1 ? 1 : 2;
        } else {
          if (rm === 4) {
            if (p >= end) return start;
            const sib = bytes[p]!;
            p++;
            if (mod === 0 && (sib & 7) === 5) p += 4;
          } else if (mod === 0 && rm === 5) {
            p += 4;
          }
          if (mod === 1) p += 1;
          else if (mod === 2) p += 4;
        }
      }
      // F6/F7 /0 and /1 (TEST) carry an immediate; the others do not.
      if (twoByte === 0 && (opcode === 0xf6 || opcode === 0xf7)) {
        if (((modrm >> 3) & 7) <= 1) p += opcode === 0xf6 ? 1 : rexW ? 4 : opsize16 ? 2 : 4;
      }
    } else {
      key = shapeKeyOf(bitsIndex, twoByte, opcode, prefixClass, rexW, 0, 0);
    }
    switch (desc & 0x0f) {
      case IMM_NONE:
        break;
      case IMM_B:
        p += 1;
        break;
      case IMM_W:
        p += 2;
        break;
      case IMM_Z:
        p += rexW ? 4 : opsize16 ? 2 : 4;
        break;
      case IMM_V:
        p += rexW ? 8 : opsize16 ? 2 : 4;
        break;
      case IMM_MOFFS:
        p += moffsSize;
        break;
      case IMM_ENTER:
        p += 3;
        break;
      case IMM_REL_Z:
        if (sawOperandSize || rexW) return start;
        p += relSize;
        break;
      default:
        return start;
    }
    if (p > end || p - start > 15) return start;
    if (!anyShape && !fastShape(key)) return start;
    start = p;
  }
  return start;
}

/** How many instruction shapes have been checked against iced so far, and how many stay on the fast path. */
export function shapeStats(): { probed: number; fast: number } {
  let probed = 0;
  let fast = 0;
  if (fastShapes !== undefined) {
    for (let key = 0; key < SHAPE_COUNT; key++) fast += (fastShapes[key >> 3]! >> (key & 7)) & 1;
    return { probed: SHAPE_COUNT, fast };
  }
  for (const verdict of SHAPE_VERDICT) {
    if (verdict !== SHAPE_UNKNOWN) probed++;
    if (verdict === SHAPE_OK) fast++;
  }
  return { probed, fast };
}

/** Bytes of the tables the WebAssembly length loop reads (`lengthLoop.c`, `tables()`). */
export const LENGTH_LOOP_TABLE_BYTES = 3 * 256 + SHAPE_COUNT / 8;

/**
 * The tables `fastRun` reads, laid out for the WebAssembly length loop: prefix kinds, one-byte and
 * two-byte descriptors, then the generated fast-shape bitset (whose group checks are folded in, so
 * the loop has no code for them). Undefined until the generated shape table is loaded.
 */
export function lengthLoopTables(): Uint8Array | undefined {
  if (fastShapes === undefined) return undefined;
  const out = new Uint8Array(LENGTH_LOOP_TABLE_BYTES);
  out.set(PREFIX_KIND, 0);
  out.set(ONE_BYTE, 256);
  out.set(TWO_BYTE, 512);
  out.set(fastShapes.subarray(0, SHAPE_COUNT / 8), 768);
  return out;
}
