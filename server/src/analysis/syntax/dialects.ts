// One home for what depends on the dialect family: GNU as (AT&T or Intel syntax) against the
// others, and how each writes a comment that virtlint inserts.
import type { Dialect } from '../types';

export function isGas(dialect: Dialect): boolean {
  return dialect === 'gas-att' || dialect === 'gas-intel';
}

// A comment virtlint writes into a file. GNU as treats `#` as a comment on x86, but `.S` files
// go through cpp first, which reads a line starting with `#` as a directive (`# include ...` or
// `# if ...` would run). A C block comment is removed by cpp and accepted by `as` on its own, so
// GNU as gets one; NASM, YASM, MASM and FASM use `;`.
export function insertedComment(dialect: Dialect, body: string): string {
  return isGas(dialect) ? `/* ${body} */` : `; ${body}`;
}
