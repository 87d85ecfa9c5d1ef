// Stand-ins for the Node globals the server's modules use, for the web bundle: scripts/build.mjs
// defines `setImmediate`, `Buffer.byteLength`, `Buffer.allocUnsafe` and `Buffer.concat` as these
// names and injects this module (and defines `process.pid` as 0: a worker has no process).

export function webSetImmediate(callback: () => void): void {
  setTimeout(callback, 0);
}

/** `Buffer.byteLength(text, 'utf8')`: the server measures documents. */
export function webUtf8ByteLength(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (isSurrogatePair(text, index)) {
      bytes += 4;
      index++;
    } else bytes += 3;
  }
  return bytes;
}

function isSurrogatePair(text: string, index: number): boolean {
  return (text.charCodeAt(index) & 0xfc00) === 0xd800 && index + 1 < text.length && (text.charCodeAt(index + 1) & 0xfc00) === 0xdc00;
}

/** `Buffer.allocUnsafe(size)`: the bounded reader's chunks, read from the client's files (browserFs.ts). */
export function webAllocBytes(size: number): Uint8Array {
  return new Uint8Array(size);
}

/** `Buffer.concat(chunks, total)`: the chunks of one bounded read, joined. */
export function webConcatBytes(chunks: readonly Uint8Array[], total?: number): Uint8Array {
  const joined = new Uint8Array(total ?? chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, Math.min(chunk.byteLength, joined.byteLength - offset));
    joined.set(part, offset);
    offset += part.byteLength;
  }
  return joined;
}
