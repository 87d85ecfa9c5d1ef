/*
 * CPU accessors for the teaching kernel's C side: GCC/Clang inline assembly, AT&T syntax.
 * Kernels keep most of their sensitive instructions in small helpers like these, so this is
 * where virtlint reports them. Lint: npx virtlint examples/kernel/
 */
#ifndef CPU_H
#define CPU_H

struct desc_ptr {
	unsigned short size;
	unsigned long address;
} __attribute__((packed));

static inline void load_idt(const struct desc_ptr *dtr)
{
	asm volatile("lidt %0" : : "m" (*dtr));
}

/* Used to check that our IDT is the one loaded; under a VMM it returns the VMM's. */
static inline void store_idt(struct desc_ptr *dtr)
{
	asm volatile("sidt %0" : "=m" (*dtr));
}

static inline unsigned long save_flags(void)
{
	unsigned long flags;

	asm volatile("pushf\n\t"
		     "pop %0"
		     : "=rm" (flags) : : "memory");
	return flags;
}

static inline void restore_flags(unsigned long flags)
{
	/* virtlint-disable-next-line popf -- callers only restore flags saved with IF clear */
	asm volatile("push %0 ; popf" : : "g" (flags) : "memory", "cc");
}

/* Reads a segment register: savesegment(ds, value). */
#define savesegment(seg, value) \
	asm volatile("mov %%" #seg ",%0" : "=r" (value) : : "memory")

static inline unsigned long long read_tsc(void)
{
	unsigned int lo, hi;

	asm volatile("rdtsc" : "=a" (lo), "=d" (hi));
	return ((unsigned long long)hi << 32) | lo;
}

#endif
