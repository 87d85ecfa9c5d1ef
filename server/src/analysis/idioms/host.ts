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
  /** The intrinsic called, when it is one, or the CPUID wrapper (`cpuid`, `cpuid_eax`, a function whose body is CPUID asm). */
  intrinsic?: string;
  /** Set on a call of a CPUID wrapper: no finding of the file stands there, the idiom is reported at the name (this many characters). */
  wrapperLength?: number;
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
  const file = fileScope(text, masked.code, masked.strings, bodies, events);
  const pass = (): HostIdiom[][] =>
    bodies.map((body) => {
      const inside = events.filter((event) => event.offset >= body.start && event.offset < body.end);
      const wrappers = wrapperCalls(masked.code, body, file.wrappers, inside);
      const all = [...inside, ...wrappers].sort((a, b) => a.offset - b.offset);
      const literals = masked.strings.filter((literal) => literal.offset >= body.start && literal.offset < body.end);
      return bodyIdioms(text, masked.code, { ...file, body }, all, literals);
    });
  let perBody = pass();
  // A function of the file that reads a hypervisor leaf finds leaves: a signature passed to it is looked for there.
  for (let i = 0; i < bodies.length; i++) {
    if (!perBody[i]!.some((idiom) => idiom.ruleId === 'hypervisor-leaf')) continue;
    const name = functionNameBefore(masked.code, bodies[i]!);
    if (name) file.finders.add(name);
  }
  if (file.finders.size > 0) perBody = pass();
  return perBody.flat();
}

/** The name of the function a top-level body belongs to (`int f(void) {`), if it is one. */
function functionNameBefore(code: string, body: Span): string | undefined {
  return /([A-Za-z_]\w*)\s*\([^;{}]*\)\s*$/.exec(code.slice(Math.max(0, body.start - 400), body.start))?.[1];
}

