// Recognises assembly for other instruction sets (a `.S` file under arch/arm64 looks like ours by
// name), so it can be left alone instead of being reported as x86 full of unknown mnemonics.
import type { ForeignArchitecture } from '../types';

export type { ForeignArchitecture };

interface ArchitectureSignals {
  /** Instruction shapes that exist only in this architecture's assembly. */
  mnemonics: RegExp;
  /** Register names and operand forms of this architecture. */
  operands: RegExp;
}

// Each pattern is matched per line against an instruction at the start of the line (after an
// optional label), so prose in comments does not count.
const SIGNALS: Record<ForeignArchitecture, ArchitectureSignals> = {
  arm64: {
    mnemonics: /^(?:ldrs?[bhw]?|str[bh]?|br|blr|stp|ldp|adrp|cbn?z|tbn?z|b\.(?:eq|ne|cs|cc|hs|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le|al)|mrs|msr|eret|ldxr|stxr|ldar|stlr|isb|dsb|dmb|csel|ubfx|sbfx|movk|movz)\b/,
    operands: /(?:^|[\s,[])(?:[xw](?:[12]?\d|30)|xzr|wzr)\b|#0x[0-9a-f]+|\[\s*(?:x\d+|sp)\s*[,\]]/,
  },
  arm: {
    mnemonics: /^(?:ldm(?:ia|ib|da|db|fd)?|stm(?:ia|ib|da|db|fd)?|bx|blx|mcr|mrc|ldr(?:b|h|d)?|str(?:b|h|d)?|cpsi[de]|bne|beq|bls|bhi)\b/,
    operands: /(?:^|[\s,{[])(?:r(?:1[0-5]|\d)|lr|pc|fp|ip)\b|\{\s*r\d|\bp15\b/,
  },
  riscv: {
    mnemonics: /^(?:auipc|lui|jalr?|addiw?|slli|srli|srai|csrr[wsc]?i?|csr[wsc]i?|ecall|ebreak|beqz|bnez|sret|mret|fence\.i|lw|sw|sd|ld|li|la)\b/,
    operands: /(?:^|[\s,(])(?:a[0-7]|t[0-6]|s(?:1[01]|\d)|zero|ra|gp|tp)\b|\d+\((?:sp|a\d|t\d|s\d+)\)/,
  },
  powerpc: {
    mnemonics: /^(?:lwz|stw|stwu|stdu|mflr|mtlr|mfspr|mtspr|mfmsr|mtmsrd?|blr|bctrl?|lis|ori|oris|rlwinm|isync|sync|rfid?)\b/,
    operands: /(?:^|[\s,(])%?r(?:[12]?\d|3[01])\b|^\S+\s+\d+\s*,\s*-?\d+\(\d+\)/,
  },
  mips: {
    mnemonics: /^(?:addiu|daddiu|lui|jr|jalr?|mfc0|mtc0|dmfc0|dmtc0|eret|lw|sw|ld|sd|beqz|bnez|move)\b/,
    operands: /\$(?:zero|at|v[01]|a[0-3]|t\d|s[0-8]|k[01]|gp|sp|fp|ra|\d+)\b/,
  },
};

/**
 * x86 register names: any with AT&T's `%`; bare only the 32/64-bit and XMM names, since bare
 * `sp`, `cs` or `r8` are registers or condition codes of the other architectures too.
 */
const X86_REGISTER = /%(?:[re]?[abcd]x|[abcd][lh]|[re]?[sd]i|[re]?[sb]p|r(?:[89]|1[0-5])[dwb]?|[cdefgs]s|cr[0-4])\b|\b(?:[re](?:[abcd]x|[sd]i|[sb]p)|xmm\d+)\b/i;

const LABEL = /^[\w.$]+:\s*/;
/** Lines read before deciding; a file's first few hundred instructions are enough. */
const SAMPLE_LINES = 400;
/** Distinct-line votes an architecture needs, and how far it must lead x86's. */
const ENOUGH_LINES = 4;

/** The other instruction set a sample is written for, when its instructions say so clearly. */
export function foreignArchitectureOf(sample: string): ForeignArchitecture | undefined {
  const votes: Record<ForeignArchitecture, number> = { arm64: 0, arm: 0, riscv: 0, powerpc: 0, mips: 0 };
  let bestVotes = 0;
  let x86Lines = 0;
  let read = 0;
  const rows = sample.split('\n');
  for (let row = 0; row < rows.length; row++) {
    if (read >= SAMPLE_LINES) break;
    const line = statementOf(rows[row]!);
    if (line === '' || line.startsWith('.') || line.startsWith('#')) continue;
    read++;
    if (X86_REGISTER.test(line)) {
      x86Lines++;
      // Stop once no other instruction set could still outvote x86: most files are x86, and this
      // check sits on the path to a file's first diagnostics. The first bound counts a vote for
      // each line left in the sample's budget (as it always has); the second, which stops short
      // files early, counts this line's vote and one for each line left in the file.
      const linesLeft = Math.min(SAMPLE_LINES - read, rows.length - 1 - row);
      if (bestVotes + (SAMPLE_LINES - read) < 2 * x86Lines + ENOUGH_LINES || bestVotes + 1 + linesLeft < 2 * x86Lines + ENOUGH_LINES) return undefined;
    }
    for (const name of Object.keys(SIGNALS) as ForeignArchitecture[]) {
      const signals = SIGNALS[name];
      if (signals.mnemonics.test(line) && signals.operands.test(line)) bestVotes = Math.max(bestVotes, ++votes[name]);
    }
  }
  let best: ForeignArchitecture | undefined;
  for (const name of Object.keys(votes) as ForeignArchitecture[]) if (!best || votes[name] > votes[best]) best = name;
  if (!best || votes[best] < ENOUGH_LINES) return undefined;
  return votes[best] >= 2 * x86Lines + ENOUGH_LINES ? best : undefined;
}

/** The instruction part of a line: comments and a leading label removed, lower-cased. */
function statementOf(raw: string): string {
  let line = raw;
  const cut = line.search(/\/\/|\/\*|(?:^|\s)[;@]|\s#\s/);
  if (cut >= 0) line = line.slice(0, cut);
  line = line.trim().toLowerCase();
  while (LABEL.test(line)) line = line.replace(LABEL, '');
  return line;
}
