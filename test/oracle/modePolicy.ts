// Which of the instructions the assemblers and iced-x86 found virtlint should report in a given
// execution mode. The oracle says what a line holds; the catalogue's mode policy (modes.ts) says
// which rules the mode silences, such as segment loads in real mode, which no CPU checks there.
// The tests take that answer from the catalogue, never from a list of their own.
import * as iced from 'iced-x86';
import { ruleForCode, type Bits, type ExecutionMode } from '../../server/src/analysis';
import { modeSeverity, segmentFormOf } from '../../server/src/analysis/catalogue/modes';
import { DEFAULT_PROFILE, type ProfileId } from '../../server/src/analysis/catalogue';

export interface SensitiveInstruction {
  rule: string;
  codeName: string;
  /** The segment register an instruction names (`ds`, `cs`...), when it names one. */
  segmentRegister?: string;
}

const CODE_NAMES: string[] = [];
for (const [name, value] of Object.entries(iced.Code)) if (typeof value === 'number') CODE_NAMES[value] = name;

const SEGMENT_REGISTERS = new Map<number, string>([
  [iced.Register.ES, 'es'],
  [iced.Register.CS, 'cs'],
  [iced.Register.SS, 'ss'],
  [iced.Register.DS, 'ds'],
  [iced.Register.FS, 'fs'],
  [iced.Register.GS, 'gs'],
]);

/** The instructions in `bytes` (decoded at `bits`) that belong to a rule, with the segment register each names. */
export function sensitiveInstructions(bytes: Uint8Array, bits: Bits): SensitiveInstruction[] {
  const found: SensitiveInstruction[] = [];
  const decoder = new iced.Decoder(bits, bytes, iced.DecoderOptions.None);
  try {
    while (decoder.canDecode) {
      const instruction = decoder.decode();
      try {
        const rule = ruleForCode(instruction.code);
        if (!rule) continue;
        const codeName = CODE_NAMES[instruction.code] ?? `Code#${instruction.code}`;
        const segmentRegister = namedSegmentRegister(instruction);
        found.push(segmentRegister ? { rule, codeName, segmentRegister } : { rule, codeName });
      } finally {
        instruction.free();
      }
    }
  } finally {
    decoder.free();
  }
  return found;
}

/** A register operand that is a segment register (memory operands' segment overrides do not count). */
function namedSegmentRegister(instruction: iced.Instruction): string | undefined {
  for (let operand = 0; operand < instruction.opCount; operand++) {
    if (instruction.opKind(operand) !== iced.OpKind.Register) continue;
    const name = SEGMENT_REGISTERS.get(instruction.opRegister(operand));
    if (name) return name;
  }
  return undefined;
}

/**
 * Whether the mode policy keeps a finding for this instruction in `mode` under `profile`. Without
 * the segment register (a build's listing names only the iced Code), the answer must be the same
 * for every register, or the test cannot know and says so.
 */
export function reportedInMode(instruction: SensitiveInstruction, mode: ExecutionMode, profile: ProfileId = DEFAULT_PROFILE): boolean {
  const registers = instruction.segmentRegister ? [instruction.segmentRegister] : ['cs', 'ss', 'ds'];
  const answers = new Set(
    registers.map((register) => {
      const segment = segmentFormOf(instruction.rule, instruction.codeName, register);
      // Only `off` matters here; the base severity only sets how loud a kept finding is.
      return modeSeverity(instruction.rule, { mode, profile, ...(segment ? { segment } : {}) }, 'error') !== 'off';
    }),
  );
  if (answers.size > 1) throw new Error(`${instruction.codeName} in ${mode} mode: the policy depends on the segment register, which the oracle did not give`);
  return answers.has(true);
}
