// Validates a SARIF log with Microsoft's SARIF Multitool (`@microsoft/sarif-multitool`, a dev
// dependency): the SARIF 2.1.0 schema, the SARIF rules, and GitHub code scanning's ingestion rules
// ("Gh"). Returns one line per error or warning the validator reports (notes are advice and kept
// out), plus the two cross-references it does not check: ruleIndex → rules[], and unique rule ids.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const MULTITOOL_PACKAGE = '@microsoft/sarif-multitool-linux';

function multitool(): string {
  const folder = path.dirname(require.resolve(`${MULTITOOL_PACKAGE}/package.json`));
  const binary = path.join(folder, 'Sarif.Multitool');
  if (!fs.existsSync(binary)) throw new Error(`${binary} is missing: run npm ci (the SARIF validator is a dev dependency)`);
  return binary;
}

interface ValidatorResult {
  ruleId?: string;
  level?: string;
  message?: { text?: string; id?: string; arguments?: string[] };
}

export function sarifProblems(log: unknown): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtlint-sarif-'));
  try {
    const input = path.join(dir, 'input.sarif');
    const output = path.join(dir, 'validation.sarif');
    fs.writeFileSync(input, JSON.stringify(log, null, 2));
    const run = spawnSync(multitool(), ['validate', '--rule-kind', 'Gh;Sarif', '-o', output, input], {
      encoding: 'utf8',
      timeout: 120_000,
      // The self-contained .NET build needs ICU unless told to use invariant culture.
      env: { ...process.env, DOTNET_SYSTEM_GLOBALIZATION_INVARIANT: '1', DOTNET_CLI_TELEMETRY_OPTOUT: '1' },
    });
    if (run.error) throw new Error(`the SARIF validator could not be run: ${run.error.message}`);
    if (!fs.existsSync(output)) throw new Error(`the SARIF validator wrote no result (exit ${run.status}):\n${run.stdout}${run.stderr}`);
    const validation = JSON.parse(fs.readFileSync(output, 'utf8')) as { runs: Array<{ results?: ValidatorResult[] }> };
    const problems: string[] = [];
    for (const result of validation.runs.flatMap((r) => r.results ?? [])) {
      const level = result.level ?? 'warning';
      if (level !== 'error' && level !== 'warning') continue;
      problems.push(`${level} ${result.ruleId}: ${(result.message?.arguments ?? []).join(' | ')}${result.message?.text ? ` ${result.message.text}` : ''}`);
    }
    return [...problems, ...crossReferenceProblems(log as SarifLog)];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

interface SarifLog {
  runs?: Array<{ tool?: { driver?: { rules?: Array<{ id?: string }> } }; results?: Array<{ ruleId?: string; ruleIndex?: number }> }>;
}

function crossReferenceProblems(log: SarifLog): string[] {
  const problems: string[] = [];
  (log.runs ?? []).forEach((run, r) => {
    const rules = run.tool?.driver?.rules ?? [];
    const seen = new Set<string>();
    rules.forEach((rule, i) => {
      if (rule.id !== undefined && seen.has(rule.id)) problems.push(`runs[${r}].tool.driver.rules[${i}]: duplicate rule id ${rule.id}`);
      if (rule.id !== undefined) seen.add(rule.id);
    });
    (run.results ?? []).forEach((result, i) => {
      if (result.ruleIndex === undefined) return;
      const id = rules[result.ruleIndex]?.id;
      if (id !== result.ruleId) problems.push(`runs[${r}].results[${i}].ruleIndex: rules[${result.ruleIndex}] is ${id ?? 'missing'}, not ${result.ruleId}`);
    });
  });
  return problems;
}
