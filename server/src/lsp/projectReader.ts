// The SourceReader the language server gives the project model: an open editor buffer wins over
// the disk (unsaved edits count), and a file on disk is read with a size limit and only when it
// is a regular file holding UTF-8 text.
import type { ReadResult, SourceReader } from '../analysis/project/index';
import { describeFsError, readRegularFile } from '../host/boundedRead';

export interface BufferSource {
  /** The open buffer's text for an absolute path, or undefined when the file is not open. */
  bufferText(path: string): string | undefined;
}

export interface RecordingReader extends SourceReader {
  /** Every path read with text, and a fingerprint of that text (to tell later whether a buffer still matches). */
  readonly fingerprints: Map<string, string>;
}

export function workspaceReader(buffers: BufferSource, maxBytes: number): RecordingReader {
  const fingerprints = new Map<string, string>();
  const cache = new Map<string, ReadResult>();
  return {
    fingerprints,
    read(path: string): ReadResult {
      const known = cache.get(path);
      if (known) return known;
      const text = buffers.bufferText(path);
      const result = text !== undefined ? checkedText(text) : readFromDisk(path, maxBytes);
      if ('text' in result) fingerprints.set(path, fingerprint(result.text));
      cache.set(path, result);
      return result;
    },
  };
}

/** Length and a 32-bit FNV-1a hash of the text: enough to tell an unchanged buffer from an edited one. */
export function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `${text.length}:${hash.toString(16)}`;
}

function checkedText(text: string): ReadResult {
  return text.includes('\0') ? { error: 'it contains NUL bytes, so it is not assembly source' } : { text };
}

function readFromDisk(path: string, maxBytes: number): ReadResult {
  const read = readRegularFile(path, maxBytes);
  if (!read.ok) {
    if (read.reason === 'too-large') return { error: `it is larger than virtlint.maxFileSize (${maxBytes} bytes)` };
    if (read.reason === 'not-regular') return { error: `it is ${read.kind}, not a regular file` };
    // The project model reads several candidate paths for an include; `not found` is what it expects for a miss.
    if (read.error.code === 'ENOENT' || read.error.code === 'ENOTDIR') return { error: 'not found' };
    return { error: describeFsError(read.error) };
  }
  if (read.bytes.includes(0)) return { error: 'it contains NUL bytes, so it is not assembly source' };
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(read.bytes);
    return { text };
  } catch {
    return { error: 'it is not UTF-8 text' };
  }
}
