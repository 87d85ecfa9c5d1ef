// Checks a SARIF log against the parts of the SARIF 2.1.0 schema (OASIS, sarif-schema-2.1.0.json)
// that a producer like virtlint can get wrong: required properties, enums, minimums, and the
// cross-references (ruleIndex → rules[], uriBaseId → originalUriBaseIds). Returns the problems found.

type Json = Record<string, unknown>;

const LEVELS = ['none', 'note', 'warning', 'error'];

export function sarifProblems(log: unknown): string[] {
  const problems: string[] = [];
  const fail = (where: string, what: string) => problems.push(`${where}: ${what}`);
  if (!isObject(log)) return ['log: not an object'];
  if (log.version !== '2.1.0') fail('log.version', `must be "2.1.0", got ${JSON.stringify(log.version)}`);
  if (log.$schema !== undefined && !isAbsoluteUri(log.$schema)) fail('log.$schema', 'must be an absolute URI');
  if (!Array.isArray(log.runs)) return [...problems, 'log.runs: required array'];
  log.runs.forEach((run: unknown, r) => checkRun(run, `runs[${r}]`, fail));
  return problems;
}

function checkRun(run: unknown, where: string, fail: (where: string, what: string) => void): void {
  if (!isObject(run)) return fail(where, 'not an object');
  const tool = run.tool;
  if (!isObject(tool) || !isObject(tool.driver)) return fail(`${where}.tool.driver`, 'required object');
  const driver = tool.driver;
  if (typeof driver.name !== 'string' || driver.name === '') fail(`${where}.tool.driver.name`, 'required non-empty string');
  if (driver.informationUri !== undefined && !isAbsoluteUri(driver.informationUri)) fail(`${where}.tool.driver.informationUri`, 'must be an absolute URI');
  const rules = driver.rules === undefined ? [] : driver.rules;
  if (!Array.isArray(rules)) return fail(`${where}.tool.driver.rules`, 'must be an array');
  const ids = new Set<string>();
  rules.forEach((rule: unknown, i) => {
    const at = `${where}.tool.driver.rules[${i}]`;
    if (!isObject(rule) || typeof rule.id !== 'string') return fail(at, 'reportingDescriptor needs a string id');
    if (ids.has(rule.id)) fail(at, `duplicate rule id ${rule.id}`);
    ids.add(rule.id);
    for (const key of ['shortDescription', 'fullDescription', 'help']) {
      const message = rule[key];
      if (message !== undefined && (!isObject(message) || typeof message.text !== 'string')) fail(`${at}.${key}`, 'multiformatMessageString needs text');
    }
    if (rule.helpUri !== undefined && !isAbsoluteUri(rule.helpUri)) fail(`${at}.helpUri`, 'must be an absolute URI');
    const config = rule.defaultConfiguration;
    if (config !== undefined && (!isObject(config) || (config.level !== undefined && !LEVELS.includes(String(config.level))))) fail(`${at}.defaultConfiguration.level`, 'not a SARIF level');
    const tags = isObject(rule.properties) ? rule.properties.tags : undefined;
    if (tags !== undefined && (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string'))) fail(`${at}.properties.tags`, 'must be an array of strings');
  });
  const baseIds = isObject(run.originalUriBaseIds) ? run.originalUriBaseIds : {};
  for (const [id, location] of Object.entries(baseIds)) {
    if (!isObject(location) || typeof location.uri !== 'string' || !isAbsoluteUri(location.uri) || !location.uri.endsWith('/')) {
      fail(`${where}.originalUriBaseIds.${id}`, 'needs an absolute uri ending in /');
    }
  }
  if (run.invocations !== undefined) {
    if (!Array.isArray(run.invocations)) fail(`${where}.invocations`, 'must be an array');
    else run.invocations.forEach((inv: unknown, i) => {
      if (!isObject(inv) || typeof inv.executionSuccessful !== 'boolean') fail(`${where}.invocations[${i}]`, 'executionSuccessful is required');
      const notes = isObject(inv) ? inv.toolExecutionNotifications : undefined;
      if (Array.isArray(notes)) notes.forEach((n: unknown, k) => checkMessage(isObject(n) ? n.message : undefined, `${where}.invocations[${i}].toolExecutionNotifications[${k}].message`, fail));
    });
  }
  if (run.results === undefined) return;
  if (!Array.isArray(run.results)) return fail(`${where}.results`, 'must be an array');
  run.results.forEach((result: unknown, i) => {
    const at = `${where}.results[${i}]`;
    if (!isObject(result)) return fail(at, 'not an object');
    checkMessage(result.message, `${at}.message`, fail);
    if (result.level !== undefined && !LEVELS.includes(String(result.level))) fail(`${at}.level`, 'not a SARIF level');
    if (result.ruleIndex !== undefined) {
      const index = result.ruleIndex;
      if (!Number.isInteger(index) || (index as number) < -1) fail(`${at}.ruleIndex`, 'must be an integer >= -1');
      else if ((index as number) >= 0) {
        const rule = rules[index as number];
        if (!isObject(rule) || rule.id !== result.ruleId) fail(`${at}.ruleIndex`, `rules[${index}] is not ${String(result.ruleId)}`);
      }
    }
    if (!Array.isArray(result.locations)) return;
    result.locations.forEach((location: unknown, l) => checkLocation(location, `${at}.locations[${l}]`, baseIds, fail));
  });
}

function checkMessage(message: unknown, where: string, fail: (where: string, what: string) => void): void {
  if (!isObject(message) || (typeof message.text !== 'string' && typeof message.id !== 'string')) fail(where, 'message needs text or id');
}

function checkLocation(location: unknown, where: string, baseIds: Json, fail: (where: string, what: string) => void): void {
  if (!isObject(location)) return fail(where, 'not an object');
  const physical = location.physicalLocation;
  if (physical === undefined) return;
  if (!isObject(physical) || (physical.artifactLocation === undefined && physical.address === undefined)) {
    return fail(`${where}.physicalLocation`, 'needs artifactLocation or address');
  }
  const artifact = physical.artifactLocation;
  if (isObject(artifact)) {
    if (typeof artifact.uri !== 'string' || artifact.uri === '' || /[\s\\]/.test(artifact.uri)) fail(`${where}.artifactLocation.uri`, `not a URI reference: ${String(artifact.uri)}`);
    if (artifact.uriBaseId !== undefined && !(String(artifact.uriBaseId) in baseIds)) fail(`${where}.artifactLocation.uriBaseId`, 'not declared in originalUriBaseIds');
    if (artifact.uriBaseId === undefined && typeof artifact.uri === 'string' && !isAbsoluteUri(artifact.uri)) fail(`${where}.artifactLocation.uri`, 'relative URI without uriBaseId');
  }
  const region = physical.region;
  if (region === undefined) return;
  if (!isObject(region)) return fail(`${where}.region`, 'not an object');
  for (const key of ['startLine', 'startColumn', 'endLine', 'endColumn']) {
    const value = region[key];
    if (value !== undefined && (!Number.isInteger(value) || (value as number) < 1)) fail(`${where}.region.${key}`, 'must be an integer >= 1');
  }
  if (typeof region.startLine === 'number' && typeof region.endLine === 'number' && region.endLine < region.startLine) fail(`${where}.region`, 'endLine before startLine');
  if (region.startLine === region.endLine && typeof region.startColumn === 'number' && typeof region.endColumn === 'number' && region.endColumn < region.startColumn) {
    fail(`${where}.region`, 'endColumn before startColumn');
  }
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isAbsoluteUri(value: unknown): boolean {
  return typeof value === 'string' && /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(value) && URL.canParse(value);
}
