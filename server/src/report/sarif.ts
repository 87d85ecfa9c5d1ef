// SARIF 2.1.0, the format GitHub code scanning and most CI dashboards import.
// Every catalogue entry is listed as a rule so that ruleIndex is stable across runs; a problem with
// a file itself (binary, not UTF-8, too large) becomes a tool execution notification, not a result.
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { allEntries, docsPath, parseProfile, type ProfileId, type RuleEntry } from '../analysis/catalogue';
import type { SeverityOrOff } from '../analysis/types';
import { taxonomyTags } from './tags';
import type { FileReport, FormatOptions, ReportLocation, ReportMessage } from './types';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
const SRCROOT = '%SRCROOT%';

type SarifLevel = 'error' | 'warning' | 'note' | 'none';

export function formatSarif(reports: readonly FileReport[], options: FormatOptions): string {
  const cwd = options.cwd;
  const profile = parseProfile(options.profile);
  const rules = allEntries().map((entry) => ruleDescriptor(entry, profile, options));
  const ruleIndex = new Map<string, number>(rules.map((rule, index) => [rule.id, index]));

  const results: unknown[] = [];
  const notifications: unknown[] = [];
  for (const report of reports) {
    const location = artifactLocation(report.filePath, cwd);
    for (const message of report.messages) {
      if (message.ruleId === null) {
        notifications.push({ level: 'error', message: { text: message.message }, locations: [{ physicalLocation: { artifactLocation: location } }] });
        continue;
      }
      let index = ruleIndex.get(message.ruleId);
      if (index === undefined) {
        index = rules.length;
        rules.push(unknownRuleDescriptor(message.ruleId));
        ruleIndex.set(message.ruleId, index);
      }
      results.push(result(message, index, location, report.filePath, cwd));
    }
  }

  const driver: Record<string, unknown> = {
    name: 'virtlint',
    version: options.tool?.version ?? '0.0.0',
    informationUri: informationUri(options),
    rules,
  };
  const log = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: { driver },
        invocations: [{ executionSuccessful: notifications.length === 0, toolExecutionNotifications: notifications }],
        originalUriBaseIds: { [SRCROOT]: { uri: pathToFileURL(cwd.endsWith(path.sep) ? cwd : cwd + path.sep).href } },
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
  return JSON.stringify(log, null, 2) + '\n';
}

interface RuleDescriptor {
  id: string;
  /** Omitted when it would only repeat the id (SARIF validator rule SARIF1001). */
  name?: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  help: { text: string; markdown: string };
  helpUri: string;
  defaultConfiguration: { level: SarifLevel; enabled?: boolean };
  properties: { tags: string[] };
}

function ruleDescriptor(entry: RuleEntry, profile: ProfileId, options: FormatOptions): RuleDescriptor {
  const helpUri = docsUri(docsPath(entry.id), options);
  const severity = entry.severity[profile];
  const tags = new Set(['virtualization', entry.group, entry.family]);
  if (entry.detection !== undefined) tags.add('vm-detection');
  for (const tag of taxonomyTags(entry.id)) tags.add(tag);
  return {
    id: entry.id,
    ...userFacingName(entry.id),
    shortDescription: { text: plainText(entry.title) },
    fullDescription: { text: plainText(entry.problem) },
    help: {
      text: plainText(entry.advice),
      markdown: `**${entry.title}**\n\n${entry.problem}\n\n${entry.advice}\n\n[Rule documentation](${helpUri})`,
    },
    helpUri,
    defaultConfiguration: severity === 'off' ? { level: 'none', enabled: false } : { level: sarifLevel(severity) },
    properties: { tags: [...tags] },
  };
}

function unknownRuleDescriptor(id: string): RuleDescriptor {
  return {
    id,
    ...userFacingName(id),
    shortDescription: { text: id },
    fullDescription: { text: `Reported as ${id}; not in this version's rule catalogue.` },
    help: { text: id, markdown: id },
    helpUri: 'about:blank',
    defaultConfiguration: { level: 'warning' },
    properties: { tags: ['virtualization'] },
  };
}

function result(message: ReportMessage, ruleIndex: number, artifact: Record<string, string>, filePath: string, cwd: string): Record<string, unknown> {
  // A binary finding's line/column are placeholders; its location is the source line when debug
  // information gives one, else the binary with the address (in properties).
  const physicalLocation: Record<string, unknown> = { artifactLocation: message.source ? artifactLocation(message.source.file, cwd) : artifact };
  if (message.source !== undefined) physicalLocation.region = { startLine: message.source.line, endLine: message.source.line };
  else if (message.bytes !== undefined) physicalLocation.region = { byteOffset: message.bytes.offset, byteLength: message.bytes.length };
  else if (message.address === undefined) {
    physicalLocation.region = {
      startLine: message.line,
      startColumn: message.column,
      endLine: message.endLine,
      endColumn: message.endColumn,
    };
  }
  const location: Record<string, unknown> = { physicalLocation };
  if (message.symbol !== undefined) location.logicalLocations = [{ name: message.symbol, kind: 'function' }];
  const out: Record<string, unknown> = {
    ruleId: message.ruleId,
    ruleIndex,
    level: message.severity === 2 ? 'error' : message.level === undefined ? 'warning' : 'note',
    message: { text: message.message },
    locations: [location],
  };
  if (message.related !== undefined) {
    out.relatedLocations = message.related.map((related, id) => ({ id, ...sarifLocation(related, cwd, related.message) }));
  }
  const flow = threadFlowLocations(message, filePath, cwd);
  if (flow.length > 0) out.codeFlows = [{ threadFlows: [{ locations: flow }] }];
  const properties = resultProperties(message);
  if (properties !== undefined) out.properties = properties;
  if (properties !== undefined && message.source !== undefined && artifact.uri !== undefined) properties.binary = artifact.uri;
  return out;
}

