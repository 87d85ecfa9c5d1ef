// Plays the "VS Code executable" for @vscode/test-electron's runTests(): it receives
// `--extensionDevelopmentPath=… --extensionTestsPath=… [workspace]` (plus flags meant for desktop
// VS Code, ignored here), runs the tests in code-server's real extension host through headless
// Chromium, relays their output, and exits with their exit code. Started by ./code.sh.
import { createWriteStream } from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import { startSession } from './codeServer';

/** Workbench chatter that an offline code-server prints on every run. */
const NOISE = [/open-vsx\.org/, /authentication provider/, /^\s+at /m, /^\[?(Service Worker|AgentHost|AccountPolicyGate|reconnection-grace-time)/, /^Creating a socket/, /^Updating additional builtin/];

const RUN_TIMEOUT_MS = Number(process.env.VIRTLINT_E2E_TIMEOUT_MS ?? 240_000);

interface Arguments {
  extensionDevelopmentPath: string;
  extensionTestsPath: string;
  workspace: string;
  /** `--virtlint-install-vsix=FILE` (ours, passed through runTests' launchArgs). */
  installVsix?: string;
}

function parseArguments(argv: string[]): Arguments {
  const value = (name: string): string | undefined => {
    const prefix = `--${name}=`;
    return argv.find((arg) => arg.startsWith(prefix))?.slice(prefix.length);
  };
  const extensionDevelopmentPath = value('extensionDevelopmentPath');
  const extensionTestsPath = value('extensionTestsPath');
  const workspace = argv.find((arg) => !arg.startsWith('-'));
  if (!extensionDevelopmentPath || !extensionTestsPath || !workspace) {
    throw new Error('usage: code.sh <workspace> --extensionDevelopmentPath=DIR --extensionTestsPath=FILE');
  }
  const installVsix = value('virtlint-install-vsix');
  return {
    extensionDevelopmentPath: path.resolve(extensionDevelopmentPath),
    extensionTestsPath: path.resolve(extensionTestsPath),
    workspace: path.resolve(workspace),
    ...(installVsix ? { installVsix: path.resolve(installVsix) } : {}),
  };
}

async function main(): Promise<number> {
  const args = parseArguments(process.argv.slice(2));
  const log = (line: string): void => void process.stdout.write(`${line}\n`);
  const session = await startSession({ name: 'tests', log, ...(args.installVsix ? { installVsix: args.installVsix } : {}) });
  try {
    let finish: (code: number) => void = () => undefined;
    const finished = new Promise<number>((resolve) => (finish = resolve));
    // Everything the workbench logs arrives here; the full log goes to a file, and only the test
    // output (plain console.log from the extension host) to the terminal.
    const workbenchLog = createWriteStream(path.join(session.runDir, 'workbench.log'));
    await session.page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
      const text = format(...(Array.isArray(args) ? args : [args]));
      workbenchLog.write(`[${type}] ${text}\n`);
      if ((type === 'log' || type === 'info') && !NOISE.some((pattern) => pattern.test(text))) process.stdout.write(`${text}\n`);
    });
    await session.page.exposeFunction('codeAutomationExit', (code: number) => finish(Number(code)));
    const url = session.url(args.workspace, [
      ['extensionDevelopmentPath', session.remoteUri(args.extensionDevelopmentPath)],
      ['extensionTestsPath', session.remoteUri(args.extensionTestsPath)],
    ]);
    await session.page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
    const timeout = new Promise<number>((resolve) =>
      setTimeout(() => {
        process.stderr.write(`runner: the tests did not finish within ${RUN_TIMEOUT_MS} ms\n`);
        resolve(1);
      }, RUN_TIMEOUT_MS).unref(),
    );
    return await Promise.race([finished, timeout]);
  } finally {
    await session.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`runner: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exit(1);
  },
);
