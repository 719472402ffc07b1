// Multiboot2 entry: GRUB enters here in 32-bit protected mode with paging off.
//
// Invariants on entry (multiboot2 spec, section 3.3): EAX holds the magic 0x36D76289,
// EBX the physical address of the boot information, CS/DS are flat 4 GiB segments,
// interrupts are off. Nothing else is set up: no stack, no valid GDT we may keep.
//
// This file builds the boot page tables, enters long mode and jumps to the higher-half
// kernel. Everything in the .boot.* sections runs at its physical (load) address; the
// rest of the kernel is linked at KERNEL_VIRTUAL_BASE and only reachable after paging.

#define MULTIBOOT2_HEADER_MAGIC 0xE85250D6
#define MULTIBOOT2_BOOTLOADER_MAGIC 0x36D76289
#define KERNEL_VIRTUAL_BASE 0xFFFFFFFF80000000
#define PAGE_PRESENT 0x1
#define PAGE_WRITABLE 0x2
#define PAGE_HUGE 0x80
#define SERIAL_PORT 0x3F8

// ---------------------------------------------------------------------------------------
// The multiboot2 header. It must sit 8-byte aligned within the first 32 KiB of the file;
// the linker script places .multiboot2 first.
    .section .multiboot2, "a"
    .balign 8
multiboot2_header_start:
    .long MULTIBOOT2_HEADER_MAGIC
    .long 0 // architecture: i386 protected mode
    .long multiboot2_header_end - multiboot2_header_start
    .long 0x100000000 - (MULTIBOOT2_HEADER_MAGIC + 0 + (multiboot2_header_end - multiboot2_header_start))

    // Framebuffer request (tag 5), marked optional so a text-only machine still boots.
    .balign 8
    .short 5
    .short 1
    .long 20
    .long 1024 // width
    .long 768  // height
    .long 32   // bits per pixel

    // End tag.
    .balign 8
    .short 0
    .short 0
    .long 8
multiboot2_header_end:

// ---------------------------------------------------------------------------------------
    .section .boot.text, "ax"
    .code32
    .global boot_entry_32
boot_entry_32:
    cli
    cld
    mov $boot_stack_top, %esp
    mov %eax, boot_multiboot_magic
    mov %ebx, boot_multiboot_info

    cmp $MULTIBOOT2_BOOTLOADER_MAGIC, %eax
    jne .Lfail_not_multiboot2

    // Long mode needs CPUID leaf 0x80000001 with the LM bit (EDX bit 29).
    mov $0x80000000, %eax
    cpuid
    cmp $0x80000001, %eax
    jb .Lfail_no_long_mode
    mov $0x80000001, %eax
    cpuid
    test $(1 << 29), %edx
    jz .Lfail_no_long_mode
    // Remember NX support (EDX bit 20) to set EFER.NXE below.
    mov %edx, %esi

    // Clear the page-table area: the loader zero-fills NOBITS memory, but being explicit
    // costs little and keeps us independent of that detail.
    mov $boot_page_tables_start, %edi
    mov $boot_page_tables_end, %ecx
    sub %edi, %ecx
    shr $2, %ecx
    xor %eax, %eax
    rep stosl

    // Four page directories of 2 MiB pages map physical 0..4 GiB.
    mov $boot_page_directories, %edi
    mov $(PAGE_PRESENT | PAGE_WRITABLE | PAGE_HUGE), %eax
    xor %edx, %edx // high dword of the physical address
    mov $2048, %ecx
1:
    mov %eax, (%edi)
    mov %edx, 4(%edi)
    add $0x200000, %eax
    adc $0, %edx
    add $8, %edi
    loop 1b

    // Low PDPT: entries 0..3 point at the four directories (identity + direct map).
    mov $boot_pdpt_low, %edi
    mov $boot_page_directories, %eax
    or $(PAGE_PRESENT | PAGE_WRITABLE), %eax
    mov $4, %ecx
