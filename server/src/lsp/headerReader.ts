// The headers C and C++ documents include, read for the macros that hold asm: an open buffer
// wins, then the disk. What the front end learnt from them (each header's macros, where each
// include resolved) is kept between keystrokes in a CMacroCache, and thrown away as soon as
// any header read since has changed: its buffer, its size or time on disk, or a header that
// was missing now exists.
import { statSync } from 'node:fs';
import { CMacroCache } from '../analysis/embedded/index';
import type { ReadResult, SourceReader } from '../analysis/project/index';
import { workspaceReader, type BufferSource } from './projectReader';

/** Paths watched at most; past it the cache starts afresh rather than grow. */
const MAX_WATCHED_PATHS = 20_000;

/** What a path gave the last time it was read. */
type Served = { kind: 'buffer'; text: string } | { kind: 'disk'; stamp: string } | { kind: 'missing' };

export class HeaderCache {
  private macros = new CMacroCache();
  private readonly served = new Map<string, Served>();
  /** One defines map per distinct set of defines: the macro cache is keyed by the map's identity. */
  private readonly definesByKey = new Map<string, ReadonlyMap<string, string>>();
  /** What was read depends on the size limit too. */
  private maxBytes = 0;

  /** The macro cache for the next analysis, emptied first when a header it learnt from has changed. */
  macroCache(buffers: BufferSource): CMacroCache {
    if (this.served.size > MAX_WATCHED_PATHS || this.anyChanged(buffers)) this.reset();
    return this.macros;
  }

  /** The same map for the same defines, so the macro cache can find what it learnt for them. */
  stableDefines(defines: ReadonlyMap<string, string>): ReadonlyMap<string, string> {
    let key = '';
    for (const [name, value] of defines) key += `${name}=${value}\n`;
    const known = this.definesByKey.get(key);
    if (known) return known;
    this.definesByKey.set(key, defines);
    return defines;
  }

  /** True when an analysis read `path` as a header since the cache last started afresh. */
  hasRead(path: string): boolean {
    return this.served.has(path);
  }

  /** The build configuration changed: everything learnt is forgotten. */
  reset(): void {
    this.macros = new CMacroCache();
    this.served.clear();
    this.definesByKey.clear();
  }

  /** A reader for one analysis: each path is read at most once through it. */
  reader(buffers: BufferSource, maxBytes: number): SourceReader {
    if (maxBytes !== this.maxBytes) {
      this.reset();
      this.maxBytes = maxBytes;
    }
    const seen = new Map<string, ReadResult>();
    return {
      read: (path: string): ReadResult => {
        let result = seen.get(path);
        if (result === undefined) {
          result = this.read(path, buffers, maxBytes);
          seen.set(path, result);
        }
        return result;
      },
    };
  }

  private read(path: string, buffers: BufferSource, maxBytes: number): ReadResult {
    const buffer = buffers.bufferText(path);
    if (buffer !== undefined) {
      this.served.set(path, { kind: 'buffer', text: buffer });
      return workspaceReader({ bufferText: () => buffer }, maxBytes).read(path);
    }
    const stamp = statStamp(path);
    if (stamp === undefined) {
      this.served.set(path, { kind: 'missing' });
      return { error: 'not found' };
    }
    this.served.set(path, { kind: 'disk', stamp });
    return workspaceReader({ bufferText: () => undefined }, maxBytes).read(path);
  }

  private anyChanged(buffers: BufferSource): boolean {
    for (const [path, served] of this.served) {
      const buffer = buffers.bufferText(path);
      if (served.kind === 'buffer') {
        if (buffer !== served.text) return true;
      } else if (buffer !== undefined) {
        return true;
      } else if (served.kind === 'disk' ? statStamp(path) !== served.stamp : statStamp(path) !== undefined) {
        return true;
      }
    }
    return false;
  }
}

/** Size, modification time, inode and kind: one of them changes whenever the file is written or replaced. */
function statStamp(path: string): string | undefined {
  try {
    const stat = statSync(path, { throwIfNoEntry: false });
    return stat ? `${stat.size}:${stat.mtimeMs}:${stat.ino}:${stat.isFile() ? 'f' : 'o'}` : undefined;
  } catch {
    return undefined;
  }
}
