// The multi-file oracle's ground truth: assemble a project with the real tool, map every
// emitted instruction's bytes to the line the user wrote (through the listing, the DWARF line
// table or fasm's symbolic file), decode them with iced-x86 at the mode they were assembled in,
// and classify them with the catalogue's `ruleForCode`.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ruleForCode } from '../../server/src/analysis';
import { decodeAll, isDataLine, requireAssembler } from './assemble';
import { runFasm } from './fasm';
import {
  attributeNasmRows,
  fasUserLine,
  gasModesByAddress,
  parseDecodedLines,
  parseFas,
  parseNasmListingRows,
  rowAt,
  type Bits,
  type LineTableRow,
  type SourcePos,
} from './listings';

export type ProjectTool = 'nasm' | 'gas' | 'fasm';

/** One file a project's build assembles, with the flags the build passes. */
export interface BuildUnit {
  /** Relative to the project directory. */
  root: string;
  /** The mode the build starts the file in (`-f elf32`, `-m32`, fasm's default 16). */
  bits: Bits;
}

export interface ProjectSpec {
  name: string;
  tool: ProjectTool;
  dialect: 'nasm' | 'gas-att' | 'fasm';
  /** Absolute project directory. */
  dir: string;
  units: BuildUnit[];
  /** Relative to the project directory, searched after the includer's own directory. */
  includePaths: string[];
  defines: Record<string, string>;
}

/** One instruction the assembler emitted. */
export interface EmittedInstruction {
  unit: string;
  /** The line the user wrote: the instruction's own line, or the outermost macro invocation. */
  at: SourcePos;
  /** Macro names from `at` inward (empty when no macro produced it). */
  macros: string[];
  /** The macro body line the text came from (innermost), when the tool says. */
  body?: SourcePos;
  /** GNU as: the outermost macro's definition, `.macro` through `.endm` (or its `#define` line). */
  definition?: { file: string; first: number; last: number };
  bits: Bits;
  code: number;
  codeName: string;
  rule?: string;
}

export interface GroundTruth {
  spec: ProjectSpec;
  instructions: EmittedInstruction[];
  /** Every file the build read (for the readers and the diff's source column). */
  files: Set<string>;
}

export function groundTruth(spec: ProjectSpec): GroundTruth {
  const instructions: EmittedInstruction[] = [];
  for (const unit of spec.units) {
    const found = spec.tool === 'nasm' ? nasmUnit(spec, unit) : spec.tool === 'gas' ? gasUnit(spec, unit) : fasmUnit(spec, unit);
    for (const instruction of found) instructions.push(instruction);
  }
  const files = new Set<string>();
  for (const file of listFiles(spec.dir)) files.add(file);
  return { spec, instructions, files };
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) for (const inner of listFiles(full)) out.push(inner);
    else out.push(full);
  }
  return out;
}

// ---------------------------------------------------------------- running tools

