// compile_commands.json (the Clang compilation database: an array of {directory, file, command |
// arguments}): what the build passes to the assembler for each assembly file — include paths,
// defines and the starting bitness. Text in, entries or problems out; the shells read the file.
import type { Bits } from '../types';
import { kindName, readJson, type JsonNode, type TextPosition } from './jsonText';
import { joinPath } from './paths';
import type { FileSettings } from './types';

export const COMPILE_COMMANDS_FILE_NAME = 'compile_commands.json';

export interface BuildEntry {
  /** Absolute path of the source file (the entry's `file`, against its `directory`), `/`-separated. */
  file: string;
  /** Absolute include directories in command-line order (`-I`, `-iquote`, `-isystem`, `-idirafter`, `-Wa,-I`). */
  includePaths: string[];
  /** `-D` defines after `-U` (a later flag wins): name to value, `''` for `-DNAME`. */
  defines: Record<string, string>;
  bits?: Bits;
  /** GCC/Clang `-masm=att|intel`: the syntax of the file's inline assembly (C and C++ entries). */
  asmSyntax?: 'att' | 'intel';
  /** The dialect the assembler named by the command reads. */
  settings: FileSettings;
}

export interface BuildProblem {
  message: string;
  line: number;
  column: number;
}

export type BuildParse = { ok: true; entries: BuildEntry[]; problems: BuildProblem[] } | { ok: false; problems: BuildProblem[] };

/** Extensions of assembly sources (others count only when an assembler compiles them). */
const ASSEMBLY_EXTENSIONS = ['.s', '.sx', '.asm', '.nasm', '.yasm', '.fasm', '.masm', '.inc', '.asm_ia32', '.asm_x86_64'];
/** C and C++ sources: their entries give the inline assembly's mode, syntax, defines and include paths. */
const HOST_EXTENSIONS = ['.c', '.cc', '.cpp', '.cxx', '.c++'];

/** NASM/YASM output formats and the bitness nasm starts them in (checked against nasm in the tests). */
const NASM_FORMAT_BITS: Record<string, Bits> = {
  bin: 16, ith: 16, srec: 16, obj: 16, as86: 16, ieee: 16, dbg: 16,
  elf: 32, elf32: 32, win32: 32, coff: 32, aout: 32, aoutb: 32, macho: 32, macho32: 32, rdf: 32,
  elf64: 64, elfx32: 64, win64: 64, x64: 64, macho64: 64,
};

/**
 * Parses a compilation database. An entry that is not an object or lacks `directory`/`file`/a
 * command is a problem but does not stop the others; only invalid JSON or a top level that is
 * not an array fails the whole file. The first entry for a file wins (as clangd does).
 */
export function parseCompileCommands(text: string): BuildParse {
  const read = readJson(text);
  if ('syntaxProblem' in read) return { ok: false, problems: [read.syntaxProblem] };
  const root = read.root;
  if (root.kind !== 'array') return { ok: false, problems: [problemAt(root.at, `the compilation database must be an array, not ${kindName(root)}`)] };
  const entries: BuildEntry[] = [];
  const problems: BuildProblem[] = [];
  const seen = new Set<string>();
  root.items.forEach((item, index) => {
    const entry = readEntry(item, index, problems);
    if (entry === undefined || seen.has(entry.file)) return;
    seen.add(entry.file);
    entries.push(entry);
  });
  return { ok: true, entries, problems };
}

function problemAt(at: TextPosition, message: string): BuildProblem {
  return { message, line: at.line, column: at.column };
}

function readEntry(item: JsonNode, index: number, problems: BuildProblem[]): BuildEntry | undefined {
  const where = `entry ${index}`;
  if (item.kind !== 'object') {
    problems.push(problemAt(item.at, `${where} must be an object, not ${kindName(item)}`));
    return undefined;
  }
  const field = (name: string): JsonNode | undefined => item.members.find((m) => m.key === name)?.value;
  const directory = stringField(field('directory'), `${where}: "directory"`, item.at, problems);
  const file = stringField(field('file'), `${where}: "file"`, item.at, problems);
  const argv = commandArguments(field('arguments'), field('command'), where, item.at, problems);
  if (directory === undefined || file === undefined || argv === undefined) return undefined;
  const directoryPath = joinPath('/', directory);
  const filePath = joinPath(directoryPath, file);
  const assembler = assemblerOf(argv[0] ?? '');
  if (assembler === undefined && !hasAssemblyExtension(filePath) && !hasHostExtension(filePath)) return undefined;
  return entryFromArguments(filePath, directoryPath, argv, assembler, assembler === undefined && hasHostExtension(filePath));
}

