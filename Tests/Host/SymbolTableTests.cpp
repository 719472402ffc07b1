// Host tests for the panic symbol table (Kernel/Panic/SymbolTable.h). Blobs are built
// here in the layout Tools/generate_kernel_symbols.py writes, then corrupted field by
// field: the table is read during a panic, so every corruption must be rejected rather
// than read out of bounds.

#include <Kernel/Panic/SymbolTable.h>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <gtest/gtest.h>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

using Kernel::Panic::SymbolTable;

namespace {

constexpr std::size_t header_size = 16;
constexpr std::size_t entry_size = 16;
// Byte offsets of the header fields.
constexpr std::size_t magic_offset = 0;
constexpr std::size_t version_offset = 4;
constexpr std::size_t symbol_count_offset = 8;
constexpr std::size_t strings_size_offset = 12;

std::string_view as_std(Core::StringView view)
{
    return { view.characters(), view.length() };
}

struct TestSymbol {
    std::uint64_t address;
    std::uint32_t size;
    std::string name;
};

void append_u32(std::vector<std::uint8_t>& bytes, std::uint32_t value)
{
    for (int shift = 0; shift < 32; shift += 8)
        bytes.push_back(static_cast<std::uint8_t>(value >> shift));
}

void append_u64(std::vector<std::uint8_t>& bytes, std::uint64_t value)
{
    append_u32(bytes, static_cast<std::uint32_t>(value));
    append_u32(bytes, static_cast<std::uint32_t>(value >> 32));
}

void overwrite_u32(std::vector<std::uint8_t>& bytes, std::size_t offset, std::uint32_t value)
{
    for (int byte = 0; byte < 4; ++byte)
        bytes.at(offset + byte) = static_cast<std::uint8_t>(value >> (8 * byte));
}

// Mirrors build() in Tools/generate_kernel_symbols.py, except that it keeps the given
// order (the generator sorts) so that tests can also build unsorted tables.
std::vector<std::uint8_t> build_symbol_blob(const std::vector<TestSymbol>& symbols)
{
    std::vector<std::uint8_t> strings;
    std::vector<std::uint8_t> entries;
    for (const auto& symbol : symbols) {
        append_u64(entries, symbol.address);
        append_u32(entries, symbol.size);
        append_u32(entries, static_cast<std::uint32_t>(strings.size()));
        strings.insert(strings.end(), symbol.name.begin(), symbol.name.end());
        strings.push_back('\0');
    }
    std::vector<std::uint8_t> blob;
    append_u32(blob, Kernel::Panic::symbol_table_magic);
    append_u32(blob, Kernel::Panic::symbol_table_version);
    append_u32(blob, static_cast<std::uint32_t>(symbols.size()));
    append_u32(blob, static_cast<std::uint32_t>(strings.size()));
    blob.insert(blob.end(), entries.begin(), entries.end());
    blob.insert(blob.end(), strings.begin(), strings.end());
    return blob;
}

// A heap copy of a blob with no spare capacity, so that AddressSanitizer reports any
// read even one byte past its end. The parsed table points into it, so it must outlive
// the table.
class ExactBlob {
public:
    explicit ExactBlob(const std::vector<std::uint8_t>& bytes)
        : m_bytes(new std::uint8_t[bytes.size()])
        , m_size(bytes.size())
    {
        if (m_size > 0)
            std::memcpy(m_bytes.get(), bytes.data(), m_size);
    }
    Core::ReadonlyBytes bytes() const { return { m_bytes.get(), m_size }; }

private:
    std::unique_ptr<std::uint8_t[]> m_bytes;
    std::size_t m_size;
};

// Parses `blob` and returns the error name, or "ok".
std::string parse_outcome(const std::vector<std::uint8_t>& bytes)
{
    ExactBlob blob(bytes);
    auto result = SymbolTable::parse(blob.bytes());
    return result.is_error() ? result.error().name() : "ok";
}

const std::vector<TestSymbol> sample_symbols = {
    { 0xffffffff80001000, 0x10, "alpha" },
    { 0xffffffff80001010, 0, "beta_without_size" },
    { 0xffffffff80002000, 0x100, "gamma" },
    { 0xffffffff80003000, 0x20, "delta" },
    { 0xffffffff80004000, 0, "last_without_size" },
};

// Fixture holding a parsed copy of sample_symbols.
class SymbolTableLookup : public ::testing::Test {
protected:
    void SetUp() override
    {
        auto result = SymbolTable::parse(m_blob.bytes());
        ASSERT_FALSE(result.is_error()) << result.error().name();
        m_table = result.release_value();
    }

