// Interrupt and exception entry points, one per vector, each 16 bytes long so that the
// IDT code can compute entry point addresses as interrupt_entry_points + 16 * vector.
//
// Every entry point leaves the stack in the same shape: an error code (the CPU's, or a zero
// pushed here for vectors without one), the vector number, then the general registers
// pushed by interrupt_common. That shape is Kernel::Arch::RegisterState.
//
// Stack alignment: in 64-bit mode the CPU aligns RSP to 16 bytes before pushing its 5
// words; error code + vector + 15 registers add 17 more, 22 words in all = 176 bytes, so
// RSP is 16-byte aligned again at the call, as the SysV ABI requires.

#include "SavedRegisters.inc"

    .section .text, "ax"
    .code64

    .balign 16
    .global interrupt_entry_points
interrupt_entry_points:
    .set vector, 0
    .rept 256
    // Vectors 8, 10-14, 17, 21, 29 and 30 get an error code from the CPU.
    .if (vector == 8) || ((vector >= 10) && (vector <= 14)) || (vector == 17) || (vector == 21) || (vector == 29) || (vector == 30)
    .else
    pushq $0
    .endif
    pushq $vector
    jmp interrupt_common
    .balign 16, 0xCC
    .set vector, vector + 1
    .endr
    // initialize_interrupts() checks that the entry points span exactly 256 * 16 bytes, which
    // proves that none outgrew its slot.
    .global interrupt_entry_points_end
interrupt_entry_points_end:

interrupt_common:
    // Delivering an interrupt leaves RFLAGS.AC as it was, and user code may set it (popfq):
    // SMAP would then be off for the whole handler. All flags are cleared here instead (IF
    // is already clear in an interrupt gate; the interrupted RFLAGS are safe in the frame),
    // which works whether or not the CPU has clac.
    pushq $2
    popfq
    // From user mode (the saved CS, above the vector and error code, has RPL 3), GS base
    // holds the user's value: swapgs brings back this CPU's Processor, which the kernel
    // reads through GS. From kernel mode it is already there. The lfence keeps either path
    // from running ahead speculatively with the wrong GS base.
    testb $3, 24(%rsp)
    jz 1f
    swapgs
1:
    lfence
    push_general_registers
    cld
    mov %rsp, %rdi
    call interrupt_dispatch
    pop_general_registers
    // Drop the vector and error code.
    add $16, %rsp
    // Back to user mode: give the user its GS base again (CS is now at 8(%rsp)).
    testb $3, 8(%rsp)
    jz 2f
    swapgs
2:
    lfence
    iretq
