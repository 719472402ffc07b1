// Host tests for the x86_64 page-table code (Kernel/Arch/x86_64/PageTableEntry.h and
// PageTables.h). The tables live in heap buffers handed out by HostTableMemory under fake
// physical addresses, so the tests can also read the raw hardware entries, make the
// allocator run dry at a chosen point, and catch a table that is used after being freed
// or freed twice.

#include <Kernel/Arch/x86_64/PageTables.h>
#include <algorithm>
#include <cinttypes>
#include <cstddef>
#include <cstdio>
#include <gtest/gtest.h>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

using Core::u32;
using Core::u64;
using Kernel::Arch::CacheMode;
using Kernel::Arch::page_size_1g;
using Kernel::Arch::page_size_2m;
using Kernel::Arch::page_size_4k;
using Kernel::Arch::PageProtection;
using Kernel::Arch::PageTableMemory;
using Kernel::Arch::PageTables;
using Kernel::Arch::Translation;
namespace PageBits = Kernel::Arch::PageBits;

namespace Kernel::Arch {

// Found by GoogleTest through argument-dependent lookup, so that a failed comparison
// prints the protection instead of raw bytes. Static: another test file may print it too.
[[maybe_unused]] static void PrintTo(const PageProtection& protection, std::ostream* stream)
{
    const char* cache_names[] = { "WriteBack", "WriteCombining", "Uncached" };
    *stream << "{ writable=" << protection.writable << " executable=" << protection.executable
            << " user=" << protection.user << " global=" << protection.global
            << " cache=" << cache_names[static_cast<int>(protection.cache)] << " }";
}

} // namespace Kernel::Arch

namespace {

std::string hex(u64 value)
{
    char text[32];
    std::snprintf(text, sizeof(text), "0x%016" PRIx64, value);
    return text;
}

// Table frames sit far above 4 GiB, so that a table address truncated to 32 bits points
// at no table and is reported, and away from the frames the tests map, so that a leaf
// misread as a table is reported rather than landing on a real table.
constexpr u64 first_table_physical = 0x1000 * 0x7A0000000ull;

// Backs the tables with aligned heap buffers and keeps the books on them.
class HostTableMemory final : public PageTableMemory {
public:
    Core::Result<u64> allocate_table() override
    {
        if (m_allocations_left_before_failure.has_value()) {
            if (*m_allocations_left_before_failure == 0)
                return Core::ErrorCode::OutOfMemory;
            --*m_allocations_left_before_failure;
        }
        // Addresses are never reused, so a freed table that is touched again is caught.
        u64 physical_address = first_table_physical + page_size_4k * m_tables_ever_allocated;
        ++m_tables_ever_allocated;
        m_tables.emplace(physical_address, std::make_unique<TableFrame>());
        return physical_address;
    }

    void free_table(u64 physical_address) override
    {
        if (m_tables.erase(physical_address) == 0)
            ADD_FAILURE() << "free_table of a table that is not live: " << hex(physical_address);
    }

    u64* table_at(u64 physical_address) override
    {
        auto found = m_tables.find(physical_address);
        if (found == m_tables.end()) {
            // Returning a scratch table instead of crashing lets the test report where it went wrong.
            ADD_FAILURE() << "table_at of a table that is not live: " << hex(physical_address);
            m_scratch_table = TableFrame {};
            return m_scratch_table.entries;
        }
        return found->second->entries;
    }

    // Lets `successful_allocations` more allocations through, then fails every one.
    void fail_after(std::size_t successful_allocations)
    {
        m_allocations_left_before_failure = successful_allocations;
    }
    void stop_failing() { m_allocations_left_before_failure.reset(); }

    [[nodiscard]] std::size_t live_tables() const { return m_tables.size(); }
    [[nodiscard]] std::size_t tables_ever_allocated() const { return m_tables_ever_allocated; }

    // Reads the raw entry that translates `virtual_address` at `level` (4 = PML4), walking
    // the tables the way the MMU would; 0 when a table on the way is missing.
    u64 raw_entry(u64 root, u64 virtual_address, u32 level)
    {
        u64 table_physical = root;
        for (u32 current_level = 4; current_level > level; --current_level) {
            u64 entry = table_at(table_physical)[Kernel::Arch::table_index(virtual_address, current_level)];
            if (!(entry & PageBits::present))
                return 0;
            table_physical = Kernel::Arch::entry_address(entry);
        }
        return table_at(table_physical)[Kernel::Arch::table_index(virtual_address, level)];
    }

private:
    struct alignas(4096) TableFrame {
        u64 entries[Kernel::Arch::entries_per_table] {};
    };
    static_assert(sizeof(TableFrame) == page_size_4k);

    std::map<u64, std::unique_ptr<TableFrame>> m_tables;
    std::size_t m_tables_ever_allocated { 0 };
    std::optional<std::size_t> m_allocations_left_before_failure;
    TableFrame m_scratch_table;
};

// A Translation that GoogleTest can compare and print.
struct Mapping {
    u64 page_virtual_base;
    u64 physical_address;
    u64 page_size;
    PageProtection protection;

    bool operator==(const Mapping&) const = default;
};

[[maybe_unused]] void PrintTo(const Mapping& mapping, std::ostream* stream)
{
    *stream << "{ virtual " << hex(mapping.page_virtual_base) << " physical " << hex(mapping.physical_address)
            << " size " << hex(mapping.page_size) << " ";
    Kernel::Arch::PrintTo(mapping.protection, stream);
    *stream << " }";
}

Mapping mapping_of(const Translation& translation)
{
    return { translation.page_virtual_base, translation.physical_address, translation.page_size,
        translation.protection };
}

std::optional<Mapping> translated(const PageTables& tables, u64 virtual_address)
{
    auto translation = tables.translate(virtual_address);
    if (!translation.has_value())
        return std::nullopt;
    return mapping_of(translation.value());
}

std::vector<Mapping> mapped_pages(const PageTables& tables)
{
    std::vector<Mapping> pages;
    tables.for_each_page([&](const Translation& translation) { pages.push_back(mapping_of(translation)); });
    return pages;
}

std::size_t count_of_size(const std::vector<Mapping>& pages, u64 page_size)
{
    return std::count_if(
        pages.begin(), pages.end(), [&](const Mapping& page) { return page.page_size == page_size; });
}

// Appends `count` consecutive pages of one size to an expected page list.
void append_pages(std::vector<Mapping>& pages, u64 virtual_start, u64 physical_start, u64 page_size,
    std::size_t count, PageProtection protection)
{
    for (std::size_t page = 0; page < count; ++page)
        pages.push_back(
            { virtual_start + page * page_size, physical_start + page * page_size, page_size, protection });
}

// "ok" or the error's name, so that a failed expectation says which error came back.
template<typename T> std::string outcome(const Core::Result<T>& result)
{
    return result.is_error() ? result.error().name() : "ok";
}

PageTables create_page_tables(HostTableMemory& memory, bool no_execute_supported)
{
    auto created = PageTables::create(memory, no_execute_supported);
    EXPECT_EQ(outcome(created), "ok");
    // release_value() VERIFYs (and aborts) if creation failed, which no caller expects.
    return created.release_value();
}

constexpr PageProtection kernel_data { .writable = true, .executable = false, .user = false, .global = true };
constexpr PageProtection kernel_code { .writable = false, .executable = true, .user = false, .global = true };
constexpr PageProtection user_data { .writable = true, .executable = false, .user = true };
constexpr PageProtection device_registers { .writable = true, .cache = CacheMode::Uncached };

constexpr u64 kernel_image_base = 0xFFFFFFFF80000000ull;
constexpr u64 upper_half_start = 0xFFFF800000000000ull;

class PageTablesTest : public testing::Test {
protected:
    // Every test also checks that destroy() hands back every table it allocated.
    void TearDown() override
    {
        if (m_tables.root() != 0)
            m_tables.destroy();
        EXPECT_EQ(m_memory.live_tables(), 0u);
    }

