// The C preprocessor stage: in front of GNU as for `.S`/`.sx` files (gcc -x assembler-with-cpp),
// and for C and C++ text around inline assembly.
import type { Preprocessor } from '../source';
import { CppRun, type CppOptions } from './processor';

export type { CppOptions } from './processor';

export function createCppPreprocessor(options: CppOptions): Preprocessor {
  return (input, env) => new CppRun(options, env).run(input);
}
