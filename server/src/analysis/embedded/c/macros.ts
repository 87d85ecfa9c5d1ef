// cpp macro definitions as the C front end keeps them: `#define` read from tokens with the
// positions of the body, the predefined and build macros, and the table a file's directives change.
import type { Bits } from '../../types';
import { CLexer, type CToken } from './lexer';
import { paramsOf } from '../../project/cpp/macros';
import { SourceFile, type CMacro, type MacroBodyToken } from './source';

/**
 * A `#define`'s macro. A header's body is kept as the offset it starts at and lexed when first
 * asked for: most header macros are never expanded by any scan, and their token objects were
 * most of what a run kept alive.
 */
export class DefinedMacro implements CMacro {
  private lexedBody: readonly MacroBodyToken[] | undefined;

  constructor(
    readonly name: string,
    readonly params: readonly string[] | null,
    readonly variadic: boolean,
    readonly file: SourceFile,
    readonly nameStart: number,
    readonly nameEnd: number,
    readonly builtin: boolean,
    /** Where the body starts in the file's text (it ends with the logical line). */
    private readonly bodyStart: number,
    body: readonly MacroBodyToken[] | undefined,
  ) {
    this.lexedBody = body;
  }

  get body(): readonly MacroBodyToken[] {
    return (this.lexedBody ??= this.lexBody());
  }

  private lexBody(): MacroBodyToken[] {
    const lexer = new CLexer(this.file.text);
    lexer.quiet = true;
    lexer.seek(this.bodyStart, false);
    const tokens: CToken[] = [];
    for (let t = lexer.nextOnLine(); t; t = lexer.nextOnLine()) tokens.push(t);
    return bodyOf(tokens, 0, this.params, this.file);
  }
}

/** The macro a `#define` makes from the tokens after `define`; undefined when malformed. */
export function parseDefine(tokens: readonly CToken[], file: SourceFile, builtin = false): CMacro | undefined {
  const name = tokens[0];
  if (!name || name.kind !== 'ident' || name.text === 'defined') return undefined;
  const open = tokens[1];
  let params: string[] | null = null;
  let variadic = false;
  let from = 1;
  if (open && open.text === '(' && !open.space) {
    const list = paramsOf(tokens, 2);
    if (!list) return undefined;
    params = list.params;
    variadic = list.variadic;
    from = list.next;
  }
  const bodyStart = tokens[from]?.start ?? name.end;
  return new DefinedMacro(name.text, params, variadic, file, name.start, name.end, builtin, bodyStart, bodyOf(tokens, from, params, file));
}

function bodyOf(tokens: readonly CToken[], from: number, params: readonly string[] | null, file: SourceFile): MacroBodyToken[] {
  const body: MacroBodyToken[] = [];
  // Each token's parameter index is looked up once: as the next token's, then carried over.
  let param = paramIndex(params, tokens[from]);
  for (let i = from; i < tokens.length; i++) {
    const t = tokens[i]!;
    const nextParam = paramIndex(params, tokens[i + 1]);
    body.push({
      kind: t.kind, text: t.text, space: body.length > 0 && t.space, file, start: t.start, end: t.end, param,
      stringify: params !== null && t.kind === 'punct' && (t.text === '#' || t.text === '%:') && nextParam >= 0,
      paste: t.kind === 'punct' && t.text === '##',
      hash: t.hash,
    });
    param = nextParam;
  }
  return body;
}

/** Index of the parameter `t` names, -1 when none (or no token). */
function paramIndex(params: readonly string[] | null, t: CToken | undefined): number {
  return params !== null && t !== undefined && t.kind === 'ident' ? params.indexOf(t.text) : -1;
}

/** What `AsmNames` needs of a body: its identifiers that are no parameter (in order), and whether a paste completes a name with an argument. */
export interface BodyNames {
  readonly names: readonly string[];
  readonly pastesArgument: boolean;
}

/**
 * Reads a `#define` from `lexer`, just after the word `define`, to the end of its logical line,
 * as `parseDefine` would read its tokens, but making no token objects for the body: it is lexed
 * when first used. `names` gets what `AsmNames` needs of the body. Undefined when malformed.
 */
export function readDefine(lexer: CLexer, file: SourceFile, names: { names: string[]; pastesArgument: boolean }): CMacro | undefined {
  if (!lexer.scanOnLine()) return undefined;
  const scanned = lexer.scanned;
  const nameStart = scanned.start;
  const nameEnd = scanned.end;
  const name = scanned.kind === 'ident' ? lexer.text.slice(nameStart, nameEnd) : '';
  if (name === '' || name === 'defined') {
    lexer.skipRestOfLine();
    return undefined;
  }
  let params: string[] | null = null;
  let variadic = false;
  let bodyStart = nameEnd;
  if (lexer.scanOnLine()) {
    if (scanned.kind === 'punct' && !scanned.space && scanned.end === scanned.start + 1 && lexer.text.charCodeAt(scanned.start) === 40) {
      const listed: CToken[] = [];
      for (let t = lexer.nextOnLine(); t; t = lexer.nextOnLine()) {
        listed.push(t);
        if (t.text === ')') break;
      }
      const list = paramsOf(listed, 0);
      if (!list) {
        lexer.skipRestOfLine();
        return undefined;
      }
      params = list.params;
      variadic = list.variadic;
      bodyStart = lexer.offset;
    } else {
      bodyStart = scanned.start;
      lexer.seek(bodyStart, false);
    }
  }
  namesOfBody(lexer, params, names);
  return new DefinedMacro(name, params, variadic, file, nameStart, nameEnd, false, bodyStart, undefined);
}

