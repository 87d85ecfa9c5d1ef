// iced-x86's WebAssembly, ready to decode. The scan bundles compile it on V8's background threads
// while the file is read (scripts/build.mjs, icedCompiledInBackground) and expose the compile as
// `__wasmReady`; the plain loader (tsc output, tests) has instantiated it on import.
import { iced } from '../analysis/resolve/iced';

interface BackgroundLoader {
  __wasmReady?: Promise<void>;
  __wasm?: unknown;
}

/**
 * Resolves once the module is compiled and instantiated. A caller awaits it before its first
 * decode; the instance is made here, so that the time goes where the caller chooses (while a
 * file is still arriving) rather than inside the first decode.
 */
export async function icedReady(): Promise<void> {
  const loader = iced as unknown as BackgroundLoader;
  await loader.__wasmReady;
  void loader.__wasm;
}
