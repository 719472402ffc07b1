#include <Core/NoThrow.h>
#include <Kernel/Arch/x86_64/CPUFeatures.h>
#include <Kernel/Memory/AddressSpace.h>
#include <Kernel/Memory/MemoryManager.h>
#include <Kernel/Memory/TlbInvalidation.h>
#include <Kernel/Memory/UserRange.h>

namespace Kernel::Memory {

namespace {

constexpr Core::u32 kernel_half_first_entry = Arch::entries_per_table / 2;
constexpr Core::u32 kernel_half_end_entry = Arch::entries_per_table;
constexpr Core::u64 user_page_size = 4096;

} // namespace

Core::Result<AddressSpace*> AddressSpace::create()
{
    auto tables = TRY(Arch::PageTables::create(page_table_memory(), Arch::cpu_features().no_execute));
    tables.share_top_level_from(kernel_page_tables(), kernel_half_first_entry, kernel_half_end_entry);
    auto* space = new (Core::nothrow) AddressSpace(tables);
    if (!space) {
        tables.forget_top_level(kernel_half_first_entry, kernel_half_end_entry);
        tables.destroy();
        return Core::ErrorCode::OutOfMemory;
    }
    return space;
}

AddressSpace::~AddressSpace()
{
    // The kernel half's tables are shared: only the user half's are this space's to free.
    m_tables.forget_top_level(kernel_half_first_entry, kernel_half_end_entry);
    // The frames the space allocated itself go back too; the caller's stay.
    m_tables.for_each_page([](const Arch::Translation& translation) {
        PhysicalPage* page = physical_page(translation.physical_address);
        if (page && page->use == PageUse::UserMemory)
            free_physical_page(translation.physical_address);
    });
    m_tables.destroy();
}

Core::Result<Core::u64> AddressSpace::map_new_page(Core::u64 virtual_address, Arch::PageProtection protection)
{
    Core::u64 frame = TRY(allocate_physical_page(PageUse::UserMemory));
    // A fresh frame is RAM, reached through the direct map. Every page a program gets
    // starts zeroed, so nothing of what the frame held before can leak to it.
    auto* bytes = static_cast<Core::u8*>(physical_to_virtual(frame));
    for (Core::u64 index = 0; index < user_page_size; ++index)
        bytes[index] = 0;
    auto mapped = map_page(virtual_address, frame, protection);
    if (mapped.is_error()) {
        free_physical_page(frame);
        return mapped.error();
    }
    return frame;
}

Core::Result<void> AddressSpace::write(Core::u64 virtual_address, Core::ReadonlyBytes bytes)
{
    if (!is_user_range(virtual_address, bytes.size()))
        return Core::ErrorCode::InvalidArgument;
    Core::usize written = 0;
    while (written < bytes.size()) {
        Core::u64 address = virtual_address + written;
        auto translation = translate(address);
        if (!translation.has_value())
            return Core::ErrorCode::NotFound;
        Core::u64 in_page = user_page_size - (address % user_page_size);
        Core::usize chunk = bytes.size() - written < in_page ? bytes.size() - written : in_page;
        // The translation names the byte's frame (RAM mapped into this space), reached
        // through the direct map; the chunk stays inside that page.
        auto* destination = static_cast<Core::u8*>(physical_to_virtual(translation->physical_address));
        for (Core::usize index = 0; index < chunk; ++index)
            destination[index] = bytes.data()[written + index];
        written += chunk;
    }
    return {};
}

Core::Result<void> AddressSpace::map_page(
    Core::u64 virtual_address, Core::u64 physical_address, Arch::PageProtection protection)
{
    if ((virtual_address | physical_address) % user_page_size != 0
        || !is_user_range(virtual_address, user_page_size))
        return Core::ErrorCode::InvalidArgument;
    // A global page would survive CR3 switches: other processes would see it, and it would
    // stay cached after its frame was freed.
    if (!protection.user || protection.global || (protection.writable && protection.executable))
        return Core::ErrorCode::InvalidArgument;
    Locking::SpinlockLocker locker(m_lock);
    return m_tables.map(virtual_address, physical_address, user_page_size, protection);
}

Core::Result<Arch::Translation> AddressSpace::unmap_page(Core::u64 virtual_address)
{
    if (virtual_address % user_page_size != 0 || !is_user_range(virtual_address, user_page_size))
        return Core::ErrorCode::InvalidArgument;
    auto removed = [&] {
        Locking::SpinlockLocker locker(m_lock);
        return m_tables.unmap(virtual_address);
    }();
    if (removed.is_error())
        return removed;
    // Any CPU may have run a thread of this space and cached the translation; the
    // invalidation reaches them all (on others it is simply a miss).
    invalidate_page(virtual_address);
    return removed;
}

Core::Optional<Arch::Translation> AddressSpace::translate(Core::u64 virtual_address)
{
    Locking::SpinlockLocker locker(m_lock);
    return m_tables.translate(virtual_address);
}

} // namespace Kernel::Memory
