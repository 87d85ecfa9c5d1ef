// Finding the files to lint and reading them safely: unreadable paths, FIFOs and devices, binary
// data, text that is not UTF-8 and oversized files become a clear per-file problem instead of
// being linted (or hanging, or filling memory).
import { isAscii } from 'node:buffer';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeFsError, readRegularFile, type BoundedRead } from '../host/boundedRead';
import { InputError } from '../report/options';

/** Extensions picked up when a directory is walked (files named explicitly are always linted). */
export const ASSEMBLY_EXTENSIONS: readonly string[] = ['.asm', '.s', '.S', '.sx', '.nasm', '.yasm', '.inc', '.mac', '.fasm', '.masm'];
/** C, C++ and Rust sources, linted for their inline assembly and intrinsics. */
export const HOST_EXTENSIONS: Readonly<Record<'c' | 'cpp' | 'rust', readonly string[]>> = {
  c: ['.c', '.h'],
  cpp: ['.cc', '.cpp', '.cxx', '.c++', '.hpp', '.hh', '.hxx'],
  rust: ['.rs'],
};
const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git', '.hg', '.svn']);

/** What a directory walk also takes (the configuration's extensions) and leaves out (its ignores). */
export interface WalkFilter {
  extensions?: readonly string[];
  /** Leave assembly out of the walk (`--languages` without `asm`); the configuration's extensions are assembly too. */
  noAssembly?: boolean;
  /** Host-language extensions the walk also takes. */
  hostExtensions?: readonly string[];
  isIgnored?: (file: string) => boolean;
}

export interface InputFile {
  /** Absolute path, or `-` for standard input. */
  path: string;
  /** Set when the path cannot be linted at all (an unreadable directory, a symbolic link loop...). */
  problem?: string;
}

/**
 * Expands the command-line paths into files, in a fixed order: arguments as given, each directory
 * walked depth-first with entries sorted by name. Duplicates are dropped; `-` stays as is.
 * Symbolic links to directories are not followed (they can form cycles). A path that does not
 * exist is a usage error; one that exists but cannot be read is listed with its problem.
 */
export function expandPaths(paths: readonly string[], cwd: string, filter: WalkFilter = {}): InputFile[] {
  const seen = new Set<string>();
  const out: InputFile[] = [];
  const extensions = filter.noAssembly ? [] : [...ASSEMBLY_EXTENSIONS, ...(filter.extensions ?? [])];
  for (const ext of filter.hostExtensions ?? []) extensions.push(ext);
  const add = (file: string, problem?: string): void => {
    if (file !== '-' && filter.isIgnored?.(file) === true) return;
    if (!seen.has(file)) {
      seen.add(file);
      out.push(problem === undefined ? { path: file } : { path: file, problem });
    }
  };
  for (const given of paths) {
    if (given === '-') {
      add('-');
      continue;
    }
    const full = path.resolve(cwd, given);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(full);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new InputError(`${missingPathText(full)}: ${given}`);
      add(full, `cannot read this path: ${describeFsError(e)}`);
      continue;
    }
    if (stat.isDirectory()) {
      const before = out.length;
      walk(full, add, extensions);
      if (out.length === before) throw new InputError(`no files to lint (${extensions.join(' ')}) under ${given}`);
    } else {
      add(full);
    }
  }
  return out;
}

function missingPathText(full: string): string {
  try {
    if (fs.lstatSync(full).isSymbolicLink()) return `broken symbolic link (to ${fs.readlinkSync(full)})`;
  } catch {
    // Not there at all.
  }
  return 'no such file or directory';
}

function walk(dir: string, add: (file: string, problem?: string) => void, extensions: readonly string[]): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    add(dir, `cannot read the directory: ${describeFsError(e)}; the files under it were not linted`);
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRECTORIES.has(entry.name)) walk(full, add, extensions);
    } else if (hasAssemblyExtension(entry.name, extensions) && (entry.isFile() || isFileThroughLink(entry, full))) {
      add(full);
    }
  }
}

