// Output formats shared by `virtlint` (source) and `virtlint scan` (binaries).
import { formatGithub } from './github';
import { formatJson } from './json';
import { formatSarif } from './sarif';
import { formatStylish } from './stylish';
import { unknownFormatText } from './options';
import { isFormatName, type FileReport, type FormatOptions } from './types';

export * from './types';
export { formatStylish } from './stylish';
export { formatJson } from './json';
export { formatSarif, plainText, SARIF_SCHEMA } from './sarif';
export { formatGithub } from './github';
export { displayPath } from './paths';
export { escapeControlCharacters } from './terminalText';

/** Renders reports in a named format; throws on an unknown format name. */
export function formatReports(reports: readonly FileReport[], format: string, options: FormatOptions): string {
  if (!isFormatName(format)) throw new Error(unknownFormatText(format));
  switch (format) {
    case 'stylish':
      return formatStylish(reports, options);
    case 'json':
      return formatJson(reports);
    case 'sarif':
      return formatSarif(reports, options);
    case 'github':
      return formatGithub(reports, options);
  }
}
