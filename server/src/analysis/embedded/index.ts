// Public surface of the embedded-assembly front ends: C, C++ and Rust host files in, findings on
// the host file's lines and columns out, through the same rules, profiles and suppressions.
export * from './types';
export { INTRINSICS, intrinsicNamed, type IntrinsicEntry } from './intrinsics';
export { analyzeEmbedded, EmbeddedSession, hostLanguageOf, type EmbeddedOptions, type EmbeddedResult } from './analyze';
export { CMacroCache } from './c';
export { embeddedPrefixDecider, embeddedPrefixFix, embeddedPrefixFixer, PREFIX_REFUSALS, type PrefixDecision, msvcEmits, prefixDirective, type EmbeddedFixInput, type EmbeddedQuickFix } from './prefixFix';
export { fixHostUntilStable, MAX_HOST_FIX_PASSES, type FixableHostAnalysis, type HostFixOutcome, type HostFixRefusal } from './prefixFixAll';