2:
    mov %eax, (%edi)
    add $0x1000, %eax
    add $8, %edi
    loop 2b

    // High PDPT: entries 510 and 511 map KERNEL_VIRTUAL_BASE to physical 0..2 GiB.
    mov $boot_page_directories, %eax
    or $(PAGE_PRESENT | PAGE_WRITABLE), %eax
    mov %eax, boot_pdpt_high + 510 * 8
    add $0x1000, %eax
    mov %eax, boot_pdpt_high + 511 * 8

    // PML4: slot 0 is the temporary identity map (removed once we run in the higher
    // half), slot 256 is the direct map at 0xFFFF800000000000, slot 511 the kernel.
    mov $boot_pdpt_low, %eax
    or $(PAGE_PRESENT | PAGE_WRITABLE), %eax
    mov %eax, boot_pml4
    mov %eax, boot_pml4 + 256 * 8
    mov $boot_pdpt_high, %eax
    or $(PAGE_PRESENT | PAGE_WRITABLE), %eax
    mov %eax, boot_pml4 + 511 * 8

    // CR4.PAE, then CR3, then EFER.LME (+NXE), then CR0.PG|WP: the order the SDM requires.
    mov %cr4, %eax
    or $(1 << 5), %eax
    mov %eax, %cr4
    mov $boot_pml4, %eax
    mov %eax, %cr3
    mov $0xC0000080, %ecx
    rdmsr
    or $(1 << 8), %eax
    test $(1 << 20), %esi
    jz 3f
    or $(1 << 11), %eax
3:
    wrmsr
    mov %cr0, %eax
    or $((1 << 31) | (1 << 16)), %eax
    mov %eax, %cr0

    lgdt boot_gdt_pointer
    ljmp $0x08, $boot_entry_64_low

.Lfail_not_multiboot2:
    mov $message_not_multiboot2, %esi
    jmp .Lfail
.Lfail_no_long_mode:
    mov $message_no_long_mode, %esi
.Lfail:
    // Report on COM1 without initialising it: enough for QEMU and most firmware, which
    // leave the port at a sane speed. Then stop.
    mov $SERIAL_PORT, %dx
4:
    lodsb
    test %al, %al
    jz 5f
    out %al, %dx
    jmp 4b
5:
    cli
    hlt
    jmp 5b

    .code64
boot_entry_64_low:
    // Still executing from the identity map; jump to the higher-half alias.
    movabs $boot_entry_64_high, %rax
    jmp *%rax

// ---------------------------------------------------------------------------------------
    .section .boot.data, "a"
    .balign 8
boot_gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF // 0x08: 64-bit code, ring 0
    .quad 0x00CF92000000FFFF // 0x10: data, ring 0
boot_gdt_end:
boot_gdt_pointer:
    .short boot_gdt_end - boot_gdt - 1
    .long boot_gdt
message_not_multiboot2:
    .asciz "RaeenOS: boot failed: not loaded by a multiboot2 loader\r\n"
message_no_long_mode:
    .asciz "RaeenOS: boot failed: this CPU has no 64-bit long mode\r\n"

    .section .boot.bss, "aw", @nobits
    .balign 4096
    .global boot_pml4
boot_page_tables_start:
boot_pml4:
    .skip 4096
boot_pdpt_low:
    .skip 4096
boot_pdpt_high:
    .skip 4096
boot_page_directories:
    .skip 4 * 4096
boot_page_tables_end:
    .balign 16
boot_stack_bottom:
    .skip 4096
boot_stack_top:
    .balign 4
    .global boot_multiboot_magic
boot_multiboot_magic:
    .skip 4
    .global boot_multiboot_info
boot_multiboot_info:
    .skip 4

// ---------------------------------------------------------------------------------------
    .section .text, "ax"
    .code64
boot_entry_64_high:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %ax, %ax
    mov %ax, %fs
    mov %ax, %gs
    movabs $kernel_boot_stack_top, %rsp
    xor %ebp, %ebp

    // Drop the identity map so that low (null-ish) addresses fault from here on. The
    // PML4 is reached through its higher-half alias, which covers the first 2 GiB.
    movabs $(boot_pml4 + KERNEL_VIRTUAL_BASE), %rax
    movq $0, (%rax)
    mov %cr3, %rax
    mov %rax, %cr3

    // kernel_main(magic, physical address of the boot information). Both were saved in
    // low memory, reached here through the higher-half alias as well.
    movabs $(boot_multiboot_magic + KERNEL_VIRTUAL_BASE), %rax
    mov (%rax), %edi
    movabs $(boot_multiboot_info + KERNEL_VIRTUAL_BASE), %rax
    mov (%rax), %esi
    call kernel_main
6:
    cli
    hlt
    jmp 6b