function withTempDir<T>(work: (dir: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtlint-project-'));
  try {
    return work(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function run(command: string, args: readonly string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw new Error(`${command} failed to run: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${String(result.status)}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

function textSection(object: string, cwd: string, out: string): Buffer {
  run('objcopy', ['-O', 'binary', '-j', '.text', object, out], cwd);
  return fs.readFileSync(out);
}

function lineTable(object: string, cwd: string): LineTableRow[] {
  return parseDecodedLines(run('objdump', ['--dwarf=decodedline', object], cwd), cwd);
}

const lineCache = new Map<string, string[]>();

/** The text of a 1-based line of a project file. */
export function sourceLine(pos: SourcePos): string {
  let lines = lineCache.get(pos.file);
  if (!lines) lineCache.set(pos.file, (lines = fs.readFileSync(pos.file, 'utf8').split(/\r?\n/)));
  return lines[pos.line - 1] ?? '';
}

/** Decodes `bytes` completely at `bits`; undecodable bytes are a broken fixture, not a finding. */
function decodeExactly(bytes: Uint8Array, bits: Bits, where: string): { code: number; codeName: string; rule?: string }[] {
  const decoded = decodeAll(bytes, bits);
  if (decoded.some((d) => d.codeName === 'INVALID')) {
    throw new Error(`${where}: iced-x86 cannot decode ${Buffer.from(bytes).toString('hex')} at ${bits}-bit`);
  }
  return decoded.map((d) => {
    const rule = ruleForCode(d.code);
    return rule ? { code: d.code, codeName: d.codeName, rule } : { code: d.code, codeName: d.codeName };
  });
}

function same(a: SourcePos, b: SourcePos): boolean {
  return a.file === b.file && a.line === b.line;
}

function show(pos: SourcePos, dir: string): string {
  return `${path.relative(dir, pos.file)}:${pos.line}`;
}

// ---------------------------------------------------------------- NASM

/**
 * `nasm -f elf32 -g -F dwarf -l`: the listing says which rows come from an include or a macro
 * (and so where the user wrote them), the DWARF line table says which file and line each
 * address comes from (for a macro row: its body line). The two must agree where both know.
 */
function nasmUnit(spec: ProjectSpec, unit: BuildUnit): EmittedInstruction[] {
  requireAssembler('nasm');
  return withTempDir((tmp) => {
    const listing = path.join(tmp, 'out.lst');
    const object = path.join(tmp, 'out.o');
    const includeArgs = spec.includePaths.map((p) => `-I${p.endsWith('/') ? p : `${p}/`}`);
    const format = unit.bits === 64 ? 'elf64' : 'elf32';
    run('nasm', ['-f', format, '-g', '-F', 'dwarf', ...includeArgs, '-l', listing, '-o', object, unit.root], spec.dir);
    const text = textSection(object, spec.dir, path.join(tmp, 'text.bin'));
    const table = lineTable(object, spec.dir);
    const root = path.join(spec.dir, unit.root);
    const resolve = (include: string): string => nasmInclude(spec, include);
    const rows = attributeNasmRows(parseNasmListingRows(fs.readFileSync(listing, 'utf8')), root, unit.bits, resolve);
    const out: EmittedInstruction[] = [];
    for (const { row, at, macros, bits } of rows) {
      if (macros.length === 0 && isDataLine(sourceLine(at))) continue;
      if (macros.length > 0 && isDataLine(row.text)) continue;
      const where = `${spec.name}: ${show(at, spec.dir)} "${row.text.trim()}"`;
      const debug = rowAt(table, row.address!);
      if (!debug) throw new Error(`${where}: no DWARF line for address ${row.address!.toString(16)}`);
      const debugPos = { file: debug.file, line: debug.line };
      if (macros.length === 0 && !same(debugPos, at)) throw new Error(`${where}: the listing says ${show(at, spec.dir)}, DWARF says ${show(debugPos, spec.dir)}`);
      if (macros.length > 0 && debug.line !== row.line) throw new Error(`${where}: macro row line ${row.line}, DWARF says ${show(debugPos, spec.dir)}`);
      const bytes = text.subarray(row.address!, row.address! + row.length);
      for (const d of decodeExactly(bytes, bits, where)) {
        const instruction: EmittedInstruction = { unit: unit.root, at, macros, bits, ...d };
        if (macros.length > 0) instruction.body = debugPos;
        out.push(instruction);
      }
    }
    return out;
  });
}

/** NASM looks for an include in the current directory, then in each `-I` path in order. */
function nasmInclude(spec: ProjectSpec, include: string): string {
  for (const dir of ['.', ...spec.includePaths]) {
    const candidate = path.resolve(spec.dir, dir, include);
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error(`${spec.name}: cannot find the include "${include}"`);
}

// ---------------------------------------------------------------- GNU as through gcc

/**
 * `gcc -c -g` on a `.S` (cpp, then as): the DWARF line table maps each address to the line the
 * user wrote — cpp's line markers carry headers and cpp macros back to their lines, and as
 * attributes a `.macro` expansion to its invocation and a `.rept`/`.irp` body to the body line.
 * The listing (`-alm`) gives the mode at each address. Data lives outside `.text`, so every
 * byte of a `.text` range is an instruction.
 */
function gasUnit(spec: ProjectSpec, unit: BuildUnit): EmittedInstruction[] {
  requireAssembler('gas');
  return withTempDir((tmp) => {
    const listing = path.join(tmp, 'out.lst');
    const object = path.join(tmp, 'out.o');
    const defineArgs = Object.entries(spec.defines).map(([name, value]) => (value === '' ? `-D${name}` : `-D${name}=${value}`));
    const includeArgs = spec.includePaths.map((p) => `-I${p}`);
    const mode = unit.bits === 64 ? '-m64' : '-m32';
    run('gcc', ['-c', mode, '-g', ...defineArgs, ...includeArgs, `-Wa,-alm=${listing}`, '-o', object, unit.root], spec.dir);
    const text = textSection(object, spec.dir, path.join(tmp, 'text.bin'));
    const table = lineTable(object, spec.dir);
    const modes = gasModesByAddress(fs.readFileSync(listing, 'utf8'), unit.bits);
    const out: EmittedInstruction[] = [];
    const definitions = gasMacroDefinitions(spec, unit, [...defineArgs, ...includeArgs, mode]);
    for (const range of table) {
      const at = { file: range.file, line: range.line };
      const macro = macroUsedOn(sourceLine(at), definitions);
      const where = `${spec.name}: ${show(at, spec.dir)} "${sourceLine(at).trim()}"`;
      const bits = modeAt(modes, range.address);
      if (bits === undefined) throw new Error(`${where}: the listing has no row at or before address ${range.address.toString(16)}`);
      for (const [address, other] of modes) {
        if (address > range.address && address < range.end && other !== bits) throw new Error(`${where}: the mode changes inside one line's bytes`);
      }
      for (const d of decodeExactly(text.subarray(range.address, range.end), bits, where)) {
        const instruction: EmittedInstruction = { unit: unit.root, at, macros: macro ? [macro.name] : [], bits, ...d };
        if (macro) instruction.definition = macro.span;
        out.push(instruction);
      }
    }
    return out;
  });
}

interface GasMacro {
  name: string;
  span: { file: string; first: number; last: number };
}

/**
 * The macros a unit defines, from cpp's own output (`gcc -E -dD` keeps each `#define` in place;
 * its line markers say where each line came from): GNU as `.macro`…`.endm` blocks and cpp
 * macros defined in the project's files.
 */
function gasMacroDefinitions(spec: ProjectSpec, unit: BuildUnit, flags: readonly string[]): Map<string, GasMacro> {
  const output = run('gcc', ['-E', '-dD', ...flags, unit.root], spec.dir);
  const macros = new Map<string, GasMacro>();
  let file = '';
  let line = 0;
  let open: GasMacro | undefined;
  for (const text of output.split(/\r?\n/)) {
    const marker = /^# (\d+) "([^"]*)"/.exec(text);
    if (marker) {
      line = Number(marker[1]);
      file = path.resolve(spec.dir, marker[2]!);
      continue;
    }
    const inProject = file.startsWith(spec.dir + path.sep);
    const define = /^#define ([A-Za-z_]\w*)/.exec(text);
    const start = /^\s*\.macro\s+([A-Za-z_.$][\w.$]*)/.exec(text);
    if (define && inProject) macros.set(define[1]!, { name: define[1]!, span: { file, first: line, last: line } });
    else if (start && inProject) open = { name: start[1]!, span: { file, first: line, last: line } };
    else if (open && /^\s*\.endm\b/.test(text)) {
      open.span.last = line;
      macros.set(open.name, open);
      open = undefined;
    }
    line++;
  }
  return macros;
}

/** The macro a line starts with (`NAME args` or `NAME(args)`), if the unit defines one by that name. */
function macroUsedOn(text: string, macros: ReadonlyMap<string, GasMacro>): GasMacro | undefined {
  const word = /^\s*(?:[A-Za-z_.$][\w.$]*:\s*)?([A-Za-z_.$][\w.$]*)/.exec(text);
  return word ? macros.get(word[1]!) : undefined;
}

// as does not list the lines of a file `.include`d a second time (only their macro
// expansions), so an address may have no row of its own: the mode is the one of the last listed
// row before it. Mode switches are `.codeNN` lines of the main file here, which are always listed.
function modeAt(modes: ReadonlyMap<number, Bits>, address: number): Bits | undefined {
  let best: number | undefined;
  for (const listed of modes.keys()) if (listed <= address && (best === undefined || listed > best)) best = listed;
  return best === undefined ? undefined : modes.get(best);
}

// ---------------------------------------------------------------- fasm

/**
 * `fasm -s out.fas`: each row of the assembly dump names the preprocessed line it assembled and
 * the mode; a macro line names its macro, the line that invoked it and its definition line.
 * A row's bytes run to the next row's offset in the output.
 */
function fasmUnit(spec: ProjectSpec, unit: BuildUnit): EmittedInstruction[] {
  requireAssembler('fasm');
  return withTempDir((tmp) => {
    const output = path.join(tmp, 'out.bin');
    const symbols = path.join(tmp, 'out.fas');
    const result = runFasm([unit.root, output, '-s', symbols], spec.dir);
    if (result.error || result.status !== 0) throw new Error(`fasm ${unit.root} failed:\n${result.stderr}${result.stdout}${result.error?.message ?? ''}`);
    const binary = fs.readFileSync(output);
    const fas = parseFas(fs.readFileSync(symbols), spec.dir);
    if (fas.end !== binary.length) throw new Error(`${spec.name}: the symbolic file ends at ${fas.end}, the output has ${binary.length} bytes`);
    const out: EmittedInstruction[] = [];
    const inOutput = fas.rows.filter((r) => !r.outsideOutput);
    for (let i = 0; i < inOutput.length; i++) {
      const row = inOutput[i]!;
      const end = i + 1 < inOutput.length ? inOutput[i + 1]!.outputOffset : fas.end;
      if (end <= row.outputOffset) continue;
      const user = fasUserLine(fas, row.lineOffset);
      const written = user.body ?? user.at;
      if (isDataLine(sourceLine(written))) continue;
      const where = `${spec.name}: ${show(user.at, spec.dir)} "${sourceLine(user.at).trim()}"`;
      for (const d of decodeExactly(binary.subarray(row.outputOffset, end), row.bits, where)) {
        const instruction: EmittedInstruction = { unit: unit.root, at: user.at, macros: user.macros, bits: row.bits, ...d };
        if (user.body) instruction.body = user.body;
        out.push(instruction);
      }
    }
    return out;
  });
}
