// The length loop of lengths.ts `fastRun`, as WebAssembly (see lengthLoop.ts for why). It sizes
// instruction after instruction while the fast path can and returns where it stopped; the caller
// asks iced-x86 about that position, exactly as with `fastRun`. The tables are not here: the
// TypeScript writes its own (prefix kinds, opcode descriptors, and the generated shape bitset with
// the group checks folded in, `lengthLoopTables`) into `tables()` before the first call, so which
// encodings are fast-pathed is decided in one place. Only the walk over prefixes, ModRM, SIB,
// displacements and immediates is written twice (and folded into a table here for instructions
// without legacy prefixes); the sweep tests hold all of it to iced's own decoding.
//
// Rebuilt by `node out/server/src/scan/generate-length-loop.js` (clang --target=wasm32 and wasm-ld);
// test/scan/lengthLoop.test.ts rebuilds it and fails if lengthLoop.generated.ts differs.

typedef unsigned char u8;
typedef unsigned int u32;

// Descriptor bits and prefix kinds: the same values as in lengths.ts.
enum { IMM_NONE, IMM_B, IMM_W, IMM_Z, IMM_V, IMM_MOFFS, IMM_ENTER, IMM_REL_Z };
enum { MODRM = 0x10, DEFER_OP = 0x20 };
enum { NOT_PREFIX, PREFIX_66, PREFIX_F3, PREFIX_F2, PREFIX_SEGMENT, PREFIX_FOR_ICED, PREFIX_LOCK };
enum { PREFIX_CLASSES = 12 };

#define SHAPE_COUNT (3 * 2 * 256 * PREFIX_CLASSES * 2 * 8 * 2)

static struct {
  u8 prefix_kind[256];
  u8 one_byte[256];
  u8 two_byte[256];
  u8 shapes[SHAPE_COUNT / 8];
} tables_;

// Where the caller writes the tables (3 * 256 + SHAPE_COUNT / 8 bytes).
u8 *tables(void) { return (u8 *)&tables_; }

// Where the caller may put code bytes: past the tables and the stack, never used by this module.
extern u8 __heap_base;
u8 *free_memory(void) { return &__heap_base; }

static u32 shape_key(u32 bits_index, u32 two_byte, u32 opcode, u32 prefix_class, u32 rex_w, u32 reg, u32 memory) {
  return (((((bits_index * 2 + two_byte) * 256 + opcode) * PREFIX_CLASSES + prefix_class) * 2 + rex_w) * 8 + reg) * 2 + memory;
}

// Derived from the tables by `prepare()`, so that the loop sizes an instruction with lookups instead
// of branches (a branch on the immediate kind or the addressing form is mispredicted often: x86
// lengths do not repeat). `layout[bits][rex_w * 2 + saw_66][two_byte * 256 + opcode]`: the
// immediate's size, LAYOUT_MODRM, or LAYOUT_DEFER. `displacement[16-bit addressing?][modrm]`: the
// displacement's size, DISP_SIB when a SIB byte follows.
enum { LAYOUT_MODRM = 0x10, LAYOUT_DEFER = 0x80, DISP_SIB = 0x10 };
static u8 layout[3][4][512];
static u8 displacement[2][256];
// The bitness `plain` (below) was filled for; 0 when it must be filled again.
static u32 plain_bits;

static u32 immediate_size(u32 desc, u32 bits, u32 rex_w, u32 saw_operand_size) {
  const u32 opsize16 = saw_operand_size ? bits != 16 : bits == 16;
  switch (desc & 0x0f) {
    case IMM_NONE:
      return 0;
    case IMM_B:
      return 1;
    case IMM_W:
      return 2;
    case IMM_Z:
      return rex_w ? 4 : opsize16 ? 2 : 4;
    case IMM_V:
      return rex_w ? 8 : opsize16 ? 2 : 4;
    case IMM_MOFFS:
      return bits == 64 ? 8 : bits == 32 ? 4 : 2;
    case IMM_ENTER:
      return 3;
    case IMM_REL_Z:
      // A 66 or REX.W near branch follows mode-specific rules: iced sizes it.
      return saw_operand_size || rex_w ? LAYOUT_DEFER : bits == 16 ? 2 : 4;
    default:
      return LAYOUT_DEFER;
  }
}

