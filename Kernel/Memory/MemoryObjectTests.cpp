// Kernel tests of memory objects (MemoryObject.h) and of the mappings of user address
// spaces (AddressSpace.h): demand-zero pages, copy-on-write frame sharing and freeing,
// physical objects refusing RAM, and page faults, unmapping and protection on the tables.

#include <ABI/Memory.h>
#include <Kernel/Arch/x86_64/AddressSpaceLayout.h>
#include <Kernel/Memory/AddressSpace.h>
#include <Kernel/Memory/MemoryManager.h>
#include <Kernel/Memory/MemoryObject.h>
#include <Kernel/Test/KernelTest.h>

extern "C" char __kernel_text_start[];

namespace {

namespace Memory = Kernel::Memory;
using Memory::MemoryObject;

constexpr Core::u64 page = 4096;
constexpr Core::u8 read_only = ABI::vm_read;
constexpr Core::u8 read_write = ABI::vm_read | ABI::vm_write;
constexpr Core::u8 read_execute = ABI::vm_read | ABI::vm_execute;
// An address no RAM is at on the machines the tests run on (the I/O APIC's).
constexpr Core::u64 device_address = 0xFEC00000ull;

bool is_error(const auto& result, Core::ErrorCode code)
{
    return result.is_error() && result.error().code() == code;
}

Core::RefPtr<MemoryObject> anonymous(Kernel::Test::TestContext& test_context, Core::u64 size)
{
    auto created = MemoryObject::create_anonymous(size);
    EXPECT(!created.is_error());
    return created.is_error() ? Core::RefPtr<MemoryObject>() : created.release_value();
}

Core::u8 byte_at(MemoryObject& object, Core::u64 offset)
{
    Core::u8 value = 0xEE;
    (void)object.read(offset, Core::Bytes(&value, 1));
    return value;
}

bool write_byte(MemoryObject& object, Core::u64 offset, Core::u8 value)
{
    return !object.write(offset, Core::ReadonlyBytes(&value, 1)).is_error();
}

} // namespace

KERNEL_TEST(memory_objects, anonymous_pages_are_demand_zero_and_freed)
{
    Core::u64 before = MemoryObject::total_owned_frames();
    {
        auto object = anonymous(test_context, 16 * page);
        if (!object)
            return;
        EXPECT_EQ(object->size(), 16 * page);
        // Reading takes no frame and sees zeros.
        Core::u8 buffer[64];
        for (Core::u8& value : buffer)
            value = 0xAA;
        EXPECT(!object->read(5 * page - 32, Core::Bytes(buffer, sizeof(buffer))).is_error());
        for (Core::u8 value : buffer)
            EXPECT_EQ(value, 0u);
        EXPECT_EQ(object->owned_frame_count(), 0u);
        // A write across a page boundary takes exactly those two pages, zero elsewhere.
        for (Core::u8& value : buffer)
            value = 0x5C;
        EXPECT(!object->write(3 * page - 10, Core::ReadonlyBytes(buffer, sizeof(buffer))).is_error());
        EXPECT_EQ(object->owned_frame_count(), 2u);
        EXPECT_EQ(MemoryObject::total_owned_frames(), before + 2);
        EXPECT_EQ(byte_at(*object, 3 * page - 11), 0u);
        EXPECT_EQ(byte_at(*object, 3 * page - 10), 0x5Cu);
        EXPECT_EQ(byte_at(*object, 3 * page + 53), 0x5Cu);
        EXPECT_EQ(byte_at(*object, 3 * page + 54), 0u);
        // The frame a mapping would get is the one written, and counted once.
        auto frame = object->frame_for_mapping(2);
        EXPECT(!frame.is_error());
        if (!frame.is_error()) {
            auto* page_bytes = static_cast<Core::u8*>(Memory::physical_to_virtual(frame.value()));
            EXPECT_EQ(page_bytes[page - 10], 0x5Cu);
            Memory::PhysicalPage* entry = Memory::physical_page(frame.value());
            EXPECT(entry && entry->use == Memory::PageUse::MemoryObject && entry->owner == object.get());
        }
        EXPECT_EQ(object->owned_frame_count(), 2u);
        // Out of range and zero sizes.
        EXPECT(is_error(object->read(16 * page - 1, Core::Bytes(buffer, 2)), Core::ErrorCode::OutOfRange));
        EXPECT(is_error(
            object->write(~Core::u64(0), Core::ReadonlyBytes(buffer, 2)), Core::ErrorCode::OutOfRange));
    }
    // The last reference took its frames with it.
    EXPECT_EQ(MemoryObject::total_owned_frames(), before);
    EXPECT(is_error(MemoryObject::create_anonymous(0), Core::ErrorCode::InvalidArgument));
    EXPECT(is_error(MemoryObject::create_anonymous(page + 8), Core::ErrorCode::InvalidArgument));
    EXPECT(is_error(
        MemoryObject::create_anonymous(ABI::memory_object_maximum_size + page), Core::ErrorCode::OutOfRange));
}

