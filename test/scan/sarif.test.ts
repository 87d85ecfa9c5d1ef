// The SARIF of binary scans passes Microsoft's validator: findings mapped to a source line point at
// it, and the others locate the instruction by its byte range in the binary.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sarifProblems } from '../cli/sarifShape';
import { run, scratchDir } from './toolchain';
import { scan } from './runScan';

const PROGRAM = `
static void store_idt(void *p) { __asm__ volatile("sidt %0" : "=m"(*(char (*)[10])p)); }
int main(void) {
  char idt[10];
  store_idt(idt);
  return idt[0];
}
`;

describe('scan: SARIF through the SARIF validator', function () {
  this.timeout(120_000);
  let dir: string;
  let source: string;
  before(() => {
    dir = scratchDir();
    source = path.join(dir, 'probe.c');
    fs.writeFileSync(source, PROGRAM);
    run('gcc', ['-g', '-O0', '-o', 'probe', 'probe.c'], dir);
    run('strip', ['-o', 'probe.stripped', 'probe'], dir);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('with debug information: valid, and the SIDT result points at its C line', async () => {
    const out = await scan(['-f', 'sarif', path.join(dir, 'probe')], dir);
    const log = JSON.parse(out.stdout) as { runs: Array<{ results: Array<{ ruleId: string; locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region: { startLine?: number } } }> }> }> };
    assert.deepEqual(sarifProblems(log), []);
    const sidt = log.runs[0]!.results.find((r) => r.ruleId === 'sidt');
    assert.ok(sidt, 'the sidt finding');
    const location = sidt.locations[0]!.physicalLocation;
    assert.match(location.artifactLocation.uri, /probe\.c$/);
    const expectedLine = PROGRAM.split('\n').findIndex((line) => line.includes('"sidt')) + 1;
    assert.equal(location.region.startLine, expectedLine);
  });

  it('stripped: valid, and the result locates the instruction by its bytes in the file', async () => {
    const binary = path.join(dir, 'probe.stripped');
    const out = await scan(['-f', 'sarif', binary], dir);
    const log = JSON.parse(out.stdout) as { runs: Array<{ results: Array<{ ruleId: string; locations: Array<{ physicalLocation: { region: { byteOffset: number; byteLength: number } } }> }> }> };
    assert.deepEqual(sarifProblems(log), []);
    const sidt = log.runs[0]!.results.find((r) => r.ruleId === 'sidt');
    assert.ok(sidt, 'the sidt finding');
    const { byteOffset, byteLength } = sidt.locations[0]!.physicalLocation.region;
    const bytes = fs.readFileSync(binary).subarray(byteOffset, byteOffset + byteLength);
    // SIDT m is 0F 01 /1: the bytes at the reported range are that instruction.
    assert.equal(bytes[0], 0x0f);
    assert.equal(bytes[1], 0x01);
    assert.equal((bytes[2]! >> 3) & 7, 1);
  });
});
