// Writes dataset/virtlint-catalogue.json: the rule catalogue as versioned JSON for other tools to
// cite (docs/dataset.md describes every field). Everything comes from the sources the analysis
// and the docs already use: the catalogue entries, iced-x86's OpCodeInfo tables, and the proof
// bench's proof/observed.json. The host-OS facts and the controls are the only tables typed in
// here, each with the file it was read from.
//   node out/scripts/gen-dataset.js          write the file
//   node out/scripts/gen-dataset.js --check  only compare; exit 1 when the committed file differs
import * as fs from 'fs';
import * as path from 'path';
import * as iced from 'iced-x86';
import { FAMILY_LABEL } from '../server/src/analysis/catalogue/labels';
import { modeMessageTemplate, modeWhy, MODE_LABEL } from '../server/src/analysis/catalogue/modes';
import { docsPath, RULES, SOURCES } from '../server/src/analysis/catalogue/index';
import type { RuleEntry, Source } from '../server/src/analysis/catalogue/schema';
import { isInt3, sensitiveCodes } from '../server/src/analysis/resolve/classify';
import { codeName, mnemonicName } from '../server/src/analysis/resolve/iced';
import type { ExecutionMode } from '../server/src/analysis/types';
import { findPackage } from '../server/src/host/packageInfo';

/**
 * The dataset's own version, independent of the package's: the major number changes when a field
 * is removed, renamed or changes meaning; the minor number when a field is added. Consumers check
 * the major number.
 */
export const SCHEMA_VERSION = '1.0.0';
export const DATASET_FILE = 'dataset/virtlint-catalogue.json';
export const OBSERVED_JSON = 'proof/observed.json';

// ---------------------------------------------------------------------------------------------
// iced-x86 facts

/** The OpCodeInfo fields the dataset copies, per iced `Code` (docs/dataset.md explains each). */
export interface IcedEncoding {
  code: string;
  mnemonic: string;
  instruction: string;
  opcode: string;
  /** Decoder bitnesses (16, 32, 64) that know this encoding. */
  bitness: number[];
  /** Execution modes iced says the instruction can run in. */
  executes: { real: boolean; v86: boolean; protected: boolean; compatibility: boolean; long: boolean };
  /** Privilege levels at which iced says it can run, and its privilege flags. */
  cpl: { cpl0: boolean; cpl1: boolean; cpl2: boolean; cpl3: boolean; privileged: boolean; mustBeCpl0: boolean; mayRequireCpl0: boolean };
  vmx: { vmExit: boolean; mayVmExit: boolean };
  svm: { vmExit: boolean; mayVmExit: boolean };
  tdx: { nonRootGenUd: boolean; nonRootGenVe: boolean; nonRootMayGenEx: boolean };
  /** INT3: reported by the `int` rule only when `all` rules are selected. */
  onlyWithAll?: true;
}

function icedEncoding(code: number): IcedEncoding {
  const info = iced.CodeExt.opCode(code);
  try {
    const bitness = [16, 32, 64].filter((bits) => (bits === 16 ? info.mode16 : bits === 32 ? info.mode32 : info.mode64));
    const encoding: IcedEncoding = {
      code: codeName(code),
      mnemonic: mnemonicName(info.mnemonic),
      instruction: info.instructionString,
      opcode: info.opCodeString,
      bitness,
      executes: { real: info.realMode, v86: info.virtual8086Mode, protected: info.protectedMode, compatibility: info.compatibilityMode, long: info.longMode },
      cpl: { cpl0: info.cpl0, cpl1: info.cpl1, cpl2: info.cpl2, cpl3: info.cpl3, privileged: info.isPrivileged, mustBeCpl0: info.mustBeCpl0, mayRequireCpl0: info.mayRequireCpl0 },
      vmx: { vmExit: info.intelVmExit, mayVmExit: info.intelMayVmExit },
      svm: { vmExit: info.amdVmExit, mayVmExit: info.amdMayVmExit },
      tdx: { nonRootGenUd: info.tdxNonRootGenUd, nonRootGenVe: info.tdxNonRootGenVe, nonRootMayGenEx: info.tdxNonRootMayGenEx },
    };
    if (isInt3(code)) encoding.onlyWithAll = true;
    return encoding;
  } finally {
    info.free();
  }
}

