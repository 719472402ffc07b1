// Host tests for the ABI's rights, object types and handle value: the bit values and
// numbers that user space compiles against, the set operations duplicate() relies on, and
// the rule that unknown bits are invalid.

#include <ABI/Handle.h>
#include <ABI/ObjectType.h>
#include <ABI/Rights.h>
#include <cstdint>
#include <gtest/gtest.h>
#include <set>
#include <string>

using ABI::Right;
using ABI::Rights;

namespace {

constexpr Right every_right[] = {
    Right::Read,
    Right::Write,
    Right::Execute,
    Right::Map,
    Right::Duplicate,
    Right::Transfer,
    Right::Signal,
    Right::Wait,
    Right::Manage,
};

} // namespace

TEST(Rights, BitValuesAreTheAbi)
{
    // docs/abi/handles.md lists these; changing one breaks every compiled program.
    EXPECT_EQ(static_cast<uint32_t>(Right::Read), 0x001u);
    EXPECT_EQ(static_cast<uint32_t>(Right::Write), 0x002u);
    EXPECT_EQ(static_cast<uint32_t>(Right::Execute), 0x004u);
    EXPECT_EQ(static_cast<uint32_t>(Right::Map), 0x008u);
    EXPECT_EQ(static_cast<uint32_t>(Right::Duplicate), 0x010u);
    EXPECT_EQ(static_cast<uint32_t>(Right::Transfer), 0x020u);
    EXPECT_EQ(static_cast<uint32_t>(Right::Signal), 0x040u);
    EXPECT_EQ(static_cast<uint32_t>(Right::Wait), 0x080u);
    EXPECT_EQ(static_cast<uint32_t>(Right::Manage), 0x100u);
    EXPECT_EQ(ABI::all_rights.raw(), 0x1FFu);
    EXPECT_EQ(Rights::known_bits, 0x1FFu);
    EXPECT_EQ(ABI::invalid_handle, 0u);
}

TEST(Rights, EveryRightIsOneDistinctKnownBitWithItsOwnName)
{
    uint32_t seen = 0;
    std::set<std::string> names;
    for (Right right : every_right) {
        uint32_t bit = static_cast<uint32_t>(right);
        EXPECT_EQ(__builtin_popcount(bit), 1) << ABI::right_name(right);
        EXPECT_EQ(seen & bit, 0u) << ABI::right_name(right);
        seen |= bit;
        EXPECT_TRUE(ABI::all_rights.contains(right));
        std::string name = ABI::right_name(right);
        EXPECT_NE(name, "UnknownRight");
        EXPECT_TRUE(names.insert(name).second) << name;
    }
    EXPECT_EQ(seen, Rights::known_bits);
    EXPECT_STREQ(ABI::right_name(static_cast<Right>(1u << 9)), "UnknownRight");
    EXPECT_STREQ(ABI::right_name(static_cast<Right>(0x3u)), "UnknownRight");
    EXPECT_STREQ(ABI::right_name(static_cast<Right>(0u)), "UnknownRight");
}

