// The web worker's files: what the client answered to virtlint/readFile, kept by path, so that the
// server's synchronous readers (the project model's includes, C headers, virtlint.config.json) can
// read them through the web build's `fs` (browserFs.ts). A path nobody has asked about yet reads
// as missing and is noted; browserWorkspace.ts asks the client for the noted paths and, when an
// answer changed what the server had read, has it analyse again. An answer is kept, so a file that
// is missing stays missing and a re-run asks nothing new; once the client opens, saves or closes
// the file, the kept answer is still read but the file is asked for again, and once its watcher
// reports the file changed, it is asked for again before the project re-runs.
import { pathToFileURL } from './browserUrl';
import type { ReadFileResult } from './protocol';

/** Most files the client lists for the project index in the worker (each is then asked for). */
export const MAX_LISTED_FILES = 2000;
/** Distinct paths asked for in one session at most (the listed files and what they include); past it every new path reads as missing. */
export const MAX_PATHS_ASKED = MAX_LISTED_FILES + 2000;
/** The largest file the client is asked to send (virtlint.maxFileSize is 2 MB by default). */
export const MAX_FILE_BYTES = 8 * 1024 * 1024;

export type ClientFile =
  | { kind: 'text'; bytes: Uint8Array; generation: number }
  | { kind: 'too-large'; size: number; generation: number }
  | { kind: 'not-text'; generation: number }
  | { kind: 'missing'; generation: number };

export class ClientFiles {
  private readonly answers = new Map<string, ClientFile>();
  private readonly wanted = new Set<string>();
  private readonly asked = new Set<string>();
  /** Paths whose kept answer may be out of date: read as they are, and asked for again. */
  private readonly stale = new Set<string>();
  private generation = 0;
  private overBudget = false;
  /** Called when a path was noted as wanted (browserMain.ts batches the requests). */
  onWanted: () => void = () => undefined;
  /** Called once when the budget of paths is spent. */
  onBudgetSpent: () => void = () => undefined;

  /** What the client said about `path`; undefined when it has not answered (the path is noted when it has not been asked yet). */
  lookup(path: string): ClientFile | undefined {
    const known = this.answers.get(path);
    if (known && !this.stale.has(path)) return known;
    if (this.stale.delete(path)) {
      this.wanted.add(path);
      this.onWanted();
      return known;
    }
    if (this.asked.has(path) || this.wanted.has(path)) return undefined;
    if (this.asked.size + this.wanted.size >= MAX_PATHS_ASKED) {
      if (!this.overBudget) this.onBudgetSpent();
      this.overBudget = true;
      return undefined;
    }
    this.wanted.add(path);
    this.onWanted();
    return undefined;
  }

  /** The paths noted since the last call: each is asked once, and again only after `askAgain`. */
  takeWanted(): string[] {
    const paths = Array.from(this.wanted);
    this.wanted.clear();
    for (const path of paths) this.asked.add(path);
    return paths;
  }

  /**
   * Files changed outside the editor: of `paths`, those the worker keeps an answer for or may still
   * ask about (within the budget), to be asked for now, all in one go. Each is then marked asked.
   */
  takeForRefresh(paths: readonly string[]): string[] {
    const taken: string[] = [];
    for (const path of paths) {
      const known = this.answers.has(path) || this.asked.has(path) || this.wanted.has(path);
      if (!known && this.asked.size + this.wanted.size >= MAX_PATHS_ASKED) continue;
      this.wanted.delete(path);
      this.stale.delete(path);
      this.asked.add(path);
      taken.push(path);
    }
    return taken;
  }

  /**
   * Listed files read ahead, before the project reads them: of `paths`, those not answered, asked
   * or noted yet (within the budget), each then marked asked. Without this, each level of includes
   * the project found would be one more round of requests and one more run.
   */
  takeForPrefetch(paths: readonly string[]): string[] {
    const taken: string[] = [];
    for (const path of paths) {
      if (this.answers.has(path) || this.asked.has(path) || this.wanted.has(path)) continue;
      if (this.asked.size + this.wanted.size >= MAX_PATHS_ASKED) break;
      this.asked.add(path);
      taken.push(path);
    }
    return taken;
  }

  /** Keeps the client's answer; true when it differs from what was read before (an analysis should run again). */
  store(path: string, answer: ReadFileResult | null | undefined): boolean {
    const before = this.answers.get(path);
    const file = clientFileOf(answer, before !== undefined && sameFile(before, answer) ? before.generation : ++this.generation);
    this.answers.set(path, file);
    return before === undefined ? file.kind !== 'missing' : file.generation !== before.generation;
  }

  /** The client opened, saved or closed the file: the next read still gets the kept answer, and asks for the file again. */
  askAgain(path: string): void {
    if (this.answers.has(path)) this.stale.add(path);
  }
}

/** Whether the answer says what the kept file says. */
function sameFile(file: ClientFile, answer: ReadFileResult | null | undefined): boolean {
  const next = clientFileOf(answer, file.generation);
  if (next.kind !== file.kind) return false;
  if (next.kind === 'text' && file.kind === 'text') return next.bytes.length === file.bytes.length && next.bytes.every((byte, index) => byte === file.bytes[index]);
  if (next.kind === 'too-large' && file.kind === 'too-large') return next.size === file.size;
  return true;
}

/** A client that does not know the request answers null or an error: the file is missing for it. */
function clientFileOf(answer: ReadFileResult | null | undefined, generation: number): ClientFile {
  if (typeof answer !== 'object' || answer === null) return { kind: 'missing', generation };
  if ('text' in answer && typeof answer.text === 'string') return { kind: 'text', bytes: new TextEncoder().encode(answer.text), generation };
  if ('tooLarge' in answer && typeof answer.tooLarge === 'number') return { kind: 'too-large', size: answer.tooLarge, generation };
  if ('notText' in answer && answer.notText === true) return { kind: 'not-text', generation };
  return { kind: 'missing', generation };
}

/**
 * Turns the server's paths back into the client's URIs. The server names a `file:` document by
 * its path, and any other by the URI without its scheme (documents.ts: `vscode-remote://host/a.asm`
 * is `/host/a.asm`); the first segment of such a path says which scheme and authority it came from.
 */
export class ClientUris {
  private readonly prefixes = new Map<string, string>();

  learn(uri: string): void {
    const match = /^([a-z][a-z0-9+.-]*:\/*)([^/]+)\//i.exec(uri);
    if (!match || /^file:/i.test(uri)) return;
    this.prefixes.set(`/${match[2]}/`, `${match[1]}${match[2]}/`);
  }

  uriOf(path: string): string {
    // A document's part of the path is still escaped as in its URI; an include's name is not, so
    // what a URI cannot hold literally is escaped (`%` is left: it may already be an escape).
    for (const [pathPrefix, uriPrefix] of this.prefixes) {
      if (path.startsWith(pathPrefix)) return uriPrefix + path.slice(pathPrefix.length).replace(/[\s#?]/g, (character) => encodeURIComponent(character));
    }
    return pathToFileURL(path).href;
  }
}

/** The one set of files of the worker: the `fs` stand-in reads it, browserMain.ts fills it. */
export const clientFiles = new ClientFiles();
