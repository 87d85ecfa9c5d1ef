/**
 * A small deterministic generator for garbage tests: `random(n)` is a whole number from 0 to n - 1,
 * the same sequence for the same seed on every run. Marsaglia's xorshift32 on a full 32-bit state
 * (kept in integer arithmetic, so no bit is lost to doubles); the number is taken from the high
 * bits, the better mixed ones, and the first few states are skipped so that seeds 1, 2, 3 do not
 * start alike.
 */
export function seededRandom(seed: number): (n: number) => number {
  let state = (Math.imul(seed, 0x9e3779b1) ^ 0x6d2b79f5) >>> 0 || 1;
  const step = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
  for (let k = 0; k < 8; k++) step();
  return (n: number): number => Math.floor((step() / 4294967296) * n);
}
