// The Rust front end's public surface (pure: text in, an EmbeddedScan out).
export { scanRust, type RustScanOptions } from './scan';
export { scanRustIncrementally, type RustIncrementalState } from './incremental';
