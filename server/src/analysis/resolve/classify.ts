// Which catalogue rule an iced `Code` belongs to. The decision reads only iced's
// tables (mnemonic, operand kinds, memory size), so source linting, the oracle test
// and the binary scanner all classify instructions the same way.
import { codeCount, codeFacts, iced, MemorySize, Mnemonic, OpKind, type CodeFacts } from './iced';
import type { RuleId } from '../types';

const M = Mnemonic;

const BY_MNEMONIC = new Map<number, RuleId>([
  [M.Sgdt, 'sgdt'],
  [M.Sidt, 'sidt'],
  [M.Sldt, 'sldt'],
  [M.Smsw, 'smsw'],
  [M.Str, 'str'],
  [M.Pushf, 'pushf'],
  [M.Pushfd, 'pushf'],
  [M.Pushfq, 'pushf'],
  [M.Popf, 'popf'],
  [M.Popfd, 'popf'],
  [M.Popfq, 'popf'],
  [M.Lar, 'lar'],
  [M.Lsl, 'lsl'],
  [M.Verr, 'verr'],
  [M.Verw, 'verw'],
  [M.Retf, 'far-ret'],
  [M.Int, 'int'],
  [M.Int1, 'int'],
  [M.Int3, 'int'],
  [M.Into, 'int'],
  [M.Iret, 'iret'],
  [M.Iretd, 'iret'],
  [M.Iretq, 'iret'],
  [M.Cpuid, 'cpuid'],
  [M.Rdtsc, 'rdtsc'],
  [M.Rdtscp, 'rdtscp'],
  [M.Rdpmc, 'rdpmc'],
  [M.Rdpid, 'rdpid'],
  [M.Xgetbv, 'xgetbv'],
]);

const SEGMENT_KINDS = new Set<number>([OpKind.seg_reg, OpKind.es, OpKind.cs, OpKind.ss, OpKind.ds, OpKind.fs, OpKind.gs]);
const FAR_POINTER_KINDS = new Set<number>([OpKind.farbr2_2, OpKind.farbr4_2]);
const FAR_MEMORY_SIZES = new Set<number>([MemorySize.SegPtr16, MemorySize.SegPtr32, MemorySize.SegPtr64]);

function isFarTransfer(facts: CodeFacts): boolean {
  if (facts.opKinds.some((k) => FAR_POINTER_KINDS.has(k))) return true;
  return facts.opKinds.some((k) => k === OpKind.mem) && FAR_MEMORY_SIZES.has(facts.memorySize);
}

/** Rule id for a Code, or undefined when the instruction is not one the catalogue covers. */
export function ruleForFacts(facts: CodeFacts): RuleId | undefined {
  if (!facts.isLegacy) return undefined;
  const direct = BY_MNEMONIC.get(facts.mnemonic);
  if (direct) return direct;
  switch (facts.mnemonic) {
    case M.Push:
      return facts.opKinds.length === 1 && SEGMENT_KINDS.has(facts.opKinds[0]!) ? 'push-sreg' : undefined;
    case M.Pop:
      return facts.opKinds.length === 1 && SEGMENT_KINDS.has(facts.opKinds[0]!) ? 'pop-sreg' : undefined;
    case M.Mov:
      return facts.opKinds.some((k) => SEGMENT_KINDS.has(k)) ? 'mov-sreg' : undefined;
    case M.Call:
      return isFarTransfer(facts) ? 'far-call' : undefined;
    case M.Jmp:
      return isFarTransfer(facts) ? 'far-jmp' : undefined;
    default:
      return undefined;
  }
}

export function isFarTransferCode(code: number): boolean {
  const facts = codeFacts(code);
  return facts.mnemonic === M.Retf || ((facts.mnemonic === M.Call || facts.mnemonic === M.Jmp) && isFarTransfer(facts));
}

const ruleByCode = new Map<number, RuleId | undefined>();

export function ruleForCode(code: number): RuleId | undefined {
  if (ruleByCode.has(code)) return ruleByCode.get(code);
  const rule = ruleForFacts(codeFacts(code));
  ruleByCode.set(code, rule);
  return rule;
}

/** True for INT3 (0xCC), which the `int` rule reports only when asked to (see docs/rules/int.md). */
export function isInt3(code: number): boolean {
  return code === iced.Code.Int3;
}

let allSensitive: Map<number, RuleId> | undefined;

/** Every iced Code the catalogue covers, with its rule id. */
export function sensitiveCodes(): Map<number, RuleId> {
  if (allSensitive) return allSensitive;
  const table = new Map<number, RuleId>();
  for (let code = 0; code < codeCount(); code++) {
    const rule = ruleForCode(code);
    if (rule) table.set(code, rule);
  }
  allSensitive = table;
  return table;
}
