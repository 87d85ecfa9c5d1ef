// How FASM's and MASM's stages stop: past `limits.lines` lines out (or lines made by macros), or
// when they give up, one report and nothing more after it.
import type { ExpandEnv, ExpandedLine, SourceLine } from '../source';

export class OutputLimit {
  /** Set once the stage has stopped; it reads and emits nothing more. */
  halted = false;
  private produced = 0;
  private generated = 0;

  /** `assembler` names the stage in the reports (`FASM`, `MASM`). */
  constructor(private readonly env: ExpandEnv, private readonly assembler: string) {}

  /** `lines`, until the stage has emitted `limits.lines` lines in all. */
  *counted(lines: Iterable<ExpandedLine>): Generator<ExpandedLine> {
    for (const line of lines) {
      if (this.halted) return;
      if (++this.produced > this.env.limits.lines) {
        this.halt(line.at, `${this.assembler} preprocessing stopped after ${this.env.limits.lines} lines`);
        return;
      }
      yield line;
    }
  }

  /** Counts one line a macro made at `invokedAt`; past `limits.lines` of them the stage stops. */
  countGenerated(invokedAt: SourceLine): void {
    if (++this.generated > this.env.limits.lines) this.halt(invokedAt, `${this.assembler} macro expansion stopped after ${this.env.limits.lines} lines`);
  }

  halt(at: SourceLine, message: string): void {
    if (this.halted) return;
    this.halted = true;
    this.env.report({ kind: 'undecided', at, message });
  }
}
