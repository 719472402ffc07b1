#include <ABI/Memory.h>
#include <Kernel/Arch/x86_64/AddressSpaceLayout.h>
#include <Kernel/Loader/ProgramLoader.h>
#include <Kernel/Security/BootEntropy.h>

namespace Kernel::Loader {

namespace {

constexpr Core::u64 page_size = elf_page_size;

// Position-independent images load in [pie_base_lowest, pie_base_lowest + 2^42), stacks end
// in the 2^40 bytes below the top of user space; the two ranges never meet.
constexpr Core::u64 pie_base_lowest = 0x0000000100000000ull;
constexpr Core::u64 pie_base_span = 1ull << 42;
constexpr Core::u64 stack_region_span = 1ull << 40;

Core::u64 random_page_offset(Core::u64 span, Core::u64 alignment)
{
    Core::u64 slots = span / alignment;
    return (Security::boot_random_u64().value % slots) * alignment;
}

Core::u8 protection_for(const SegmentPermissions& permissions)
{
    // parse() refused writable and executable segments; every loaded segment is readable.
    return static_cast<Core::u8>(ABI::vm_read | (permissions.writable ? ABI::vm_write : 0)
        | (permissions.executable ? ABI::vm_execute : 0));
}

// Maps a fresh anonymous object of `length` bytes at `address`. The mapping may never be
// raised above `protection`: a program can make its own text or data read-only, but never
// make data executable or text writable.
Core::Result<void> map_anonymous(
    Memory::AddressSpace& address_space, Core::u64 address, Core::u64 length, Core::u8 protection)
{
    auto object = TRY(Memory::MemoryObject::create_anonymous(length));
    TRY(address_space.map(Core::move(object), 0, length, protection, protection, address));
    return {};
}

Core::Result<void> load_segment(
    Memory::AddressSpace& address_space, const ElfImage& image, const LoadSegment& segment, Core::u64 base)
{
    Core::u64 start = base + segment.virtual_address;
    Core::u64 first_page = start & ~(page_size - 1);
    Core::u64 end_page = (start + segment.memory_size + page_size - 1) & ~(page_size - 1);
    // parse() guarantees that no two segments share a page, so every page is new here. Each
    // segment is an object of its own; the pages the file fills are written now, the rest
    // (bss) appear zeroed on first touch.
    TRY(map_anonymous(address_space, first_page, end_page - first_page, protection_for(segment.permissions)));
    Core::ReadonlyBytes contents = image.file_contents(segment);
    if (contents.size() > 0)
        TRY(address_space.write(start, contents));
    return {};
}

} // namespace

Core::Result<LoadedProgram> load_program(Memory::AddressSpace& address_space, const ElfImage& image)
{
    LoadedProgram program {};
    if (image.kind() == ElfKind::PositionIndependent) {
        Core::u64 alignment = image.base_alignment() > page_size ? image.base_alignment() : page_size;
        if (image.image_end() > pie_base_span / 2 || alignment > pie_base_span / 2)
            return Core::ErrorCode::NotSupported;
        program.base = pie_base_lowest + random_page_offset(pie_base_span / 2, alignment);
    }
    for (const LoadSegment& segment : image.segments())
        TRY(load_segment(address_space, image, segment, program.base));
    if (image.kind() == ElfKind::PositionIndependent) {
        Core::u64 base = program.base;
        TRY(image.for_each_relocation([&](const Relocation& relocation) -> Core::Result<void> {
            Core::u64 value = relocation.value(base);
            // parse() placed every target inside a writable segment; the bytes are written
            // one by one, since targets need not be aligned.
            Core::u8 bytes[sizeof(value)];
            for (Core::u32 index = 0; index < sizeof(value); ++index)
                bytes[index] = static_cast<Core::u8>(value >> (8 * index));
            return address_space.write(base + relocation.offset, Core::ReadonlyBytes(bytes, sizeof(bytes)));
        }));
    }
    program.entry_point = program.base + image.entry_point();

    // The stack: a random top in the region below the end of user space, with a guard page
    // (left unmapped) below its lowest page.
    Core::u64 region_top = Arch::user_space_end & ~(page_size - 1);
    Core::u64 stack_top = region_top - random_page_offset(stack_region_span - initial_stack_size, page_size);
    Core::u64 stack_bottom = stack_top - initial_stack_size;
    // Demand-zero: only the pages the program touches get frames.
    TRY(map_anonymous(address_space, stack_bottom, initial_stack_size, ABI::vm_read | ABI::vm_write));
    program.stack_top = stack_top;
    program.stack_bottom = stack_bottom;
    return program;
}

} // namespace Kernel::Loader
