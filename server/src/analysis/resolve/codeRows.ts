// The shape of the generated per-Code facts (codeFacts.generated.ts, written by
// scripts/gen-code-facts.ts): one row of numbers per iced Code, the booleans as bits.

/** [flags, operandSize, memorySize, decoderOption, ...opKinds] */
export type CodeRow = readonly number[];

export const FACT_FLAGS = {
  mode16: 1 << 0,
  mode32: 1 << 1,
  mode64: 1 << 2,
  isPrivileged: 1 << 3,
  mustBeCpl0: 1 << 4,
  cpl3: 1 << 5,
  intelVmExit: 1 << 6,
  intelMayVmExit: 1 << 7,
  amdVmExit: 1 << 8,
  amdMayVmExit: 1 << 9,
  isLegacy: 1 << 10,
  defaultOpSize64: 1 << 11,
} as const;
