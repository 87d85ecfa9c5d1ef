// What the proof bench saw for one rule (proof/observed.json, written by the bench).
export interface Observation {
  /** Name of the bench case that exercised the rule. */
  case: string;
  /** One line: what happened when the instruction ran deprivileged. */
  observed: string;
  /** QEMU version the case ran on (a bare number or `qemu-system-x86_64 --version`'s first line). */
  qemu: string;
  /** Accelerator, e.g. `TCG` or `KVM`. */
  accel?: string;
  /** CPU mode of the case, e.g. `64-bit long mode`. */
  mode?: string;
  /** Every CPU model and mode that showed the behaviour, e.g. `QEMU 7.2.22 TCG and Bochs 2.7 (tigerlake), 32- and 64-bit`. */
  platform?: string;
  /** Where the CPU models behaved differently, one sentence each. */
  differences?: string[];
  /** What further modes (16-bit protected mode, virtual-8086 mode) showed, one note per case. */
  modeNotes?: ModeNote[];
}

export interface ModeNote {
  mode: string;
  case: string;
  observed: string;
}

export type ObservationMap = Readonly<Record<string, Observation>>;

/** "Observed on QEMU 7.2.22 TCG, 64-bit long mode (case `x`): ..." — one sentence for hover cards and docs pages. */
export function describeObservation(observation: Observation): string {
  const platform = observation.platform || [qemuName(observation.qemu), observation.accel].filter(Boolean).join(' ') + (observation.mode ? `, ${observation.mode}` : '');
  // The bench may repeat the platform at the start of its sentence ("under QEMU's TCG emulator (no KVM), 64-bit long mode: ...").
  const observed = observation.observed.replace(/^under (?:QEMU|Bochs)[^:]*:\s*/i, '');
  const differences = observation.differences?.length ? `; the CPU models differ: ${observation.differences.join('; ')}` : '';
  const notes = (observation.modeNotes ?? []).map((note) => `; ${note.mode} (case \`${note.case}\`): ${note.observed}`).join('');
  return `Observed on ${platform} (case \`${observation.case}\`): ${observed}${notes}${differences}`;
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
      const observation: Observation = { case: entry.case, observed: oneLine(entry.observed), qemu: oneLine(entry.qemu) };
      if (typeof entry.accel === 'string') observation.accel = oneLine(entry.accel);
      if (typeof entry.mode === 'string') observation.mode = oneLine(entry.mode);
      if (typeof entry.platform === 'string' && entry.platform !== '') observation.platform = oneLine(entry.platform);
      if (Array.isArray(entry.differences) && entry.differences.length > 0) observation.differences = entry.differences.filter((d): d is string => typeof d === 'string').map(oneLine);
      const modeNotes = Array.isArray(entry.modeNotes) ? entry.modeNotes.filter(isModeNote) : [];
      if (modeNotes.length > 0) observation.modeNotes = modeNotes.map((note) => ({ mode: oneLine(note.mode), case: note.case, observed: oneLine(note.observed) }));
      observations[ruleId] = observation;
    } else {
      problems.push(`${ruleId}: expected { case, observed, qemu } strings`);
    }
  }
  return { observations, problems };
}

/** `QEMU emulator version 7.2.22 (Debian ...)` → `QEMU 7.2.22`; `7.2 TCG` → `QEMU 7.2 TCG`. */
function qemuName(qemu: string): string {
  const banner = /qemu emulator version (\d+(?:\.\d+)*)/i.exec(qemu);
  if (banner) return `QEMU ${banner[1]}`;
  return /qemu/i.test(qemu) ? qemu : `QEMU ${qemu}`;
}

function isModeNote(value: unknown): value is ModeNote {
  const note = value as Partial<Record<keyof ModeNote, unknown>> | null;
  return !!note && typeof note === 'object' && typeof note.mode === 'string' && typeof note.case === 'string' && typeof note.observed === 'string';
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
