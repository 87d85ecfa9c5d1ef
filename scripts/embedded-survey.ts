// Survey of the embedded-assembly front ends on a real tree: every `.c` and `.h` file of Linux 6.1's
// arch/x86 (from `npm run corpus`) read by `analyzeEmbedded` with the build's include paths and
// defines, findings per rule, and a grep cross-check: the lines of C string literals whose
// assembly starts with a sensitive mnemonic, found by a regular expression, against the lines
// virtlint reports, with every difference listed. Writes a markdown section to stdout.
//
//   node out/scripts/embedded-survey.js [--limit N] [--verbose]
//   (N: list at most N differences per kind, default 80; --verbose names each file on stderr before reading it)
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { analyzeEmbedded, CMacroCache, type EmbeddedResult } from '../server/src/analysis/embedded';
import { isMetaRuleId } from '../server/src/analysis/catalogue';
import type { ReadResult, SourceReader } from '../server/src/analysis/project/source';
import { preset } from './corpusTrees';

const MAX_FILE_BYTES = 8 * 1024 * 1024;

class DiskReader implements SourceReader {
  private readonly cache = new Map<string, ReadResult>();
  read(file: string): ReadResult {
    let result = this.cache.get(file);
    if (!result) {
      try {
        const stat = fs.statSync(file);
        result = stat.isFile() && stat.size <= MAX_FILE_BYTES ? { text: fs.readFileSync(file, 'utf8') } : { error: 'not a regular file of at most 8 MiB' };
      } catch (error) {
        result = { error: (error as Error).message };
      }
      this.cache.set(file, result);
    }
    return result;
  }
}

function hostFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (folder: string): void => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.[ch]$/.test(entry.name)) found.push(full);
    }
  };
  walk(dir);
  return found;
}

/** What gcc predefines at this bitness (`__x86_64__` or `__i386__`, `__GNUC__`…), as the kernel's C files see it. */
function compilerDefines(bits: 16 | 64): Map<string, string> {
  const run = spawnSync('gcc', [`-m${bits}`, '-dM', '-E', '-x', 'c', '-'], { input: '', encoding: 'utf8' });
  const defines = new Map<string, string>();
  if (run.status !== 0) return defines;
  for (const line of run.stdout.split('\n')) {
    const match = /^#define (\w+)(?: (.*))?$/.exec(line);
    if (match) defines.set(match[1]!, match[2] ?? '');
  }
  return defines;
}

/** Kbuild builds the real-mode setup code and trampoline with -m16 (REALMODE_CFLAGS); the rest of arch/x86 here as 64-bit. */
function bitsOf(relative: string): 16 | 64 {
  const inSetup = relative.startsWith('arch/x86/boot/') && !relative.startsWith('arch/x86/boot/compressed/');
  return inSetup || relative.startsWith('arch/x86/realmode/rm/') ? 16 : 64;
}

// ---------------------------------------------------------------- grep side

const SENSITIVE_WORD = new RegExp(
  '^(?:' +
    [
      '(?:sgdt|sidt|sldt|smsw|str|lar|lsl)[wlq]?',
      'verr|verw',
      'pushf[wlqd]?|popf[wlqd]?',
      'lcall[wlq]?|ljmp[wlq]?|lret[wlq]?|retf[wdq]?',
      'iret[wlqd]?|int3?|into',
      'cpuid|rdtscp?|rdpmc|rdpid|xgetbv',
    ].join('|') +
    ')$',
);
/** push/pop/mov of a segment register: `%%ds`, or a stringified argument (`"mov %%" #seg`). */
const SEGMENT_FORM = /^(?:push|pop|mov)[wlq]?\s.*(?:%%[c-gs]s\b(?!\s*:)|%%"\s*#)/;
const LITERAL = /"((?:[^"\\\n]|\\.)*)"/g;

/** 0-based lines of `text` holding a string literal whose assembly has a sensitive instruction. */
function grepLines(text: string): Set<number> {
  const found = new Set<number>();
  if (!/\basm\b|__asm/.test(text)) return found;
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    if (/^\s*(?:#\s*include\b|\/\/|\/\*|\*)/.test(line)) return;
    for (const match of line.matchAll(LITERAL)) {
      const after = line.slice((match.index ?? 0) + match[0].length);
      for (const piece of match[1]!.split(/\\n|\\t|;/)) {
        const statement = piece.trim().replace(/^(?:\d+|[A-Za-z_.$][\w.$]*):\s*/, '');
        const word = /^[A-Za-z]\w*/.exec(statement)?.[0] ?? '';
        if (SENSITIVE_WORD.test(word) || SEGMENT_FORM.test(statement + (statement.endsWith('%%') ? after : ''))) found.add(index);
      }
    }
  });
  return found;
}

