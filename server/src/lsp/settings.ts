// The canonical list of the `virtlint.*` settings, part of the client/server contract:
// `contributes.configuration` in package.json is written from SETTINGS (client/manifest.mjs),
// the client reads it for workspace trust, and the server reads the values through
// `workspace/configuration` (section `virtlint`; settingsReader.ts). It imports nothing but the
// analysis types, so the client bundle stays free of the server.
import type { Bits, DeclaredMode, Dialect, HypercallAbi, SeverityOrOff } from '../analysis/types';
import { DECLARED_MODES, HYPERCALL_ABIS } from '../analysis/types';

export type RunMode = 'onType' | 'onSave';
export type FixAllStrategy = 'none' | 'trap' | 'hypercall';
export type ProfileSetting = 'deprivileged-kernel' | 'hardware-assisted-guest' | 'vm-detection-audit';
/** GCC's `-masm=`: the syntax GNU inline assembly templates in C and C++ are written in. */
export type InlineAsmSyntax = 'att' | 'intel';

export interface FileOverride {
  /** Glob matched against the document's path (relative to its workspace folder, or absolute); without `/` it matches the base name. */
  files: string;
  dialect?: Dialect;
  bits?: Bits;
  mode?: DeclaredMode;
}

/** `auto`: the analysis infers the execution mode (the CR0.PE switch, boot-sector hints, the bitness). */
export type ModeSetting = 'auto' | DeclaredMode;
export const MODE_SETTINGS: readonly ModeSetting[] = ['auto', ...DECLARED_MODES];

export interface VirtlintSettings {
  enable: boolean;
  run: RunMode;
  profile: ProfileSetting;
  mode: ModeSetting;
  rules: Record<string, SeverityOrOff>;
  ruleSelection: string[];
  includeInt3: boolean;
  overrides: FileOverride[];
  fix: { abi: HypercallAbi; customTemplate: string; fixAllStrategy: FixAllStrategy; hypercallNumbers: HypercallNumbers; hypercallDefinitionsFolder: string };
  reportUnknownMnemonics: boolean;
  maxFileSize: number;
  maxDiagnostics: number;
  /** Host languages whose inline assembly and intrinsics are linted. */
  languages: { c: boolean; cpp: boolean; rust: boolean };
  inlineAsm: { syntax: InlineAsmSyntax };
}

export const RUN_MODES: readonly RunMode[] = ['onType', 'onSave'];
export const PROFILES: readonly ProfileSetting[] = ['deprivileged-kernel', 'hardware-assisted-guest', 'vm-detection-audit'];
export const ABIS: readonly HypercallAbi[] = HYPERCALL_ABIS;
export const FIX_ALL: readonly FixAllStrategy[] = ['none', 'trap', 'hypercall'];
export const SEVERITIES: readonly SeverityOrOff[] = ['error', 'warning', 'info', 'hint', 'off'];
export const INLINE_ASM_SYNTAXES: readonly InlineAsmSyntax[] = ['att', 'intel'];
export type HypercallNumbers = 'file' | 'inline';
export const HYPERCALL_NUMBERS: readonly HypercallNumbers[] = ['file', 'inline'];

export interface SettingDescription {
  /** Full key, e.g. `virtlint.fix.abi`. */
  key: string;
  type: 'boolean' | 'string' | 'number' | 'object' | 'array';
  default: unknown;
  enum?: readonly string[];
  description: string;
  /**
   * The setting decides code that virtlint writes into the user's files, so in an untrusted
   * workspace only the user's own value counts (VS Code calls these restricted configurations).
   */
  restricted?: true;
  /** One line per `enum` value, shown in the Settings UI's drop-down. */
  enumDescriptions?: readonly string[];
  /** Example values the settings.json editor offers. */
  examples?: readonly string[];
}

const USER_VALUE_ONLY = 'In a workspace you have not trusted, only the value from your user settings is used.';

