// Survey of whole-program analysis on a real tree: every file read alone (as before issue 12)
// against the project model (includes in the includer's state, macros expanded), in process
// through the same functions the CLI calls, and through the CLI itself when it has --no-includes.
//
//   node out/scripts/project-survey.js [--tree linux|syslinux|grub2|DIR] [--seed N] [--sample N]
//                                      [--no-cli] [--report]
//
// Presets name the corpus trees `npm run corpus` fetches, with the include paths and defines
// their builds use. Writes .corpus/survey-<tree>.json (every figure and the sampled findings)
// and, with --report, the "survey-<tree>" section of BENCHMARKS.md.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { analyzeText, type AnalysisOptions, type AnalysisResult, type Finding } from '../server/src/analysis';
import { analyzeProject, normalizeProjectPath, type ProjectResult, type ReadResult, type SourceReader } from '../server/src/analysis/project';
import { expandPaths, readSourceFile } from '../server/src/cli/files';
import { CORPUS, preset, projectArgs, type TreePreset } from './corpusTrees';
import { replaceSection } from './report';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const MAX_FILE_BYTES = 8 * 1024 * 1024;
/** What the project model says about includes and expansion, as opposed to instructions. */
const PROJECT_DIAGNOSTICS: ReadonlySet<string> = new Set(['unresolved-include', 'undecided-expansion']);

interface Options {
  tree: string;
  seed: number;
  sample: number;
  cli: boolean;
  report: boolean;
}

/** Reads each file once from disk, with the CLI's size bound and decoding. */
class DiskReader implements SourceReader {
  private readonly cache = new Map<string, ReadResult>();
  read(file: string): ReadResult {
    let result = this.cache.get(file);
    if (result === undefined) {
      const outcome = readSourceFile(file, MAX_FILE_BYTES);
      result = outcome.ok ? { text: outcome.text } : { error: outcome.problem };
      this.cache.set(file, result);
    }
    return result;
  }
  lineText(file: string, line: number): string {
    const read = this.read(file);
    return 'text' in read ? (read.text.split(/\r\n|\r|\n/)[line] ?? '') : '';
  }
}

/** A small seeded generator (mulberry32), so a sample can be drawn again. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sampleOf<T>(items: readonly T[], count: number, seed: number): T[] {
  const random = seededRandom(seed);
  const pool = items.slice();
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, count).sort((a, b) => String(a).localeCompare(String(b)));
}

function increment(map: Map<string, number>, key: string, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

const findingLine = (finding: Finding): number => finding.mnemonicRange.start.line;
const siteKey = (file: string, line: number): string => `${file}:${line + 1}`;
const findingKey = (file: string, finding: Finding): string => `${siteKey(file, findingLine(finding))} ${finding.ruleId}`;

interface ModeFigures {
  files: number;
  rootFiles: number;
  findingsByRule: Map<string, number>;
  /** dialect/bits per file (a file read in several states counts once per distinct state). */
  settings: Map<string, number>;
  unknownInRoots: number;
  unknownElsewhere: number;
  fromMacros: number;
  ms: number;
}

function emptyFigures(): ModeFigures {
  return { files: 0, rootFiles: 0, findingsByRule: new Map(), settings: new Map(), unknownInRoots: 0, unknownElsewhere: 0, fromMacros: 0, ms: 0 };
}

interface SampledFinding {
  at: string;
  rule: string;
  text: string;
  message: string;
  macroChain: string;
  context: string;
}

function describeFinding(file: string, finding: Finding, reader: DiskReader, base: string): SampledFinding {
  const rel = (p: string): string => path.relative(base, p);
  const chain = (finding.macroChain ?? []).map((step) => `${step.name} (${step.kind}${step.definedAt ? `, ${rel(step.definedAt.path)}:${step.definedAt.line + 1}` : ''})`).join(' → ');
  const context = (finding.contexts ?? []).slice(0, 2).map((c) => `${c.dialect} ${c.bits}-bit from ${rel(c.root)}${c.includes.length > 0 ? ` via ${c.includes.map((i) => `${rel(i.path)}:${i.line + 1}`).join(', ')}` : ''}`).join('; ');
  return {
    at: `${rel(file)}:${findingLine(finding) + 1}`,
    rule: finding.ruleId,
    text: reader.lineText(file, findingLine(finding)).trim(),
    message: finding.message,
    macroChain: chain,
    context: context + ((finding.contexts?.length ?? 0) > 2 ? ` (+${finding.contexts!.length - 2} more)` : ''),
  };
}