/** The encodings of one rule, in iced's Code order (the same forms as the docs page's table). */
export function encodingsOf(ruleId: string): IcedEncoding[] {
  const codes: number[] = [];
  for (const [code, rule] of sensitiveCodes()) if (rule === ruleId) codes.push(code);
  codes.sort((a, b) => a - b);
  const encodings: IcedEncoding[] = [];
  for (const code of codes) encodings.push(icedEncoding(code));
  return encodings;
}

type ExitSummary = 'always' | 'conditional' | 'never' | 'depends-on-form';

/** One word for a rule's forms: every form exits, every form may exit (a control decides), none does, or the forms differ. */
function exitSummary(flags: { vmExit: boolean; mayVmExit: boolean }[]): ExitSummary {
  const words = new Set(flags.map((f): ExitSummary => (f.vmExit ? 'always' : f.mayVmExit ? 'conditional' : 'never')));
  const [only] = words;
  return words.size === 1 && only !== undefined ? only : 'depends-on-form';
}

// ---------------------------------------------------------------------------------------------
// Controls: the settings that turn a sensitive instruction into a trapping one

export interface ControlFact {
  id: string;
  name: string;
  /** Where the switch lives. */
  where: string;
  /** What it changes for the rules listed. */
  effect: string;
  rules: string[];
  /** Keys into the dataset's `sources`. */
  sources: string[];
}

// Register and bit numbers as Linux 6.1 names them: arch/x86/include/uapi/asm/processor-flags.h
// (X86_CR4_*_BIT) and arch/x86/include/asm/msr-index.h (MSR_PLATFORM_INFO, MSR_MISC_FEATURES_ENABLES).
export const CONTROLS: readonly ControlFact[] = [
  {
    id: 'umip',
    name: 'CR4.UMIP',
    where: 'CR4 bit 11 (CPUID.(EAX=7,ECX=0):ECX[2] reports it)',
    effect: 'SGDT, SIDT, SLDT, SMSW and STR raise #GP(0) when CPL > 0.',
    rules: ['sgdt', 'sidt', 'sldt', 'smsw', 'str'],
    sources: ['SDM-CR4', 'UMIP', 'WIKICHIP'],
  },
  {
    id: 'tsd',
    name: 'CR4.TSD',
    where: 'CR4 bit 2',
    effect: 'RDTSC and RDTSCP raise #GP(0) when CPL > 0.',
    rules: ['rdtsc', 'rdtscp'],
    sources: ['SDM-CR4', 'SDM-RDTSC', 'SDM-RDTSCP'],
  },
  {
    id: 'pce',
    name: 'CR4.PCE',
    where: 'CR4 bit 8',
    effect: 'With CR4.PCE clear, RDPMC raises #GP(0) when CPL > 0; with it set, RDPMC runs at any CPL.',
    rules: ['rdpmc'],
    sources: ['SDM-CR4', 'SDM-RDPMC'],
  },
  {
    id: 'cpuid-faulting',
    name: 'CPUID faulting',
    where: 'MSR_MISC_FEATURES_ENABLES (0x140) bit 0; MSR_PLATFORM_INFO (0xCE) bit 31 reports support',
    effect: 'CPUID raises #GP(0) when CPL > 0.',
    rules: ['cpuid'],
    sources: ['LKML-CPUIDF'],
  },
  {
    id: 'iopl-v86',
    name: 'EFLAGS.IOPL in virtual-8086 mode',
    where: 'EFLAGS bits 12-13 while EFLAGS.VM = 1 (CR4.VME = 0)',
    effect: 'With IOPL < 3, PUSHF, POPF, INT n and IRET raise #GP(0) to the monitor; with IOPL = 3 they run. CR4.VME changes this for some of them.',
    rules: ['pushf', 'popf', 'int', 'iret'],
    sources: ['SDM-PUSHF', 'SDM-POPF', 'SDM-INT', 'SDM-IRET'],
  },
];

// ---------------------------------------------------------------------------------------------
// Host-OS facts, each read from the named source file

export interface HostFact {
  os: string;
  /** The version the fact was read from. */
  version: string;
  rules: string[];
  /** When the fact applies. */
  condition: string;
  /** What a user process sees; one sentence per case. */
  behaviour: string[];
  source: { file: string; where: string; url: string };
}

