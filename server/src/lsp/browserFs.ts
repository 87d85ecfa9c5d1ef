// `node:fs` for the web bundle: a read-only file system holding the workspace files the client
// has sent (browserClientFiles.ts). A path the client has not been asked about reads as missing,
// and is asked about; so the server's readers (bounded reads, stats, the configuration lookup)
// run unchanged and give the desktop's answers once the client's have arrived. Nothing is listed
// here: the project index asks the client for its listing (browserWorkspace.ts).
import { clientFiles, type ClientFile } from './browserClientFiles';

interface ErrnoError extends Error {
  code: string;
  errno: number;
}

function missing(path: unknown): ErrnoError {
  return Object.assign(new Error(`ENOENT: no such file in the web worker: '${String(path)}'`), { code: 'ENOENT', errno: -2 });
}

export const constants = { O_RDONLY: 0, O_NOFOLLOW: 0, O_NONBLOCK: 0, O_NOCTTY: 0 };

/** The parts of fs.Stats the server reads. */
class ClientStats {
  readonly ino = 0;
  constructor(
    readonly size: number,
    readonly mtimeMs: number,
  ) {}
  isFile(): boolean {
    return true;
  }
  isDirectory(): boolean {
    return false;
  }
  isSymbolicLink(): boolean {
    return false;
  }
  isFIFO(): boolean {
    return false;
  }
  isCharacterDevice(): boolean {
    return false;
  }
  isBlockDevice(): boolean {
    return false;
  }
  isSocket(): boolean {
    return false;
  }
}

type PresentFile = Exclude<ClientFile, { kind: 'missing' }>;

function present(path: unknown): PresentFile | undefined {
  const file = clientFiles.lookup(String(path));
  return file === undefined || file.kind === 'missing' ? undefined : file;
}

/** The generation stands for the modification time: a file the client sent again has a new one. */
function statsOf(file: PresentFile): ClientStats {
  const size = file.kind === 'text' ? file.bytes.byteLength : file.kind === 'too-large' ? file.size : 0;
  return new ClientStats(size, file.generation);
}

export function existsSync(path: unknown): boolean {
  return present(path) !== undefined;
}

export function statSync(path: unknown, options?: { throwIfNoEntry?: boolean }): ClientStats | undefined {
  const file = present(path);
  if (file) return statsOf(file);
  if (options?.throwIfNoEntry === false) return undefined;
  throw missing(path);
}

export const lstatSync = statSync;

/** Open files: the bytes and how far they have been read. */
const openFiles = new Map<number, { file: PresentFile; position: number }>();
let nextDescriptor = 3;

export function openSync(path: unknown): number {
  const file = present(path);
  if (!file) throw missing(path);
  // The messages are the desktop reader's words for the same cases.
  if (file.kind === 'not-text') throw Object.assign(new Error('it is not UTF-8 text'), { code: 'EILSEQ', errno: -84 });
  if (file.kind === 'too-large') throw Object.assign(new Error(`it is larger than the web worker reads (${file.size} bytes)`), { code: 'EFBIG', errno: -27 });
  const descriptor = nextDescriptor++;
  openFiles.set(descriptor, { file, position: 0 });
  return descriptor;
}

function opened(descriptor: unknown): { file: PresentFile; position: number } {
  const open = openFiles.get(Number(descriptor));
  if (!open) throw Object.assign(new Error(`EBADF: bad file descriptor ${String(descriptor)}`), { code: 'EBADF', errno: -9 });
  return open;
}

export function fstatSync(descriptor: unknown): ClientStats {
  return statsOf(opened(descriptor).file);
}

export function readSync(descriptor: unknown, into: Uint8Array, offset: number, length: number): number {
  const open = opened(descriptor);
  const bytes = open.file.kind === 'text' ? open.file.bytes : new Uint8Array(0);
  const chunk = bytes.subarray(open.position, Math.min(bytes.byteLength, open.position + length));
  into.set(chunk, offset);
  open.position += chunk.byteLength;
  return chunk.byteLength;
}

export function closeSync(descriptor: unknown): void {
  openFiles.delete(Number(descriptor));
}

export function readFileSync(path: unknown): never {
  throw missing(path);
}

export function readdirSync(path: unknown): never {
  throw missing(path);
}

export const promises = {
  readdir: (path: unknown): Promise<never> => Promise.reject(missing(path)),
  readFile: (path: unknown): Promise<never> => Promise.reject(missing(path)),
  stat: (path: unknown): Promise<never> => Promise.reject(missing(path)),
};
