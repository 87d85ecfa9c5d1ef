// The web worker reads the files its client lists in one batch before the project's first run
// (browserWorkspace.ts): without that, each level of includes the run found was one more round
// of virtlint/readFile requests and one more run of the whole project.
import * as assert from 'node:assert/strict';
import { clientFiles, ClientUris } from '../../server/src/lsp/browserClientFiles';
import { ClientWorkspace } from '../../server/src/lsp/browserWorkspace';
import { documentPath } from '../../server/src/lsp/documents';
import { LIST_FILES_REQUEST, READ_FILE_REQUEST } from '../../server/src/lsp/protocol';

const FOLDER = 'vscode-test-web://mount/prefetch-test';
const LISTED = ['boot.asm', 'inc/segs.inc', 'inc/deep/more.inc', 'entry.S'];

function fakeClient(folder = FOLDER): { connection: unknown; reads: string[] } {
  const reads: string[] = [];
  const connection = {
    console: { log: () => undefined },
    sendRequest: async (method: string, params: { uri?: string }) => {
      if (method === LIST_FILES_REQUEST) return { uris: LISTED.map((name) => `${folder}/${name}`), truncated: false };
      if (method === READ_FILE_REQUEST) {
        reads.push(String(params.uri));
        return { text: `; ${params.uri}\n` };
      }
      return null;
    },
  };
  return { connection, reads };
}

describe('web worker: the listed files are read ahead', () => {
  it('in one batch before the listing returns, so the project finds each of them at once', async () => {
    const { connection, reads } = fakeClient();
    const workspace = new ClientWorkspace(connection as never, new ClientUris(), documentPath);
    const folder = workspace.folderPath(FOLDER)!;
    const listing = await workspace.listFiles([folder], { maxFiles: 100 });
    assert.equal(listing.files.length, LISTED.length);
    assert.deepEqual([...reads].sort(), LISTED.map((name) => `${FOLDER}/${name}`).sort());
    for (const file of listing.files) assert.equal(clientFiles.lookup(file)?.kind, 'text', `${file} is held`);
    // Nothing was left to ask: no further round of requests follows.
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(reads.length, LISTED.length);
  });

  it('a second listing asks for nothing it already holds', async () => {
    const other = `${FOLDER}-again`;
    const { connection, reads } = fakeClient(other);
    const workspace = new ClientWorkspace(connection as never, new ClientUris(), documentPath);
    const folder = workspace.folderPath(other)!;
    await workspace.listFiles([folder], { maxFiles: 100 });
    assert.equal(reads.length, LISTED.length);
    await workspace.listFiles([folder], { maxFiles: 100 });
    assert.equal(reads.length, LISTED.length, 'asked again for files it holds');
  });
});
