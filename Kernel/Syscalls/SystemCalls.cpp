// system_power, system_log_read, system_memory_info, system_process_list and
// system_process_kill: what the SystemControl handle allows (Platform/SystemControl.h,
// ABI/System.h).

#include <ABI/Process.h>
#include <ABI/System.h>
#include <Core/NoThrow.h>
#include <Kernel/Boot/BootInfo.h>
#include <Kernel/Console/BootConsoles.h>
#include <Kernel/Log/KernelLog.h>
#include <Kernel/Memory/MemoryManager.h>
#include <Kernel/Memory/UserCopy.h>
#include <Kernel/Platform/Platform.h>
#include <Kernel/Platform/Power.h>
#include <Kernel/Platform/SystemControl.h>
#include <Kernel/Syscalls/Calls.h>
#include <Kernel/Syscalls/SyscallSupport.h>
#include <Kernel/Tasks/Process.h>

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

static_assert(static_cast<Core::u64>(Tasks::Process::State::Created)
        == static_cast<Core::u64>(ABI::ProcessState::Created)
    && static_cast<Core::u64>(Tasks::Process::State::Starting)
        == static_cast<Core::u64>(ABI::ProcessState::Starting)
    && static_cast<Core::u64>(Tasks::Process::State::Running)
        == static_cast<Core::u64>(ABI::ProcessState::Running)
    && static_cast<Core::u64>(Tasks::Process::State::Exited)
        == static_cast<Core::u64>(ABI::ProcessState::Exited));

CallResult system_process_list(const Arguments& arguments)
{
    Core::u64 user_buffer = arguments.second();
    Core::u64 capacity = arguments.third();
    // At most this many records per call: the kernel's copy is on the heap.
    constexpr Core::u64 maximum_records = 1024;
    if (capacity > maximum_records)
        capacity = maximum_records;
    if (!Memory::is_user_range(user_buffer, capacity * sizeof(ABI::ProcessInfo)))
        return Core::ErrorCode::BadAddress;
    TRY(check_authority(arguments.first(), ABI::Right::Read));
    // Copied out of the registry under its lock into memory allocated before, then to the
    // caller: the lock is never held while user memory is touched.
    ABI::ProcessInfo* records = nullptr;
    if (capacity != 0) {
        records = new (Core::nothrow) ABI::ProcessInfo[capacity];
        if (!records)
            return Core::ErrorCode::OutOfMemory;
    }
    Core::u64 written = 0;
    Core::usize total = Tasks::Process::for_each([&](Tasks::Process& process) {
        if (written == capacity)
            return;
        ABI::ProcessInfo& record = records[written++];
        record = ABI::ProcessInfo {};
        record.id = process.id();
        record.state = static_cast<Core::u64>(process.state());
        record.threads = process.live_threads();
        const char* name = process.name();
        for (Core::usize index = 0; index + 1 < sizeof(record.name) && name[index]; ++index)
            record.name[index] = name[index];
    });
    auto copied = Memory::copy_to_user(user_buffer, records, written * sizeof(ABI::ProcessInfo));
    delete[] records;
    TRY(copied);
    return total;
}

CallResult system_process_kill(const Arguments& arguments)
{
    Core::u64 id = arguments.second();
    TRY(check_authority(arguments.first(), ABI::Right::Manage));
    Core::RefPtr<Tasks::Process> process = Tasks::Process::find(id);
    if (!process)
        return Core::ErrorCode::NotFound;
    if (process->is_critical())
        return Core::ErrorCode::AccessDenied;
    (void)process->terminate(ABI::killed_exit_status);
    return 0;
}

CallResult system_pci_segments(const Arguments& arguments)
{
    Core::u64 user_buffer = arguments.second();
    Core::u64 capacity = arguments.third();
    auto segments = Platform::pci_segments();
    Core::u64 written = capacity < segments.size() ? capacity : segments.size();
    if (!Memory::is_user_range(user_buffer, written * sizeof(ABI::PciSegment)))
        return Core::ErrorCode::BadAddress;
    TRY(check_authority(arguments.first(), ABI::Right::Read));
    for (Core::u64 index = 0; index < written; ++index) {
        const ACPI::EcamSegment& segment = segments.data()[index];
        ABI::PciSegment record {
            .base_address = segment.base_address,
            .segment_group = segment.segment_group,
            .start_bus = segment.start_bus,
            .end_bus = segment.end_bus,
            .reserved = 0,
        };
        TRY(Memory::copy_to_user(user_buffer + index * sizeof(record), &record, sizeof(record)));
    }
    return segments.size();
}

CallResult system_framebuffer(const Arguments& arguments)
{
    Core::u64 user_info = arguments.second();
    if (!Memory::is_user_range(user_info, sizeof(ABI::FramebufferInfo)))
        return Core::ErrorCode::BadAddress;
    TRY(check_authority(arguments.first(), ABI::Right::Manage));
    auto* console = Console::framebuffer_console();
    const auto& framebuffer = Boot::boot_info().framebuffer;
    if (!console || !framebuffer.has_value())
        return Core::ErrorCode::NotFound;
    const Boot::FramebufferInfo& boot = framebuffer.value();
    ABI::FramebufferInfo info {
        .physical_address = boot.physical_address,
        .size = boot.size_in_bytes(),
        .width = boot.width,
        .height = boot.height,
        .pitch = boot.pitch,
        .bits_per_pixel = boot.bits_per_pixel,
        .red_position = boot.red_position,
        .red_size = boot.red_size,
        .green_position = boot.green_position,
        .green_size = boot.green_size,
        .blue_position = boot.blue_position,
        .blue_size = boot.blue_size,
        .reserved = {},
    };
    TRY(Memory::copy_to_user(user_info, &info, sizeof(info)));
    // From here the screen is the caller's: the log stops drawing there.
    if (Log::remove_console(*console))
        Log::info("console: the framebuffer is handed to {}; the kernel log stays on the serial port",
            Tasks::Scheduler::current().name());
    return 0;
}

} // namespace Kernel::Syscalls
