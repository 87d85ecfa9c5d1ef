// The editor reads virtlint.config.json with the command line's loader: a glob with a `/` is matched
// against the path relative to the configuration, one without against the file name, and both
// shells agree on what a file gets.
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadWorkspaceConfig } from '../../server/src/lsp/projectConfig';

describe('unit: the editor reads the project configuration like the command line', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'virtlint-project-settings-'));
    mkdirSync(join(dir, 'boot', 'stage1'), { recursive: true });
    const config = {
      files: [
        { glob: 'boot/**/*.asm', bits: 16 },
        { glob: '*.inc', dialect: 'fasm' },
      ],
      ignore: ['third_party/**'],
    };
    writeFileSync(join(dir, 'virtlint.config.json'), JSON.stringify(config, null, 2));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function load(): ReturnType<typeof loadWorkspaceConfig> {
    const problems: string[] = [];
    const loaded = loadWorkspaceConfig(dir, (problem) => problems.push(problem));
    assert.deepEqual(problems, []);
    return loaded;
  }

  it('applies a glob with a slash to the files under its directory', () => {
    const settingsFor = load().options.settingsFor;
    assert.ok(settingsFor, 'the configuration gives per-file settings');
    assert.equal(settingsFor(join(dir, 'boot', 'stage1', 'mbr.asm'))?.bits, 16);
    assert.equal(settingsFor(join(dir, 'boot', 'loader.asm'))?.bits, 16);
    assert.equal(settingsFor(join(dir, 'kernel', 'boot', 'entry.asm')), undefined, 'the glob is anchored at the configuration');
    assert.equal(settingsFor(join(dir, 'main.asm')), undefined);
  });

  it('applies a glob without a slash to a file of that name anywhere', () => {
    const settingsFor = load().options.settingsFor!;
    assert.equal(settingsFor(join(dir, 'bios.inc'))?.dialect, 'fasm');
    assert.equal(settingsFor(join(dir, 'boot', 'stage1', 'bios.inc'))?.dialect, 'fasm');
    assert.deepEqual(settingsFor(join(dir, 'boot', 'stage1', 'bios.inc')), { dialect: 'fasm' }, 'boot/**/*.asm does not match a .inc');
  });

  it('ignores a directory named by a glob with a slash, and what is under it', () => {
    const config = load();
    assert.equal(config.isIgnored(join(dir, 'third_party', 'lib', 'x.asm')), true);
    assert.equal(config.isIgnored(join(dir, 'boot', 'third_party', 'x.asm')), false);
  });
});