const LINUX_VERSION = '6.1.192';
const linuxSource = (file: string, where: string) => ({ file, where, url: `https://elixir.bootlin.com/linux/v6.1.192/source/${file}` });

export const HOST_FACTS: readonly HostFact[] = [
  {
    os: 'Linux',
    version: LINUX_VERSION,
    rules: ['sgdt', 'sidt', 'sldt', 'smsw', 'str'],
    condition: 'The CPU has UMIP and the kernel enabled it (CONFIG_X86_UMIP=y, CR4.UMIP set at boot); the instruction runs in a user process.',
    behaviour: [
      'The #GP is fixed up in the kernel (exc_general_protection calls fixup_umip_exception) for 32-bit and 64-bit processes alike: the instruction is emulated with dummy results and the process continues.',
      'SGDT and SIDT store limit 0 and base 0xfffffffffffe0000 (GDT) or 0xffffffffffff0000 (IDT): 8 base bytes in a 64-bit process, the low 4 in a 32-bit one. Their register forms are other instructions and are not emulated.',
      'SMSW returns CR0_STATE (PE|MP|ET|NE|WP|AM|PG = 0x80050033): the operand size of a register destination, 2 bytes for memory.',
      'SLDT returns GDT_ENTRY_LDT*8 when the process has an LDT (modify_ldt) and 0 otherwise; STR returns GDT_ENTRY_TSS*8. Under a 64-bit kernel that is 0x50 and 0x40 (arch/x86/include/asm/segment.h: GDT_ENTRY_LDT 10, GDT_ENTRY_TSS 8), under a 32-bit one 0x88 and 0x80 (17 and 16).',
      'A SIGSEGV is sent only when emulation fails (the instruction cannot be fetched or decoded, or the store to user memory faults).',
      'The comment above fixup_umip_exception still says SLDT and STR are not fixed up; the code of this version emulates them. The SLDT/STR emulation was merged for Linux 5.10 (https://www.phoronix.com/news/Linux-5.10-SLDT-STR-Spoofing); kernels before it sent SIGSEGV for SLDT and STR.',
    ],
    source: linuxSource('arch/x86/kernel/umip.c', 'fixup_umip_exception, emulate_umip_insn, identify_insn; the caller is exc_general_protection in arch/x86/kernel/traps.c'),
  },
  {
    os: 'Linux',
    version: LINUX_VERSION,
    rules: ['rdtsc', 'rdtscp'],
    condition: 'A process calls prctl(PR_SET_TSC, PR_TSC_SIGSEGV).',
    behaviour: ['set_tsc_mode calls disable_TSC, which sets CR4.TSD while the task runs: RDTSC and RDTSCP then raise #GP and the process gets SIGSEGV. The default (PR_TSC_ENABLE) leaves them usable.'],
    source: linuxSource('arch/x86/kernel/process.c', 'set_tsc_mode, disable_TSC'),
  },
  {
    os: 'Linux',
    version: LINUX_VERSION,
    rules: ['cpuid'],
    condition: 'A process calls arch_prctl(ARCH_SET_CPUID, 0) on a CPU with CPUID faulting.',
    behaviour: ['set_cpuid_mode turns CPUID faulting on for the task: CPUID then raises #GP and the process gets SIGSEGV. Without CPUID faulting the call fails with ENODEV and CPUID keeps running.'],
    source: linuxSource('arch/x86/kernel/process.c', 'set_cpuid_mode (arch_prctl ARCH_GET_CPUID 0x1011 / ARCH_SET_CPUID 0x1012)'),
  },
  {
    os: 'Linux',
    version: LINUX_VERSION,
    rules: ['rdpmc'],
    condition: 'The perf sysfs attribute /sys/bus/event_source/devices/cpu/rdpmc (0, 1 or 2; 1 by default).',
    behaviour: [
      'With 1, CR4.PCE is set only while the process has a perf event mapped that allows user reads (x86_pmu_event_mapped); elsewhere RDPMC raises #GP and the process gets SIGSEGV.',
      'With 2, CR4.PCE is set for every process; with 0, for none.',
    ],
    source: linuxSource('arch/x86/events/core.c', 'set_attr_rdpmc, x86_pmu_event_mapped, x86_pmu_event_unmapped'),
  },
];

