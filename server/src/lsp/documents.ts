// One open document: its text (tracked with incremental sync), its analyzer, the settings
// that apply to it and the diagnostics last computed for it.
import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';
import type { Diagnostic, Position, TextDocumentContentChangeEvent } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { DocumentAnalyzer, type AnalysisOptions, type AnalysisResult, type Finding, type SourceLines } from '../analysis/index';
import { linesOfText } from '../analysis/fixes/index';
import { defaultSeverity, isKnownRuleId, resolveRuleSelection } from '../analysis/catalogue/index';
import { fileUriOf, findingToDiagnostic, skippedDiagnostic, tooManyDiagnostic, type UriOf } from './conversions';
import { MatchBudget, matchGlob, type GlobMatch } from './glob';
import { DEFAULT_SETTINGS, type VirtlintSettings } from './settings';
import type { ProjectView } from './projectView';
import { carriedThrough, projectOnlyFindings } from './carriedFindings';
import type { Bits } from '../analysis/types';
import type { EmbeddedResult, HostLanguage } from '../analysis/embedded/index';
import { analyzeHostDocument, documentHostLanguage, EmbeddedRegions, embeddedFindingsShown, embeddedOptionsFor, NO_ENVIRONMENT, type EmbeddedEnvironment } from './embeddedDocument';

/** A C, C++ or Rust document's analysis, for one generation of its text and settings. */
interface EmbeddedAnalysis {
  generation: number;
  result: EmbeddedResult;
  /** The findings the editor shows (inside asm statements and on intrinsic calls). */
  shown: Finding[];
  /** The mode instructions are read in when the code says nothing. */
  bits: Bits;
}

export interface DiagnosticsReport {
  resultId: string;
  diagnostics: Diagnostic[];
}

/** A host document whose analysis takes longer than this waits for a pause in the typing. */
const SLOW_ANALYSIS_MS = 30;
const MAX_ANALYSIS_DELAY_MS = 400;

/** Distinguishes result ids of this server process from those of an earlier one. */
const RUN_NONCE = `${process.pid.toString(36)}${Date.now().toString(36)}`;

export class OpenDocument {
  /**
   * The text lives in exactly one place: the analyzer while the file is analysed (it keeps the
   * lines anyway, and a second copy would cost a megabyte per keystroke on a big file), or a
   * plain TextDocument while it is skipped.
   */
  private analyzer: DocumentAnalyzer | undefined;
  private plain: TextDocument | undefined;
  private versionValue: number;
  private skipReasonValue: string | undefined;
  private settingsValue: VirtlintSettings = DEFAULT_SETTINGS;
  /** Bumped on every content or settings change; names the current diagnostics. */
  private generation = 0;
  private current: DiagnosticsReport | undefined;
  /** The report computed last, kept across changes: an edit that leaves the diagnostics as they were keeps its result id. */
  private previous: DiagnosticsReport | undefined;
  /** What `run: onSave` reports: the diagnostics as of the last open, save or settings change. */
  private saved: DiagnosticsReport | undefined;
  /** Resolves once the document's settings have arrived from the client. */
  settingsReady: Promise<void> = Promise.resolve();
  /** What the whole-program analysis says about this file, when it knows it. */
  private projectViewValue: ProjectView | undefined;
  /** Project-only findings (through macros, from includes) kept in place while the project's view is older than the text. */
  private carried: Finding[] = [];
  /** Set for a C, C++ or Rust document: only its inline assembly and intrinsics are analysed. */
  readonly hostLanguage: HostLanguage | undefined;
  private embedded: EmbeddedAnalysis | undefined;
  /** How long the last analysis of this host document took (ms). */
  private embeddedCostMs = 0;

  constructor(
    readonly uri: string,
    private readonly languageId: string,
    version: number,
    text: string,
    private readonly workspaceFolders: () => readonly string[],
    private readonly log: (message: string) => void = () => undefined,
    /** Told about settings that cannot be used for this file (the server shows each once). */
    private readonly reportSettingProblem: (problem: string) => void = () => undefined,
    private readonly environment: EmbeddedEnvironment = NO_ENVIRONMENT,
    /** Names the files a diagnostic links to (a macro's body) as the client does. */
    private readonly uriOf: UriOf = fileUriOf,
  ) {
    this.versionValue = version;
    this.hostLanguage = documentHostLanguage(languageId, documentPath(uri));
    this.plain = TextDocument.create(uri, languageId, version, text);
    this.refreshSkipState(true);
  }

