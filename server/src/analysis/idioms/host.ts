// VM-detection idioms in C, C++ and Rust, across statements: CPUID and time-stamp reads (from
// intrinsic calls or asm statements) and what the same function body does with them: the leaf
// passed, a vendor signature as a string literal, a test of bit 31, two time-stamp reads around a
// CPUID with a subtraction and a comparison after them. Read from the host text, not compiled.
import { HYPERVISOR_SIGNATURES, signaturesInImmediate, type HypervisorSignature } from './signatures';
import type { IdiomRuleId } from './match';

/** A CPUID or time-stamp read the host file already reports, where its finding points. */
export interface HostEvent {
  /** `store`: SIDT, SGDT, SLDT, STR or SMSW (`mnemonic` says which). */
  kind: 'cpuid' | 'rdtsc' | 'store';
  mnemonic?: string;
  /** Offset in the host text of the finding's start (the intrinsic's name, or the mnemonic in the string). */
  offset: number;
  /** The intrinsic called, when it is one. */
  intrinsic?: string;
}

export interface HostIdiom {
  ruleId: IdiomRuleId;
  message: string;
  /** The event the idiom is reported at, or the offset and length of a signature string. */
  anchor: HostEvent | { offset: number; length: number };
  members: HostEvent[];
}

const HYPERVISOR_LEAVES = { first: 0x40000000n, last: 0x400000ffn };

export function findHostIdioms(text: string, events: readonly HostEvent[]): HostIdiom[] {
  const masked = maskCommentsAndStrings(text);
  const bodies = topLevelBodies(masked.code);
  const found: HostIdiom[] = [];
  for (const body of bodies) {
    const inside = events.filter((event) => event.offset >= body.start && event.offset < body.end).sort((a, b) => a.offset - b.offset);
    const literals = masked.strings.filter((literal) => literal.offset >= body.start && literal.offset < body.end);
    for (const idiom of bodyIdioms(text, masked.code, body, inside, literals)) found.push(idiom);
  }
  return found;
}

function bodyIdioms(text: string, code: string, body: Span, events: HostEvent[], literals: StringLiteral[]): HostIdiom[] {
  const found: HostIdiom[] = [];
  const used = new Set<HostEvent>();
  const cpuids = events.filter((event) => event.kind === 'cpuid');
  const signatures = signatureMentions(code, body, literals);
  if (signatures.found.length > 0) {
    const names = signatures.found.map((s) => `"${s.text.replace(/\0+$/, '')}" (${s.vendor})`).join(', ');
    const first = cpuids[0];
    if (first) {
      used.add(first);
      found.push({ ruleId: 'hypervisor-signature', message: `CPUID, then a comparison with the ${names} signature: this code identifies the hypervisor by name`, anchor: first, members: [first] });
    } else if (signatures.compared) {
      found.push({ ruleId: 'hypervisor-signature', message: `A comparison with the ${names} signature: this code identifies the hypervisor by name`, anchor: signatures.compared, members: [] });
    }
  }
  for (const event of cpuids) {
    if (used.has(event)) continue;
    const leaf = leafOf(text, code, event);
    if (leaf === undefined) continue;
    if (leaf >= HYPERVISOR_LEAVES.first && leaf <= HYPERVISOR_LEAVES.last) {
      used.add(event);
      found.push({ ruleId: 'hypervisor-leaf', message: `CPUID with leaf 0x${leaf.toString(16).toUpperCase()} reads a hypervisor leaf: this code asks which hypervisor it runs under`, anchor: event, members: [event] });
    } else if (leaf === 1n && BIT_31.test(code.slice(event.offset, body.end))) {
      used.add(event);
      found.push({ ruleId: 'hypervisor-bit', message: 'CPUID leaf 1, then a test of ECX bit 31: this code checks the hypervisor-present bit', anchor: event, members: [event] });
    }
  }
  const timing = timingCheck(code, body, events);
  if (timing) found.push(timing);
  for (const event of events) {
    if (event.kind !== 'store') continue;
    const compared = storedValueCompared(text, code, body, event);
    if (compared === undefined) continue;
    const name = (event.mnemonic ?? 'the stored value').toUpperCase();
    found.push({ ruleId: 'red-pill', message: `${name} result compared with ${compared}: this code tells a VM from bare metal by the value ${name} reads`, anchor: event, members: [event] });
  }
  return found;
}

