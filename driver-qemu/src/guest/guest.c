/*
 * Ferry's test guest: records its status at a fixed address and dirties a working set until its power button is
 * pressed (status.h).
 */
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

static void outw(unsigned short port, unsigned short value) {
    __asm__ volatile("outw %0, %1" : : "a"(value), "Nd"(port));
}

static unsigned short inw(unsigned short port) {
    unsigned short value;
    __asm__ volatile("inw %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

static void outl(unsigned short port, unsigned int value) {
    __asm__ volatile("outl %0, %1" : : "a"(value), "Nd"(port));
}

static unsigned int inl(unsigned short port) {
    unsigned int value;
    __asm__ volatile("inl %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

#define PIIX4_PM_CONFIG 0x80000B00u /* PCI configuration of 00:01.3, the PIIX4 power management function */
#define PIIX4_PM_ID 0x71138086u
#define ACPI_POWER_BUTTON 0x0100u /* PM1 status and enable: PWRBTN */
#define ACPI_SLEEP_ENABLE 0x2000u /* PM1 control: SLP_EN; sleep type 0 is soft off (S5) on QEMU's PIIX4 */

static unsigned int pci_config(unsigned int function, unsigned int reg) {
    outl(0xCF8, function | reg);
    return inl(0xCFC);
}

/* The ACPI PM1 event block's I/O base, which the firmware set (0 without a PIIX4: no power button then). */
static unsigned short acpi_pm_base(void) {
    if (pci_config(PIIX4_PM_CONFIG, 0x00) != PIIX4_PM_ID) {
        return 0;
    }
    return (unsigned short) (pci_config(PIIX4_PM_CONFIG, 0x40) & 0xFFC0u);
}

/* The power button was pressed (QMP system_powerdown): the guest turns itself off, as an OS's ACPI handler does. */
static void power_off_if_asked(unsigned short pm_base) {
    if (pm_base != 0 && (inw(pm_base) & ACPI_POWER_BUTTON)) {
        outw(pm_base + 4, ACPI_SLEEP_ENABLE);
    }
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
    unsigned short pm_base = acpi_pm_base();
    if (pm_base != 0) {
        outw(pm_base + 2, ACPI_POWER_BUTTON); /* PM1 enable: the button sets its status bit */
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
        power_off_if_asked(pm_base);
    }
}