    // "name+0xoffset" for a match, "none" otherwise: one string shows all three fields.
    std::string describe(std::uint64_t address) const
    {
        auto match = m_table.lookup(address);
        if (!match.has_value())
            return "none";
        char offset_text[32];
        std::snprintf(
            offset_text, sizeof(offset_text), "+0x%llx", static_cast<unsigned long long>(match->offset));
        EXPECT_EQ(match->symbol_address + match->offset, address);
        return std::string(as_std(match->name)) + offset_text;
    }

    ExactBlob m_blob { build_symbol_blob(sample_symbols) };
    SymbolTable m_table;
};

} // namespace

// ---- Lookup -----------------------------------------------------------------------------

TEST_F(SymbolTableLookup, CountsSymbols)
{
    EXPECT_EQ(m_table.symbol_count(), sample_symbols.size());
}

TEST_F(SymbolTableLookup, AddressBelowFirstSymbolMatchesNothing)
{
    EXPECT_EQ(describe(0), "none");
    EXPECT_EQ(describe(0xffffffff80000fff), "none");
}

TEST_F(SymbolTableLookup, AtStartOfSymbol)
{
    EXPECT_EQ(describe(0xffffffff80001000), "alpha+0x0");
    EXPECT_EQ(describe(0xffffffff80002000), "gamma+0x0");
    EXPECT_EQ(describe(0xffffffff80004000), "last_without_size+0x0");

    auto match = m_table.lookup(0xffffffff80002000);
    ASSERT_TRUE(match.has_value());
    EXPECT_EQ(match->symbol_address, 0xffffffff80002000u);
    EXPECT_EQ(match->offset, 0u);
}

TEST_F(SymbolTableLookup, InsideSizedSymbol)
{
    EXPECT_EQ(describe(0xffffffff80001001), "alpha+0x1");
    EXPECT_EQ(describe(0xffffffff8000100f), "alpha+0xf");
    EXPECT_EQ(describe(0xffffffff800020ff), "gamma+0xff");
    EXPECT_EQ(describe(0xffffffff8000301f), "delta+0x1f");
}

TEST_F(SymbolTableLookup, JustAfterSizedSymbolMatchesNothing)
{
    // gamma ends at 0x2100 and delta starts at 0x3000: the gap belongs to no function.
    EXPECT_EQ(describe(0xffffffff80002100), "none");
    EXPECT_EQ(describe(0xffffffff80002fff), "none");
    EXPECT_EQ(describe(0xffffffff80003020), "none");
}

TEST_F(SymbolTableLookup, SizedSymbolEndingWhereNextStarts)
{
    // alpha's size ends exactly where beta starts, so the next address is beta's.
    EXPECT_EQ(describe(0xffffffff80001010), "beta_without_size+0x0");
}

TEST_F(SymbolTableLookup, ZeroSizeSymbolExtendsToTheNextSymbol)
{
    EXPECT_EQ(describe(0xffffffff80001011), "beta_without_size+0x1");
    EXPECT_EQ(describe(0xffffffff80001fff), "beta_without_size+0xfef");
    // The last symbol has no successor, so it extends to the top of the address space.
    EXPECT_EQ(describe(0xffffffff80005000), "last_without_size+0x1000");
    EXPECT_EQ(describe(UINT64_MAX), "last_without_size+0x7fffbfff");
}

TEST_F(SymbolTableLookup, AddressOfFindsExactNamesOnly)
{
    EXPECT_EQ(m_table.address_of("alpha").value_or(0), 0xffffffff80001000u);
    EXPECT_EQ(m_table.address_of("gamma").value_or(0), 0xffffffff80002000u);
    EXPECT_EQ(m_table.address_of("last_without_size").value_or(0), 0xffffffff80004000u);
    EXPECT_FALSE(m_table.address_of("missing").has_value());
    EXPECT_FALSE(m_table.address_of("gam").has_value());
    EXPECT_FALSE(m_table.address_of("gammas").has_value());
    EXPECT_FALSE(m_table.address_of("").has_value());
}

