// Debian's rustc (1.63) ships `core` for x86_64 only. Rust code for 32-bit x86 is compiled as a
// `#![no_core]` crate (with RUSTC_BOOTSTRAP=1) whose single first line declares the little it
// uses: `Sized`, `Copy` for the operand types, and `core::arch::asm!`/`global_asm!` as the
// compiler's built-in macros under their usual path. The user's lines follow, one line down.
export const RUST_32_PRELUDE =
  '#![feature(no_core, lang_items, rustc_attrs, decl_macro)] #![no_core] ' +
  '#[lang = "sized"] trait Sized {} #[lang = "copy"] trait Copy {} ' +
  'impl Copy for u8 {} impl Copy for u16 {} impl Copy for u32 {} impl Copy for usize {} ' +
  'impl<T: ?Sized> Copy for *mut T {} impl<T: ?Sized> Copy for *const T {} ' +
  'mod core { pub mod arch { #[rustc_builtin_macro] pub macro asm($($t:tt)*) {} #[rustc_builtin_macro] pub macro global_asm($($t:tt)*) {} } }';

/** The environment rustc needs to accept the prelude's unstable features. */
export const RUST_32_ENV: Readonly<Record<string, string>> = { RUSTC_BOOTSTRAP: '1' };
