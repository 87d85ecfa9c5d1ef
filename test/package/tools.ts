// Helpers of the package tier: run a real tool in a temporary folder, bounded by a timeout, and
// find the repository's own files. Nothing here knows virtlint's output.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The repository root (this file runs from out/test/package/). */
export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const FIXTURES = path.join(ROOT, 'test', 'package', 'fixtures');

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Wall-clock time of the run, for the figures the tier prints. */
  seconds: number;
  /** stdout and stderr together, for failure messages. */
  output: string;
}

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  input?: string;
}

/** Runs a command to completion (no shell), killing it after the timeout. */
export function run(command: string, args: readonly string[], options: RunOptions): Run {
  const started = Date.now();
  const result = spawnSync(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    input: options.input,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120_000,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = (Date.now() - started) / 1000;
  const stdout = result.stdout ?? '';
  const stderr = (result.stderr ?? '') + (result.error ? `\n[${command}: ${result.error.message}]` : '');
  return { status: result.status, stdout, stderr, seconds, output: `${stdout}\n${stderr}`.trim() };
}

/** A fresh empty folder under the system temp folder. */
export function makeTempDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `virtlint-${label}-`));
}

export function removeDir(dir: string | undefined): void {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

/** Whether an executable is on PATH. */
export function onPath(command: string): boolean {
  return run('sh', ['-c', `command -v ${command}`], { cwd: os.tmpdir(), timeoutMs: 10_000 }).status === 0;
}

/** A short tail of a long output, for assertion messages. */
export function tail(text: string, lines = 40): string {
  const all = text.split('\n');
  return all.slice(Math.max(0, all.length - lines)).join('\n');
}

/** Reads a YAML file as JSON through Debian's python3-yaml (no YAML package in node_modules). */
export function readYaml(file: string): unknown {
  const script = 'import json, sys, yaml\njson.dump(yaml.safe_load(open(sys.argv[1], encoding="utf-8")), sys.stdout)';
  const result = run('/usr/bin/python3', ['-c', script, file], { cwd: ROOT, timeoutMs: 30_000 });
  if (result.status !== 0) throw new Error(`cannot read ${file} as YAML (python3-yaml): ${result.output}`);
  return JSON.parse(result.stdout) as unknown;
}

/** Packs the working tree with `npm pack` (scripts skipped: the test run has just built dist/). */
export function packTarball(destination: string): { file: string; size: number; unpackedSize: number; files: string[] } {
  const packed = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', destination], { cwd: ROOT, timeoutMs: 120_000 });
  if (packed.status !== 0) throw new Error(`npm pack failed: ${packed.output}`);
  const report = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{
    filename: string;
    size: number;
    unpackedSize: number;
    files: Array<{ path: string }>;
  }>;
  const entry = report[0];
  if (!entry) throw new Error(`npm pack printed no package: ${packed.output}`);
  return { file: path.join(destination, entry.filename), size: entry.size, unpackedSize: entry.unpackedSize, files: entry.files.map((f) => f.path) };
}