TEST(SymbolTable, DefaultTableIsEmpty)
{
    SymbolTable table;
    EXPECT_EQ(table.symbol_count(), 0u);
    EXPECT_FALSE(table.lookup(0x1000).has_value());
    EXPECT_FALSE(table.address_of("anything").has_value());
}

TEST(SymbolTable, EmptyTableParses)
{
    ExactBlob blob(build_symbol_blob({}));
    auto result = SymbolTable::parse(blob.bytes());
    ASSERT_FALSE(result.is_error());
    EXPECT_EQ(result.value().symbol_count(), 0u);
    EXPECT_FALSE(result.value().lookup(0).has_value());
    EXPECT_FALSE(result.value().lookup(UINT64_MAX).has_value());
}

TEST(SymbolTable, SingleSymbol)
{
    ExactBlob blob(build_symbol_blob({ { 0x5000, 8, "only" } }));
    auto result = SymbolTable::parse(blob.bytes());
    ASSERT_FALSE(result.is_error());
    const SymbolTable& table = result.value();
    EXPECT_FALSE(table.lookup(0x4fff).has_value());
    ASSERT_TRUE(table.lookup(0x5007).has_value());
    EXPECT_EQ(as_std(table.lookup(0x5007)->name), "only");
    EXPECT_FALSE(table.lookup(0x5008).has_value());
}

TEST(SymbolTable, AddressBelowZeroSizeFirstSymbolMatchesNothing)
{
    // A zero-size symbol extends upwards only; nothing below the first symbol has a name.
    ExactBlob blob(build_symbol_blob({ { 0x1000, 0, "unsized_first" }, { 0x2000, 0, "unsized_second" } }));
    auto result = SymbolTable::parse(blob.bytes());
    ASSERT_FALSE(result.is_error());
    EXPECT_FALSE(result.value().lookup(0xfff).has_value());
    EXPECT_FALSE(result.value().lookup(0).has_value());
    ASSERT_TRUE(result.value().lookup(0x1fff).has_value());
    EXPECT_EQ(as_std(result.value().lookup(0x1fff)->name), "unsized_first");
}

TEST(SymbolTable, DuplicateNamesResolveToTheFirst)
{
    // Static functions in different files may share a name.
    ExactBlob blob(build_symbol_blob({ { 0x1000, 4, "helper" }, { 0x2000, 4, "helper" } }));
    auto result = SymbolTable::parse(blob.bytes());
    ASSERT_FALSE(result.is_error());
    EXPECT_EQ(result.value().address_of("helper").value_or(0), 0x1000u);
    EXPECT_EQ(as_std(result.value().lookup(0x2001)->name), "helper");
    EXPECT_EQ(result.value().lookup(0x2001)->symbol_address, 0x2000u);
}

TEST(SymbolTable, EqualAddressesAreAccepted)
{
    // Aliases share an address; that is still sorted order.
    ExactBlob blob(build_symbol_blob({ { 0x1000, 0x10, "alias_one" }, { 0x1000, 0x10, "alias_two" } }));
    auto result = SymbolTable::parse(blob.bytes());
    ASSERT_FALSE(result.is_error());
    auto match = result.value().lookup(0x1004);
    ASSERT_TRUE(match.has_value());
    EXPECT_TRUE(as_std(match->name) == "alias_one" || as_std(match->name) == "alias_two")
        << as_std(match->name);
    EXPECT_EQ(match->offset, 4u);
}

TEST(SymbolTable, NamesWithSpacesAndPunctuationFromDemangling)
{
    std::string demangled = "Kernel::Panic::SymbolTable::lookup(unsigned long) const";
    ExactBlob blob(build_symbol_blob({ { 0x1000, 0x40, demangled } }));
    auto result = SymbolTable::parse(blob.bytes());
    ASSERT_FALSE(result.is_error());
    EXPECT_EQ(as_std(result.value().lookup(0x1001)->name), demangled);
    EXPECT_EQ(
        result.value().address_of(Core::StringView(demangled.data(), demangled.size())).value_or(0), 0x1000u);
}