// ---------------------------------------------------------------------------------------------
// Proof observations

export interface ModelObservation {
  model: string;
  version: string;
  cpu: string;
  case: string;
  modes: string[];
  demonstrated: boolean;
  observed: string;
}

export interface ModeNote {
  mode: string;
  case: string;
  models: string[];
  observed: string;
}

export interface RuleObservations {
  /** Every model and mode that showed the behaviour, in the docs' words. */
  platform: string;
  byModel: ModelObservation[];
  /** What the further modes (16-bit protected mode, virtual-8086 mode) showed, one note per case. */
  modeNotes: ModeNote[];
  /** Where the CPU models differed, one sentence each. */
  differences: string[];
}

function modeNotesOf(value: unknown): ModeNote[] {
  const notes: ModeNote[] = [];
  if (!Array.isArray(value)) return notes;
  for (const raw of value) {
    if (typeof raw !== 'object' || raw === null) continue;
    const note = raw as Record<string, unknown>;
    const models: string[] = [];
    if (Array.isArray(note['models'])) for (const model of note['models']) if (typeof model === 'string') models.push(model);
    notes.push({ mode: asString(note['mode']), case: asString(note['case']), models, observed: asString(note['observed']) });
  }
  return notes;
}

const asString = (value: unknown): string => (typeof value === 'string' ? value : '');

/** The observations of one rule from proof/observed.json's entry; undefined for a missing or malformed entry. */
function ruleObservations(value: unknown): RuleObservations | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const entry = value as Record<string, unknown>;
  const models = entry['models'];
  if (typeof models !== 'object' || models === null) return undefined;
  const byModel: ModelObservation[] = [];
  for (const [model, raw] of Object.entries(models as Record<string, unknown>)) {
    if (typeof raw !== 'object' || raw === null) continue;
    const m = raw as Record<string, unknown>;
    const modes: string[] = [];
    if (Array.isArray(m['modes'])) for (const mode of m['modes']) if (typeof mode === 'string') modes.push(mode);
    byModel.push({ model, version: asString(m['version']), cpu: asString(m['cpu']), case: asString(m['case']), modes, demonstrated: m['demonstrated'] === true, observed: asString(m['observed']) });
  }
  const differences: string[] = [];
  if (Array.isArray(entry['differences'])) for (const d of entry['differences']) if (typeof d === 'string') differences.push(d);
  return { platform: asString(entry['platform']), byModel, modeNotes: modeNotesOf(entry['modeNotes']), differences };
}

/** proof/observed.json by rule id; a file that is not a JSON object gives none. */
export function parseProofObservations(json: string | undefined): Map<string, RuleObservations> {
  const byRule = new Map<string, RuleObservations>();
  if (json === undefined) return byRule;
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return byRule;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return byRule;
  for (const [ruleId, value] of Object.entries(data as Record<string, unknown>)) {
    const observations = ruleObservations(value);
    if (observations) byRule.set(ruleId, observations);
  }
  return byRule;
}

// ---------------------------------------------------------------------------------------------
// The dataset

const MODES: readonly Exclude<ExecutionMode, 'unknown'>[] = ['real', 'v86', 'pm16', 'pm32', 'long'];

export interface DatasetSource extends Source {
  /** The part of the work cited (volume, section, table, file), when the title names one. */
  section?: string;
}

/** `Intel SDM Vol. 3A §2.5: CR4 (...)` → `Vol. 3A §2.5`; a file path for source files. */
export function sectionOf(source: Source): string | undefined {
  const volume = /\bVol\. \w+(?: (?:§[\d.]+|Table [\d-]+|Appendix \w+))?/.exec(source.title);
  if (volume) return volume[0];
  const file = /\b(?:arch|xen|Documentation|pafish|_techniques)\/[\w./-]+/.exec(source.title);
  if (file) return file[0];
  const sdmPage = /^Intel SDM: (.+)$/.exec(source.title);
  return sdmPage ? `instruction reference: ${sdmPage[1]}` : undefined;
}

