/* Ferry's test guest: records its status at a fixed address and dirties a working set forever (status.h). */
#include "status.h"

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u
#define MULTIBOOT_INFO_MEMORY 0x1u
#define MULTIBOOT_INFO_CMDLINE 0x4u

struct multiboot_info {
    unsigned int flags;
    unsigned int mem_lower;
    unsigned int mem_upper;
    unsigned int boot_device;
    unsigned int cmdline;
};

static int starts_with(const char *s, const char *prefix) {
    while (*prefix) {
        if (*s++ != *prefix++) {
            return 0;
        }
    }
    return 1;
}

/* The working-set=N option of the command line, in KiB; 0 without it. */
static unsigned int working_set_kib(const char *cmdline) {
    for (const char *p = cmdline; p && *p; p++) {
        if ((p == cmdline || p[-1] == ' ') && starts_with(p, "working-set=")) {
            unsigned int n = 0;
            for (p += 12; *p >= '0' && *p <= '9'; p++) {
                n = n * 10 + (unsigned int) (*p - '0');
            }
            switch (*p) {
            case 'G': case 'g': return n << 20;
            case 'M': case 'm': return n << 10;
            default: return n;
            }
        }
    }
    return 0;
}

void guest_main(unsigned int magic, const struct multiboot_info *info) {
    volatile struct ferry_status *status = (volatile struct ferry_status *) FERRY_STATUS_ADDR;
    unsigned int ram_kib = 0;
    const char *cmdline = 0;
    if (magic == MULTIBOOT_BOOTLOADER_MAGIC) {
        if (info->flags & MULTIBOOT_INFO_MEMORY) {
            ram_kib = info->mem_lower + info->mem_upper;
        }
        if (info->flags & MULTIBOOT_INFO_CMDLINE) {
            cmdline = (const char *) info->cmdline;
        }
    }
    /* mem_upper counts from 1 MiB: the RAM ends at 1 MiB + mem_upper KiB */
    unsigned int end_kib = 1024 + (ram_kib > 640 ? ram_kib - 640 : 0);
    unsigned int base_kib = FERRY_WORKING_SET_ADDR / 1024;
    unsigned int pages = working_set_kib(cmdline) / (FERRY_PAGE_SIZE / 1024);
    unsigned int room = end_kib > base_kib ? (end_kib - base_kib) / (FERRY_PAGE_SIZE / 1024) : 0;
    if (pages > room) {
        pages = room;
    }
    status->version = FERRY_STATUS_VERSION;
    status->passes = 0;
    status->writes = 0;
    status->working_set_base = FERRY_WORKING_SET_ADDR;
    status->working_set_pages = pages;
    status->ram_kib = ram_kib;
    status->magic = FERRY_STATUS_MAGIC;
    if (pages == 0) {
        return; /* idle: halts with interrupts off */
    }
    unsigned long long writes = 0;
    for (unsigned long long pass = 0;; pass++) {
        unsigned int offset = (unsigned int) (pass % 512) * 8;
        for (unsigned int page = 0; page < pages; page++) {
            volatile unsigned long long *word = (volatile unsigned long long *)
                    (FERRY_WORKING_SET_ADDR + page * FERRY_PAGE_SIZE + offset);
            *word = ++writes;
            status->writes = writes;
        }
        status->passes = pass + 1;
    }
}
