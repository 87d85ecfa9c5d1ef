// The offsets of a template's characters, kept as runs, against the plain model they stand for:
// two numbers per character, appended one by one.
import * as assert from 'node:assert/strict';
import { appendCharRange, Chars, decodeStringLiteral, pushChar, pushRun } from '../../server/src/analysis/embedded/c/literals';

/**
 * A deterministic generator whose every call draws on the state's high bits (the shared
 * `seededRandom` multiplies past 2^53 and its low bits barely move).
 */
function generator(seed: number): (n: number) => number {
  let state = seed >>> 0;
  return (n: number): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state >>> 8) % n;
  };
}

/** Per character: where it came from in the source. */
interface Model {
  text: string;
  from: number[];
  to: number[];
}

function assertSame(chars: Chars, model: Model, what: string): void {
  assert.equal(chars.text, model.text, `${what}: text`);
  assert.equal(chars.length, model.from.length, `${what}: length`);
  for (let i = 0; i < model.from.length; i++) {
    assert.equal(chars.fromAt(i), model.from[i], `${what}: from of ${i}`);
    assert.equal(chars.toAt(i), model.to[i], `${what}: to of ${i}`);
  }
  // Lookups out of order answer the same (the forward hint is only a shortcut).
  for (let i = model.from.length - 1; i >= 0; i -= 3) assert.equal(chars.toAt(i), model.to[i], `${what}: to of ${i}, backwards`);
}

describe('C front end: template offsets as runs', () => {
  it('answers per character as the appended offsets were, whatever the order of appends', () => {
    const random = generator(34);
    for (let round = 0; round < 300; round++) {
      const chars = new Chars();
      const model: Model = { text: '', from: [], to: [] };
      const pieces: { chars: Chars; model: Model }[] = [];
      for (let step = 0; step < 12; step++) {
        const n = random(5);
        const letters = 'abcdefgh'.slice(0, n);
        const base = random(4) === 0 ? -1 : random(20);
        switch (random(5)) {
          case 0: {
            // A plain spelling (pushRun); base -1: unknown.
            pushRun(chars, letters, 0, n, base);
            model.text += letters;
            for (let k = 0; k < n; k++) {
              model.from.push(base < 0 ? -1 : base + k);
              model.to.push(base < 0 ? -1 : base + k + 1);
            }
            break;
          }
          case 1: {
            // One character from a spelling of `random(3)` characters: an escape, or a plain one that may continue a run.
            const to = base < 0 ? -1 : base + random(3);
            pushChar(chars, 'x', base, to);
            model.text += 'x';
            model.from.push(base);
            model.to.push(to);
            break;
          }
          case 2: {
            // The same place repeated (a substituted operand).
            chars.text += letters;
            chars.pushRepeated(n, base, base + 1);
            model.text += letters;
            for (let k = 0; k < n; k++) {
              model.from.push(base);
              model.to.push(base + 1);
            }
            break;
          }
          case 3: {
            // A part of something built before.
            const piece = pieces[random(pieces.length + 1)];
            if (!piece) break;
            const from = random(piece.model.from.length + 1);
            const to = from + random(piece.model.from.length - from + 1);
            appendCharRange(chars, piece.chars, from, to);
            model.text += piece.model.text.slice(from, to);
            for (let k = from; k < to; k++) {
              model.from.push(piece.model.from[k]!);
              model.to.push(piece.model.to[k]!);
            }
            break;
          }
          default: {
            // Unknown places taken over by an anchor, as a token some macro made.
            const piece = pieces[random(pieces.length + 1)];
            if (!piece) break;
            chars.text += piece.chars.text;
            chars.appendOffsets(piece.chars, 0, piece.chars.length, 100, 107, true);
            model.text += piece.model.text;
            for (let k = 0; k < piece.model.from.length; k++) {
              const known = piece.model.from[k]! >= 0;
              model.from.push(known ? piece.model.from[k]! : 100);
              model.to.push(known ? piece.model.to[k]! : 107);
            }
          }
        }
        if (random(6) === 0) {
          const at = random(model.from.length + 1);
          chars.text = chars.text.slice(0, at);
          chars.truncateOffsets(at);
          model.text = model.text.slice(0, at);
          model.from.length = at;
          model.to.length = at;
        }
        assertSame(chars, model, `round ${round}, step ${step}`);
        if (random(3) === 0) {
          const copy = new Chars();
          appendCharRange(copy, chars, 0, chars.length);
          pieces.push({ chars: copy, model: { text: model.text, from: [...model.from], to: [...model.to] } });
        }
      }
    }
  });

  it('maps an escape to its whole spelling and plain characters each to their own', () => {
    const spelling = '"a\\tb\\101c"';
    const chars = decodeStringLiteral(spelling, 10);
    assert.equal(chars.text, 'a\tbAc');
    const spelled = [...chars.text].map((_, i) => spelling.slice(chars.fromAt(i) - 10, chars.toAt(i) - 10));
    assert.deepEqual(spelled, ['a', '\\t', 'b', '\\101', 'c']);
    const unknown = decodeStringLiteral(spelling, -1);
    assert.deepEqual([...unknown.text].map((_, i) => [unknown.fromAt(i), unknown.toAt(i)]), [[-1, -1], [-1, -1], [-1, -1], [-1, -1], [-1, -1]]);
  });
});
