// cpp conditionals in GNU as `.S` files: `#ifdef CONFIG_X86_64` and its kin choose the bitness
// of each branch, so one file holding 32- and 64-bit code is read right in both halves.
import { changedState, type ParserState } from './parserState';
import type { Bits } from '../types';

const CPP_64 = /^(defined\s*\(?\s*)?(CONFIG_X86_64|__x86_64__|__amd64__|__LP64__)\s*\)?$/;
const CPP_32 = /^(defined\s*\(?\s*)?(CONFIG_X86_32|__i386__)\s*\)?$/;

/** Which bitness a cpp condition selects: `6`, `3` or `n` (cannot tell). */
function conditionKind(keyword: string, condition: string): string {
  const c = condition.replace(/\/\*.*?\*\/|\/\/.*$/g, '').trim();
  let kind = CPP_64.test(c) ? '6' : CPP_32.test(c) ? '3' : 'n';
  if (keyword === 'if' && !/^defined\b/.test(c) && kind !== 'n' && !/^(CONFIG_X86_64|CONFIG_X86_32|__x86_64__|__i386__)$/.test(c)) kind = 'n';
  const negated = keyword === 'ifndef' || /^!\s*defined/.test(c);
  if (negated) {
    const inner = c.replace(/^!\s*/, '');
    const k = CPP_64.test(inner) ? '6' : CPP_32.test(inner) ? '3' : 'n';
    return k === '6' ? '3' : k === '3' ? '6' : 'n';
  }
  return kind;
}

function bitsForKind(kind: string, current: Bits): Bits {
  if (current === 16) return current;
  return kind === '6' ? 64 : kind === '3' ? 32 : current;
}

/** Tracks `#ifdef CONFIG_X86_64`-style branches so mixed 32/64-bit `.S` files get the right bitness per branch. */
export function applyCppConditional(line: string, state: ParserState): ParserState {
  const m = /^\s*#\s*(if|ifdef|ifndef|elif|else|endif)\b(.*)$/.exec(line);
  if (!m) return state;
  const keyword = m[1]!;
  const frames = state.cppStack ? state.cppStack.split('|') : [];
  if (keyword === 'if' || keyword === 'ifdef' || keyword === 'ifndef') {
    const kind = state.explicitBits ? 'n' : conditionKind(keyword, m[2]!);
    frames.push(`${kind}:${state.bits}`);
    return changedState(state, { cppStack: frames.join('|'), bits: kind === 'n' ? state.bits : bitsForKind(kind, state.bits) });
  }
  const top = frames.pop();
  if (top === undefined) return state;
  const [kind, saved] = top.split(':') as [string, string];
  const savedBits = Number(saved) as Bits;
  if (keyword === 'endif') return changedState(state, { cppStack: frames.join('|'), bits: kind === 'n' ? state.bits : savedBits });
  // #else / #elif: the other branch starts from the state before the #if (the first branch was not
  // assembled); the other branch of a 32/64 test is the other bitness.
  const flipped = keyword === 'else' ? (kind === '6' ? '3' : kind === '3' ? '6' : 'n') : state.explicitBits ? 'n' : conditionKind('if', m[2]!);
  frames.push(`${flipped}:${savedBits}`);
  return changedState(state, { cppStack: frames.join('|'), bits: bitsForKind(flipped, savedBits) });
}