/** The constant the variable an asm statement (`"=m"(idtr)`) or intrinsic (`__sidt(&idtr)`) stores into is compared with, later in the body. */
function storedValueCompared(text: string, code: string, body: Span, event: HostEvent): string | undefined {
  const statementEnd = code.indexOf(';', event.offset);
  if (statementEnd < 0) return undefined;
  const statement = text.slice(event.offset, statementEnd);
  const output = event.intrinsic
    ? /\(\s*&?\s*([A-Za-z_]\w*)/.exec(statement)
    : /"=[a-z&+]*"\s*\(\s*\*?\s*\(?\s*([A-Za-z_]\w*)/.exec(statement) ?? /out\s*\([^)]*\)\s*([A-Za-z_]\w*)/.exec(statement);
  if (!output) return undefined;
  const variable = output[1]!;
  const after = code.slice(statementEnd, body.end);
  const constant = '(0x[0-9a-fA-F]+|\\d+)[uUlL]*';
  const operator = '(?:[<>]=?|[!=]=)';
  const compare = new RegExp(`\\b${variable}\\b[^;]*?${operator}\\s*${constant}|${constant}\\s*${operator}[^;]*?\\b${variable}\\b`).exec(after);
  if (!compare) return undefined;
  return compare[1] ?? compare[2];
}

/** `>> 31`, `& 0x80000000`, `1u << 31`, `BIT(31)`, `bit_HYPERVISOR`-style names. */
const BIT_31 = /(?:>>\s*31\b|\b0x80000000[uUlL]*\b|\b1[uUlL]*\s*<<\s*31\b|\bBIT\s*\(\s*31\s*\)|\bHYPERVISOR\b)/i;

/** Subtraction (not `->`) and an ordering comparison (not a shift) after the second read. */
const SUBTRACTION = /[^-]-(?![->=])/;
const COMPARISON = /(?:^|[^<>])[<>]=?(?![<>])/;

function timingCheck(code: string, body: Span, events: HostEvent[]): HostIdiom | undefined {
  for (let i = 0; i < events.length; i++) {
    const first = events[i]!;
    if (first.kind !== 'rdtsc') continue;
    const exit = events.slice(i + 1).find((event) => event.kind === 'cpuid');
    if (!exit) continue;
    const second = events.slice(events.indexOf(exit) + 1).find((event) => event.kind === 'rdtsc');
    if (!second) continue;
    const after = code.slice(second.offset, body.end);
    if (!SUBTRACTION.test(after) || !COMPARISON.test(after)) continue;
    return {
      ruleId: 'timing-check',
      message: 'Time-stamp counter read before and after a CPUID, then subtracted and compared: this code times a VM exit',
      anchor: first,
      members: [first, exit, second],
    };
  }
  return undefined;
}

/** The leaf a CPUID event passes: the intrinsic's leaf argument, or the `"a"` input of an asm statement. */
function leafOf(text: string, code: string, event: HostEvent): bigint | undefined {
  if (event.intrinsic) {
    const args = callArguments(code, text, event.offset + event.intrinsic.length);
    if (!args) return undefined;
    // MSVC's __cpuid(int[4], leaf) and __cpuidex(int[4], leaf, subleaf) take the leaf second; the rest first.
    const leafAt = event.intrinsic === '__cpuidex' || (event.intrinsic === '__cpuid' && args.length === 2) ? 1 : 0;
    return integerLiteral(args[leafAt]);
  }
  const statementEnd = code.indexOf(';', event.offset);
  const statement = text.slice(event.offset, statementEnd < 0 ? undefined : statementEnd);
  const input = /"(?:a|0|\{eax\})"\s*\(\s*([^)]+?)\s*\)/.exec(statement) ?? /in(?:out)?\s*\(\s*"eax"\s*\)\s*([^,)=]+?)\s*(?:=>|,|\))/.exec(statement);
  return input ? integerLiteral(input[1]) : undefined;
}

