// The kernel's statically allocated stacks: the boot stack and the three interrupt stacks
// (IST) for double fault, NMI and machine check. Each is preceded by a guard page that the
// memory manager leaves unmapped (StaticStacks.cpp lists them), so running off the bottom
// of a stack faults instead of silently overwriting whatever lies below.

    .section .bss.kernel_stacks, "aw", @nobits
    .balign 4096

    .macro KERNEL_STACK name, size
    .global \name\()_guard
\name\()_guard:
    .skip 4096
    .global \name\()_bottom
\name\()_bottom:
    .skip \size
    .global \name\()_top
\name\()_top:
    .endm

    // 64 KiB: boot parses the multiboot2 information into a ~6 KiB BootInfo on this stack.
    KERNEL_STACK kernel_boot_stack, 65536
    KERNEL_STACK double_fault_stack, 16384
    KERNEL_STACK nmi_stack, 16384
    KERNEL_STACK machine_check_stack, 16384