function stringField(node: JsonNode | undefined, name: string, at: TextPosition, problems: BuildProblem[]): string | undefined {
  if (node === undefined) problems.push(problemAt(at, `${name} is missing`));
  else if (node.kind !== 'string' || node.value === '') problems.push(problemAt(node.at, `${name} must be a non-empty string`));
  else return node.value;
  return undefined;
}

function commandArguments(args: JsonNode | undefined, command: JsonNode | undefined, where: string, at: TextPosition, problems: BuildProblem[]): string[] | undefined {
  if (args !== undefined) {
    if (args.kind === 'array' && args.items.every((a) => a.kind === 'string')) return args.items.map((a) => (a.kind === 'string' ? a.value : ''));
    problems.push(problemAt(args.at, `${where}: "arguments" must be an array of strings`));
    return undefined;
  }
  if (command !== undefined) {
    if (command.kind === 'string') return splitCommand(command.value);
    problems.push(problemAt(command.at, `${where}: "command" must be a string`));
    return undefined;
  }
  problems.push(problemAt(at, `${where} has neither "arguments" nor "command"`));
  return undefined;
}

/** Splits a `command` string as a POSIX shell would split words (quotes and backslashes; no expansion). */
export function splitCommand(command: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === '\\' && i + 1 < command.length) {
      word += command[++i];
    } else if (c === "'") {
      const end = command.indexOf("'", i + 1);
      const stop = end < 0 ? command.length : end;
      word += command.slice(i + 1, stop);
      i = stop;
    } else if (c === '"') {
      i++;
      for (; i < command.length && command[i] !== '"'; i++) {
        if (command[i] === '\\' && i + 1 < command.length && '"\\$`'.includes(command[i + 1]!)) i++;
        word += command[i];
      }
    } else {
      word += c;
    }
  }
  if (inWord) words.push(word);
  return words;
}

type Assembler = 'nasm' | 'fasm' | 'masm' | 'gas';

/** The assembler a command runs, from the program's name; undefined for a C compiler driver. */
function assemblerOf(program: string): Assembler | undefined {
  const name = baseName(program).toLowerCase().replace(/\.exe$/, '');
  if (name === 'nasm' || name === 'yasm') return 'nasm';
  if (name === 'fasm') return 'fasm';
  if (name === 'ml' || name === 'ml64' || name === 'jwasm' || name === 'uasm') return 'masm';
  if (name === 'as' || name.endsWith('-as') || name === 'gas') return 'gas';
  return undefined;
}

function hasAssemblyExtension(file: string): boolean {
  const base = baseName(file);
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return false;
  const extension = base.slice(dot);
  return extension === '.S' || ASSEMBLY_EXTENSIONS.includes(extension.toLowerCase());
}

function hasHostExtension(file: string): boolean {
  const base = baseName(file);
  const dot = base.lastIndexOf('.');
  return dot > 0 && (base.slice(dot) === '.C' || HOST_EXTENSIONS.includes(base.slice(dot).toLowerCase()));
}

/** Reads the flags that matter to an assembly file; anything else is skipped. */
function entryFromArguments(file: string, directory: string, argv: readonly string[], assembler: Assembler | undefined, compilesC: boolean): BuildEntry {
  const entry: BuildEntry = { file, includePaths: [], defines: {}, settings: {} };
  if (assembler === 'nasm' || assembler === 'fasm' || assembler === 'masm') entry.settings.dialect = assembler;
  else if (!compilesC) entry.settings.dialectFamily = 'gas';
  const flags = new FlagReader(entry, directory, assembler === 'nasm');
  for (let i = 1; i < argv.length; i++) i += flags.read(argv[i]!, argv[i + 1]);
  if (entry.bits !== undefined) entry.settings.bits = entry.bits;
  return entry;
}

