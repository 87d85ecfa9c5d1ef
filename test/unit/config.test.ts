// virtlint.config.json: what a valid file gives, and that every wrong key or type is named with
// the line and column where it is written. Also checks that the JSON schema editors use knows
// exactly the keys the parser accepts.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PROFILES } from '../../server/src/analysis/catalogue';
import { CONFIG_DIALECTS, CONFIG_MODES, fileSettings, parseConfig, type ConfigProblem } from '../../server/src/analysis/project/config';
import { RULE_IDS } from '../../server/src/analysis/types';
import { parseJsonText } from '../../server/src/analysis/project/jsonText';

const ROOT = path.resolve(__dirname, '..', '..', '..');

function problemsOf(text: string): ConfigProblem[] {
  const parsed = parseConfig(text);
  assert.equal(parsed.ok, false, 'expected the configuration to be refused');
  return parsed.ok ? [] : parsed.problems;
}

/** 1-based line and column of the first occurrence of `needle` in `text`. */
function positionOf(text: string, needle: string): { line: number; column: number } {
  const offset = text.indexOf(needle);
  assert.ok(offset >= 0, `fixture lacks ${needle}`);
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

const FULL = `{
  "$schema": "./node_modules/virtlint/schemas/virtlint.config.schema.json",
  "profile": "vm-detection-audit",
  "rules": ["core", "cpuid"],
  "severities": { "popf": "warning", "Extended": "off" },
  "includePaths": ["include", "../shared/include"],
  "defines": { "DEBUG": "1", "LEVEL": 3, "BARE": "" },
  "files": [
    { "glob": "boot/**/*.asm", "dialect": "fasm", "bits": 16 },
    { "glob": "*.S", "dialect": "gas" }
  ],
  "ignore": ["vendor", "build/**"],
  "extensions": { "asm_ia32": "nasm", ".asm_x86_64": "yasm" },
  "compileCommands": "build/compile_commands.json"
}
`;

describe('config: virtlint.config.json', () => {
  it('reads every key of a full configuration', () => {
    const parsed = parseConfig(FULL);
    assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.problems));
    assert.deepEqual(parsed.config, {
      profile: 'vm-detection-audit',
      rules: ['core', 'cpuid'],
      severities: { popf: 'warning', extended: 'off' },
      includePaths: ['include', '../shared/include'],
      defines: { DEBUG: '1', LEVEL: '3', BARE: '' },
      files: [
        { glob: 'boot/**/*.asm', dialect: 'fasm', bits: 16 },
        { glob: '*.S', dialect: 'gas' },
      ],
      ignore: ['vendor', 'build/**'],
      extensions: { '.asm_ia32': 'nasm', '.asm_x86_64': 'yasm' },
      compileCommands: 'build/compile_commands.json',
    });
  });

  it('an empty object is a valid configuration with nothing set', () => {
    const parsed = parseConfig('{}');
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.config, { severities: {}, includePaths: [], defines: {}, files: [], ignore: [], extensions: {} });
  });

  it('names an unknown key with its line and column', () => {
    const text = '{\n  "profile": "deprivileged-kernel",\n  "includePath": ["inc"]\n}\n';
    const problems = problemsOf(text);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!.message, /unknown key "includePath"/);
    assert.deepEqual({ line: problems[0]!.line, column: problems[0]!.column }, positionOf(text, '"includePath"'));
  });

  it('names each wrong type at the value, and reports them all', () => {
    const text = '{\n  "includePaths": "inc",\n  "files": [ { "glob": "a/*.asm", "bits": "16" } ],\n  "defines": { "X": true }\n}\n';
    const problems = problemsOf(text);
    const byMessage = (pattern: RegExp): ConfigProblem => {
      const found = problems.find((p) => pattern.test(p.message));
      assert.ok(found, `no problem matching ${pattern} in ${JSON.stringify(problems)}`);
      return found;
    };
    const paths = byMessage(/"includePaths" must be an array of strings, not a string/);
    assert.deepEqual({ line: paths.line, column: paths.column }, positionOf(text, '"inc"'));
    const bits = byMessage(/"files\[0\]\.bits" must be 16, 32 or 64, not a string/);
    assert.deepEqual({ line: bits.line, column: bits.column }, positionOf(text, '"16"'));
    const define = byMessage(/"defines\.X" must be a string or a whole number, not a boolean/);
    assert.deepEqual({ line: define.line, column: define.column }, positionOf(text, 'true'));
    assert.equal(problems.length, 3);
  });

  it('refuses values outside their sets: profile, rule ids, levels, dialects, bits', () => {
    const cases: [string, RegExp][] = [
      ['{"profile": "paranoid"}', /"profile": unknown profile "paranoid"/],
      ['{"rules": ["popf", "nosuch"]}', /"rules": unknown rule id nosuch/],
      ['{"severities": {"popf": "loud"}}', /"severities\.popf" must be error, warning, info, hint or off, not "loud"/],
      ['{"severities": {"nosuch": "off"}}', /"severities": unknown rule id "nosuch"/],
      ['{"files": [{"glob": "*.asm", "dialect": "tasm"}]}', /"files\[0\]\.dialect": unknown dialect "tasm"/],
      ['{"files": [{"glob": "*.asm", "bits": 8}]}', /"files\[0\]\.bits" must be 16, 32 or 64, not 8/],
      ['{"files": [{"dialect": "nasm"}]}', /"files\[0\]" needs a "glob"/],
      ['{"files": [{"glob": "*.asm", "cpu": 16}]}', /unknown key "cpu" in "files\[0\]" \(expected glob, dialect, bits, mode\)/],
      ['{"files": [{"glob": "*.asm", "mode": 16}]}', /"files\[0\]\.mode" must be a string, not a number/],
      ['{"extensions": {"a/b": "nasm"}}', /"extensions": "a\/b" is not a file extension/],
      ['{"defines": {"1X": "1"}}', /"defines": "1X" is not a macro name/],
      ['{"compileCommands": ""}', /"compileCommands" must not be empty/],
      ['{"ignore": [""]}', /"ignore\[0\]" must not be empty/],
      ['{"profile": "deprivileged-kernel", "profile": "vm-detection-audit"}', /"profile" is given twice/],
      ['[]', /"the configuration" must be an object, not an array/],
    ];
    for (const [text, pattern] of cases) {
      const problems = problemsOf(text);
      assert.ok(problems.some((p) => pattern.test(p.message)), `${text}: ${JSON.stringify(problems)}`);
      for (const problem of problems) assert.ok(problem.line >= 1 && problem.column >= 1);
    }
  });

  it('reads the execution mode, top level and per glob; refuses any other name at its value', () => {
    const text = '{\n  "mode": "real",\n  "files": [{ "glob": "pm/*.asm", "mode": "pm16" }, { "glob": "x/*.asm", "mode": "auto" }]\n}';
    const parsed = parseConfig(text);
    assert.ok(parsed.ok);
    assert.equal(parsed.config.mode, 'real');
    assert.deepEqual(parsed.config.files.map((rule) => rule.mode), ['pm16', 'auto']);
    // `auto` is a mode given as nothing: it takes back an earlier one (see mergeSettings).
    assert.deepEqual(fileSettings(undefined, undefined, 'auto'), { mode: undefined });
    assert.ok('mode' in fileSettings(undefined, undefined, 'auto'));
    assert.deepEqual(fileSettings(undefined, undefined, 'v86'), { mode: 'v86' });
    for (const mode of CONFIG_MODES) assert.ok(parseConfig(JSON.stringify({ mode })).ok, mode);
    const bad = '{ "mode": "protected",\n  "files": [{ "glob": "a", "mode": "v8086" }] }';
    assert.deepEqual(problemsOf(bad), [
      { message: '"mode": unknown mode "protected" (expected auto, real, v86, pm16, pm32, long)', ...positionOf(bad, '"protected"') },
      { message: '"files[0].mode": unknown mode "v8086" (expected auto, real, v86, pm16, pm32, long)', ...positionOf(bad, '"v8086"') },
    ]);
  });

  it('is strict JSON: comments and trailing commas are syntax errors with a position', () => {
    const comment = '{\n  // the profile\n  "profile": "deprivileged-kernel"\n}\n';
    const [problem] = problemsOf(comment);
    assert.match(problem!.message, /comments are not allowed/);
    assert.deepEqual({ line: problem!.line, column: problem!.column }, { line: 2, column: 3 });
    const trailing = '{\n  "ignore": ["a",]\n}';
    assert.match(problemsOf(trailing)[0]!.message, /trailing comma/);
    assert.match(problemsOf('{"ignore": ["a"]')[0]!.message, /end of file/);
    assert.match(problemsOf('{"ignore": "unterminated}')[0]!.message, /unterminated string/);
  });

  it('agrees with JSON.parse on what is valid JSON', () => {
    const samples = [FULL, '{"a": -0.5e+3, "b": [true, false, null], "c": "\\u00e9\\n\\"q\\""}', '  [1, {"x": {}}]  ', '"\\u12"', '{"a": 01}', '{"a": 1.}', '[1 2]', '\ufeff{}'];
    for (const text of samples) {
      let expected: unknown;
      try {
        expected = JSON.parse(text.replace(/^\ufeff/, ''));
      } catch {
        expected = 'invalid';
      }
      let got: unknown;
      try {
        got = plain(parseJsonText(text));
      } catch {
        got = 'invalid';
      }
      assert.deepEqual(got, expected, text);
    }
  });

  it('survives deep nesting and garbage without throwing', () => {
    const deep = '['.repeat(100_000);
    assert.equal(parseConfig(deep).ok, false);
    for (const text of ['', '\u0000', '{"a"', '{"a":}', '{,}', 'nul', '{"profile": "\\x"}']) assert.equal(parseConfig(text).ok, false, JSON.stringify(text));
  });

  it('hypercallDefinitionsFolder: a relative folder an include can name, the same values the schema allows', () => {
    const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schemas', 'virtlint.config.schema.json'), 'utf8')) as { properties: Record<string, { pattern?: string }> };
    const pattern = new RegExp(schema.properties.hypercallDefinitionsFolder!.pattern!);
    for (const folder of ['include', 'asm/include', '../shared/inc', 'v1.2_x+y@z-w']) {
      const parsed = parseConfig(JSON.stringify({ hypercallDefinitionsFolder: folder }));
      assert.ok(parsed.ok && parsed.config.hypercallDefinitionsFolder === folder, folder);
      assert.ok(pattern.test(folder), `the schema takes ${folder}`);
    }
    for (const folder of ['/abs/include', 'my include', 'a"b', "a'b", 'a\\b']) {
      const parsed = parseConfig(JSON.stringify({ hypercallDefinitionsFolder: folder }));
      assert.ok(!parsed.ok && /hypercallDefinitionsFolder/.test(parsed.problems[0]!.message), folder);
      assert.ok(!pattern.test(folder), `the schema refuses ${folder}`);
    }
    const empty = parseConfig('{"hypercallDefinitionsFolder": ""}');
    assert.ok(empty.ok && empty.config.hypercallDefinitionsFolder === undefined, 'empty: next to the fixed file');
  });

  it('the JSON schema describes exactly the keys the parser takes', () => {
    const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schemas', 'virtlint.config.schema.json'), 'utf8')) as {
      additionalProperties: boolean;
      properties: Record<string, { items?: { properties?: Record<string, unknown>; additionalProperties?: boolean } }>;
    };
    assert.equal(schema.additionalProperties, false);
    const keys = Object.keys(schema.properties).sort();
    assert.deepEqual(keys, ['$schema', 'compileCommands', 'defines', 'definesComplete', 'extensions', 'files', 'hypercallDefinitionsFolder', 'ignore', 'includePaths', 'mode', 'profile', 'rules', 'severities']);
    for (const key of keys) {
      const problems = parseConfig(JSON.stringify({ [key]: 42 })).ok ? [] : ['refused'];
      assert.deepEqual(problems, ['refused'], `${key}: 42 is the wrong type for every key`);
    }
    assert.deepEqual(Object.keys(schema.properties.files!.items!.properties!).sort(), ['bits', 'dialect', 'glob', 'mode']);
    assert.equal(schema.properties.files!.items!.additionalProperties, false);
    assert.ok(parseConfig(JSON.stringify({ $schema: 'x', files: [{ glob: 'a', dialect: 'nasm', bits: 32 }] })).ok);
  });
});

