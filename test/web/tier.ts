// The web tier's bookkeeping: named checks, each passing or failing, and the summary line.

export interface Check {
  title: string;
  run(): Promise<void>;
}

export interface Outcome {
  passed: string[];
  failed: { title: string; error: string }[];
}

export async function runChecks(checks: readonly Check[], outcome: Outcome): Promise<void> {
  for (const check of checks) {
    try {
      await check.run();
      outcome.passed.push(check.title);
      console.log(`  ok   ${check.title}`);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      outcome.failed.push({ title: check.title, error: message });
      console.log(`  FAIL ${check.title}: ${message}`);
    }
  }
}

/** A check that cannot run (its setup failed) is a failure, never a skip. */
export function failAll(checks: readonly Check[], why: string, outcome: Outcome): void {
  for (const check of checks) {
    outcome.failed.push({ title: check.title, error: why });
    console.log(`  FAIL ${check.title}: ${why}`);
  }
}
