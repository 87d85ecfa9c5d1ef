// A hypercall fix refers to symbolic numbers (VIRTLINT_HC_*). So that the fixed file assembles
// with no extra step, the fix also includes a definitions file in the file's dialect, once, near
// the top, and names that file so the editor or the command can create it where it is missing.
import { isGas } from '../syntax/dialects';
import type { Dialect, HypercallAbi, SourceLines } from '../types';
import { hypercallDefinitions } from './definitions';
import type { TextEdit } from './layout';
import { breakForAddedLines } from '../text/lineBreaks';

/** The definitions file a fixed file includes, one per dialect (their syntaxes differ). */
export interface DefinitionsFile {
  /** Path relative to the fixed file's folder, `/`-separated: the file name, or `folder/name`. */
  name: string;
  dialect: Dialect;
  abi: HypercallAbi;
  /** What the file holds when it has to be created. */
  text: string;
}

const FILE_NAME: Record<Dialect, string> = {
  nasm: 'virtlint-hypercalls.inc',
  'gas-att': 'virtlint-hypercalls-gas.inc',
  'gas-intel': 'virtlint-hypercalls-gas.inc',
  masm: 'virtlint-hypercalls-masm.inc',
  fasm: 'virtlint-hypercalls-fasm.inc',
};

/**
 * The include's path for the file: its name, behind the folder (relative to the fixed file's own,
 * `/`-separated, `''` or undefined for the same folder). Every assembler run from the fixed file's
 * folder finds it there: NASM and GNU as look in the working directory, cpp, FASM and MASM in the
 * including file's.
 */
export function definitionsFileName(dialect: Dialect, folder?: string): string {
  const inside = normalizeFolder(folder);
  return inside === '' ? FILE_NAME[dialect] : `${inside}/${FILE_NAME[dialect]}`;
}

export function definitionsFile(dialect: Dialect, abi: HypercallAbi, folder?: string): DefinitionsFile {
  return { name: definitionsFileName(dialect, folder), dialect, abi, text: hypercallDefinitions(dialect, abi) };
}

/**
 * What a folder may hold so that every dialect's include names it as written: MASM's INCLUDE
 * takes its name unquoted, and a quote would end NASM's, GNU as's and FASM's string.
 */
const SAFE_FOLDER = /^[A-Za-z0-9_.+@\/-]*$/;

/** Why a definitions folder (relative, as FixOptions takes it) cannot be named by an include; undefined when it can. */
export function definitionsFolderProblem(folder: string): string | undefined {
  if (!SAFE_FOLDER.test(folder)) return 'it may hold only letters, digits and _ . + @ - / (an include names it unquoted in MASM)';
  if (/^(\/|[A-Za-z]:)/.test(folder)) return 'it must be relative to the fixed file';
  return undefined;
}

function normalizeFolder(folder: string | undefined): string {
  if (folder === undefined) return '';
  const parts = folder.split(/[\\/]+/).filter((part) => part !== '' && part !== '.');
  return parts.join('/');
}

/** The directive that includes `name` (relative to the including file; GNU as and NASM also search there, see the tests). */
export function includeDirective(dialect: Dialect, name: string): string {
  switch (dialect) {
    case 'nasm':
      return `%include "${name}"`;
    case 'gas-att':
    case 'gas-intel':
      return `.include "${name}"`;
    case 'masm':
      return `include ${name}`;
    case 'fasm':
      return `include '${name}'`;
  }
}

// Fix-all asks once per fix about the same lines: scan them once per dialect.
const known = new WeakMap<SourceLines, Map<Dialect, boolean>>();

/** A file that names the definitions file or defines the numbers itself needs no include. */
export function hasDefinitions(source: SourceLines, dialect: Dialect): boolean {
  let byDialect = known.get(source);
  if (!byDialect) known.set(source, (byDialect = new Map()));
  let answer = byDialect.get(dialect);
  if (answer === undefined) byDialect.set(dialect, (answer = scanForDefinitions(source, dialect)));
  return answer;
}