function bodyIdioms(text: string, code: string, scope: BodyScope, events: HostEvent[], literals: StringLiteral[]): HostIdiom[] {
  const { body } = scope;
  const found: HostIdiom[] = [];
  const used = new Set<HostEvent>();
  const cpuids = events.filter((event) => event.kind === 'cpuid');
  const signatures = signatureMentions(code, scope, literals, cpuids.length > 0);
  if (signatures.found.length > 0) {
    const names = signatures.found.map((s) => `"${s.text.replace(/\0+$/, '')}" (${s.vendor})`).join(', ');
    const first = cpuids[0];
    if (first) {
      used.add(first);
      found.push({ ruleId: 'hypervisor-signature', message: `CPUID, then a comparison with the ${names} signature: this code identifies the hypervisor by name`, anchor: anchorOf(first), members: [first] });
    } else if (signatures.finder) {
      const { callee, offset, length } = signatures.finder;
      found.push({ ruleId: 'hypervisor-signature', message: `The ${names} signature passed to ${callee}(), which looks for it among the hypervisor CPUID leaves: this code identifies the hypervisor by name`, anchor: { offset, length }, members: [] });
    } else if (signatures.compared) {
      found.push({ ruleId: 'hypervisor-signature', message: `A comparison with the ${names} signature: this code identifies the hypervisor by name`, anchor: signatures.compared, members: [] });
    }
  }
  for (const event of cpuids) {
    if (used.has(event)) continue;
    const leaf = leafOf(text, code, event, scope);
    if (leaf === undefined) continue;
    // Through a wrapper only the vendor leaf counts: the others (0x40000010, timing) are read by guest code that already knows its hypervisor.
    const vendorLeafOnly = event.wrapperLength !== undefined;
    if (leaf >= HYPERVISOR_LEAVES.first && leaf <= HYPERVISOR_LEAVES.last && (!vendorLeafOnly || leaf === HYPERVISOR_LEAVES.first)) {
      used.add(event);
      found.push({ ruleId: 'hypervisor-leaf', message: `CPUID with leaf 0x${leaf.toString(16).toUpperCase()} reads a hypervisor leaf: this code asks which hypervisor it runs under`, anchor: anchorOf(event), members: [event] });
    } else if (leaf === 1n && event.wrapperLength === undefined && BIT_31.test(code.slice(event.offset, body.end))) {
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

function timingCheck(code: string, body: Span, all: HostEvent[]): HostIdiom | undefined {
  // A wrapper's CPUID may not run where it is called (a cached leaf, a paravirt hook): only CPUID the file shows is timed.
  const events = all.filter((event) => event.wrapperLength === undefined);
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

/** The leaf a CPUID event passes: the intrinsic's or wrapper's leaf argument, or the `"a"` input of an asm statement. */
function leafOf(text: string, code: string, event: HostEvent, scope: BodyScope): bigint | undefined {
  if (event.intrinsic) {
    const args = callArguments(code, text, event.offset + event.intrinsic.length);
    if (!args) return undefined;
    // MSVC's __cpuid(int[4], leaf) and __cpuidex(int[4], leaf, subleaf) take the leaf second; the rest first.
    const leafAt = event.intrinsic === '__cpuidex' || (event.intrinsic === '__cpuid' && args.length === 2) ? 1 : 0;
    return valueAt(args[leafAt], code, scope, event.offset);
  }
  const statementEnd = code.indexOf(';', event.offset);
  const statement = text.slice(event.offset, statementEnd < 0 ? undefined : statementEnd);
  const input = /"(?:a|0|\{eax\})"\s*\(\s*([^)]+?)\s*\)/.exec(statement) ?? /in(?:out)?\s*\(\s*"eax"\s*\)\s*([^,)=]+?)\s*(?:=>|,|\))/.exec(statement);
  return input ? valueAt(input[1], code, scope, event.offset) : undefined;
}

/**
 * The constant an argument holds where it is used: a literal, a constant the file defines, or a
 * variable's last constant assignment before `at` in the body (a `for` start included, and a loop
 * macro of the file that assigns its parameter, like Linux's `for_each_possible_hypervisor_cpuid_base`).
 */
function valueAt(argument: string | undefined, code: string, scope: BodyScope, at: number): bigint | undefined {
  const literal = constantOf(argument, scope);
  if (literal !== undefined || argument === undefined) return literal;
  const variable = /^\(?\s*([A-Za-z_]\w*)\s*\)?$/.exec(argument.trim())?.[1];
  if (!variable) return undefined;
  const before = code.slice(scope.body.start, at);
  let last: { offset: number; value: bigint | undefined } | undefined;
  for (const assignment of before.matchAll(new RegExp(`(?<![\\w.>])${variable}\\s*=(?!=)\\s*([^;,)]+)`, 'g'))) {
    last = { offset: assignment.index, value: constantOf(assignment[1], scope) };
  }
  for (const use of before.matchAll(/\b([A-Za-z_]\w*)\s*\(([^()]*)\)/g)) {
    const loop = scope.loopMacros.get(use[1]!);
    if (!loop || (last && last.offset > use.index)) continue;
    if (use[2]!.split(',')[loop.parameter]?.trim() === variable) last = { offset: use.index, value: constantOf(loop.value, scope) };
  }
  return last?.value;
}

function constantOf(text: string | undefined, scope: FileScope): bigint | undefined {
  const literal = integerLiteral(text);
  if (literal !== undefined) return literal;
  const name = /^\(?\s*([A-Za-z_]\w*)\s*\)?$/.exec((text ?? '').trim())?.[1];
  return name ? scope.constants.get(name) : undefined;
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

interface SignatureMentions {
  found: HypervisorSignature[];
  /** A signature passed to a compare function. */
  compared?: { offset: number; length: number };
  /** A signature passed to a function that looks for it among the hypervisor leaves (`hypervisor_cpuid_base`). */
  finder?: { callee: string; offset: number; length: number };
}

/** A compare or search function (`memcmp`, `strncmp`, `equals`, `starts_with`, `find`). */
const COMPARES = /(?:cmp|eq|equals|starts_with|find|str)/i;
/** A function that takes a signature and finds the hypervisor leaf that returns it (Linux's `hypervisor_cpuid_base`). */
const FINDS_LEAVES = /(?:cpuid_base|hypervisor)/i;

/**
 * Signature strings in the body, and the one passed to a compare or leaf-finding function, if any.
 * A signature macro (`KVM_SIGNATURE`) counts only as such an argument, and in a compare call only
 * where the body runs CPUID: a hypervisor compares it with the leaves it fills for its guests.
 */
function signatureMentions(code: string, scope: BodyScope, literals: StringLiteral[], runsCpuid: boolean): SignatureMentions {
  const { body } = scope;
  const mentions: SignatureMentions = { found: [] };
  const note = (signature: HypervisorSignature, offset: number, length: number, literal: boolean): void => {
    const callee = enclosingCallee(code, body.start, offset);
    const finder = callee !== undefined && (FINDS_LEAVES.test(callee) || scope.finders.has(callee));
    const compared = callee !== undefined && !finder && COMPARES.test(callee);
    if (!literal && !finder && !(compared && runsCpuid)) return;
    if (!mentions.found.includes(signature)) mentions.found.push(signature);
    if (finder && !mentions.finder) mentions.finder = { callee: callee!, offset, length };
    if (compared && !mentions.compared) mentions.compared = { offset, length };
  };
  for (const literal of literals) {
    const signature = signatureOfString(literal.value);
    if (signature) note(signature, literal.offset, literal.length, true);
  }
  for (const [name, signature] of scope.signatureMacros) {
    for (const use of code.slice(body.start, body.end).matchAll(new RegExp(`\\b${name}\\b`, 'g'))) note(signature, body.start + use.index, name.length, false);
  }
  for (const number of code.slice(body.start, body.end).matchAll(/\b0x[0-9a-f]{8}\b/gi)) {
    for (const signature of signaturesInImmediate(BigInt(number[0]))) if (!mentions.found.includes(signature)) mentions.found.push(signature);
  }
  return mentions;
}

function signatureOfString(text: string): HypervisorSignature | undefined {
  const value = text.replace(/\0+$/, '');
  return HYPERVISOR_SIGNATURES.find((s) => value.length >= 9 && s.text.replace(/\0+$/, '') === value);
}

/** The function whose argument list `offset` is in (the innermost open parenthesis before it in the statement). */
function enclosingCallee(code: string, from: number, offset: number): string | undefined {
  let depth = 0;
  for (let i = offset - 1; i >= from; i--) {
    const ch = code[i];
    if (ch === ';' || ch === '{' || ch === '}') return undefined;
    if (ch === ')') depth++;
    else if (ch === '(') {
      if (depth > 0) {
        depth--;
        continue;
      }
      return /([A-Za-z_]\w*)\s*$/.exec(code.slice(Math.max(from, i - 80), i))?.[1];
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// What the whole file says: its constants, signature macros, loop macros and CPUID wrappers

interface FileScope {
  /** `#define NAME 0x40000000` */
  constants: Map<string, bigint>;
  /** `#define NAME "KVMKVMKVM\0\0\0"`, and the well-known ones from headers. */
  signatureMacros: Map<string, HypervisorSignature>;
  /** `#define each(fn) for (fn = 0x40000000; …)`: the parameter it assigns and the value (a literal or a constant's name). */
  loopMacros: Map<string, { parameter: number; value: string }>;
  /** Names whose call runs CPUID with the first argument as the leaf. */
  wrappers: Set<string>;
  /** Functions of the file that read a hypervisor leaf (a signature passed to one is looked for there). */
  finders: Set<string>;
}

interface BodyScope extends FileScope {
  body: Span;
}

/** Signature macros of well-known headers (Linux's uapi `asm/kvm_para.h`). */
const KNOWN_SIGNATURE_MACROS: Record<string, string> = { KVM_SIGNATURE: 'KVMKVMKVM\0\0\0' };

/** CPUID wrappers by name: Linux's `cpuid`, `cpuid_count`, `cpuid_eax`…, `native_cpuid`, and the usual home-made ones. */
const WRAPPER_NAMES = /^(?:native_cpuid|_{0,2}cpuid(?:_count|_e[abcd]x)?)$/;

function fileScope(text: string, code: string, strings: readonly StringLiteral[], bodies: readonly Span[], events: readonly HostEvent[]): FileScope {
  const scope: FileScope = { constants: new Map(), signatureMacros: new Map(), loopMacros: new Map(), wrappers: new Set(), finders: new Set() };
  for (const [name, value] of Object.entries(KNOWN_SIGNATURE_MACROS)) {
    const signature = signatureOfString(value);
    if (signature) scope.signatureMacros.set(name, signature);
  }
  for (const define of code.matchAll(/^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)(\([^)]*\))?((?:[^\n\\]|\\\r?\n|\\.)*)/gm)) {
    const name = define[1]!;
    const parameters = define[2];
    const definition = define[3] ?? '';
    const start = define.index + define[0].length - definition.length;
    if (parameters === undefined) {
      const value = integerLiteral(definition.replace(/\\\r?\n/g, ' ').trim());
      if (value !== undefined) scope.constants.set(name, value);
      const literal = strings.find((s) => s.offset >= start && s.offset < start + definition.length);
      const signature = literal && text.slice(start, start + definition.length).trim() === text.slice(literal.offset, literal.offset + literal.length) ? signatureOfString(literal.value) : undefined;
      if (signature) scope.signatureMacros.set(name, signature);
      continue;
    }
    const names = parameters.slice(1, -1).split(',').map((p) => p.trim());
    for (const assignment of definition.matchAll(/\b([A-Za-z_]\w*)\s*=(?!=)\s*(0x[0-9a-fA-F]+[uUlL]*|\d+[uUlL]*|[A-Za-z_]\w*)\s*[;,)]/g)) {
      const parameter = names.indexOf(assignment[1]!);
      if (parameter >= 0) scope.loopMacros.set(name, { parameter, value: assignment[2]! });
    }
  }
  // A function of the file whose body is CPUID inline assembly is a wrapper too.
  for (const body of bodies) {
    if (!events.some((event) => event.kind === 'cpuid' && !event.intrinsic && event.offset >= body.start && event.offset < body.end)) continue;
    const name = functionNameBefore(code, body);
    if (name) scope.wrappers.add(name);
  }
  return scope;
}

/** Calls of CPUID wrappers in a body, as CPUID events at the called name (an intrinsic already is one). */
function wrapperCalls(code: string, body: Span, wrappers: ReadonlySet<string>, events: readonly HostEvent[]): HostEvent[] {
  const calls: HostEvent[] = [];
  for (const call of code.slice(body.start, body.end).matchAll(/(?<![\w.>])([A-Za-z_]\w*)\s*\(/g)) {
    const name = call[1]!;
    if (!WRAPPER_NAMES.test(name) && !wrappers.has(name)) continue;
    const offset = body.start + call.index;
    if (events.some((event) => event.offset === offset)) continue;
    calls.push({ kind: 'cpuid', offset, intrinsic: name, wrapperLength: name.length });
  }
  return calls;
}

/** Where an idiom at this event is reported: the event, or the wrapper's name. */
function anchorOf(event: HostEvent): HostEvent | { offset: number; length: number } {
  return event.wrapperLength === undefined ? event : { offset: event.offset, length: event.wrapperLength };
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

