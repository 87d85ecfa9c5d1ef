// NASM/YASM preprocessing for the project model: `%include`, `%macro`, `%define`, `%assign`,
// `%rep` and `%if` families, expanded the way nasm does, each line keeping the line the user wrote.
import type { ExpandEnv, ExpandedLine, Preprocessor } from '../source';
import { NasmPreprocessor } from './preprocessor';

export const nasmPreprocessor: Preprocessor = (input: Iterable<ExpandedLine>, env: ExpandEnv): Iterable<ExpandedLine> => new NasmPreprocessor(env).run(input);