function callArguments(code: string, text: string, from: number): string[] | undefined {
  let at = from;
  while (at < code.length && /\s/.test(code[at]!)) at++;
  if (code[at] === '!') return undefined;
  if (code[at] !== '(') return undefined;
  const args: string[] = [];
  let depth = 0;
  let start = at + 1;
  for (let i = at; i < code.length; i++) {
    const ch = code[i]!;
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') {
      depth--;
      if (depth === 0) {
        args.push(text.slice(start, i).trim());
        return args;
      }
    } else if (ch === ',' && depth === 1) {
      args.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  return undefined;
}

function integerLiteral(text: string | undefined): bigint | undefined {
  const match = /^\(?\s*(0x[0-9a-f]+|[0-9]+)(?:_?u32|_?i32|[uUlL]*)\s*\)?$/i.exec((text ?? '').replace(/_/g, '').trim());
  return match ? BigInt(match[1]!) : undefined;
}

/** Signature strings in the body, and the one passed to a compare function, if any. */
function signatureMentions(code: string, body: Span, literals: StringLiteral[]): { found: HypervisorSignature[]; compared?: { offset: number; length: number } } {
  const found: HypervisorSignature[] = [];
  let compared: { offset: number; length: number } | undefined;
  for (const literal of literals) {
    const value = literal.value.replace(/\0+$/, '');
    const signature = HYPERVISOR_SIGNATURES.find((s) => value.length >= 9 && s.text.replace(/\0+$/, '') === value);
    if (!signature) continue;
    if (!found.includes(signature)) found.push(signature);
    const before = code.slice(Math.max(body.start, literal.offset - 80), literal.offset);
    if (!compared && /\b\w*(?:cmp|eq|equals|starts_with|find|str)\w*\s*\([^;]*$/.test(before)) compared = { offset: literal.offset, length: literal.length };
  }
  for (const number of code.slice(body.start, body.end).matchAll(/\b0x[0-9a-f]{8}\b/gi)) {
    for (const signature of signaturesInImmediate(BigInt(number[0]))) if (!found.includes(signature)) found.push(signature);
  }
  return compared ? { found, compared } : { found };
}

// ---------------------------------------------------------------------------------------------
// Host text: comments and strings masked out, top-level brace bodies

interface Span {
  start: number;
  end: number;
}

interface StringLiteral {
  offset: number;
  length: number;
  value: string;
}

/** The text with comments and string/char literal contents replaced by spaces (same offsets), and the string literals. */
function maskCommentsAndStrings(text: string): { code: string; strings: StringLiteral[] } {
  const out = text.split('');
  const strings: StringLiteral[] = [];
  let i = 0;
  const blank = (from: number, to: number): void => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  while (i < text.length) {
    const ch = text[i]!;
    const next = text[i + 1];
    if (ch === '/' && next === '/') {
      const end = text.indexOf('\n', i);
      const stop = end < 0 ? text.length : end;
      blank(i, stop);
      i = stop;
    } else if (ch === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      blank(i, stop);
      i = stop;
    } else if (ch === '"' || (ch === "'" && isCharLiteral(text, i))) {
      let k = i + 1;
      let value = '';
      while (k < text.length && text[k] !== ch && text[k] !== '\n') {
        if (text[k] === '\\' && k + 1 < text.length) {
          value += unescape(text[k + 1]!);
          k += 2;
          continue;
        }
        value += text[k];
        k++;
      }
      if (ch === '"') strings.push({ offset: i, length: k + 1 - i, value });
      blank(i + 1, k);
      i = k + 1;
    } else {
      i++;
    }
  }
  return { code: out.join(''), strings };
}

/** A `'` that opens a character literal, not a Rust lifetime (`'a`) or a digit separator. */
function isCharLiteral(text: string, at: number): boolean {
  return text[at + 2] === "'" || (text[at + 1] === '\\' && /'/.test(text.slice(at + 3, at + 8)));
}

function unescape(ch: string): string {
  return ch === 'n' ? '\n' : ch === 't' ? '\t' : ch === '0' ? '\0' : ch;
}

/** Each outermost `{ … }` (a function body, in C and Rust alike). */
function topLevelBodies(code: string): Span[] {
  const bodies: Span[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < code.length; i++) {
    const ch = code[i];
    if (ch === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (ch === '}' && depth > 0) {
      depth--;
      if (depth === 0) bodies.push({ start, end: i + 1 });
    }
  }
  return bodies;
}

