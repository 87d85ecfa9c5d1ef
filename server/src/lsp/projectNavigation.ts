// Go to definition, find references and hovers from the project index: macros (where they are
// defined, where they are invoked, what an invocation expands to) and include directives (the
// file a path names, and every directive that names it).
import type { Location, Position, Range } from 'vscode-languageserver';
import type { FileLocation } from '../analysis/types';
import type { IncludeSite, MacroDefinition } from '../analysis/project/index';
import type { ProjectIndex } from './projectIndex';
import type { WorkspaceAccess } from './workspaceAccess';

/** Lines of an expansion shown in a hover; the rest is summarised. */
const MAX_HOVER_LINES = 40;
const WORD = /[A-Za-z0-9_.$?@#~%\\]/;

/** `workspace` names the files by the client's URIs. */
export function definitionAt(index: ProjectIndex, workspace: Pick<WorkspaceAccess, 'uriOf'>, path: string, lineText: string, position: Position): Location[] {
  const include = includeAt(index, path, lineText, position);
  if (include) return include.target ? [{ uri: workspace.uriOf(include.target), range: ZERO_RANGE }] : [];
  const name = macroNameAt(index, path, lineText, position);
  return name ? index.macroDefinitions(name).map((definition) => locationOf(definition.definedAt, workspace)) : [];
}

export function referencesAt(index: ProjectIndex, workspace: Pick<WorkspaceAccess, 'uriOf'>, path: string, lineText: string, position: Position, includeDeclaration: boolean): Location[] {
  const include = includeAt(index, path, lineText, position);
  if (include) return include.target ? index.sitesIncluding(include.target).map((site) => locationOf(site.from, workspace)) : [];
  const name = macroNameAt(index, path, lineText, position);
  if (!name) return [];
  const locations = index.macroInvocations(name).map((site) => locationOf(site, workspace));
  if (includeDeclaration) for (const definition of index.macroDefinitions(name)) locations.unshift(locationOf(definition.definedAt, workspace));
  return locations;
}

/** Markdown for a macro invocation: the macro, where it is defined, and the lines the assembler reads there. */
export function macroHoverAt(index: ProjectIndex, path: string, lineText: string, position: Position): { markdown: string; range: Range } | undefined {
  const word = wordAt(lineText, position.character);
  const invoked = index.macrosInvokedAt(path, position.line, position.character);
  const name = word && invoked.includes(nameKey(word.text)) ? nameKey(word.text) : word && index.macroDefinitions(nameKey(word.text)).length > 0 ? nameKey(word.text) : undefined;
  if (!name) return undefined;
  const definitions = index.macroDefinitions(name);
  const parts: string[] = [];
  const shownName = definitions[0]?.name ?? word!.text;
  parts.push(`**${escapeMarkdown(shownName)}** — ${definitions.length > 0 ? definitions.map(describeDefinition).join('; ') : 'macro'}`);
  const expansion = invoked.length > 0 ? index.expansionAt(path, position.line) : undefined;
  if (expansion && expansion.length > 0) {
    const shown = expansion.slice(0, MAX_HOVER_LINES).map((line) => line.replace(/```/g, '` ` `'));
    const more = expansion.length > MAX_HOVER_LINES ? `\n\n…and ${expansion.length - MAX_HOVER_LINES} more lines` : '';
    parts.push(`Expands here to:\n\n\`\`\`asm\n${shown.join('\n')}\n\`\`\`${more}`);
  }
  return { markdown: parts.join('\n\n'), range: { start: { line: position.line, character: word!.start }, end: { line: position.line, character: word!.end } } };
}

function describeDefinition(definition: MacroDefinition): string {
  const where = definition.definedAt;
  return `${definition.kind}, defined at ${baseName(where.path)}:${where.line + 1}`;
}

/** The include directive under the cursor: on its path, or anywhere on the line when the path is not found in the text. */
function includeAt(index: ProjectIndex, path: string, lineText: string, position: Position): IncludeSite | undefined {
  for (const site of index.includeSitesAt(path, position.line)) {
    const range = site.from.range;
    if (range) {
      if (position.character >= range.start.character && position.character <= range.end.character) return site;
      continue;
    }
    const at = lineText.indexOf(site.spec);
    if (at < 0 || (position.character >= at - 1 && position.character <= at + site.spec.length + 1)) return site;
  }
  return undefined;
}

function macroNameAt(index: ProjectIndex, path: string, lineText: string, position: Position): string | undefined {
  const word = wordAt(lineText, position.character);
  if (word) {
    for (const candidate of nameCandidates(word.text)) if (index.macroDefinitions(candidate).length > 0 || index.macroInvocations(candidate).length > 0) return candidate;
  }
  return undefined;
}

/** The word as written, then without a sigil (`%`, `.`, `\`) in front. */
function nameCandidates(word: string): string[] {
  const candidates = [word.toLowerCase()];
  const bare = word.replace(/^[%.\\]+/, '').toLowerCase();
  if (bare !== candidates[0] && bare !== '') candidates.push(bare);
  return candidates;
}

function nameKey(word: string): string {
  return word.replace(/^[%\\]+/, '').toLowerCase();
}

function wordAt(text: string, character: number): { text: string; start: number; end: number } | undefined {
  let start = Math.min(character, text.length);
  let end = start;
  while (start > 0 && WORD.test(text[start - 1]!)) start--;
  while (end < text.length && WORD.test(text[end]!)) end++;
  return end > start ? { text: text.slice(start, end), start, end } : undefined;
}

function locationOf(at: FileLocation, workspace: Pick<WorkspaceAccess, 'uriOf'>): Location {
  return { uri: workspace.uriOf(at.path), range: at.range ?? { start: { line: at.line, character: 0 }, end: { line: at.line, character: 0 } } };
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}

const ZERO_RANGE: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
