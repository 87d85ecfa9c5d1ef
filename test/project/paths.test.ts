// The project model's own path normalisation (the core has no `path` module), held to Node's
// path.posix on absolute paths: the same result, but without a trailing `/`.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { normalize } from '../../server/src/analysis/project/paths';
import { seededRandom } from '../helpers/seededRandom';

function posixNormal(p: string): string {
  const normal = path.posix.normalize(p);
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

describe('project paths: normalize', () => {
  it('gives what path.posix.normalize gives for absolute paths, whatever their parts', () => {
    const random = seededRandom(27);
    const parts = ['a', 'b', '.', '..', '', '.b', '..c', '...', 'x.h'];
    for (let n = 0; n < 3000; n++) {
      const count = 1 + random(6);
      let p = '';
      for (let i = 0; i < count; i++) p += '/' + parts[random(parts.length)]!;
      assert.equal(normalize(p), posixNormal(p), p);
    }
  });

  it('hands an already normal path back as it is, and turns backslashes into slashes', () => {
    const normal = '/src/linux/arch/x86/include/asm/linkage.h';
    assert.equal(normalize(normal), normal);
    assert.equal(normalize('/src\\linux\\..\\x.h'), '/src/x.h');
  });
});