interface Survey {
  tree: TreePreset;
  before: ModeFigures;
  after: ModeFigures;
  /** Lines with an unknown-mnemonic finding when read alone, and what became of them. */
  unknownBefore: number;
  unknownBeforeNowExpanded: number;
  unknownBeforeStillUnknown: number;
  unknownBeforeNeither: number;
  invocationSites: number;
  invocationSitesInRoots: number;
  macrosDefined: number;
  expansionProblems: Map<string, number>;
  /** New findings about instructions (virtualization rules and invalid-in-mode). */
  newFindings: SampledFinding[];
  newInstructionCount: number;
  /** New include and expansion diagnostics (unresolved-include, undecided-expansion). */
  newDiagnostics: SampledFinding[];
  goneFindings: SampledFinding[];
  newCount: number;
  goneCount: number;
  newByRule: Map<string, number>;
  goneByRule: Map<string, number>;
  stillUnknownSample: SampledFinding[];
  cli?: CliFigures;
}

function surveyTree(tree: TreePreset, opts: Options): Survey {
  const reader = new DiskReader();
  const inputs = expandPaths(tree.paths ?? [tree.dir], process.cwd()).filter((f) => f.problem === undefined);
  const roots = inputs.map((f) => normalizeProjectPath(f.path));
  const analysis: AnalysisOptions = {}; // default profile; unknown-mnemonic on (the CLI's --report-unknown-mnemonics)

  // Before: each file alone, as `virtlint --no-includes` (and every release before issue 12) reads it.
  const before = emptyFigures();
  const beforeResults = new Map<string, AnalysisResult>();
  let start = performance.now();
  for (const file of roots) {
    const read = reader.read(file);
    if (!('text' in read)) continue;
    beforeResults.set(file, analyzeText(read.text, { ...analysis, fileName: file }));
  }
  before.ms = performance.now() - start;
  for (const result of beforeResults.values()) {
    before.files++;
    before.rootFiles++;
    increment(before.settings, `${result.dialect} / ${result.bits}`);
    for (const f of result.findings) {
      increment(before.findingsByRule, f.ruleId);
      if (f.ruleId === 'unknown-mnemonic') before.unknownInRoots++;
    }
  }

  // After: the project model from every file as a root.
  start = performance.now();
  const project: ProjectResult = analyzeProject({
    files: roots,
    reader,
    options: { analysis, includePaths: tree.includePaths.map((p) => normalizeProjectPath(path.resolve(tree.base, p))), defines: tree.defines, definesComplete: tree.definesComplete },
  });
  const after = emptyFigures();
  after.ms = performance.now() - start;
  const rootSet = new Set(roots);
  const expansionProblems = new Map<string, number>();
  const afterKeys = new Set<string>();
  const afterFindings: { file: string; finding: Finding }[] = [];
  const stillUnknownSites = new Set<string>();
  const stillUnknown: { file: string; finding: Finding }[] = [];
  for (const [file, fa] of project.files) {
    after.files++;
    if (rootSet.has(file)) after.rootFiles++;
    const states = new Set(fa.contexts.map((c) => `${c.dialect} / ${c.bits}`));
    if (states.size === 0) states.add(`${fa.result.dialect} / ${fa.result.bits}`);
    for (const s of states) increment(after.settings, s);
    for (const f of fa.result.findings) {
      increment(after.findingsByRule, f.ruleId);
      if (f.macroChain !== undefined && f.macroChain.length > 0) after.fromMacros++;
      if (f.ruleId === 'unknown-mnemonic') {
        if (rootSet.has(file)) after.unknownInRoots++;
        else after.unknownElsewhere++;
        stillUnknownSites.add(siteKey(file, findingLine(f)));
        stillUnknown.push({ file, finding: f });
      }
      if (PROJECT_DIAGNOSTICS.has(f.ruleId)) increment(expansionProblems, f.ruleId);
      afterKeys.add(findingKey(file, f));
      afterFindings.push({ file, finding: f });
    }
  }

  // Invocation sites the model expanded (every macro kind: macro, cpp, repeat…).
  const invocationSites = new Set<string>();
  for (const sites of project.invocations.values()) for (const site of sites) invocationSites.add(siteKey(site.path, site.line));
  for (const key of project.expansions.keys()) invocationSites.add(key.replace(/:(\d+)$/, (_, n: string) => `:${Number(n) + 1}`));
  let invocationSitesInRoots = 0;
  for (const site of invocationSites) if (rootSet.has(site.slice(0, site.lastIndexOf(':')))) invocationSitesInRoots++;

  let unknownBefore = 0;
  let nowExpanded = 0;
  let stillUnknownCount = 0;
  for (const [file, result] of beforeResults) {
    for (const f of result.findings) {
      if (f.ruleId !== 'unknown-mnemonic') continue;
      unknownBefore++;
      const site = siteKey(file, findingLine(f));
      if (stillUnknownSites.has(site)) stillUnknownCount++;
      else if (invocationSites.has(site)) nowExpanded++;
    }
  }

  const beforeKeys = new Set<string>();
  const goneFindings: { file: string; finding: Finding }[] = [];
  for (const [file, result] of beforeResults) {
    for (const f of result.findings) {
      if (f.ruleId === 'unknown-mnemonic') continue;
      beforeKeys.add(findingKey(file, f));
      if (!afterKeys.has(findingKey(file, f))) goneFindings.push({ file, finding: f });
    }
  }
  const newFindings = afterFindings.filter(({ file, finding }) => finding.ruleId !== 'unknown-mnemonic' && !beforeKeys.has(findingKey(file, finding)));
  const newInstructionFindings = newFindings.filter(({ finding }) => !PROJECT_DIAGNOSTICS.has(finding.ruleId));
  const newProjectDiagnostics = newFindings.filter(({ finding }) => PROJECT_DIAGNOSTICS.has(finding.ruleId));
  const byRule = (list: { finding: Finding }[]): Map<string, number> => {
    const m = new Map<string, number>();
    for (const { finding } of list) increment(m, finding.ruleId);
    return m;
  };
  const describeAll = (list: { file: string; finding: Finding }[], count: number, seed: number): SampledFinding[] => {
    const indexes = sampleOf(Array.from(list.keys()), count, seed).map(Number).sort((a, b) => a - b);
    return indexes.map((i) => describeFinding(list[i]!.file, list[i]!.finding, reader, tree.base));
  };
  let macrosDefined = 0;
  for (const defs of project.macros.values()) macrosDefined += defs.length;
  return {
    tree,
    before,
    after,
    unknownBefore,
    unknownBeforeNowExpanded: nowExpanded,
    unknownBeforeStillUnknown: stillUnknownCount,
    unknownBeforeNeither: unknownBefore - nowExpanded - stillUnknownCount,
    invocationSites: invocationSites.size,
    invocationSitesInRoots,
    macrosDefined,
    expansionProblems,
    newFindings: describeAll(newInstructionFindings, opts.sample, opts.seed),
    newInstructionCount: newInstructionFindings.length,
    newDiagnostics: describeAll(newProjectDiagnostics, Math.min(opts.sample, 10), opts.seed + 3),
    goneFindings: describeAll(goneFindings, opts.sample, opts.seed + 1),
    newCount: newFindings.length,
    goneCount: goneFindings.length,
    newByRule: byRule(newFindings),
    goneByRule: byRule(goneFindings),
    stillUnknownSample: describeAll(stillUnknown, Math.min(opts.sample, 15), opts.seed + 2),
  };
}

