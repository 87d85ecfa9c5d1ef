// The server's pure pieces, without a process: settings, globs, suppression comments.
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { globProblem, matchGlob } from '../../server/src/lsp/glob';
import fc from 'fast-check';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { analysisOptionsFor, inRange, OpenDocument, skipReasonFor } from '../../server/src/lsp/documents';
import { DEFAULT_SETTINGS, SETTINGS } from '../../server/src/lsp/settings';
import { applyWorkspaceTrust, MAX_OVERRIDES, normalizeSettings, readWorkspaceTrust } from '../../server/src/lsp/settingsReader';
import { insertedComment as commentFor } from '../../server/src/analysis';
import { disableForFileEdit, disableForLineEdit } from '../../server/src/lsp/suppressions';
import { applyTextEdits, PROJECT_ROOT } from './client';
import { linesOfText } from '../../server/src/analysis/fixes/index';

const asLines = (lines: readonly string[]) => linesOfText(lines.join('\n'));

describe('lsp units: settings', () => {
  it('fills every missing or invalid value with its default', () => {
    assert.deepEqual(normalizeSettings(undefined), DEFAULT_SETTINGS);
    assert.deepEqual(normalizeSettings('garbage'), DEFAULT_SETTINGS);
    const odd = normalizeSettings({ enable: 'yes', run: 'sometimes', profile: 'x', rules: { popf: 'loud', cpuid: 'off' }, maxFileSize: -4, overrides: [null, { files: 3 }, { files: '*.S', bits: 17, dialect: 'gas-att' }] });
    assert.equal(odd.enable, true);
    assert.equal(odd.run, 'onType');
    assert.equal(odd.profile, 'deprivileged-kernel');
    assert.deepEqual(odd.rules, { cpuid: 'off' });
    assert.equal(odd.maxFileSize, DEFAULT_SETTINGS.maxFileSize);
    assert.deepEqual(odd.overrides, [{ files: '*.S', dialect: 'gas-att' }]);
    for (const bad of [0, -1, 2.5, '300', null]) assert.equal(normalizeSettings({ maxDiagnostics: bad }).maxDiagnostics, 1000, `maxDiagnostics ${String(bad)}`);
    assert.equal(normalizeSettings({ maxDiagnostics: 20000 }).maxDiagnostics, 20000);
  });

  it('reads fix settings nested (VS Code) or flattened with dots', () => {
    assert.deepEqual(normalizeSettings({ fix: { abi: 'xen', fixAllStrategy: 'trap' } }).fix, { abi: 'xen', customTemplate: '', fixAllStrategy: 'trap', hypercallNumbers: 'file', hypercallDefinitionsFolder: '' });
    assert.deepEqual(normalizeSettings({ 'fix.abi': 'hyperv', 'fix.customTemplate': 'vmcall', 'fix.hypercallNumbers': 'inline', 'fix.hypercallDefinitionsFolder': ' include ' }).fix, { abi: 'hyperv', customTemplate: 'vmcall', fixAllStrategy: 'none', hypercallNumbers: 'inline', hypercallDefinitionsFolder: 'include' });
    assert.equal(normalizeSettings({ fix: { hypercallNumbers: 'header' } }).fix.hypercallNumbers, 'file', 'an unknown value falls back to the default');
  });

  it('reads virtlint.mode and per-glob modes, and passes them to the analysis', () => {
    assert.equal(normalizeSettings({ mode: 'real' }).mode, 'real');
    assert.equal(normalizeSettings({ mode: 'protected' }).mode, 'auto', 'an unknown value falls back to auto');
    const settings = normalizeSettings({ mode: 'pm16', overrides: [{ files: 'boot/**', mode: 'real' }, { files: 'x.asm', mode: 'weird' }] });
    assert.deepEqual(settings.overrides, [{ files: 'boot/**', mode: 'real' }, { files: 'x.asm' }]);
    assert.equal(analysisOptionsFor(settings, 'file:///ws/kernel.asm', ['/ws']).mode, 'pm16');
    assert.equal(analysisOptionsFor(settings, 'file:///ws/boot/mbr.asm', ['/ws']).mode, 'real');
    assert.equal(analysisOptionsFor(DEFAULT_SETTINGS, 'file:///ws/kernel.asm', ['/ws']).mode, undefined, 'auto leaves it to the analysis');
  });

  it('describes every setting, with defaults equal to DEFAULT_SETTINGS', () => {
    const keys = SETTINGS.map((s) => s.key);
    // Most important first: the Settings UI shows them in this order.
    assert.deepEqual(keys, ['virtlint.profile', 'virtlint.mode', 'virtlint.enable', 'virtlint.run', 'virtlint.ruleSelection', 'virtlint.rules', 'virtlint.fix.abi', 'virtlint.fix.fixAllStrategy', 'virtlint.fix.customTemplate', 'virtlint.fix.hypercallNumbers', 'virtlint.fix.hypercallDefinitionsFolder', 'virtlint.languages.c', 'virtlint.languages.cpp', 'virtlint.languages.rust', 'virtlint.inlineAsm.syntax', 'virtlint.overrides', 'virtlint.includeInt3', 'virtlint.reportUnknownMnemonics', 'virtlint.maxFileSize', 'virtlint.maxDiagnostics']);
    for (const setting of SETTINGS) {
      assert.ok(setting.description.length > 20, `${setting.key} has a description`);
      const path = setting.key.replace(/^virtlint\./, '').split('.');
      let value: unknown = DEFAULT_SETTINGS;
      for (const part of path) value = (value as Record<string, unknown>)[part];
      assert.deepEqual(value, setting.default, `${setting.key} default`);
    }
  });

  it('matches the package.json contribution (the client copies the list)', () => {
    const manifest = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { contributes?: { configuration?: { properties?: Record<string, { default?: unknown; enum?: string[] }> } | Array<{ properties?: Record<string, { default?: unknown; enum?: string[] }> }> } };
    const sections = manifest.contributes?.configuration;
    const properties = Object.assign({}, ...(Array.isArray(sections) ? sections : [sections]).map((s) => s?.properties ?? {})) as Record<string, { default?: unknown; enum?: string[] }>;
    for (const setting of SETTINGS) {
      const contributed = properties[setting.key];
      assert.ok(contributed, `${setting.key} is contributed in package.json`);
      assert.deepEqual(contributed.default, setting.default, `${setting.key} default agrees`);
      if (setting.enum) assert.deepEqual(contributed.enum, [...setting.enum], `${setting.key} enum agrees`);
    }
  });
});

