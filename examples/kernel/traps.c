/*
 * Trap set-up for the teaching kernel, in C. The accessors come from cpu.h; a macro used here
 * (savesegment) is reported on this file's line, and so is the asm statement below.
 * Build: gcc -c -ffreestanding traps.c      Lint: npx virtlint examples/kernel/traps.c
 */
#include "segments.h"
#include "cpu.h"

static struct desc_ptr idt_descriptor;

int idt_is_ours(void)
{
	struct desc_ptr loaded;

	store_idt(&loaded);
	return loaded.address == idt_descriptor.address;
}

unsigned short current_data_selector(void)
{
	unsigned short selector;

	savesegment(ds, selector);
	return selector;
}

void reload_data_segments(void)
{
	asm volatile("movw %w0, %%ds\n\t"
		     "movw %w0, %%es"
		     : : "r" (KERNEL_DS));
}

unsigned long long timed_idt_load(void)
{
	unsigned long long start = read_tsc();

	load_idt(&idt_descriptor);
	return read_tsc() - start;
}