/** Flags whose value may be attached (`-Idir`) or the next argument (`-I dir`). */
const INCLUDE_FLAGS = ['-iquote', '-isystem', '-idirafter', '-I'];

class FlagReader {
  constructor(
    private readonly entry: BuildEntry,
    private readonly directory: string,
    private readonly nasm: boolean,
  ) {}

  /** Applies one argument; returns 1 when it consumed `next` as its value, else 0. */
  read(arg: string, next: string | undefined): number {
    if (arg.startsWith('-Wa,')) {
      this.assemblerFlags(arg.slice(4).split(','));
      return 0;
    }
    if (arg === '-Xassembler') {
      if (next !== undefined) this.assemblerFlags([next]);
      return 1;
    }
    for (const flag of INCLUDE_FLAGS) {
      if (arg === flag || (this.nasm && arg === '-i')) return this.withValue(next, (dir) => this.include(dir));
      if (arg.startsWith(flag) && arg.length > flag.length) return this.include(arg.slice(flag.length)), 0;
    }
    if (this.nasm && arg.startsWith('-i') && arg.length > 2) return this.include(arg.slice(2)), 0;
    if (arg === '-D' || (this.nasm && arg === '-d')) return this.withValue(next, (spec) => this.define(spec));
    if (arg.startsWith('-D') || (this.nasm && arg.startsWith('-d'))) return this.define(arg.slice(2)), 0;
    if (arg === '-U' || (this.nasm && arg === '-u')) return this.withValue(next, (name) => this.undefine(name));
    if (arg.startsWith('-U') || (this.nasm && arg.startsWith('-u'))) return this.undefine(arg.slice(2)), 0;
    if (arg === '-masm=intel' || arg === '-masm=att') return (this.entry.asmSyntax = arg === '-masm=intel' ? 'intel' : 'att'), 0;
    if (this.nasm && arg === '-f') return this.withValue(next, (format) => this.format(format));
    if (this.nasm && arg.startsWith('-f')) return this.format(arg.slice(2)), 0;
    this.bitsFlag(arg);
    return 0;
  }

  private withValue(next: string | undefined, apply: (value: string) => void): number {
    if (next === undefined) return 0;
    apply(next);
    return 1;
  }

  /** `-Wa,--32,-I,dir`: the assembler's own arguments, passed through the compiler driver. */
  private assemblerFlags(args: readonly string[]): void {
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]!;
      if (arg === '-I' && i + 1 < args.length) this.include(args[++i]!);
      else if (arg.startsWith('-I') && arg.length > 2) this.include(arg.slice(2));
      else if (arg === '--32' || arg === '--64' || arg === '--x32') this.bitsFlag(arg);
    }
  }

  private include(dir: string): void {
    if (dir !== '') this.entry.includePaths.push(joinPath(this.directory, dir));
  }

  private define(spec: string): void {
    const eq = spec.indexOf('=');
    const name = eq < 0 ? spec : spec.slice(0, eq);
    if (name !== '') this.entry.defines[name] = eq < 0 ? '' : spec.slice(eq + 1);
  }

  private undefine(name: string): void {
    delete this.entry.defines[name];
  }

  private format(format: string): void {
    const bits = NASM_FORMAT_BITS[format.toLowerCase()];
    if (bits !== undefined) this.entry.bits = bits;
  }

  private bitsFlag(arg: string): void {
    if (arg === '-m16') this.entry.bits = 16;
    else if (arg === '-m32' || arg === '--32') this.entry.bits = 32;
    else if (arg === '-m64' || arg === '--64' || arg === '-mx32' || arg === '--x32') this.entry.bits = 64;
    else if (arg.startsWith('--target=') || arg.startsWith('-target=')) this.targetTriple(arg.slice(arg.indexOf('=') + 1));
  }

  private targetTriple(triple: string): void {
    const arch = triple.split('-')[0]!.toLowerCase();
    if (/^i[3-7]86$/.test(arch)) this.entry.bits = 32;
    else if (arch === 'x86_64' || arch === 'amd64') this.entry.bits = 64;
  }
}

function baseName(file: string): string {
  const slash = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  return file.slice(slash + 1);
}
