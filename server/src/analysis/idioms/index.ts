// VM-detection idioms: the public surface. The matcher reads a neutral instruction stream, so
// the document analysis (parsed source) and the binary scanner (decoded bytes) share it.
import type { ParsedInstruction } from '../types';
import { idiomInstructionOf } from './fromSource';
import { findIdioms, type IdiomMatch, type IdiomRuleId } from './match';

export { findIdioms, type IdiomMatch, type IdiomRuleId } from './match';
export { HYPERVISOR_SIGNATURES, signatureAtStart, signaturesInImmediate, type HypervisorSignature } from './signatures';
export { findHostIdioms, type HostEvent, type HostIdiom } from './host';
export { registerOperand, registerFamily, type IdiomInstruction, type IdiomOperand } from './stream';

export interface SourceIdiom {
  ruleId: IdiomRuleId;
  message: string;
  anchor: ParsedInstruction;
  members: ParsedInstruction[];
}

/**
 * The idioms in a document's statements, in order. A macro body is read on its own: its
 * parameters make values unknowable, and its lines do not run where they are written.
 */
export function findSourceIdioms(instructions: readonly ParsedInstruction[]): SourceIdiom[] {
  const found: SourceIdiom[] = [];
  let run: ParsedInstruction[] = [];
  const flush = (): void => {
    if (run.length === 0) return;
    const stream = run.map(idiomInstructionOf);
    for (const match of findIdioms(stream)) found.push(toSourceIdiom(match, run));
    run = [];
  };
  let inMacro = false;
  for (const ins of instructions) {
    if (ins.inMacro !== inMacro) {
      flush();
      inMacro = ins.inMacro;
    }
    run.push(ins);
  }
  flush();
  return found;
}

function toSourceIdiom(match: IdiomMatch, run: readonly ParsedInstruction[]): SourceIdiom {
  return { ruleId: match.ruleId, message: match.message, anchor: run[match.anchor]!, members: match.members.map((index) => run[index]!) };
}
