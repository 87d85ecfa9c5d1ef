// What a person does in the workbench, for the scripts that drive code-server through Playwright
// (the screenshot, the web tier): wait for something, open a file from the Explorer, hover a word.
import type { Page } from './codeServer';

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function openFromExplorer(page: Page, name: string): Promise<void> {
  const row = page.locator(`.explorer-folders-view .monaco-list-row[aria-label^="${name}"]`).first();
  await row.waitFor({ timeout: 60_000 });
  await row.click();
  await page.locator(`.tabs-container .tab[aria-label^="${name}"]`).first().waitFor({ timeout: 30_000 });
}

/** Moves the mouse onto the first `word` in the editor, in steps, as Monaco opens hovers on movement. */
export async function hoverWord(page: Page, word: string): Promise<void> {
  const token = page.locator(`.editor-instance .monaco-editor .view-lines .view-line span span:text-is("${word}")`).first();
  await token.waitFor({ timeout: 30_000 });
  const box = await token.boundingBox();
  if (!box) throw new Error(`"${word}" is not visible in the editor`);
  await page.mouse.move(box.x + box.width / 2, box.y + box.height + 40, { steps: 2 });
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 5 });
}