KERNEL_TEST(memory_objects, children_share_the_parent_frames_until_they_write)
{
    Core::u64 before = MemoryObject::total_owned_frames();
    {
        auto parent = anonymous(test_context, 4 * page);
        if (!parent)
            return;
        for (Core::u64 index = 0; index < 4; ++index)
            EXPECT(write_byte(*parent, index * page, static_cast<Core::u8>('0' + index)));
        EXPECT_EQ(parent->owned_frame_count(), 4u);
        auto created = MemoryObject::create_child(parent, page, 2 * page);
        EXPECT(!created.is_error());
        if (created.is_error())
            return;
        auto child = created.release_value();
        // No frame of its own: it reads the parent's.
        EXPECT_EQ(child->owned_frame_count(), 0u);
        EXPECT_EQ(byte_at(*child, 0), static_cast<Core::u8>('1'));
        EXPECT_EQ(byte_at(*child, page), static_cast<Core::u8>('2'));
        EXPECT_EQ(MemoryObject::total_owned_frames(), before + 4);
        // The parent's later writes show in pages the child has not taken.
        EXPECT(write_byte(*parent, page + 7, 'p'));
        EXPECT_EQ(byte_at(*child, 7), static_cast<Core::u8>('p'));
        // The child's write copies that one page, and only the child sees it.
        EXPECT(write_byte(*child, 8, 'c'));
        EXPECT_EQ(child->owned_frame_count(), 1u);
        EXPECT_EQ(MemoryObject::total_owned_frames(), before + 5);
        EXPECT_EQ(byte_at(*child, 8), static_cast<Core::u8>('c'));
        EXPECT_EQ(byte_at(*child, 7), static_cast<Core::u8>('p'));
        EXPECT_EQ(byte_at(*child, 0), static_cast<Core::u8>('1'));
        EXPECT_EQ(byte_at(*parent, page + 8), 0u);
        // From then on the parent's writes to it stay in the parent.
        EXPECT(write_byte(*parent, page + 9, 'q'));
        EXPECT_EQ(byte_at(*child, 9), 0u);
        // A mapping of the child gets a frame of the child's own, holding the parent's page.
        auto frame = child->frame_for_mapping(1);
        EXPECT(!frame.is_error());
        if (!frame.is_error())
            EXPECT_EQ(static_cast<Core::u8*>(Memory::physical_to_virtual(frame.value()))[0],
                static_cast<Core::u8>('2'));
        EXPECT_EQ(child->owned_frame_count(), 2u);
        // Dropping the parent's reference leaves it alive under the child.
        parent = nullptr;
        EXPECT_EQ(MemoryObject::total_owned_frames(), before + 6);
        EXPECT_EQ(byte_at(*child, page), static_cast<Core::u8>('2'));
    }
    // Child and parent are gone, each frame freed once (a double free would have panicked).
    EXPECT_EQ(MemoryObject::total_owned_frames(), before);
}