TEST(SymbolTable, ManySymbolsAllFoundByBinarySearch)
{
    std::vector<TestSymbol> symbols;
    for (std::uint64_t index = 0; index < 1000; ++index)
        symbols.push_back({ 0xffffffff80100000 + index * 0x40, 0x30, "function_" + std::to_string(index) });
    ExactBlob blob(build_symbol_blob(symbols));
    auto result = SymbolTable::parse(blob.bytes());
    ASSERT_FALSE(result.is_error());
    const SymbolTable& table = result.value();
    for (const auto& symbol : symbols) {
        for (std::uint64_t offset : { 0x0u, 0x17u, 0x2fu }) {
            auto match = table.lookup(symbol.address + offset);
            ASSERT_TRUE(match.has_value()) << symbol.name << "+" << offset;
            ASSERT_EQ(as_std(match->name), symbol.name);
            ASSERT_EQ(match->offset, offset);
        }
        // The 0x10-byte gap after each function.
        ASSERT_FALSE(table.lookup(symbol.address + 0x30).has_value()) << symbol.name;
    }
    EXPECT_EQ(table.address_of("function_999").value_or(0), symbols.back().address);
}

TEST(SymbolTable, TrailingPaddingAfterStringsIsAccepted)
{
    // The embedding section may be padded for alignment.
    auto bytes = build_symbol_blob({ { 0x1000, 4, "padded" } });
    bytes.resize(bytes.size() + 7, 0);
    ExactBlob blob(bytes);
    auto result = SymbolTable::parse(blob.bytes());
    ASSERT_FALSE(result.is_error());
    EXPECT_EQ(as_std(result.value().lookup(0x1000)->name), "padded");
}

TEST(SymbolTable, UnterminatedLastNameIsClampedToTableEnd)
{
    auto bytes = build_symbol_blob({ { 0x1000, 4, "first" }, { 0x2000, 4, "second" } });
    // Drop the final NUL from both the blob and the declared string table size.
    bytes.pop_back();
    std::uint32_t strings_size = static_cast<std::uint32_t>(bytes.size() - header_size - 2 * entry_size);
    overwrite_u32(bytes, strings_size_offset, strings_size);
    ExactBlob blob(bytes);
    auto result = SymbolTable::parse(blob.bytes());
    ASSERT_FALSE(result.is_error());
    EXPECT_EQ(as_std(result.value().lookup(0x2000)->name), "second");
    EXPECT_EQ(as_std(result.value().lookup(0x1000)->name), "first");
    EXPECT_EQ(result.value().address_of("second").value_or(0), 0x2000u);
}

TEST(SymbolTable, NameEndsAtDeclaredTableEndEvenWithMoreBytesInBlob)
{
    // Bytes after the declared string table are not part of any name.
    auto bytes = build_symbol_blob({ { 0x1000, 4, "abc" } });
    bytes.pop_back();
    overwrite_u32(bytes, strings_size_offset, 3);
    bytes.push_back('X');
    bytes.push_back('\0');
    ExactBlob blob(bytes);
    auto result = SymbolTable::parse(blob.bytes());
    ASSERT_FALSE(result.is_error());
    EXPECT_EQ(as_std(result.value().lookup(0x1000)->name), "abc");
}

// ---- Rejection of malformed blobs -------------------------------------------------------

TEST(SymbolTableParse, RejectsShortHeader)
{
    auto bytes = build_symbol_blob({});
    ASSERT_EQ(bytes.size(), header_size);
    for (std::size_t length = 0; length < header_size; ++length) {
        EXPECT_EQ(
            parse_outcome(std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + length)), "Malformed")
            << "length " << length;
    }
    EXPECT_EQ(parse_outcome(bytes), "ok");
    auto null_result = SymbolTable::parse(Core::ReadonlyBytes());
    ASSERT_TRUE(null_result.is_error());
    EXPECT_EQ(null_result.error().code(), Core::ErrorCode::Malformed);
}

TEST(SymbolTableParse, RejectsBadMagic)
{
    auto bytes = build_symbol_blob(sample_symbols);
    overwrite_u32(bytes, magic_offset, 0x4D595353);
    EXPECT_EQ(parse_outcome(bytes), "Malformed");
    // The magic read big endian is also wrong.
    overwrite_u32(bytes, magic_offset, 0x5253594D);
    EXPECT_EQ(parse_outcome(bytes), "Malformed");
}

