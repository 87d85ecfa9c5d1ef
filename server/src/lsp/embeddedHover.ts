// Hovers in C, C++ and Rust documents: on an instruction inside an asm statement (the same card
// or facts line an assembly file shows) and on an intrinsic call's name (which instruction it
// compiles to, then that instruction's card or facts). Anywhere else: nothing, so the language's
// own server answers alone.
import type { EmbeddedResult, IntrinsicCall } from '../analysis/embedded/index';
import { hoverAt, instructionFactsLine, type HoverInfo } from '../analysis/hover/index';
import { analyzeText, type AnalysisResult, type Bits, type Finding, type Position, type Range } from '../analysis/index';
import { comparePositions } from './embeddedDocument';

export function embeddedHoverAt(result: EmbeddedResult, shown: readonly Finding[], bits: Bits, position: Position): HoverInfo | undefined {
  const call = result.intrinsics.find((candidate) => containsPosition(candidate.range, position));
  if (call) return intrinsicHover(call, result, shown, bits, position);
  // An empty line text: the only hovers wanted are the instructions', never a comment's.
  return hoverAt(() => '', asAnalysisResult(result, shown, bits), position);
}

function intrinsicHover(call: IntrinsicCall, result: EmbeddedResult, shown: readonly Finding[], defaultBits: Bits, position: Position): HoverInfo | undefined {
  const bits = call.bits ?? defaultBits;
  const instruction = safeInstruction(call, bits);
  if (instruction === undefined) return undefined;
  const heading = `\`${call.name}\` compiles to \`${instruction}\` (${bits}-bit).`;
  const card = hoverAt(() => '', asAnalysisResult(result, shown, bits), position);
  if (card) return { markdown: `${heading}\n\n${card.markdown}`, range: call.range };
  const facts = factsOf(instruction, bits);
  return { markdown: facts ? `${heading}\n\n${facts}` : heading, range: call.range };
}

function safeInstruction(call: IntrinsicCall, bits: Bits): string | undefined {
  try {
    return call.instruction(bits);
  } catch {
    return undefined;
  }
}

function factsOf(instruction: string, bits: Bits): string | undefined {
  const parsed = analyzeText(instruction, { dialect: 'nasm', bits }).instructions[0];
  return parsed ? instructionFactsLine(parsed) : undefined;
}

/** The embedded result in the shape the hover builder reads: the instructions and the findings shown, in host coordinates. */
function asAnalysisResult(result: EmbeddedResult, shown: readonly Finding[], bits: Bits): AnalysisResult {
  return {
    dialect: 'gas-att',
    dialectSource: 'default',
    bits,
    bitsSource: 'default',
    bitsRegions: [],
    instructions: result.instructions,
    findings: shown.slice(),
    suppressed: result.suppressed,
  };
}

function containsPosition(range: Range, position: Position): boolean {
  return comparePositions(range.start, position) <= 0 && comparePositions(position, range.end) <= 0;
}