/** Scans the rest of the line as the body `bodyOf` would make, into `out`. */
function namesOfBody(lexer: CLexer, params: readonly string[] | null, out: { names: string[]; pastesArgument: boolean }): void {
  const text = lexer.text;
  const scanned = lexer.scanned;
  out.names.length = 0;
  out.pastesArgument = false;
  let previousIdent = false;
  let previousParam = false;
  /** After a `##`: whether the token before it was a name, a parameter. */
  let pasteAfter: 0 | 1 | 2 | 3 = 0;
  let afterPaste = false;
  while (lexer.scanOnLine()) {
    const kind = scanned.kind;
    let isParam = false;
    if (kind === 'ident') {
      const word = text.slice(scanned.start, scanned.end);
      isParam = params !== null && params.indexOf(word) >= 0;
      if (!isParam) out.names.push(word);
    }
    if (afterPaste) {
      afterPaste = false;
      if ((pasteAfter & 1) !== 0 && ((pasteAfter & 2) !== 0) !== isParam) out.pastesArgument = true;
    }
    if (kind === 'punct' && scanned.end - scanned.start === 2 && text.charCodeAt(scanned.start) === 35 && text.charCodeAt(scanned.start + 1) === 35) {
      afterPaste = true;
      pasteAfter = ((previousIdent ? 1 : 0) | (previousParam ? 2 : 0)) as 0 | 1 | 2 | 3;
    }
    previousIdent = kind === 'ident';
    previousParam = isParam;
  }
  // A `##` last: nothing on its right.
  if (afterPaste && (pasteAfter & 1) !== 0 && (pasteAfter & 2) !== 0) out.pastesArgument = true;
}

/** Every token of `text` (a define given on the command line), for `parseDefine`. */
function tokensOf(text: string): CToken[] {
  const lexer = new CLexer(text);
  lexer.quiet = true;
  const out: CToken[] = [];
  for (let t = lexer.next(); t.kind !== 'eof'; t = lexer.next()) out.push(t);
  return out;
}

export interface BuildFacts {
  readonly language: 'c' | 'cpp';
  readonly bits: Bits;
  readonly defines: ReadonlyMap<string, string>;
  readonly definesComplete: boolean;
}

function predefined(build: BuildFacts): [string, string][] {
  const out: [string, string][] = [
    ['__GNUC__', '12'], ['__GNUC_MINOR__', '2'], ['__STDC__', '1'], ['__STDC_HOSTED__', '1'], ['__CHAR_BIT__', '8'],
  ];
  if (build.language === 'cpp') out.push(['__cplusplus', '201703L']);
  else out.push(['__STDC_VERSION__', '201710L']);
  if (build.bits === 64) {
    out.push(['__x86_64__', '1'], ['__x86_64', '1'], ['__amd64__', '1'], ['__amd64', '1'], ['__LP64__', '1'], ['_LP64', '1']);
    out.push(['__SIZEOF_LONG__', '8'], ['__SIZEOF_POINTER__', '8']);
  } else {
    out.push(['__i386__', '1'], ['__i386', '1'], ['i386', '1'], ['__SIZEOF_LONG__', '4'], ['__SIZEOF_POINTER__', '4']);
  }
  if (build.bits === 16) out.push(['__code16gcc__', '1']);
  return out;
}

const BUILD_FILE = new SourceFile('<build>', '', false);

/** Per defines map, per language and bitness: a project's defines are parsed once, not once per file. */
const BUILTINS = new WeakMap<ReadonlyMap<string, string>, Map<string, ReadonlyMap<string, CMacro>>>();

/** The predefined macros and the build's `-D`s. */
export function builtinMacros(build: BuildFacts): ReadonlyMap<string, CMacro> {
  let byMode = BUILTINS.get(build.defines);
  if (!byMode) BUILTINS.set(build.defines, (byMode = new Map()));
  const key = `${build.language}|${build.bits}`;
  let macros = byMode.get(key);
  if (!macros) byMode.set(key, (macros = parseBuiltins(build)));
  return macros;
}

function parseBuiltins(build: BuildFacts): Map<string, CMacro> {
  const out = new Map<string, CMacro>();
  const add = (name: string, value: string): void => {
    const macro = parseDefine(tokensOf(`${name} ${value === '' ? '' : value}`), BUILD_FILE, true);
    if (macro) out.set(macro.name, macro);
  };
  for (const [name, value] of predefined(build)) add(name, value);
  for (const [name, value] of build.defines) add(name, value);
  return out;
}

/** Names the implementation owns: cpp decides them (not defined means 0), the project does not. */
export function isReserved(name: string): boolean {
  const c = name.charCodeAt(1);
  return name.charCodeAt(0) === 95 && (c === 95 || (c >= 65 && c <= 90));
}

/** The macros in force: the files' own on top of the builtins; null marks an `#undef`. */
export class MacroTable {
  private readonly own = new Map<string, CMacro | null>();
  /** Names the text says are not defined (`#undef`, an include guard about to be defined). */
  readonly knownUndefined = new Set<string>();

  constructor(private readonly builtins: { get(name: string): CMacro | undefined }) {}

  get(name: string): CMacro | undefined {
    const own = this.own.get(name);
    return own === undefined ? this.builtins.get(name) : (own ?? undefined);
  }

  define(macro: CMacro): void {
    this.own.set(macro.name, macro);
    this.knownUndefined.delete(macro.name);
  }

  undef(name: string): void {
    this.own.set(name, null);
    this.knownUndefined.add(name);
  }

  /** The file's own definitions (not the builtins), in definition order. */
  ownMacros(): CMacro[] {
    const out: CMacro[] = [];
    for (const m of this.own.values()) if (m) out.push(m);
    return out;
  }
}
