// Each file read once per analysis, split into lines the way every other part counts them.
import { splitLines } from '../text/lineBreaks';
import type { SourceReader } from './source';

export class FileCache {
  private readonly texts = new Map<string, string[] | { error: string }>();

  constructor(private readonly reader: SourceReader) {}

  /** The file's lines, or undefined when it cannot be read. */
  lines(path: string): string[] | undefined {
    const read = this.read(path);
    return Array.isArray(read) ? read : undefined;
  }

  /** Why the file cannot be read (`not found` when the reader has nothing), or undefined. */
  error(path: string): string | undefined {
    const read = this.read(path);
    return Array.isArray(read) ? undefined : read.error;
  }

  private read(path: string): string[] | { error: string } {
    let known = this.texts.get(path);
    if (known === undefined) {
      let result;
      try {
        result = this.reader.read(path);
      } catch (error) {
        result = { error: (error as Error).message };
      }
      known = 'text' in result ? splitLines(result.text) : { error: result.error };
      this.texts.set(path, known);
    }
    return known;
  }
}
