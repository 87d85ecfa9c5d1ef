// What the incremental-analysis tests share: making an edit in a text, and comparing results as data.
import * as assert from 'node:assert/strict';

/** `text` with the `occurrence`-th (from 0) `from` replaced by `to`; the test fails if there is no such occurrence. */
export function replaceOnce(text: string, from: string, to: string, occurrence = 0): string {
  let at = -1;
  for (let k = 0; k <= occurrence; k++) at = text.indexOf(from, at + 1);
  assert.ok(at >= 0, `"${from}" #${occurrence} is in the text`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

/**
 * A result as plain data, for deepEqual against another: functions are left out (they come from
 * the same table entries), and BigInt immediates, which JSON does not take, become strings.
 */
export function asData(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)));
}

/** One random edit of `text`: a third of the time a cut of 1 to 40 characters, otherwise one of `pieces` inserted. */
export function randomEdit(text: string, pieces: readonly string[], random: (below: number) => number): string {
  const at = random(text.length + 1);
  if (random(3) === 0 && text.length > 0) {
    const length = 1 + random(Math.min(40, text.length - at + 1));
    return text.slice(0, at) + text.slice(at + length);
  }
  return text.slice(0, at) + pieces[random(pieces.length)]! + text.slice(at);
}

/** `steps` random edits (`randomEdit`), each made on the text the one before left and handed to `edited` with its step. Returns the last text. */
export function randomEdits(text: string, pieces: readonly string[], random: (below: number) => number, steps: number, edited: (text: string, step: number) => void): string {
  for (let step = 0; step < steps; step++) {
    text = randomEdit(text, pieces, random);
    edited(text, step);
  }
  return text;
}
