// `node:url` for the web bundle: the two conversions the server uses, POSIX paths only (the
// web worker sees file URIs only for documents it is given, never for a disk of its own).

export function pathToFileURL(path: string): URL {
  const url = new URL('file:///');
  // The pathname setter escapes spaces, `?` and `#`, but not `%`, `\` or control characters.
  url.pathname = path.replace(/%/g, '%25').replace(/\\/g, '%5C').replace(/\n/g, '%0A').replace(/\r/g, '%0D').replace(/\t/g, '%09');
  return url;
}

export function fileURLToPath(url: string | URL): string {
  const parsed = typeof url === 'string' ? new URL(url) : url;
  if (parsed.protocol !== 'file:') throw new TypeError(`The URL must be of scheme file: ${parsed.href}`);
  if (parsed.hostname !== '') throw new TypeError(`File URL host must be "localhost" or empty: ${parsed.href}`);
  if (/%2f/i.test(parsed.pathname)) throw new TypeError(`File URL path must not include encoded / characters: ${parsed.href}`);
  return decodeURIComponent(parsed.pathname);
}