interface CliRun {
  command: string;
  ms: number;
  status: number | null;
  files: number;
  findingsByRule: Map<string, number>;
  error?: string;
}

interface CliFigures {
  noIncludes: CliRun;
  project: CliRun;
}

/** Whether the CLI has the whole-program flags yet (another part of issue 12 adds them). */
function cliHasProjectFlags(): boolean {
  if (!fs.existsSync(CLI)) return false;
  const r = spawnSync(process.execPath, [CLI, '--no-includes', '--format', 'json', '-'], { input: 'nop\n', encoding: 'utf8' });
  return r.status === 0 || r.status === 1;
}

function runCli(args: string[]): CliRun {
  const command = `node dist/cli.js ${args.map((a) => (/^[\w./=-]+$/.test(a) ? a : `'${a}'`)).join(' ')}`;
  const start = performance.now();
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 30 });
  const ms = performance.now() - start;
  const run: CliRun = { command, ms, status: r.status, files: 0, findingsByRule: new Map() };
  try {
    const reports = JSON.parse(r.stdout) as { messages?: { ruleId: string | null }[] }[];
    run.files = reports.length;
    for (const report of reports) for (const m of report.messages ?? []) increment(run.findingsByRule, m.ruleId ?? '(file problem)');
  } catch (e) {
    run.error = `output not JSON (${(e as Error).message.slice(0, 80)}); stderr: ${r.stderr.slice(0, 300)}`;
  }
  return run;
}

