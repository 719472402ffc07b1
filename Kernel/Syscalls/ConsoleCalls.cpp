// serial_console_read and serial_console_write: the console service's use of the serial
// console the kernel shares with it (Console/SerialConsole.h, docs/console.md).

#include <ABI/Syscalls.h>
#include <Kernel/Console/SerialConsole.h>
#include <Kernel/Memory/UserCopy.h>
#include <Kernel/Syscalls/Calls.h>
#include <Kernel/Syscalls/SyscallSupport.h>

namespace Kernel::Syscalls {

namespace {

// Bytes moved through the kernel's stack per step.
constexpr Core::usize chunk_bytes = 512;

} // namespace

CallResult serial_console_read(const Arguments& arguments)
{
    Core::u64 user_buffer = arguments.second();
    Core::u64 capacity = arguments.third();
    if (!Memory::is_user_range(user_buffer, capacity))
        return Core::ErrorCode::BadAddress;
    auto console = TRY(lookup_handle<Console::SerialConsole>(arguments.first(), ABI::Right::Read));
    // One chunk per call: whoever reads a terminal takes what is there and comes back.
    Core::u8 chunk[chunk_bytes];
    Core::usize wanted = capacity < chunk_bytes ? capacity : chunk_bytes;
    Core::usize copied = console->read(Core::Bytes(chunk, wanted));
    if (copied == 0 && wanted != 0)
        return Core::ErrorCode::WouldBlock;
    TRY(Memory::copy_to_user(user_buffer, chunk, copied));
    return copied;
}

CallResult serial_console_write(const Arguments& arguments)
{
    Core::u64 user_bytes = arguments.second();
    Core::u64 count = arguments.third();
    if (count > ABI::serial_console_maximum_write)
        return Core::ErrorCode::InvalidArgument;
    if (!Memory::is_user_range(user_bytes, count))
        return Core::ErrorCode::BadAddress;
    auto console = TRY(lookup_handle<Console::SerialConsole>(arguments.first(), ABI::Right::Write));
    Core::u8 chunk[chunk_bytes];
    for (Core::u64 done = 0; done < count;) {
        Core::usize step = count - done < chunk_bytes ? count - done : chunk_bytes;
        TRY(Memory::copy_from_user(chunk, user_bytes + done, step));
        console->write(Core::ReadonlyBytes(chunk, step));
        done += step;
    }
    return count;
}

} // namespace Kernel::Syscalls
