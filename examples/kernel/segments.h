/* Selectors shared by entry.S and the C side of the teaching kernel. */
#ifndef SEGMENTS_H
#define SEGMENTS_H

#define KERNEL_CS32   0x08
#define KERNEL_DS     0x10
#define KERNEL_CS64   0x18

#define EFLAGS_ID     (1 << 21)
#define EFLAGS_IF     (1 << 9)

#endif
