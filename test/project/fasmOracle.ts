// Assembles a FASM fixture as written and as our preprocessor stage rewrote it; the two binaries must match.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runFasm } from '../helpers/fasm';
import { assembledText, readFixtureDir, runFasmPreprocessor, type StageRun } from '../helpers/memoryEnv';

export const FASM_FIXTURES = path.resolve(__dirname, '../../../test/fixtures/project/fasm');

export interface FasmComparison {
  original: Buffer;
  expanded: Buffer;
  run: StageRun;
  expandedText: string;
}

/** Assembles `file` (relative to `dir`) with fasm and returns the binary. */
export function assembleWithFasm(dir: string, file: string): Buffer {
  const output = `${file}.bin`;
  const result = runFasm([file, output], dir);
  if (result.status !== 0) throw new Error(`fasm failed on ${file}:\n${result.stdout}${result.stderr}`);
  return fs.readFileSync(path.join(dir, output));
}

/** Runs fasm on fixture `name` (its `main.asm`) and on our stage's output for it. */
export function compareFixture(name: string): FasmComparison {
  const source = path.join(FASM_FIXTURES, name);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'virtlint-fasmpp-'));
  try {
    fs.cpSync(source, work, { recursive: true });
    const files = readFixtureDir(work);
    const root = path.join(work, 'main.asm').split(path.sep).join('/');
    const run = runFasmPreprocessor(files, root);
    const expandedText = assembledText(run.lines);
    fs.writeFileSync(path.join(work, 'expanded.asm'), expandedText);
    return { original: assembleWithFasm(work, 'main.asm'), expanded: assembleWithFasm(work, 'expanded.asm'), run, expandedText };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
