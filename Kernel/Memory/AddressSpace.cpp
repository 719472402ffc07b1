#include <ABI/Memory.h>
#include <Core/NoThrow.h>
#include <Core/Vector.h>
#include <Kernel/Arch/x86_64/CPUFeatures.h>
#include <Kernel/Memory/AddressSpace.h>
#include <Kernel/Memory/MemoryManager.h>
#include <Kernel/Memory/TlbInvalidation.h>
#include <Kernel/Memory/UserRange.h>
#include <Kernel/Security/BootEntropy.h>

namespace Kernel::Memory {

namespace {

constexpr Core::u32 kernel_half_first_entry = Arch::entries_per_table / 2;
constexpr Core::u32 kernel_half_end_entry = Arch::entries_per_table;
constexpr Core::u64 user_page_size = 4096;

bool is_page_aligned(Core::u64 value)
{
    return (value & (user_page_size - 1)) == 0;
}

// A user range the region calls accept: page aligned, not empty, inside user space.
bool is_mappable_range(Core::u64 address, Core::u64 length)
{
    return length != 0 && is_page_aligned(address) && is_page_aligned(length)
        && is_user_range(address, length);
}

Arch::PageProtection page_protection(Core::u8 protection, Arch::CacheMode cache)
{
    return {
        .writable = (protection & ABI::vm_write) != 0,
        .executable = (protection & ABI::vm_execute) != 0,
        .user = true,
        .global = false,
        .cache = cache,
    };
}

bool allows(Core::u8 protection, FaultAccess access)
{
    switch (access) {
    case FaultAccess::Read:
        return (protection & ABI::vm_read) != 0;
    case FaultAccess::Write:
        return (protection & ABI::vm_write) != 0;
    case FaultAccess::Execute:
        return (protection & ABI::vm_execute) != 0;
    }
    return false;
}

} // namespace

bool is_valid_protection(Core::u64 protection)
{
    if ((protection & ~ABI::vm_protection_bits) != 0)
        return false;
    bool readable = (protection & ABI::vm_read) != 0;
    bool writable = (protection & ABI::vm_write) != 0;
    bool executable = (protection & ABI::vm_execute) != 0;
    return !(writable && executable) && (readable || (!writable && !executable));
}

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
    // No thread runs on the space any more, and every CPU that ran one has loaded another
    // CR3 since (user pages are never global). Without PCIDs no TLB holds its translations
    // any more. With them, a CPU may still hold entries tagged with the PCID the space had
    // there, but only a CR3 load with that PCID could use them, and the next one is for
    // another space, which flushes it (PcidCache: space ids are never reused). So the
    // objects may free their frames now.
    m_regions.clear([](Regions::Region&&) {});
    // The kernel half's tables are shared: only the user half's are this space's to free.
    m_tables.forget_top_level(kernel_half_first_entry, kernel_half_end_entry);
    m_tables.destroy();
}

Core::Result<Core::u64> AddressSpace::map(Core::RefPtr<MemoryObject> object, Core::u64 offset,
    Core::u64 length, Core::u8 protection, Core::u8 maximum_protection,
    Core::Optional<Core::u64> fixed_address)
{
    if (!object || length == 0 || !is_page_aligned(length) || !is_page_aligned(offset)
        || !is_valid_protection(protection))
        return Core::ErrorCode::InvalidArgument;
    if (fixed_address.has_value() && !is_mappable_range(fixed_address.value(), length))
        return Core::ErrorCode::InvalidArgument;
    if (offset > object->size() || length > object->size() - offset)
        return Core::ErrorCode::OutOfRange;
    if ((protection & ~maximum_protection) != 0)
        return Core::ErrorCode::AccessDenied;
    // Drawn before the lock: the random source may take a while without hardware help.
    Core::u64 random = fixed_address.has_value() ? 0 : Security::boot_random_u64().value;

    Locking::SpinlockLocker locker(m_lock);
    Core::u64 address = 0;
    if (fixed_address.has_value()) {
        address = fixed_address.value();
    } else {
        auto found = m_regions.find_free_range(length, mapping_window_start, mapping_window_end, random);
        if (!found.has_value())
            return Core::ErrorCode::OutOfMemory;
        address = found.value();
    }
    Regions::Region region;
    region.base = address;
    region.length = length;
    region.object_offset = offset;
    region.protection = protection;
    region.maximum_protection = maximum_protection;
    region.backing = Core::move(object);
    TRY(m_regions.insert(Core::move(region)));
    return address;
}