function isFileThroughLink(entry: fs.Dirent, full: string): boolean {
  if (!entry.isSymbolicLink()) return false;
  try {
    return fs.statSync(full).isFile();
  } catch {
    return false;
  }
}

export function hasAssemblyExtension(name: string, extensions: readonly string[] = ASSEMBLY_EXTENSIONS): boolean {
  // Linker scripts go through cpp as `.lds.S` but hold no instructions.
  if (/\.lds\.S$/.test(name)) return false;
  const ext = path.extname(name);
  return extensions.includes(ext) || extensions.includes(ext.toLowerCase());
}

export type ReadOutcome =
  | { ok: true; text: string; hasBom: boolean }
  | { ok: false; problem: string };

/** Reads a regular file from disk, refusing files over `maxBytes` without reading them whole. */
export function readSourceFile(file: string, maxBytes: number, stat?: fs.Stats): ReadOutcome {
  const read = readRegularFile(file, maxBytes, stat);
  if (read.ok) return decodeSource(read.bytes, maxBytes);
  return { ok: false, problem: boundedReadProblem(read, maxBytes) };
}

/** Why a bounded read failed, as a per-file problem. */
export function boundedReadProblem(read: Exclude<BoundedRead, { ok: true }>, maxBytes: number): string {
  switch (read.reason) {
    case 'too-large':
      return tooLarge(read.size, maxBytes);
    case 'not-regular':
      return `${read.kind}, not a regular file; not linted`;
    case 'error':
      return `cannot read the file: ${describeFsError(read.error)}`;
  }
}

/** Strict, and drops a byte-order mark; with no `stream` option each `decode` starts afresh, so one serves every file. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Checks and decodes bytes (from a file or stdin) as UTF-8 text. */
export function decodeSource(bytes: Uint8Array, maxBytes: number): ReadOutcome {
  if (bytes.length > maxBytes) return { ok: false, problem: tooLarge(bytes.length, maxBytes) };
  if (startsWith(bytes, [0xff, 0xfe]) || startsWith(bytes, [0xfe, 0xff])) {
    return { ok: false, problem: 'UTF-16 text is not supported; not linted (convert the file to UTF-8)' };
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) return { ok: false, problem: `binary file (NUL byte at offset ${nul}); not linted (for object files and images use \`virtlint scan\`)` };
  // Most source is ASCII, which is its own Latin-1 spelling: a check and a copy, no decoder.
  if (isAscii(bytes)) return { ok: true, text: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1'), hasBom: false };
  const hasBom = startsWith(bytes, [0xef, 0xbb, 0xbf]);
  try {
    const text = UTF8.decode(bytes);
    return { ok: true, text, hasBom };
  } catch {
    return { ok: false, problem: `not UTF-8 text (invalid byte sequence at offset ${firstInvalidUtf8Offset(bytes)}); not linted` };
  }
}

function tooLarge(size: number | undefined, maxBytes: number): string {
  const limit = `the --max-file-size limit of ${formatBytes(maxBytes)}`;
  if (size === undefined) return `input is over ${limit} (reading stopped there); not linted`;
  return `file is ${formatBytes(size)}, over ${limit}; not linted`;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${+(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${+(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return prefix.every((byte, i) => bytes[i] === byte);
}

/** Offset of the first byte that does not start a well-formed UTF-8 sequence (the length if none). */
export function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    const length = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    if (length === 0) return i;
    const second = bytes[i + 1];
    if (second === undefined) return i;
    // Overlong forms, UTF-16 surrogates and code points above U+10FFFF (RFC 3629 table).
    if ((lead === 0xe0 && second < 0xa0) || (lead === 0xed && second > 0x9f) || (lead === 0xf0 && second < 0x90) || (lead === 0xf4 && second > 0x8f)) return i;
    for (let k = 1; k < length; k++) {
      const next = bytes[i + k];
      if (next === undefined || (next & 0xc0) !== 0x80) return i;
    }
    i += length;
  }
  return bytes.length;
}
