#include <Core/ByteReading.h>
#include <Kernel/Loader/ElfImage.h>

namespace Kernel::Loader {

using Core::read_little_endian;

using Core::ErrorCode;
using Core::has_bytes;
using Core::i64;
using Core::Optional;
using Core::ReadonlyBytes;
using Core::Result;
using Core::u16;
using Core::u32;
using Core::u64;
using Core::u8;
using Core::usize;

// File offsets and sizes are u64 in ELF64 and are compared with span sizes as usize.
static_assert(sizeof(usize) == sizeof(u64), "the ELF parser assumes a 64-bit usize");

namespace {

// Sizes of the gABI's Elf64_Ehdr, Elf64_Phdr, Elf64_Dyn and Elf64_Rela.
constexpr usize file_header_size = 64;
constexpr usize program_header_size = 56;
constexpr usize dynamic_entry_size = 16;
constexpr usize relocation_entry_size = 24;
// Each relocation patches one 64-bit word.
constexpr u64 relocation_target_size = 8;

// e_ident bytes and the values this loader accepts.
constexpr u8 elf_magic[4] = { 0x7F, 'E', 'L', 'F' };
constexpr usize ident_class_offset = 4;
constexpr usize ident_data_offset = 5;
constexpr usize ident_version_offset = 6;
constexpr usize ident_os_abi_offset = 7;
constexpr u8 class_32_bit = 1;
constexpr u8 class_64_bit = 2;
constexpr u8 data_little_endian = 1;
constexpr u8 data_big_endian = 2;
constexpr u32 version_none = 0;
constexpr u32 version_current = 1;
constexpr u8 os_abi_system_v = 0;
constexpr u8 os_abi_gnu = 3;

// Elf64_Ehdr fields after e_ident.
constexpr usize type_offset = 16;
constexpr usize machine_offset = 18;
constexpr usize version_offset = 20;
constexpr usize entry_offset = 24;
constexpr usize program_headers_offset_offset = 32;
constexpr usize header_size_offset = 52;
constexpr usize program_header_size_offset = 54;
constexpr usize program_header_count_offset = 56;

constexpr u16 type_none = 0;
constexpr u16 type_executable = 2;
constexpr u16 type_shared_object = 3;
constexpr u16 machine_x86_64 = 62;
// PN_XNUM: the real count is in section header 0.
constexpr u16 program_header_count_in_section_header = 0xFFFF;

// p_type values.
constexpr u32 segment_type_load = 1;
constexpr u32 segment_type_dynamic = 2;
constexpr u32 segment_type_interpreter = 3;
constexpr u32 segment_type_shared_library = 5;
constexpr u32 segment_type_tls = 7;
constexpr u32 segment_type_gnu_stack = 0x6474E551;

// p_flags bits.
constexpr u32 segment_flag_execute = 1;
constexpr u32 segment_flag_write = 2;
constexpr u32 segment_flag_read = 4;

// d_tag values. The field is signed in the gABI; every tag used here is non-negative and
// comparing it as a u64 keeps negative (unknown) tags unknown.
constexpr u64 dynamic_tag_null = 0;
constexpr u64 dynamic_tag_needed = 1;
constexpr u64 dynamic_tag_plt_relocations_size = 2;
constexpr u64 dynamic_tag_rela = 7;
constexpr u64 dynamic_tag_rela_size = 8;
constexpr u64 dynamic_tag_rela_entry_size = 9;
constexpr u64 dynamic_tag_rel = 17;
constexpr u64 dynamic_tag_rel_size = 18;
constexpr u64 dynamic_tag_rel_entry_size = 19;
constexpr u64 dynamic_tag_plt_relocation_type = 20;
constexpr u64 dynamic_tag_jump_relocations = 23;
constexpr u64 dynamic_tag_relr_size = 35;
constexpr u64 dynamic_tag_relr = 36;
constexpr u64 dynamic_tag_relr_entry_size = 37;
constexpr u64 dynamic_tag_rela_count = 0x6FFFFFF9;

// r_info holds the symbol index in its upper and the type in its lower 32 bits.
constexpr u32 relocation_type_relative = 8;

struct FileHeader {
    ElfKind kind;
    u64 entry_point;
    u64 program_headers_offset;
    u16 program_header_count;
};

struct ProgramHeader {
    u32 type;
    u32 flags;
    u64 file_offset;
    u64 virtual_address;
    u64 file_size;
    u64 memory_size;
    u64 alignment;
};

struct RelocationTable {
    u64 file_offset { 0 };
    usize count { 0 };
};

// A version field of 0 is EV_NONE, an invalid value; a later version is valid ELF this
// parser does not know.
Result<void> check_version(u32 version)
{
    if (version == version_none)
        return ErrorCode::Malformed;
    if (version != version_current)
        return ErrorCode::NotSupported;
    return {};
}

Result<FileHeader> read_file_header(ReadonlyBytes file)
{
    if (file.size() < file_header_size)
        return ErrorCode::Malformed;
    for (usize index = 0; index < sizeof(elf_magic); ++index) {
        if (file[index] != elf_magic[index])
            return ErrorCode::Malformed;
    }
    u8 elf_class = file[ident_class_offset];
    if (elf_class == class_32_bit)
        return ErrorCode::NotSupported;
    if (elf_class != class_64_bit)
        return ErrorCode::Malformed;
    u8 data_encoding = file[ident_data_offset];
    if (data_encoding == data_big_endian)
        return ErrorCode::NotSupported;
    if (data_encoding != data_little_endian)
        return ErrorCode::Malformed;
    TRY(check_version(file[ident_version_offset]));
    u8 os_abi = file[ident_os_abi_offset];
    if (os_abi != os_abi_system_v && os_abi != os_abi_gnu)
        return ErrorCode::NotSupported;

    FileHeader header {};
    u16 type = read_little_endian<u16>(file, type_offset);
    if (type == type_executable)
        header.kind = ElfKind::Static;
    else if (type == type_shared_object)
        header.kind = ElfKind::PositionIndependent;
    else if (type == type_none)
        return ErrorCode::Malformed;
    else
        return ErrorCode::NotSupported;
    if (read_little_endian<u16>(file, machine_offset) != machine_x86_64)
        return ErrorCode::NotSupported;
    TRY(check_version(read_little_endian<u32>(file, version_offset)));

    if (read_little_endian<u16>(file, header_size_offset) != file_header_size)
        return ErrorCode::Malformed;
    if (read_little_endian<u16>(file, program_header_size_offset) != program_header_size)
        return ErrorCode::Malformed;
    header.entry_point = read_little_endian<u64>(file, entry_offset);
    header.program_headers_offset = read_little_endian<u64>(file, program_headers_offset_offset);
    header.program_header_count = read_little_endian<u16>(file, program_header_count_offset);
    if (header.program_header_count == program_header_count_in_section_header)
        return ErrorCode::NotSupported;
    if (header.program_header_count == 0)
        return ErrorCode::Malformed;
    // At most 65534 headers of 56 bytes: the product cannot overflow.
    if (!has_bytes(file, header.program_headers_offset, header.program_header_count * program_header_size))
        return ErrorCode::Malformed;
    return header;
}

ProgramHeader read_program_header(ReadonlyBytes file, usize offset)
{
    ProgramHeader header {};
    header.type = read_little_endian<u32>(file, offset);
    header.flags = read_little_endian<u32>(file, offset + 4);
    header.file_offset = read_little_endian<u64>(file, offset + 8);
    header.virtual_address = read_little_endian<u64>(file, offset + 16);
    // p_paddr at 24 has no meaning for user programs.
    header.file_size = read_little_endian<u64>(file, offset + 32);
    header.memory_size = read_little_endian<u64>(file, offset + 40);
    header.alignment = read_little_endian<u64>(file, offset + 48);
    return header;
}

// Whether `value` and `other` are equal modulo `alignment`, a power of two. The difference
// wraps modulo 2^64, which every power of two up to 2^63 divides, so wrapping is harmless.
bool congruent(u64 value, u64 other, u64 alignment)
{
    return ((value - other) & (alignment - 1)) == 0;
}

// Checks one non-empty PT_LOAD on its own; ordering against the others is the caller's.
Result<LoadSegment> read_load_segment(ReadonlyBytes file, const ProgramHeader& header, ElfKind kind)
{
    if (header.file_size > header.memory_size)
        return ErrorCode::Malformed;
    if (!has_bytes(file, header.file_offset, header.file_size))
        return ErrorCode::Malformed;
    u64 end;
    if (__builtin_add_overflow(header.virtual_address, header.memory_size, &end))
        return ErrorCode::Malformed;

    u64 alignment = header.alignment;
    if (alignment > 1 && !Core::is_power_of_two(alignment))
        return ErrorCode::Malformed;
    if (alignment <= 1) {
        // The gABI asks nothing of such a segment, but the loader maps whole pages.
        if (!congruent(header.virtual_address, header.file_offset, elf_page_size))
            return ErrorCode::NotSupported;
        alignment = elf_page_size;
    } else {
        if (alignment < elf_page_size || alignment > maximum_image_span)
            return ErrorCode::NotSupported;
        if (!congruent(header.virtual_address, header.file_offset, alignment))
            return ErrorCode::Malformed;
    }

    SegmentPermissions permissions;
    permissions.readable = (header.flags & segment_flag_read) != 0;
    permissions.writable = (header.flags & segment_flag_write) != 0;
    permissions.executable = (header.flags & segment_flag_execute) != 0;
    if (permissions.writable && permissions.executable)
        return ErrorCode::NotSupported;

    // user_image_lowest_address is a multiple of the page size, so a segment starting at or
    // above it does not reach below it once rounded down to a page.
    if (end > user_image_address_limit)
        return ErrorCode::NotSupported;
    if (kind == ElfKind::Static && header.virtual_address < user_image_lowest_address)
        return ErrorCode::NotSupported;

    LoadSegment segment;
    segment.virtual_address = header.virtual_address;
    segment.memory_size = header.memory_size;
    segment.file_offset = header.file_offset;
    segment.file_size = header.file_size;
    segment.alignment = alignment;
    segment.permissions = permissions;
    return segment;
}

// Appends `segment` after the segments read so far, which it must follow in address order
// without sharing a page with the last of them.
Result<void> append_segment(ElfImage::Segments& segments, const LoadSegment& segment)
{
    if (!segments.is_empty()) {
        const LoadSegment& previous = segments[segments.size() - 1];
        // Segments are not empty, so this also catches a segment listed out of order.
        if (segment.virtual_address < previous.end())
            return ErrorCode::Malformed;
        // previous.end() <= user_image_address_limit, so rounding it up cannot wrap.
        if (Core::align_down(segment.virtual_address, elf_page_size)
            < Core::align_up(previous.end(), elf_page_size))
            return ErrorCode::NotSupported;
    }
    if (segments.is_full())
        return ErrorCode::NotSupported;
    auto appended = segments.try_append(segment);
    // Cannot fail: fullness was checked above.
    VERIFY(!appended.is_error());
    return {};
}

// The file offset of [address, address + size) when that range lies inside the file-backed
// part of one segment.
Optional<u64> file_offset_of(const ElfImage::Segments& segments, u64 address, u64 size)
{
    for (const LoadSegment& segment : segments) {
        if (address < segment.virtual_address || size > segment.file_size)
            continue;
        u64 offset_in_segment = address - segment.virtual_address;
        if (offset_in_segment <= segment.file_size - size)
            return segment.file_offset + offset_in_segment;
    }
    return {};
}

// Where the file bytes [file_offset, file_offset + size) are mapped, when a segment's
// file-backed part includes them.
Optional<u64> address_of_file_range(const ElfImage::Segments& segments, u64 file_offset, u64 size)
{
    for (const LoadSegment& segment : segments) {
        if (file_offset < segment.file_offset || size > segment.file_size)
            continue;
        u64 offset_in_segment = file_offset - segment.file_offset;
        if (offset_in_segment <= segment.file_size - size)
            return segment.virtual_address + offset_in_segment;
    }
    return {};
}

// The segment whose memory holds all of [address, address + size), if one does.
const LoadSegment* segment_containing(const ElfImage::Segments& segments, u64 address, u64 size)
{
    for (const LoadSegment& segment : segments) {
        if (address < segment.virtual_address || size > segment.memory_size)
            continue;
        if (address - segment.virtual_address <= segment.memory_size - size)
            return &segment;
    }
    return nullptr;
}

// A segment that the loader maps must show the same bytes the parser reads at
// header.file_offset, or the checks below would be about different data.
Result<void> check_mapped_at_file_offset(const ElfImage::Segments& segments, const ProgramHeader& header)
{
    Optional<u64> mapped_offset = file_offset_of(segments, header.virtual_address, header.file_size);
    if (!mapped_offset.has_value() || mapped_offset.value() != header.file_offset)
        return ErrorCode::Malformed;
    return {};
}

Result<TlsTemplate> read_tls_template(
    ReadonlyBytes file, const ElfImage::Segments& segments, const ProgramHeader& header)
{
    if (header.file_size > header.memory_size)
        return ErrorCode::Malformed;
    if (!has_bytes(file, header.file_offset, header.file_size))
        return ErrorCode::Malformed;
    u64 alignment = header.alignment == 0 ? 1 : header.alignment;
    if (!Core::is_power_of_two(alignment))
        return ErrorCode::Malformed;
    if (alignment > maximum_image_span || header.memory_size > maximum_image_span)
        return ErrorCode::NotSupported;
    // With only zero-initialised data there is no image to find; linkers then put
    // p_vaddr wherever .tbss would start, which need not be inside a segment's file bytes.
    if (header.file_size != 0)
        TRY(check_mapped_at_file_offset(segments, header));

    TlsTemplate tls;
    tls.virtual_address = header.virtual_address;
    tls.file_offset = header.file_offset;
    tls.file_size = header.file_size;
    tls.memory_size = header.memory_size;
    tls.alignment = alignment;
    return tls;
}

// A tag given twice would leave the table ambiguous.
Result<void> record_once(Optional<u64>& slot, u64 value)
{
    if (slot.has_value())
        return ErrorCode::Malformed;
    slot = value;
    return {};
}

Result<RelocationTable> read_dynamic_section(
    ReadonlyBytes file, const ElfImage::Segments& segments, const ProgramHeader& header)
{
    if (!has_bytes(file, header.file_offset, header.file_size))
        return ErrorCode::Malformed;
    TRY(check_mapped_at_file_offset(segments, header));

    ReadonlyBytes entries = file.slice(header.file_offset, header.file_size);
    Optional<u64> table_address;
    Optional<u64> table_size;
    Optional<u64> entry_size;
    Optional<u64> relative_count;
    bool found_end = false;
    // entry_offset stays <= entries.size(): it only grows past an entry that was there.
    for (usize entry_offset = 0; !found_end && entries.size() - entry_offset >= dynamic_entry_size;
         entry_offset += dynamic_entry_size) {
        u64 tag = read_little_endian<u64>(entries, entry_offset);
        u64 value = read_little_endian<u64>(entries, entry_offset + 8);
        switch (tag) {
        case dynamic_tag_null:
            found_end = true;
            break;
        case dynamic_tag_rela:
            TRY(record_once(table_address, value));
            break;
        case dynamic_tag_rela_size:
            TRY(record_once(table_size, value));
            break;
        case dynamic_tag_rela_entry_size:
            TRY(record_once(entry_size, value));
            break;
        case dynamic_tag_rela_count:
            TRY(record_once(relative_count, value));
            break;
        case dynamic_tag_needed:
        case dynamic_tag_plt_relocations_size:
        case dynamic_tag_plt_relocation_type:
        case dynamic_tag_jump_relocations:
            // Shared libraries and lazily bound calls need a dynamic linker.
            return ErrorCode::NotSupported;
        case dynamic_tag_rel:
        case dynamic_tag_rel_size:
        case dynamic_tag_rel_entry_size:
        case dynamic_tag_relr:
        case dynamic_tag_relr_size:
        case dynamic_tag_relr_entry_size:
            // The x86-64 psABI uses Elf64_Rela; other relocation formats are not applied.
            return ErrorCode::NotSupported;
        default:
            break;
        }
    }
    if (!found_end)
        return ErrorCode::Malformed;

    // The gABI requires DT_RELASZ and DT_RELAENT with DT_RELA; without DT_RELA they
    // describe nothing, which points at a damaged table.
    if (!table_address.has_value()) {
        if (table_size.has_value() || entry_size.has_value() || relative_count.has_value())
            return ErrorCode::Malformed;
        return RelocationTable {};
    }
    if (!table_size.has_value() || !entry_size.has_value())
        return ErrorCode::Malformed;
    if (entry_size.value() != relocation_entry_size || table_size.value() % relocation_entry_size != 0)
        return ErrorCode::Malformed;
    // The loader reads the table from the file, so it must be file-backed, not zero-fill.
    Optional<u64> table_offset = file_offset_of(segments, table_address.value(), table_size.value());
    if (!table_offset.has_value())
        return ErrorCode::Malformed;
    RelocationTable table;
    table.file_offset = table_offset.value();
    table.count = table_size.value() / relocation_entry_size;
    if (relative_count.has_value() && relative_count.value() > table.count)
        return ErrorCode::Malformed;
    return table;
}

} // namespace

Result<ElfImage> ElfImage::parse(ReadonlyBytes file)
{
    FileHeader file_header = TRY(read_file_header(file));
    ElfImage image(file, file_header.kind, file_header.entry_point, file_header.program_header_count);

    Optional<ProgramHeader> dynamic_header;
    Optional<ProgramHeader> tls_header;
    for (usize index = 0; index < file_header.program_header_count; ++index) {
        // read_file_header() checked that the whole table lies inside the file.
        ProgramHeader header
            = read_program_header(file, file_header.program_headers_offset + index * program_header_size);
        switch (header.type) {
        case segment_type_load: {
            if (header.memory_size == 0 && header.file_size == 0)
                break;
            LoadSegment segment = TRY(read_load_segment(file, header, image.m_kind));
            TRY(append_segment(image.m_segments, segment));
            break;
        }
        case segment_type_dynamic:
            if (dynamic_header.has_value())
                return ErrorCode::Malformed;
            dynamic_header = header;
            break;
        case segment_type_tls:
            if (tls_header.has_value())
                return ErrorCode::Malformed;
            tls_header = header;
            break;
        case segment_type_interpreter:
            return ErrorCode::NotSupported;
        case segment_type_shared_library:
            return ErrorCode::NotSupported;
        case segment_type_gnu_stack:
            if ((header.flags & segment_flag_execute) != 0)
                return ErrorCode::NotSupported;
            break;
        default:
            break;
        }
    }
    if (image.m_segments.is_empty())
        return ErrorCode::Malformed;

    const LoadSegment& lowest = image.m_segments[0];
    const LoadSegment& highest = image.m_segments[image.m_segments.size() - 1];
    image.m_image_start = Core::align_down(lowest.virtual_address, elf_page_size);
    // highest.end() <= user_image_address_limit, so rounding up cannot wrap.
    image.m_image_end = Core::align_up(highest.end(), elf_page_size);
    if (image.image_size() > maximum_image_span)
        return ErrorCode::NotSupported;
    for (const LoadSegment& segment : image.m_segments)
        image.m_base_alignment = Core::max(image.m_base_alignment, segment.alignment);

    const LoadSegment* entry_segment = segment_containing(image.m_segments, image.m_entry_point, 1);
    if (entry_segment == nullptr || !entry_segment->permissions.executable)
        return ErrorCode::Malformed;

    if (tls_header.has_value())
        image.m_tls = TRY(read_tls_template(file, image.m_segments, tls_header.value()));
    if (dynamic_header.has_value()) {
        RelocationTable table = TRY(read_dynamic_section(file, image.m_segments, dynamic_header.value()));
        image.m_relocations_file_offset = table.file_offset;
        image.m_relocation_count = table.count;
    }
    image.m_program_headers_address = address_of_file_range(image.m_segments,
        file_header.program_headers_offset, file_header.program_header_count * program_header_size);

    // Checking every relocation now means the loader never meets a bad one halfway through
    // applying them.
    TRY(image.for_each_relocation([](const Relocation&) -> Result<void> { return {}; }));
    return image;
}

Core::ReadonlyBytes ElfImage::file_contents(const LoadSegment& segment) const
{
    return m_file.slice(segment.file_offset, segment.file_size);
}

Result<Relocation> ElfImage::relocation_at(usize index) const
{
    VERIFY(index < m_relocation_count);
    // parse() placed the whole table inside m_file, so neither sum can wrap or leave it.
    usize entry_offset = m_relocations_file_offset + index * relocation_entry_size;
    u64 info = read_little_endian<u64>(m_file, entry_offset + 8);
    auto type = static_cast<u32>(info);
    auto symbol = static_cast<u32>(info >> 32);
    if (type != relocation_type_relative)
        return ErrorCode::NotSupported;
    // R_X86_64_RELATIVE uses no symbol; one named here means the entry is not what it seems.
    if (symbol != 0)
        return ErrorCode::Malformed;

    Relocation relocation;
    relocation.offset = read_little_endian<u64>(m_file, entry_offset);
    relocation.addend = static_cast<i64>(read_little_endian<u64>(m_file, entry_offset + 16));
    const LoadSegment* target = segment_containing(m_segments, relocation.offset, relocation_target_size);
    if (target == nullptr)
        return ErrorCode::Malformed;
    // A text relocation: applying it would need a writable code or read-only data page.
    if (!target->permissions.writable)
        return ErrorCode::NotSupported;
    return relocation;
}

} // namespace Kernel::Loader
