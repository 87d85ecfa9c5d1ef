// Which front end reads which host language.
import type { EmbeddedScan } from './types';
import type { EmbeddedOptions } from './analyze';
import { scanC } from './c';
import { scanRust, scanRustIncrementally } from './rust';

export function scanHost(text: string, options: EmbeddedOptions): EmbeddedScan {
  if (options.language === 'rust') {
    // An editor's document keeps its last scan: an edit is read again only around it.
    if (options.session) return scanRustIncrementally(text, options.build, options.session.rust);
    return scanRust(text, options.build ? { build: options.build } : {});
  }
  return scanC(text, {
    language: options.language,
    ...(options.build ? { build: options.build } : {}),
    ...(options.path !== undefined ? { path: options.path } : {}),
    ...(options.reader ? { reader: options.reader } : {}),
    ...(options.includePaths ? { includePaths: options.includePaths } : {}),
    ...(options.macros ? { macros: options.macros } : options.session ? { macros: options.session.macros } : {}),
    ...(options.session ? { incremental: options.session.c } : {}),
  });
}
