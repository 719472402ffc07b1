#pragma once

// A user address space: its own page-table hierarchy for the lower (user) half, sharing the
// kernel half with every other address space. The kernel half's top-level entries are
// populated once at boot and never change (MemoryManager), so copying them at creation is
// enough for kernel mappings made later to show here too.
//
// Mappings. User memory is mapped as regions (RegionMap.h): page-aligned ranges backed by
// part of a memory object (MemoryObject.h), each with a protection and the most it may be
// raised to. Mapping creates no page-table entries; pages become present when first touched,
// through the page-fault path (resolve_fault), so demand-zero and copy-on-write pages cost
// nothing until used. Unmapping and protecting work on any page-aligned part of a region,
// splitting it, and invalidate the TLB on every CPU; an object's frames go back when its
// last mapping and handle are gone. Every page mapped is the object's own frame: zeroed, a
// copy, or device memory.
//
// Only user pages go in: addresses inside user space (UserRange.h), the user bit set, and
// never writable and executable at once (W^X). map_page also maps single frames outside any
// region (kernel tests use it); those frames belong to the caller.
//
// Locking: one spinlock ("address space", docs/lock-order.md) guards the regions and the
// page tables. The fault path takes it with interrupts off, and under it takes only the
// page allocator's and the heap's locks (for a new frame, a table frame, or a longer region
// list). TLB invalidations, and dropping the objects an unmap removed, happen after it is
// released.
//
// Threads bound to an address space (Tasks::create_user_thread) run on it: the scheduler
// loads its root into CR3 when it switches to one of them. It must outlive those threads.

#include <Core/Error.h>
#include <Core/Optional.h>
#include <Core/RefPtr.h>
#include <Core/Span.h>
#include <Core/Types.h>
#include <Kernel/Arch/x86_64/PageTables.h>
#include <Kernel/Locking/Spinlock.h>
#include <Kernel/Memory/MemoryObject.h>
#include <Kernel/Memory/RegionMap.h>

namespace Kernel::Memory {

// Where the kernel places mappings it chooses the address of (the heap, in the issue's
// words): anywhere page-aligned in [16 TiB, 112 TiB), at random. That is about 2^34 possible
// places, and it stays clear of the program images (4 GiB to 4 GiB + 2 TiB) and the stacks
// (the top 1 TiB) the loader places (ProgramLoader.h).
inline constexpr Core::u64 mapping_window_start = 0x0000100000000000ull;
inline constexpr Core::u64 mapping_window_end = 0x0000700000000000ull;
// The most regions one address space holds (splits count).
inline constexpr Core::usize maximum_regions = 4096;

// Whether `protection` (ABI/Memory.h bits) is one a mapping may have: known bits only, Write
// and Execute each with Read, never Write with Execute.
[[nodiscard]] bool is_valid_protection(Core::u64 protection);

// What a fault tried to do.
enum class FaultAccess : Core::u8 {
    Read,
    Write,
    Execute,
};

class AddressSpace {
public:
    // OutOfMemory when no top-level table can be had.
    [[nodiscard]] static Core::Result<AddressSpace*> create();
    // Drops every mapping (objects whose last reference that was go, with their frames),
    // then frees the page tables. No thread may run on it any more.
    ~AddressSpace();
    AddressSpace(const AddressSpace&) = delete;
    AddressSpace& operator=(const AddressSpace&) = delete;

