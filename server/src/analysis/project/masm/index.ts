// The MASM preprocessor stage of the project model.
import type { Preprocessor } from '../source';
import { preprocessMasm } from './preprocessor';

export const masmPreprocessor: Preprocessor = (input, env) => preprocessMasm(input, env);