/** Every setting with its default and a description for `contributes.configuration`, most important first (the Settings UI shows them in this order). */
export const SETTINGS: readonly SettingDescription[] = [
  {
    key: 'virtlint.profile',
    type: 'string',
    default: 'deprivileged-kernel',
    enum: PROFILES,
    description: 'Which situation the code runs in; it sets which rules are on and how severe they are. `deprivileged-kernel`: a guest kernel run at CPL>0 by a trap-and-emulate monitor. `hardware-assisted-guest`: a guest under VT-x/AMD-V. `vm-detection-audit`: look for instructions that reveal a hypervisor.',
    enumDescriptions: ['A guest kernel run deprivileged (CPL>0) by a trap-and-emulate monitor: reports what silently goes wrong or reveals the real privilege level.', 'A guest under VT-x or AMD-V: the core rules are handled by the hardware; reports what leaks or costs a VM exit.', 'Auditing code for hypervisor detection: reports every instruction that can reveal a hypervisor, including CPUID and the time-stamp counter.'],
  },
  {
    key: 'virtlint.mode',
    type: 'string',
    default: 'auto',
    enum: MODE_SETTINGS,
    description: 'The processor mode the code runs in, when the file does not say (`; virtlint: mode=real` and a CR0.PE switch in the code still win). Messages and severities follow it: real-mode code has no CPL to check against. Per folder: `mode` in `virtlint.overrides`.',
    enumDescriptions: ['Infer it: a CR0.PE switch in the code, a boot sector\'s origin or BIOS calls mean real mode; otherwise the bitness decides (32-bit: protected mode, 64-bit: long mode).', 'Real mode: no CPL and no descriptor checks (boot sectors, BIOS and DOS code).', 'Virtual-8086 mode under a monitor: PUSHF, POPF, INT n and IRET trap when IOPL < 3.', '16-bit protected mode (286-style kernels, APM and PnP BIOS calls).', '32-bit protected mode.', '64-bit long mode.'],
  },
  {
    key: 'virtlint.enable',
    type: 'boolean',
    default: true,
    description: 'Lint x86 assembly files for instructions that defeat trap-and-emulate virtualization.',
  },
  {
    key: 'virtlint.run',
    type: 'string',
    default: 'onType',
    enum: RUN_MODES,
    description: 'Lint while typing (`onType`) or only when the file is saved (`onSave`).',
    enumDescriptions: ['Lint as you type (after a short pause).', 'Lint only when the file is saved.'],
  },
  {
    key: 'virtlint.ruleSelection',
    type: 'array',
    default: [],
    description: 'Rules to run: rule ids or the groups `core`, `extended`, `all`. Empty means the profile\'s defaults.',
  },
  {
    key: 'virtlint.rules',
    type: 'object',
    default: {},
    description: 'Per-rule severity, overriding the profile: `{ "popf": "error", "cpuid": "off" }`. Values: error, warning, info, hint, off.',
  },
  {
    key: 'virtlint.fix.abi',
    type: 'string',
    default: 'kvm',
    enum: ABIS,
    restricted: true,
    description: `Hypercall interface used by the hypercall quick fixes. ${USER_VALUE_ONLY}`,
    enumDescriptions: ['KVM on Intel: `vmcall`, the number in RAX, arguments in RBX, RCX, RDX, RSI (32- and 64-bit code).', 'KVM on AMD: `vmmcall`, the same registers as `kvm`.', 'Xen: a call into the hypercall page, arguments in RDI, RSI, RDX, R10, R8 (64-bit) or EBX, ECX, EDX, ESI, EDI (32-bit).', 'Hyper-V: a call through the hypercall page, with the input and output blocks passed by address.', 'Your own interface, described by `virtlint.fix.customTemplate`.'],
  },
  {
    key: 'virtlint.fix.fixAllStrategy',
    type: 'string',
    default: 'none',
    enum: FIX_ALL,
    restricted: true,
    description: `What \`source.fixAll.virtlint\` (fix all on save) does: \`none\` changes nothing, \`trap\` uses trapping equivalents, \`hypercall\` uses hypercalls. ${USER_VALUE_ONLY}`,
    enumDescriptions: ['Fix all on save changes nothing.', 'Fix all on save replaces each finding with an instruction sequence that traps to the monitor.', 'Fix all on save replaces each finding with a hypercall of `virtlint.fix.abi`.'],
  },
  {
    key: 'virtlint.fix.customTemplate',
    type: 'string',
    default: '',
    restricted: true,
    description: `Hypercall template used when \`virtlint.fix.abi\` is \`custom\`: instruction lines separated by \`|\` or newlines, where \`{nr}\` is the hypercall number, and \`@\` lines that give the register convention (\`@nr\`, \`@args\`, \`@ret\`, \`@clobbers\`, \`@prefix kvm|xen\`). Example for a monitor that takes the number in RAX and arguments in RDI, RSI: \`@nr rax | @args rdi,rsi | @ret rax | vmcall\`. ${USER_VALUE_ONLY}`,
    examples: ['@nr rax | @args rdi,rsi | @ret rax | vmcall'],
  },  {
    key: 'virtlint.fix.hypercallNumbers',
    type: 'string',
    default: 'file',
    enum: HYPERCALL_NUMBERS,
    restricted: true,
    description: `Where a hypercall fix finds the \`VIRTLINT_HC_*\` numbers it uses. ${USER_VALUE_ONLY}`,
    enumDescriptions: ['The fix includes a definitions file for the file\'s dialect (`virtlint-hypercalls.inc`...) and creates it next to the file (or in `virtlint.fix.hypercallDefinitionsFolder`) when it is missing; editors that cannot create files get the numbers in the file instead.', 'The fix defines the numbers in the fixed file itself, after its leading comments: nothing else is created.'],
  },
  {
    key: 'virtlint.fix.hypercallDefinitionsFolder',
    type: 'string',
    default: '',
    restricted: true,
    description: `The folder, relative to the workspace folder, where a hypercall fix creates the definitions file it includes (\`virtlint-hypercalls.inc\`...); the include line names it relative to the fixed file (\`%include "../include/virtlint-hypercalls.inc"\`), so the assembler finds it when run from the fixed file's folder. Empty: the \`hypercallDefinitionsFolder\` of \`virtlint.config.json\`, else next to the fixed file. Letters, digits and \`_ . + @ - /\` only, inside the workspace folder. ${USER_VALUE_ONLY}`,
    examples: ['include'],
  },

  {
    key: 'virtlint.languages.c',
    type: 'boolean',
    default: true,
    description: 'Lint the inline assembly (`asm`, `__asm__`, `__asm { }`) and the intrinsics (`__rdtsc`, `__cpuid`) of C files. Nothing else in a C file is touched.',
  },
  {
    key: 'virtlint.languages.cpp',
    type: 'boolean',
    default: true,
    description: 'Lint the inline assembly and the intrinsics of C++ files. Nothing else in a C++ file is touched.',
  },
  {
    key: 'virtlint.languages.rust',
    type: 'boolean',
    default: true,
    description: 'Lint the `asm!`, `global_asm!` and `naked_asm!` templates and the `core::arch` intrinsics of Rust files. Nothing else in a Rust file is touched.',
  },
  {
    key: 'virtlint.inlineAsm.syntax',
    type: 'string',
    default: 'att',
    enum: INLINE_ASM_SYNTAXES,
    description: 'The syntax GNU inline assembly in C and C++ is written in, as GCC\'s `-masm=` says: `att` (the default) or `intel`. A `.intel_syntax` line inside a template still switches it.',
    enumDescriptions: ['AT&T syntax, GCC\'s default (`-masm=att`).', 'Intel syntax, as with `-masm=intel`.'],
  },
  {
    key: 'virtlint.overrides',
    type: 'array',
    default: [],
    description: 'Force the dialect and/or bitness for files matching a glob: `[{ "files": "boot/**/*.S", "dialect": "gas-att", "bits": 16, "mode": "real" }]`. A `virtlint:` modeline in the file still wins.',
  },
  {
    key: 'virtlint.includeInt3',
    type: 'boolean',
    default: false,
    description: 'Also report INT3 (the breakpoint instruction) under the `int` rule.',
  },
  {
    key: 'virtlint.reportUnknownMnemonics',
    type: 'boolean',
    default: false,
    description: 'Report mnemonics that are not x86 instructions (usually macros) as hints.',
  },
  {
    key: 'virtlint.maxFileSize',
    type: 'number',
    default: 2_000_000,
    description: 'Files larger than this many bytes are not linted (a single notice is shown instead).',
  },
  {
    key: 'virtlint.maxDiagnostics',
    type: 'number',
    default: 1000,
    description: 'Most diagnostics shown for one file, the most severe first; a notice says how many more the CLI would list. VS Code itself shows at most 1,000 per file, so raising this helps only other editors.',
  },
];

export const DEFAULT_SETTINGS: VirtlintSettings = {
  enable: true,
  run: 'onType',
  profile: 'deprivileged-kernel',
  mode: 'auto',
  rules: {},
  ruleSelection: [],
  includeInt3: false,
  overrides: [],
  fix: { abi: 'kvm', customTemplate: '', fixAllStrategy: 'none', hypercallNumbers: 'file', hypercallDefinitionsFolder: '' },
  reportUnknownMnemonics: false,
  maxFileSize: 2_000_000,
  maxDiagnostics: 1000,
  languages: { c: true, cpp: true, rust: true },
  inlineAsm: { syntax: 'att' },
};

/**
 * Whether the client trusts the workspace, and the user's own values of the restricted
 * settings. It comes in `initializationOptions.workspaceTrust` and in the
 * `virtlint/didChangeWorkspaceTrust` notification (see protocol.ts).
 */
export interface WorkspaceTrust {
  trusted: boolean;
  /** `virtlint`-shaped values from the user's settings only, never from the workspace's. */
  userSettings: unknown;
}
