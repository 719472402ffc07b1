#pragma once

// A user address space: its own page-table hierarchy for the lower (user) half, sharing the
// kernel half with every other address space. The kernel half's top-level entries are
// populated once at boot and never change (MemoryManager), so copying them at creation is
// enough for kernel mappings made later to show here too.
//
// Only user pages go in: addresses inside user space (UserRange.h), the user bit set, and
// never writable and executable at once (W^X). Frames mapped with map_page belong to the
// caller; those mapped with map_new_page belong to the space and are freed with it.
//
// Threads bound to an address space (Tasks::create_user_thread) run on it: the scheduler
// loads its root into CR3 when it switches to one of them. It must outlive those threads.

#include <Core/Error.h>
#include <Core/Optional.h>
#include <Core/Span.h>
#include <Core/Types.h>
#include <Kernel/Arch/x86_64/PageTables.h>
#include <Kernel/Locking/Spinlock.h>

namespace Kernel::Memory {

class AddressSpace {
public:
    // OutOfMemory when no top-level table can be had.
    [[nodiscard]] static Core::Result<AddressSpace*> create();
    // Frees the page tables (not the frames mapped). No thread may run on it any more.
    ~AddressSpace();
    AddressSpace(const AddressSpace&) = delete;
    AddressSpace& operator=(const AddressSpace&) = delete;

    // Maps one 4 KiB user page. InvalidArgument for an address outside user space or not
    // page aligned, a physical address not page aligned, a protection without the user bit,
    // with the global bit, or both writable and executable; AlreadyExists if the page is mapped; OutOfMemory
    // when no table frame can be had.
    [[nodiscard]] Core::Result<void> map_page(
        Core::u64 virtual_address, Core::u64 physical_address, Arch::PageProtection protection);
    // Maps a fresh, zeroed frame that the address space owns and frees when it is destroyed
    // (PageUse::UserMemory). Returns the frame's physical address. Errors as map_page, or
    // OutOfMemory when no frame can be had.
    [[nodiscard]] Core::Result<Core::u64> map_new_page(
        Core::u64 virtual_address, Arch::PageProtection protection);
    // Writes into the space's memory from the kernel, through the frames' direct-map
    // addresses (so read-only user pages can be filled). NotFound if a page of the range
    // is not mapped, InvalidArgument if the range is not inside user space.
    [[nodiscard]] Core::Result<void> write(Core::u64 virtual_address, Core::ReadonlyBytes bytes);

    // Removes one page and invalidates it in every CPU's TLB. NotFound when nothing is mapped.
    [[nodiscard]] Core::Result<Arch::Translation> unmap_page(Core::u64 virtual_address);
    [[nodiscard]] Core::Optional<Arch::Translation> translate(Core::u64 virtual_address);

    // What CR3 holds while a thread of this address space runs.
    [[nodiscard]] Core::u64 root() const { return m_root; }

private:
    explicit AddressSpace(Arch::PageTables tables)
        : m_tables(tables)
        , m_root(tables.root())
    {
    }

    Locking::Spinlock m_lock { "address space", Locking::LockRank::AddressSpace };
    Arch::PageTables m_tables;
    Core::u64 m_root;
};

} // namespace Kernel::Memory