function surveyCli(tree: TreePreset): CliFigures {
  const common = ['--format', 'json', '--report-unknown-mnemonics'];
  const paths = (tree.paths ?? [tree.dir]).map((p) => path.relative(ROOT, p));
  return { noIncludes: runCli([...common, '--no-includes', ...paths]), project: runCli([...common, ...projectArgs(tree, ROOT), ...paths]) };
}

// ---- report ----

const escape = (s: string): string => s.replace(/\|/g, '\\|').replace(/`/g, "'");

function ruleTable(survey: Survey): string[] {
  const rules = new Set([...survey.before.findingsByRule.keys(), ...survey.after.findingsByRule.keys()]);
  const rows = [...rules].sort((a, b) => (survey.after.findingsByRule.get(b) ?? 0) - (survey.after.findingsByRule.get(a) ?? 0) || a.localeCompare(b));
  const lines = ['| rule | each file alone | whole program | new | gone |', '| --- | ---: | ---: | ---: | ---: |'];
  for (const rule of rows) {
    lines.push(`| ${rule} | ${survey.before.findingsByRule.get(rule) ?? 0} | ${survey.after.findingsByRule.get(rule) ?? 0} | ${survey.newByRule.get(rule) ?? 0} | ${survey.goneByRule.get(rule) ?? 0} |`);
  }
  return lines;
}

function settingsTable(survey: Survey): string[] {
  const keys = new Set([...survey.before.settings.keys(), ...survey.after.settings.keys()]);
  const lines = ['| dialect / bits | files, each alone (file start) | files, whole program (one per distinct context state) |', '| --- | ---: | ---: |'];
  for (const k of [...keys].sort()) lines.push(`| ${k} | ${survey.before.settings.get(k) ?? 0} | ${survey.after.settings.get(k) ?? 0} |`);
  return lines;
}

function findingTable(list: readonly SampledFinding[]): string[] {
  const lines = ['| # | at | rule | line as written | macro chain | read as |', '| ---: | --- | --- | --- | --- | --- |'];
  list.forEach((f, i) => lines.push(`| ${i + 1} | ${escape(f.at)} | ${f.rule} | \`${escape(f.text.slice(0, 90))}\` | ${escape(f.macroChain) || '—'} | ${escape(f.context)} |`));
  return lines;
}