describe('lsp units: workspace trust', () => {
  it('restricts exactly the settings that decide the code virtlint writes into files', () => {
    // Reviewed: the others choose what is reported, never what is inserted or run.
    const restricted = SETTINGS.filter((setting) => setting.restricted).map((setting) => setting.key);
    assert.deepEqual([...restricted].sort(), ['virtlint.fix.abi', 'virtlint.fix.customTemplate', 'virtlint.fix.fixAllStrategy', 'virtlint.fix.hypercallDefinitionsFolder', 'virtlint.fix.hypercallNumbers']);
    for (const setting of SETTINGS) {
      assert.equal(/user settings/.test(setting.description), setting.restricted === true, `${setting.key} says whether a workspace value counts`);
    }
  });

  it('takes a client that says nothing about trust as trusted, and anything unclear as untrusted', () => {
    assert.equal(readWorkspaceTrust(undefined).trusted, true);
    assert.equal(readWorkspaceTrust({ trusted: true }).trusted, true);
    for (const unclear of [{}, { trusted: 'yes' }, { trusted: false }, 'garbage', 1]) assert.equal(readWorkspaceTrust(unclear).trusted, false, JSON.stringify(unclear));
  });

  it('in an untrusted workspace, keeps only the user values of the restricted settings', () => {
    const fromWorkspace = normalizeSettings({ profile: 'vm-detection-audit', fix: { abi: 'custom', customTemplate: 'call evil', fixAllStrategy: 'hypercall', hypercallNumbers: 'inline', hypercallDefinitionsFolder: '../../outside' } });
    const untrusted = applyWorkspaceTrust(fromWorkspace, readWorkspaceTrust({ trusted: false, userSettings: { fix: { abi: 'custom', customTemplate: 'vmcall ; mine' } } }));
    assert.deepEqual(untrusted.settings.fix, { abi: 'custom', customTemplate: 'vmcall ; mine', fixAllStrategy: 'none', hypercallNumbers: 'file', hypercallDefinitionsFolder: '' });
    assert.equal(untrusted.settings.profile, 'vm-detection-audit', 'settings that insert nothing keep the workspace value');
    assert.deepEqual([...untrusted.ignored].sort(), ['virtlint.fix.customTemplate', 'virtlint.fix.fixAllStrategy', 'virtlint.fix.hypercallDefinitionsFolder', 'virtlint.fix.hypercallNumbers']);
    assert.equal(fromWorkspace.fix.customTemplate, 'call evil', 'the input is not modified');
    const trusted = applyWorkspaceTrust(fromWorkspace, readWorkspaceTrust({ trusted: true }));
    assert.deepEqual(trusted, { settings: fromWorkspace, ignored: [] });
  });
});

