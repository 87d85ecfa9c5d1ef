import * as path from 'node:path';

/** A path as shown to people and CI annotations: relative to cwd when inside it, else absolute; always with `/`. */
export function displayPath(filePath: string, cwd: string): string {
  if (!path.isAbsolute(filePath)) return filePath.split(path.sep).join('/');
  const relative = path.relative(cwd, filePath);
  const shown = relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : filePath;
  return shown.split(path.sep).join('/');
}
