#pragma once

// The kernel's memory: physical frames (frame database, buddy allocator, per-CPU page
// caches) and the kernel address space (W^X image, NX direct map of RAM, guard pages).
// docs/memory.md describes the layout and the rules.

#include <Core/Error.h>
#include <Core/Optional.h>
#include <Core/Types.h>
#include <Kernel/Arch/x86_64/PageTables.h>
#include <Kernel/Boot/BootInfo.h>
#include <Kernel/Memory/MemoryCorruption.h>
#include <Kernel/Memory/PhysicalPage.h>

namespace Kernel::Memory {

// Builds the frame database and the allocators from the boot memory map, then builds the
// kernel address space and switches to it. Called once during boot; the kernel cannot run
// without memory, so failures here panic with the reason.
void initialize(const Boot::BootInfo& boot_info, Core::u64 boot_information_physical);

// ---- Physical frames ----------------------------------------------------------------------
// A naturally aligned block of 2^order frames. OutOfMemory when none is free.
[[nodiscard]] Core::Result<Core::u64> allocate_physical_pages(Core::u32 order, PageUse use);
void free_physical_pages(Core::u64 physical_address, Core::u32 order);
// Single frames go through this CPU's page cache.
[[nodiscard]] Core::Result<Core::u64> allocate_physical_page(PageUse use);
void free_physical_page(Core::u64 physical_address);

// The corruption handler of every kernel allocator: damage found in allocator state is a
// kernel bug, so it panics with the report.
[[noreturn]] void panic_on_memory_corruption(const CorruptionReport& report);

// The frame database entry for a physical address, or nullptr outside the database.
[[nodiscard]] PhysicalPage* physical_page(Core::u64 physical_address);
// One past the last byte the frame database covers (page-aligned): every RAM frame the
// kernel knows of lies below it, and nothing at or above it is RAM the kernel owns.
[[nodiscard]] Core::u64 frame_database_end();
// One past the highest physical address the CPU can reach (its MAXPHYADDR, bounded by
// the direct map's window).
[[nodiscard]] Core::u64 physical_address_space_end();

struct PhysicalMemoryStatistics {
    Core::u64 total_bytes; // frames the database describes
    Core::u64 free_bytes; // in the buddy allocator and the page caches
    Core::u64 allocated_bytes; // handed out
    Core::u64 reserved_bytes; // never handed out (firmware, kernel image, ...)
};
[[nodiscard]] PhysicalMemoryStatistics physical_memory_statistics();

// The direct-map address of a physical address in RAM (or in an MMIO range the kernel
// mapped). All RAM is mapped there, read-write and never executable.
[[nodiscard]] void* physical_to_virtual(Core::u64 physical_address);

// ---- Kernel mappings ----------------------------------------------------------------------
// Each change is followed by the TLB invalidation it needs (TlbInvalidation.h).
[[nodiscard]] Core::Result<void> map_kernel_page(
    Core::u64 virtual_address, Core::u64 physical_address, Arch::PageProtection protection);
[[nodiscard]] Core::Result<Arch::Translation> unmap_kernel_page(Core::u64 virtual_address);
[[nodiscard]] Core::Result<void> protect_kernel_page(
    Core::u64 virtual_address, Arch::PageProtection protection);
[[nodiscard]] Core::Optional<Arch::Translation> translate(Core::u64 virtual_address);

// Maps a device's registers (MMIO) at their direct-map address with the given cache mode
// (uncached for registers, write-combining for frame buffers) and returns that address.
// Pages already mapped there with the same physical address and cache mode are reused, so
// two devices sharing a page are fine. Memory that is RAM is refused (InvalidArgument).
[[nodiscard]] Core::Result<void*> map_device(
    Core::u64 physical_address, Core::u64 length, Arch::CacheMode cache);

// Whether [physical_address, physical_address + length) is device memory that may back a
// physical memory object (MemoryObject::create_physical). InvalidArgument when it is empty
// or runs past the CPU's physical address width; AccessDenied when any page of it is RAM:
// a frame the allocator manages, or RAM kept out of it at boot (the kernel image, boot
// modules, the frame database, ACPI tables), which user space must never reach this way.
[[nodiscard]] Core::Result<void> check_device_memory(Core::u64 physical_address, Core::u64 length);

// A kernel stack of `size` bytes (a multiple of 4 KiB) in the kernel-stack region, with an
// unmapped guard page below it.
struct KernelStack {
    Core::u64 bottom;
    Core::u64 top;
};
[[nodiscard]] Core::Result<KernelStack> allocate_kernel_stack(Core::u64 size);
// Returns a stack's frames. Nothing may run on it any more.
void free_kernel_stack(const KernelStack& stack);

// Physical address of the kernel's top-level page table (what CR3 holds).
[[nodiscard]] Core::u64 kernel_page_table_root();

// For AddressSpace: where page-table frames come from, and the kernel hierarchy whose
// (fully populated, never changing) top-level kernel-half entries every address space shares.
[[nodiscard]] Arch::PageTableMemory& page_table_memory();
[[nodiscard]] const Arch::PageTables& kernel_page_tables();

// Calls callback(const Arch::Translation&) for every page of the kernel address space.
void for_each_kernel_page(void (*callback)(const Arch::Translation&, void*), void* context);

} // namespace Kernel::Memory
