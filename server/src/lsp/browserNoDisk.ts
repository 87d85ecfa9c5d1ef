// `node:fs` for the web bundle. A web worker has no file system: every read fails as a missing
// file does, so the readers fall back to what they have without a disk (the open documents).

function missing(path: unknown): Error {
  return Object.assign(new Error(`ENOENT: no file system in the web worker: '${String(path)}'`), { code: 'ENOENT', errno: -2 });
}

export const constants = { O_RDONLY: 0, O_NOFOLLOW: 0, O_NONBLOCK: 0, O_NOCTTY: 0 };

export function existsSync(): boolean {
  return false;
}

export function statSync(path: unknown): never {
  throw missing(path);
}

export function lstatSync(path: unknown): never {
  throw missing(path);
}

export function openSync(path: unknown): never {
  throw missing(path);
}

export function readFileSync(path: unknown): never {
  throw missing(path);
}

export function readdirSync(path: unknown): never {
  throw missing(path);
}

export function fstatSync(fd: unknown): never {
  throw missing(fd);
}

export function readSync(fd: unknown): never {
  throw missing(fd);
}

export function closeSync(): void {}

export const promises = {
  readdir: (path: unknown): Promise<never> => Promise.reject(missing(path)),
  readFile: (path: unknown): Promise<never> => Promise.reject(missing(path)),
  stat: (path: unknown): Promise<never> => Promise.reject(missing(path)),
};
