// V8 settings for a lint run. A run lasts seconds, and most of its hot code is optimized during
// it: with TurboFan's inlining each optimizing compile costs several times more (about a third of
// all the instructions of a run over arch/x86 went to those compiles), on the same two cores the
// lint itself uses. Without inlining the optimized code is a little slower but ready much sooner;
// measured over arch/x86 (wall, best of 6, alternating): whole program 1,808 → 1,593 ms, each file
// alone 457 → 383 ms, .S and C together 3,162 → 2,826 ms. bin/virtlint.js sets the same flags
// before it loads the bundle, so that the compile cache always sees one set of flags.
//
// For the same reason a function is optimized only after about three times V8's default amount of
// interpreted work (its "interrupt budget"): fewer functions are compiled, each with fuller type
// feedback, so fewer are thrown away and compiled again. Measured over arch/x86 on Node 20 (CPU,
// median of 6, alternating; 2 cores): .S and C together 3.97 → 3.76 s, C alone 2.00 → 1.86 s, .S
// alone 1.96 → 1.92 s, with the single-threaded runs' wall unchanged (their spare core compiles
// for free) and the together run's ~4% shorter. Twice this budget made C alone ~7% slower:
// its hot code then stays unoptimized too long.
import { setFlagsFromString } from 'node:v8';

export const LINT_ENGINE_FLAGS: readonly string[] = ['--no-turbo-inlining', '--interrupt-budget=200000'];

/** V8 versions known to have the flags (Node 20 to 24); another engine keeps its defaults rather than warn about a flag it lacks. */
export function engineTakesLintFlags(v8Version: string): boolean {
  return /^(9|1[0-4])\./.test(v8Version);
}

/** Sets the lint run's flags for this process (its worker threads share them). */
export function useLintEngineFlags(): void {
  if (!engineTakesLintFlags(process.versions.v8)) return;
  for (const flag of LINT_ENGINE_FLAGS) setFlagsFromString(flag);
}
