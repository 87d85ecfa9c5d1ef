// The GitHub Action (action.yml): its definition read with Debian's python3-yaml, then its own
// shell steps run here in order, the way a runner runs them (bash -eo pipefail, the inputs
// through each step's env), on fixture folders: the SARIF file is written and the step that fails
// follows `fail-on`.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sarifProblems } from '../cli/sarifShape';
import { FIXTURES, makeTempDir, readYaml, removeDir, ROOT, run } from './tools';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  shell?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
  'working-directory'?: string;
}

interface Action {
  inputs: Record<string, { default?: string; description?: string }>;
  runs: { using: string; steps: Step[] };
}

const INPUT_NAMES = ['paths', 'args', 'fail-on', 'sarif-file', 'upload'];

/** Replaces `${{ inputs.x }}` and `${{ github.action_path }}`; any other expression is an error. */
function substitute(text: string, inputs: Record<string, string>): string {
  return text.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_whole, expression: string) => {
    if (expression === 'github.action_path') return ROOT;
    const input = /^inputs\.([\w-]+)$/.exec(expression);
    if (input && input[1]! in inputs) return inputs[input[1]!]!;
    throw new Error(`unexpected expression in a shell step: ${expression}`);
  });
}

interface StepResult {
  name: string;
  status: number | null;
  output: string;
}