    // Maps [offset, offset + length) of `object` with `protection` (ABI/Memory.h bits) and
    // returns the address: `fixed_address` when given, otherwise a random free one in the
    // mapping window. `maximum_protection` is the most protect() may raise it to (what the
    // caller's rights allow). Errors: InvalidArgument (length zero or not page aligned,
    // offset not page aligned, a protection that is not valid, a fixed address not page
    // aligned or a range outside user space); OutOfRange (past the object's end);
    // AccessDenied (protection beyond the maximum); AlreadyExists (a fixed range overlaps a
    // mapping); OutOfMemory (no free range of that length, or no memory for the region);
    // OutOfRange also at the region limit.
    [[nodiscard]] Core::Result<Core::u64> map(Core::RefPtr<MemoryObject> object, Core::u64 offset,
        Core::u64 length, Core::u8 protection, Core::u8 maximum_protection,
        Core::Optional<Core::u64> fixed_address = {});
    // Removes every mapping, or the part of it, inside [address, address + length).
    // InvalidArgument for a range not page aligned, empty or outside user space; NotFound
    // when nothing is mapped there; OutOfMemory / OutOfRange if a region that must be split
    // cannot be (nothing is unmapped then).
    [[nodiscard]] Core::Result<void> unmap(Core::u64 address, Core::u64 length);
    // Gives every page of [address, address + length) `protection`. The range must be
    // mapped throughout (NotFound) and each mapping's maximum must allow it (AccessDenied);
    // otherwise errors as unmap, or InvalidArgument for a protection that is not valid.
    // All or nothing.
    [[nodiscard]] Core::Result<void> protect(Core::u64 address, Core::u64 length, Core::u8 protection);

    // Makes the page at `address` present if a region maps it and allows `access`: the
    // page-fault path's work for a not-present fault (from user mode, or from the kernel
    // copying user memory). Returns whether the access can now be retried; false sends the
    // fault on to the usual handling (the thread ends, or the copy returns BadAddress),
    // including when no frame could be had. Runs with interrupts off.
    [[nodiscard]] bool resolve_fault(Core::u64 address, FaultAccess access);

    // Writes into the space's memory from the kernel, through the objects the regions map
    // (so read-only mappings can be filled). NotFound if part of the range is not mapped,
    // InvalidArgument if it is not inside user space, OutOfMemory if a page cannot be had.
    [[nodiscard]] Core::Result<void> write(Core::u64 virtual_address, Core::ReadonlyBytes bytes);

    // Maps one 4 KiB frame of the caller's, outside any region. InvalidArgument for an
    // address outside user space or not page aligned, a physical address not page aligned,
    // a protection without the user bit, with the global bit, or both writable and
    // executable; AlreadyExists if the page is mapped; OutOfMemory when no table frame can
    // be had.
    [[nodiscard]] Core::Result<void> map_page(
        Core::u64 virtual_address, Core::u64 physical_address, Arch::PageProtection protection);
    // Removes one page mapped with map_page and invalidates it in every CPU's TLB. NotFound
    // when nothing is mapped.
    [[nodiscard]] Core::Result<Arch::Translation> unmap_page(Core::u64 virtual_address);
    [[nodiscard]] Core::Optional<Arch::Translation> translate(Core::u64 virtual_address);

    // How many regions the space holds, for tests.
    [[nodiscard]] Core::usize region_count();

    // What CR3 holds while a thread of this address space runs.
    [[nodiscard]] Core::u64 root() const { return m_root; }
    // A number no other address space has had or will have, for the PCID caches
    // (PcidCache.h).
    [[nodiscard]] Core::u64 id() const { return m_id; }
    // Goes up whenever translations of the space shrink (unmap, protect), before the TLB
    // shootdown: a CPU that keeps the space's entries under a PCID it is not using flushes
    // them at its next switch to the space.
    [[nodiscard]] Core::u64 tlb_generation() const
    {
        return __atomic_load_n(&m_tlb_generation, __ATOMIC_ACQUIRE);
    }

private:
    void note_translations_changed() { __atomic_add_fetch(&m_tlb_generation, 1, __ATOMIC_ACQ_REL); }

    explicit AddressSpace(Arch::PageTables tables)
        : m_tables(tables)
        , m_root(tables.root())
    {
    }

    using Regions = RegionMap<Core::RefPtr<MemoryObject>>;

    Locking::Spinlock m_lock { "address space", Locking::LockRank::AddressSpace };
    Arch::PageTables m_tables;
    Core::u64 m_root;
    Core::u64 m_id { __atomic_add_fetch(&s_next_id, 1, __ATOMIC_RELAXED) };
    Core::u64 m_tlb_generation { 0 };
    static inline Core::u64 s_next_id { 0 };
    Regions m_regions { maximum_regions };
};

} // namespace Kernel::Memory
