// Tests for the IOMMU's pure logic: second-level translation tables (Intel VT-d 9.8) over
// fake frames, and which remapping unit a PCI function's device scope places it under.

#include <Kernel/Iommu/DeviceScopes.h>
#include <Kernel/Iommu/TranslationTable.h>
#include <cstdint>
#include <cstring>
#include <gtest/gtest.h>
#include <map>
#include <memory>
#include <set>

namespace {

using Kernel::Iommu::TranslationTable;

// Frames as host memory, at made-up physical addresses; can be told to run out.
class FakeFrames final : public Kernel::Iommu::TableFrames {
public:
    Core::Result<std::uint64_t> allocate_table() override
    {
        if (remaining_allocations == 0)
            return Core::ErrorCode::OutOfMemory;
        --remaining_allocations;
        std::uint64_t physical = m_next;
        m_next += 0x1000;
        m_tables[physical] = std::make_unique<std::uint64_t[]>(512);
        std::memset(m_tables[physical].get(), 0, 4096);
        return physical;
    }
    void free_table(std::uint64_t physical) override
    {
        EXPECT_EQ(m_tables.erase(physical), 1u) << "freed a table twice or one never allocated";
    }
    std::uint64_t* table_entries(std::uint64_t physical) override
    {
        auto table = m_tables.find(physical);
        EXPECT_NE(table, m_tables.end());
        return table->second.get();
    }
    void publish(std::uint64_t* first, Core::usize count) override
    {
        for (Core::usize index = 0; index < count; ++index)
            published_entries.insert(first + index);
    }
    // Every nonzero entry of every table has been published (the unit may not snoop).
    bool every_entry_published() const
    {
        for (const auto& [physical, entries] : m_tables) {
            for (std::size_t index = 0; index < 512; ++index) {
                if (entries[index] != 0 && !published_entries.count(&entries[index]))
                    return false;
            }
        }
        return true;
    }

