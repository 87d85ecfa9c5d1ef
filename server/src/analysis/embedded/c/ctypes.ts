// The width of a C type named by the words before a declared name (`unsigned short`, `u32`,
// `unsigned long`), for extended-asm register operands whose width nothing else says.
import type { Bits } from '../../types';
import type { Width } from './operands';

const TYPEDEF_WIDTH: Record<string, Width | 'long'> = {
  u8: 8, s8: 8, __u8: 8, __s8: 8, uint8_t: 8, int8_t: 8, BYTE: 8, UCHAR: 8,
  u16: 16, s16: 16, __u16: 16, __s16: 16, uint16_t: 16, int16_t: 16, WORD: 16, USHORT: 16,
  u32: 32, s32: 32, __u32: 32, __s32: 32, uint32_t: 32, int32_t: 32, DWORD: 32, UINT: 32, ULONG: 32, UINT32: 32,
  u64: 64, s64: 64, __u64: 64, __s64: 64, uint64_t: 64, int64_t: 64, QWORD: 64, ULONG64: 64, DWORD64: 64, UINT64: 64, ULONGLONG: 64,
  size_t: 'long', ssize_t: 'long', uintptr_t: 'long', intptr_t: 'long', ulong: 'long', ptrdiff_t: 'long', phys_addr_t: 64,
};

const QUALIFIERS = new Set(['const', 'volatile', 'static', 'register', 'signed', 'unsigned', 'extern', 'auto', '__volatile__']);

/** `words` are the identifiers before the name, nearest first. */
export function declaredWidth(words: readonly string[], bits: Bits): Width | undefined {
  let longs = 0;
  let sawType = false;
  let width: Width | undefined;
  for (const w of words) {
    if (w === 'long') longs++;
    else if (w === 'short') width = 16;
    else if (w === 'char') width = 8;
    else if (w === 'int' || w === '__int32') width ??= 32;
    else if (w === '__int64') width = 64;
    else if (w === 'unsigned' || w === 'signed') sawType = true;
    else if (QUALIFIERS.has(w)) continue;
    else if (TYPEDEF_WIDTH[w] !== undefined) {
      const t = TYPEDEF_WIDTH[w]!;
      width = t === 'long' ? (bits === 64 ? 64 : 32) : t;
      break;
    } else break;
    sawType = true;
  }
  if (longs >= 2) return 64;
  if (longs === 1 && width !== 16 && width !== 8) return bits === 64 ? 64 : 32;
  if (width) return width;
  return sawType ? 32 : undefined;
}
