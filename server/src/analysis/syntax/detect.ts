// Guesses a file's dialect and starting bitness from its text. The file name is only a hint,
// a modeline (`; virtlint: dialect=nasm bits=16`) beats everything.
import { isGas } from './dialects';
import { isRexOnlyRegister, registerNames } from './registers';
import type { Bits, Dialect, RegisterClass, SettingSource } from '../types';

/** Detection reads the first this many lines for evidence of the dialect and bitness. */
export const SAMPLE_LINES = 4000;
/** A modeline counts in the first or the last this many lines. */
export const MODELINE_LINES = 20;

export interface Modeline {
  dialect?: Dialect;
  bits?: Bits;
}

const DIALECT_NAMES: Record<string, Dialect> = {
  nasm: 'nasm',
  yasm: 'nasm',
  gas: 'gas-att',
  att: 'gas-att',
  'gas-att': 'gas-att',
  'gas-intel': 'gas-intel',
  masm: 'masm',
  ml: 'masm',
  ml64: 'masm',
  fasm: 'fasm',
};

export function parseDialectName(name: string): Dialect | undefined {
  return DIALECT_NAMES[name.toLowerCase()];
}

const MODELINE = /virtlint:\s*((?:(?:dialect|bits)\s*=\s*[\w-]+[\s,]*)+)/i;

/** A modeline anywhere in the first or last MODELINE_LINES lines. */
export function findModeline(lines: readonly string[]): Modeline {
  const head = lines.slice(0, MODELINE_LINES);
  const tail = lines.length > MODELINE_LINES ? lines.slice(-MODELINE_LINES) : [];
  for (const line of [...head, ...tail]) {
    const m = MODELINE.exec(line);
    if (!m) continue;
    const result: Modeline = {};
    for (const [, key, value] of m[1]!.matchAll(/(dialect|bits)\s*=\s*([\w-]+)/gi)) {
      if (key!.toLowerCase() === 'dialect') {
        const d = parseDialectName(value!);
        if (d) result.dialect = d;
      } else if (value === '16' || value === '32' || value === '64') result.bits = Number(value) as Bits;
    }
    return result;
  }
  return {};
}

export interface Scores {
  nasm: number;
  gas: number;
  masm: number;
  fasm: number;
}

/**
 * Content signals: a pattern, the family it votes for, its weight, words one of which the
 * pattern cannot match without (lower case), and, for a pattern that is a line's first word
 * after blanks, the words one of which some line must start with (see `lineLeads`). A sample
 * lacking all of them skips the pattern: most of these scan every line of up to 4,000, on the
 * path to every file's first diagnostics, and a word found anywhere (`end`, `use`, `.`) rarely
 * rules one out.
 */
