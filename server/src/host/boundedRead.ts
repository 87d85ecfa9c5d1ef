// Reading input with a size limit. Only regular files are opened: a FIFO blocks the open until a
// writer comes, and a device such as /dev/zero never ends. At most the limit plus one byte is read,
// from a file or a stream, so an input that grows or lies about its size cannot exhaust memory.
import * as fs from 'node:fs';

export type BoundedRead =
  | { ok: true; bytes: Buffer }
  /** `size` when it is known (from the file system); a stream or a growing file only says "more". */
  | { ok: false; reason: 'too-large'; size?: number }
  /** `kind`: what the path is instead, e.g. "a FIFO (named pipe)". */
  | { ok: false; reason: 'not-regular'; kind: string }
  | { ok: false; reason: 'error'; error: NodeJS.ErrnoException };

const CHUNK_BYTES = 64 * 1024;
// Opening a FIFO without O_NONBLOCK waits for a writer; O_NOCTTY keeps a terminal device from
// becoming the controlling terminal. Neither changes how a regular file is read. (0 on Windows.)
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0) | (fs.constants.O_NOCTTY ?? 0);

/**
 * Reads a regular file (following symbolic links) of at most `maxBytes` bytes. `stat`: the
 * caller's own `fs.statSync` of the path, if it just made one.
 */
export function readRegularFile(file: string, maxBytes: number, stat?: fs.Stats): BoundedRead {
  let fd: number;
  try {
    // Checked before opening too: opening some devices has effects of its own (a tape rewinds).
    const before = stat ?? fs.statSync(file);
    if (!before.isFile()) return { ok: false, reason: 'not-regular', kind: fileKind(before) };
    fd = fs.openSync(file, OPEN_FLAGS);
  } catch (e) {
    return { ok: false, reason: 'error', error: e as NodeJS.ErrnoException };
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) return { ok: false, reason: 'not-regular', kind: fileKind(stat) };
    if (stat.size > maxBytes) return { ok: false, reason: 'too-large', size: stat.size };
    const bytes = readAtMost(fd, maxBytes, stat.size);
    return bytes === undefined ? { ok: false, reason: 'too-large' } : { ok: true, bytes };
  } catch (e) {
    return { ok: false, reason: 'error', error: e as NodeJS.ErrnoException };
  } finally {
    fs.closeSync(fd);
  }
}

/** The file's bytes, or undefined as soon as more than `maxBytes` have been read. */
function readAtMost(fd: number, maxBytes: number, expectedSize: number): Buffer | undefined {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    // One byte more than expected, so that the usual case ends with one read and one empty read.
    const wanted = Math.min(Math.max(CHUNK_BYTES, expectedSize + 1 - total), maxBytes + 1 - total);
    const chunk = Buffer.allocUnsafe(wanted);
    const read = fs.readSync(fd, chunk, 0, wanted, null);
    if (read === 0) return Buffer.concat(chunks, total);
    chunks.push(chunk.subarray(0, read));
    total += read;
    if (total > maxBytes) return undefined;
    // Short of what was asked, with every byte the file had when it was opened: that is its end
    // (a regular file reads short only there), so the empty read that would say so is not made.
    if (read < wanted && total === expectedSize) return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  }
}

/** Reads a stream (standard input) to its end, or stops as soon as it passes `maxBytes`. */
export async function readStreamBounded(stream: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>, maxBytes: number): Promise<BoundedRead> {
  const chunks: Buffer[] = [];
  let total = 0;
  // Leaving the loop early ends the iteration, which closes a Node.js stream.
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    chunks.push(bytes);
    total += bytes.length;
    if (total > maxBytes) return { ok: false, reason: 'too-large' };
  }
  return { ok: true, bytes: Buffer.concat(chunks, total) };
}

/** What a path that is not a regular file is, for messages. */
export function fileKind(stat: fs.Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'a special file';
}

const FS_ERROR_TEXT: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOENT: 'no such file',
  EISDIR: 'is a directory',
  ENOTDIR: 'a component of the path is not a directory',
  ELOOP: 'too many levels of symbolic links (a symbolic link loop, ELOOP)',
  ENAMETOOLONG: 'the path is too long (ENAMETOOLONG)',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
};

/** A file-system error in a few words (the code's usual meaning, else Node's message). */
export function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return (code !== undefined ? FS_ERROR_TEXT[code] : undefined) ?? (e as Error)?.message ?? String(e);
}
