// Macro body substitution as GNU as does it (non-alternate mode): `\name` becomes the argument,
// `\()` (or `\(text)`) separates a parameter from what follows, `\@` is the count of macros
// expanded so far. An unknown `\name` is left as written.
import { nameEnd } from './text';

export function substituteBody(text: string, values: ReadonlyMap<string, string>, expansionCount: number): string {
  let backslash = text.indexOf('\\');
  if (backslash < 0) return text;
  let out = '';
  let copied = 0;
  while (backslash >= 0) {
    out += text.slice(copied, backslash);
    let index = backslash + 1;
    const next = text[index];
    if (next === '(') {
      const close = text.indexOf(')', index + 1);
      out += close < 0 ? text.slice(index + 1) : text.slice(index + 1, close);
      index = close < 0 ? text.length : close + 1;
    } else if (next === '@') {
      out += String(expansionCount);
      index++;
    } else if (next === '&') {
      out += '\\&';
      index++;
    } else {
      const end = nameEnd(text, index);
      const name = text.slice(index, end);
      const value = values.get(name);
      out += value ?? '\\' + name;
      // GNU as swallows an apostrophe right after the name (`\arg'`), found or not.
      index = text[end] === "'" ? end + 1 : end;
    }
    copied = index;
    backslash = text.indexOf('\\', index);
  }
  return out + text.slice(copied);
}
