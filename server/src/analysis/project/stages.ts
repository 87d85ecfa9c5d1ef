// Which preprocessors stand in front of the assembler proper, by dialect: GNU as `.S` files go
// through cpp first (as `gcc -c` does); `.s` files do not.
import { createCppPreprocessor } from './cpp/index';
import { fasmPreprocessor } from './fasm/index';
import { gasMacroStage } from './gas/index';
import { masmPreprocessor } from './masm/index';
import { nasmPreprocessor } from './nasm/index';
import { extensionOf } from './paths';
import type { Preprocessor } from './source';
import type { Dialect } from '../types';

const cppForAssembler = createCppPreprocessor({ language: 'assembler' });

/** Extensions gcc runs through cpp before the assembler (`.S`, `.sx`). */
export function runsCpp(path: string): boolean {
  const extension = extensionOf(path);
  return extension === 'S' || extension === 'sx';
}

export function stagesFor(dialect: Dialect, root: string): Preprocessor[] {
  switch (dialect) {
    case 'nasm':
      return [nasmPreprocessor];
    case 'fasm':
      return [fasmPreprocessor];
    case 'masm':
      return [masmPreprocessor];
    case 'gas-att':
    case 'gas-intel':
      return runsCpp(root) ? [cppForAssembler, gasMacroStage] : [gasMacroStage];
  }
}