    std::size_t live_tables() const { return m_tables.size(); }
    std::uint64_t remaining_allocations { ~0ull };
    std::set<std::uint64_t*> published_entries;

private:
    std::uint64_t m_next { 0x10'0000 };
    std::map<std::uint64_t, std::unique_ptr<std::uint64_t[]>> m_tables;
};

std::unique_ptr<TranslationTable> make_table(FakeFrames& frames, std::uint8_t levels)
{
    return std::make_unique<TranslationTable>(levels, frames.allocate_table().value(), frames);
}

TEST(IommuTranslationTable, an_empty_table_blocks_everything)
{
    FakeFrames frames;
    auto table = make_table(frames, 3);
    EXPECT_EQ(table->address_limit(), 1ull << 39);
    EXPECT_FALSE(table->translate(0).has_value());
    EXPECT_FALSE(table->translate(0x1234'5000).has_value());
    EXPECT_FALSE(table->translate((1ull << 39) - 1).has_value());
}

TEST(IommuTranslationTable, mapped_pages_translate_and_neighbours_stay_blocked)
{
    FakeFrames frames;
    auto table = make_table(frames, 3);
    ASSERT_FALSE(table->map(0x7FF'E000, 0x7FF'E000, 0x3000, true).is_error()); // crosses a 2 MiB table
    auto middle = table->translate(0x7FF'F123);
    ASSERT_TRUE(middle.has_value());
    EXPECT_EQ(middle->physical, 0x7FF'F123u);
    EXPECT_TRUE(middle->writable);
    EXPECT_EQ(table->translate(0x800'0FFF)->physical, 0x800'0FFFu);
    EXPECT_FALSE(table->translate(0x7FF'DFFF).has_value());
    EXPECT_FALSE(table->translate(0x800'1000).has_value());
    // Root, one level-2 table, and two level-1 tables (the range crosses a 2 MiB line).
    EXPECT_EQ(table->table_count(), 4u);
    EXPECT_TRUE(frames.every_entry_published());
}

TEST(IommuTranslationTable, entries_follow_the_vt_d_format)
{
    FakeFrames frames;
    auto table = make_table(frames, 3);
    ASSERT_FALSE(table->map(0x4000'3000, 0xABC'D000, 0x1000, false).is_error());
    // Level 3 index 1 (bit 30), level 2 index 0, level 1 index 3.
    std::uint64_t level3 = frames.table_entries(table->root())[1];
    EXPECT_EQ(level3 & 3, 3u) << "a table entry grants read and write";
    std::uint64_t level2 = frames.table_entries(level3 & TranslationTable::address_mask)[0];
    EXPECT_EQ(level2 & 3, 3u);
    std::uint64_t leaf = frames.table_entries(level2 & TranslationTable::address_mask)[3];
    EXPECT_EQ(leaf, 0xABC'D000u | 1u) << "read-only leaf: Read without Write";
    EXPECT_FALSE(table->translate(0x4000'3000)->writable);
}

TEST(IommuTranslationTable, four_levels_reach_48_bit_addresses)
{
    FakeFrames frames;
    auto table = make_table(frames, 4);
    EXPECT_EQ(table->address_limit(), 1ull << 48);
    ASSERT_FALSE(table->map(0xFFFF'FFFF'F000, 0x2000, 0x1000, true).is_error());
    EXPECT_EQ(table->translate(0xFFFF'FFFF'F008)->physical, 0x2008u);
    EXPECT_EQ(table->table_count(), 4u);
}

TEST(IommuTranslationTable, bad_ranges_are_refused)
{
    FakeFrames frames;
    auto table = make_table(frames, 3);
    EXPECT_EQ(table->map(0x1000, 0x1000, 0, true).error().code(), Core::ErrorCode::InvalidArgument);
    EXPECT_EQ(table->map(0x1001, 0x1000, 0x1000, true).error().code(), Core::ErrorCode::InvalidArgument);
    EXPECT_EQ(table->map(0x1000, 0x1800, 0x1000, true).error().code(), Core::ErrorCode::InvalidArgument);
    EXPECT_EQ(table->map(1ull << 39, 0x1000, 0x1000, true).error().code(), Core::ErrorCode::OutOfRange);
    EXPECT_EQ(
        table->map((1ull << 39) - 0x1000, 0x1000, 0x2000, true).error().code(), Core::ErrorCode::OutOfRange);
    EXPECT_EQ(table->map(0x1000, 1ull << 52, 0x1000, true).error().code(), Core::ErrorCode::OutOfRange);
    ASSERT_FALSE(table->map(0x5000, 0x5000, 0x2000, true).is_error());
    EXPECT_EQ(table->map(0x4000, 0x9000, 0x2000, true).error().code(), Core::ErrorCode::AlreadyExists);
    // The refused map left its first page unmapped.
    EXPECT_FALSE(table->translate(0x4000).has_value());
}

TEST(IommuTranslationTable, unmap_blocks_again_and_maps_anew)
{
    FakeFrames frames;
    auto table = make_table(frames, 3);
    ASSERT_FALSE(table->map(0x10'0000, 0x20'0000, 0x4000, true).is_error());
    frames.published_entries.clear();
    table->unmap(0x10'1000, 0x2000);
    // The cleared leaves were published too: a unit that does not snoop must see them go.
    EXPECT_EQ(frames.published_entries.size(), 2u);
    EXPECT_TRUE(table->translate(0x10'0000).has_value());
    EXPECT_FALSE(table->translate(0x10'1000).has_value());
    EXPECT_FALSE(table->translate(0x10'2000).has_value());
    EXPECT_TRUE(table->translate(0x10'3000).has_value());
    ASSERT_FALSE(table->map(0x10'1000, 0x30'0000, 0x1000, false).is_error());
    EXPECT_EQ(table->translate(0x10'1000)->physical, 0x30'0000u);
    table->unmap(0x10'0001, 0x1000); // unaligned: ignored
    EXPECT_TRUE(table->translate(0x10'0000).has_value());
}

TEST(IommuTranslationTable, running_out_of_frames_leaves_nothing_mapped)
{
    FakeFrames frames;
    auto table = make_table(frames, 3);
    frames.remaining_allocations = 2; // the level-2 table and one level-1 table
    auto result = table->map(0x1F'F000, 0x1000, 0x2000, true); // needs two level-1 tables
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().code(), Core::ErrorCode::OutOfMemory);
    EXPECT_FALSE(table->translate(0x1F'F000).has_value());
    EXPECT_FALSE(table->translate(0x20'0000).has_value());
}

TEST(IommuTranslationTable, an_abandoned_table_keeps_its_frames)
{
    FakeFrames frames;
    {
        auto table = make_table(frames, 3);
        ASSERT_FALSE(table->map(0, 0, 0x1000, true).is_error());
        table->abandon();
    }
    EXPECT_EQ(frames.live_tables(), 3u);
}

TEST(IommuTranslationTable, destruction_frees_every_table)
{
    FakeFrames frames;
    {
        auto table = make_table(frames, 4);
        ASSERT_FALSE(table->map(0, 0, 0x1000, true).is_error());
        ASSERT_FALSE(table->map(0x8000'0000'0000, 0x1000, 0x1000, true).is_error());
        EXPECT_EQ(frames.live_tables(), 7u);
    }
    EXPECT_EQ(frames.live_tables(), 0u);
}

// ---- Device scopes ------------------------------------------------------------------------------

using Kernel::ACPI::DeviceScope;
using Kernel::ACPI::RemappingUnit;
using Kernel::Iommu::BusRange;
using Kernel::Iommu::PciAddress;

class FakeBridges final : public Kernel::Iommu::BridgeBuses {
public:
    Core::Optional<BusRange> buses_behind(
        std::uint16_t segment, std::uint8_t bus, std::uint8_t device, std::uint8_t function) override
    {
        auto found = bridges.find({ segment, bus, device, function });
        if (found == bridges.end())
            return {};
        return found->second;
    }
    std::map<std::tuple<std::uint16_t, std::uint8_t, std::uint8_t, std::uint8_t>, BusRange> bridges;
};

DeviceScope make_scope(
    std::uint8_t type, std::uint8_t start_bus, std::initializer_list<DeviceScope::Hop> path)
{
    DeviceScope scope;
    scope.type = type;
    scope.start_bus = start_bus;
    for (const DeviceScope::Hop& hop : path)
        scope.path[scope.path_length++] = hop;
    return scope;
}

TEST(IommuDeviceScopes, endpoint_scope_names_one_function)
{
    FakeBridges bridges;
    DeviceScope scope = make_scope(DeviceScope::endpoint, 0, { { 3, 0 } });
    EXPECT_TRUE(scope_names_function(scope, 0, PciAddress { 0, 0, 3, 0 }, bridges));
    EXPECT_FALSE(scope_names_function(scope, 0, PciAddress { 0, 0, 3, 1 }, bridges));
    EXPECT_FALSE(scope_names_function(scope, 0, PciAddress { 0, 1, 3, 0 }, bridges));
    // A unit names functions of its own segment only.
    EXPECT_FALSE(scope_names_function(scope, 0, PciAddress { 1, 0, 3, 0 }, bridges));
}

TEST(IommuDeviceScopes, paths_follow_bridges)
{
    FakeBridges bridges;
    bridges.bridges[{ 0, 0, 0x1C, 0 }] = BusRange { 2, 4 };
    bridges.bridges[{ 0, 2, 0, 0 }] = BusRange { 3, 4 };
    // An endpoint two bridges down: bus 0 -> 1C.0 -> bus 2 -> 00.0 -> bus 3, function 05.1.
    DeviceScope endpoint = make_scope(DeviceScope::endpoint, 0, { { 0x1C, 0 }, { 0, 0 }, { 5, 1 } });
    EXPECT_TRUE(scope_names_function(endpoint, 0, PciAddress { 0, 3, 5, 1 }, bridges));
    EXPECT_FALSE(scope_names_function(endpoint, 0, PciAddress { 0, 2, 5, 1 }, bridges));
    // A bridge scope names the bridge and everything behind it.
    DeviceScope bridge = make_scope(DeviceScope::bridge, 0, { { 0x1C, 0 } });
    EXPECT_TRUE(scope_names_function(bridge, 0, PciAddress { 0, 0, 0x1C, 0 }, bridges));
    EXPECT_TRUE(scope_names_function(bridge, 0, PciAddress { 0, 2, 0, 0 }, bridges));
    EXPECT_TRUE(scope_names_function(bridge, 0, PciAddress { 0, 4, 7, 0 }, bridges));
    EXPECT_FALSE(scope_names_function(bridge, 0, PciAddress { 0, 5, 0, 0 }, bridges));
    // A path through something that is not a bridge leads nowhere.
    DeviceScope broken = make_scope(DeviceScope::endpoint, 0, { { 0x1D, 0 }, { 0, 0 } });
    EXPECT_FALSE(scope_names_function(broken, 0, PciAddress { 0, 0, 0, 0 }, bridges));
    // I/O APIC scopes name no PCI function.
    EXPECT_FALSE(scope_names_function(
        make_scope(DeviceScope::io_apic, 0, { { 3, 0 } }), 0, PciAddress { 0, 0, 3, 0 }, bridges));
}

TEST(IommuDeviceScopes, endpoints_resolve_through_bridges)
{
    FakeBridges bridges;
    bridges.bridges[{ 0, 0, 0x1C, 0 }] = BusRange { 2, 4 };
    auto direct = resolve_endpoint(make_scope(DeviceScope::endpoint, 0, { { 0x14, 0 } }), 0, bridges);
    ASSERT_TRUE(direct.has_value());
    EXPECT_EQ(direct.value(), (PciAddress { 0, 0, 0x14, 0 }));
    auto behind
        = resolve_endpoint(make_scope(DeviceScope::endpoint, 0, { { 0x1C, 0 }, { 0, 3 } }), 1, bridges);
    EXPECT_FALSE(behind.has_value()) << "the bridge is in segment 0, not 1";
    behind = resolve_endpoint(make_scope(DeviceScope::endpoint, 0, { { 0x1C, 0 }, { 0, 3 } }), 0, bridges);
    ASSERT_TRUE(behind.has_value());
    EXPECT_EQ(behind.value(), (PciAddress { 0, 2, 0, 3 }));
    EXPECT_FALSE(
        resolve_endpoint(make_scope(DeviceScope::bridge, 0, { { 0x1C, 0 } }), 0, bridges).has_value());
    EXPECT_FALSE(resolve_endpoint(make_scope(DeviceScope::endpoint, 0, { { 0x1D, 0 }, { 0, 0 } }), 0, bridges)
                     .has_value());
}

TEST(IommuDeviceScopes, a_named_function_goes_to_its_unit_and_the_rest_to_the_catch_all)
{
    FakeBridges bridges;
    RemappingUnit graphics;
    graphics.register_base = 0xFED9'0000;
    (void)graphics.scopes.try_append(make_scope(DeviceScope::endpoint, 0, { { 2, 0 } }));
    RemappingUnit everything_else;
    everything_else.register_base = 0xFED9'1000;
    everything_else.includes_all_devices = true;
    RemappingUnit other_segment;
    other_segment.register_base = 0xFED9'2000;
    other_segment.segment_group = 1;
    other_segment.includes_all_devices = true;
    RemappingUnit units[] = { everything_else, graphics, other_segment };
    Core::Span<const RemappingUnit> span(units, 3);
    EXPECT_EQ(unit_for_function(span, PciAddress { 0, 0, 2, 0 }, bridges).value(), 1u);
    EXPECT_EQ(unit_for_function(span, PciAddress { 0, 0, 3, 0 }, bridges).value(), 0u);
    EXPECT_EQ(unit_for_function(span, PciAddress { 1, 0, 2, 0 }, bridges).value(), 2u);
    RemappingUnit only_graphics[] = { graphics };
    EXPECT_FALSE(unit_for_function(
        Core::Span<const RemappingUnit>(only_graphics, 1), PciAddress { 0, 0, 3, 0 }, bridges)
                     .has_value());
}

TEST(IommuDeviceScopes, requester_id_packs_bus_device_function)
{
    EXPECT_EQ((PciAddress { 0, 0x12, 0x1F, 3 }).requester_id(), 0x12FBu);
    EXPECT_EQ((PciAddress { 0, 0, 0, 0 }).requester_id(), 0u);
}

} // namespace
