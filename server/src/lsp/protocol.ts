// Messages between the virtlint server and its VS Code client that LSP itself does not define.
// Plain method names and payload shapes, so both sides can use them without extra imports.
import type { Bits, Dialect } from '../analysis/types';

/**
 * Server → client notification, sent after a document is analysed (on open, and whenever the
 * values change): what the file was understood as. The VS Code client shows it in a language
 * status item; other clients can ignore it.
 */
export const FILE_INFO_NOTIFICATION = 'virtlint/fileInfo';

export interface FileInfoParams {
  uri: string;
  dialect: Dialect;
  /** Bitness at the top of the file (directives may switch it further down). */
  bits: Bits;
  profile: string;
  /** Where the dialect / bitness came from: `modeline`, `override`, `directive`, `content`, `extension`, `default`. */
  dialectSource?: string;
  bitsSource?: string;
}
