// The FASM preprocessor stage of the project model.
import type { Preprocessor } from '../source';
import { preprocessFasm } from './preprocessor';

export const fasmPreprocessor: Preprocessor = (input, env) => preprocessFasm(input, env);
