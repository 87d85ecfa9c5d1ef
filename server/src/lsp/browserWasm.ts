// iced-x86's WASM in the web worker. The iced-x86 package is wasm-bindgen's Node build: on load it
// reads iced_x86_bg.wasm with fs and compiles it synchronously. The web build (scripts/build.mjs)
// rewrites that read into a call of `icedWasmBytes`, so the bytes the client sent are used instead.

let icedBytes: ArrayBuffer | Uint8Array | undefined;

/** Called once, before anything that loads iced-x86 is required. */
export function provideIcedWasm(bytes: ArrayBuffer | Uint8Array): void {
  icedBytes = bytes;
}

export function icedWasmBytes(): ArrayBuffer | Uint8Array {
  if (!icedBytes) throw new Error('virtlint: iced-x86 was loaded before its WASM arrived from the client');
  return icedBytes;
}
