// ATT&CK and MBC identifiers of a rule as tags (`attack/T1497.001`, `mbc/B0009.034`), the same in
// JSON and SARIF. Only the VM-detection idioms have any.
import { ruleById } from '../analysis/catalogue';

export function taxonomyTags(ruleId: string | null): string[] {
  if (ruleId === null) return [];
  return (ruleById(ruleId)?.tags ?? []).map((tag) => `${tag.taxonomy === 'ATT&CK' ? 'attack' : 'mbc'}/${tag.id}`);
}