function markdown(survey: Survey, opts: Options, started: Date): string {
  const t = survey.tree;
  const rel = (p: string): string => path.relative(ROOT, p);
  const pct = (n: number, d: number): string => (d === 0 ? '—' : `${((100 * n) / d).toFixed(1)}%`);
  const lines: string[] = [
    `### Whole-program survey: ${t.name} (\`${rel(t.dir)}\`${t.paths ? `: ${t.paths.length} folders` : ''})`,
    '',
    `Command: \`node out/scripts/project-survey.js --tree ${opts.tree} --seed ${opts.seed} --sample ${opts.sample}${opts.report ? ' --report' : ''}\`, ${started.toISOString()}.`,
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, load average ${os.loadavg()[0]!.toFixed(2)}.`,
    `"Each file alone" is \`analyzeText\` per file (what \`virtlint --no-includes\` does); "whole program" is \`analyzeProject\` with every file of the tree as a root,`,
    `include paths ${t.includePaths.map((p) => `\`${p}\``).join(', ') || 'none'} (relative to \`${rel(t.base)}\`) and defines: ${t.definesNote}. Unknown mnemonics are reported in both (\`--report-unknown-mnemonics\`).`,
    '',
    '| figure | each file alone | whole program |',
    '| --- | ---: | ---: |',
    `| files analysed (named + reached through includes) | ${survey.before.files} | ${survey.after.files} (${survey.after.rootFiles} + ${survey.after.files - survey.after.rootFiles}) |`,
    `| unknown-mnemonic in the tree's own files | ${survey.before.unknownInRoots} | ${survey.after.unknownInRoots} |`,
    `| unknown-mnemonic in files reached through includes | — | ${survey.after.unknownElsewhere} |`,
    `| findings produced by a macro (with a macro chain) | 0 | ${survey.after.fromMacros} |`,
    `| macro invocation sites expanded (distinct lines; macros, cpp, repeats) | 0 | ${survey.invocationSites} (${survey.invocationSitesInRoots} in the tree's own files) |`,
    `| macro definitions seen | — | ${survey.macrosDefined} |`,
    `| analysis time in process | ${survey.before.ms.toFixed(0)} ms | ${survey.after.ms.toFixed(0)} ms |`,
    '',
    `Of the ${survey.unknownBefore} lines reported as unknown-mnemonic when each file is read alone: ${survey.unknownBeforeNowExpanded} are macro invocations the whole-program reading expands (${pct(survey.unknownBeforeNowExpanded, survey.unknownBefore)}), ` +
      `**${survey.unknownBeforeStillUnknown} are still unknown (${pct(survey.unknownBeforeStillUnknown, survey.unknownBefore)})**, and ${survey.unknownBeforeNeither} are neither (lines the build's conditionals leave out, or definition lines).`,
    '',
    ...ruleTable(survey),
    '',
    ...settingsTable(survey),
  ];
  if (survey.expansionProblems.size > 0) {
    lines.push('', `Include and expansion diagnostics: ${[...survey.expansionProblems].map(([k, n]) => `${k} ${n}`).join(', ')}.`);
  }
  if (survey.cli) {
    const c = survey.cli;
    const sum = (run: CliRun): number => [...run.findingsByRule.values()].reduce((a, b) => a + b, 0);
    lines.push('', 'Through the CLI (same tree, JSON output):', '', '| command | wall | exit | files | findings | unknown-mnemonic |', '| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const run of [c.noIncludes, c.project]) {
      lines.push(`| \`${escape(run.command)}\` | ${run.ms.toFixed(0)} ms | ${run.status} | ${run.files} | ${sum(run)} | ${run.findingsByRule.get('unknown-mnemonic') ?? 0} |${run.error ? ` ${escape(run.error)}` : ''}`);
    }
  } else {
    lines.push('', 'The CLI was not run (no `--no-includes` in `dist/cli.js` at the time, or `--no-cli`).');
  }
  lines.push('', `New findings about instructions (${survey.newInstructionCount} of the ${survey.newCount} new; a seeded sample of ${survey.newFindings.length}):`, '', ...findingTable(survey.newFindings));
  lines.push('', `New include and expansion diagnostics (${survey.newCount - survey.newInstructionCount}; a seeded sample of ${survey.newDiagnostics.length}):`, '', ...findingTable(survey.newDiagnostics));
  lines.push('', `Findings gone (${survey.goneCount}; a seeded sample of ${survey.goneFindings.length}):`, '', ...findingTable(survey.goneFindings));
  lines.push('', `Still unknown (a seeded sample of ${survey.stillUnknownSample.length}):`, '', ...findingTable(survey.stillUnknownSample));
  return lines.join('\n');
}

function toJson(survey: Survey): unknown {
  return JSON.parse(JSON.stringify(survey, (_key, value: unknown) => (value instanceof Map ? Object.fromEntries(value) : value)));
}

function parseOptions(argv: string[]): Options {
  const opts: Options = { tree: 'linux', seed: 12, sample: 25, cli: true, report: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--tree') opts.tree = argv[++i] ?? 'linux';
    else if (a === '--seed') opts.seed = Number(argv[++i]);
    else if (a === '--sample') opts.sample = Number(argv[++i]);
    else if (a === '--no-cli') opts.cli = false;
    else if (a === '--report') opts.report = true;
    else {
      process.stderr.write(`project-survey: unknown option ${a}\n`);
      process.exit(2);
    }
  }
  return opts;
}

function main(): void {
  const opts = parseOptions(process.argv.slice(2));
  const tree = preset(opts.tree);
  if (!fs.existsSync(tree.dir)) {
    process.stderr.write(`project-survey: ${tree.dir} is missing: run \`npm run corpus\` first\n`);
    process.exit(1);
  }
  const started = new Date();
  const survey = surveyTree(tree, opts);
  if (opts.cli && cliHasProjectFlags()) survey.cli = surveyCli(tree);
  const md = markdown(survey, opts, started);
  fs.writeFileSync(path.join(CORPUS, `survey-${tree.name}.json`), JSON.stringify(toJson(survey), null, 1) + '\n');
  fs.writeFileSync(path.join(CORPUS, `survey-${tree.name}.md`), md + '\n');
  process.stdout.write(md + '\n');
  if (opts.report) replaceSection(path.join(ROOT, 'BENCHMARKS.md'), `survey-${tree.name}`, md);
}

main();
