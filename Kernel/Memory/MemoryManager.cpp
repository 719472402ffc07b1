#include <Core/PlacementNew.h>
#include <Core/StaticVector.h>
#include <Kernel/Arch/x86_64/AddressSpaceLayout.h>
#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/CPUFeatures.h>
#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Arch/x86_64/StaticStacks.h>
#include <Kernel/Arch/x86_64/TLB.h>
#include <Kernel/BuildConfiguration.h>
#include <Kernel/Locking/Spinlock.h>
#include <Kernel/Log/KernelLog.h>
#include <Kernel/Memory/BuddyAllocator.h>
#include <Kernel/Memory/MemoryManager.h>
#include <Kernel/Memory/PageCache.h>
#include <Kernel/Memory/PhysicalMemoryLayout.h>
#include <Kernel/Memory/TlbInvalidation.h>
#include <Kernel/Panic/Panic.h>

extern "C" char __boot_physical_start[];
extern "C" char __kernel_image_start[], __kernel_image_end[];
extern "C" char __kernel_text_start[], __kernel_text_end[];
extern "C" char __kernel_rodata_start[], __kernel_rodata_end[];
extern "C" char __kernel_data_start[], __kernel_data_end[];
extern "C" char __kernel_symbols_start[];

namespace Kernel::Memory {

namespace {

using Arch::InterruptsDisabled;
using Arch::PageProtection;

// Physical addresses the direct map can reach: the CPU's MAXPHYADDR (CPUID 0x80000008), and
// never more than 64 TiB, which keeps the window clear of the test and stack regions.
constexpr Core::u64 direct_map_window = 1ull << 46;
Core::u64 s_physical_address_limit = direct_map_window;

Core::u64 physical_address_limit()
{
    Core::u64 limit = direct_map_window;
    if (Arch::cpuid(0x80000000).eax >= 0x80000008) {
        Core::u32 width = Arch::cpuid(0x80000008).eax & 0xFF;
        if (width >= 32 && width < 46)
            limit = 1ull << width;
    }
    return limit;
}

// Kernel stacks with guard pages live in their own 512 GiB slot of the address space.
constexpr Core::u64 kernel_stack_region_base = 0xFFFFFF0000000000ull;
constexpr Core::u64 kernel_stack_region_size = 1ull << 39;

// The first megabyte holds the real-mode IVT, BIOS data and the EBDA: never allocated,
// but mapped, because ACPI (M1.3) finds its tables there.
constexpr Core::u64 low_memory_end = 0x100000;
constexpr Core::u64 physical_boundary_of_boot_direct_map = Arch::direct_map_size;

Core::u64 address_of(const char* symbol)
{
    // Linker-script symbols mark section bounds: only their addresses mean anything, so
    // they become integers for arithmetic and are never dereferenced.
    return reinterpret_cast<Core::u64>(symbol);
}

Core::u64 kernel_virtual_to_physical(Core::u64 virtual_address)
{
    return virtual_address - Arch::kernel_virtual_base;
}

// ---- Physical frames ----------------------------------------------------------------------

// Lock order (docs/lock-order.md): kernel-page-tables, then physical-memory, then log.
Locking::Spinlock s_physical_memory_lock("physical-memory", Locking::LockRank::PhysicalMemory);
BuddyAllocator s_buddy;
Core::Span<PhysicalPage> s_frame_database;
// One per CPU, indexed by processor index.
PageCache s_page_caches[Arch::max_processors];

PageCache& current_cpu_page_cache()
{
    return s_page_caches[Arch::current_processor_index()];
}

Core::u64 frames_in_page_caches()
{
    Core::u64 total = 0;
    for (const PageCache& cache : s_page_caches)
        total += cache.count();
    return total;
}

// True until the kernel's own page tables are loaded.
bool s_using_boot_page_tables = true;

// Frames for poisoning are reached through the direct map.
class DirectMapFrameMemory final : public FrameMemory {
public:
    Core::u8* frame_bytes(Core::u64 frame) override
    {
        // After the switch every RAM frame is in the direct map; before it, only the
        // first 4 GiB are (the boot direct map).
        if (!s_using_boot_page_tables)
            return static_cast<Core::u8*>(physical_to_virtual(frame << page_shift));
        // physical_to_virtual() returns the frame's page_size mapped bytes in the boot
        // direct map, or nullptr (which callers skip) for a frame outside it.
        return static_cast<Core::u8*>(Arch::physical_to_virtual(frame << page_shift, page_size));
    }
};
DirectMapFrameMemory s_frame_memory;

// ---- Kernel page tables -------------------------------------------------------------------

Locking::Spinlock s_kernel_page_tables_lock("kernel-page-tables", Locking::LockRank::KernelPageTables);
Core::Optional<Arch::PageTables> s_kernel_page_tables;

class KernelPageTableMemory final : public Arch::PageTableMemory {
public:
    Core::Result<Core::u64> allocate_table() override
    {
        Core::u64 frame = TRY(allocate_reachable_frame());
        __builtin_memset(table_at(frame), 0, page_size);
        return frame;
    }
    void free_table(Core::u64 physical_address) override { free_physical_page(physical_address); }
    Core::u64* table_at(Core::u64 physical_address) override
    {
        // Invariant: page-table frames are RAM, which the direct map covers (before the
        // switch: the boot direct map, below 4 GiB, which allocate_reachable_frame ensures).
        return static_cast<Core::u64*>(Arch::physical_to_virtual(physical_address, page_size));
    }

private:
    // While the boot page tables are live, only the first 4 GiB are reachable; frames
    // above are set aside and returned once the new tables are in place.
    static Core::Result<Core::u64> allocate_reachable_frame()
    {
        Core::StaticVector<Core::u64, 32> unreachable;
        Core::Optional<Core::u64> reachable;
        for (;;) {
            auto frame = allocate_physical_page(PageUse::PageTable);
            if (frame.is_error())
                break;
            if (!s_using_boot_page_tables || frame.value() < physical_boundary_of_boot_direct_map) {
                reachable = frame.value();
                break;
            }
            if (unreachable.try_append(frame.value()).is_error()) {
                free_physical_page(frame.value());
                break;
            }
        }
        for (Core::u64 frame : unreachable)
            free_physical_page(frame);
        if (!reachable.has_value())
            return Core::ErrorCode::OutOfMemory;
        return reachable.value();
    }
};
KernelPageTableMemory s_table_memory;

PageProtection kernel_protection(
    bool writable, bool executable, Arch::CacheMode cache = Arch::CacheMode::WriteBack)
{
    return { .writable = writable,
        .executable = executable,
        .user = false,
        .global = Arch::cpu_features().global_pages,
        .cache = cache };
}

void add_reserved(Core::StaticVector<PhysicalRange, 32>& reserved, Core::u64 base, Core::u64 length)
{
    if (length == 0)
        return;
    if (reserved.try_append({ base, length }).is_error())
        Panic::panic("memory: more than {} reserved ranges at boot", reserved.capacity());
}

void build_frame_database(const Boot::BootInfo& boot_info, Core::u64 boot_information_physical)
{
    Core::StaticVector<PhysicalRange, 32> reserved;
    add_reserved(reserved, 0, low_memory_end);
    Core::u64 image_physical_start = address_of(__boot_physical_start);
    Core::u64 image_physical_end = kernel_virtual_to_physical(address_of(__kernel_image_end));
    add_reserved(reserved, image_physical_start, image_physical_end - image_physical_start);
    add_reserved(reserved, boot_information_physical, boot_info.information_size);
    for (const Boot::BootModule& module : boot_info.modules)
        add_reserved(reserved, module.physical_start, module.physical_end - module.physical_start);
    if (boot_info.framebuffer.has_value())
        add_reserved(
            reserved, boot_info.framebuffer->physical_address, boot_info.framebuffer->size_in_bytes());

    FreeMemoryPlan first_plan = plan_free_memory(boot_info.memory_map.span(), reserved.span());
    Core::u64 database_bytes = frame_database_bytes(first_plan.free_ranges.span());
    auto database_range = place_frame_database(first_plan.free_ranges.span(), database_bytes);
    if (!database_range.has_value())
        Panic::panic("memory: no room for a {} KiB frame database", database_bytes / 1024);
    void* database_memory = Arch::physical_to_virtual(database_range->base, database_range->length);
    if (!database_memory)
        Panic::panic("memory: frame database at {:#x} is outside the boot direct map", database_range->base);

    Core::u64 frame_count = database_bytes / sizeof(PhysicalPage);
    // Invariant: database_memory is database_range->length bytes of free RAM, mapped by the
    // boot direct map, page-aligned; nothing else uses it.
    auto* pages = static_cast<PhysicalPage*>(database_memory);
    for (Core::u64 frame = 0; frame < frame_count; ++frame)
        new (&pages[frame]) PhysicalPage();
    s_frame_database = Core::Span<PhysicalPage>(pages, frame_count);

    add_reserved(reserved, database_range->base, database_range->length);
    FreeMemoryPlan plan = plan_free_memory(boot_info.memory_map.span(), reserved.span());
    s_buddy = BuddyAllocator(s_frame_database);
    s_buddy.set_corruption_handler(panic_on_memory_corruption);
    for (const PhysicalRange& range : plan.free_ranges)
        s_buddy.add_free_range(range.base >> page_shift, range.length >> page_shift);
    if (plan.dropped_range_count > 0)
        Log::warning("memory: {} free ranges ({} KiB) did not fit the plan and stay unused",
            plan.dropped_range_count, plan.dropped_bytes / 1024);
    for (Core::u64 frame = database_range->base >> page_shift;
         frame < (database_range->end() >> page_shift) && frame < frame_count; ++frame)
        s_frame_database[frame].use = PageUse::FrameDatabase;
    Log::info("memory: frame database of {} frames ({} KiB) at {:#x}", frame_count,
        database_range->length / 1024, database_range->base);
}

// Physical ranges to map in the direct map: RAM (usable and ACPI) and the first megabyte,
// page-aligned outwards, sorted and merged so no page is mapped twice.
Core::StaticVector<PhysicalRange, 256> direct_map_ranges(const Boot::BootInfo& boot_info)
{
    Core::StaticVector<PhysicalRange, 256> ranges;
    auto add = [&](Core::u64 base, Core::u64 end) {
        base = base & ~(page_size - 1);
        end = end > ~(page_size - 1) ? ~(page_size - 1) : Core::align_up(end, page_size);
        if (end <= base)
            return;
        // Insertion sort by base; the map is small.
        PhysicalRange range { base, end - base };
        if (ranges.try_append(range).is_error()) {
            Log::warning("memory: too many RAM ranges; {:#x}-{:#x} is not direct-mapped", base, end);
            return;
        }
        for (Core::usize index = ranges.size() - 1; index > 0 && ranges[index - 1].base > ranges[index].base;
             --index)
            Core::swap(ranges[index - 1], ranges[index]);
    };
    add(0, low_memory_end);
    for (const Boot::MemoryRegion& region : boot_info.memory_map) {
        bool is_ram = region.type == Boot::MemoryRegionType::Usable
            || region.type == Boot::MemoryRegionType::AcpiReclaimable
            || region.type == Boot::MemoryRegionType::AcpiNvs;
        if (is_ram)
            add(region.base, region.end());
    }
    Core::StaticVector<PhysicalRange, 256> merged;
    for (const PhysicalRange& range : ranges) {
        if (!merged.is_empty() && range.base <= merged[merged.size() - 1].end()) {
            PhysicalRange& last = merged[merged.size() - 1];
            if (range.end() > last.end())
                last.length = range.end() - last.base;
            continue;
        }
        (void)merged.try_append(range);
    }
    return merged;
}

void map_or_panic(Arch::PageTables& tables, Core::u64 virtual_address, Core::u64 physical_address,
    Core::u64 length, PageProtection protection, const char* what)
{
    auto mapped = tables.map_range(
        virtual_address, physical_address, length, protection, Arch::cpu_features().huge_pages_1g);
    if (mapped.is_error())
        Panic::panic("memory: cannot map {} at {:#x}: {}", what, virtual_address, mapped.error().name());
}

bool is_static_stack_guard_page(Core::u64 virtual_address)
{
    for (const Arch::StaticStack& stack : Arch::static_kernel_stacks()) {
        if (stack.guard_page == virtual_address)
            return true;
    }
    return false;
}

// Maps [start, end) of the kernel image page by page with `protection`, leaving the static
// stacks' guard pages unmapped.
void map_kernel_image_part(
    Arch::PageTables& tables, Core::u64 start, Core::u64 end, PageProtection protection, const char* what)
{
    for (Core::u64 page = start; page < Core::align_up(end, page_size); page += page_size) {
        if (is_static_stack_guard_page(page))
            continue;
        auto mapped = tables.map(page, kernel_virtual_to_physical(page), page_size, protection);
        if (mapped.is_error())
            Panic::panic("memory: cannot map kernel {} page {:#x}: {}", what, page, mapped.error().name());
    }
}

void build_kernel_address_space(const Boot::BootInfo& boot_info)
{
    s_physical_address_limit = physical_address_limit();
    auto created = Arch::PageTables::create(s_table_memory, Arch::cpu_features().no_execute);
    if (created.is_error())
        Panic::panic("memory: cannot allocate the kernel's top-level page table");
    Arch::PageTables tables = created.value();

    Core::u64 direct_mapped_bytes = 0;
    // The higher-half image only: the boot code below it is freed after the switch and must
    // stay writable like any other free RAM.
    Core::u64 image_start = kernel_virtual_to_physical(address_of(__kernel_image_start));
    Core::u64 image_end
        = Core::align_up(kernel_virtual_to_physical(address_of(__kernel_image_end)), page_size);
    for (const PhysicalRange& range : direct_map_ranges(boot_info)) {
        // The first 2 MiB hold the VGA hole and ROM, whose MTRR memory types differ page
        // by page: a large page across them would be undefined (SDM 11.11.9), so they get
        // 4 KiB pages. The kernel image's alias is read-only, so kernel text and rodata
        // cannot be written through the direct map either.
        constexpr Core::u64 small_pages_below = 2ull * 1024 * 1024;
        for (Core::u64 page = range.base; page < range.end(); page += page_size) {
            bool in_image = page >= image_start && page < image_end;
            if (page >= small_pages_below && !in_image) {
                Core::u64 run_end = range.end();
                if (page < image_start && image_start < run_end)
                    run_end = image_start;
                map_or_panic(tables, Arch::direct_map_base + page, page, run_end - page,
                    kernel_protection(true, false), "the direct map");
                page = run_end - page_size;
                continue;
            }
            auto mapped = tables.map(
                Arch::direct_map_base + page, page, page_size, kernel_protection(!in_image, false));
            if (mapped.is_error())
                Panic::panic("memory: cannot map the direct map at {:#x}: {}", page, mapped.error().name());
        }
        direct_mapped_bytes += range.length;
    }
    // The framebuffer is device memory: mapped at its direct-map address, so the console
    // keeps working across the switch, but write-combining instead of write-back.
    if (boot_info.framebuffer.has_value()) {
        Core::u64 base = boot_info.framebuffer->physical_address & ~(page_size - 1);
        Core::u64 end = Core::align_up(
            boot_info.framebuffer->physical_address + boot_info.framebuffer->size_in_bytes(), page_size);
        auto mapped = tables.map_range(Arch::direct_map_base + base, base, end - base,
            kernel_protection(true, false, Arch::CacheMode::WriteCombining), false);
        if (mapped.is_error())
            Log::warning("memory: framebuffer at {:#x} not mapped: {}", base, mapped.error().name());
    }

    map_kernel_image_part(tables, address_of(__kernel_text_start), address_of(__kernel_text_end),
        kernel_protection(false, true), "text");
    map_kernel_image_part(tables, address_of(__kernel_rodata_start), address_of(__kernel_rodata_end),
        kernel_protection(false, false), "rodata");
    map_kernel_image_part(tables, address_of(__kernel_data_start), address_of(__kernel_data_end),
        kernel_protection(true, false), "data");
    map_kernel_image_part(tables, address_of(__kernel_symbols_start), address_of(__kernel_image_end),
        kernel_protection(false, false), "symbols");

    // Every top-level entry of the kernel half gets its table now, so those entries never
    // change again and every user address space can share the kernel half by copying them
    // once (AddressSpace): a kernel mapping made later shows in all of them. 256 tables,
    // 1 MiB.
    if (tables.populate_top_level(Arch::entries_per_table / 2, Arch::entries_per_table).is_error())
        Panic::panic("memory: cannot allocate the kernel half's top-level tables");

    // From here on the kernel runs on its own tables; the boot ones (and the identity map
    // they had) are gone.
    Arch::load_page_table_root(tables.root());
    invalidate_address_space();
    s_using_boot_page_tables = false;
    s_kernel_page_tables = tables;
    Log::info("memory: kernel address space active: {} MiB direct-mapped, image W^X, {} stack guard pages",
        direct_mapped_bytes / (1024 * 1024), Arch::static_kernel_stacks().size());
}

} // namespace

void initialize(const Boot::BootInfo& boot_info, Core::u64 boot_information_physical)
{
    build_frame_database(boot_info, boot_information_physical);
    build_kernel_address_space(boot_info);

    // The boot code, its page tables and its stack are no longer mapped or needed.
    Core::u64 boot_start = address_of(__boot_physical_start);
    Core::u64 boot_end = kernel_virtual_to_physical(address_of(__kernel_image_start));
    {
        Locking::SpinlockLocker locker(s_physical_memory_lock);
        s_buddy.add_free_range(boot_start >> page_shift, (boot_end - boot_start) >> page_shift);
        if (is_debug_build)
            s_buddy.enable_poisoning(s_frame_memory);
    }

    auto statistics = physical_memory_statistics();
    Log::info("memory: {} MiB free, {} KiB allocated, {} MiB reserved", statistics.free_bytes / (1024 * 1024),
        statistics.allocated_bytes / 1024, statistics.reserved_bytes / (1024 * 1024));
}

Core::Result<Core::u64> allocate_physical_pages(Core::u32 order, PageUse use)
{
    Locking::SpinlockLocker locker(s_physical_memory_lock);
    Core::u64 frame = TRY(s_buddy.allocate(order));
    s_frame_database[frame].use = use;
    return frame << page_shift;
}

void free_physical_pages(Core::u64 physical_address, Core::u32 order)
{
    Locking::SpinlockLocker locker(s_physical_memory_lock);
    s_buddy.free(physical_address >> page_shift, order);
}

Core::Result<Core::u64> allocate_physical_page(PageUse use)
{
    // The cache belongs to this CPU: interrupts stay off while it is used, and the buddy
    // allocator's lock is taken only when the cache must refill from it.
    InterruptsDisabled interrupts_disabled;
    PageCache& cache = current_cpu_page_cache();
    auto take = [&]() -> Core::Result<Core::u64> {
        if (!cache.needs_refill())
            return cache.allocate(s_buddy);
        Locking::SpinlockLocker locker(s_physical_memory_lock);
        return cache.allocate(s_buddy);
    };
    Core::u64 frame = TRY(take());
    s_frame_database[frame].use = use;
    return frame << page_shift;
}

void free_physical_page(Core::u64 physical_address)
{
    InterruptsDisabled interrupts_disabled;
    PageCache& cache = current_cpu_page_cache();
    if (!cache.is_full()) {
        cache.free(physical_address >> page_shift, s_buddy);
        return;
    }
    Locking::SpinlockLocker locker(s_physical_memory_lock);
    cache.free(physical_address >> page_shift, s_buddy);
}

void panic_on_memory_corruption(const CorruptionReport& report)
{
    Panic::panic("memory corruption: {} in {} at {:#x} (offset {:#x})", report.kind, report.allocator,
        report.address, report.offset);
}

PhysicalPage* physical_page(Core::u64 physical_address)
{
    Core::u64 frame = physical_address >> page_shift;
    return frame < s_frame_database.size() ? &s_frame_database[frame] : nullptr;
}

Core::u64 frame_database_end()
{
    return static_cast<Core::u64>(s_frame_database.size()) << page_shift;
}

Core::u64 physical_address_space_end()
{
    return s_physical_address_limit;
}

PhysicalMemoryStatistics physical_memory_statistics()
{
    Locking::SpinlockLocker locker(s_physical_memory_lock);
    Core::u64 cached = frames_in_page_caches();
    return {
        .total_bytes = s_buddy.total_frames() << page_shift,
        .free_bytes = (s_buddy.free_frames() + cached) << page_shift,
        .allocated_bytes = (s_buddy.allocated_frames() - cached) << page_shift,
        .reserved_bytes = s_buddy.reserved_frames() << page_shift,
    };
}

void* physical_to_virtual(Core::u64 physical_address)
{
    // Unchecked: callers pass RAM they own (frames from the buddy allocator), and every
    // RAM range of the memory map is mapped at direct_map_base + its physical address.
    return reinterpret_cast<void*>(Arch::direct_map_base + physical_address);
}

Core::Result<void> map_kernel_page(
    Core::u64 virtual_address, Core::u64 physical_address, PageProtection protection)
{
    Locking::SpinlockLocker locker(s_kernel_page_tables_lock);
    TRY(s_kernel_page_tables->map(virtual_address, physical_address, page_size, protection));
    // A not-present entry may still be cached as "not present" on some CPUs; invalidating
    // keeps the API uniform and is cheap.
    invalidate_page(virtual_address);
    return {};
}

Core::Result<Arch::Translation> unmap_kernel_page(Core::u64 virtual_address)
{
    Locking::SpinlockLocker locker(s_kernel_page_tables_lock);
    Arch::Translation removed = TRY(s_kernel_page_tables->unmap(virtual_address));
    invalidate_range(virtual_address, removed.page_size);
    return removed;
}

Core::Result<void> protect_kernel_page(Core::u64 virtual_address, PageProtection protection)
{
    Locking::SpinlockLocker locker(s_kernel_page_tables_lock);
    TRY(s_kernel_page_tables->protect(virtual_address, protection));
    auto translation = s_kernel_page_tables->translate(virtual_address);
    invalidate_range(virtual_address, translation.has_value() ? translation->page_size : page_size);
    return {};
}

Core::Optional<Arch::Translation> translate(Core::u64 virtual_address)
{
    // No lock: the kernel never frees an intermediate table of its own address space, so a
    // walk racing with a change sees the old or the new entry, both valid. The panic path
    // relies on this.
    if (!s_kernel_page_tables.has_value())
        return {};
    return s_kernel_page_tables->translate(virtual_address);
}

Core::Result<void*> map_device(Core::u64 physical_address, Core::u64 length, Arch::CacheMode cache)
{
    // Addresses come from firmware tables: they must lie below the CPU's physical address
    // width and inside the direct-map window, checked before any rounding can wrap.
    if (length == 0 || physical_address >= s_physical_address_limit
        || length > s_physical_address_limit - physical_address)
        return Core::ErrorCode::InvalidArgument;
    Core::u64 first_page = physical_address & ~(page_size - 1);
    Core::u64 end = Core::align_up(physical_address + length, page_size);
    Locking::SpinlockLocker locker(s_kernel_page_tables_lock);
    for (Core::u64 page = first_page; page < end; page += page_size) {
        PhysicalPage* entry = physical_page(page);
        if (entry && entry->state != PageState::Reserved)
            return Core::ErrorCode::InvalidArgument;
        Core::u64 virtual_page = Arch::direct_map_base + page;
        auto existing = s_kernel_page_tables->translate(virtual_page);
        if (existing.has_value()) {
            if (existing->physical_address != page || existing->protection.cache != cache)
                return Core::ErrorCode::AlreadyExists;
            continue;
        }
        TRY(s_kernel_page_tables->map(virtual_page, page, page_size, kernel_protection(true, false, cache)));
        invalidate_page(virtual_page);
    }
    return reinterpret_cast<void*>(Arch::direct_map_base + physical_address);
}

Core::Result<void> check_device_memory(Core::u64 physical_address, Core::u64 length)
{
    if (length == 0 || physical_address >= s_physical_address_limit
        || length > s_physical_address_limit - physical_address)
        return Core::ErrorCode::InvalidArgument;
    Core::u64 end = physical_address + length;
    for (const Boot::MemoryRegion& region : Boot::boot_info().memory_map) {
        bool is_ram = region.type == Boot::MemoryRegionType::Usable
            || region.type == Boot::MemoryRegionType::AcpiReclaimable
            || region.type == Boot::MemoryRegionType::AcpiNvs;
        if (is_ram && region.base < end && physical_address < region.end())
            return Core::ErrorCode::AccessDenied;
    }
    // The frame database can describe frames the memory map does not call RAM (the first
    // MiB is planned separately): any frame it does not hold as reserved is the allocator's.
    for (Core::u64 page = physical_address & ~(page_size - 1); page < end; page += page_size) {
        PhysicalPage* entry = physical_page(page);
        if (!entry)
            break;
        if (entry->state != PageState::Reserved)
            return Core::ErrorCode::AccessDenied;
    }
    return {};
}

// Unmaps [bottom, end) of a kernel stack and frees its frames. Callers hold the
// kernel-page-tables lock.
void release_stack_pages(Core::u64 bottom, Core::u64 end)
{
    // Unmap everything, then one invalidation (one shootdown) for the whole range, and only
    // then give the frames back: no CPU may still reach them through a stale entry.
    Core::u64 frames[16];
    Core::usize frame_count = 0;
    for (Core::u64 page = bottom; page < end; page += page_size) {
        auto removed = s_kernel_page_tables->unmap(page);
        if (removed.is_error())
            continue;
        if (frame_count == sizeof(frames) / sizeof(frames[0])) {
            invalidate_range(bottom, end - bottom);
            for (Core::u64 frame : frames)
                free_physical_page(frame);
            frame_count = 0;
        }
        frames[frame_count++] = removed.value().physical_address;
    }
    invalidate_range(bottom, end - bottom);
    for (Core::usize index = 0; index < frame_count; ++index)
        free_physical_page(frames[index]);
}

Core::Result<KernelStack> allocate_kernel_stack(Core::u64 size)
{
    if (size == 0 || (size & (page_size - 1)) != 0)
        return Core::ErrorCode::InvalidArgument;
    // Each stack takes its pages plus one never-mapped guard page below them; addresses are
    // handed out upwards and not reused.
    static Core::u64 s_next_stack_address = kernel_stack_region_base;
    Locking::SpinlockLocker locker(s_kernel_page_tables_lock);
    Core::u64 bottom = s_next_stack_address + page_size;
    Core::u64 top = bottom + size;
    if (top > kernel_stack_region_base + kernel_stack_region_size)
        return Core::ErrorCode::OutOfMemory;
    for (Core::u64 page = bottom; page < top; page += page_size) {
        auto frame = allocate_physical_page(PageUse::KernelStack);
        auto mapped = frame.is_error()
            ? Core::Result<void>(frame.error())
            : s_kernel_page_tables->map(page, frame.value(), page_size, kernel_protection(true, false));
        if (mapped.is_error()) {
            if (!frame.is_error())
                free_physical_page(frame.value());
            // Undo the pages mapped so far; the address range is simply skipped.
            release_stack_pages(bottom, page);
            s_next_stack_address = top;
            return mapped.error();
        }
    }
    s_next_stack_address = top;
    return KernelStack { bottom, top };
}

void free_kernel_stack(const KernelStack& stack)
{
    VERIFY(stack.bottom >= kernel_stack_region_base
        && stack.top <= kernel_stack_region_base + kernel_stack_region_size);
    Locking::SpinlockLocker locker(s_kernel_page_tables_lock);
    // The frames go back; the addresses are not reused, so a stale pointer into a freed
    // stack faults instead of landing in someone else's.
    release_stack_pages(stack.bottom, stack.top);
}

Core::u64 kernel_page_table_root()
{
    return s_kernel_page_tables->root();
}

Arch::PageTableMemory& page_table_memory()
{
    return s_table_memory;
}

const Arch::PageTables& kernel_page_tables()
{
    return *s_kernel_page_tables;
}

void for_each_kernel_page(void (*callback)(const Arch::Translation&, void*), void* context)
{
    Locking::SpinlockLocker locker(s_kernel_page_tables_lock);
    s_kernel_page_tables->for_each_page(
        [&](const Arch::Translation& translation) { callback(translation, context); });
}

} // namespace Kernel::Memory
