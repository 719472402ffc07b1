#include <Core/ByteReading.h>
#include <Kernel/Boot/Multiboot2.h>

namespace Kernel::Boot {

using Core::read_little_endian;

using Core::ErrorCode;
using Core::Optional;
using Core::ReadonlyBytes;
using Core::Result;
using Core::StringView;
using Core::u32;
using Core::u64;
using Core::u8;
using Core::usize;

// The overflow arguments below rely on offsets up to 2^32 - 1 (a u32 total_size) plus a
// u32 tag size fitting in usize without wrapping.
static_assert(sizeof(usize) == 8, "the multiboot2 parser assumes a 64-bit usize");

namespace {

// Sizes and field offsets in bytes, from the specification. Tag field offsets count from
// the start of the tag, header included.
constexpr usize information_header_size = 8; // u32 total_size, u32 reserved
constexpr usize tag_header_size = 8; // u32 type, u32 size
constexpr usize tag_alignment = 8;
constexpr usize string_tag_text_offset = 8;

constexpr usize module_minimum_size = 16; // header, u32 mod_start, u32 mod_end
constexpr usize module_text_offset = 16;

constexpr usize memory_map_minimum_size = 16; // header, u32 entry_size, u32 entry_version
constexpr usize memory_map_entries_offset = 16;
// u64 base_addr, u64 length, u32 type, u32 reserved; a later version may append fields.
constexpr u32 memory_map_minimum_entry_size = 24;

constexpr usize framebuffer_minimum_size = 32; // through the u16 reserved at 30
constexpr usize framebuffer_rgb_minimum_size = 38; // plus six u8 colour fields at 32

constexpr usize acpi_rsdp_offset = 8;
constexpr usize acpi_rsdp_version_1_length = 20;
constexpr usize acpi_rsdp_version_2_length = 36;
static_assert(acpi_rsdp_version_2_length == sizeof(AcpiRsdp::bytes));

constexpr usize efi64_system_table_minimum_size = 16; // header, u64 pointer

constexpr u32 last_known_tag_type = static_cast<u32>(Multiboot2TagType::ImageLoadBase);

// Copies the NUL-terminated string at `offset` in `tag` into `destination`. A string with
// no NUL ends where the tag ends; one longer than the destination is truncated.
template<usize Capacity>
void copy_string(ReadonlyBytes tag, usize offset, Core::FixedStringBuilder<Capacity>& destination)
{
    ReadonlyBytes text = tag.slice(offset);
    // Looking further than the destination can hold is wasted work: `Capacity` characters
    // are already enough for the builder to notice the truncation.
    usize length = 0;
    while (length < text.size() && length < Capacity && text[length] != 0)
        ++length;
    // Invariant: text.data() points at text.size() readable bytes and length <= text.size().
    // char may alias any object, so reading these u8s as chars is defined.
    destination.write(StringView(reinterpret_cast<const char*>(text.data()), length));
}

MemoryRegionType memory_region_type_from_multiboot2(u32 type)
{
    switch (type) {
    case 1:
        return MemoryRegionType::Usable;
    case 3:
        return MemoryRegionType::AcpiReclaimable;
    case 4:
        return MemoryRegionType::AcpiNvs;
    case 5:
        return MemoryRegionType::Defective;
    default:
        // 2 is reserved by definition; unknown types must be assumed unusable.
        return MemoryRegionType::Reserved;
    }
}

// Whether a colour channel of `size` bits at bit `position` lies inside a pixel.
bool colour_field_fits(u8 position, u8 size, u8 bits_per_pixel)
{
    return static_cast<u32>(position) + static_cast<u32>(size) <= static_cast<u32>(bits_per_pixel);
}

// Whether a second tag of this type would conflict with the first. Such tags are used
// once; a later one is recorded as a duplicate instead of silently overriding.
bool is_single_instance(Multiboot2TagType type)
{
    switch (type) {
    case Multiboot2TagType::CommandLine:
    case Multiboot2TagType::BootloaderName:
    case Multiboot2TagType::MemoryMap:
    case Multiboot2TagType::Framebuffer:
    case Multiboot2TagType::AcpiOldRsdp:
    case Multiboot2TagType::AcpiNewRsdp:
        return true;
    default:
        return false;
    }
}

class InformationParser {
public:
    explicit InformationParser(BootInfo& info)
        : m_info(info)
    {
    }

    // `information` is exactly total_size bytes long, header included.
    void parse(ReadonlyBytes information);

private:
    struct Tag {
        u32 type;
        u32 size;
        // From the start of the information; fits in u32 because it is below total_size.
        u32 offset;
        // The whole tag, header included; exactly `size` bytes.
        ReadonlyBytes bytes;
    };
    // Why a tag was not used, or nothing when it was.
    using Rejection = Optional<StringView>;

