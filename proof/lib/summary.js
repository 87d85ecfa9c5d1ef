'use strict';
// What a run of the bench adds up to: the per-result lines, the differences between CPU
// models, the summary line and the observed.json entries the docs and hovers cite.

const RULE_COUNT = 25;

const MODE_NAMES = { 32: '32-bit protected mode', 64: '64-bit long mode' };

/** "32- and 64-bit", "64-bit", ... for a set of bitnesses. */
function modesText(bitsList) {
  const sorted = [...new Set(bitsList)].sort((a, b) => a - b);
  if (sorted.length === 0) return '';
  if (sorted.length === 1) return `${sorted[0]}-bit`;
  return `${sorted.slice(0, -1).map((b) => `${b}-`).join(', ')} and ${sorted[sorted.length - 1]}-bit`;
}

/** A passing rule case run in the rule's own modes (32-bit protected mode, long mode): it shows the catalogue's claim. */
function isDemonstration(r) {
  return r.failures.length === 0 && r.c.kind !== 'fix' && r.c.modeName === undefined && !r.notDemonstrated && (!r.c.coversIn || r.c.coversIn.includes(r.bits));
}

/**
 * A passing case of a further mode (16-bit protected mode, virtual-8086 mode): it shows what the
 * instruction does there, which may be the opposite of the claim (a trap), so it is reported as
 * a note of its own and does not count as covering the rule.
 */
function isModeNote(r) {
  return r.failures.length === 0 && r.c.kind !== 'fix' && r.c.modeName !== undefined;
}

/** One line per result: `ok   <model> <case>: <what was seen>` and the failures under it. */
function resultLines(results) {
  const lines = [];
  for (const r of results) {
    const ok = r.failures.length === 0;
    lines.push(`${ok ? 'ok  ' : 'FAIL'} ${r.model.padEnd(8)} ${r.id}: ${ok ? r.observed || r.c.claim : 'expected: ' + r.c.claim}`);
    for (const f of r.failures) lines.push(`       - ${f}`);
  }
  return lines;
}

/**
 * Where the models did not behave alike: for each case, mode and behaviour key its judge
 * recorded, the models that passed it with different values, each with its own description.
 */
function modelDifferences(results, models) {
  const label = (id) => models.find((m) => m.id === id)?.label ?? id;
  const groups = new Map();
  for (const r of results) {
    if (r.failures.length > 0) continue;
    for (const [key, b] of Object.entries(r.behaviours ?? {})) {
      const k = `${r.id}\u0000${key}`;
      if (!groups.has(k)) groups.set(k, { rule: r.c.rule, case: r.id, key, seen: [] });
      groups.get(k).seen.push({ model: r.model, bits: r.bits, ...b });
    }
  }
  // one entry per rule and key; modes where the models differed alike are merged
  const merged = new Map();
  for (const g of groups.values()) {
    if (new Set(g.seen.map((s) => s.value)).size < 2) continue;
    const ordered = g.seen.slice().sort((a, b) => models.findIndex((m) => m.id === a.model) - models.findIndex((m) => m.id === b.model));
    const body = ordered.map((s) => `${label(s.model)}: ${s.text}`).join('; ');
    const k = `${g.rule}\u0000${g.key}\u0000${body}`;
    if (!merged.has(k)) merged.set(k, { rule: g.rule, case: g.case.replace(/-(32|64)$/, ''), key: g.key, bits: [], body });
    merged.get(k).bits.push(ordered[0].bits);
  }
  return [...merged.values()].map((d) => ({ rule: d.rule, case: d.case, key: d.key, text: `${modesText(d.bits)}: ${d.body}` }));
}

/** The fix cases that passed on every model they ran on. */
function provenFixes(results) {
  const byId = new Map();
  for (const r of results) {
    if (r.c.kind !== 'fix') continue;
    byId.set(r.id, (byId.get(r.id) ?? true) && r.failures.length === 0);
  }
  return [...byId.values()].filter(Boolean).length;
}

/** "32- and 64-bit", then the further modes: "32- and 64-bit, 16-bit protected mode and virtual-8086 mode". */
function allModesText(demonstrations, notes) {
  const further = [...new Set(notes.map((r) => r.c.modeName))];
  const bits = modesText(demonstrations.map((r) => r.bits));
  if (further.length === 0) return bits;
  const listed = further.length === 1 ? further[0] : `${further.slice(0, -1).join(', ')} and ${further[further.length - 1]}`;
  return bits === '' ? listed : `${bits}, ${listed}`;
}