  get version(): number {
    return this.versionValue;
  }
  get text(): string {
    return this.analyzer ? this.analyzer.text : this.plain!.getText();
  }
  get lineCount(): number {
    return this.analyzer ? this.analyzer.lineCount : this.plain!.lineCount;
  }
  /** The text as lines, valid until the next change. */
  lines(): SourceLines {
    return this.analyzer ? this.analyzer.lines() : linesOfText(this.plain!.getText());
  }
  /** One line without its line break (`''` past the end). */
  lineText(line: number): string {
    if (this.analyzer) return this.analyzer.lineText(line);
    const document = this.plain!;
    if (line < 0 || line >= document.lineCount) return '';
    return document.getText({ start: { line, character: 0 }, end: { line, character: Number.MAX_SAFE_INTEGER } });
  }
  get settings(): VirtlintSettings {
    return this.settingsValue;
  }
  /** The file's path (for project lookups), `/`-separated. */
  get path(): string {
    return documentPath(this.uri);
  }
  get projectView(): ProjectView | undefined {
    return this.projectViewValue;
  }

  /**
   * Takes the project's view of the file: its findings replace the file's own while they are
   * for the current text, and its context decides the mode the own (fast) analysis starts in.
   */
  applyProjectView(view: ProjectView | undefined): void {
    const seedBefore = JSON.stringify(this.projectViewValue?.seed);
    this.projectViewValue = view;
    this.carried = [];
    if (JSON.stringify(view?.seed) !== seedBefore) this.analyzer?.setOptions(this.analysisOptions());
    this.invalidate();
  }

  /** True when the diagnostics come from the project's analysis (it is for this very text). */
  get showsProjectFindings(): boolean {
    const view = this.projectViewValue;
    return this.hostLanguage === undefined && view?.findings !== undefined && view.version === this.versionValue && this.active;
  }
  get skipReason(): string | undefined {
    return this.skipReasonValue;
  }
  /** True when the document is analysed (enabled, not skipped). */
  get active(): boolean {
    if (this.hostLanguage !== undefined && !this.settingsValue.languages[this.hostLanguage]) return false;
    return this.settingsValue.enable && this.skipReasonValue === undefined;
  }

  applySettings(settings: VirtlintSettings): void {
    this.settingsValue = settings;
    this.analyzer?.setOptions(this.analysisOptions());
    this.refreshSkipState(true);
    this.invalidate();
    this.saved = undefined;
  }

  /**
   * Applies the changes. Positions past a line's or the file's end are clamped the way LSP
   * says (the analyzer and TextDocument agree on that), and a reversed range is put in order.
   */
  applyChanges(changes: readonly TextDocumentContentChangeEvent[], version: number): void {
    if (this.showsProjectFindings) this.carried = projectOnlyFindings(this.projectViewValue!.findings!);
    this.versionValue = version;
    for (const change of changes) {
      this.carried = carriedThrough(this.carried, change);
      if (!this.analyzer) {
        this.plain = TextDocument.update(this.plain!, [inRange(this.plain!, change)], version);
        continue;
      }
      try {
        this.analyzer.update([change]);
      } catch (error) {
        this.recoverAnalyzer(error instanceof Error ? error.message : String(error));
      }
    }
    const needsFullCheck = this.skipReasonValue !== undefined || changes.some((change) => change.text.includes('\0')) || this.utf8Length() > this.settingsValue.maxFileSize;
    this.refreshSkipState(needsFullCheck);
    this.invalidate();
  }

  /**
   * The analyzer changes its lines before it parses them, so after a failure its text is still
   * right: analyse that text from scratch (and say so: it means the incremental path has a bug,
   * and the protocol tests watch for this message).
   */
  private recoverAnalyzer(why: string): void {
    this.log(`virtlint: the incremental analysis of ${this.uri} failed (${why}); analysing it from scratch`);
    const text = this.analyzer!.text;
    this.analyzer = undefined;
    this.plain = TextDocument.create(this.uri, this.languageId, this.versionValue, text);
  }

  private utf8Length(): number {
    return this.analyzer ? this.analyzer.utf8Length : Buffer.byteLength(this.plain!.getText(), 'utf8');
  }

