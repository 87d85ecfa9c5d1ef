// The VM-detection idioms of a C, C++ or Rust file that span statements (an intrinsic's leaf, a
// signature string, two __rdtsc() calls around a CPUID). Idioms inside one asm statement are
// found when the statement is read as assembly; this adds the rest, in the audit profile only.
import { severityFor } from '../catalogue';
import { findHostIdioms, type HostEvent } from '../idioms';
import type { Policy } from '../document/findings';
import { lineStarts } from '../text/lineBreaks';
import type { Finding, Position } from '../types';
import type { IntrinsicCall } from './types';

const EVENT_KIND: Record<string, HostEvent['kind']> = { cpuid: 'cpuid', rdtsc: 'rdtsc', rdtscp: 'rdtsc', sidt: 'store', sgdt: 'store', sldt: 'store', str: 'store', smsw: 'store' };

export function withHostIdioms(text: string, candidates: Finding[], intrinsics: readonly IntrinsicCall[], policy: Policy): Finding[] {
  const starts = lineStarts(text);
  const offsetOf = (position: Position): number => (starts[position.line] ?? text.length) + position.character;
  const callAt = new Map<number, IntrinsicCall>(intrinsics.map((call) => [offsetOf(call.range.start), call]));
  const eventOf = new Map<HostEvent, Finding>();
  for (const finding of candidates) {
    const kind = EVENT_KIND[finding.ruleId];
    if (!kind) continue;
    const offset = offsetOf(finding.range.start);
    const call = callAt.get(offset);
    const event: HostEvent = { kind, offset };
    if (call) event.intrinsic = call.name;
    if (kind === 'store') event.mnemonic = finding.ruleId;
    eventOf.set(event, finding);
  }
  const idioms = findHostIdioms(text, [...eventOf.keys()]);
  if (idioms.length === 0) return candidates;
  const replaced = new Set<Finding>();
  const added: Finding[] = [];
  for (const idiom of idioms) {
    if (!policy.enabled.has(idiom.ruleId)) continue;
    const severity = severityFor(idiom.ruleId, policy.profile, policy.options.severities);
    if (severity === 'off') continue;
    const anchor = 'kind' in idiom.anchor ? eventOf.get(idiom.anchor) : undefined;
    const range = anchor?.range ?? rangeAt(text, starts, idiom.anchor.offset, 'length' in idiom.anchor ? idiom.anchor.length : 1);
    const finding: Finding = { ruleId: idiom.ruleId, severity, message: idiom.message, range, mnemonicRange: anchor?.mnemonicRange ?? range };
    if (anchor?.instruction) finding.instruction = anchor.instruction;
    if (anchor?.macroChain) finding.macroChain = anchor.macroChain;
    added.push(finding);
    for (const member of idiom.members) {
      const plain = eventOf.get(member);
      if (plain) replaced.add(plain);
    }
  }
  return [...candidates.filter((finding) => !replaced.has(finding)), ...added];
}

function rangeAt(text: string, starts: readonly number[], offset: number, length: number): Finding['range'] {
  const position = (at: number): Position => {
    let line = 0;
    while (line + 1 < starts.length && starts[line + 1]! <= at) line++;
    return { line, character: at - starts[line]! };
  };
  return { start: position(offset), end: position(Math.min(text.length, offset + length)) };
}
