// Paths inside the project model: absolute, `/`-separated, without `.` or `..` parts. The core has
// no `path` module (it runs in the browser too), and the shells hand it paths in this form.

/** A Windows drive (`C:/`) or a leading `/`. */
export function isAbsolute(path: string): boolean {
  return path.startsWith('/') || /^[A-Za-z]:\//.test(path);
}

/** An absolute `/` path with nothing to take out: no `\\`, no empty, `.` or `..` part, no trailing `/`. */
const ALREADY_NORMAL = /^(?:\/(?!\.\.?(?:\/|$))[^/\\]+)+$/;

export function normalize(path: string): string {
  if (ALREADY_NORMAL.test(path)) return path;
  const slashed = path.replace(/\\/g, '/');
  const drive = /^[A-Za-z]:/.exec(slashed)?.[0] ?? '';
  const rest = slashed.slice(drive.length);
  const absolute = rest.startsWith('/');
  const parts: string[] = [];
  for (const part of rest.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length > 0 && parts[parts.length - 1] !== '..') parts.pop();
      else if (!absolute) parts.push('..');
      continue;
    }
    parts.push(part);
  }
  const joined = parts.join('/');
  return drive + (absolute ? `/${joined}` : joined || '.');
}

export function dirname(path: string): string {
  const cut = path.lastIndexOf('/');
  if (cut < 0) return '.';
  if (cut === 0) return '/';
  if (/^[A-Za-z]:$/.test(path.slice(0, cut))) return path.slice(0, cut + 1);
  return path.slice(0, cut);
}

export function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function joinPath(dir: string, relative: string): string {
  const slashed = relative.replace(/\\/g, '/');
  return normalize(isAbsolute(slashed) ? slashed : `${dir}/${slashed}`);
}

/** `to` as written from `fromDir` when it lies under it, else `to` whole: for messages. */
export function displayPath(to: string, fromDir: string): string {
  const prefix = fromDir.endsWith('/') ? fromDir : `${fromDir}/`;
  return to.startsWith(prefix) ? to.slice(prefix.length) : to;
}

export function extensionOf(path: string): string {
  const name = basename(path);
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot + 1);
}
