// Regenerates server/src/binary/lengthLoop.generated.ts: `node out/server/src/scan/generate-length-loop.js`.
// Nothing imports this file, so bundles never contain it.
import * as fs from 'fs';
import * as path from 'path';
import { compileLengthLoop, generatedLengthLoop, lengthLoopSource } from './lengthLoopBuild';

const wasm = compileLengthLoop();
const target = path.join(path.dirname(lengthLoopSource()), 'lengthLoop.generated.ts');
fs.writeFileSync(target, generatedLengthLoop(wasm));
process.stdout.write(`wrote ${target} (${wasm.length} bytes of WebAssembly)\n`);