// Called once the tables are written.
void prepare(void) {
  static const u32 bits_of[3] = {16, 32, 64};
  for (u32 b = 0; b < 3; b++)
    for (u32 row = 0; row < 4; row++)
      for (u32 i = 0; i < 512; i++) {
        const u32 desc = i < 256 ? tables_.one_byte[i] : tables_.two_byte[i - 256];
        const u32 rex_w = row >> 1;
        u32 entry = (desc & DEFER_OP) || (rex_w && b != 2) ? LAYOUT_DEFER : immediate_size(desc, bits_of[b], rex_w, row & 1);
        if (desc & MODRM) entry |= LAYOUT_MODRM;
        layout[b][row][i] = (u8)entry;
      }
  for (u32 modrm = 0; modrm < 256; modrm++) {
    const u32 mod = modrm >> 6;
    const u32 rm = modrm & 7;
    displacement[1][modrm] = (u8)(mod == 3 ? 0 : mod == 0 ? (rm == 6 ? 2 : 0) : mod == 1 ? 1 : 2);
    u32 wide = mod == 3 ? 0 : mod == 1 ? 1 : mod == 2 ? 4 : rm == 5 ? 4 : 0;
    if (mod != 3 && rm == 4) wide |= DISP_SIB;
    displacement[0][modrm] = (u8)wide;
  }
  plain_bits = 0;
}

// One instruction at `start`, any prefixes included: where it ends, or `start` when the fast path
// cannot size it.
static inline u32 walk_one(const u8 *bytes, const u32 start, u32 end, u32 bits, u32 bits_index, const u8 (*const rows)[512], const u8 *const disp, u32 rex_mode) {
  u32 p = start;
  u32 saw_operand_size = 0;
  u32 last_rep = 0;
  u32 lock = 0;
  u32 byte = bytes[p];
  if (tables_.prefix_kind[byte] != NOT_PREFIX) {
    for (;;) {
      if (p >= end) return start;
      const u32 kind = tables_.prefix_kind[bytes[p]];
      if (kind == NOT_PREFIX) break;
      if (kind == PREFIX_FOR_ICED) return start;
      if (kind == PREFIX_66) saw_operand_size = 1;
      else if (kind == PREFIX_F3) last_rep = 1;
      else if (kind == PREFIX_F2) last_rep = 2;
      else if (kind == PREFIX_LOCK) lock = 1;
      p++;
      if (p - start > 14) return start;
    }
    byte = bytes[p];
  }
  // REX, 0F and the opcode without branches: whether they are there varies from one instruction to the next.
  const u32 rex = rex_mode & ((byte & 0xf0) == 0x40);
  const u32 rex_w = rex & (byte >> 3);
  p += rex;
  byte = bytes[p];
  if (rex & ((byte & 0xf0) == 0x40)) return start; // REX after REX: the first is ignored
  if (byte == 0xcc) return start;
  // The loads below are unconditional and the choices masks: clang turns `c ? bytes[p] : x`
  // into a branch, mispredicted on every other instruction.
  const u32 two_byte = byte == 0x0f;
  const u32 second = bytes[p + 1];
  const u32 opcode = byte ^ ((byte ^ second) & -two_byte);
  p += two_byte + 1;
  const u32 entry = rows[rex_w * 2 + saw_operand_size][two_byte * 256 + opcode];
  if (entry & LAYOUT_DEFER) return start;
  const u32 has_modrm = (entry >> 4) & 1;
  const u32 modrm = 0xc0 ^ ((0xc0 ^ bytes[p]) & -has_modrm); // without one: register form, reg 0, no displacement
  const u32 reg = (modrm >> 3) & 7;
  const u32 shape = disp[modrm];
  const u32 sib = (shape >> 4) & 1;
  const u32 sib_displacement = (sib & ((bytes[p + 1] & 7) == 5) & (modrm < 0x40)) ? 4 : 0;
  p += has_modrm + sib + (shape & 0x0f) + sib_displacement + (entry & 0x0f);
  // F6/F7 /0 and /1 (TEST) carry an immediate; the others do not.
  if (two_byte == 0 && (opcode | 1) == 0xf7 && reg <= 1) {
    const u32 opsize16 = saw_operand_size ? bits != 16 : bits == 16;
    p += opcode == 0xf6 ? 1 : rex_w ? 4 : opsize16 ? 2 : 4;
  }
  if (p > end || p - start > 15) return start;
  const u32 key = shape_key(bits_index, two_byte, opcode, saw_operand_size + last_rep * 2 + lock * 6, rex_w, reg, modrm < 0xc0);
  if (((tables_.shapes[key >> 3] >> (key & 7)) & 1) == 0) return start;
  return p;
}

// The common case folded into one lookup: for an instruction without legacy prefixes,
// `plain[rex_w][two_byte][opcode][next byte]` is what `walk_one` adds after the opcode (ModRM,
// SIB, displacement, immediate) when the next byte is its ModRM, with PLAIN_SIB_BASE when a SIB
// byte whose base is 5 adds a 32-bit displacement, or PLAIN_DEFER where `walk_one` refuses. It is
// filled from the same tables (`fill_plain`) for one bitness at a time, on the first call in it
// (~1 ms), and halves the loop's work on a kernel (a quarter less time under Liftoff).
enum { PLAIN_DEFER = 0x80, PLAIN_SIB_BASE = 0x20, PLAIN_LENGTH = 0x1f };
static u8 plain[2][2][256][256];

