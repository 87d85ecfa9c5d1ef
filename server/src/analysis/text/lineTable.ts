// The lines of a document, held in chunks of a few hundred. A table is never modified: an edit
// makes a new table that shares every chunk it did not touch, so it copies one chunk and the
// list of chunks rather than every line, an earlier result can keep reading the table it was
// built from, and work summarised per chunk (see `Chunk.memo`) survives edits elsewhere.

export const CHUNK_LINES = 256;

export class Chunk<T> {
  /** A cache for readers of the table. A chunk's items never change, so it stays valid. */
  memo: unknown = undefined;
  constructor(readonly items: readonly T[]) {}
}

export class LineTable<T> {
  readonly length: number;
  /** First line of each chunk. */
  private readonly starts: number[];

  private constructor(readonly chunks: readonly Chunk<T>[]) {
    this.starts = new Array<number>(chunks.length);
    let line = 0;
    for (let i = 0; i < chunks.length; i++) {
      this.starts[i] = line;
      line += chunks[i]!.items.length;
    }
    this.length = line;
  }

  static from<T>(items: readonly T[]): LineTable<T> {
    return new LineTable(toChunks(items));
  }

  at(line: number): T {
    const index = this.chunkIndexOf(line);
    return this.chunks[index]!.items[line - this.starts[index]!]!;
  }

  /** First line of chunk `index`. */
  startOf(index: number): number {
    return this.starts[index]!;
  }

  /** A new table with lines `[start, end)` replaced by `fresh`. */
  replace(start: number, end: number, fresh: readonly T[]): LineTable<T> {
    if (this.chunks.length === 0) return LineTable.from(fresh);
    const first = this.chunkIndexOf(Math.min(start, this.length - 1));
    let last = end > start ? this.chunkIndexOf(end - 1) : first;
    let tail = this.chunks[last]!.items.slice(end - this.starts[last]!);
    const head = this.chunks[first]!.items.slice(0, start - this.starts[first]!);
    // Fold a small remainder into the next chunk so that edits do not leave crumbs behind.
    if (head.length + fresh.length + tail.length < CHUNK_LINES / 2 && last + 1 < this.chunks.length) {
      last++;
      tail = tail.concat(this.chunks[last]!.items);
    }
    const rebuilt = toChunks(head.concat(fresh, tail));
    return new LineTable(this.chunks.slice(0, first).concat(rebuilt, this.chunks.slice(last + 1)));
  }

  /** The chunk holding `line` (the last chunk for a line past the end). */
  private chunkIndexOf(line: number): number {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.starts[mid]! <= line) low = mid;
      else high = mid - 1;
    }
    return low;
  }
}

function toChunks<T>(items: readonly T[]): Chunk<T>[] {
  if (items.length === 0) return [];
  if (items.length <= 2 * CHUNK_LINES) return [new Chunk(items)];
  const chunks: Chunk<T>[] = [];
  for (let i = 0; i < items.length; i += CHUNK_LINES) {
    // The last piece takes the remainder rather than becoming a crumb.
    const end = items.length - (i + CHUNK_LINES) < CHUNK_LINES / 2 ? items.length : i + CHUNK_LINES;
    chunks.push(new Chunk(items.slice(i, end)));
    if (end === items.length) break;
  }
  return chunks;
}
