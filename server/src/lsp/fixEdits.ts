// The WorkspaceEdit of a hypercall fix: the fix, the include of the definitions file, and the
// file itself (createFile, then its text) when it does not exist next to the document yet.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TextEdit as LspTextEdit, WorkspaceEdit } from 'vscode-languageserver';
import { inlineNumbersEdit, textWithNumbersInline, type DefinitionsFile } from '../analysis/fixes/index';

/** Where the definitions file goes for a document: next to it. Undefined for a document that is not a file. */
export function definitionsUri(documentUri: string, file: DefinitionsFile): string | undefined {
  if (!documentUri.startsWith('file:')) return undefined;
  try {
    return pathToFileURL(path.join(path.dirname(fileURLToPath(documentUri)), file.name)).toString();
  } catch {
    return undefined;
  }
}

function existsOnDisk(uri: string): boolean {
  try {
    return fs.existsSync(fileURLToPath(uri));
  } catch {
    return false;
  }
}

/** A hypercall fix's definitions: the include it adds and the file that include names. */
export interface FixDefinitions {
  include: LspTextEdit;
  file: DefinitionsFile;
  /** The include edit already holds the numbers (the user's choice): no file to create. */
  inline?: true;
}

export interface FixWorkspaceEdit {
  edit: WorkspaceEdit;
  /** The client cannot create files, so the numbers were written into the document instead of an include. */
  inline: boolean;
}

/**
 * `edits` on the document, and with `definitions` what makes it assemble: the include, plus the
 * file when it is missing next to the document (createFile, then its text, then the document's
 * edits: `documentChanges` keeps that order). A client that cannot create files gets the
 * numbers written into the document where the include would go.
 */
export function workspaceEditWith(uri: string, edits: readonly LspTextEdit[], definitions: FixDefinitions | undefined, createFiles: boolean): FixWorkspaceEdit {
  const own = edits.map((edit) => ({ range: edit.range, newText: edit.newText }));
  if (!definitions) return { edit: { changes: { [uri]: own } }, inline: false };
  const include = { range: definitions.include.range, newText: definitions.include.newText };
  // The user asked for the numbers in the file (virtlint.fix.hypercallNumbers): the "include" holds them.
  if (definitions.inline) return { edit: { changes: { [uri]: withInclude(own, include) } }, inline: false };
  const where = placeFor(uri, definitions.file, createFiles);
  if (where.inline) {
    const inline = inlineNumbersEdit(definitions.include, definitions.file);
    const pointing = own.map((edit) => ({ range: edit.range, newText: textWithNumbersInline(edit.newText, definitions.file.name) }));
    return { edit: { changes: { [uri]: withInclude(pointing, inline) } }, inline: true };
  }
  return { edit: withFile(uri, withInclude(own, include), where.create, definitions.file), inline: false };
}

/**
 * The edit of a fix-all that took several passes: one edit with the whole fixed text, which
 * already holds the include; the file is created as above, or the include replaced by the numbers.
 */
export function wholeTextWith(uri: string, whole: LspTextEdit, definitions: FixDefinitions | undefined, createFiles: boolean): WorkspaceEdit {
  if (!definitions || definitions.inline) return { changes: { [uri]: [whole] } };
  const where = placeFor(uri, definitions.file, createFiles);
  if (where.inline) {
    const withNumbers = whole.newText.replace(definitions.include.newText, inlineNumbersEdit(definitions.include, definitions.file).newText);
    return { changes: { [uri]: [{ range: whole.range, newText: textWithNumbersInline(withNumbers, definitions.file.name) }] } };
  }
  return withFile(uri, [whole], where.create, definitions.file);
}

/** Whether a hypercall fix writes its numbers into the document (the hover and the menu say so alike). */
export function numbersGoInline(uri: string, file: DefinitionsFile, createFiles: boolean): boolean {
  return placeFor(uri, file, createFiles).inline;
}

/** Whether the numbers go into the document, and otherwise the file to create (none when it exists). */
function placeFor(uri: string, file: DefinitionsFile, createFiles: boolean): { inline: true } | { inline: false; create?: string } {
  const target = definitionsUri(uri, file);
  if (target && existsOnDisk(target)) return { inline: false };
  if (!target || !createFiles) return { inline: true };
  return { inline: false, create: target };
}

/** A reading pin inserted at the same place stays above the include (clients apply same-place inserts in order). */
function withInclude(edits: readonly LspTextEdit[], include: LspTextEdit): LspTextEdit[] {
  const at = include.range.start;
  const insertsThere = (e: LspTextEdit) => e.range.start.line === at.line && e.range.start.character === at.character && e.range.end.line === at.line && e.range.end.character === at.character;
  const out: LspTextEdit[] = [];
  for (const edit of edits) if (insertsThere(edit)) out.push(edit);
  out.push(include);
  for (const edit of edits) if (!insertsThere(edit)) out.push(edit);
  return out;
}

/** The document's edits, after creating and filling the definitions file when `create` names it. */
function withFile(uri: string, edits: LspTextEdit[], create: string | undefined, file: DefinitionsFile): WorkspaceEdit {
  if (create === undefined) return { changes: { [uri]: edits } };
  const top = { line: 0, character: 0 };
  return {
    documentChanges: [
      { kind: 'create', uri: create, options: { ignoreIfExists: true } },
      { textDocument: { uri: create, version: null }, edits: [{ range: { start: top, end: top }, newText: file.text }] },
      { textDocument: { uri, version: null }, edits },
    ],
  };
}