function datasetSource(source: Source): DatasetSource {
  const section = sectionOf(source);
  return section === undefined ? { ...source } : { ...source, section };
}

function ruleRecord(entry: RuleEntry, observations: Map<string, RuleObservations>) {
  const encodings = encodingsOf(entry.id);
  const byMode: Record<string, { message: string | undefined; why: string | undefined }> = {};
  for (const mode of MODES) {
    byMode[mode] = { message: modeMessageTemplate(entry.id, { mode, profile: 'deprivileged-kernel' }), why: modeWhy(entry.id, mode) };
  }
  const hostOs = HOST_FACTS.filter((fact) => fact.rules.includes(entry.id));
  return {
    id: entry.id,
    title: entry.title,
    group: entry.group,
    robinIrvine: { family: entry.family, label: FAMILY_LABEL[entry.family], listed: entry.family !== 'later-addition' },
    mnemonics: entry.mnemonics,
    encodings,
    cplAbove0: { protectedMode: entry.problem, byMode },
    virtualization: {
      vtx: { text: entry.vtx, icedExit: exitSummary(encodings.map((e) => e.vmx)) },
      amdv: { text: entry.amdv, icedExit: exitSummary(encodings.map((e) => e.svm)) },
    },
    controls: { text: entry.controls, ids: CONTROLS.filter((c) => c.rules.includes(entry.id)).map((c) => c.id) },
    hostOs,
    sources: entry.sources.map((source) => source.key),
    docs: docsPath(entry.id),
    observations: observations.get(entry.id) ?? null,
  };
}

export type RuleRecord = ReturnType<typeof ruleRecord>;

export interface DatasetInput {
  packageVersion: string;
  /** proof/observed.json's text, when the bench has written it. */
  observedJson: string | undefined;
}

/** The whole dataset; the same input gives the same output, key order included. */
export function buildDataset(input: DatasetInput) {
  const observations = parseProofObservations(input.observedJson);
  const sources: Record<string, DatasetSource> = {};
  for (const source of Object.values(SOURCES)) sources[source.key] = datasetSource(source);
  const modes: Record<string, string> = {};
  for (const mode of MODES) modes[mode] = MODE_LABEL[mode];
  return {
    schemaVersion: SCHEMA_VERSION,
    name: 'virtlint-catalogue',
    package: { name: 'virtlint', version: input.packageVersion },
    icedX86: icedVersion(),
    description: 'x86 instructions that are sensitive but unprivileged (they break trap-and-emulate virtualization), one record per virtlint rule.',
    modes,
    controls: CONTROLS,
    sources,
    rules: RULES.map((entry) => ruleRecord(entry, observations)),
  };
}

export type Dataset = ReturnType<typeof buildDataset>;

export function renderDataset(dataset: Dataset): string {
  return JSON.stringify(dataset, null, 2) + '\n';
}

function icedVersion(): string {
  const manifest = require.resolve('iced-x86/package.json');
  const parsed = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version?: unknown };
  return typeof parsed.version === 'string' ? parsed.version : 'unknown';
}

/** The dataset text the generator writes for the package at `root`. */
export function expectedDatasetText(root: string): string {
  const found = findPackage(root);
  if (!found) throw new Error(`cannot find the virtlint package at ${root}`);
  const observedFile = path.join(found.root, OBSERVED_JSON);
  const observedJson = fs.existsSync(observedFile) ? fs.readFileSync(observedFile, 'utf8') : undefined;
  return renderDataset(buildDataset({ packageVersion: found.version, observedJson }));
}

function main(argv: string[]): number {
  const found = findPackage(__dirname);
  if (!found) throw new Error(`cannot find the virtlint package root above ${__dirname}`);
  const file = path.join(found.root, DATASET_FILE);
  const expected = expectedDatasetText(found.root);
  const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  if (argv.includes('--check')) {
    const upToDate = current === expected;
    process.stdout.write(`gen-dataset: ${DATASET_FILE} ${upToDate ? 'is up to date' : 'is out of date'}\n`);
    return upToDate ? 0 : 1;
  }
  if (current !== expected) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, expected);
  }
  process.stdout.write(`gen-dataset: ${DATASET_FILE} ${current === expected ? 'unchanged' : 'written'} (${RULES.length} rules)\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