function plain(node: ReturnType<typeof parseJsonText>): unknown {
  switch (node.kind) {
    case 'object':
      return Object.fromEntries(node.members.map((m) => [m.key, plain(m.value)]));
    case 'array':
      return node.items.map(plain);
    case 'null':
      return null;
    default:
      return node.value;
  }
}

describe('config: the JSON schema follows the catalogue', () => {
  it('lists every rule id, profile and dialect the parser accepts', () => {
    const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schemas', 'virtlint.config.schema.json'), 'utf8'));
    assert.deepEqual(schema.properties.rules.items.enum, [...RULE_IDS, 'core', 'extended', 'all']);
    assert.deepEqual(schema.properties.severities.propertyNames.enum, [...RULE_IDS, 'core', 'extended', 'meta', 'all']);
    assert.deepEqual(schema.properties.profile.enum, [...PROFILES]);
    assert.deepEqual(schema.properties.files.items.properties.dialect.enum, [...CONFIG_DIALECTS]);
    assert.deepEqual(schema.properties.mode.enum, [...CONFIG_MODES]);
    assert.deepEqual(schema.properties.files.items.properties.mode.enum, [...CONFIG_MODES]);
    assert.deepEqual(schema.properties.extensions.additionalProperties.enum, [...CONFIG_DIALECTS]);
  });
});

describe('config: the documentation', () => {
  it('the example configuration in docs/configuration.md is valid', () => {
    const doc = fs.readFileSync(path.join(ROOT, 'docs', 'configuration.md'), 'utf8');
    const example = /## virtlint\.config\.json[\s\S]*?```json\n([\s\S]*?)```/.exec(doc)?.[1];
    assert.ok(example, 'no json example under "virtlint.config.json"');
    const parsed = parseConfig(example);
    assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.problems));
    assert.deepEqual(parsed.config.files, [
      { glob: 'boot/**/*.asm', dialect: 'fasm', bits: 16 },
      { glob: '*.S', dialect: 'gas' },
    ]);
  });

  it('documents every key of the schema', () => {
    const doc = fs.readFileSync(path.join(ROOT, 'docs', 'configuration.md'), 'utf8');
    const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schemas', 'virtlint.config.schema.json'), 'utf8'));
    for (const key of Object.keys(schema.properties)) assert.ok(doc.includes(`| \`${key}\` |`), `docs/configuration.md has no row for ${key}`);
  });
});
