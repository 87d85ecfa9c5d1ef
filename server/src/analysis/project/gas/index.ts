// The GNU as macro stage: see stage.ts.
import type { Preprocessor } from '../source';
import { GasExpander } from './stage';

export const gasMacroStage: Preprocessor = (input, env) => ({
  [Symbol.iterator]: () => new GasExpander(env).run(input),
});
