// The one way every test and script runs fasm. Debian's fasm is a 32-bit i386 program, and
// some kernels refuse 32-bit programs outright; there it runs under qemu-user instead.
//
// VIRTLINT_FASM chooses: `auto` (default: native when the kernel runs it, else emulated),
// `native`, or `emulated` (forces qemu-user, to test that path on a machine that needs none).
// VIRTLINT_FASM_WAY, set by scripts/test.sh after it detected the way once, makes every test
// process take that same way (it is still probed, so a wrong value fails loudly).
// When no way works the error says why, so the fasm tiers fail loudly instead of skipping.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';

export type FasmWay = 'native' | 'emulated';

export interface FasmRunner {
  way: FasmWay;
  /** What actually runs, for logs: e.g. `qemu-i386 -L / /usr/bin/fasm`. */
  description: string;
  command: string;
  prefix: readonly string[];
}

export class FasmUnavailableError extends Error {}

const QEMU_CANDIDATES = ['qemu-i386', 'qemu-i386-static'];
const BANNER = /flat assembler\s+version/;

let cached: FasmRunner | undefined;
let cachedError: FasmUnavailableError | undefined;

/** The runner for this process, detected on first use (or taken from VIRTLINT_FASM_WAY). */
export function fasmRunner(env: NodeJS.ProcessEnv = process.env): FasmRunner {
  if (cached) return cached;
  if (cachedError) throw cachedError;
  try {
    cached = detectFasm(env);
    return cached;
  } catch (error) {
    cachedError = error instanceof FasmUnavailableError ? error : new FasmUnavailableError(String(error));
    throw cachedError;
  }
}

/** Runs fasm with `args` in `cwd` the chosen way. */
export function runFasm(args: readonly string[], cwd: string, timeoutMs = 60_000): SpawnSyncReturns<string> {
  const runner = fasmRunner();
  return spawnSync(runner.command, [...runner.prefix, ...args], { cwd, encoding: 'utf8', timeout: timeoutMs });
}

export function detectFasm(env: NodeJS.ProcessEnv): FasmRunner {
  const choice = (env.VIRTLINT_FASM ?? 'auto').trim().toLowerCase() || 'auto';
  const settled = env.VIRTLINT_FASM_WAY?.trim().toLowerCase();
  if (choice !== 'auto' && choice !== 'native' && choice !== 'emulated') {
    throw new FasmUnavailableError(`VIRTLINT_FASM=${choice} is not one of auto, native, emulated`);
  }
  const wanted = settled === 'native' || settled === 'emulated' ? settled : choice;
  const fasmPath = findOnPath('fasm', env);
  if (!fasmPath) throw new FasmUnavailableError('fasm is not installed (apt-get install -y fasm)');

  const reasons: string[] = [];
  if (wanted === 'native' || wanted === 'auto') {
    const native: FasmRunner = { way: 'native', description: fasmPath, command: fasmPath, prefix: [] };
    const problem = probe(native);
    if (!problem) return native;
    reasons.push(`natively: ${problem}`);
    if (wanted === 'native') throw unavailable(reasons);
  }
  const qemu = QEMU_CANDIDATES.map((name) => findOnPath(name, env)).find((found) => found !== undefined);
  if (!qemu) {
    reasons.push('emulated: qemu-i386 is not installed (apt-get install -y qemu-user libc6-i386)');
    throw unavailable(reasons);
  }
  // `-L /` makes qemu look for the i386 loader and libc (libc6-i386) under the host's root.
  const emulated: FasmRunner = { way: 'emulated', description: `${qemu} -L / ${fasmPath}`, command: qemu, prefix: ['-L', '/', fasmPath] };
  const problem = probe(emulated);
  if (!problem) return emulated;
  reasons.push(`emulated (${emulated.description}): ${problem}`);
  throw unavailable(reasons);
}

function unavailable(reasons: string[]): FasmUnavailableError {
  return new FasmUnavailableError(`fasm cannot be run on this machine: ${reasons.join('; ')}`);
}

/** Undefined when the runner prints fasm's banner; otherwise what went wrong. */
function probe(runner: FasmRunner): string | undefined {
  const result = spawnSync(runner.command, [...runner.prefix], { encoding: 'utf8', timeout: 30_000 });
  if (result.error) return result.error.message;
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (BANNER.test(output)) return undefined;
  const firstLine = output.trim().split('\n')[0] ?? '';
  return `it did not print fasm's banner (exit ${String(result.status ?? result.signal)}${firstLine ? `: ${firstLine}` : ''})`;
}

function findOnPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  const result = spawnSync('/bin/sh', ['-c', 'command -v "$1"', 'sh', name], { encoding: 'utf8', env });
  const found = result.stdout?.trim();
  return result.status === 0 && found ? found : undefined;
}

// `node out/test/helpers/fasm.js` prints the chosen way (for scripts/test.sh), or the reason.
if (require.main === module) {
  try {
    const runner = fasmRunner();
    process.stdout.write(`${runner.way}\t${runner.description}\n`);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
}