/** `QEMU 7.2.22 TCG and Bochs 2.7 (tigerlake), 32- and 64-bit`: where a rule's behaviour was shown (and its further modes run). */
function platformText(demonstrations, models, notes = []) {
  const perModel = models
    .map((m) => ({ label: m.label, modes: allModesText(demonstrations.filter((r) => r.model === m.id), notes.filter((r) => r.model === m.id)) }))
    .filter((m) => m.modes !== '');
  if (perModel.length === 0) return '';
  const sameModes = perModel.every((m) => m.modes === perModel[0].modes);
  if (sameModes) return `${perModel.map((m) => m.label).join(' and ')}, ${perModel[0].modes}`;
  return perModel.map((m) => `${m.label} (${m.modes})`).join(' and ');
}

/** The observed.json entry of one rule from its passing rule-case results on every model. */
function ruleObservation(rule, results, models, differences) {
  const notes = results.filter((r) => r.c.rule === rule && isModeNote(r));
  const runs = results.filter((r) => r.c.rule === rule && r.c.kind !== 'fix' && r.c.modeName === undefined && r.failures.length === 0);
  if (runs.length === 0) return undefined;
  const demonstrations = runs.filter(isDemonstration);
  const order = (r) => models.findIndex((m) => m.id === r.model) * 2 + (r.bits === 64 ? 0 : 1);
  // the docs quote one run: a demonstrating one, first model first, long mode first
  const primary = [...(demonstrations.length > 0 ? demonstrations : runs)].sort((a, b) => order(a) - order(b))[0];
  const model = models.find((m) => m.id === primary.model);
  const demonstrated = demonstrations.length > 0;
  const entry = {
    case: primary.id,
    observed: `${model.prose}, ${MODE_NAMES[primary.bits]}: ${demonstrated ? '' : 'not demonstrable on this CPU model: '}${primary.observed}`,
    model: model.id,
    mode: MODE_NAMES[primary.bits],
    platform: platformText(demonstrations, models, notes),
    models: {},
    differences: differences.filter((d) => d.rule === rule).map((d) => d.text),
  };
  const modeNotes = modeNotesOf(notes, models);
  if (modeNotes.length > 0) entry.modeNotes = modeNotes;
  for (const m of models) {
    if (m.id === 'qemu-tcg') {
      entry.qemu = m.version;
      entry.accel = 'TCG';
    } else {
      entry[m.id] = m.version;
    }
    const own = runs.filter((r) => r.model === m.id).sort((a, b) => order(a) - order(b));
    if (own.length === 0) continue;
    const shown = own.filter(isDemonstration);
    const quoted = shown[0] ?? own[0];
    entry.models[m.id] = {
      version: m.version,
      cpu: m.cpu,
      case: quoted.id,
      modes: shown.map((r) => MODE_NAMES[r.bits]).sort().concat(notes.filter((r) => r.model === m.id).map((r) => r.c.modeName)),
      demonstrated: shown.length > 0,
      observed: quoted.observed,
    };
  }
  return entry;
}

/** One note per further-mode case: its mode, case, the models it passed on and what the first of them showed. */
function modeNotesOf(notes, models) {
  const byCase = new Map();
  const ordered = notes.slice().sort((a, b) => models.findIndex((m) => m.id === a.model) - models.findIndex((m) => m.id === b.model));
  for (const r of ordered) {
    if (!byCase.has(r.id)) byCase.set(r.id, { mode: r.c.modeName, case: r.id, models: [], observed: r.observed });
    byCase.get(r.id).models.push(r.model);
  }
  return [...byCase.values()];
}

/**
 * Everything the run adds up to. `models` are the described models that ran
 * ({ id, label, version, cpu, prose }); `setupFailures` are problems outside any case.
 */
function summarise(results, setupFailures, models) {
  const passed = results.filter((r) => r.failures.length === 0).length;
  const covered = new Set(results.filter(isDemonstration).map((r) => r.c.rule));
  const differences = modelDifferences(results, models);
  const observed = {};
  const rules = [...new Set(results.filter((r) => r.c.kind !== 'fix').map((r) => r.c.rule))].sort();
  for (const rule of rules) {
    const entry = ruleObservation(rule, results, models, differences);
    if (entry) observed[rule] = entry;
  }
  const failed = results.length - passed + setupFailures.length;
  const total = results.length + setupFailures.length;
  const complete = failed === 0 && Object.keys(observed).length === RULE_COUNT;
  const line = `proof: ${total} cases, ${passed} passed, ${failed} failed; rules covered ${covered.size}/${RULE_COUNT}; fixes proven ${provenFixes(results)}; models: ${models.map((m) => m.id).join(', ')}`;
  return { line, failed, covered, differences, observed, complete };
}

module.exports = { summarise, resultLines, modelDifferences, modesText, platformText, RULE_COUNT };
