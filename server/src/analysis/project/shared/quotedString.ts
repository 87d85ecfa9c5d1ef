/** End (exclusive) of the string whose opening quote is at `start`: a doubled quote stays inside it (FASM, MASM). */
export function quotedStringEnd(code: string, start: number): number {
  const quote = code[start];
  let j = start + 1;
  while (j < code.length) {
    if (code[j] === quote) {
      if (code[j + 1] === quote) {
        j += 2;
        continue;
      }
      return j + 1;
    }
    j++;
  }
  return code.length;
}
