/** A small deterministic generator for garbage tests: `random(n)` is a whole number from 0 to n - 1, the same sequence for the same seed on every run. */
export function seededRandom(seed: number): (n: number) => number {
  let state = seed;
  return (n: number): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % n;
  };
}