Core::Result<void> AddressSpace::unmap(Core::u64 address, Core::u64 length)
{
    if (!is_mappable_range(address, length))
        return Core::ErrorCode::InvalidArgument;
    Core::u64 end = address + length;
    // The objects of the regions removed: dropped only after the TLB invalidation, since
    // dropping the last reference frees frames that stale entries might still reach.
    Core::Vector<Core::RefPtr<MemoryObject>> removed;
    bool cleared_any = false;
    {
        Locking::SpinlockLocker locker(m_lock);
        if (!m_regions.overlaps(address, end))
            return Core::ErrorCode::NotFound;
        TRY(m_regions.split_at(address));
        TRY(m_regions.split_at(end));
        Core::usize count = 0;
        m_regions.for_each_in(address, end, [&](Regions::Region&) { ++count; });
        TRY(removed.try_ensure_capacity(count));
        m_tables.for_each_page_in(address, end, [&](const Arch::Translation& translation) {
            (void)m_tables.unmap(translation.page_virtual_base);
            cleared_any = true;
        });
        // The capacity is reserved, so the appends cannot fail.
        m_regions.remove_range(address, end,
            [&](Regions::Region&& region) { (void)removed.try_append(Core::move(region.backing)); });
    }
    if (cleared_any) {
        note_translations_changed();
        invalidate_range(address, length);
    }
    return {};
}

Core::Result<void> AddressSpace::protect(Core::u64 address, Core::u64 length, Core::u8 protection)
{
    if (!is_mappable_range(address, length) || !is_valid_protection(protection))
        return Core::ErrorCode::InvalidArgument;
    Core::u64 end = address + length;
    bool changed_any = false;
    {
        Locking::SpinlockLocker locker(m_lock);
        if (!m_regions.covers(address, end))
            return Core::ErrorCode::NotFound;
        bool permitted = true;
        m_regions.for_each_in(address, end, [&](Regions::Region& region) {
            permitted = permitted && (protection & ~region.maximum_protection) == 0;
        });
        if (!permitted)
            return Core::ErrorCode::AccessDenied;
        TRY(m_regions.split_at(address));
        TRY(m_regions.split_at(end));
        m_regions.for_each_in(address, end, [&](Regions::Region& region) {
            region.protection = protection;
            auto new_protection = page_protection(protection, region.backing->cache_mode());
            m_tables.for_each_page_in(region.base, region.end(), [&](const Arch::Translation& translation) {
                // No access at all: the page leaves the tables (the object keeps its frame)
                // and every access faults.
                if (protection == 0)
                    (void)m_tables.unmap(translation.page_virtual_base);
                else
                    (void)m_tables.protect(translation.page_virtual_base, new_protection);
                changed_any = true;
            });
        });
    }
    if (changed_any) {
        note_translations_changed();
        invalidate_range(address, length);
    }
    return {};
}

bool AddressSpace::resolve_fault(Core::u64 address, FaultAccess access)
{
    Locking::SpinlockLocker locker(m_lock);
    const Regions::Region* region = m_regions.find(address);
    if (!region || !allows(region->protection, access))
        return false;
    Core::u64 page = address & ~(user_page_size - 1);
    Core::u64 page_index = (region->object_offset + (page - region->base)) / user_page_size;
    auto frame = region->backing->frame_for_mapping(page_index);
    if (frame.is_error())
        return false;
    auto mapped = m_tables.map(page, frame.value(), user_page_size,
        page_protection(region->protection, region->backing->cache_mode()));
    // AlreadyExists: another CPU resolved the same page while this one waited for the lock.
    // A not-present entry is never cached, so nothing needs invalidating.
    return !mapped.is_error() || mapped.error().code() == Core::ErrorCode::AlreadyExists;
}

Core::Result<void> AddressSpace::write(Core::u64 virtual_address, Core::ReadonlyBytes bytes)
{
    if (!is_user_range(virtual_address, bytes.size()))
        return Core::ErrorCode::InvalidArgument;
    Core::usize written = 0;
    while (written < bytes.size()) {
        Core::u64 address = virtual_address + written;
        Core::RefPtr<MemoryObject> object;
        Core::u64 object_offset = 0;
        Core::u64 left_in_region = 0;
        {
            Locking::SpinlockLocker locker(m_lock);
            const Regions::Region* region = m_regions.find(address);
            if (!region)
                return Core::ErrorCode::NotFound;
            object = region->backing;
            object_offset = region->object_offset + (address - region->base);
            left_in_region = region->end() - address;
        }
        // The object is held by the reference taken above, so the write needs no lock.
        Core::usize chunk = Core::min<Core::u64>(bytes.size() - written, left_in_region);
        TRY(object->write(object_offset, Core::ReadonlyBytes(bytes.data() + written, chunk)));
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
    note_translations_changed();
    invalidate_page(virtual_address);
    return removed;
}

Core::Optional<Arch::Translation> AddressSpace::translate(Core::u64 virtual_address)
{
    Locking::SpinlockLocker locker(m_lock);
    return m_tables.translate(virtual_address);
}

Core::usize AddressSpace::region_count()
{
    Locking::SpinlockLocker locker(m_lock);
    return m_regions.size();
}

} // namespace Kernel::Memory
