// Real-mode entry of application processors. The bytes between ap_trampoline_start and
// ap_trampoline_end are copied to physical TRAMPOLINE_BASE (a page in the first MiB, which
// is never allocated) and run there; they are never executed from the kernel image,
// which is why they live in .rodata. All addresses are computed for TRAMPOLINE_BASE.
//
// A STARTUP IPI starts a CPU in real mode at CS:IP = TRAMPOLINE_BASE/16:0. The code goes
// real mode -> 32-bit protected mode -> long mode with the kernel's page tables (CR3 from
// the data block, which must lie below 4 GiB), then jumps to ap_entry(processor) in the
// higher half on the stack given in the data block. The page is identity-mapped
// read+execute in the kernel tables while APs start (SmpStartup.cpp).

#define TRAMPOLINE_BASE 0x8000
#define ADDRESS(label) (TRAMPOLINE_BASE + ((label) - ap_trampoline_start))

    .section .rodata.ap_trampoline, "a"
    .code16
    .global ap_trampoline_start
ap_trampoline_start:
    cli
    cld
    xor %ax, %ax
    mov %ax, %ds
    lgdtl ADDRESS(trampoline_gdt_pointer)
    mov %cr0, %eax
    or $1, %eax
    mov %eax, %cr0
    ljmpl $0x08, $ADDRESS(trampoline_protected_mode)

    .code32
trampoline_protected_mode:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    // PAE, then the kernel's page tables, then EFER.LME (+NXE when the BSP uses NX), then
    // paging with write protection: the order long mode requires.
    mov %cr4, %eax
    or $(1 << 5), %eax
    mov %eax, %cr4
    mov ADDRESS(ap_trampoline_page_table_root), %eax
    mov %eax, %cr3
    mov $0xC0000080, %ecx
    rdmsr
    or $(1 << 8), %eax
    or ADDRESS(ap_trampoline_extra_efer_bits), %eax
    wrmsr
    mov %cr0, %eax
    or $0x80010000, %eax
    mov %eax, %cr0
    ljmp $0x18, $ADDRESS(trampoline_long_mode)

    .code64
trampoline_long_mode:
    mov ADDRESS(ap_trampoline_stack_top), %rsp
    mov ADDRESS(ap_trampoline_processor), %rdi
    mov ADDRESS(ap_trampoline_entry), %rax
    xor %ebp, %ebp
    // A zero "return address": C++ code expects RSP = 8 mod 16 at entry, as after a call,
    // and a backtrace stops here.
    push $0
    jmp *%rax

    .balign 8
trampoline_gdt:
    .quad 0
    .quad 0x00CF9A000000FFFF // 0x08: 32-bit code
    .quad 0x00CF92000000FFFF // 0x10: data
    .quad 0x00AF9A000000FFFF // 0x18: 64-bit code
trampoline_gdt_pointer:
    .short 4 * 8 - 1
    .long ADDRESS(trampoline_gdt)

    // The data block the boot CPU fills in before each STARTUP IPI.
    .balign 8
    .global ap_trampoline_page_table_root
ap_trampoline_page_table_root:
    .quad 0
    .global ap_trampoline_stack_top
ap_trampoline_stack_top:
    .quad 0
    .global ap_trampoline_entry
ap_trampoline_entry:
    .quad 0
    .global ap_trampoline_processor
ap_trampoline_processor:
    .quad 0
    .global ap_trampoline_extra_efer_bits
ap_trampoline_extra_efer_bits:
    .long 0
    .global ap_trampoline_end
ap_trampoline_end:
