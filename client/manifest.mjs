// Writes the VS Code parts of package.json (the keys the client owns) and leaves every other
// key as it is. The settings come from the server's canonical list (server/src/lsp/settings.ts,
// compiled to out/ by `tsc -p .`), so the two cannot drift apart; test/vscode/manifest.test.ts
// checks that they did not.
//   npx tsc -p . && node client/manifest.mjs           rewrite package.json
//   npx tsc -p . && node client/manifest.mjs --check   exit 1 when package.json is out of date
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const { SETTINGS, MODE_SETTINGS } = require(`${root}out/server/src/lsp/settings.js`);
const { RULES, IDIOM_RULES, META_RULES } = require(`${root}out/server/src/analysis/catalogue/index.js`);
const { LANGUAGE_ID, FOREIGN_LANGUAGE_IDS, HOST_LANGUAGE_IDS, FILE_EXTENSIONS, COMMANDS } = require(`${root}out/client/src/constants.js`);

const SEVERITY_VALUES = ['error', 'warning', 'info', 'hint', 'off'];
const MODE_VALUES = MODE_SETTINGS.filter((mode) => mode !== 'auto');
const ruleIds = [...RULES, ...IDIOM_RULES].map((rule) => rule.id);

/** Extra JSON-schema detail for settings whose shape the flat list cannot express. */
function schemaExtras(key) {
  switch (key) {
    case 'virtlint.rules':
      return {
        additionalProperties: { type: 'string', enum: SEVERITY_VALUES },
        propertyNames: { enum: [...ruleIds, ...META_RULES.map((rule) => rule.id)] },
      };
    case 'virtlint.ruleSelection':
      return { items: { type: 'string', enum: ['core', 'extended', 'all', ...ruleIds] }, uniqueItems: true };
    case 'virtlint.overrides':
      return {
        items: {
          type: 'object',
          required: ['files'],
          additionalProperties: false,
          properties: {
            files: { type: 'string', description: 'Glob matched against the file path (relative to its workspace folder); without `/` it matches the file name.' },
            dialect: { type: 'string', enum: ['nasm', 'gas-att', 'gas-intel', 'masm', 'fasm'], description: 'Assembler dialect of the matching files.' },
            bits: { type: 'number', enum: [16, 32, 64], description: 'Bitness the matching files start in.' },
            mode: { type: 'string', enum: MODE_VALUES, description: 'Execution mode the matching files start in (see `virtlint.mode`).' },
          },
        },
      };
    case 'virtlint.maxFileSize':
      return { minimum: 1 };
    case 'virtlint.maxDiagnostics':
      return { type: 'integer', minimum: 1 };
    default:
      return {};
  }
}

function configurationProperties() {
  const properties = {};
  for (const [order, setting] of SETTINGS.entries()) {
    properties[setting.key] = {
      type: setting.type,
      default: setting.default,
      ...(setting.enum ? { enum: [...setting.enum] } : {}),
      ...schemaExtras(setting.key),
      scope: 'resource',
      markdownDescription: setting.description,
      ...(setting.enumDescriptions ? { enumDescriptions: [...setting.enumDescriptions] } : {}),
      ...(setting.examples ? { examples: [...setting.examples] } : {}),
      order,
    };
  }
  properties['virtlint.trace.server'] = {
    type: 'string',
    enum: ['off', 'messages', 'verbose'],
    default: 'off',
    scope: 'window',
    markdownDescription: 'Log the messages between VS Code and the virtlint language server to the `virtlint` output channel (for bug reports).',
    enumDescriptions: ['No logging.', 'Log each request and notification.', 'Log each message with its contents.'],
    order: SETTINGS.length,
  };
  return properties;
}

const commandTitles = {
  [COMMANDS.restartServer]: 'Restart Language Server',
  [COMMANDS.showOutput]: 'Show Output',
  [COMMANDS.lintWorkspace]: 'Lint All Assembly Files in the Workspace',
  [COMMANDS.showDocumentation]: 'Show Rule Documentation',
  [COMMANDS.insertHypercallDefinitions]: 'Open Hypercall Definitions for This File',
  [COMMANDS.chooseContext]: 'Choose the Include Context of This File',
};

function clientKeys(pkg) {
  return {
    main: './dist/client.js',
    // The web extension (vscode.dev, github.dev): the same client built for a browser.
    browser: './dist/web/client.js',
    icon: 'client/icon.png',
    categories: ['Linters', 'Programming Languages'],
    keywords: ['x86', 'assembly', 'nasm', 'gas', 'masm', 'fasm', 'virtualization', 'hypervisor', 'popek-goldberg', 'linter'],
    repository: pkg.repository,
    // C, C++ and Rust: their inline assembly only; no language or grammar is contributed for them.
    activationEvents: [LANGUAGE_ID, ...FOREIGN_LANGUAGE_IDS, ...HOST_LANGUAGE_IDS].map((id) => `onLanguage:${id}`),
    capabilities: {
      // The server works untrusted too, but takes the settings that decide the code it writes only
      // from the user (lsp/settings.ts); VS Code then also ignores their workspace values itself.
      untrustedWorkspaces: {
        supported: 'limited',
        description: 'In a Restricted Mode workspace the settings that decide the code virtlint writes into files come only from your user settings.',
        restrictedConfigurations: SETTINGS.filter((setting) => setting.restricted).map((setting) => setting.key),
      },
      virtualWorkspaces: { supported: true },
    },
    contributes: {
      // Completion and checking for the project configuration file, in any editor that reads JSON schemas.
      jsonValidation: [{ fileMatch: 'virtlint.config.json', url: './schemas/virtlint.config.schema.json' }],
      languages: [
        {
          id: LANGUAGE_ID,
          aliases: ['x86 Assembly (virtlint)', 'x86asm'],
          extensions: FILE_EXTENSIONS,
          firstLine: '^\\s*[;#/*]+.*\\bvirtlint:\\s*(?:dialect|bits)\\s*=',
          configuration: './language-configuration.json',
        },
      ],
      grammars: [{ language: LANGUAGE_ID, scopeName: 'source.x86asm.virtlint', path: './syntaxes/x86asm.tmLanguage.json' }],
      configuration: { title: 'virtlint', properties: configurationProperties() },
      commands: Object.entries(commandTitles).map(([command, title]) => ({ command, title, category: 'virtlint' })),
    },
  };
}

const packagePath = `${root}package.json`;
const original = readFileSync(packagePath, 'utf8');
const pkg = JSON.parse(original);
const updated = { ...pkg };
for (const [key, value] of Object.entries(clientKeys(pkg))) {
  if (value === undefined) delete updated[key];
  else updated[key] = value;
}
const text = JSON.stringify(updated, null, 2) + '\n';

if (process.argv.includes('--check')) {
  if (text !== original) {
    console.error('package.json is out of date: run `npx tsc -p . && node client/manifest.mjs`');
    process.exit(1);
  }
  console.log('package.json client keys are up to date');
} else {
  writeFileSync(packagePath, text);
  console.log('package.json: client keys written');
}
