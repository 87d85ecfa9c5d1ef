// Stand-ins for the Node globals the server's modules use, for the web bundle: scripts/build.mjs
// defines `setImmediate` and `Buffer.byteLength` as these names and injects this module (and
// defines `process.pid` as 0: a worker has no process).

export function webSetImmediate(callback: () => void): void {
  setTimeout(callback, 0);
}

/** `Buffer.byteLength(text, 'utf8')`: the server measures documents, it never builds buffers. */
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
