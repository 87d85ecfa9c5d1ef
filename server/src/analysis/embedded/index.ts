// Public surface of the embedded-assembly front ends: C, C++ and Rust host files in, findings on
// the host file's lines and columns out, through the same rules, profiles and suppressions.
export * from './types';
export { INTRINSICS, intrinsicNamed, type IntrinsicEntry } from './intrinsics';
export { analyzeEmbedded, EmbeddedSession, hostLanguageOf, type EmbeddedOptions, type EmbeddedResult } from './analyze';
export { CMacroCache } from './c';
export { embeddedPrefixFix, embeddedPrefixFixer, msvcEmits, prefixDirective, type EmbeddedFixInput, type EmbeddedQuickFix } from './prefixFix';
