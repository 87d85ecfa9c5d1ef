// A small glob matcher for `virtlint.overrides[].files` (no dependency needed for
// `*`, `**`, `?`, `[...]` and `{a,b}`).

const cache = new Map<string, RegExp>();

/** True when `path` (with `/` separators) matches `glob`. A glob without `/` matches the base name. */
export function globMatches(glob: string, path: string): boolean {
  const normalizedPath = path.replace(/\\/g, '/');
  const subject = glob.includes('/') ? normalizedPath : normalizedPath.slice(normalizedPath.lastIndexOf('/') + 1);
  let pattern = cache.get(glob);
  if (!pattern) {
    pattern = globToRegExp(glob.replace(/^\.\//, ''));
    cache.set(glob, pattern);
  }
  return pattern.test(subject) || (glob.includes('/') && pattern.test(normalizedPath.replace(/^\/+/, '')));
}

function globToRegExp(glob: string): RegExp {
  let out = '';
  let braceDepth = 0;
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string;
    if (ch === '*') {
      if (glob[i + 1] === '*') {
        const followedBySlash = glob[i + 2] === '/';
        out += followedBySlash ? '(?:.*/)?' : '.*';
        i += followedBySlash ? 2 : 1;
      } else {
        out += '[^/]*';
      }
    } else if (ch === '?') {
      out += '[^/]';
    } else if (ch === '[') {
      const close = glob.indexOf(']', i + 1);
      if (close < 0) out += '\\[';
      else {
        out += '[' + glob.slice(i + 1, close).replace(/^!/, '^').replace(/\\/g, '\\\\') + ']';
        i = close;
      }
    } else if (ch === '{') {
      braceDepth++;
      out += '(?:';
    } else if (ch === '}' && braceDepth > 0) {
      braceDepth--;
      out += ')';
    } else if (ch === ',' && braceDepth > 0) {
      out += '|';
    } else {
      out += ch.replace(/[.+^$()|\\\]]/g, '\\$&');
    }
  }
  while (braceDepth-- > 0) out += ')';
  // A glob that does not anchor at the root may match anywhere below it, like .gitignore.
  return new RegExp(`^(?:.*/)?${out}$`);
}