TEST(Rights, UnknownBitsAreInvalid)
{
    EXPECT_TRUE(Rights::is_valid(0));
    EXPECT_TRUE(Rights::is_valid(0x1FF));
    EXPECT_TRUE(Rights::is_valid(0x011));
    EXPECT_FALSE(Rights::is_valid(0x200));
    EXPECT_FALSE(Rights::is_valid(0x3FF));
    EXPECT_FALSE(Rights::is_valid(0x8000'0000));
    EXPECT_FALSE(Rights::is_valid(0xFFFF'FFFF));
    for (uint32_t bit = 9; bit < 32; ++bit)
        EXPECT_FALSE(Rights::is_valid(1u << bit)) << "bit " << bit;

    // from_raw keeps unknown bits, so that they can be seen and refused, not lost.
    Rights with_unknown = Rights::from_raw(0x201);
    EXPECT_EQ(with_unknown.raw(), 0x201u);
    EXPECT_FALSE(with_unknown.is_valid());
    EXPECT_TRUE(ABI::all_rights.is_valid());
    EXPECT_TRUE(ABI::no_rights.is_valid());
}

TEST(Rights, SetOperations)
{
    Rights read_write = Right::Read | Right::Write;
    Rights read_only = Right::Read;
    EXPECT_EQ(read_write.raw(), 0x3u);
    EXPECT_TRUE(read_write.contains(Right::Read));
    EXPECT_TRUE(read_write.contains(read_only));
    EXPECT_TRUE(read_write.contains(ABI::no_rights));
    EXPECT_FALSE(read_write.contains(Right::Map));
    EXPECT_FALSE(read_write.contains(Right::Read | Right::Map));

    EXPECT_TRUE(read_only.is_subset_of(read_write));
    EXPECT_TRUE(read_write.is_subset_of(read_write));
    EXPECT_FALSE(read_write.is_subset_of(read_only));
    EXPECT_TRUE(ABI::no_rights.is_subset_of(read_only));
    EXPECT_TRUE(read_write.is_subset_of(ABI::all_rights));
    // A set with an unknown bit is a subset of no valid set.
    EXPECT_FALSE(Rights::from_raw(0x201).is_subset_of(ABI::all_rights));

    EXPECT_EQ(read_write.intersection(Right::Write | Right::Map), Rights(Right::Write));
    EXPECT_EQ(read_write.union_with(Right::Map).raw(), 0xBu);
    EXPECT_EQ((read_write | Right::Map).raw(), 0xBu);
    EXPECT_EQ(ABI::all_rights.without(Right::Transfer).raw(), 0x1DFu);
    EXPECT_TRUE(read_write.without(read_write).is_empty());
    EXPECT_TRUE(Rights().is_empty());
    EXPECT_FALSE(read_only.is_empty());
    EXPECT_NE(read_only, read_write);
    EXPECT_EQ(read_only, Rights(Right::Read));
}

TEST(Rights, AllSubsetsOfASetAreExactlyItsSubmasks)
{
    // Exhaustive over the nine known bits: is_subset_of is submask inclusion.
    for (uint32_t candidate = 0; candidate <= Rights::known_bits; ++candidate) {
        for (uint32_t holder : { 0x000u, 0x011u, 0x0F0u, 0x1FFu }) {
            bool expected = (candidate & ~holder) == 0;
            ASSERT_EQ(Rights::from_raw(candidate).is_subset_of(Rights::from_raw(holder)), expected)
                << candidate << " in " << holder;
        }
    }
}

TEST(ObjectTypes, NumbersAreTheAbiAndNamesAreDistinct)
{
    EXPECT_EQ(static_cast<uint32_t>(ABI::ObjectType::Process), 1u);
    EXPECT_EQ(static_cast<uint32_t>(ABI::ObjectType::Thread), 2u);
    EXPECT_EQ(static_cast<uint32_t>(ABI::ObjectType::MemoryObject), 3u);
    EXPECT_EQ(static_cast<uint32_t>(ABI::ObjectType::Event), 4u);
    EXPECT_EQ(static_cast<uint32_t>(ABI::ObjectType::Timer), 5u);
    EXPECT_EQ(static_cast<uint32_t>(ABI::ObjectType::Interrupt), 6u);
    EXPECT_EQ(static_cast<uint32_t>(ABI::ObjectType::IoPortRange), 7u);
    EXPECT_EQ(static_cast<uint32_t>(ABI::ObjectType::MmioRange), 8u);
    EXPECT_EQ(static_cast<uint32_t>(ABI::ObjectType::Channel), 9u);
    EXPECT_EQ(static_cast<uint32_t>(ABI::ObjectType::AuditLog), 10u);
    EXPECT_EQ(static_cast<uint32_t>(ABI::ObjectType::InterruptRange), 11u);
    EXPECT_EQ(static_cast<uint32_t>(ABI::ObjectType::Port), 12u);
    EXPECT_EQ(static_cast<uint32_t>(ABI::ObjectType::SerialConsole), 13u);
    EXPECT_EQ(static_cast<uint32_t>(ABI::ObjectType::SystemControl), 14u);
    EXPECT_EQ(static_cast<uint32_t>(ABI::ObjectType::PciDevice), 15u);
    EXPECT_EQ(static_cast<uint32_t>(ABI::ObjectType::Count), 16u);

    std::set<std::string> names;
    for (uint32_t number = 1; number < static_cast<uint32_t>(ABI::ObjectType::Count); ++number) {
        std::string name = ABI::object_type_name(static_cast<ABI::ObjectType>(number));
        EXPECT_NE(name, "UnknownObjectType") << number;
        EXPECT_TRUE(names.insert(name).second) << name;
    }
    EXPECT_STREQ(ABI::object_type_name(static_cast<ABI::ObjectType>(0)), "UnknownObjectType");
    EXPECT_STREQ(ABI::object_type_name(ABI::ObjectType::Count), "UnknownObjectType");
    EXPECT_STREQ(ABI::object_type_name(static_cast<ABI::ObjectType>(1000)), "UnknownObjectType");
}