KERNEL_TEST(memory_objects, child_chains_are_bounded_and_checked)
{
    auto root = anonymous(test_context, 2 * page);
    if (!root)
        return;
    EXPECT(write_byte(*root, 3, 'r'));
    Core::RefPtr<MemoryObject> chain = root;
    for (Core::u32 depth = 0; depth < MemoryObject::max_child_depth; ++depth) {
        auto child = MemoryObject::create_child(chain, 0, 2 * page);
        EXPECT(!child.is_error());
        if (child.is_error())
            return;
        chain = child.release_value();
    }
    // The deepest child still reads through every level.
    EXPECT_EQ(byte_at(*chain, 3), static_cast<Core::u8>('r'));
    EXPECT(is_error(MemoryObject::create_child(chain, 0, page), Core::ErrorCode::OutOfRange));
    EXPECT(is_error(MemoryObject::create_child(root, page, 2 * page), Core::ErrorCode::OutOfRange));
    EXPECT(is_error(MemoryObject::create_child(root, 100, page), Core::ErrorCode::InvalidArgument));
    EXPECT(is_error(MemoryObject::create_child(root, 0, 0), Core::ErrorCode::InvalidArgument));
    auto device = MemoryObject::create_physical(device_address, page, Kernel::Arch::CacheMode::Uncached);
    EXPECT(!device.is_error());
    if (!device.is_error())
        EXPECT(is_error(MemoryObject::create_child(device.value(), 0, page), Core::ErrorCode::NotSupported));
}

KERNEL_TEST(memory_objects, contiguous_objects_are_one_zeroed_run_given_back_whole)
{
    Core::u64 frames_before = MemoryObject::total_owned_frames();
    {
        auto object = MemoryObject::create_contiguous(5 * page);
        EXPECT(!object.is_error());
        if (object.is_error())
            return;
        auto base = object.value()->physical_base();
        EXPECT(base.has_value());
        if (!base.has_value())
            return;
        // Five pages asked for: a block of eight is the object's.
        EXPECT_EQ(MemoryObject::total_owned_frames(), frames_before + 8);
        for (Core::u64 index = 0; index < 5; ++index) {
            auto frame = object.value()->frame_for_mapping(index);
            EXPECT(!frame.is_error());
            if (!frame.is_error())
                EXPECT_EQ(frame.value(), base.value() + index * page);
        }
        Core::u8 bytes[16];
        EXPECT(!object.value()->read(4 * page + 100, Core::Bytes(bytes, sizeof(bytes))).is_error());
        EXPECT_EQ(bytes[0] | bytes[15], 0);
        // Anonymous objects have no physical address to show.
        auto anonymous = MemoryObject::create_anonymous(page);
        EXPECT(!anonymous.is_error() && !anonymous.value()->physical_base().has_value());
    }
    EXPECT_EQ(MemoryObject::total_owned_frames(), frames_before);
    EXPECT(MemoryObject::create_contiguous(0).is_error());
    EXPECT(MemoryObject::create_contiguous(page + 1).is_error());
    auto too_large = MemoryObject::create_contiguous(MemoryObject::maximum_contiguous_size + page);
    EXPECT(too_large.is_error() && too_large.error().code() == Core::ErrorCode::OutOfRange);
}

