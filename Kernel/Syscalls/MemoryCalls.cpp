// memory_object_create, memory_object_create_child, memory_object_read, memory_object_write,
// memory_object_size, vm_map, vm_unmap, vm_protect. docs/abi/syscalls.md describes them and
// docs/memory.md the model.
//
// Rights. A new object's handle has Read, Write, Map, Duplicate and Transfer, never Execute:
// a process that could both write an object and map it executable could make any bytes it
// likes into code, which W^X exists to prevent. Executable memory comes only from the
// kernel loading a program image, whose text regions are mapped read-and-execute and can
// never be raised to writable.

#include <ABI/Memory.h>
#include <Kernel/Memory/AddressSpace.h>
#include <Kernel/Memory/MemoryObject.h>
#include <Kernel/Memory/UserRange.h>
#include <Kernel/Syscalls/Calls.h>

namespace Kernel::Syscalls {

namespace {

constexpr ABI::Rights new_object_rights
    = ABI::Right::Read | ABI::Right::Write | ABI::Right::Map | ABI::Right::Duplicate | ABI::Right::Transfer;

bool is_page_aligned(Core::u64 value)
{
    return (value & (ABI::memory_page_size - 1)) == 0;
}

// The handle rights a mapping with `protection` needs, besides Map.
ABI::Rights rights_for_protection(Core::u64 protection)
{
    ABI::Rights rights = ABI::Right::Map;
    if (protection & ABI::vm_read)
        rights = rights | ABI::Right::Read;
    if (protection & ABI::vm_write)
        rights = rights | ABI::Right::Write;
    if (protection & ABI::vm_execute)
        rights = rights | ABI::Right::Execute;
    return rights;
}

// The protection bits a handle's rights allow a mapping to reach.
Core::u8 protection_allowed_by(ABI::Rights rights)
{
    Core::u8 protection = 0;
    if (rights.contains(ABI::Right::Read))
        protection |= ABI::vm_read;
    if (rights.contains(ABI::Right::Write))
        protection |= ABI::vm_write;
    if (rights.contains(ABI::Right::Execute))
        protection |= ABI::vm_execute;
    return protection;
}

// A user range the mapping calls take: page aligned, not empty, inside user space.
Core::Result<void> check_mapping_range(Core::u64 address, Core::u64 length)
{
    if (length == 0 || !is_page_aligned(address) || !is_page_aligned(length)
        || !Memory::is_user_range(address, length))
        return Core::ErrorCode::InvalidArgument;
    return {};
}

// A byte range of an object the read and write calls take: a nonzero length and a user
// buffer that lies in user space. Where it falls in the object is checked against its size.
Core::Result<void> check_transfer(Core::u64 user_buffer, Core::u64 length)
{
    if (length == 0)
        return Core::ErrorCode::InvalidArgument;
    if (!Memory::is_user_range(user_buffer, length))
        return Core::ErrorCode::BadAddress;
    return {};
}

Core::Result<Objects::HandleValue> add_memory_handle(Core::RefPtr<Memory::MemoryObject> object)
{
    Tasks::Process* process = TRY(calling_process());
    return add_handle(*process, Core::RefPtr<Objects::KernelObject>(Core::move(object)), new_object_rights);
}

} // namespace

CallResult memory_object_create(const Arguments& arguments)
{
    Core::u64 size = arguments.first();
    TRY(check_flags(arguments.second(), ABI::memory_object_flag_bits));
    if (size == 0 || !is_page_aligned(size))
        return Core::ErrorCode::InvalidArgument;
    if (size > ABI::memory_object_maximum_size)
        return Core::ErrorCode::OutOfRange;
    auto object = TRY(Memory::MemoryObject::create_anonymous(size));
    return TRY(add_memory_handle(Core::move(object)));
}

CallResult memory_object_create_child(const Arguments& arguments)
{
    Core::u64 offset = arguments.second();
    Core::u64 size = arguments.third();
    TRY(check_flags(arguments.fourth(), ABI::memory_object_flag_bits));
    if (size == 0 || !is_page_aligned(size) || !is_page_aligned(offset))
        return Core::ErrorCode::InvalidArgument;
    // Read: the child starts as a copy of what the parent holds, so making one is reading it.
    auto parent = TRY(lookup_handle<Memory::MemoryObject>(arguments.first(), ABI::Right::Read));
    auto child = TRY(Memory::MemoryObject::create_child(Core::move(parent), offset, size));
    return TRY(add_memory_handle(Core::move(child)));
}

CallResult memory_object_read(const Arguments& arguments)
{
    Core::u64 offset = arguments.second();
    Core::u64 user_buffer = arguments.third();
    Core::u64 length = arguments.fourth();
    TRY(check_transfer(user_buffer, length));
    auto object = TRY(lookup_handle<Memory::MemoryObject>(arguments.first(), ABI::Right::Read));
    TRY(object->read_to_user(offset, user_buffer, length));
    return 0;
}

CallResult memory_object_write(const Arguments& arguments)
{
    Core::u64 offset = arguments.second();
    Core::u64 user_buffer = arguments.third();
    Core::u64 length = arguments.fourth();
    TRY(check_transfer(user_buffer, length));
    auto object = TRY(lookup_handle<Memory::MemoryObject>(arguments.first(), ABI::Right::Write));
    TRY(object->write_from_user(offset, user_buffer, length));
    return 0;
}

CallResult memory_object_size(const Arguments& arguments)
{
    // No right: the size says nothing of the contents, and a holder with Map alone needs it
    // to map the object.
    return TRY(lookup_handle<Memory::MemoryObject>(arguments.first(), ABI::no_rights))->size();
}

CallResult vm_map(const Arguments& arguments)
{
    Core::u64 offset = arguments.third();
    Core::u64 length = arguments.fourth();
    Core::u64 flags = arguments.fifth();
    Core::u64 address = arguments.sixth();
    TRY(check_flags(flags, ABI::vm_map_flag_bits));
    Core::u64 protection = flags & ABI::vm_protection_bits;
    if (!Memory::is_valid_protection(protection))
        return Core::ErrorCode::InvalidArgument;
    if (length == 0 || !is_page_aligned(length) || !is_page_aligned(offset))
        return Core::ErrorCode::InvalidArgument;
    Core::Optional<Core::u64> fixed_address;
    if (flags & ABI::vm_fixed) {
        TRY(check_mapping_range(address, length));
        fixed_address = address;
    } else if (address != 0) {
        // The kernel places the mapping: an address would be a hint it does not take.
        return Core::ErrorCode::InvalidArgument;
    }
    auto process = TRY(lookup_handle<Tasks::Process>(arguments.first(), ABI::Right::Write));
    auto memory = TRY(lookup_handle_with_rights<Memory::MemoryObject>(
        arguments.second(), rights_for_protection(protection)));
    // The mapping keeps the most the handle allowed: vm_protect may raise it that far, no
    // further, even after the handle is gone.
    return TRY(process->address_space().map(Core::move(memory.object), offset, length,
        static_cast<Core::u8>(protection), protection_allowed_by(memory.rights), fixed_address));
}

CallResult vm_unmap(const Arguments& arguments)
{
    Core::u64 address = arguments.second();
    Core::u64 length = arguments.third();
    TRY(check_mapping_range(address, length));
    auto process = TRY(lookup_handle<Tasks::Process>(arguments.first(), ABI::Right::Write));
    TRY(process->address_space().unmap(address, length));
    return 0;
}

CallResult vm_protect(const Arguments& arguments)
{
    Core::u64 address = arguments.second();
    Core::u64 length = arguments.third();
    Core::u64 flags = arguments.fourth();
    TRY(check_flags(flags, ABI::vm_protection_bits));
    if (!Memory::is_valid_protection(flags))
        return Core::ErrorCode::InvalidArgument;
    TRY(check_mapping_range(address, length));
    auto process = TRY(lookup_handle<Tasks::Process>(arguments.first(), ABI::Right::Write));
    TRY(process->address_space().protect(address, length, static_cast<Core::u8>(flags)));
    return 0;
}

} // namespace Kernel::Syscalls
