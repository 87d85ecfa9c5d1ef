'use strict';
// The CPU models the bench runs its images on. Each model boots the same harness binary and
// hands back what the harness printed on port 0xE9, or a problem that fails every case of the run.
//
//   qemu-tcg  QEMU's TCG emulator, -cpu max, loading the multiboot image with -kernel
//   bochs     Bochs 2.7 with CPU model tigerlake (UMIP, RDPID), booting a disk image whose
//             first sector is proof/bochs/boot.asm (Bochs has no multiboot loader)

const fs = require('fs');
const path = require('path');
const { spawn, execFileSync } = require('child_process');

const QEMU_TIMEOUT_S = 10;
const BOCHS_TIMEOUT_S = 30;
const BOCHS_CPU = 'tigerlake';
const BOCHS_BIOS = '/usr/share/bochs/BIOS-bochs-latest';
const BOCHS_VGA_BIOS = '/usr/share/vgabios/vgabios.bin';
const BOOT_SECTOR = path.join(__dirname, '..', 'bochs', 'boot.asm');

function run(cmd, args, timeoutMs, env) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ? { ...process.env, ...env } : process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr: stderr + String(e) });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, signal, stdout, stderr });
    });
  });
}

function firstLine(text) {
  return (text ?? '').trim().split('\n')[0] ?? '';
}

