// Output files (-o, --write-hypercall-defs, --write-hypercall-header) must not overwrite an input
// or each other. Paths are compared as the file system sees them: `a.asm`, `./a.asm`, a symbolic
// link to it and a hard link all name the same file.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../report/options';

export interface NamedPath {
  /** How the user named it, for the message: `-o report.json`, `the input boot.asm`. */
  label: string;
  /** Absolute path. */
  path: string;
}

/** Throws a UsageError when a target is an input or the same file as another target. */
export function checkOutputTargets(targets: readonly NamedPath[], inputs: Iterable<NamedPath>): void {
  const seen = new Map<string, NamedPath>();
  for (const target of targets) {
    const identity = fileIdentity(target.path);
    const earlier = seen.get(identity);
    if (earlier !== undefined) throw new UsageError(`${earlier.label} and ${target.label} are the same file; each output needs its own`);
    seen.set(identity, target);
  }
  if (seen.size === 0) return;
  for (const input of inputs) {
    const target = seen.get(fileIdentity(input.path));
    if (target !== undefined) throw new UsageError(`${target.label} would overwrite ${input.label}; choose another output file`);
  }
}

const MAX_LINK_HOPS = 40;

/** Device and inode of an existing file; for one not created yet, the real path it would get. */
function fileIdentity(file: string, hops = 0): string {
  try {
    const stat = fs.statSync(file);
    return `inode ${stat.dev}:${stat.ino}`;
  } catch {
    // Not there (yet).
  }
  if (hops < MAX_LINK_HOPS) {
    try {
      // A dangling link: writing creates the file it points to.
      return fileIdentity(path.resolve(path.dirname(file), fs.readlinkSync(file)), hops + 1);
    } catch {
      // Not a link.
    }
  }
  return `path ${path.join(realDirectory(path.dirname(file)), path.basename(file))}`;
}

/** The real path of `dir`, through its nearest existing ancestor (the rest is created later). */
function realDirectory(dir: string): string {
  try {
    return fs.realpathSync(dir);
  } catch {
    const parent = path.dirname(dir);
    return parent === dir ? dir : path.join(realDirectory(parent), path.basename(dir));
  }
}
