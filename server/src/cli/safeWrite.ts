// Rewriting a linted file without ever leaving it half-written: the new text goes to a temporary
// file in the same directory, is flushed to disk, then renamed over the original in one step. A
// failure (disk full, file size limit, I/O error) removes the temporary file and leaves the
// original as it was.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Why `--fix` will not rewrite this path, or undefined when it may. */
export function refusalToRewrite(file: string): string | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(file);
  } catch {
    return undefined; // The write reports the error.
  }
  // Writing through a link would change a file outside the linted tree; replacing the link
  // itself would turn it into a copy.
  if (stat.isSymbolicLink()) return `it is a symbolic link (to ${fs.readlinkSync(file)}); fix the file it points to directly`;
  return undefined;
}

/** Replaces `file`'s content, keeping its permissions (and its owner when allowed). Throws on failure. */
export function replaceFileContent(file: string, content: string | Uint8Array): void {
  // A rename only needs the directory to be writable; a read-only file stays read-only.
  fs.accessSync(file, fs.constants.W_OK);
  const original = fs.statSync(file);
  const temporary = temporaryNameBeside(file);
  const fd = fs.openSync(temporary, 'wx', 0o600);
  let closed = false;
  try {
    fs.writeFileSync(fd, content);
    keepOwner(fd, original);
    fs.fchmodSync(fd, original.mode & 0o7777);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    closed = true;
    fs.renameSync(temporary, file);
  } catch (e) {
    if (!closed) closeQuietly(fd);
    removeQuietly(temporary);
    throw e;
  }
  syncDirectory(path.dirname(file));
}

/** A name no other writer uses, hidden, and without an assembly extension so no walk picks it up. */
function temporaryNameBeside(file: string): string {
  // Short enough to stay within NAME_MAX (255) whatever the original name's length.
  const base = path.basename(file).slice(0, 64);
  return path.join(path.dirname(file), `.${base}.virtlint-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

function keepOwner(fd: number, original: fs.Stats): void {
  const current = fs.fstatSync(fd);
  if (current.uid === original.uid && current.gid === original.gid) return;
  try {
    fs.fchownSync(fd, original.uid, original.gid);
  } catch {
    // Only root may give a file away; the new file then belongs to whoever runs the fix, as with
    // any editor that saves by renaming.
  }
}

/** Makes the rename itself durable; some systems cannot open a directory, which is harmless. */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Best effort.
  } finally {
    if (fd !== undefined) closeQuietly(fd);
  }
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // Already failing; the first error is the one reported.
  }
}

function removeQuietly(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch {
    // Nothing left to remove.
  }
}