TEST(SymbolTableParse, RejectsBadVersion)
{
    auto bytes = build_symbol_blob(sample_symbols);
    for (std::uint32_t version : { 0u, 2u, 0x01000000u, 0xffffffffu }) {
        overwrite_u32(bytes, version_offset, version);
        EXPECT_EQ(parse_outcome(bytes), "Malformed") << "version " << version;
    }
}

TEST(SymbolTableParse, RejectsSymbolCountBeyondBlob)
{
    auto bytes = build_symbol_blob(sample_symbols);
    auto count = static_cast<std::uint32_t>(sample_symbols.size());
    // One more entry than exists would eat into the strings and leave them short.
    overwrite_u32(bytes, symbol_count_offset, count + 1);
    EXPECT_EQ(parse_outcome(bytes), "Malformed");
    // Counts whose byte size overflows 32 bits must not wrap around to something small.
    for (std::uint32_t huge_count : { 0x10000000u, 0x10000001u, 0xffffffffu }) {
        overwrite_u32(bytes, symbol_count_offset, huge_count);
        EXPECT_EQ(parse_outcome(bytes), "Malformed") << "count " << huge_count;
    }
}

TEST(SymbolTableParse, RejectsStringsSizeBeyondBlob)
{
    auto bytes = build_symbol_blob(sample_symbols);
    auto strings_size
        = static_cast<std::uint32_t>(bytes.size() - header_size - sample_symbols.size() * entry_size);
    overwrite_u32(bytes, strings_size_offset, strings_size + 1);
    EXPECT_EQ(parse_outcome(bytes), "Malformed");
    overwrite_u32(bytes, strings_size_offset, 0xffffffffu);
    EXPECT_EQ(parse_outcome(bytes), "Malformed");
    overwrite_u32(bytes, strings_size_offset, strings_size);
    EXPECT_EQ(parse_outcome(bytes), "ok");
}

TEST(SymbolTableParse, RejectsTruncatedBlob)
{
    auto bytes = build_symbol_blob(sample_symbols);
    // Every proper prefix is missing part of the entries or strings it declares.
    for (std::size_t length = header_size; length < bytes.size(); ++length) {
        EXPECT_EQ(
            parse_outcome(std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + length)), "Malformed")
            << "length " << length;
    }
}

TEST(SymbolTableParse, RejectsNameOffsetOutsideStringTable)
{
    auto bytes = build_symbol_blob(sample_symbols);
    auto strings_size
        = static_cast<std::uint32_t>(bytes.size() - header_size - sample_symbols.size() * entry_size);
    std::size_t last_name_offset_field = header_size + (sample_symbols.size() - 1) * entry_size + 12;
    for (std::uint32_t name_offset : { strings_size, strings_size + 1, 0xffffffffu }) {
        overwrite_u32(bytes, last_name_offset_field, name_offset);
        EXPECT_EQ(parse_outcome(bytes), "Malformed") << "name offset " << name_offset;
    }
    // The last byte of the table is still inside it.
    overwrite_u32(bytes, last_name_offset_field, strings_size - 1);
    EXPECT_EQ(parse_outcome(bytes), "ok");
}

TEST(SymbolTableParse, RejectsSymbolsWithAnEmptyStringTable)
{
    auto bytes = build_symbol_blob({ { 0x1000, 4, "" } });
    bytes.pop_back();
    overwrite_u32(bytes, strings_size_offset, 0);
    EXPECT_EQ(parse_outcome(bytes), "Malformed");
}

TEST(SymbolTableParse, RejectsUnsortedAddresses)
{
    EXPECT_EQ(
        parse_outcome(build_symbol_blob({ { 0x2000, 4, "later" }, { 0x1000, 4, "earlier" } })), "Malformed");
    // Out of order only at the very end.
    EXPECT_EQ(
        parse_outcome(build_symbol_blob({ { 0x1000, 4, "a" }, { 0x2000, 4, "b" }, { 0x1fff, 4, "c" } })),
        "Malformed");
    // Addresses that differ only in the high half.
    EXPECT_EQ(parse_outcome(
                  build_symbol_blob({ { 0xffffffff80000000, 4, "high" }, { 0x00000000ffffffff, 4, "low" } })),
        "Malformed");
}
