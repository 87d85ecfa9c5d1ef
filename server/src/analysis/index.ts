// Public surface of the analysis core. The LSP server, the CLI, the binary scanner
// and the tests import from here only.
export * from './types';
export { analyzeText } from './analyze';
export { DocumentAnalyzer, type ContentChange } from './incremental';
export { ruleForCode, sensitiveCodes, isInt3 } from './classify';
export { codeFacts, type CodeFacts } from './iced';