function hasCommand(name) {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// ---------- QEMU TCG ----------

const qemuTcg = {
  id: 'qemu-tcg',
  /** What is missing to run this model, with the packages that provide it; empty when ready. */
  missing() {
    return hasCommand('qemu-system-x86_64') ? [] : ['qemu-system-x86_64 (apt-get install -y qemu-system-x86)'];
  },
  describe() {
    const banner = firstLine(execFileSync('qemu-system-x86_64', ['--version'], { encoding: 'utf8' }));
    const version = /version (\d+(?:\.\d+)*)/.exec(banner)?.[1] ?? banner;
    return { version: banner, label: `QEMU ${version} TCG`, cpu: 'max', prose: "under QEMU's TCG emulator (no KVM)" };
  },
  async run(binary) {
    const started = Date.now();
    const r = await run(
      'timeout',
      [String(QEMU_TIMEOUT_S), 'qemu-system-x86_64', '-accel', 'tcg', '-cpu', 'max', '-m', '64', '-display', 'none', '-no-reboot',
        '-nodefaults', '-serial', 'none', '-monitor', 'none', '-parallel', 'none', '-debugcon', 'stdio',
        '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', '-kernel', binary],
      (QEMU_TIMEOUT_S + 5) * 1000,
    );
    const seconds = (Date.now() - started) / 1000;
    let problem;
    if (r.code === 124) problem = `QEMU did not finish within ${QEMU_TIMEOUT_S} s`;
    // isa-debug-exit: status = (value << 1) | 1; the harness writes 0 after END
    else if (r.code !== 1) problem = `QEMU exit status ${r.code} (expected 1 = clean END)${r.stderr ? ': ' + firstLine(r.stderr) : ''}`;
    return { output: r.stdout, problem, seconds };
  },
};

// ---------- Bochs ----------

/** The bochsrc of one run: headless (SDL2's dummy video driver), no sound, the debug port on. */
function bochsConfig(disk, log) {
  return [
    'megs: 32',
    `romimage: file=${BOCHS_BIOS}`,
    `vgaromimage: file=${BOCHS_VGA_BIOS}`,
    'display_library: sdl2',
    // ips only sets how fast emulated time runs: a low value keeps the BIOS's timed waits short
    `cpu: model=${BOCHS_CPU}, count=1, ips=2000000, reset_on_triple_fault=0`,
    `ata0-master: type=disk, path=${disk}, mode=flat`,
    'ata1: enabled=0',
    'boot: disk',
    'port_e9_hack: enabled=1',
    `log: ${log}`,
    'panic: action=fatal',
    'error: action=report',
    'info: action=ignore',
    'debug: action=ignore',
    'clock: sync=none, time0=1',
    'sound: driver=dummy',
    'speaker: enabled=0',
    '',
  ].join('\n');
}

/**
 * Debian's Bochs has its command-line debugger built in: it stops before the first
 * instruction and again when the harness writes "Shutdown" to port 0x8900. The command
 * file continues the first time and quits the second.
 */
const BOCHS_DEBUGGER_COMMANDS = 'c\nquit\n';

/**
 * What the harness printed, without Bochs's own banner and debugger lines around it: from
 * the boot message (or the boot sector's FATAL) to END or the first FATAL.
 */
function harnessLines(stdout) {
  const lines = stdout.split('\n');
  const start = lines.findIndex((l) => /^(S boot|FATAL)\b/.test(l.trim()));
  if (start < 0) return '';
  const kept = [];
  for (let i = start; i < lines.length; i++) {
    kept.push(lines[i]);
    if (/^(END|FATAL)\b/.test(lines[i].trim())) break;
  }
  return kept.join('\n') + '\n';
}

/** The first PANIC or error line of a Bochs log, if any (a triple fault, a bad image). */
function bochsLogProblem(log) {
  if (!fs.existsSync(log)) return undefined;
  const text = fs.readFileSync(log, 'utf8');
  for (const line of text.split('\n')) {
    if (line.includes('>>PANIC<<') && !line.includes('Shutdown port: shutdown requested')) return line.trim();
  }
  return undefined;
}

function bochsVersion() {
  const text = execFileSync('bochs', ['-n', '-q', '--help'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return /Bochs x86 Emulator (\S+)/.exec(text)?.[1];
}

const bochs = {
  id: 'bochs',
  missing() {
    const missing = [];
    if (!hasCommand('bochs')) missing.push('bochs');
    if (!fs.existsSync(BOCHS_BIOS)) missing.push(`${BOCHS_BIOS} (bochsbios)`);
    if (!fs.existsSync(BOCHS_VGA_BIOS)) missing.push(`${BOCHS_VGA_BIOS} (vgabios)`);
    if (!sdl2Plugin()) missing.push('the SDL2 display plugin (bochs-sdl)');
    return missing.length === 0 ? [] : [`${missing.join(', ')} (apt-get install -y bochs bochs-sdl bochsbios vgabios)`];
  },
  describe() {
    let version;
    try {
      version = bochsVersion();
    } catch (e) {
      version = /Bochs x86 Emulator (\S+)/.exec(String(e && e.stdout))?.[1];
    }
    const label = `Bochs ${version ?? '(unknown version)'} (${BOCHS_CPU})`;
    return { version: `Bochs x86 Emulator ${version ?? '?'}`, label, cpu: BOCHS_CPU, prose: `under Bochs ${version ?? ''} (CPU model ${BOCHS_CPU})`.replace('  ', ' ') };
  },
  async run(binary, dir) {
    const disk = path.join(dir, 'disk.img');
    const log = path.join(dir, 'bochs.log');
    const rc = path.join(dir, 'bochsrc');
    const commands = path.join(dir, 'bochs-commands');
    fs.rmSync(log, { force: true });
    const asm = await run('nasm', ['-f', 'bin', `-DKERNEL="${binary}"`, '-o', disk, BOOT_SECTOR], 60000);
    if (asm.code !== 0) return { output: '', problem: `nasm could not build the Bochs disk: ${firstLine(asm.stderr)}`, seconds: 0 };
    fs.writeFileSync(rc, bochsConfig(disk, log));
    fs.writeFileSync(commands, BOCHS_DEBUGGER_COMMANDS);
    const started = Date.now();
    const r = await run(
      'timeout',
      [String(BOCHS_TIMEOUT_S), 'bochs', '-q', '-unlock', '-f', rc, '-rc', commands],
      (BOCHS_TIMEOUT_S + 5) * 1000,
      { SDL_VIDEODRIVER: 'dummy', SDL_AUDIODRIVER: 'dummy' },
    );
    const seconds = (Date.now() - started) / 1000;
    let problem;
    if (r.code === 124 || r.signal) problem = `Bochs did not finish within ${BOCHS_TIMEOUT_S} s`;
    else problem = bochsLogProblem(log);
    return { output: harnessLines(r.stdout), problem, seconds };
  },
};

function sdl2Plugin() {
  const dirs = ['/usr/lib/x86_64-linux-gnu/bochs/plugins', '/usr/lib/bochs/plugins', '/usr/local/lib/bochs/plugins'];
  return dirs.some((d) => fs.existsSync(path.join(d, 'libbx_sdl2_gui.so')));
}

const MODELS = [qemuTcg, bochs];

module.exports = { MODELS, run, harnessLines, bochsConfig };
