// Opens a NASM fixture in the real workbench (code-server + headless Chromium, the built
// extension loaded from disk), waits for the squiggles, hovers a flagged `popfd` and saves
// docs/images/editor-hover.png. Run after `npm run build` and `tsc -p .`:
//   node out/test/vscode/screenshot.js [output.png] [--file FILE] [--word WORD] [--mentions TEXT]
// --file opens another file (copied into the workspace), --word hovers another token, whose
// hover must mention TEXT (default: the word).
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { CACHE, ROOT, startSession } from './codeServer';
import { hoverWord, openFromExplorer, waitFor } from './workbench';

interface Shot {
  output: string;
  /** A file to copy into the workspace and open; the workspace's probe.asm by default. */
  file?: string;
  /** The squiggled token to hover, and what its hover card must mention. */
  word: string;
  mentions: string;
}

function parseShot(argv: readonly string[]): Shot {
  const shot: Shot = { output: path.join(ROOT, 'docs', 'images', 'editor-hover.png'), word: 'popfd', mentions: 'popf' };
  let mentionsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => argv[++i] ?? '';
    if (arg === '--file') shot.file = path.resolve(value());
    else if (arg === '--word') shot.word = value();
    else if (arg === '--mentions') (shot.mentions = value()), (mentionsGiven = true);
    else shot.output = path.resolve(arg);
  }
  if (!mentionsGiven && shot.word !== 'popfd') shot.mentions = shot.word.toLowerCase();
  return shot;
}

async function main(): Promise<void> {
  const { output, file, word, mentions } = parseShot(process.argv.slice(2));
  const workspace = path.join(CACHE, 'runs', 'screenshot-workspace');
  rmSync(workspace, { recursive: true, force: true });
  cpSync(path.join(ROOT, 'test', 'vscode', 'fixtures', 'workspace'), workspace, { recursive: true });
  if (file !== undefined) cpSync(file, path.join(workspace, path.basename(file)));
  const fixture = file !== undefined ? path.basename(file) : 'probe.asm';

  const session = await startSession({
    name: 'screenshot',
    log: (line) => console.log(line),
    viewport: { width: 1280, height: 900 },
    extraSettings: { 'workbench.colorTheme': 'Default Dark Modern', 'editor.fontSize': 15, 'editor.minimap.enabled': false, 'window.commandCenter': false, 'editor.hover.above': false },
  });
  try {
    const { page } = session;
    const url = session.url(workspace, [['extensionDevelopmentPath', session.remoteUri(ROOT)]]);
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
    await page.locator('.monaco-workbench').first().waitFor({ timeout: 60_000 });
    await openFromExplorer(page, fixture);
    await waitFor('squiggles', async () => (await page.locator('.editor-instance .squiggly-warning, .editor-instance .squiggly-error').count()) > 0);
    await page.keyboard.press('Control+Shift+M'); // the Problems panel, to show the list too
    await page.locator('.markers-panel .monaco-list-row').first().waitFor({ timeout: 15_000 }).catch(() => undefined);
    await hoverWord(page, word);
    const hover = page.locator('.monaco-hover:not(.hidden) .monaco-hover-content, .monaco-hover:not(.hidden) .hover-contents').first();
    try {
      await hover.waitFor({ state: 'visible', timeout: 15_000 });
    } catch {
      await hoverWord(page, word); // a second pass if the first move landed before layout settled
      await hover.waitFor({ state: 'visible', timeout: 15_000 });
    }
    await waitFor('hover text', async () => ((await hover.textContent()) ?? '').toLowerCase().includes(mentions));
    await page.waitForTimeout(500); // let the hover finish its fade-in animation
    mkdirSync(path.dirname(output), { recursive: true });
    await page.screenshot({ path: output });
    console.log(`screenshot: saved ${path.relative(ROOT, output)}`);
    console.log(`screenshot: hover text: ${((await hover.textContent()) ?? '').replace(/\s+/g, ' ').slice(0, 300)}`);
  } catch (error) {
    const debug = path.join(session.runDir, 'failure.png');
    await session.page.screenshot({ path: debug }).catch(() => undefined);
    console.error(`screenshot: what the browser showed is in ${path.relative(ROOT, debug)}`);
    throw error;
  } finally {
    await session.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