function resultProperties(message: ReportMessage): Record<string, unknown> | undefined {
  const properties: Record<string, unknown> = {};
  if (message.address !== undefined) properties.address = message.address;
  if (message.section !== undefined && message.address !== undefined) properties.section = message.section;
  if (message.discovery !== undefined) properties.discovery = message.discovery;
  if (message.readIn !== undefined) {
    properties.dialect = message.readIn.dialect;
    properties.bits = message.readIn.bits;
  }
  if (message.contexts !== undefined && message.contexts.length > 1) properties.contexts = message.contexts;
  const tags = taxonomyTags(message.ruleId);
  if (tags.length > 0) properties.tags = tags;
  return Object.keys(properties).length > 0 ? properties : undefined;
}

/**
 * The way from the root to the instruction, as one thread flow: the include directives of the
 * first context, then each macro invocation, then the body line(s). Empty when the finding was
 * read straight from its own file with no macro.
 */
function threadFlowLocations(message: ReportMessage, filePath: string, cwd: string): Record<string, unknown>[] {
  const includes = message.contexts?.[0]?.includes ?? [];
  const macros = message.macroChain ?? [];
  if (includes.length === 0 && macros.length === 0) return [];
  const steps: Record<string, unknown>[] = [];
  includes.forEach((site, i) => {
    const target = i + 1 < includes.length ? includes[i + 1]!.path : filePath;
    steps.push({ location: sarifLocation(site, cwd, `includes ${path.basename(target)}`), nestingLevel: i });
  });
  const depth = includes.length;
  if (macros.length === 0) {
    steps.push({ location: sarifLocation({ path: filePath, line: message.line, column: message.column, endLine: message.endLine, endColumn: message.endColumn }, cwd, 'the instruction'), nestingLevel: depth });
    return steps;
  }
  macros.forEach((step, i) => steps.push({ location: sarifLocation(step.invokedAt, cwd, `invokes ${step.name}`), nestingLevel: depth + i }));
  const definitions = new Set(macros.map((step) => (step.definedAt ? `${step.definedAt.path}:${step.definedAt.line}` : '')));
  for (const related of message.related ?? []) {
    if (definitions.has(`${related.path}:${related.line}`)) continue;
    steps.push({ location: sarifLocation(related, cwd, related.message), nestingLevel: depth + macros.length });
  }
  return steps;
}

function sarifLocation(at: ReportLocation, cwd: string, text: string): Record<string, unknown> {
  const region: Record<string, number> = { startLine: at.line };
  if (at.column !== undefined) region.startColumn = at.column;
  if (at.endLine !== undefined) region.endLine = at.endLine;
  if (at.endColumn !== undefined && at.column !== undefined) region.endColumn = at.endColumn;
  return { physicalLocation: { artifactLocation: artifactLocation(at.path, cwd), region }, message: { text } };
}

function artifactLocation(filePath: string, cwd: string): Record<string, string> {
  if (!path.isAbsolute(filePath)) return { uri: encodeSegments(filePath.split(/[\\/]/)), uriBaseId: SRCROOT };
  const relative = path.relative(cwd, filePath);
  if (relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative)) {
    return { uri: encodeSegments(relative.split(path.sep)), uriBaseId: SRCROOT };
  }
  return { uri: pathToFileURL(filePath).href };
}

function encodeSegments(segments: string[]): string {
  return segments.map(encodeURIComponent).join('/');
}

function docsUri(relativeDocsPath: string, options: FormatOptions): string {
  if (options.docsBaseUrl !== undefined) {
    const base = options.docsBaseUrl.endsWith('/') ? options.docsBaseUrl : options.docsBaseUrl + '/';
    return new URL(relativeDocsPath, base).href;
  }
  const root = options.tool?.root;
  return root !== undefined ? pathToFileURL(path.join(root, relativeDocsPath)).href : relativeDocsPath;
}

function informationUri(options: FormatOptions): string {
  const homepage = options.tool?.homepage;
  if (options.docsBaseUrl === undefined && homepage !== undefined) return homepage;
  return docsUri('docs/overview.md', options);
}

function sarifLevel(severity: Exclude<SeverityOrOff, 'off'>): SarifLevel {
  return severity === 'error' ? 'error' : severity === 'warning' ? 'warning' : 'note';
}

function userFacingName(id: string): { name?: string } {
  const name = pascalCase(id);
  return name.toLowerCase() === id.toLowerCase() ? {} : { name };
}

function pascalCase(id: string): string {
  return id
    .split(/[^a-zA-Z0-9]+/)
    .filter((part) => part !== '')
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}

/** Markdown to one plain-text paragraph: drop emphasis and code marks, keep link targets. */
export function plainText(markdown: string): string {
  return markdown
    .replace(/\[([^\]]+)\]\(([^)]+)\)/g, '$1 ($2)')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/\*\*([^*]+)\*\*/g, '$1')
    .replace(/(^|[^*\w])\*([^*\s][^*]*)\*/g, '$1$2')
    .replace(/\s+/g, ' ')
    .trim();
}