  /** Called on save: `run: onSave` reports from here on what the text says now. */
  markSaved(): void {
    this.saved = undefined;
  }

  result(): AnalysisResult | undefined {
    if (!this.active || !this.analyzer) return undefined;
    return this.analyzer.result();
  }

  /**
   * A C, C++ or Rust document's analysis (undefined for assembly, or when it is off or skipped),
   * made on first use after each change.
   */
  embeddedAnalysis(): EmbeddedAnalysis | undefined {
    if (this.hostLanguage === undefined || !this.active) return undefined;
    if (this.embedded?.generation === this.generation) return this.embedded;
    // The includer's mode (the project view's seed) is the assembly reading's, not the C compiler's.
    const options = embeddedOptionsFor(
      analysisOptionsFor(this.settingsValue, this.uri, this.workspaceFolders(), this.reportSettingProblem),
      this.settingsValue,
      this.hostLanguage,
      this.path,
      this.environment.projectOptions(),
      this.environment.headers(this.settingsValue.maxFileSize),
    );
    const started = performance.now();
    const result = analyzeHostDocument(this.text, options, this.log);
    this.embeddedCostMs = performance.now() - started;
    const shown = filterFindings(embeddedFindingsShown(result, new EmbeddedRegions(result)), this.settingsValue);
    this.embedded = { generation: this.generation, result, shown, bits: options.build?.bits ?? 64 };
    return this.embedded;
  }

  /**
   * How long to wait for the typing to pause before analysing this document again: nothing for
   * assembly (its analysis is incremental) or a host file that analyses fast, about one analysis'
   * time for one that does not, so a slow file is analysed once per pause, not once per keystroke.
   */
  analysisDelayMs(): number {
    if (this.hostLanguage === undefined || this.embedded?.generation === this.generation || this.embeddedCostMs < SLOW_ANALYSIS_MS) return 0;
    return Math.min(this.embeddedCostMs, MAX_ANALYSIS_DELAY_MS);
  }

  /**
   * Findings the user sees (settings-level filters applied): the diagnostics, and what the hover
   * and the code actions speak of. The project's when they are for this text (a line read in
   * several modes as the merged view or the chosen context reads it), else the file's own with
   * the project-only findings carried since the last run.
   */
  visibleFindings(): Finding[] {
    if (this.hostLanguage !== undefined) return this.embeddedAnalysis()?.shown.slice() ?? [];
    if (this.showsProjectFindings) return filterFindings(this.projectViewValue!.findings!, this.settingsValue);
    const result = this.result();
    if (!result) return [];
    return this.withCarried(filterFindings(result.findings, this.settingsValue));
  }

  /** The diagnostics to report now, honouring `run`. */
  report(): DiagnosticsReport {
    if (this.settingsValue.run === 'onSave') return (this.saved ??= this.computeCurrent());
    return this.computeCurrent();
  }

  private computeCurrent(): DiagnosticsReport {
    if (this.current) return this.current;
    let diagnostics: Diagnostic[];
    if (!this.settingsValue.enable) diagnostics = [];
    // A C, C++ or Rust file virtlint cannot read stays silent: its own language server has the file.
    else if (this.hostLanguage === undefined && this.skipReasonValue !== undefined) diagnostics = [skippedDiagnostic(this.skipReasonValue)];
    else diagnostics = capped(this.visibleFindings(), this.settingsValue.maxDiagnostics, this.uriOf);
    const previous = this.previous;
    // The project's findings are new objects on every run, so only their values can say they did not change.
    if (previous && (sameDiagnostics(previous.diagnostics, diagnostics) || (this.showsProjectFindings && sameByValue(previous.diagnostics, diagnostics)))) this.current = previous;
    else this.current = { resultId: `${RUN_NONCE}-${this.generation}`, diagnostics };
    return (this.previous = this.current);
  }

  private withCarried(own: Finding[]): Finding[] {
    if (this.carried.length === 0) return own;
    const all = own.concat(filterFindings(this.carried, this.settingsValue));
    return all.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
  }

  /** Something outside the text changed (the workspace's configuration, a header): analyse again on the next report. */
  invalidate(): void {
    this.generation++;
    this.current = undefined;
  }

