// The VM-detection idioms of a document as findings. Only the `vm-detection-audit` profile runs
// them; there an instruction that is part of an idiom is reported once, as the idiom.
import { severityFor } from '../catalogue/index';
import { findSourceIdioms } from '../idioms/index';
import type { Policy } from './findings';
import type { Finding, ParsedInstruction } from '../types';
import type { LineTable } from '../text/lineTable';
import type { LineEntry } from './lineEntries';

/** Replaces the instruction findings that belong to an idiom with one finding for the idiom, and adds the idioms written as data. */
export function withIdioms(candidates: Finding[], instructions: readonly ParsedInstruction[], table: LineTable<LineEntry>, policy: Policy): Finding[] {
  const idioms: Finding[] = dataIdiomFindings(table, policy);
  const members = new Set<ParsedInstruction>();
  for (const idiom of findSourceIdioms(instructions)) {
    if (!policy.enabled.has(idiom.ruleId)) continue;
    const severity = severityFor(idiom.ruleId, policy.profile, policy.options.severities);
    if (severity === 'off') continue;
    const anchor = idiom.anchor;
    const finding: Finding = { ruleId: idiom.ruleId, severity, message: idiom.message, range: anchor.range, mnemonicRange: anchor.mnemonicRange, instruction: anchor };
    if (anchor.resolution?.status === 'ok') {
      finding.code = anchor.resolution.code;
      finding.codeName = anchor.resolution.codeName;
    }
    idioms.push(finding);
    for (const member of idiom.members) members.add(member);
  }
  if (idioms.length === 0) return candidates;
  const kept = candidates.filter((finding) => finding.instruction === undefined || !members.has(finding.instruction) || isMetaFinding(finding));
  return [...kept, ...idioms].sort(byPosition);
}

/** `db 0x0f, 0x3f, 0x07, 0x0b` and `db 'VMwareVMware'`: lines the parser reads as data. */
function dataIdiomFindings(table: LineTable<LineEntry>, policy: Policy): Finding[] {
  const found: Finding[] = [];
  table.chunks.forEach((chunk, index) => {
    const start = table.startOf(index);
    chunk.items.forEach((entry, offset) => {
      const idiom = entry.dataIdiom;
      if (!idiom || !policy.enabled.has(idiom.ruleId)) return;
      const severity = severityFor(idiom.ruleId, policy.profile, policy.options.severities);
      if (severity === 'off') return;
      const line = start + offset;
      const range = { start: { line, character: idiom.start }, end: { line, character: idiom.end } };
      found.push({ ruleId: idiom.ruleId, severity, message: idiom.message, range, mnemonicRange: range });
    });
  });
  return found;
}

function isMetaFinding(finding: Finding): boolean {
  return finding.ruleId === 'invalid-in-mode' || finding.ruleId === 'unknown-mnemonic' || finding.ruleId === 'unknown-rule';
}

function byPosition(a: Finding, b: Finding): number {
  return a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character;
}