/** The line is part of a `#define` (its first line or a continuation line). */
function isMacroDefinitionLine(lines: readonly string[], index: number): boolean {
  for (let i = index; i >= 0; i--) {
    if (/^\s*#\s*define\b/.test(lines[i]!)) return true;
    if (i === 0 || !/\\\s*$/.test(lines[i - 1]!)) return false;
  }
  return false;
}

// ---------------------------------------------------------------- run

interface FileReport {
  file: string;
  lines: string[];
  result?: EmbeddedResult;
  error?: string;
  milliseconds: number;
}

function main(): void {
  const limitIndex = process.argv.indexOf('--limit');
  const limit = limitIndex > 0 ? Number(process.argv[limitIndex + 1]) : 80;
  const verbose = process.argv.includes('--verbose');
  const tree = preset('linux');
  if (!fs.existsSync(tree.dir)) {
    console.error(`embedded-survey: ${tree.dir} is missing: run npm run corpus first`);
    process.exit(1);
  }
  const definesFor = (bits: 16 | 64): Map<string, string> => {
    const defines = compilerDefines(bits);
    for (const [name, value] of Object.entries(tree.defines)) if (name !== '__ASSEMBLY__' && !(bits === 16 && name === '__x86_64__')) defines.set(name, value);
    return defines;
  };
  const builds = { 16: { bits: 16, defines: definesFor(16), definesComplete: true }, 64: { bits: 64, defines: definesFor(64), definesComplete: true } } as const;
  const includePaths = tree.includePaths.map((p) => path.join(tree.base, p));
  const reader = new DiskReader();
  const macros = new CMacroCache();
  const reports: FileReport[] = [];
  const started = process.hrtime.bigint();
  for (const file of hostFiles(tree.dir)) {
    const read = reader.read(file);
    if (!('text' in read)) {
      reports.push({ file, lines: [], error: read.error, milliseconds: 0 });
      continue;
    }
    const begin = process.hrtime.bigint();
    if (verbose) process.stderr.write(`${path.relative(tree.base, file)}\n`);
    try {
      const result = analyzeEmbedded(read.text, { language: 'c', path: file, build: builds[bitsOf(path.relative(tree.base, file))], reader, includePaths, rules: ['all'], macros });
      reports.push({ file, lines: read.text.split('\n'), result, milliseconds: Number(process.hrtime.bigint() - begin) / 1e6 });
    } catch (error) {
      reports.push({ file, lines: read.text.split('\n'), error: (error as Error).stack ?? String(error), milliseconds: Number(process.hrtime.bigint() - begin) / 1e6 });
    }
  }
  const totalMilliseconds = Number(process.hrtime.bigint() - started) / 1e6;
  process.stdout.write(render(reports, tree.base, totalMilliseconds, limit, includePaths.length, builds[64].defines.size));
}

function render(reports: readonly FileReport[], base: string, totalMilliseconds: number, limit: number, includeCount: number, defineCount: number): string {
  const relative = (file: string): string => path.relative(base, file);
  const perRule = new Map<string, number>();
  const meta = new Map<string, number>();
  let blocks = 0;
  let intrinsics = 0;
  let problems = 0;
  let filesWithAsm = 0;
  const problemSamples: string[] = [];
  const errors: string[] = [];
  const grepOnly: string[] = [];
  const grepOnlyDefinitions: string[] = [];
  const virtlintOnly: string[] = [];
  let grepCount = 0;
  let virtlintLineCount = 0;
  let both = 0;
  for (const report of reports) {
    if (report.error !== undefined) {
      errors.push(`${relative(report.file)}: ${report.error.split('\n')[0]}`);
      continue;
    }
    const result = report.result!;
    blocks += result.blocks.length;
    intrinsics += result.intrinsics.length;
    problems += result.problems.length;
    if (result.blocks.length + result.intrinsics.length > 0) filesWithAsm++;
    for (const problem of result.problems) if (problemSamples.length < 15) problemSamples.push(`${relative(report.file)}:${problem.range.start.line + 1}: ${problem.message}`);
    const reported = new Map<number, string[]>();
    for (const finding of result.findings) {
      const counts = isMetaRuleId(finding.ruleId) ? meta : perRule;
      counts.set(finding.ruleId, (counts.get(finding.ruleId) ?? 0) + 1);
      if (isMetaRuleId(finding.ruleId)) continue;
      const line = finding.range.start.line;
      let rules = reported.get(line);
      if (!rules) reported.set(line, (rules = []));
      rules.push(finding.ruleId);
    }
    const grepped = grepLines(report.lines.join('\n'));
    grepCount += grepped.size;
    virtlintLineCount += reported.size;
    const show = (line: number): string => `\`${relative(report.file)}:${line + 1}\` \`${report.lines[line]!.trim().slice(0, 90).replace(/`/g, "'")}\``;
    for (const line of grepped) {
      if (reported.has(line)) both++;
      else if (isMacroDefinitionLine(report.lines, line)) grepOnlyDefinitions.push(show(line));
      else grepOnly.push(show(line));
    }
    for (const [line, rules] of reported) if (!grepped.has(line)) virtlintOnly.push(`${show(line)} — ${Array.from(new Set(rules)).sort().join(', ')}`);
  }
  const out: string[] = [];
  const fileCount = reports.length;
  out.push('## Embedded assembly: Linux 6.1 arch/x86 `.c` and `.h`', '');
  out.push(`\`node out/scripts/embedded-survey.js\`: ${fileCount} files (${reports.filter((r) => r.file.endsWith('.c')).length} \`.c\`, ${reports.filter((r) => r.file.endsWith('.h')).length} \`.h\`), each read by \`analyzeEmbedded\` as C with ${includeCount} include paths (BENCHMARKS.md's whole-program list), gcc -m64's predefined macros and the tree's defines without \`__ASSEMBLY__\` (${defineCount} in all, complete; \`arch/x86/boot\` outside \`compressed/\` and \`arch/x86/realmode/rm\` as -m16, as kbuild builds them), rules \`all\`, one macro cache for the run.`, '');
  out.push('| measure | value |', '|---|---:|');
  out.push(`| files | ${fileCount} |`);
  out.push(`| files with asm or an intrinsic call | ${filesWithAsm} |`);
  out.push(`| asm statements (blocks) | ${blocks} |`);
  out.push(`| intrinsic calls | ${intrinsics} |`);
  out.push(`| front-end problems | ${problems} |`);
  out.push(`| files that threw | ${errors.length} |`);
  out.push(`| wall time, in process (one run) | ${Math.round(totalMilliseconds)} ms |`);
  out.push('');
  out.push('| rule | findings |', '|---|---:|');
  for (const [rule, count] of Array.from(perRule).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) out.push(`| ${rule} | ${count} |`);
  for (const [rule, count] of Array.from(meta).sort((a, b) => b[1] - a[1])) out.push(`| ${rule} (meta) | ${count} |`);
  out.push(`| **all instruction rules** | ${Array.from(perRule.values()).reduce((a, b) => a + b, 0)} |`, '');
  out.push('### Grep cross-check', '');
  out.push('Grep side: lines (not comments) of files that say `asm` holding a string literal in which some instruction (split at `\\n`, `\\t`, `;`, labels removed) starts with a sensitive mnemonic (AT&T suffixes allowed), or a push/pop/mov of `%%?s` (not a `%%fs:` override) or of a stringified segment argument; lower case only, as the tree writes its asm. virtlint side: lines with a finding of an instruction rule.', '');
  out.push('| | lines |', '|---|---:|');
  out.push(`| grep | ${grepCount} |`, `| virtlint | ${virtlintLineCount} |`, `| both | ${both} |`);
  out.push(`| grep only, in a macro definition (virtlint reports the macro's uses) | ${grepOnlyDefinitions.length} |`);
  out.push(`| grep only, elsewhere | ${grepOnly.length} |`, `| virtlint only | ${virtlintOnly.length} |`, '');
  const list = (title: string, items: readonly string[]): void => {
    out.push(`#### ${title} (${items.length})`, '');
    for (const item of items.slice(0, limit)) out.push(`- ${item}`);
    if (items.length > limit) out.push(`- … ${items.length - limit} more`);
    out.push('');
  };
  list('Grep only, elsewhere', grepOnly);
  list('Grep only, in macro definitions', grepOnlyDefinitions);
  list('virtlint only', virtlintOnly);
  if (problemSamples.length > 0) list('Front-end problems (first 15)', problemSamples);
  if (errors.length > 0) list('Files that threw', errors);
  return out.join('\n') + '\n';
}

main();
