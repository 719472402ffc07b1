// u64 copy_user_bytes(void* destination, const void* source, u64 count)
//
// Copies count bytes, one side of which is user memory, and returns how many bytes were NOT
// copied: 0 on success. The caller has already checked that the user range lies inside user
// space (Memory::is_user_range) and has opened the SMAP window around the call.
//
// A user page may still be unmapped (or not writable). The fault then lands in the page
// fault handler with RIP at user_copy_instruction; Arch::redirect_fault_in_user_copy moves
// RIP to user_copy_fault, which returns what was left, so the kernel never panics on a bad
// user pointer. Registers: RDI, RSI, RCX, RAX (all caller-saved); memory: only the two
// ranges.

    .section .text, "ax"
    .code64
    .global copy_user_bytes
    .global user_copy_instruction
    .global user_copy_fault
copy_user_bytes:
    mov %rdx, %rcx
user_copy_instruction:
    rep movsb
    xor %eax, %eax
    ret
user_copy_fault:
    // rep movsb leaves RCX at the count still to copy when it faults.
    mov %rcx, %rax
    ret
