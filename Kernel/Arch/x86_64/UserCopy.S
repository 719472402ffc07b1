// u64 copy_user_bytes(void* destination, const void* source, u64 count)
//
// Copies count bytes, one side of which is user memory, and returns how many bytes were NOT
// copied: 0 on success. The caller has already checked that the user range lies inside user
// space (Memory::is_user_range) and has opened the SMAP window around the call.
//
// Whole 8-byte words go first (rep movsq), then the 0-7 bytes left (rep movsb): each
// repetition is one instruction, so words make a copy about 8 times cheaper than bytes
// alone, which matters most to the small messages of IPC (docs/ipc.md#fast-path).
//
// A user page may still be unmapped (or not writable). The fault then lands in the page
// fault handler with RIP at one of the two copy instructions;
// Arch::redirect_fault_in_user_copy moves RIP to the matching exit, which returns what was
// left, so the kernel never panics on a bad user pointer. A faulting movsq stores nothing
// of its word, so counting whole words left is exact. Registers: RDI, RSI, RCX, RDX, RAX
// (all caller-saved); memory: only the two ranges.

    .section .text, "ax"
    .code64
    .global copy_user_bytes
    .global user_copy_words_instruction
    .global user_copy_words_fault
    .global user_copy_instruction
    .global user_copy_fault
copy_user_bytes:
    mov %rdx, %rcx
    shr $3, %rcx
    and $7, %edx
user_copy_words_instruction:
    rep movsq
    mov %rdx, %rcx
user_copy_instruction:
    rep movsb
    xor %eax, %eax
    ret
user_copy_words_fault:
    // RCX words were not copied, nor the RDX bytes after them.
    lea (%rdx,%rcx,8), %rax
    ret
user_copy_fault:
    // rep movsb leaves RCX at the count still to copy when it faults.
    mov %rcx, %rax
    ret