describe('lsp units: overrides by glob', () => {
  it('matches base names, ** and braces', () => {
    const matches = (glob: string, path: string) => matchGlob(glob, path) === 'match';
    assert.ok(matches('*.S', '/src/boot/entry.S'));
    assert.ok(!matches('*.S', '/src/boot/entry.s'));
    assert.ok(matches('boot/**/*.{asm,inc}', 'boot/x/y/a.inc'));
    assert.ok(matches('boot/**/*.{asm,inc}', 'boot/a.asm'));
    assert.ok(!matches('boot/**/*.asm', 'kernel/a.asm'));
    assert.ok(matches('**/real?.asm', '/w/real1.asm'));
    assert.ok(matches('legacy/*.asm', '/ws/legacy/a.asm'), 'a glob that is not rooted matches below any folder');
    assert.ok(matches('**/*.asm', 'C:\\ws\\.config\\a.asm'), 'backslashes and dot folders');
    assert.ok(matches('**/'.repeat(14) + '*.asm', '/w/' + 'd/'.repeat(40) + 'x.asm'), 'repeated **/ collapse into one');
    assert.ok(matches('*a*a*a*a*ab', 'aaaaab'), 'many wildcards are fine against a short name');
  });

  it('names the problem of a glob that cannot be used, and matches nothing with it', () => {
    assert.match(globProblem('[z-a].asm') ?? '', /Invalid regular expression|Range out of order/);
    assert.equal(matchGlob('[z-a].asm', 'a.asm'), 'no-match');
    assert.match(globProblem('') ?? '', /empty/);
    assert.match(globProblem('a'.repeat(2000)) ?? '', /longer than/);
    assert.equal(globProblem('boot/**/*.{asm,inc}'), undefined);
  });

  it('drops overrides with unusable globs (and past the limit), saying why once per load', () => {
    const problems: string[] = [];
    const settings = normalizeSettings({ overrides: [{ files: '[z-a].asm', bits: 16 }, { files: '*.S', dialect: 'gas-att' }] }, (problem) => problems.push(problem));
    assert.deepEqual(settings.overrides, [{ files: '*.S', dialect: 'gas-att' }]);
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /virtlint\.overrides: ignoring the glob "\[z-a\]\.asm"/);
    const many = Array.from({ length: MAX_OVERRIDES + 5 }, (_, i) => ({ files: `f${i}.asm`, bits: 16 }));
    const capped: string[] = [];
    assert.equal(normalizeSettings({ overrides: many }, (problem) => capped.push(problem)).overrides.length, MAX_OVERRIDES);
    assert.match(capped.join('\n'), new RegExp(`only the first ${MAX_OVERRIDES} of ${MAX_OVERRIDES + 5}`));
  });

  it('costs each match first: globs that would backtrack for hours are skipped and reported (child process, killed if it hangs)', () => {
    const lspOut = resolve(__dirname, '..', '..', 'server', 'src', 'lsp');
    const script = `
      const { analysisOptionsFor } = require(${JSON.stringify(join(lspOut, 'documents.js'))});
      const { normalizeSettings } = require(${JSON.stringify(join(lspOut, 'settingsReader.js'))});
      const settings = normalizeSettings({ overrides: [
        { files: '*a'.repeat(14) + 'b', bits: 16 },
        { files: '**/x/'.repeat(14) + 'y', bits: 16 },
        { files: '**/'.repeat(14) + '*.asm', dialect: 'masm' },
      ] });
      const problems = [];
      const uri = 'file:///ws/' + 'x/'.repeat(100) + 'a'.repeat(200) + 'b.asm';
      const options = analysisOptionsFor(settings, uri, ['/ws'], (problem) => problems.push(problem));
      process.stdout.write(JSON.stringify({ bits: options.bits, dialect: options.dialect, problems }));
    `;
    // Without the cost check, either glob backtracks for far longer than this: a hang fails here.
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
    assert.equal(run.signal, null, 'the match finished instead of being killed');
    assert.equal(run.status, 0, run.stderr);
    const outcome = JSON.parse(run.stdout) as { bits?: number; dialect?: string; problems: string[] };
    assert.equal(outcome.bits, undefined, 'the pathological overrides do not apply');
    assert.equal(outcome.dialect, 'masm', 'a sane override in the same list still applies');
    assert.equal(outcome.problems.length, 2);
    for (const problem of outcome.problems) assert.match(problem, /too costly to match/);
  });

  it('turns overrides into analysis options, the last matching one winning', () => {
    const settings = normalizeSettings({ overrides: [{ files: '**/*.asm', dialect: 'nasm', bits: 64 }, { files: 'legacy/*.asm', bits: 16 }], rules: { popf: 'error' }, profile: 'vm-detection-audit' });
    const options = analysisOptionsFor(settings, 'file:///ws/legacy/a.asm', ['/ws']);
    assert.equal(options.dialect, 'nasm');
    assert.equal(options.bits, 16);
    assert.equal(options.profile, 'vm-detection-audit');
    assert.deepEqual(options.severities, { popf: 'error' });
    assert.equal(options.fileName, '/ws/legacy/a.asm');
    assert.equal(analysisOptionsFor(settings, 'file:///ws/b.asm', ['/ws']).bits, 64);
    assert.equal(analysisOptionsFor(settings, 'file:///ws/b.s', ['/ws']).bits, undefined);
  });

  it('skips NUL-containing and oversized text with a reason', () => {
    assert.match(skipReasonFor('a\0b', 100) ?? '', /NUL/);
    assert.match(skipReasonFor('x'.repeat(101), 100) ?? '', /101 bytes/);
    assert.match(skipReasonFor('é'.repeat(60), 100) ?? '', /120 bytes/, 'counts UTF-8 bytes, not characters');
    assert.equal(skipReasonFor('sgdt [x]\n', 100), undefined);
  });
});

