// Public surface of the analysis core: text to results, and the facts shared with the binary
// scanner. The shells also use the core's other public surfaces, each a folder's index:
// `catalogue/` (rules, profiles, severities), `fixes/` (quick fixes), `hover/` (hover text).
export * from './types';
export { analyzeText } from './document/analyze';
export { DocumentAnalyzer, type ContentChange } from './document/incremental';
export { ruleForCode, sensitiveCodes, isInt3 } from './resolve/classify';
export { codeFacts, codeName, iced, mnemonicName, type CodeFacts } from './resolve/iced';
export { insertedComment, isGas } from './syntax/dialects';