static void fill_plain(u32 bits) {
  const u32 bits_index = bits == 16 ? 0 : bits == 32 ? 1 : 2;
  const u8 *const disp = displacement[bits == 16];
  for (u32 rex_w = 0; rex_w < 2; rex_w++)
    for (u32 two_byte = 0; two_byte < 2; two_byte++)
      for (u32 opcode = 0; opcode < 256; opcode++) {
        const u32 entry = layout[bits_index][rex_w * 2][two_byte * 256 + opcode];
        u8 *const row = plain[rex_w][two_byte][opcode];
        for (u32 next = 0; next < 256; next++) {
          if (entry & LAYOUT_DEFER) {
            row[next] = PLAIN_DEFER;
            continue;
          }
          // As in walk_one with no prefix: saw_operand_size, last_rep and lock are 0.
          const u32 has_modrm = (entry >> 4) & 1;
          const u32 modrm = has_modrm ? next : 0xc0;
          const u32 reg = (modrm >> 3) & 7;
          const u32 shape = disp[modrm];
          const u32 sib = (shape >> 4) & 1;
          u32 length = has_modrm + sib + (shape & 0x0f) + (entry & 0x0f);
          if (two_byte == 0 && (opcode | 1) == 0xf7 && reg <= 1) length += opcode == 0xf6 ? 1 : rex_w ? 4 : bits == 16 ? 2 : 4;
          const u32 key = shape_key(bits_index, two_byte, opcode, 0, rex_w, reg, modrm < 0xc0);
          const u32 fast = (tables_.shapes[key >> 3] >> (key & 7)) & 1;
          row[next] = fast ? (u8)(length | (sib && modrm < 0x40 ? PLAIN_SIB_BASE : 0)) : PLAIN_DEFER;
        }
      }
  plain_bits = bits;
}

// `fastRun(bytes, pos, stop, end, bits, false)` over code at `bytes`. It may read up to 32 bytes
// past `end` (the caller leaves room); an instruction that uses any of them is refused, as there.
static u32 fast_run(const u8 *bytes, u32 pos, u32 stop, u32 end, u32 bits) {
  const u32 bits_index = bits == 16 ? 0 : bits == 32 ? 1 : 2;
  const u8(*const rows)[512] = layout[bits_index];
  const u8 *const disp = displacement[bits == 16];
  const u32 rex_mode = bits == 64;
  if (plain_bits != bits) fill_plain(bits);
  u32 start = pos;
  while (start < stop) {
    u32 p = start;
    u32 byte = bytes[p];
    if (tables_.prefix_kind[byte] != NOT_PREFIX) {
      const u32 next = walk_one(bytes, start, end, bits, bits_index, rows, disp, rex_mode);
      if (next == start) return start;
      start = next;
      continue;
    }
    // REX, 0F and the opcode as in walk_one.
    const u32 rex = rex_mode & ((byte & 0xf0) == 0x40);
    const u32 rex_w = rex & (byte >> 3);
    p += rex;
    byte = bytes[p];
    if (rex & ((byte & 0xf0) == 0x40)) return start;
    if (byte == 0xcc) return start;
    const u32 two_byte = byte == 0x0f;
    const u32 second = bytes[p + 1];
    const u32 opcode = byte ^ ((byte ^ second) & -two_byte);
    p += two_byte + 1;
    const u32 rest = plain[rex_w][two_byte][opcode][bytes[p]];
    if (rest & PLAIN_DEFER) return start;
    p += (rest & PLAIN_LENGTH) + ((((rest >> 5) & 1) & ((bytes[p + 1] & 7) == 5)) << 2);
    if (p > end || p - start > 15) return start;
    start = p;
  }
  return start;
}

static unsigned long long load64(const u8 *at) {
  unsigned long long word;
  __builtin_memcpy(&word, at, sizeof word);
  return word;
}

// Sizes from `pos` to the first instruction starting at or after `stop`, or to the first one the
// fast path cannot size. With `skip_int3`, runs of bare INT3 (0xCC) are stepped over on the way.
u32 sweep_run(const u8 *bytes, u32 pos, u32 stop, u32 end, u32 bits, u32 skip_int3) {
  for (;;) {
    pos = fast_run(bytes, pos, stop, end, bits);
    if (pos >= stop || !skip_int3 || bytes[pos] != 0xcc) return pos;
    // Padding runs are long (a kernel's average ~300 bytes): step over them 8 bytes at a time.
    pos++;
    while (stop - pos >= 8 && load64(bytes + pos) == 0xccccccccccccccccull) pos += 8;
    while (pos < stop && bytes[pos] == 0xcc) pos++;
  }
}