    Rejection parse_tag(const Tag& tag);
    Rejection parse_command_line(const Tag& tag);
    Rejection parse_bootloader_name(const Tag& tag);
    Rejection parse_module(const Tag& tag);
    Rejection parse_memory_map(const Tag& tag);
    Rejection parse_framebuffer(const Tag& tag);
    Rejection parse_acpi_rsdp(const Tag& tag, usize rsdp_length);
    Rejection parse_efi64_system_table(const Tag& tag);

    void record_skipped(u32 type, u32 size, u32 offset, StringView reason);

    [[nodiscard]] bool has_accepted(Multiboot2TagType type) const
    {
        return (m_accepted_types & type_bit(type)) != 0;
    }
    void mark_accepted(Multiboot2TagType type) { m_accepted_types |= type_bit(type); }
    static constexpr u32 type_bit(Multiboot2TagType type) { return u32 { 1 } << static_cast<u32>(type); }
    static_assert(last_known_tag_type < 32, "every known tag type needs a bit in m_accepted_types");

    BootInfo& m_info;
    // Bit n is set once a tag of type n has been used.
    u32 m_accepted_types { 0 };
};

void InformationParser::parse(ReadonlyBytes information)
{
    usize offset = information_header_size;
    while (offset < information.size()) {
        // offset < information.size() <= total_size, which is a u32.
        auto tag_offset = static_cast<u32>(offset);
        if (information.size() - offset < tag_header_size) {
            record_skipped(0, 0, tag_offset, "partial tag header at the end of the information"_sv);
            return;
        }
        u32 type = read_little_endian<u32>(information, offset);
        u32 size = read_little_endian<u32>(information, offset + 4);
        // With a size this wrong the next tag cannot be located, so parsing has to stop.
        if (size < tag_header_size) {
            record_skipped(type, size, tag_offset, "tag size is smaller than the tag header"_sv);
            return;
        }
        if (size > information.size() - offset) {
            record_skipped(type, size, tag_offset, "tag extends past total_size"_sv);
            return;
        }
        if (type == static_cast<u32>(Multiboot2TagType::End))
            return;

        Tag tag { type, size, tag_offset, information.slice(offset, size) };
        Rejection rejection = parse_tag(tag);
        if (rejection.has_value())
            record_skipped(type, size, tag_offset, rejection.value());

        // offset + size <= information.size() < 2^32, so neither the sum nor the rounding
        // up can wrap a 64-bit usize.
        offset = Core::align_up<usize>(offset + size, tag_alignment);
    }
    // Rounding up may step past the end; report where the end tag should have been.
    auto expected_offset = static_cast<u32>(Core::min(offset, information.size()));
    record_skipped(0, 0, expected_offset, "missing end tag"_sv);
}

InformationParser::Rejection InformationParser::parse_tag(const Tag& tag)
{
    if (tag.type > last_known_tag_type)
        return "unknown tag type"_sv;
    auto type = static_cast<Multiboot2TagType>(tag.type);
    if (is_single_instance(type) && has_accepted(type))
        return "duplicate tag"_sv;

    Rejection rejection;
    switch (type) {
    case Multiboot2TagType::CommandLine:
        rejection = parse_command_line(tag);
        break;
    case Multiboot2TagType::BootloaderName:
        rejection = parse_bootloader_name(tag);
        break;
    case Multiboot2TagType::Module:
        rejection = parse_module(tag);
        break;
    case Multiboot2TagType::MemoryMap:
        rejection = parse_memory_map(tag);
        break;
    case Multiboot2TagType::Framebuffer:
        rejection = parse_framebuffer(tag);
        break;
    case Multiboot2TagType::AcpiOldRsdp:
        rejection = parse_acpi_rsdp(tag, acpi_rsdp_version_1_length);
        break;
    case Multiboot2TagType::AcpiNewRsdp:
        rejection = parse_acpi_rsdp(tag, acpi_rsdp_version_2_length);
        break;
    case Multiboot2TagType::Efi64SystemTable:
        rejection = parse_efi64_system_table(tag);
        break;
    case Multiboot2TagType::End:
    case Multiboot2TagType::BasicMemoryInformation:
    case Multiboot2TagType::BootDevice:
    case Multiboot2TagType::Vbe:
    case Multiboot2TagType::ElfSections:
    case Multiboot2TagType::Apm:
    case Multiboot2TagType::Efi32SystemTable:
    case Multiboot2TagType::Smbios:
    case Multiboot2TagType::Network:
    case Multiboot2TagType::EfiMemoryMap:
    case Multiboot2TagType::EfiBootServicesNotTerminated:
    case Multiboot2TagType::Efi32ImageHandle:
    case Multiboot2TagType::Efi64ImageHandle:
    case Multiboot2TagType::ImageLoadBase:
        // Valid, but nothing the kernel uses yet; not worth a line in the boot log.
        break;
    }
    if (!rejection.has_value())
        mark_accepted(type);
    return rejection;
}

InformationParser::Rejection InformationParser::parse_command_line(const Tag& tag)
{
    copy_string(tag.bytes, string_tag_text_offset, m_info.command_line);
    return {};
}

InformationParser::Rejection InformationParser::parse_bootloader_name(const Tag& tag)
{
    copy_string(tag.bytes, string_tag_text_offset, m_info.bootloader_name);
    return {};
}

InformationParser::Rejection InformationParser::parse_module(const Tag& tag)
{
    if (tag.bytes.size() < module_minimum_size)
        return "module tag too short"_sv;
    u32 start = read_little_endian<u32>(tag.bytes, 8);
    u32 end = read_little_endian<u32>(tag.bytes, 12);
    if (end < start)
        return "module ends before it starts"_sv;
    if (m_info.modules.is_full())
        return "too many modules"_sv;

    BootModule module;
    module.physical_start = start;
    module.physical_end = end;
    copy_string(tag.bytes, module_text_offset, module.name);
    auto appended = m_info.modules.try_append(Core::move(module));
    // Cannot fail: fullness was checked above.
    VERIFY(!appended.is_error());
    return {};
}

InformationParser::Rejection InformationParser::parse_memory_map(const Tag& tag)
{
    if (tag.bytes.size() < memory_map_minimum_size)
        return "memory map tag too short"_sv;
    u32 entry_size = read_little_endian<u32>(tag.bytes, 8);
    // The spec promises a multiple of 8; anything smaller than the known fields cannot be
    // read. entry_version (at 12) is not checked: later versions may only append fields.
    if (entry_size < memory_map_minimum_entry_size || entry_size % 8 != 0)
        return "memory map entry size is invalid"_sv;

    // Trailing bytes too short for a whole entry are ignored.
    ReadonlyBytes entries = tag.bytes.slice(memory_map_entries_offset);
    usize entry_count = entries.size() / entry_size;
    for (usize index = 0; index < entry_count; ++index) {
        // index * entry_size + entry_size <= entries.size(): no overflow, and every field
        // read below lies inside the entry.
        usize entry_offset = index * entry_size;
        u64 base = read_little_endian<u64>(entries, entry_offset);
        u64 length = read_little_endian<u64>(entries, entry_offset + 8);
        u32 type = read_little_endian<u32>(entries, entry_offset + 16);

        u64 end;
        bool is_unrepresentable = length == 0 || __builtin_add_overflow(base, length, &end);
        if (is_unrepresentable || m_info.memory_map.is_full()) {
            ++m_info.dropped_memory_regions;
            continue;
        }
        auto appended = m_info.memory_map.try_append(
            MemoryRegion { base, length, memory_region_type_from_multiboot2(type) });
        // Cannot fail: fullness was checked above.
        VERIFY(!appended.is_error());
    }
    return {};
}

InformationParser::Rejection InformationParser::parse_framebuffer(const Tag& tag)
{
    if (tag.bytes.size() < framebuffer_minimum_size)
        return "framebuffer tag too short"_sv;

    FramebufferInfo framebuffer;
    framebuffer.physical_address = read_little_endian<u64>(tag.bytes, 8);
    framebuffer.pitch = read_little_endian<u32>(tag.bytes, 16);
    framebuffer.width = read_little_endian<u32>(tag.bytes, 20);
    framebuffer.height = read_little_endian<u32>(tag.bytes, 24);
    framebuffer.bits_per_pixel = read_little_endian<u8>(tag.bytes, 28);
    u8 type = read_little_endian<u8>(tag.bytes, 29);

    if (framebuffer.pitch == 0 || framebuffer.width == 0 || framebuffer.height == 0)
        return "framebuffer has a zero width, height or pitch"_sv;

    // The fewest bytes one row can take; 64-bit, so u32 width times anything here fits.
    u64 minimum_pitch = 0;
    switch (type) {
    case 0: {
        framebuffer.type = FramebufferType::Indexed;
        if (framebuffer.bits_per_pixel == 0 || framebuffer.bits_per_pixel > 8)
            return "unsupported bits per pixel for an indexed framebuffer"_sv;
        minimum_pitch = (static_cast<u64>(framebuffer.width) * framebuffer.bits_per_pixel + 7) / 8;
        break;
    }
    case 1: {
        framebuffer.type = FramebufferType::Rgb;
        if (tag.bytes.size() < framebuffer_rgb_minimum_size)
            return "framebuffer tag too short for its colour layout"_sv;
        u8 bits_per_pixel = framebuffer.bits_per_pixel;
        if (bits_per_pixel != 15 && bits_per_pixel != 16 && bits_per_pixel != 24 && bits_per_pixel != 32)
            return "unsupported bits per pixel for an RGB framebuffer"_sv;
        // A 15-bit pixel is stored in two bytes.
        u64 bytes_per_pixel = (bits_per_pixel + 7u) / 8u;
        minimum_pitch = static_cast<u64>(framebuffer.width) * bytes_per_pixel;
        framebuffer.red_position = read_little_endian<u8>(tag.bytes, 32);
        framebuffer.red_size = read_little_endian<u8>(tag.bytes, 33);
        framebuffer.green_position = read_little_endian<u8>(tag.bytes, 34);
        framebuffer.green_size = read_little_endian<u8>(tag.bytes, 35);
        framebuffer.blue_position = read_little_endian<u8>(tag.bytes, 36);
        framebuffer.blue_size = read_little_endian<u8>(tag.bytes, 37);
        // A field outside the pixel would make the console shift by more than the pixel's width.
        if (!colour_field_fits(framebuffer.red_position, framebuffer.red_size, bits_per_pixel)
            || !colour_field_fits(framebuffer.green_position, framebuffer.green_size, bits_per_pixel)
            || !colour_field_fits(framebuffer.blue_position, framebuffer.blue_size, bits_per_pixel))
            return "framebuffer colour field lies outside the pixel"_sv;
        break;
    }
    case 2:
        framebuffer.type = FramebufferType::EgaText;
        // Each character cell is a character byte followed by an attribute byte.
        minimum_pitch = static_cast<u64>(framebuffer.width) * 2;
        break;
    default:
        return "unknown framebuffer type"_sv;
    }
    if (framebuffer.pitch < minimum_pitch)
        return "framebuffer pitch is smaller than one row"_sv;
    u64 framebuffer_end;
    if (__builtin_add_overflow(framebuffer.physical_address, framebuffer.size_in_bytes(), &framebuffer_end))
        return "framebuffer extends past the end of the address space"_sv;

    m_info.framebuffer = framebuffer;
    return {};
}

InformationParser::Rejection InformationParser::parse_acpi_rsdp(const Tag& tag, usize rsdp_length)
{
    ReadonlyBytes rsdp_bytes = tag.bytes.slice(acpi_rsdp_offset);
    if (rsdp_bytes.size() < rsdp_length)
        return "ACPI RSDP tag too short"_sv;
    // Bootloaders commonly pass both versions; the newer one wins whatever the order.
    if (rsdp_length == acpi_rsdp_version_1_length && has_accepted(Multiboot2TagType::AcpiNewRsdp))
        return {};

    AcpiRsdp rsdp;
    for (usize index = 0; index < rsdp_length; ++index)
        rsdp.bytes[index] = rsdp_bytes[index];
    rsdp.length = static_cast<u8>(rsdp_length);
    m_info.acpi_rsdp = rsdp;
    return {};
}

InformationParser::Rejection InformationParser::parse_efi64_system_table(const Tag& tag)
{
    // The pointer itself is not kept yet; its presence is what tells UEFI from BIOS.
    if (tag.bytes.size() < efi64_system_table_minimum_size)
        return "EFI 64-bit system table tag too short"_sv;
    m_info.firmware = Firmware::Uefi;
    return {};
}

void InformationParser::record_skipped(u32 type, u32 size, u32 offset, StringView reason)
{
    // Cannot wrap: each skipped tag takes at least 8 of the at most 2^32 - 1 bytes, plus
    // one final record for a missing end tag.
    ++m_info.skipped_tag_count;
    if (m_info.skipped_tags.is_full())
        return;
    auto appended = m_info.skipped_tags.try_append(SkippedTag { type, size, offset, reason });
    // Cannot fail: fullness was checked above.
    VERIFY(!appended.is_error());
}

} // namespace

Result<u32> multiboot2_information_total_size(ReadonlyBytes header)
{
    if (header.size() < information_header_size)
        return ErrorCode::Malformed;
    u32 total_size = read_little_endian<u32>(header, 0);
    if (total_size < information_header_size)
        return ErrorCode::Malformed;
    return total_size;
}

Result<BootInfo> parse_multiboot2_information(ReadonlyBytes information)
{
    u32 total_size = TRY(multiboot2_information_total_size(information));
    if (total_size > information.size())
        return ErrorCode::Malformed;

    BootInfo info;
    info.information_size = total_size;
    InformationParser parser(info);
    parser.parse(information.slice(0, total_size));
    return info;
}

} // namespace Kernel::Boot
