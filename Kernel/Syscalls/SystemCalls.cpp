// system_power, system_log_read and system_memory_info: what the SystemControl handle
// allows (Platform/SystemControl.h, ABI/System.h).

#include <ABI/System.h>
#include <Kernel/Log/KernelLog.h>
#include <Kernel/Memory/MemoryManager.h>
#include <Kernel/Memory/UserCopy.h>
#include <Kernel/Platform/Power.h>
#include <Kernel/Platform/SystemControl.h>
#include <Kernel/Syscalls/Calls.h>
#include <Kernel/Syscalls/SyscallSupport.h>

namespace Kernel::Syscalls {

namespace {

// The handle is the authority: the object has no state a call would use.
Core::Result<void> check_authority(Core::u64 raw_handle, ABI::Rights required)
{
    auto system_control = TRY(lookup_handle<Platform::SystemControl>(raw_handle, required));
    return {};
}

} // namespace

CallResult system_power(const Arguments& arguments)
{
    Core::u64 action = arguments.second();
    if (action != static_cast<Core::u64>(ABI::PowerAction::PowerOff)
        && action != static_cast<Core::u64>(ABI::PowerAction::Reboot))
        return Core::ErrorCode::InvalidArgument;
    TRY(check_authority(arguments.first(), ABI::Right::Manage));
    bool power_off = action == static_cast<Core::u64>(ABI::PowerAction::PowerOff);
    Log::info(
        "power: {} asked by {}", power_off ? "power off" : "reboot", Tasks::Scheduler::current().name());
    if (power_off)
        Platform::power_off();
    Platform::reboot();
}

CallResult system_log_read(const Arguments& arguments)
{
    Core::u64 user_buffer = arguments.second();
    Core::u64 capacity = arguments.third();
    Core::u64 skip = arguments.fourth();
    if (!Memory::is_user_range(user_buffer, capacity))
        return Core::ErrorCode::BadAddress;
    TRY(check_authority(arguments.first(), ABI::Right::Read));
    // Through the kernel's stack, a chunk at a time: the log's lock is never held while
    // user memory is touched.
    char chunk[512];
    Core::u64 copied = 0;
    while (copied < capacity) {
        Core::u64 wanted = capacity - copied < sizeof(chunk) ? capacity - copied : sizeof(chunk);
        Core::usize read = Log::read_history(skip + copied, chunk, wanted);
        if (read == 0)
            break;
        TRY(Memory::copy_to_user(user_buffer + copied, chunk, read));
        copied += read;
    }
    return copied;
}

CallResult system_memory_info(const Arguments& arguments)
{
    Core::u64 user_info = arguments.second();
    if (!Memory::is_user_range(user_info, sizeof(ABI::MemoryInfo)))
        return Core::ErrorCode::BadAddress;
    TRY(check_authority(arguments.first(), ABI::Right::Read));
    Memory::PhysicalMemoryStatistics statistics = Memory::physical_memory_statistics();
    ABI::MemoryInfo info {
        .total_bytes = statistics.total_bytes,
        .free_bytes = statistics.free_bytes,
        .allocated_bytes = statistics.allocated_bytes,
        .reserved_bytes = statistics.reserved_bytes,
    };
    TRY(Memory::copy_to_user(user_info, &info, sizeof(info)));
    return 0;
}

} // namespace Kernel::Syscalls
