// Tests for find_s5_sleep_type(): the `Name (_S5_, Package () {...})` subset of AML. The AML is
// assembled here from the encodings of ACPI 6.5 section 20.2, written out independently of the
// parser.

#include <Kernel/ACPI/SleepState.h>
#include <cstdint>
#include <gtest/gtest.h>
#include <string_view>
#include <vector>

namespace {

using Kernel::ACPI::find_s5_sleep_type;
using Kernel::ACPI::SleepType;
using Bytes = std::vector<std::uint8_t>;

constexpr std::uint8_t name_op = 0x08;
constexpr std::uint8_t package_op = 0x12;
constexpr std::uint8_t method_op = 0x14;
constexpr std::uint8_t scope_op = 0x10;
constexpr std::uint8_t return_op = 0xA4;

Bytes operator+(Bytes first, const Bytes& second)
{
    first.insert(first.end(), second.begin(), second.end());
    return first;
}

Bytes text(std::string_view characters)
{
    return Bytes(characters.begin(), characters.end());
}

// A PkgLength of `total` (which counts the PkgLength's own bytes) in `byte_count` bytes.
Bytes package_length(std::size_t total, int byte_count)
{
    if (byte_count == 1)
        return { static_cast<std::uint8_t>(total) };
    Bytes encoded { static_cast<std::uint8_t>(((byte_count - 1) << 6) | (total & 0x0F)) };
    for (int index = 1; index < byte_count; ++index)
        encoded.push_back(static_cast<std::uint8_t>(total >> (4 + 8 * (index - 1))));
    return encoded;
}

// PackageOp PkgLength NumElements elements...
Bytes package(const Bytes& elements, std::uint8_t element_count, int length_bytes = 1)
{
    Bytes contents = Bytes { element_count } + elements;
    return Bytes { package_op } + package_length(contents.size() + length_bytes, length_bytes) + contents;
}

// Name (<prefix>_S5_, <object>)
Bytes name_s5(const Bytes& object, std::string_view prefix = "\\")
{
    return Bytes { name_op } + text(prefix) + text("_S5_") + object;
}

SleepType find_successfully(const Bytes& aml)
{
    auto result = find_s5_sleep_type(Core::ReadonlyBytes(aml.data(), aml.size()));
    EXPECT_FALSE(result.is_error()) << result.error().name();
    if (result.is_error())
        return { 0xEE, 0xEE };
    return result.value();
}

std::string_view error_of(const Bytes& aml)
{
    auto result = find_s5_sleep_type(Core::ReadonlyBytes(aml.data(), aml.size()));
    if (!result.is_error())
        return "no error";
    return result.error().name();
}

void expect_sleep_type(const Bytes& aml, std::uint8_t type_a, std::uint8_t type_b)
{
    SleepType sleep_type = find_successfully(aml);
    EXPECT_EQ(sleep_type.type_a, type_a);
    EXPECT_EQ(sleep_type.type_b, type_b);
}

// Something for the scan to walk past: Scope (\_SB) { Name (_S3_, Package () { One, One }) }
// and a method that mentions _S5 in its body without defining it.
Bytes surrounding_aml()
{
    Bytes s3 = Bytes { name_op } + text("_S3_") + package({ 0x01, 0x01 }, 2);
    Bytes scope_body = text("\\_SB_") + s3;
    Bytes scope = Bytes { scope_op } + package_length(scope_body.size() + 1, 1) + scope_body;
    Bytes method_body = text("PTS_") + Bytes { 0x01, return_op } + text("_S5_");
    Bytes method = Bytes { method_op } + package_length(method_body.size() + 1, 1) + method_body;
    return scope + method;
}

TEST(AcpiSleepState, qemu_style_definition)
{
    // Name (\_S5, Package (0x04) { Zero, Zero, Zero, Zero }), as QEMU emits it.
    expect_sleep_type(name_s5(package({ 0x00, 0x00, 0x00, 0x00 }, 4)), 0, 0);
    // Package () { 0x05, 0x07, Zero, Zero }
    expect_sleep_type(surrounding_aml() + name_s5(package({ 0x0A, 0x05, 0x0A, 0x07, 0x00, 0x00 }, 4)), 5, 7);
}

TEST(AcpiSleepState, every_integer_encoding)
{
    expect_sleep_type(name_s5(package({ 0x00, 0x01 }, 2)), 0, 1); // ZeroOp, OneOp
    expect_sleep_type(name_s5(package({ 0xFF, 0x00 }, 2)), 7, 0); // OnesOp, masked to 3 bits
    expect_sleep_type(name_s5(package({ 0x0A, 0x06, 0x0A, 0x0D }, 2)), 6, 5); // BytePrefix
    expect_sleep_type(name_s5(package({ 0x0B, 0x03, 0x01, 0x0B, 0x02, 0x00 }, 2)), 3, 2); // WordPrefix
    expect_sleep_type(name_s5(package({ 0x0C, 0x04, 0x00, 0x00, 0x80, 0x0C, 0x01, 0x00, 0x00, 0x00 }, 2)), 4,
        1); // DWordPrefix
    Bytes qword_elements
        = Bytes { 0x0E, 0x07, 0, 0, 0, 0, 0, 0, 0x80 } + Bytes { 0x0E, 0x0A, 0, 0, 0, 0, 0, 0, 0 };
    expect_sleep_type(name_s5(package(qword_elements, 2)), 7, 2); // QWordPrefix
}

TEST(AcpiSleepState, every_package_length_encoding)
{
    Bytes elements { 0x0A, 0x05, 0x0A, 0x03 };
    for (int length_bytes = 1; length_bytes <= 4; ++length_bytes)
        expect_sleep_type(name_s5(package(elements, 2, length_bytes)), 5, 3);

    // A package too long for the 1-byte form: 30 more byte constants after the first two.
    Bytes long_elements = elements;
    for (int index = 0; index < 30; ++index)
        long_elements = long_elements + Bytes { 0x0A, 0x00 };
    Bytes long_package = package(long_elements, 32, 2);
    ASSERT_EQ(long_package[1] >> 6, 1) << "the test meant to build a 2-byte PkgLength";
    expect_sleep_type(name_s5(long_package), 5, 3);
}

TEST(AcpiSleepState, name_prefixes)
{
    Bytes object = package({ 0x0A, 0x05, 0x0A, 0x05 }, 2);
    expect_sleep_type(name_s5(object, ""), 5, 5);
    expect_sleep_type(name_s5(object, "\\"), 5, 5);
    expect_sleep_type(name_s5(object, "^"), 5, 5);
    expect_sleep_type(name_s5(object, "^^^"), 5, 5);
    // A root prefix is not followed by parent prefixes.
    EXPECT_EQ(error_of(name_s5(object, "\\^")), "NotFound");
}

TEST(AcpiSleepState, first_well_formed_definition_wins)
{
    Bytes broken = name_s5(Bytes { package_op, 0x03, 0x02, 0x0A }); // PkgLength ends mid-integer
    Bytes good = name_s5(package({ 0x0A, 0x02, 0x0A, 0x03 }, 2));
    Bytes later = name_s5(package({ 0x0A, 0x04, 0x0A, 0x04 }, 2));
    expect_sleep_type(broken + good + later, 2, 3);
}

TEST(AcpiSleepState, missing_definition_is_not_found)
{
    EXPECT_EQ(error_of({}), "NotFound");
    EXPECT_EQ(error_of(surrounding_aml()), "NotFound");
    EXPECT_EQ(error_of(Bytes { name_op } + text("_S4_") + package({ 0x01, 0x01 }, 2)), "NotFound");
    EXPECT_EQ(error_of(Bytes { name_op }), "NotFound");
}

TEST(AcpiSleepState, method_definition_is_not_supported)
{
    // Method (_S5_, 0) { Return (Package () { 5, 5 }) }
    Bytes method_body = text("_S5_") + Bytes { 0x00, return_op } + package({ 0x0A, 0x05, 0x0A, 0x05 }, 2);
    Bytes method = Bytes { method_op } + package_length(method_body.size() + 1, 1) + method_body;
    EXPECT_EQ(error_of(surrounding_aml() + method), "NotSupported");
    // The same with a 2-byte PkgLength and a root prefix.
    Bytes rooted_body = text("\\") + method_body;
    Bytes rooted = Bytes { method_op } + package_length(rooted_body.size() + 2, 2) + rooted_body;
    EXPECT_EQ(error_of(rooted), "NotSupported");
}

TEST(AcpiSleepState, other_shapes_are_not_supported)
{
    EXPECT_EQ(error_of(name_s5({ 0x0A, 0x05 })), "NotSupported"); // Name (_S5_, 5)
    EXPECT_EQ(error_of(name_s5(package({ 0x0A, 0x05 }, 1))), "NotSupported"); // one element
    EXPECT_EQ(error_of(name_s5(package({ 0x0D, 'a', 0, 0x00 }, 2))), "NotSupported"); // a string
    EXPECT_EQ(error_of(name_s5(package(text("SLPA") + Bytes { 0x00 }, 2))), "NotSupported"); // a reference
    EXPECT_EQ(error_of(name_s5(package({ 0x0A, 0x05, 0x5B, 0x30 }, 2))), "NotSupported"); // RevisionOp
}

TEST(AcpiSleepState, every_truncation_is_an_error)
{
    Bytes definition = name_s5(package({ 0x0B, 0x05, 0x00, 0x0C, 0x05, 0x00, 0x00, 0x00 }, 2, 2));
    Bytes aml = surrounding_aml() + definition;
    std::size_t definition_start = aml.size() - definition.size();
    std::size_t name_end = definition_start + 1 + 1 + 4; // NameOp, '\', "_S5_"
    for (std::size_t length = definition_start; length < aml.size(); ++length) {
        Bytes truncated(aml.begin(), aml.begin() + static_cast<std::ptrdiff_t>(length));
        std::string_view expected = length < name_end ? "NotFound" : "Malformed";
        EXPECT_EQ(error_of(truncated), expected) << "truncated to " << length << " bytes";
    }
    expect_sleep_type(aml, 5, 5);
}

TEST(AcpiSleepState, nonsense_package_lengths_are_malformed)
{
    Bytes elements { 0x0A, 0x05, 0x0A, 0x05 };
    // A multi-byte PkgLength with bits 5-4 of its lead byte set.
    Bytes reserved_bits = name_s5(package(elements, 2, 2));
    reserved_bits[7] |= 0x10;
    EXPECT_EQ(error_of(reserved_bits), "Malformed");

    // Shorter than its own encoding plus NumElements, including at the very end of the bytes,
    // where reading NumElements anyway would run off the end.
    EXPECT_EQ(error_of(name_s5(Bytes { package_op, 0x01 })), "Malformed");
    EXPECT_EQ(error_of(name_s5(Bytes { package_op, 0x01, 0x02 } + elements)), "Malformed");
    EXPECT_EQ(error_of(name_s5(Bytes { package_op, 0x40, 0x00, 0x02 } + elements)), "Malformed");

    // Longer than the bytes that follow.
    EXPECT_EQ(error_of(name_s5(Bytes { package_op, 0x3F, 0x02 } + elements)), "Malformed");
    EXPECT_EQ(error_of(name_s5(Bytes { package_op, 0xC0, 0xFF, 0xFF, 0xFF, 0x02 } + elements)), "Malformed");

    // Ends before the second integer's data, although more bytes follow in the buffer.
    EXPECT_EQ(error_of(name_s5(Bytes { package_op, 0x05, 0x02, 0x0A, 0x05, 0x0B } + Bytes { 0x05, 0x00 })),
        "Malformed");
}

} // namespace
