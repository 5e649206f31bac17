/*
 * The guest's status block: the one place its layout is defined (docs/qemu.md and the driver's tests read it).
 * Little-endian, at guest-physical address FERRY_STATUS_ADDR (paging off: physical = linear).
 *
 *   offset size field
 *   0x00   4    magic             FERRY_STATUS_MAGIC ("FRRY" in memory) once the guest has booted
 *   0x04   4    version           FERRY_STATUS_VERSION
 *   0x08   8    passes            completed sweeps over the working set
 *   0x10   8    writes            page writes so far (the write counter)
 *   0x18   4    working_set_base  guest-physical address of the working set (FERRY_WORKING_SET_ADDR)
 *   0x1c   4    working_set_pages 4 KiB pages in the working set (0: an idle guest)
 *   0x20   4    ram_kib           RAM the guest found (multiboot mem_lower + mem_upper)
 *
 * The working set is dirtied page by page: in sweep P, page I gets the write counter's value at
 * byte offset ((P % 512) * 8) of the page, so after 512 sweeps every page is full of distinct values.
 * The kernel command line (-append) sets the working set: "working-set=N" with N in KiB, or with a
 * K, M or G suffix; it is capped to the RAM above FERRY_WORKING_SET_ADDR.
 * A guest with a working set powers itself off (ACPI S5) at the end of the sweep during which its power button was
 * pressed (QMP system_powerdown), as an OS does; an idle guest halts and never reads the button.
 */
#ifndef FERRY_GUEST_STATUS_H
#define FERRY_GUEST_STATUS_H

#define FERRY_STATUS_ADDR 0x00200000u
#define FERRY_WORKING_SET_ADDR 0x00400000u
#define FERRY_STATUS_MAGIC 0x59525246u
#define FERRY_STATUS_VERSION 1u
#define FERRY_PAGE_SIZE 4096u

#ifndef __ASSEMBLER__
struct ferry_status {
    unsigned int magic;
    unsigned int version;
    unsigned long long passes;
    unsigned long long writes;
    unsigned int working_set_base;
    unsigned int working_set_pages;
    unsigned int ram_kib;
};
#endif

#endif
