// `node:path` for the web bundle: the POSIX functions the server uses, on `/`-separated paths
// (the worker has no working directory: relative paths resolve against `/`).

export const sep = '/';
export const delimiter = ':';

export function isAbsolute(path: string): boolean {
  return path.startsWith('/');
}

export function normalize(path: string): string {
  if (path === '') return '.';
  const absolute = isAbsolute(path);
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part !== '..') parts.push(part);
    else if (parts.length > 0 && parts[parts.length - 1] !== '..') parts.pop();
    else if (!absolute) parts.push('..');
  }
  const body = parts.join('/');
  const trailing = path.endsWith('/') && body !== '' ? '/' : '';
  if (absolute) return `/${body}${trailing}`;
  return body === '' ? '.' : `${body}${trailing}`;
}

export function join(...paths: string[]): string {
  const present = paths.filter((path) => path !== '');
  return present.length === 0 ? '.' : normalize(present.join('/'));
}

export function resolve(...paths: string[]): string {
  let resolved = '';
  for (let index = paths.length - 1; index >= 0 && !isAbsolute(resolved); index--) {
    const path = paths[index]!;
    if (path !== '') resolved = resolved === '' ? path : `${path}/${resolved}`;
  }
  const normalized = normalize(`/${resolved}`);
  return normalized.length > 1 && normalized.endsWith('/') ? normalized.slice(0, -1) : normalized;
}

export function dirname(path: string): string {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  const slash = trimmed.lastIndexOf('/');
  if (slash < 0) return '.';
  return slash === 0 ? '/' : trimmed.slice(0, slash);
}

export function basename(path: string, suffix?: string): string {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  const base = trimmed.slice(trimmed.lastIndexOf('/') + 1);
  return suffix && base !== suffix && base.endsWith(suffix) ? base.slice(0, -suffix.length) : base;
}

export function extname(path: string): string {
  const base = basename(path);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot);
}

export function relative(from: string, to: string): string {
  const fromParts = resolve(from).split('/').filter((part) => part !== '');
  const toParts = resolve(to).split('/').filter((part) => part !== '');
  let shared = 0;
  while (shared < fromParts.length && shared < toParts.length && fromParts[shared] === toParts[shared]) shared++;
  const ups: string[] = [];
  for (let index = shared; index < fromParts.length; index++) ups.push('..');
  for (let index = shared; index < toParts.length; index++) ups.push(toParts[index]!);
  return ups.join('/');
}

export const posix = { sep, delimiter, isAbsolute, normalize, join, resolve, dirname, basename, extname, relative };
