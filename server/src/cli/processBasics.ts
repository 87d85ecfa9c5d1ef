// What the `virtlint` entry needs before it knows which command runs: kept apart from cli/main so
// that importing it does not load the lint command (main/virtlint.ts requires that on demand).
export { EXIT_UNUSABLE, type CommandIo } from '../report/options';
export { reportInternalError } from '../host/command';
