// SARIF 2.1.0, the format GitHub code scanning and most CI dashboards import.
// Every catalogue entry is listed as a rule so that ruleIndex is stable across runs; a problem with
// a file itself (binary, not UTF-8, too large) becomes a tool execution notification, not a result.
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { allEntries, docsPath, parseProfile, type ProfileId, type RuleEntry } from '../analysis/catalogue';
import type { SeverityOrOff } from '../analysis/types';
import type { FileReport, FormatOptions, ReportMessage } from './types';

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
      results.push(result(message, index, location));
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
  name: string;
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
  const tags = ['virtualization', entry.group, entry.family];
  if (entry.detection !== undefined) tags.push('vm-detection');
  return {
    id: entry.id,
    name: pascalCase(entry.id),
    shortDescription: { text: plainText(entry.title) },
    fullDescription: { text: plainText(entry.problem) },
    help: {
      text: plainText(entry.advice),
      markdown: `**${entry.title}**\n\n${entry.problem}\n\n${entry.advice}\n\n[Rule documentation](${helpUri})`,
    },
    helpUri,
    defaultConfiguration: severity === 'off' ? { level: 'none', enabled: false } : { level: sarifLevel(severity) },
    properties: { tags },
  };
}

function unknownRuleDescriptor(id: string): RuleDescriptor {
  return {
    id,
    name: pascalCase(id),
    shortDescription: { text: id },
    fullDescription: { text: `Reported as ${id}; not in this version's rule catalogue.` },
    help: { text: id, markdown: id },
    helpUri: 'about:blank',
    defaultConfiguration: { level: 'warning' },
    properties: { tags: ['virtualization'] },
  };
}

function result(message: ReportMessage, ruleIndex: number, artifact: Record<string, string>): Record<string, unknown> {
  const physicalLocation: Record<string, unknown> = { artifactLocation: artifact };
  // A binary finding's line/column are placeholders; its location is the address (in properties).
  if (message.address === undefined) {
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
  if (message.address !== undefined) {
    out.properties = { address: message.address, ...(message.section !== undefined ? { section: message.section } : {}) };
  }
  return out;
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