describe('lsp units: suppression comments', () => {
  it('uses ; for NASM/MASM/FASM and a C comment for GNU as', () => {
    assert.equal(commentFor('nasm', 'x'), '; x');
    assert.equal(commentFor('masm', 'x'), '; x');
    assert.equal(commentFor('fasm', 'x'), '; x');
    assert.equal(commentFor('gas-att', 'x'), '/* x */');
    assert.equal(commentFor('gas-intel', 'x'), '/* x */');
  });

  it('indents the disable-next-line comment like the instruction', () => {
    const lines = ['start:', '\t  popf'];
    const edited = applyTextEdits(lines.join('\n'), [disableForLineEdit(asLines(lines), 1, 'nasm', 'popf')]);
    assert.equal(edited, 'start:\n\t  ; virtlint-disable-next-line popf -- why this is safe here\n\t  popf');
  });

  it('adds the id to an existing disable-next-line comment instead of stacking another', () => {
    const nasm = ['    ; virtlint-disable-next-line invalid-in-mode -- 8086 only', '    pop cs'];
    assert.equal(applyTextEdits(nasm.join('\n'), [disableForLineEdit(asLines(nasm), 1, 'nasm', 'pop-sreg')]), '    ; virtlint-disable-next-line invalid-in-mode, pop-sreg -- 8086 only\n    pop cs');
    const gas = ['/* virtlint-disable-next-line sgdt */', '    popf'];
    assert.equal(applyTextEdits(gas.join('\n'), [disableForLineEdit(asLines(gas), 1, 'gas-att', 'popf')]), '/* virtlint-disable-next-line sgdt, popf */\n    popf');
    const noIds = ['; virtlint-disable-next-line', 'popf'];
    assert.match(applyTextEdits(noIds.join('\n'), [disableForLineEdit(asLines(noIds), 1, 'nasm', 'popf')]), /^; virtlint-disable-next-line\n; virtlint-disable-next-line popf -- /);
  });

  it('puts disable-file below a first-line modeline, even in a one-line file', () => {
    assert.equal(applyTextEdits('popf', [disableForFileEdit(asLines(['popf']), 'nasm', 'popf')]), '; virtlint-disable-file popf\npopf');
    const modeline = '; virtlint: bits=16';
    assert.equal(applyTextEdits(modeline, [disableForFileEdit(asLines([modeline]), 'nasm', 'popf')]), `${modeline}\n; virtlint-disable-file popf`);
  });

  it('the GNU as comment is accepted by as, and by gcc (cpp) for .S files', () => {
    const lines = ['    .text', '    pushf', '    popf'];
    const withComment = applyTextEdits(lines.join('\n') + '\n', [disableForLineEdit(asLines(lines), 2, 'gas-att', 'popf'), disableForFileEdit(asLines(lines), 'gas-att', 'pushf')]);
    const dir = mkdtempSync(join(tmpdir(), 'virtlint-gas-'));
    try {
      writeFileSync(join(dir, 'a.s'), withComment);
      writeFileSync(join(dir, 'a.S'), withComment);
      execFileSync('as', ['--32', '-o', join(dir, 'a.o'), join(dir, 'a.s')], { stdio: 'pipe' });
      execFileSync('gcc', ['-m32', '-c', '-o', join(dir, 'b.o'), join(dir, 'a.S')], { stdio: 'pipe' });
      // The `#` alternative is at the mercy of cpp: a reason starting with a directive name runs it.
      writeFileSync(join(dir, 'c.S'), '# include reason.h\n    popf\n');
      assert.throws(() => execFileSync('gcc', ['-m32', '-c', '-o', join(dir, 'c.o'), join(dir, 'c.S')], { stdio: 'pipe' }), /reason\.h|Command failed/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('lsp: OpenDocument keeps the text as LSP says', () => {
  it('agrees with vscode-languageserver-textdocument on any change, out-of-range, reversed and CRLF ranges included', () => {
    const position = fc.record({ line: fc.nat({ max: 12 }), character: fc.nat({ max: 30 }) });
    const change = fc.oneof(
      fc.record({ range: fc.record({ start: position, end: position }), text: fc.constantFrom('', 'x', '\n', '\r\n', 'pushf\n', '\r', 'é😀', '\0', 'popf') }),
      fc.record({ text: fc.constantFrom('bits 64\r\npushfq\r\n', '') }),
    );
    fc.assert(
      fc.property(fc.constantFrom('bits 32\npushf\n', 'a\r\nb\r\n\r\nsgdt [eax]', 'x\ry\n'), fc.array(fc.array(change, { minLength: 1, maxLength: 3 }), { maxLength: 12 }), (initial, batches) => {
        const document = new OpenDocument('file:///t/doc.asm', 'nasm', 1, initial, () => []);
        let reference = TextDocument.create('file:///t/doc.asm', 'nasm', 1, initial);
        let version = 1;
        for (const batch of batches) {
          version++;
          document.applyChanges(batch, version);
          for (const change of batch) reference = TextDocument.update(reference, [inRange(reference, change)], version);
          assert.equal(document.text, reference.getText());
          assert.equal(document.lineCount, reference.lineCount);
        }
      }),
      { numRuns: 300, seed: 11 },
    );
  });
});
