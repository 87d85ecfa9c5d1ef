// Address → "symbol+offset" for findings. Symbols come from the file itself or from a System.map.
import { hex, ScanInputError, type ImageSymbol } from './image';

interface SortedSymbols {
  addresses: bigint[];
  names: string[];
}

function sortSymbols(symbols: readonly ImageSymbol[]): SortedSymbols {
  const sorted = symbols.slice().sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.name.localeCompare(b.name)));
  return { addresses: sorted.map((s) => s.address), names: sorted.map((s) => s.name) };
}

/** Sorted on first use: a scan with no findings never pays for sorting a large symbol table. */
export class SymbolIndex {
  private sorted: { global: SortedSymbols; bySection: Map<string, SortedSymbols> } | undefined;

  constructor(private readonly symbols: readonly ImageSymbol[]) {}

  private index(): { global: SortedSymbols; bySection: Map<string, SortedSymbols> } {
    this.sorted ??= sortAll(this.symbols);
    return this.sorted;
  }

  get size(): number {
    const { global, bySection } = this.index();
    let n = global.addresses.length;
    for (const s of bySection.values()) n += s.addresses.length;
    return n;
  }

  /** `name+0xoff` of the closest symbol at or below `address` (same section first), or undefined. */
  describe(address: bigint, section: string): string | undefined {
    const { global, bySection } = this.index();
    const own = bySection.get(section);
    const hit = (own && nearest(own, address)) ?? nearest(global, address);
    if (!hit) return undefined;
    return hit.offset === 0n ? hit.name : `${hit.name}+0x${hex(hit.offset)}`;
  }
}

function sortAll(symbols: readonly ImageSymbol[]): { global: SortedSymbols; bySection: Map<string, SortedSymbols> } {
  const bySection = new Map<string, SortedSymbols>();
  const global: ImageSymbol[] = [];
  const grouped = new Map<string, ImageSymbol[]>();
  for (const symbol of symbols) {
    if (symbol.section === undefined) {
      global.push(symbol);
      continue;
    }
    let list = grouped.get(symbol.section);
    if (!list) grouped.set(symbol.section, (list = []));
    list.push(symbol);
  }
  for (const [section, list] of grouped) bySection.set(section, sortSymbols(list));
  return { global: sortSymbols(global), bySection };
}

function nearest(list: SortedSymbols, address: bigint): { name: string; offset: bigint } | undefined {
  let lo = 0;
  let hi = list.addresses.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (list.addresses[mid]! <= address) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (found < 0) return undefined;
  return { name: list.names[found]!, offset: address - list.addresses[found]! };
}

const MAP_LINE = /^([0-9a-fA-F]{1,16})\s+([A-Za-z?])\s+(\S+)/;

/**
 * Symbols of a System.map (`nm` output: "ffffffff81000000 T _stext"). Lines that do not look like
 * that are ignored; a file with none is rejected, since scanning with it would silently attribute nothing.
 */
export function parseSystemMap(text: string, fileName: string): ImageSymbol[] {
  const symbols: ImageSymbol[] = [];
  let lines = 0;
  for (const line of text.split('\n')) {
    lines++;
    const m = MAP_LINE.exec(line);
    if (!m) continue;
    const type = m[2]!;
    if (type === 'U' || type === 'w' || type === 'v') continue; // undefined and weak-undefined entries
    symbols.push({ name: m[3]!, address: BigInt('0x' + m[1]!), size: 0 });
  }
  if (symbols.length === 0) throw new ScanInputError(`${fileName}: no "address type name" lines found in ${lines} line(s); is it a System.map?`);
  return symbols;
}
