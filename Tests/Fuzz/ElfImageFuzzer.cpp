// libFuzzer target for the ELF64 executable parser. The parser must survive any bytes (the
// sanitizers catch out-of-bounds reads and overflow; a VERIFY aborts), and an image it
// accepts must keep every promise ElfImage.h makes, since the program loader maps and
// patches memory on the strength of them. Every value is folded into a checksum so that the
// optimizer cannot drop the work of producing it.

#include <Kernel/Loader/ElfImage.h>
#include <stddef.h>
#include <stdint.h>

namespace {

using Kernel::Loader::ElfImage;
using Kernel::Loader::ElfKind;
using Kernel::Loader::LoadSegment;
using Kernel::Loader::Relocation;

constexpr uint64_t page_size = Kernel::Loader::elf_page_size;
// sizeof(Elf64_Phdr).
constexpr uint64_t program_header_size = 56;

// Stops the run on a broken promise; libFuzzer saves the input that caused it.
void require(bool condition)
{
    if (!condition)
        __builtin_trap();
}

bool is_power_of_two(uint64_t value)
{
    return value != 0 && (value & (value - 1)) == 0;
}

// Whether [address, address + size) lies inside the segment's memory, computed without
// trusting that the sum fits.
bool segment_holds(const LoadSegment& segment, uint64_t address, uint64_t size)
{
    return address >= segment.virtual_address && size <= segment.memory_size
        && address - segment.virtual_address <= segment.memory_size - size;
}

const LoadSegment* segment_holding(const ElfImage& image, uint64_t address, uint64_t size)
{
    for (const LoadSegment& segment : image.segments()) {
        if (segment_holds(segment, address, size))
            return &segment;
    }
    return nullptr;
}

uint64_t check_segments(const ElfImage& image, const uint8_t* data, size_t size)
{
    const auto& segments = image.segments();
    require(!segments.is_empty() && segments.size() <= Kernel::Loader::maximum_load_segments);
    uint64_t sum = segments.size();
    const LoadSegment* previous = nullptr;
    for (const LoadSegment& segment : segments) {
        uint64_t end;
        require(!__builtin_add_overflow(segment.virtual_address, segment.memory_size, &end));
        require(end == segment.end());
        require(segment.memory_size != 0 && segment.file_size <= segment.memory_size);
        require(segment.file_offset <= size && size - segment.file_offset >= segment.file_size);
        require(is_power_of_two(segment.alignment) && segment.alignment >= page_size);
        require(((segment.virtual_address - segment.file_offset) & (segment.alignment - 1)) == 0);
        require(segment.alignment <= image.base_alignment());
        require(!(segment.permissions.writable && segment.permissions.executable));
        require(end <= Kernel::Loader::user_image_address_limit);
        if (image.kind() == ElfKind::Static)
            require(segment.virtual_address >= Kernel::Loader::user_image_lowest_address);
        // Sorted, and no page holds parts of two segments.
        if (previous != nullptr)
            require(segment.virtual_address / page_size > (previous->end() - 1) / page_size);
        previous = &segment;

        auto contents = image.file_contents(segment);
        require(contents.size() == segment.file_size);
        require(segment.file_size == 0 || contents.data() == data + segment.file_offset);
        for (uint8_t byte : contents)
            sum = sum * 31 + byte;
        sum += segment.virtual_address + segment.memory_size + segment.file_offset + segment.alignment;
        sum += segment.permissions.readable + 2 * segment.permissions.writable
            + 4 * segment.permissions.executable;
    }

    require(image.image_start() % page_size == 0 && image.image_end() % page_size == 0);
    require(image.image_start() <= segments[0].virtual_address);
    require(segments[0].virtual_address - image.image_start() < page_size);
    require(image.image_end() >= segments[segments.size() - 1].end());
    require(image.image_end() - segments[segments.size() - 1].end() < page_size);
    require(image.image_size() == image.image_end() - image.image_start());
    require(image.image_size() <= Kernel::Loader::maximum_image_span);
    require(is_power_of_two(image.base_alignment()) && image.base_alignment() >= page_size);
    return sum + image.image_start() + image.image_end() + image.base_alignment();
}

uint64_t check_image(const ElfImage& image, const uint8_t* data, size_t size)
{
    require(image.kind() == ElfKind::Static || image.kind() == ElfKind::PositionIndependent);
    uint64_t sum = static_cast<uint64_t>(image.kind()) + check_segments(image, data, size);

    const LoadSegment* entry_segment = segment_holding(image, image.entry_point(), 1);
    require(entry_segment != nullptr && entry_segment->permissions.executable);
    sum += image.entry_point();

    if (image.tls().has_value()) {
        const auto& tls = image.tls().value();
        require(tls.file_size <= tls.memory_size && tls.memory_size <= Kernel::Loader::maximum_image_span);
        require(tls.file_offset <= size && size - tls.file_offset >= tls.file_size);
        require(is_power_of_two(tls.alignment));
        sum += tls.virtual_address + tls.file_offset + tls.file_size + tls.memory_size + tls.alignment;
    }

    require(image.program_header_count() != 0);
    sum += image.program_header_count();
    if (image.program_headers_address().has_value()) {
        uint64_t table_size = image.program_header_count() * program_header_size;
        require(segment_holding(image, image.program_headers_address().value(), table_size) != nullptr);
        sum += image.program_headers_address().value();
    }

    // The loader's use of the relocations, with a base as far up as the image may go.
    uint64_t base = image.kind() == ElfKind::Static ? 0 : 0x7F0000000000;
    size_t visited = 0;
    auto iteration = image.for_each_relocation([&](const Relocation& relocation) -> Core::Result<void> {
        const LoadSegment* target = segment_holding(image, relocation.offset, 8);
        require(target != nullptr && target->permissions.writable);
        sum += relocation.offset + relocation.value(base);
        ++visited;
        return {};
    });
    require(!iteration.is_error() && visited == image.relocation_count());
    return sum;
}

// Written after every run so that the checksum has an observable use.
volatile uint64_t s_checksum_sink;

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto result = ElfImage::parse(Core::ReadonlyBytes(data, size));
    if (result.is_error()) {
        s_checksum_sink = static_cast<uint64_t>(result.error().code());
        return 0;
    }
    s_checksum_sink = check_image(result.value(), data, size);
    return 0;
}
