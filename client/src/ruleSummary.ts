// Kept free of the vscode module so the unit tests can hold every docs page to it.

/** The one-line summary a generated rule page carries in its title: "# `id` — summary". */
export function summaryFromTitle(markdown: string): string | undefined {
  const title = /^#\s+`[^`]+`\s+—\s+(.+)$/m.exec(markdown.slice(0, 400));
  return title?.[1]?.trim();
}