    HostTableMemory m_memory;
    PageTables m_tables { create_page_tables(m_memory, true) };
};

// ---- PageTableEntry.h ---------------------------------------------------------------

TEST(PageTableEntry, TableIndexPicksNineBitsPerLevel)
{
    // PML4 163, PDPT 0x1B4, PD 0xC5, PT 0x1D6, byte offset 0x7E8.
    constexpr u64 address = 0x000051ED18BD67E8ull;
    EXPECT_EQ(Kernel::Arch::table_index(address, 4), 163u);
    EXPECT_EQ(Kernel::Arch::table_index(address, 3), 0x1B4u);
    EXPECT_EQ(Kernel::Arch::table_index(address, 2), 0xC5u);
    EXPECT_EQ(Kernel::Arch::table_index(address, 1), 0x1D6u);

    EXPECT_EQ(Kernel::Arch::table_index(0x00007FFFFFFFFFFFull, 4), 255u);
    for (u32 level = 1; level <= 3; ++level)
        EXPECT_EQ(Kernel::Arch::table_index(0x00007FFFFFFFFFFFull, level), 511u) << "level " << level;

    // The sign-extension bits 63..48 must not leak into the PML4 index.
    EXPECT_EQ(Kernel::Arch::table_index(kernel_image_base, 4), 511u);
    EXPECT_EQ(Kernel::Arch::table_index(kernel_image_base, 3), 510u);
    EXPECT_EQ(Kernel::Arch::table_index(kernel_image_base, 2), 0u);
    EXPECT_EQ(Kernel::Arch::table_index(kernel_image_base, 1), 0u);
    EXPECT_EQ(Kernel::Arch::table_index(upper_half_start, 4), 256u);
    EXPECT_EQ(Kernel::Arch::table_index(upper_half_start, 3), 0u);
}

TEST(PageTableEntry, IsCanonicalAtTheEdgesOfTheHole)
{
    EXPECT_TRUE(Kernel::Arch::is_canonical(0));
    EXPECT_TRUE(Kernel::Arch::is_canonical(0x00007FFFFFFFFFFFull));
    EXPECT_FALSE(Kernel::Arch::is_canonical(0x0000800000000000ull));
    EXPECT_FALSE(Kernel::Arch::is_canonical(0xFFFF7FFFFFFFFFFFull));
    EXPECT_TRUE(Kernel::Arch::is_canonical(0xFFFF800000000000ull));
    EXPECT_TRUE(Kernel::Arch::is_canonical(0xFFFFFFFFFFFFFFFFull));
    // Only bit 63 set: bits 62..47 disagree with it.
    EXPECT_FALSE(Kernel::Arch::is_canonical(0x8000000000000000ull));
    EXPECT_FALSE(Kernel::Arch::is_canonical(0x0001000000000000ull));

    EXPECT_TRUE(Kernel::Arch::is_user_half(0x00007FFFFFFFFFFFull));
    EXPECT_FALSE(Kernel::Arch::is_user_half(0xFFFF800000000000ull));
}

TEST(PageTableEntry, EncodeDecodeRoundTripsEveryCombination)
{
    const CacheMode cache_modes[] = { CacheMode::WriteBack, CacheMode::WriteCombining, CacheMode::Uncached };
    // The highest frame a 52-bit physical address space has, so that every address bit is used.
    constexpr u64 physical_address = 0x000FFFFFFFFFF000ull;
    std::size_t combinations = 0;
    for (int bits = 0; bits < 16; ++bits) {
        for (CacheMode cache : cache_modes) {
            for (bool huge : { false, true }) {
                PageProtection protection { .writable = (bits & 1) != 0,
                    .executable = (bits & 2) != 0,
                    .user = (bits & 4) != 0,
                    .global = (bits & 8) != 0,
                    .cache = cache };
                SCOPED_TRACE(testing::PrintToString(protection) + (huge ? " huge" : " 4K"));
                u64 entry = Kernel::Arch::encode_leaf(physical_address, protection, huge, true);
                EXPECT_EQ(Kernel::Arch::decode_leaf(entry), protection);
                EXPECT_EQ(Kernel::Arch::entry_address(entry), physical_address);
                EXPECT_TRUE(entry & PageBits::present);
                EXPECT_EQ((entry & PageBits::huge) != 0, huge);
                EXPECT_EQ((entry & PageBits::writable) != 0, protection.writable);
                EXPECT_EQ((entry & PageBits::user) != 0, protection.user);
                EXPECT_EQ((entry & PageBits::global) != 0, protection.global);
                EXPECT_EQ((entry & PageBits::no_execute) != 0, !protection.executable);
                // PAT entries: 0 write-back, 1 (PWT) write-combining, 3 (PWT|PCD) uncached.
                u64 cache_bits = entry & (PageBits::write_through | PageBits::cache_disable);
                u64 expected_cache_bits = cache == CacheMode::WriteBack ? 0
                    : cache == CacheMode::WriteCombining                ? PageBits::write_through
                                                         : PageBits::write_through | PageBits::cache_disable;
                EXPECT_EQ(cache_bits, expected_cache_bits);
                ++combinations;
            }
        }
    }
    EXPECT_EQ(combinations, 96u);
}

TEST(PageTableEntry, NoExecuteBitIsLeftOutWhenTheCpuLacksIt)
{
    PageProtection protection { .writable = true, .executable = false };
    u64 entry = Kernel::Arch::encode_leaf(0x200000, protection, true, false);
    EXPECT_EQ(entry & PageBits::no_execute, 0u);
    EXPECT_EQ(entry, 0x200000 | PageBits::present | PageBits::writable | PageBits::huge);
    // Without NX every page is executable, and decoding says so.
    EXPECT_TRUE(Kernel::Arch::decode_leaf(entry).executable);
}

TEST(PageTableEntry, EncodeLeafDropsAddressBitsOutsideTheFrameField)
{
    u64 entry = Kernel::Arch::encode_leaf(0xFFF0000000001FFFull, {}, false, true);
    EXPECT_EQ(Kernel::Arch::entry_address(entry), 0x1000u);
}

TEST(PageTableEntry, TableEntriesGrantEverythingAndCarryUserOnRequest)
{
    EXPECT_EQ(Kernel::Arch::encode_table(0x5000, false), 0x5000 | PageBits::present | PageBits::writable);
    EXPECT_EQ(Kernel::Arch::encode_table(0x5000, true),
        0x5000 | PageBits::present | PageBits::writable | PageBits::user);
}

// ---- map and translate ------------------------------------------------------------------

TEST_F(PageTablesTest, MapsAndTranslatesEveryPageSizeInBothHalves)
{
    struct Case {
        u64 virtual_address;
        u64 physical_address;
        u64 page_size;
        PageProtection protection;
    };
    const Case cases[] = {
        { 0x0000000000401000ull, 0x0000000007654000ull, page_size_4k, user_data },
        { 0x0000000080200000ull, 0x0000000FFFE00000ull, page_size_2m, user_data },
        { 0x0000004000000000ull, 0x0000000080000000ull, page_size_1g, user_data },
        { 0x00007FFFFFFFF000ull, 0x0000000000123000ull, page_size_4k, user_data },
        { kernel_image_base + 0x1000, 0x0000000000101000ull, page_size_4k, kernel_code },
        { kernel_image_base + page_size_2m, 0x0000000000400000ull, page_size_2m, kernel_data },
        { upper_half_start, 0x0000000100000000ull, page_size_1g, device_registers },
        { 0xFFFFFFFFFFFFF000ull, 0x000FFFFFFFFFF000ull, page_size_4k, kernel_data },
    };
    for (const Case& test_case : cases)
        ASSERT_EQ(outcome(m_tables.map(test_case.virtual_address, test_case.physical_address,
                      test_case.page_size, test_case.protection)),
            "ok")
            << hex(test_case.virtual_address);

    for (const Case& test_case : cases) {
        SCOPED_TRACE(hex(test_case.virtual_address));
        for (u64 offset :
            { u64 { 0 }, u64 { 0x8 }, test_case.page_size / 2 + 0x123, test_case.page_size - 1 }) {
            EXPECT_EQ(translated(m_tables, test_case.virtual_address + offset),
                (Mapping { test_case.virtual_address, test_case.physical_address + offset,
                    test_case.page_size, test_case.protection }))
                << "offset " << hex(offset);
        }
    }

    // Neighbours of the pages stay unmapped.
    EXPECT_FALSE(m_tables.translate(0x0000000000400FFFull).has_value());
    EXPECT_FALSE(m_tables.translate(0x0000000000402000ull).has_value());
    EXPECT_FALSE(m_tables.translate(0x0000000080400000ull).has_value());
    EXPECT_FALSE(m_tables.translate(0x0000004040000000ull).has_value());
    EXPECT_FALSE(m_tables.translate(kernel_image_base).has_value());
    EXPECT_FALSE(m_tables.translate(upper_half_start + page_size_1g).has_value());
    EXPECT_EQ(mapped_pages(m_tables).size(), std::size(cases));
}

TEST_F(PageTablesTest, TranslateFindsNothingInEmptyTablesOrOutsideCanonicalAddresses)
{
    EXPECT_FALSE(m_tables.translate(0).has_value());
    EXPECT_FALSE(m_tables.translate(kernel_image_base).has_value());
    ASSERT_EQ(outcome(m_tables.map(0, 0x1000, page_size_4k, kernel_data)), "ok");
    // Same PML4/PDPT/PD/PT indices as address 0, but not canonical.
    EXPECT_FALSE(m_tables.translate(0x0001000000000000ull).has_value());
}

TEST_F(PageTablesTest, MapBuildsOneTablePerLevelAndSharesThem)
{
    // Root only so far.
    EXPECT_EQ(m_memory.live_tables(), 1u);
    ASSERT_EQ(outcome(m_tables.map(0x1000, 0x1000, page_size_4k, kernel_data)), "ok");
    EXPECT_EQ(m_memory.live_tables(), 4u);
    // Same page table.
    ASSERT_EQ(outcome(m_tables.map(0x2000, 0x2000, page_size_4k, kernel_data)), "ok");
    EXPECT_EQ(m_memory.live_tables(), 4u);
    // Same page directory, new page table.
    ASSERT_EQ(outcome(m_tables.map(0x200000, 0x2000, page_size_4k, kernel_data)), "ok");
    EXPECT_EQ(m_memory.live_tables(), 5u);
    // A 2 MiB page needs no page table.
    ASSERT_EQ(outcome(m_tables.map(0x400000, 0x400000, page_size_2m, kernel_data)), "ok");
    EXPECT_EQ(m_memory.live_tables(), 5u);
    // A 1 GiB page in a new PML4 slot needs only a PDPT.
    ASSERT_EQ(outcome(m_tables.map(upper_half_start, 0, page_size_1g, kernel_data)), "ok");
    EXPECT_EQ(m_memory.live_tables(), 6u);
}

TEST_F(PageTablesTest, MapWritesTheLeafEntryTheHardwareExpects)
{
    ASSERT_EQ(outcome(m_tables.map(0x1000, 0x0000000123456000ull, page_size_4k, device_registers)), "ok");
    ASSERT_EQ(outcome(m_tables.map(0x40000000, 0x0000000080000000ull, page_size_1g, kernel_code)), "ok");
    EXPECT_EQ(m_memory.raw_entry(m_tables.root(), 0x1000, 1),
        0x0000000123456000ull | PageBits::present | PageBits::writable | PageBits::write_through
            | PageBits::cache_disable | PageBits::no_execute);
    EXPECT_EQ(m_memory.raw_entry(m_tables.root(), 0x40000000, 3),
        0x0000000080000000ull | PageBits::present | PageBits::global | PageBits::huge);
}

TEST_F(PageTablesTest, MapRejectsAnExistingPage)
{
    ASSERT_EQ(outcome(m_tables.map(0x5000, 0x9000, page_size_4k, kernel_data)), "ok");
    EXPECT_EQ(outcome(m_tables.map(0x5000, 0xA000, page_size_4k, user_data)), "AlreadyExists");
    EXPECT_EQ(translated(m_tables, 0x5000), (Mapping { 0x5000, 0x9000, page_size_4k, kernel_data }));

    ASSERT_EQ(outcome(m_tables.map(0x200000, 0x200000, page_size_2m, kernel_data)), "ok");
    EXPECT_EQ(outcome(m_tables.map(0x200000, 0x400000, page_size_2m, kernel_data)), "AlreadyExists");
    EXPECT_EQ(translated(m_tables, 0x200000), (Mapping { 0x200000, 0x200000, page_size_2m, kernel_data }));
}

TEST_F(PageTablesTest, MapRejectsASmallerPageInsideAHugePage)
{
    ASSERT_EQ(outcome(m_tables.map(0x200000, 0x600000, page_size_2m, kernel_data)), "ok");
    ASSERT_EQ(outcome(m_tables.map(0x40000000, 0x40000000, page_size_1g, kernel_data)), "ok");
    std::size_t tables_before = m_memory.live_tables();

    EXPECT_EQ(outcome(m_tables.map(0x200000, 0x1000, page_size_4k, kernel_data)), "AlreadyExists");
    EXPECT_EQ(outcome(m_tables.map(0x3FF000, 0x1000, page_size_4k, kernel_data)), "AlreadyExists");
    EXPECT_EQ(outcome(m_tables.map(0x40000000, 0x1000, page_size_4k, kernel_data)), "AlreadyExists");
    EXPECT_EQ(outcome(m_tables.map(0x7FE00000, 0x200000, page_size_2m, kernel_data)), "AlreadyExists");

    // The huge pages are untouched and no table was hung below them.
    EXPECT_EQ(translated(m_tables, 0x3FF123), (Mapping { 0x200000, 0x7FF123, page_size_2m, kernel_data }));
    EXPECT_EQ(
        translated(m_tables, 0x7FFFFFFF), (Mapping { 0x40000000, 0x7FFFFFFF, page_size_1g, kernel_data }));
    EXPECT_EQ(m_memory.live_tables(), tables_before);
}

TEST_F(PageTablesTest, MapRejectsAHugePageOverATableOfSmallerPages)
{
    ASSERT_EQ(outcome(m_tables.map(0x205000, 0x5000, page_size_4k, kernel_data)), "ok");
    EXPECT_EQ(outcome(m_tables.map(0x200000, 0x200000, page_size_2m, kernel_data)), "AlreadyExists");
    EXPECT_EQ(outcome(m_tables.map(0, 0, page_size_1g, kernel_data)), "AlreadyExists");
    // The 4 KiB page survives and its table was not overwritten by a leaf.
    EXPECT_EQ(translated(m_tables, 0x205000), (Mapping { 0x205000, 0x5000, page_size_4k, kernel_data }));
    EXPECT_FALSE(m_tables.translate(0x200000).has_value());
    EXPECT_EQ(mapped_pages(m_tables).size(), 1u);
}

TEST_F(PageTablesTest, MapRejectsMisalignedAddresses)
{
    EXPECT_EQ(outcome(m_tables.map(0x1001, 0x2000, page_size_4k, kernel_data)), "InvalidArgument");
    EXPECT_EQ(outcome(m_tables.map(0x1000, 0x2008, page_size_4k, kernel_data)), "InvalidArgument");
    EXPECT_EQ(outcome(m_tables.map(0x201000, 0x200000, page_size_2m, kernel_data)), "InvalidArgument");
    EXPECT_EQ(outcome(m_tables.map(0x200000, 0x201000, page_size_2m, kernel_data)), "InvalidArgument");
    EXPECT_EQ(outcome(m_tables.map(0x40200000, 0x40000000, page_size_1g, kernel_data)), "InvalidArgument");
    EXPECT_EQ(outcome(m_tables.map(0x40000000, 0x40200000, page_size_1g, kernel_data)), "InvalidArgument");
    EXPECT_TRUE(mapped_pages(m_tables).empty());
    // Rejected before any table was allocated.
    EXPECT_EQ(m_memory.live_tables(), 1u);
}

TEST_F(PageTablesTest, MapRejectsNonCanonicalAddresses)
{
    EXPECT_EQ(
        outcome(m_tables.map(0x0000800000000000ull, 0x1000, page_size_4k, kernel_data)), "InvalidArgument");
    EXPECT_EQ(
        outcome(m_tables.map(0xFFFF7FFFFFFFF000ull, 0x1000, page_size_4k, kernel_data)), "InvalidArgument");
    EXPECT_EQ(outcome(m_tables.map(0x0001000000000000ull, 0, page_size_1g, kernel_data)), "InvalidArgument");
    EXPECT_TRUE(mapped_pages(m_tables).empty());
    EXPECT_EQ(m_memory.live_tables(), 1u);
}

TEST_F(PageTablesTest, MapRejectsUnknownPageSizes)
{
    for (u64 page_size : { u64 { 0 }, u64 { 0x800 }, u64 { 0x2000 }, u64 { 0x400000 }, u64 { 1ull << 39 },
             page_size_4k - 1, page_size_2m + page_size_4k }) {
        EXPECT_EQ(outcome(m_tables.map(0, 0, page_size, kernel_data)), "InvalidArgument") << hex(page_size);
    }
    EXPECT_TRUE(mapped_pages(m_tables).empty());
    EXPECT_EQ(m_memory.live_tables(), 1u);
}

TEST_F(PageTablesTest, MapRejectsPhysicalAddressesBeyondFiftyTwoBits)
{
    // Would otherwise be truncated silently to a different frame.
    EXPECT_EQ(outcome(m_tables.map(0x1000, 1ull << 52, page_size_4k, kernel_data)), "InvalidArgument");
    EXPECT_FALSE(m_tables.translate(0x1000).has_value());
}

TEST(PageTables, NonExecutableMappingsStayExecutableWithoutNoExecuteSupport)
{
    HostTableMemory memory;
    PageTables tables = create_page_tables(memory, false);
    ASSERT_EQ(outcome(tables.map(0x200000, 0x200000, page_size_2m, kernel_data)), "ok");
    u64 entry = memory.raw_entry(tables.root(), 0x200000, 2);
    EXPECT_EQ(entry & PageBits::no_execute, 0u);
    EXPECT_TRUE(entry & PageBits::present);
    // Without NX every page is executable, and translate says so.
    PageProtection effective_protection = kernel_data;
    effective_protection.executable = true;
    EXPECT_EQ(
        translated(tables, 0x200000), (Mapping { 0x200000, 0x200000, page_size_2m, effective_protection }));

    ASSERT_EQ(outcome(tables.protect(0x200000, user_data)), "ok");
    EXPECT_EQ(memory.raw_entry(tables.root(), 0x200000, 2) & PageBits::no_execute, 0u);
    tables.destroy();
    EXPECT_EQ(memory.live_tables(), 0u);
}

// ---- map_range -------------------------------------------------------------------------

TEST_F(PageTablesTest, MapRangeUsesTheLargestPagesOnAnAlignedRange)
{
    constexpr u64 virtual_start = 0x0000004000000000ull;
    constexpr u64 physical_start = 0x0000000040000000ull;
    constexpr u64 length = page_size_1g + page_size_2m + 3 * page_size_4k;
    ASSERT_EQ(outcome(m_tables.map_range(virtual_start, physical_start, length, kernel_data, true)), "ok");

    std::vector<Mapping> expected;
    append_pages(expected, virtual_start, physical_start, page_size_1g, 1, kernel_data);
    append_pages(
        expected, virtual_start + page_size_1g, physical_start + page_size_1g, page_size_2m, 1, kernel_data);
    append_pages(expected, virtual_start + page_size_1g + page_size_2m,
        physical_start + page_size_1g + page_size_2m, page_size_4k, 3, kernel_data);
    EXPECT_EQ(mapped_pages(m_tables), expected);
    EXPECT_FALSE(m_tables.translate(virtual_start + length).has_value());
    EXPECT_EQ(translated(m_tables, virtual_start + length - 1),
        (Mapping {
            virtual_start + length - page_size_4k, physical_start + length - 1, page_size_4k, kernel_data }));
}

TEST_F(PageTablesTest, MapRangeStepsUpAndDownAroundAnUnalignedRange)
{
    // Two 4 KiB pages up to the 1 GiB boundary, one 1 GiB page, two 2 MiB pages, one 4 KiB tail.
    constexpr u64 start = 0x3FFFE000;
    constexpr u64 length = 2 * page_size_4k + page_size_1g + 2 * page_size_2m + page_size_4k;
    ASSERT_EQ(outcome(m_tables.map_range(start, start, length, user_data, true)), "ok");

    std::vector<Mapping> pages = mapped_pages(m_tables);
    EXPECT_EQ(count_of_size(pages, page_size_4k), 3u);
    EXPECT_EQ(count_of_size(pages, page_size_2m), 2u);
    EXPECT_EQ(count_of_size(pages, page_size_1g), 1u);

    std::vector<Mapping> expected;
    append_pages(expected, 0x3FFFE000, 0x3FFFE000, page_size_4k, 2, user_data);
    append_pages(expected, 0x40000000, 0x40000000, page_size_1g, 1, user_data);
    append_pages(expected, 0x80000000, 0x80000000, page_size_2m, 2, user_data);
    append_pages(expected, 0x80400000, 0x80400000, page_size_4k, 1, user_data);
    EXPECT_EQ(pages, expected);
}

TEST_F(PageTablesTest, MapRangeWithoutGigabytePagesUsesTwoMegabytePages)
{
    constexpr u64 start = 0x3FFFE000;
    constexpr u64 length = 2 * page_size_4k + page_size_1g + 2 * page_size_2m + page_size_4k;
    ASSERT_EQ(outcome(m_tables.map_range(start, start, length, user_data, false)), "ok");

    std::vector<Mapping> expected;
    append_pages(expected, 0x3FFFE000, 0x3FFFE000, page_size_4k, 2, user_data);
    append_pages(expected, 0x40000000, 0x40000000, page_size_2m, 514, user_data);
    append_pages(expected, 0x80400000, 0x80400000, page_size_4k, 1, user_data);
    std::vector<Mapping> pages = mapped_pages(m_tables);
    EXPECT_EQ(count_of_size(pages, page_size_1g), 0u);
    EXPECT_EQ(count_of_size(pages, page_size_2m), 514u);
    EXPECT_EQ(count_of_size(pages, page_size_4k), 3u);
    EXPECT_EQ(pages, expected);
}

TEST_F(PageTablesTest, MapRangeFallsBackToSmallPagesWhenThePhysicalSideIsMisaligned)
{
    // Virtual is 2 MiB aligned but physical is 4 KiB off, so no huge page can be used.
    ASSERT_EQ(outcome(m_tables.map_range(0x200000, 0x201000, 2 * page_size_2m, kernel_data, true)), "ok");
    std::vector<Mapping> expected;
    append_pages(expected, 0x200000, 0x201000, page_size_4k, 1024, kernel_data);
    EXPECT_EQ(mapped_pages(m_tables), expected);
}

TEST_F(PageTablesTest, MapRangeInTheUpperHalf)
{
    constexpr u64 length = 2 * page_size_2m + page_size_4k;
    ASSERT_EQ(outcome(m_tables.map_range(kernel_image_base, 0x1000000, length, kernel_code, true)), "ok");
    std::vector<Mapping> expected;
    append_pages(expected, kernel_image_base, 0x1000000, page_size_2m, 2, kernel_code);
    append_pages(expected, kernel_image_base + 2 * page_size_2m, 0x1400000, page_size_4k, 1, kernel_code);
    EXPECT_EQ(mapped_pages(m_tables), expected);
    EXPECT_EQ(translated(m_tables, kernel_image_base + 0x234567),
        (Mapping { kernel_image_base + page_size_2m, 0x1234567, page_size_2m, kernel_code }));
}

TEST_F(PageTablesTest, MapRangeReachingTheTopOfTheAddressSpace)
{
    // [0xFFFFFFFFFFE00000, 2^64) is a valid range; its end wraps to 0 only as a number.
    EXPECT_EQ(
        outcome(m_tables.map_range(0xFFFFFFFFFFE00000ull, 0x200000, page_size_2m, kernel_data, true)), "ok");
    EXPECT_EQ(translated(m_tables, 0xFFFFFFFFFFFFFFFFull),
        (Mapping { 0xFFFFFFFFFFE00000ull, 0x3FFFFF, page_size_2m, kernel_data }));
}

TEST_F(PageTablesTest, MapRangeRejectsBadLengthsAndAcceptsAnEmptyRange)
{
    EXPECT_EQ(outcome(m_tables.map_range(0x1000, 0x1000, 0x1800, kernel_data, true)), "InvalidArgument");
    EXPECT_EQ(outcome(m_tables.map_range(0x1000, 0x1000, 1, kernel_data, true)), "InvalidArgument");
    // Wraps around the end of the address space.
    EXPECT_EQ(outcome(m_tables.map_range(0xFFFFFFFFFFFFF000ull, 0, 2 * page_size_4k, kernel_data, true)),
        "InvalidArgument");
    EXPECT_EQ(
        outcome(m_tables.map_range(0x1001, 0x1000, page_size_4k, kernel_data, true)), "InvalidArgument");
    EXPECT_EQ(outcome(m_tables.map_range(0x0000800000000000ull, 0, page_size_4k, kernel_data, true)),
        "InvalidArgument");
    EXPECT_EQ(outcome(m_tables.map_range(0x1000, 0x1000, 0, kernel_data, true)), "ok");
    EXPECT_TRUE(mapped_pages(m_tables).empty());
}

TEST_F(PageTablesTest, MapRangeStopsAtAnExistingPage)
{
    ASSERT_EQ(outcome(m_tables.map(0x3000, 0x3000, page_size_4k, kernel_code)), "ok");
    EXPECT_EQ(
        outcome(m_tables.map_range(0x1000, 0x1000, 4 * page_size_4k, kernel_data, true)), "AlreadyExists");
    EXPECT_EQ(translated(m_tables, 0x3000), (Mapping { 0x3000, 0x3000, page_size_4k, kernel_code }));
}

// ---- unmap and protect ------------------------------------------------------------------

TEST_F(PageTablesTest, UnmapReturnsTheTranslationAndRemovesThePage)
{
    ASSERT_EQ(outcome(m_tables.map(0x7000, 0x0000000123456000ull, page_size_4k, user_data)), "ok");
    ASSERT_EQ(outcome(m_tables.map(0x8000, 0x8000, page_size_4k, user_data)), "ok");
    ASSERT_EQ(outcome(m_tables.map(0x600000, 0x0000000FFFE00000ull, page_size_2m, kernel_code)), "ok");
    ASSERT_EQ(
        outcome(m_tables.map(upper_half_start, 0x0000000100000000ull, page_size_1g, device_registers)), "ok");

    auto removed_small = m_tables.unmap(0x7000);
    ASSERT_EQ(outcome(removed_small), "ok");
    EXPECT_EQ(mapping_of(removed_small.value()),
        (Mapping { 0x7000, 0x0000000123456000ull, page_size_4k, user_data }));
    auto removed_large = m_tables.unmap(0x600000);
    ASSERT_EQ(outcome(removed_large), "ok");
    EXPECT_EQ(mapping_of(removed_large.value()),
        (Mapping { 0x600000, 0x0000000FFFE00000ull, page_size_2m, kernel_code }));
    auto removed_huge = m_tables.unmap(upper_half_start);
    ASSERT_EQ(outcome(removed_huge), "ok");
    EXPECT_EQ(mapping_of(removed_huge.value()),
        (Mapping { upper_half_start, 0x0000000100000000ull, page_size_1g, device_registers }));

    EXPECT_FALSE(m_tables.translate(0x7000).has_value());
    EXPECT_FALSE(m_tables.translate(0x7FFF).has_value());
    EXPECT_FALSE(m_tables.translate(0x7FFFFF).has_value());
    EXPECT_FALSE(m_tables.translate(upper_half_start + 0x12345678).has_value());
    // Its neighbour in the same page table is still there.
    EXPECT_EQ(translated(m_tables, 0x8000), (Mapping { 0x8000, 0x8000, page_size_4k, user_data }));
    EXPECT_EQ(mapped_pages(m_tables).size(), 1u);

    // The slot is free again.
    EXPECT_EQ(outcome(m_tables.map(0x7000, 0x9000, page_size_4k, kernel_data)), "ok");
    EXPECT_EQ(translated(m_tables, 0x7000), (Mapping { 0x7000, 0x9000, page_size_4k, kernel_data }));
}

TEST_F(PageTablesTest, UnmapOfNothingIsNotFound)
{
    EXPECT_EQ(outcome(m_tables.unmap(0x1000)), "NotFound");
    ASSERT_EQ(outcome(m_tables.map(0x1000, 0x1000, page_size_4k, kernel_data)), "ok");
    // The page table exists, the entry does not.
    EXPECT_EQ(outcome(m_tables.unmap(0x2000)), "NotFound");
    EXPECT_EQ(outcome(m_tables.unmap(kernel_image_base)), "NotFound");
    ASSERT_EQ(outcome(m_tables.unmap(0x1000)), "ok");
    EXPECT_EQ(outcome(m_tables.unmap(0x1000)), "NotFound");
}

TEST_F(PageTablesTest, UnmapInsideAPageIsInvalidArgument)
{
    ASSERT_EQ(outcome(m_tables.map(0x200000, 0x200000, page_size_2m, kernel_data)), "ok");
    ASSERT_EQ(outcome(m_tables.map(0x40000000, 0x40000000, page_size_1g, kernel_data)), "ok");
    ASSERT_EQ(outcome(m_tables.map(0x1000, 0x1000, page_size_4k, kernel_data)), "ok");
    EXPECT_EQ(outcome(m_tables.unmap(0x201000)), "InvalidArgument");
    EXPECT_EQ(outcome(m_tables.unmap(0x40200000)), "InvalidArgument");
    EXPECT_EQ(outcome(m_tables.unmap(0x1008)), "InvalidArgument");
    // Nothing was removed.
    EXPECT_EQ(mapped_pages(m_tables).size(), 3u);
    EXPECT_TRUE(m_tables.translate(0x201000).has_value());
}

TEST_F(PageTablesTest, ProtectChangesPermissionsAndCacheModeButNotTheFrame)
{
    ASSERT_EQ(outcome(m_tables.map(0x1000, 0x0000000123456000ull, page_size_4k, kernel_data)), "ok");
    ASSERT_EQ(outcome(m_tables.map(0x200000, 0x0000000FFFE00000ull, page_size_2m, kernel_data)), "ok");
    ASSERT_EQ(
        outcome(m_tables.map(upper_half_start, 0x0000000100000000ull, page_size_1g, kernel_data)), "ok");

    PageProtection read_only_code {
        .writable = false, .executable = true, .cache = CacheMode::WriteCombining
    };
    ASSERT_EQ(outcome(m_tables.protect(0x1000, read_only_code)), "ok");
    ASSERT_EQ(outcome(m_tables.protect(0x200000, device_registers)), "ok");
    ASSERT_EQ(outcome(m_tables.protect(upper_half_start, user_data)), "ok");

    EXPECT_EQ(translated(m_tables, 0x1234),
        (Mapping { 0x1000, 0x0000000123456234ull, page_size_4k, read_only_code }));
    EXPECT_EQ(translated(m_tables, 0x200010),
        (Mapping { 0x200000, 0x0000000FFFE00010ull, page_size_2m, device_registers }));
    EXPECT_EQ(translated(m_tables, upper_half_start + 0x3FFFFFFF),
        (Mapping { upper_half_start, 0x000000013FFFFFFFull, page_size_1g, user_data }));

    EXPECT_EQ(m_memory.raw_entry(m_tables.root(), 0x1000, 1),
        0x0000000123456000ull | PageBits::present | PageBits::write_through);
    // Huge pages must keep their PS bit, or the frame would be read as a page table.
    EXPECT_EQ(m_memory.raw_entry(m_tables.root(), 0x200000, 2),
        0x0000000FFFE00000ull | PageBits::present | PageBits::huge | PageBits::writable
            | PageBits::write_through | PageBits::cache_disable | PageBits::no_execute);
    EXPECT_EQ(m_memory.raw_entry(m_tables.root(), upper_half_start, 3),
        0x0000000100000000ull | PageBits::present | PageBits::huge | PageBits::writable | PageBits::user
            | PageBits::no_execute);
}

TEST_F(PageTablesTest, ProtectRejectsMissingPagesAndAddressesInsideHugePages)
{
    EXPECT_EQ(outcome(m_tables.protect(0x1000, kernel_code)), "NotFound");
    ASSERT_EQ(outcome(m_tables.map(0x200000, 0x200000, page_size_2m, kernel_data)), "ok");
    EXPECT_EQ(outcome(m_tables.protect(0x400000, kernel_code)), "NotFound");
    EXPECT_EQ(outcome(m_tables.protect(0x3FF000, kernel_code)), "InvalidArgument");
    EXPECT_EQ(translated(m_tables, 0x200000), (Mapping { 0x200000, 0x200000, page_size_2m, kernel_data }));
}

// ---- for_each_page ---------------------------------------------------------------------

TEST_F(PageTablesTest, ForEachPageVisitsInAscendingOrderWithSignExtendedUpperHalf)
{
    // Mapped out of order on purpose.
    ASSERT_EQ(outcome(m_tables.map(kernel_image_base, 0x200000, page_size_2m, kernel_code)), "ok");
    ASSERT_EQ(outcome(m_tables.map(0x00007FFFFFFFF000ull, 0x5000, page_size_4k, user_data)), "ok");
    ASSERT_EQ(outcome(m_tables.map(upper_half_start, 0x40000000, page_size_1g, kernel_data)), "ok");
    ASSERT_EQ(outcome(m_tables.map(0x40000000, 0x80000000, page_size_1g, user_data)), "ok");
    ASSERT_EQ(outcome(m_tables.map(0x1000, 0x2000, page_size_4k, user_data)), "ok");
    ASSERT_EQ(outcome(m_tables.map(0xFFFFFFFFFFFFF000ull, 0x3000, page_size_4k, kernel_data)), "ok");
    ASSERT_EQ(outcome(m_tables.map(0x200000, 0x400000, page_size_2m, user_data)), "ok");

    std::vector<Mapping> expected {
        { 0x1000, 0x2000, page_size_4k, user_data },
        { 0x200000, 0x400000, page_size_2m, user_data },
        { 0x40000000, 0x80000000, page_size_1g, user_data },
        { 0x00007FFFFFFFF000ull, 0x5000, page_size_4k, user_data },
        { upper_half_start, 0x40000000, page_size_1g, kernel_data },
        { kernel_image_base, 0x200000, page_size_2m, kernel_code },
        { 0xFFFFFFFFFFFFF000ull, 0x3000, page_size_4k, kernel_data },
    };
    EXPECT_EQ(mapped_pages(m_tables), expected);
}

TEST_F(PageTablesTest, ForEachPageVisitsNothingOnEmptyTables)
{
    EXPECT_TRUE(mapped_pages(m_tables).empty());
}

TEST_F(PageTablesTest, ForEachPageInVisitsOnlyTheRangeAndOnlyTheLowerHalf)
{
    ASSERT_EQ(outcome(m_tables.map(0x1000, 0x2000, page_size_4k, user_data)), "ok");
    ASSERT_EQ(outcome(m_tables.map(0x5000, 0x6000, page_size_4k, user_data)), "ok");
    ASSERT_EQ(outcome(m_tables.map(0x200000, 0x400000, page_size_2m, user_data)), "ok");
    ASSERT_EQ(outcome(m_tables.map(0x00007FFFFFFFF000ull, 0x7000, page_size_4k, user_data)), "ok");
    ASSERT_EQ(outcome(m_tables.map(kernel_image_base, 0x200000, page_size_2m, kernel_code)), "ok");
    auto pages_in = [&](u64 start, u64 end) {
        std::vector<u64> bases;
        m_tables.for_each_page_in(start, end,
            [&](const Translation& translation) { bases.push_back(translation.page_virtual_base); });
        return bases;
    };
    EXPECT_EQ(pages_in(0x1000, 0x6000), (std::vector<u64> { 0x1000, 0x5000 }));
    // A range that starts or ends inside a page includes it.
    EXPECT_EQ(pages_in(0x1800, 0x5001), (std::vector<u64> { 0x1000, 0x5000 }));
    EXPECT_EQ(pages_in(0x2000, 0x5000), (std::vector<u64> {}));
    EXPECT_EQ(pages_in(0x300000, 0x300001), (std::vector<u64> { 0x200000 }));
    // The whole lower half, but never the kernel's upper half.
    EXPECT_EQ(pages_in(0, ~u64(0)), (std::vector<u64> { 0x1000, 0x5000, 0x200000, 0x00007FFFFFFFF000ull }));
    EXPECT_EQ(pages_in(0x10, 0x10), (std::vector<u64> {}));
    // The callback may unmap the page it is given.
    m_tables.for_each_page_in(0, 0x10000, [&](const Translation& translation) {
        EXPECT_EQ(outcome(m_tables.unmap(translation.page_virtual_base)), "ok");
    });
    EXPECT_EQ(pages_in(0, ~u64(0)), (std::vector<u64> { 0x200000, 0x00007FFFFFFFF000ull }));
}

// ---- running out of table frames -----------------------------------------------------

TEST(PageTables, CreateReportsOutOfMemory)
{
    HostTableMemory memory;
    memory.fail_after(0);
    EXPECT_EQ(outcome(PageTables::create(memory, true)), "OutOfMemory");
    EXPECT_EQ(memory.live_tables(), 0u);
}

TEST(PageTables, MapReportsOutOfMemoryAtEveryLevelAndLeavesNoPageBehind)
{
    struct Case {
        u64 page_size;
        std::size_t tables_needed; // below the root
    };
    for (Case test_case : { Case { page_size_4k, 3 }, Case { page_size_2m, 2 }, Case { page_size_1g, 1 } }) {
        for (std::size_t allowed = 0; allowed < test_case.tables_needed; ++allowed) {
            SCOPED_TRACE(
                "page size " + hex(test_case.page_size) + ", tables allowed " + std::to_string(allowed));
            HostTableMemory memory;
            PageTables tables = create_page_tables(memory, true);
            memory.fail_after(allowed);
            EXPECT_EQ(
                outcome(tables.map(kernel_image_base, 0, test_case.page_size, kernel_data)), "OutOfMemory");
            EXPECT_FALSE(tables.translate(kernel_image_base).has_value());
            EXPECT_TRUE(mapped_pages(tables).empty());
            EXPECT_EQ(memory.live_tables(), 1 + allowed);

            // Retrying reuses the empty tables left behind instead of leaking them.
            memory.stop_failing();
            EXPECT_EQ(outcome(tables.map(kernel_image_base, 0, test_case.page_size, kernel_data)), "ok");
            EXPECT_EQ(memory.live_tables(), 1 + test_case.tables_needed);
            EXPECT_EQ(translated(tables, kernel_image_base),
                (Mapping { kernel_image_base, 0, test_case.page_size, kernel_data }));
            tables.destroy();
            EXPECT_EQ(memory.live_tables(), 0u);
        }
    }
}

TEST(PageTables, MapRangeReportsOutOfMemory)
{
    // Two 4 KiB pages on either side of a 2 MiB boundary: PDPT, PD and two page tables.
    constexpr u64 start = 0x1FF000;
    for (std::size_t allowed : { std::size_t { 0 }, std::size_t { 3 } }) {
        SCOPED_TRACE("tables allowed " + std::to_string(allowed));
        HostTableMemory memory;
        PageTables tables = create_page_tables(memory, true);
        memory.fail_after(allowed);
        EXPECT_EQ(
            outcome(tables.map_range(start, start, 2 * page_size_4k, kernel_data, true)), "OutOfMemory");
        EXPECT_FALSE(tables.translate(start + page_size_4k).has_value());
        tables.destroy();
        EXPECT_EQ(memory.live_tables(), 0u);
    }
    HostTableMemory memory;
    PageTables tables = create_page_tables(memory, true);
    memory.fail_after(4);
    EXPECT_EQ(outcome(tables.map_range(start, start, 2 * page_size_4k, kernel_data, true)), "ok");
    EXPECT_EQ(mapped_pages(tables).size(), 2u);
    tables.destroy();
}

// ---- destroy and adopt ------------------------------------------------------------------

TEST(PageTables, DestroyFreesEveryTable)
{
    HostTableMemory memory;
    PageTables tables = create_page_tables(memory, true);
    ASSERT_EQ(outcome(tables.map_range(0x3FFFE000, 0x3FFFE000, 0x40404000, user_data, true)), "ok");
    ASSERT_EQ(outcome(tables.map_range(kernel_image_base, 0, 0x1000000, kernel_code, false)), "ok");
    ASSERT_EQ(outcome(tables.map(upper_half_start, 0, page_size_1g, kernel_data)), "ok");
    ASSERT_EQ(outcome(tables.map(0x00007FFFFFFFF000ull, 0, page_size_4k, user_data)), "ok");
    std::size_t tables_allocated = memory.tables_ever_allocated();
    EXPECT_GT(tables_allocated, 8u);
    EXPECT_EQ(memory.live_tables(), tables_allocated);

    tables.destroy();
    EXPECT_EQ(memory.live_tables(), 0u);
    EXPECT_EQ(tables.root(), 0u);
}

TEST(PageTables, AdoptedHierarchyTranslatesWhatWasMapped)
{
    HostTableMemory memory;
    PageTables builder = create_page_tables(memory, true);
    ASSERT_EQ(outcome(builder.map(kernel_image_base, 0x200000, page_size_2m, kernel_code)), "ok");

    PageTables adopted = PageTables::adopt(memory, builder.root(), true);
    EXPECT_EQ(adopted.root(), builder.root());
    EXPECT_EQ(translated(adopted, kernel_image_base + 0x10),
        (Mapping { kernel_image_base, 0x200010, page_size_2m, kernel_code }));
    adopted.destroy();
    EXPECT_EQ(memory.live_tables(), 0u);
}

// ---- intermediate entries -------------------------------------------------------------

TEST_F(PageTablesTest, IntermediateEntriesCarryTheUserBitOnlyInTheUserHalf)
{
    // A kernel-only page in the user half: the leaf decides, so the tables above still grant user.
    constexpr u64 user_page = 0x0000000000400000ull;
    constexpr u64 kernel_only_page_in_user_half = 0x0000000000600000ull;
    ASSERT_EQ(outcome(m_tables.map(user_page, 0x1000, page_size_4k, user_data)), "ok");
    ASSERT_EQ(outcome(m_tables.map(kernel_only_page_in_user_half, 0x2000, page_size_4k, kernel_data)), "ok");
    ASSERT_EQ(outcome(m_tables.map(kernel_image_base, 0x3000, page_size_4k, kernel_data)), "ok");

    for (u32 level = 4; level >= 2; --level) {
        SCOPED_TRACE("level " + std::to_string(level));
        for (u64 address : { user_page, kernel_only_page_in_user_half }) {
            u64 entry = m_memory.raw_entry(m_tables.root(), address, level);
            EXPECT_TRUE(entry & PageBits::present);
            EXPECT_TRUE(entry & PageBits::user) << hex(address);
            EXPECT_TRUE(entry & PageBits::writable) << hex(address);
            EXPECT_FALSE(entry & PageBits::no_execute) << hex(address);
            EXPECT_FALSE(entry & PageBits::huge) << hex(address);
        }
        u64 kernel_entry = m_memory.raw_entry(m_tables.root(), kernel_image_base, level);
        EXPECT_TRUE(kernel_entry & PageBits::present);
        EXPECT_FALSE(kernel_entry & PageBits::user);
        EXPECT_TRUE(kernel_entry & PageBits::writable);
        EXPECT_FALSE(kernel_entry & PageBits::no_execute);
    }

    EXPECT_TRUE(m_memory.raw_entry(m_tables.root(), user_page, 1) & PageBits::user);
    EXPECT_FALSE(m_memory.raw_entry(m_tables.root(), kernel_only_page_in_user_half, 1) & PageBits::user);
    EXPECT_FALSE(m_memory.raw_entry(m_tables.root(), kernel_image_base, 1) & PageBits::user);
}

} // namespace

