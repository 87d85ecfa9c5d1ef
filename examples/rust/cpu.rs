//! CPU accessors for a Rust kernel: `asm!` in Intel syntax (the default).
//! Build: rustc --edition 2021 --crate-type lib --emit obj -O cpu.rs
//! Lint:  npx virtlint examples/rust/cpu.rs
#![no_std]

use core::arch::asm;

#[repr(C, packed)]
pub struct DescriptorTablePointer {
    pub limit: u16,
    pub base: u64,
}

/// Reads IDTR. Under a VMM this is the VMM's table, not the one the kernel loaded.
pub fn store_idt() -> DescriptorTablePointer {
    let mut idtr = DescriptorTablePointer { limit: 0, base: 0 };
    unsafe {
        asm!("sidt [{}]", in(reg) &mut idtr, options(nostack, preserves_flags));
    }
    idtr
}

pub fn read_rflags() -> u64 {
    let flags: u64;
    unsafe {
        asm!("pushfq", "pop {}", out(reg) flags, options(preserves_flags));
    }
    flags
}

/// The low two bits of CS are the CPL the code really runs at.
pub fn code_selector() -> u16 {
    let cs: u16;
    unsafe {
        asm!("mov {0:x}, cs", out(reg) cs, options(nomem, nostack, preserves_flags));
    }
    cs
}

/// # Safety
/// `selector` must name a valid TSS descriptor in the GDT.
pub unsafe fn load_task_register(selector: u16) {
    asm!("ltr {0:x}", in(reg) selector, options(nostack, preserves_flags));
}