KERNEL_TEST(memory_objects, physical_objects_refuse_ram)
{
    Core::u64 before = MemoryObject::total_owned_frames();
    // A frame the allocator handed out, and the kernel image (RAM kept from the allocator).
    auto frame = Memory::allocate_physical_page(Memory::PageUse::Other);
    EXPECT(!frame.is_error());
    if (!frame.is_error()) {
        EXPECT(is_error(MemoryObject::create_physical(frame.value(), page, Kernel::Arch::CacheMode::Uncached),
            Core::ErrorCode::AccessDenied));
        // A range that only ends in RAM is refused too.
        EXPECT(is_error(
            MemoryObject::create_physical(frame.value() - page, 2 * page, Kernel::Arch::CacheMode::Uncached),
            Core::ErrorCode::AccessDenied));
        Memory::free_physical_page(frame.value());
    }
    Core::u64 kernel_image
        = reinterpret_cast<Core::u64>(__kernel_text_start) - Kernel::Arch::kernel_virtual_base;
    EXPECT(is_error(MemoryObject::create_physical(kernel_image, page, Kernel::Arch::CacheMode::WriteBack),
        Core::ErrorCode::AccessDenied));
    // Malformed ranges.
    EXPECT(
        is_error(MemoryObject::create_physical(device_address + 8, page, Kernel::Arch::CacheMode::Uncached),
            Core::ErrorCode::InvalidArgument));
    EXPECT(is_error(MemoryObject::create_physical(device_address, 0, Kernel::Arch::CacheMode::Uncached),
        Core::ErrorCode::InvalidArgument));
    EXPECT(is_error(
        MemoryObject::create_physical(~Core::u64(0) & ~(page - 1), page, Kernel::Arch::CacheMode::Uncached),
        Core::ErrorCode::InvalidArgument));
    // Device memory: its pages are its own addresses, never allocated, never copied.
    {
        auto device
            = MemoryObject::create_physical(device_address, 2 * page, Kernel::Arch::CacheMode::Uncached);
        EXPECT(!device.is_error());
        if (device.is_error())
            return;
        auto object = device.release_value();
        EXPECT(object->kind() == MemoryObject::Kind::Physical);
        EXPECT(object->cache_mode() == Kernel::Arch::CacheMode::Uncached);
        auto second_page = object->frame_for_mapping(1);
        EXPECT(!second_page.is_error() && second_page.value() == device_address + page);
        Core::u8 value = 0;
        EXPECT(is_error(object->read(0, Core::Bytes(&value, 1)), Core::ErrorCode::NotSupported));
        EXPECT(is_error(object->write(0, Core::ReadonlyBytes(&value, 1)), Core::ErrorCode::NotSupported));
        EXPECT_EQ(MemoryObject::total_owned_frames(), before);
    }
    EXPECT_EQ(MemoryObject::total_owned_frames(), before);
}

KERNEL_TEST(address_space, faults_make_mapped_pages_present_as_allowed)
{
    auto created = Memory::AddressSpace::create();
    EXPECT(!created.is_error());
    if (created.is_error())
        return;
    Memory::AddressSpace& space = *created.value();
    Core::u64 before = MemoryObject::total_owned_frames();
    auto data = anonymous(test_context, 4 * page);
    auto text = anonymous(test_context, page);
    if (data && text) {
        EXPECT(write_byte(*data, page + 5, 'd'));
        auto data_address = space.map(data, 0, 4 * page, read_write, read_write, 0x400000);
        auto text_address = space.map(text, 0, page, read_execute, read_execute, 0x500000);
        EXPECT(!data_address.is_error() && data_address.value() == 0x400000u);
        EXPECT(!text_address.is_error() && text_address.value() == 0x500000u);
        // Nothing is present until touched.
        EXPECT(!space.translate(0x400000).has_value());
        EXPECT(space.resolve_fault(0x401234, Memory::FaultAccess::Write));
        auto translation = space.translate(0x401000);
        auto frame = data->frame_for_mapping(1);
        EXPECT(translation.has_value() && !frame.is_error());
        if (translation.has_value() && !frame.is_error()) {
            EXPECT_EQ(translation->physical_address, frame.value());
            EXPECT(translation->protection.user && translation->protection.writable
                && !translation->protection.executable);
        }
        // Resolving again is harmless; faults outside regions, or against the protection,
        // are not resolved.
        EXPECT(space.resolve_fault(0x401000, Memory::FaultAccess::Read));
        EXPECT(!space.resolve_fault(0x404000, Memory::FaultAccess::Read));
        EXPECT(!space.resolve_fault(0x400000, Memory::FaultAccess::Execute));
        EXPECT(!space.resolve_fault(0x500000, Memory::FaultAccess::Write));
        EXPECT(space.resolve_fault(0x500000, Memory::FaultAccess::Execute));
        auto text_translation = space.translate(0x500000);
        EXPECT(text_translation.has_value() && text_translation->protection.executable
            && !text_translation->protection.writable);
        // The kernel's writes through the space land in the objects.
        Core::u8 bytes[3] = { 'x', 'y', 'z' };
        EXPECT(!space.write(0x401FFF, Core::ReadonlyBytes(bytes, 3)).is_error());
        EXPECT_EQ(byte_at(*data, page + 5), static_cast<Core::u8>('d'));
        EXPECT_EQ(byte_at(*data, 2 * page + 1), static_cast<Core::u8>('z'));
        EXPECT(is_error(space.write(0x4FF000, Core::ReadonlyBytes(bytes, 3)), Core::ErrorCode::NotFound));
        // Overlaps, W^X, rights.
        EXPECT(is_error(
            space.map(data, 0, page, read_only, read_write, 0x403000), Core::ErrorCode::AlreadyExists));
        EXPECT(is_error(space.map(data, 0, page, ABI::vm_read | ABI::vm_write | ABI::vm_execute, 7, 0x600000),
            Core::ErrorCode::InvalidArgument));
        EXPECT(is_error(
            space.map(data, 0, page, read_execute, read_write, 0x600000), Core::ErrorCode::AccessDenied));
        EXPECT(is_error(
            space.map(data, page, 4 * page, read_only, read_write, 0x600000), Core::ErrorCode::OutOfRange));
        EXPECT(is_error(space.map(data, 0, page, read_only, read_write, Kernel::Arch::user_space_end),
            Core::ErrorCode::InvalidArgument));
    }
    data = nullptr;
    text = nullptr;
    // The space still holds both objects, and their frames.
    EXPECT(MemoryObject::total_owned_frames() > before);
    delete &space;
    EXPECT_EQ(MemoryObject::total_owned_frames(), before);
}