  /** Recomputes whether the file is skipped (`full`: look at the whole text) and moves the text to where it then lives. */
  private refreshSkipState(full: boolean): void {
    const reason = full || this.skipReasonValue !== undefined ? skipReasonFor(this.text, this.settingsValue.maxFileSize) : undefined;
    this.skipReasonValue = reason;
    if (reason !== undefined) {
      if (this.analyzer) this.plain = TextDocument.create(this.uri, this.languageId, this.versionValue, this.analyzer.text);
      this.analyzer = undefined;
    } else if (!this.analyzer && this.hostLanguage === undefined) {
      this.analyzer = new DocumentAnalyzer(this.plain!.getText(), this.analysisOptions());
      this.plain = undefined;
    }
  }

  analysisOptions(): AnalysisOptions {
    const options = analysisOptionsFor(this.settingsValue, this.uri, this.workspaceFolders(), this.reportSettingProblem);
    const seed = this.projectViewValue?.seed;
    if (seed) {
      options.dialect = seed.dialect;
      options.bits = seed.bits;
      // The includer's mode, like its bitness, wins over the mode settings give this file.
      if (seed.mode) options.mode = seed.mode;
    }
    return options;
  }
}

/**
 * The change with its range clamped to the document and put in order. TextDocument clamps
 * offsets but not the line numbers it uses to update its line table, so a position past the
 * end would corrupt it; the analyzer clamps the same way.
 */
export function inRange(document: TextDocument, change: TextDocumentContentChangeEvent): TextDocumentContentChangeEvent {
  if (!('range' in change)) return change;
  let start = document.offsetAt(change.range.start);
  let end = document.offsetAt(change.range.end);
  if (end < start) [start, end] = [end, start];
  return { range: { start: document.positionAt(start), end: document.positionAt(end) }, text: change.text };
}

/**
 * At most `limit` diagnostics, the most severe first, in file order, plus a notice when some
 * were left out. VS Code keeps at most 1,000 per file and drops the rest, and a generated file
 * with tens of thousands of findings would otherwise send megabytes on every keystroke; the
 * CLI lists them all.
 */
function capped(findings: readonly Finding[], limit: number, uriOf: UriOf): Diagnostic[] {
  const diagnosticOf = (finding: Finding): Diagnostic => diagnosticFor(finding, uriOf);
  if (findings.length <= limit) return findings.map(diagnosticOf);
  const kept = mostSevere(findings, limit);
  const shown = kept.map(diagnosticOf);
  const last = kept[kept.length - 1]?.range.start ?? { line: 0, character: 0 };
  shown.push(tooManyDiagnostic(last, limit, findings.length));
  return shown;
}

const SEVERITY_RANK: Record<Finding['severity'], number> = { error: 0, warning: 1, info: 2, hint: 3 };

/** The first `limit` findings by severity then position, returned in position order. */
function mostSevere(findings: readonly Finding[], limit: number): Finding[] {
  const counts = [0, 0, 0, 0];
  for (const finding of findings) counts[SEVERITY_RANK[finding.severity]]!++;
  // The least severe rank that still fits, and how many of that rank fit.
  let rank = 0;
  let room = limit;
  while (rank < 3 && counts[rank]! < room) room -= counts[rank++]!;
  const kept: Finding[] = [];
  for (const finding of findings) {
    const r = SEVERITY_RANK[finding.severity];
    if (r < rank || (r === rank && room-- > 0)) kept.push(finding);
  }
  return kept;
}

/**
 * A finding's diagnostic, converted once: a line the edit did not touch keeps its Finding
 * object (moved in place when lines above it come or go), so only its position is rechecked.
 * A finding belongs to one document of one server, so it is always converted with the same `uriOf`.
 */
const converted = new WeakMap<Finding, Diagnostic>();

function diagnosticFor(finding: Finding, uriOf: UriOf): Diagnostic {
  const known = converted.get(finding);
  if (known && samePlace(known.range, finding.range)) return known;
  const diagnostic = findingToDiagnostic(finding, uriOf);
  converted.set(finding, diagnostic);
  return diagnostic;
}

function samePlace(a: { start: Position; end: Position }, b: { start: Position; end: Position }): boolean {
  return a.start.line === b.start.line && a.start.character === b.start.character && a.end.line === b.end.line && a.end.character === b.end.character;
}

