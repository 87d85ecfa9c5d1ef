// What the QEMU proof bench saw for one rule (proof/observed.json, written by the bench).
export interface Observation {
  /** Name of the bench case that exercised the rule. */
  case: string;
  /** One line: what happened when the instruction ran deprivileged. */
  observed: string;
  /** QEMU version (and accelerator, if the bench says) the case ran on. */
  qemu: string;
}

export type ObservationMap = Readonly<Record<string, Observation>>;

/** "observed on QEMU 7.2 TCG: ..." — one sentence for hover cards and docs pages. */
export function describeObservation(observation: Observation): string {
  const platform = /qemu/i.test(observation.qemu) ? observation.qemu : `QEMU ${observation.qemu}`;
  return `Observed on ${platform} (case \`${observation.case}\`): ${observation.observed}`;
}

/**
 * Reads proof/observed.json. Entries that do not have the expected shape are dropped and
 * reported in `problems`, so a half-written file from the bench cannot break the docs build.
 */
export function parseObservations(json: string): { observations: Record<string, Observation>; problems: string[] } {
  const observations: Record<string, Observation> = {};
  const problems: string[] = [];
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (error) {
    return { observations, problems: [`not valid JSON: ${(error as Error).message}`] };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return { observations, problems: ['top level is not an object'] };
  for (const [ruleId, value] of Object.entries(data as Record<string, unknown>)) {
    const entry = value as Partial<Record<keyof Observation, unknown>> | null;
    if (entry && typeof entry === 'object' && typeof entry.case === 'string' && typeof entry.observed === 'string' && typeof entry.qemu === 'string') {
      observations[ruleId] = { case: entry.case, observed: oneLine(entry.observed), qemu: oneLine(entry.qemu) };
    } else {
      problems.push(`${ruleId}: expected { case, observed, qemu } strings`);
    }
  }
  return { observations, problems };
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
