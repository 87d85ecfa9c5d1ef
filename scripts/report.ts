// Shared by the bench and fuzz scripts: replace one marked section of BENCHMARKS.md, keeping the rest.
import * as fs from 'fs';

const HEADER = `# Benchmarks

Measured figures, each written by the script named in its section (\`npm run bench\`, \`npm run fuzz\`,
\`npm run corpus\`). Every figure sits next to a baseline measured in the same run on the same machine.
Re-run the script to refresh a section; the others are kept.
`;

export function replaceSection(file: string, name: string, body: string): void {
  const begin = `<!-- ${name}:begin (written by a script; do not edit by hand) -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${begin}\n${body.trimEnd()}\n${end}`;
  let text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : HEADER;
  const pattern = new RegExp(`<!-- ${name}:begin[\\s\\S]*?<!-- ${name}:end -->`);
  text = pattern.test(text) ? text.replace(pattern, block) : `${text.trimEnd()}\n\n${block}\n`;
  fs.writeFileSync(file, text);
}