/** Converted diagnostics are immutable, so identity means equal; the few notices made afresh each time are compared by value. */
function sameDiagnostics(a: readonly Diagnostic[], b: readonly Diagnostic[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i]!, b[i]!];
    if (x !== y && (x.code !== undefined || y.code !== undefined || JSON.stringify(x) !== JSON.stringify(y))) return false;
  }
  return true;
}

function sameByValue(a: readonly Diagnostic[], b: readonly Diagnostic[]): boolean {
  return a.length === b.length && JSON.stringify(a) === JSON.stringify(b);
}

export function skipReasonFor(text: string, maxFileSize: number): string | undefined {
  if (text.includes('\0')) return 'it contains NUL bytes, so it looks like a binary file, not assembly source';
  if (text.length * 3 > maxFileSize) {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > maxFileSize) return `it is ${bytes} bytes, more than virtlint.maxFileSize (${maxFileSize})`;
  }
  return undefined;
}

export function analysisOptionsFor(
  settings: VirtlintSettings,
  uri: string,
  workspaceFolders: readonly string[],
  reportSettingProblem: (problem: string) => void = () => undefined,
): AnalysisOptions {
  const filePath = pathOf(uri);
  const options: AnalysisOptions = {
    fileName: filePath,
    profile: settings.profile,
    severities: { ...settings.rules },
  };
  if (settings.mode !== 'auto') options.mode = settings.mode;
  const selection = selectionTokens(settings);
  if (selection) options.rules = selection;
  if (settings.includeInt3) options.includeInt3 = true;
  const budget = new MatchBudget();
  for (const override of settings.overrides) {
    const applies = overrideApplies(override.files, filePath, workspaceFolders, budget);
    if (applies === 'over-budget') reportSettingProblem(`virtlint.overrides: the glob ${JSON.stringify(override.files.slice(0, 200))} is too costly to match against ${filePath.slice(0, 500)}; it is ignored for that file`);
    if (applies !== 'match') continue;
    if (override.dialect) options.dialect = override.dialect;
    if (override.bits) options.bits = override.bits;
    if (override.mode) options.mode = override.mode;
  }
  return options;
}

/**
 * The rule selection the settings ask for: `ruleSelection` when given; otherwise, when a
 * severity is set for a rule the profile turns off, the profile's rules plus that one (a
 * severity means "run it"); otherwise undefined (the profile decides).
 */
export function selectionTokens(settings: VirtlintSettings): string[] | undefined {
  if (settings.ruleSelection.length > 0) return settings.ruleSelection.slice();
  const turnedOn = Object.entries(settings.rules)
    .filter(([id, severity]) => severity !== 'off' && isKnownRuleId(id) && defaultSeverity(id, settings.profile) === 'off')
    .map(([id]) => id);
  if (turnedOn.length === 0) return undefined;
  const profileRules: string[] = Array.from(resolveRuleSelection(undefined, settings.profile).enabled).filter((id) => isKnownRuleId(id));
  return profileRules.concat(turnedOn);
}

/** Unknown mnemonics are opt-in: that filter lives in the settings rather than in the analysis. */
export function filterFindings(findings: readonly Finding[], settings: VirtlintSettings): Finding[] {
  return settings.reportUnknownMnemonics ? findings.slice() : findings.filter((finding) => finding.ruleId !== 'unknown-mnemonic');
}

/** A document's path as the project model names files: absolute, `/`-separated. */
export function documentPath(uri: string): string {
  return pathOf(uri).replace(/\\/g, '/');
}

function pathOf(uri: string): string {
  if (uri.startsWith('file:')) {
    try {
      return fileURLToPath(uri);
    } catch {
      return uri;
    }
  }
  return uri.replace(/^[a-z][a-z0-9+.-]*:\/*/i, '/');
}

/** Paths relative to the workspace folders come first: they are short, so the cheapest to match. */
function overrideApplies(glob: string, filePath: string, workspaceFolders: readonly string[], budget: MatchBudget): GlobMatch {
  let outcome: GlobMatch = 'no-match';
  for (const folder of workspaceFolders) {
    const rel = relative(folder, filePath);
    if (rel.startsWith('..')) continue;
    const match = matchGlob(glob, rel, budget);
    if (match === 'match') return match;
    if (match === 'over-budget') outcome = match;
  }
  const match = matchGlob(glob, filePath, budget);
  return match === 'no-match' ? outcome : match;
}