function scanForDefinitions(source: SourceLines, dialect: Dialect): boolean {
  const name = FILE_NAME[dialect];
  for (let i = 0; i < source.lineCount; i++) {
    const line = source.line(i);
    if (line.includes(name)) return true;
    if (line.includes('VIRTLINT_HC_') && DEFINES.test(line)) return true;
  }
  return false;
}

const DEFINES = /(%x?i?define|%assign|\.equ|\.set|\.equiv)\s+VIRTLINT_HC_|VIRTLINT_HC_\w+\s*(\bequ\b|=)/i;

/** Inserts the include after the file's leading comments (a licence, a modeline stay first). */
export function includeEdit(source: SourceLines, dialect: Dialect, name: string = FILE_NAME[dialect]): TextEdit {
  const line = firstLineAfterLeadingComments(source, dialect);
  const at = { line, character: 0 };
  const lineBreak = breakForAddedLines((index) => source.lineBreak(index), Math.max(0, Math.min(line, source.lineCount - 1)));
  const atEnd = line >= source.lineCount;
  const directive = includeDirective(dialect, name);
  if (atEnd) {
    const last = Math.max(0, source.lineCount - 1);
    const end = { line: last, character: source.line(last).length };
    const before = source.lineCount === 0 || source.line(last) === '' ? '' : lineBreak || '\n';
    return { range: { start: end, end }, newText: `${before}${directive}${lineBreak || '\n'}` };
  }
  return { range: { start: at, end: at }, newText: `${directive}${lineBreak || '\n'}` };
}

/**
 * For a client that cannot create files: the numbers themselves where the include would go,
 * their lines ended as the include line is (a CRLF file stays CRLF).
 */
export function inlineNumbersEdit(include: TextEdit, file: DefinitionsFile): TextEdit {
  const lineBreak = /\r\n$/.test(include.newText) ? '\r\n' : /\r$/.test(include.newText) ? '\r' : '\n';
  const text = lineBreak === '\n' ? file.text : file.text.replace(/\n/g, lineBreak);
  return { range: include.range, newText: text };
}

/** A fix's text when its numbers go into the document: its block comment no longer points at the file. */
export function textWithNumbersInline(text: string, fileName: string): string {
  return text.split(`numbers in ${fileName}`).join('numbers defined in this file');
}

/** A hypercall fix's title when its numbers go into the document: `(adds F)` becomes what happens instead. */
export function titleWithNumbersInline(title: string, fileName: string): string {
  return title.replace(`(adds ${fileName})`, '(defines its numbers in the file)');
}

/** How many lines to look at for leading comments: a file that is all comment gets the include at the end of them. */
const LEADING_LIMIT = 200;

function firstLineAfterLeadingComments(source: SourceLines, dialect: Dialect): number {
  let inBlock = false;
  let after = 0;
  const limit = Math.min(source.lineCount, LEADING_LIMIT);
  for (let i = 0; i < limit; i++) {
    const text = source.line(i).trim();
    if (inBlock) {
      if (text.includes('*/')) {
        inBlock = false;
        if (text.slice(text.indexOf('*/') + 2).trim() !== '') return i;
      }
      after = i + 1;
      continue;
    }
    if (text === '') continue;
    if (isLineComment(text, dialect)) {
      after = i + 1;
      continue;
    }
    if (isGas(dialect) && text.startsWith('/*')) {
      const close = text.indexOf('*/', 2);
      if (close < 0) inBlock = true;
      else if (text.slice(close + 2).trim() !== '') return after;
      after = i + 1;
      continue;
    }
    return after;
  }
  return inBlock ? 0 : after;
}

const CPP_DIRECTIVE = /^#\s*(if|ifdef|ifndef|elif|else|endif|include|include_next|define|undef|pragma|error|warning|line)\b/;

function isLineComment(text: string, dialect: Dialect): boolean {
  if (!isGas(dialect)) return text.startsWith(';');
  // A cpp directive (`#ifdef`, `#include`) is not a comment: the include goes before it, never into a conditional.
  return (text.startsWith('#') && !CPP_DIRECTIVE.test(text)) || text.startsWith('//');
}
