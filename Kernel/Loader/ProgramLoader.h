#pragma once

// Loads an executable (a parsed ElfImage) into a user address space and prepares its stack:
// what process creation and process 1 need (issue M1.5).
//
// Address space layout randomisation: a position-independent image's base and the top of
// the stack are random and page-granular (29 bits of page number for the base, 28 for the
// stack), from Security::boot_random_u64 (hardware random numbers, or TSC jitter without
// them; not cryptographic, which ASLR does not need). The base lies between 4 GiB and
// 4 GiB + 2 TiB, the stack in the top 1 TiB of user space, so they never meet. A static image
// loads where it was linked (one that overlaps the stack's region fails to load). The stack
// has an unmapped guard page below it.
//
// Everything is mapped as memory-object regions (AddressSpace.h): each segment an anonymous
// object written with the file's bytes (its bss pages demand-zero), the stack a demand-zero
// object. So the program's pages are tracked like any other mapping: vm_map cannot overlap
// them, and vm_protect can lower their protection but never raise it beyond the segment's.

#include <Core/Error.h>
#include <Core/Types.h>
#include <Kernel/Loader/ElfImage.h>
#include <Kernel/Memory/AddressSpace.h>

namespace Kernel::Loader {

// The initial stack's size. Programs that need more will grow it with mappings of their own.
inline constexpr Core::u64 initial_stack_size = 64 * 1024;

struct LoadedProgram {
    Core::u64 base; // 0 for a static image
    Core::u64 entry_point; // absolute
    Core::u64 stack_top; // initial stack pointer (16-byte aligned, as the SysV ABI wants at entry)
    Core::u64 stack_bottom; // lowest mapped stack address; the page below is the guard
};

// Maps every segment into `address_space` with its own permissions (every page zeroed, then
// the file's bytes copied in), applies the relocations of a position-independent image,
// and maps the stack. OutOfMemory when frames run out; whatever was mapped stays in the
// address space, which the caller then destroys.
[[nodiscard]] Core::Result<LoadedProgram> load_program(
    Memory::AddressSpace& address_space, const ElfImage& image);

} // namespace Kernel::Loader