const SIGNALS: Array<[RegExp, keyof Scores, number, readonly string[], (readonly string[])?]> = [
  [/^[ \t]*%\s*(macro|define|include|ifdef|ifndef|assign|xdefine|rep|endrep|endmacro)\b/im, 'nasm', 5, ['%'], ['%']],
  [/^[ \t]*\[?\s*bits\s+(16|32|64)\s*\]?/im, 'nasm', 6, ['bits']],
  [/^[ \t]*(section|segment)\s+\.(text|data|bss)\b/im, 'nasm', 3, ['section', 'segment'], ['section', 'segment']],
  [/^[ \t]*(global|extern)\s+\w/im, 'nasm', 2, ['global', 'extern'], ['global', 'extern']],
  [/\b(byte|word|dword|qword)\s+\[/i, 'nasm', 2, ['[']],
  [/\bres[bwdq]\b/i, 'nasm', 2, ['res']],
  [/^[ \t]*default\s+rel\b/im, 'nasm', 5, ['default'], ['default']],
  [/%[a-z]{2,3}\b/i, 'gas', 1, ['%']],
  [/%(e?[abcd]x|r[abcd]x|[re]?[sb]p|[re]?[sd]i|r\d+|[cdefgs]s)\b/i, 'gas', 6, ['%']],
  [/\$0x[0-9a-f]+|\$\d+\b/i, 'gas', 2, ['$']],
  [/^[ \t]*\.(globl|global|text|section|code16|code16gcc|code32|code64|intel_syntax|att_syntax|macro|endm|long|quad|byte|type|size|p2align|balign|align|ascii|asciz|string)\b/im, 'gas', 4, ['.'], ['.']],
  [/^[ \t]*#\s*(include|define|ifdef|ifndef|if)\b/im, 'gas', 3, ['#'], ['#']],
  [/^[ \t]*\w+\s+(proc|endp)\b/im, 'masm', 6, ['proc', 'endp']],
  [/^[ \t]*\.(model|386p?|486p?|586p?|686p?|x64|xmm|mmx|stack)\b/im, 'masm', 6, ['.'], ['.model', '.386', '.386p', '.486', '.486p', '.586', '.586p', '.686', '.686p', '.x64', '.xmm', '.mmx', '.stack']],
  [/^[ \t]*\w+\s+segment\b/im, 'masm', 4, ['segment']],
  [/^[ \t]*(assume|end|invoke|includelib|option)\b/im, 'masm', 3, ['assume', 'end', 'invoke', 'includelib', 'option'], ['assume', 'end', 'invoke', 'includelib', 'option']],
  [/\b(dword|qword|word|byte|fword)\s+ptr\b/i, 'masm', 2, ['ptr']],
  [/\boffset\s+\w/i, 'masm', 2, ['offset']],
  [/^[ \t]*\w+\s+macro\b/im, 'masm', 3, ['macro']],
  [/^[ \t]*format\s+(pe|elf|binary|mz|coff|ms|macho)(64)?\b/im, 'fasm', 8, ['format'], ['format']],
  [/^[ \t]*use(16|32|64)\b/im, 'fasm', 3, ['use'], ['use16', 'use32', 'use64']],
  [/^[ \t]*macro\s+\w+[^\n]*\{?/im, 'fasm', 3, ['macro'], ['macro']],
  [/^[ \t]*(rept|irp|match)\b[^\n]*\{/im, 'fasm', 4, ['{'], ['rept', 'irp', 'match']],
  [/\bpword\b|\brb\s+\d/i, 'fasm', 3, ['pword', 'rb']],
  [/^[ \t]*include\s+'[^']+'/im, 'fasm', 3, ['include'], ['include']],
];

function extensionHint(fileName: string | undefined): keyof Scores | undefined {
  if (!fileName) return undefined;
  const lower = fileName.toLowerCase();
  if (/\.(s|sx)$/.test(lower)) return 'gas';
  if (/\.(nasm|yasm)$/.test(lower)) return 'nasm';
  if (/\.(masm)$/.test(lower)) return 'masm';
  if (/\.(fasm|fas)$/.test(lower)) return 'fasm';
  return undefined;
}

export interface Detected<T> {
  value: T;
  source: SettingSource;
}

/**
 * Each family's score from the content signals. `precheck: false` runs every pattern whatever
 * the words say: the result must be the same (a test compares the two).
 */
export function contentScores(sample: string, precheck = true): Scores {
  const scores: Scores = { nasm: 0, gas: 0, masm: 0, fasm: 0 };
  // Upper-case ASCII letters only become lower case, so a word the pattern needs is still found.
  const lower = precheck ? sample.toLowerCase() : '';
  const leads = precheck ? lineLeads(sample) : undefined;
  for (const [pattern, dialect, weight, words, firstWords] of SIGNALS) {
    const possible = !precheck || (firstWords !== undefined && leads !== undefined ? firstWords.some((word) => leads.has(word)) : words.some((word) => lower.includes(word)));
    if (possible && pattern.test(sample)) scores[dialect] += weight;
  }
  return scores;
}

export function detectDialect(sample: string, fileName?: string): Detected<Dialect> {
  const scores = contentScores(sample);
  const hint = extensionHint(fileName);
  let best: keyof Scores | undefined;
  let bestScore = 0;
  for (const key of Object.keys(scores) as Array<keyof Scores>) {
    if (scores[key] > bestScore) {
      best = key;
      bestScore = scores[key];
    }
  }
  if (!best) return hint ? { value: toDialect(hint, sample), source: 'extension' } : { value: 'nasm', source: 'default' };
  // A weak content signal loses to the extension when the extension points elsewhere.
  if (hint && hint !== best && bestScore < 5) return { value: toDialect(hint, sample), source: 'extension' };
  return { value: toDialect(best, sample), source: 'content' };
}

function isWordCode(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

/**
 * How the sample's lines start, after spaces and tabs, in lower case: a line starting with a
 * word character gives its word (`\w` run), one starting with `.` gives `.` and `.word`, any
 * other its first character. A pattern `^[ \t]*word\b` can match only if `word` is among them.
 * Undefined when the sample has a line break other than the line feed (a multiline `^` also
 * starts a line there).
 */
function lineLeads(sample: string): Set<string> | undefined {
  if (sample.includes('\r') || sample.includes('\u2028') || sample.includes('\u2029')) return undefined;
  const leads = new Set<string>();
  for (let start = 0; start <= sample.length; ) {
    let end = sample.indexOf('\n', start);
    if (end < 0) end = sample.length;
    let first = start;
    while (first < end && (sample.charCodeAt(first) === 0x20 || sample.charCodeAt(first) === 0x09)) first++;
    start = end + 1;
    if (first === end) continue;
    const c = sample.charCodeAt(first);
    const dot = c === 0x2e;
    if (!dot && !isWordCode(c)) {
      leads.add(sample[first]!);
      continue;
    }
    let last = dot ? first + 1 : first;
    while (last < end && isWordCode(sample.charCodeAt(last))) last++;
    if (dot) leads.add('.');
    leads.add(sample.slice(first, last).toLowerCase());
  }
  return leads;
}

function toDialect(family: keyof Scores, sample: string): Dialect {
  return family === 'gas' ? gasSyntaxOf(sample) : family;
}

/** Which GNU as syntax a file starts in. */
export function gasSyntaxOf(sample: string): 'gas-att' | 'gas-intel' {
  const intel = /^[ \t]*\.intel_syntax\b/im.exec(sample);
  const att = /^[ \t]*\.att_syntax\b/im.exec(sample);
  if (intel && (!att || intel.index < att.index)) {
    // Code before the first `.intel_syntax` is AT&T; only call the file Intel when the switch comes first.
    const before = sample.slice(0, intel.index);
    if (!/^[ \t]*[a-z]{2,}[^\n]*%/im.test(before)) return 'gas-intel';
  }
  return 'gas-att';
}

/** The first explicit bitness directive, if it comes before any instruction-looking text. */
const FIRST_BITS: Array<[RegExp, Bits | 'arg', string]> = [
  [/^[ \t]*\[?\s*bits\s+(16|32|64)\b/im, 'arg', 'bits'],
  [/^[ \t]*\[?\s*use(16|32|64)\b/im, 'arg', 'use'],
  [/^[ \t]*\.code(16|32|64)/im, 'arg', '.code'],
  [/^[ \t]*\.code16gcc\b/im, 16, '.code16gcc'],
];

export function detectBits(sample: string, dialect: Dialect, fileName?: string): Detected<Bits> {
  const lowerName = (fileName ?? '').toLowerCase();
  let earliest: { index: number; bits: Bits } | undefined;
  const lower = sample.toLowerCase();
  for (const [pattern, value, word] of FIRST_BITS) {
    const m = lower.includes(word) ? pattern.exec(sample) : null;
    if (!m) continue;
    const bits = value === 'arg' ? (Number(m[1]) as Bits) : value;
    if (!earliest || m.index < earliest.index) earliest = { index: m.index, bits };
  }
  if (earliest && !/^[ \t]*[a-z]/im.test(stripNonCode(sample.slice(0, earliest.index), dialect))) {
    return { value: earliest.bits, source: 'directive' };
  }
  if (dialect === 'fasm' && /^[ \t]*format\s+(pe64|elf64|ms64)/im.test(sample)) return { value: 64, source: 'directive' };
  if (dialect === 'masm') {
    if (/^[ \t]*\.model\s+flat\b/im.test(sample)) return { value: 32, source: 'directive' };
    if (/^[ \t]*\.model\s+(tiny|small|compact|medium|large|huge)\b/im.test(sample)) return { value: 16, source: 'directive' };
  }
  if (/_64\.|64\.s$|\bx86_64\b|amd64/.test(lowerName)) return { value: 64, source: 'extension' };
  if (/_32\.|32\.s$|\bi386\b/.test(lowerName)) return { value: 32, source: 'extension' };
  const registers = registerEvidence(dialect === 'gas-att' ? 'att' : 'intel');
  if (registers[64].test(sample)) return { value: 64, source: 'content' };
  if (registers[32].test(sample)) return { value: 32, source: 'content' };
  if (earliest) return { value: earliest.bits, source: 'directive' };
  if (/\borg\s+0?x?7c00h?\b/i.test(sample)) return { value: 16, source: 'content' };
  if (registers[16].test(sample)) return { value: 16, source: 'content' };
  return { value: dialect === 'nasm' || dialect === 'fasm' ? 32 : 64, source: 'default' };
}

type RegisterEvidence = Record<Bits, RegExp>;
const evidence: Partial<Record<'att' | 'intel', RegisterEvidence>> = {};

/**
 * A general-purpose register name that only exists in 64-bit code, or a 32-bit or 16-bit one,
 * anywhere in the sample (AT&T names carry a `%`). Built from the register table.
 */
function registerEvidence(syntax: 'att' | 'intel'): RegisterEvidence {
  const build = (names: string[]): RegExp => new RegExp(`${syntax === 'att' ? '%' : '\\b'}(${names.join('|')})\\b`, 'i');
  const legacy = (cls: RegisterClass): string[] => registerNames(cls).filter((name) => !isRexOnlyRegister(name));
  const gprs: RegisterClass[] = ['gpr8', 'gpr16', 'gpr32', 'gpr64'];
  return (evidence[syntax] ??= {
    64: build(gprs.flatMap(registerNames).filter(isRexOnlyRegister)),
    32: build(legacy('gpr32')),
    16: build(legacy('gpr16')),
  });
}

/** Drops comments and directives so "is there code before the bits directive" can be asked. */
function stripNonCode(text: string, dialect: Dialect): string {
  const comment = isGas(dialect) ? /(#|\/\/).*$/gm : /;.*$/gm;
  return text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(comment, '')
    .split('\n')
    .filter((line) => !/^[ \t]*([.%#[]|section\b|segment\b|global\b|extern\b|org\b|format\b|default\b|cpu\b|\w+\s+equ\b|$)/i.test(line))
    .join('\n');
}

export function sampleOf(lines: readonly string[]): string {
  return lines.length <= SAMPLE_LINES ? lines.join('\n') : lines.slice(0, SAMPLE_LINES).join('\n');
}
