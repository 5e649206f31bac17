/* Multiboot (version 1) entry: QEMU's -kernel loads this ELF and jumps to _start in 32-bit protected mode. */
#define MULTIBOOT_MAGIC 0x1BADB002
#define MULTIBOOT_FLAGS 0x00000003 /* page-aligned modules, memory information */

    .section .multiboot, "a"
    .align 4
    .long MULTIBOOT_MAGIC
    .long MULTIBOOT_FLAGS
    .long -(MULTIBOOT_MAGIC + MULTIBOOT_FLAGS)

    .section .bss
    .align 16
stack_bottom:
    .skip 16384
stack_top:

    .section .text
    .globl _start
_start:
    cli
    movl $stack_top, %esp
    pushl %ebx /* the multiboot information */
    pushl %eax /* the boot loader's magic */
    call guest_main
halt:
    hlt
    jmp halt
    .section .note.GNU-stack, "", @progbits