KERNEL_TEST(address_space, unmap_and_protect_change_regions_and_tables)
{
    auto created = Memory::AddressSpace::create();
    EXPECT(!created.is_error());
    if (created.is_error())
        return;
    Memory::AddressSpace& space = *created.value();
    Core::u64 before = MemoryObject::total_owned_frames();
    {
        auto object = anonymous(test_context, 4 * page);
        if (!object)
            return;
        auto address = space.map(object, 0, 4 * page, read_write, read_write);
        EXPECT(!address.is_error());
        if (address.is_error())
            return;
        Core::u64 base = address.value();
        EXPECT(base % page == 0 && base >= Memory::mapping_window_start && base < Memory::mapping_window_end);
        for (Core::u64 index = 0; index < 4; ++index)
            EXPECT(space.resolve_fault(base + index * page, Memory::FaultAccess::Write));
        // The middle two pages become read-only: three regions, the tables follow.
        EXPECT(!space.protect(base + page, 2 * page, read_only).is_error());
        EXPECT_EQ(space.region_count(), 3u);
        auto middle = space.translate(base + page);
        auto edge = space.translate(base);
        EXPECT(middle.has_value() && !middle->protection.writable);
        EXPECT(edge.has_value() && edge->protection.writable);
        EXPECT(!space.resolve_fault(base + 2 * page, Memory::FaultAccess::Write));
        // Raising beyond the maximum, or over a gap, changes nothing.
        EXPECT(is_error(space.protect(base, page, read_execute), Core::ErrorCode::AccessDenied));
        EXPECT(is_error(space.protect(base, 5 * page, read_only), Core::ErrorCode::NotFound));
        EXPECT_EQ(space.region_count(), 3u);
        // No access: the page leaves the tables, the object keeps it.
        EXPECT(!space.protect(base + 3 * page, page, 0).is_error());
        EXPECT(!space.translate(base + 3 * page).has_value());
        EXPECT(!space.resolve_fault(base + 3 * page, Memory::FaultAccess::Read));
        EXPECT_EQ(object->owned_frame_count(), 4u);
        // Unmapping the first page splits nothing more and takes it out of the tables.
        EXPECT(!space.unmap(base, page).is_error());
        EXPECT(!space.translate(base).has_value());
        EXPECT(!space.resolve_fault(base, Memory::FaultAccess::Read));
        EXPECT(space.translate(base + page).has_value());
        EXPECT(is_error(space.unmap(base, page), Core::ErrorCode::NotFound));
        EXPECT(is_error(space.unmap(base + 1, page), Core::ErrorCode::InvalidArgument));
        // The rest, across regions.
        EXPECT(!space.unmap(base, 4 * page).is_error());
        EXPECT_EQ(space.region_count(), 0u);
        EXPECT(!space.translate(base + page).has_value());
        // Only this reference keeps the object now.
        EXPECT_EQ(object->reference_count(), 1u);
    }
    EXPECT_EQ(MemoryObject::total_owned_frames(), before);
    delete &space;
}