/** Runs the action's shell steps in order until one fails, as a runner would. */
function runShellSteps(action: Action, given: Record<string, string>, workspace: string): StepResult[] {
  const inputs: Record<string, string> = {};
  for (const [name, definition] of Object.entries(action.inputs)) inputs[name] = given[name] ?? definition.default ?? '';
  const results: StepResult[] = [];
  for (const step of action.runs.steps) {
    if (step.run === undefined) continue;
    assert.equal(step.shell, 'bash', `${step.name}: shell`);
    const env: NodeJS.ProcessEnv = { ...process.env, GITHUB_ACTION_PATH: ROOT, GITHUB_WORKSPACE: workspace, GITHUB_OUTPUT: path.join(workspace, '.github-output') };
    for (const [key, value] of Object.entries(step.env ?? {})) env[key] = substitute(value, inputs);
    const cwd = step['working-directory'] ? substitute(step['working-directory'], inputs) : workspace;
    const script = path.join(workspace, '.step.sh');
    fs.writeFileSync(script, step.run);
    const result = run('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { cwd, env, timeoutMs: 120_000 });
    fs.rmSync(script);
    results.push({ name: step.name ?? '?', status: result.status, output: result.output });
    if (result.status !== 0) break;
  }
  return results;
}

/** The name of the step that failed, or 'none'. */
function failedStep(results: StepResult[]): string {
  return results.find((r) => r.status !== 0)?.name ?? 'none';
}

function sarifRuleIds(file: string): string[] {
  const report = JSON.parse(fs.readFileSync(file, 'utf8')) as { runs: Array<{ results: Array<{ ruleId: string }> }> };
  return report.runs.flatMap((r) => r.results.map((result) => result.ruleId)).sort();
}

describe('package: the GitHub Action', function () {
  this.timeout(300_000);
  let action: Action;
  let workspace: string;

  before(() => {
    action = readYaml(path.join(ROOT, 'action.yml')) as Action;
  });

  beforeEach(() => {
    workspace = makeTempDir('action');
    fs.mkdirSync(path.join(workspace, 'errors'));
    fs.mkdirSync(path.join(workspace, 'warnings'));
    fs.mkdirSync(path.join(workspace, 'clean'));
    fs.copyFileSync(path.join(FIXTURES, 'restore.asm'), path.join(workspace, 'errors', 'restore.asm'));
    fs.writeFileSync(path.join(workspace, 'warnings', 'gdt.s'), '    .code32\n    sgdt (%eax)\n    cpuid\n    ret\n');
    fs.copyFileSync(path.join(FIXTURES, 'clean.asm'), path.join(workspace, 'clean', 'clean.asm'));
  });
  afterEach(() => removeDir(workspace));

  it('is a composite action with the five inputs, each one used, and no input spliced into a script', () => {
    assert.equal(action.runs.using, 'composite');
    assert.deepEqual(Object.keys(action.inputs).sort(), [...INPUT_NAMES].sort());
    const stepsText = JSON.stringify(action.runs.steps);
    for (const name of INPUT_NAMES) assert.ok(stepsText.includes(`inputs.${name}`), `input ${name} is never used`);
    for (const step of action.runs.steps) assert.ok(!(step.run ?? '').includes('${{'), `${step.name}: an expression inside run:`);
    const uses = action.runs.steps.map((s) => s.uses).filter((u) => u !== undefined);
    assert.ok(uses.some((u) => /^actions\/setup-node@v\d+$/.test(u!)), 'no setup-node step');
    const upload = action.runs.steps.find((s) => s.uses === 'github/codeql-action/upload-sarif@v3');
    assert.ok(upload, 'no upload-sarif@v3 step');
    assert.match(upload.if ?? '', /inputs\.upload == 'true'/);
    assert.equal(upload.with?.sarif_file, '${{ inputs.sarif-file }}');
    const upIndex = action.runs.steps.indexOf(upload);
    const checkIndex = action.runs.steps.findIndex((s) => (s.env ?? {}).INPUT_FAIL_ON !== undefined && s.run?.includes('node -'));
    assert.ok(checkIndex > upIndex, 'the failing step comes after the upload, so findings are uploaded first');
  });

  it('fail-on error: an error fails the check step after the SARIF is written', () => {
    const results = runShellSteps(action, { paths: 'errors', 'fail-on': 'error', 'sarif-file': 'out.sarif' }, workspace);
    assert.equal(failedStep(results), 'Check findings', JSON.stringify(results, null, 1));
    assert.deepEqual(sarifRuleIds(path.join(workspace, 'out.sarif')), ['popf']);
    assert.deepEqual(sarifProblems(JSON.parse(fs.readFileSync(path.join(workspace, 'out.sarif'), 'utf8'))), [], 'the uploaded SARIF passes the SARIF validator with GitHub rules');
    assert.match(results.at(-1)!.output, /1 errors, 0 warnings/);
  });

  it('fail-on never: the same error passes, and the report still holds it', () => {
    const results = runShellSteps(action, { paths: 'errors', 'fail-on': 'never' }, workspace);
    assert.equal(failedStep(results), 'none', JSON.stringify(results, null, 1));
    assert.deepEqual(sarifRuleIds(path.join(workspace, 'virtlint.sarif')), ['popf']);
  });

  it('warnings pass fail-on error and fail fail-on warning', () => {
    const lenient = runShellSteps(action, { paths: 'warnings', 'fail-on': 'error' }, workspace);
    assert.equal(failedStep(lenient), 'none', JSON.stringify(lenient, null, 1));
    assert.deepEqual(sarifRuleIds(path.join(workspace, 'virtlint.sarif')), ['sgdt']);
    const strict = runShellSteps(action, { paths: 'warnings', 'fail-on': 'warning' }, workspace);
    assert.equal(failedStep(strict), 'Check findings', JSON.stringify(strict, null, 1));
  });

  it('a clean folder passes fail-on warning with an empty report', () => {
    const results = runShellSteps(action, { paths: 'clean', 'fail-on': 'warning' }, workspace);
    assert.equal(failedStep(results), 'none', JSON.stringify(results, null, 1));
    assert.deepEqual(sarifRuleIds(path.join(workspace, 'virtlint.sarif')), []);
  });

  it('paths on several lines and args reach the command line', () => {
    const results = runShellSteps(action, { paths: 'clean\nwarnings\n', args: '--profile vm-detection-audit', 'fail-on': 'never' }, workspace);
    assert.equal(failedStep(results), 'none', JSON.stringify(results, null, 1));
    assert.deepEqual(sarifRuleIds(path.join(workspace, 'virtlint.sarif')), ['cpuid', 'sgdt']);
  });

  it('a file that cannot be linted counts as an error', () => {
    fs.writeFileSync(path.join(workspace, 'clean', 'blob.asm'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 1]));
    const results = runShellSteps(action, { paths: 'clean', 'fail-on': 'error' }, workspace);
    assert.equal(failedStep(results), 'Check findings', JSON.stringify(results, null, 1));
  });

  it('a bad fail-on value or a missing path fails the lint step itself, whatever fail-on says', () => {
    const badValue = runShellSteps(action, { paths: 'clean', 'fail-on': 'sometimes' }, workspace);
    assert.equal(failedStep(badValue), 'Lint');
    assert.equal(badValue.at(-1)!.status, 2);
    assert.match(badValue.at(-1)!.output, /fail-on must be error, warning or never/);
    const missing = runShellSteps(action, { paths: 'no-such-folder', 'fail-on': 'never' }, workspace);
    assert.equal(failedStep(missing), 'Lint');
    assert.equal(missing.at(-1)!.status, 2);
  });
});
