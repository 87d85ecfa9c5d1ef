// The C and C++ front end of the embedded-assembly analysis.
export { scanC, type CScanOptions } from './scan';
export { CMacroCache } from './directives';
