// Where a hypercall fix's definitions file goes, as the fix engine takes it: the folder the user
// named (the editor's setting, the configuration, --hypercall-definitions-folder), relative to the
// fixed file's own folder, `/`-separated, so the include line finds it from there.
import * as path from 'node:path';
import { definitionsFolderProblem } from '../analysis/fixes';

export type RelativeFolder = { ok: true; folder: string } | { ok: false; problem: string };

/** `folder` (absolute) as seen from `fixedFile`'s folder; `''` when they are the same. */
export function definitionsFolderFor(fixedFile: string, folder: string): RelativeFolder {
  const relative = path.relative(path.dirname(fixedFile), folder).split(path.sep).join('/');
  if (path.isAbsolute(relative)) return { ok: false, problem: `${folder} is on another drive than ${fixedFile}` };
  const problem = definitionsFolderProblem(relative);
  return problem === undefined ? { ok: true, folder: relative } : { ok: false, problem: `the include would name ${relative}: ${problem}` };
}