// ---- Sharing the kernel half ----------------------------------------------------------

TEST_F(PageTablesTest, SharedKernelHalfSeesLaterKernelMappingsAndSurvivesTheUserHierarchy)
{
    constexpr u64 kernel_page = 0xFFFF900000000000ull;
    constexpr u64 user_page = 0x0000000000400000ull;

    ASSERT_FALSE(m_tables.populate_top_level(256, 512).is_error());
    std::size_t kernel_tables = m_memory.live_tables();
    EXPECT_EQ(kernel_tables, 1u + 256u);

    auto created = PageTables::create(m_memory, true);
    ASSERT_FALSE(created.is_error());
    PageTables user = created.value();
    user.share_top_level_from(m_tables, 256, 512);

    // A kernel mapping made after the sharing shows in the other hierarchy too.
    ASSERT_FALSE(m_tables.map(kernel_page, 0x200000, page_size_4k, kernel_data).is_error());
    auto seen = user.translate(kernel_page);
    ASSERT_TRUE(seen.has_value());
    EXPECT_EQ(seen->physical_address, 0x200000u);
    // The kernel half's entries are not user-accessible; the lower half's are.
    EXPECT_EQ(m_memory.raw_entry(user.root(), kernel_page, 4) & Kernel::Arch::PageBits::user, 0u);
    ASSERT_FALSE(user.map(user_page, 0x300000, page_size_4k, user_data).is_error());
    EXPECT_NE(m_memory.raw_entry(user.root(), user_page, 4) & Kernel::Arch::PageBits::user, 0u);
    EXPECT_FALSE(m_tables.translate(user_page).has_value());

    // Destroying the user hierarchy after forgetting the shared half frees only its own
    // tables: the kernel's are still there and still translate.
    user.forget_top_level(256, 512);
    user.destroy();
    EXPECT_EQ(m_memory.live_tables(), kernel_tables + 2); // the kernel page's PD and PT
    EXPECT_TRUE(m_tables.translate(kernel_page).has_value());
}

TEST_F(PageTablesTest, PopulatingStopsCleanlyWhenMemoryRunsOut)
{
    m_memory.fail_after(10);
    EXPECT_TRUE(m_tables.populate_top_level(256, 512).is_error());
    m_memory.stop_failing();
    EXPECT_EQ(m_memory.live_tables(), 1u + 10u);
    // A second attempt completes what the first left.
    EXPECT_FALSE(m_tables.populate_top_level(256, 512).is_error());
    EXPECT_EQ(m_memory.live_tables(), 1u + 256u);
}
