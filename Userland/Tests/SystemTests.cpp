// The handles process 1 starts with beyond the device roots, as a test program receives
// them from kernel.syscalls.the_serial_console_and_system_control_from_user_space:
//   0. the initial RAM disk's memory object (Read, Map);
//   1. the serial console (Read, Write, Wait), with "typed\n" already received;
//   2. the system control (Read, Manage): the kernel log, memory totals, the process list
//      and killing by id.
// Exits with 0, or with the number of the first check that failed.

#include <ABI/Memory.h>
#include <ABI/Process.h>
#include <ABI/Rights.h>
#include <Userland/Runtime/System.h>
#include <Userland/Tests/Checks.h>

using ABI::ErrorCode;
using System::failure;

namespace {

bool contains(const char* text, uint64_t length, const char* wanted)
{
    uint64_t wanted_length = 0;
    while (wanted[wanted_length] != 0)
        ++wanted_length;
    for (uint64_t start = 0; start + wanted_length <= length; ++start) {
        uint64_t index = 0;
        while (index < wanted_length && text[start + index] == wanted[index])
            ++index;
        if (index == wanted_length)
            return true;
    }
    return false;
}

char s_log[64 * 1024];
ABI::ProcessInfo s_processes[256];

} // namespace

extern "C" int64_t main(uint64_t, uint64_t self_value, const ABI::StartupHandles* startup)
{
    auto self = static_cast<uint32_t>(self_value);
    CheckCounter checks;
    if (!checks.expect(startup->count == 3))
        return checks.failed_check();
    uint32_t ramdisk = startup->handles[0];
    uint32_t console = startup->handles[1];
    uint32_t system = startup->handles[2];

    // The RAM disk: a ustar archive, readable and mappable, never writable.
    char magic[6] = {};
    if (!checks.expect(System::memory_object_read(ramdisk, 257, magic, 5) == 0))
        return checks.failed_check();
    if (!checks.expect(
            magic[0] == 'u' && magic[1] == 's' && magic[2] == 't' && magic[3] == 'a' && magic[4] == 'r'))
        return checks.failed_check();
    if (!checks.expect(System::memory_object_write(ramdisk, 0, magic, 1) == failure(ErrorCode::AccessDenied)))
        return checks.failed_check();
    int64_t size = System::memory_object_size(ramdisk);
    if (!checks.expect(size > 0 && size % ABI::memory_page_size == 0))
        return checks.failed_check();
    int64_t mapped = System::vm_map(self, ramdisk, 0, static_cast<uint64_t>(size), ABI::vm_read);
    if (!checks.expect(mapped > 0 && reinterpret_cast<const char*>(mapped)[257] == 'u'))
        return checks.failed_check();
    if (!checks.expect(System::vm_map(self, ramdisk, 0, ABI::memory_page_size, ABI::vm_read | ABI::vm_write)
            == failure(ErrorCode::AccessDenied)))
        return checks.failed_check();

    // The serial console: the bytes the kernel test put there, then nothing.
    if (!checks.expect(
            System::object_wait(console, ABI::signal_bits(ABI::Signal::Readable), ABI::no_deadline) >= 0))
        return checks.failed_check();
    char input[16] = {};
    if (!checks.expect(
            System::serial_console_read(console, input, 3) == 3 && input[0] == 't' && input[2] == 'p'))
        return checks.failed_check();
    if (!checks.expect(System::serial_console_read(console, input, sizeof(input)) == 3 && input[0] == 'e'
            && input[1] == 'd' && input[2] == '\n'))
        return checks.failed_check();
    if (!checks.expect(
            System::serial_console_read(console, input, sizeof(input)) == failure(ErrorCode::WouldBlock)))
        return checks.failed_check();
    if (!checks.expect(System::object_wait(console, ABI::signal_bits(ABI::Signal::Readable), 0)
            == failure(ErrorCode::TimedOut)))
        return checks.failed_check();
    const char output[] = "serial console output\r\n";
    if (!checks.expect(
            System::serial_console_write(console, output, sizeof(output) - 1) == sizeof(output) - 1))
        return checks.failed_check();
    if (!checks.expect(System::serial_console_write(console, output, ABI::serial_console_maximum_write + 1)
            == failure(ErrorCode::InvalidArgument)))
        return checks.failed_check();
    if (!checks.expect(
            System::serial_console_write(console, reinterpret_cast<const void*>(0xFFFFFFFF80000000ull), 8)
            == failure(ErrorCode::BadAddress)))
        return checks.failed_check();
    // Reading needs Read: a write-only handle is refused.
    int64_t write_only = System::handle_duplicate(console, ABI::Rights(ABI::Right::Write).raw());
    if (!checks.expect(write_only > 0
            && System::serial_console_read(static_cast<uint32_t>(write_only), input, 1)
                == failure(ErrorCode::AccessDenied)))
        return checks.failed_check();
    // And the wrong type is refused.
    if (!checks.expect(System::serial_console_write(system, output, 1) == failure(ErrorCode::WrongType)))
        return checks.failed_check();

    // The system control: the kernel log holds this program's own line.
    System::debug_log("system tests marker");
    int64_t log_bytes = System::system_log_read(system, s_log, sizeof(s_log), 0);
    if (!checks.expect(
            log_bytes > 0 && contains(s_log, static_cast<uint64_t>(log_bytes), "system tests marker")))
        return checks.failed_check();
    // Reading from an offset gives the same bytes from there on, and nothing past the end.
    char tail[8] = {};
    if (!checks.expect(
            System::system_log_read(system, tail, sizeof(tail), static_cast<uint64_t>(log_bytes) - 8) == 8
            && tail[0] == s_log[log_bytes - 8] && tail[7] == s_log[log_bytes - 1]))
        return checks.failed_check();
    if (!checks.expect(System::system_log_read(system, tail, sizeof(tail), 1ull << 40) == 0))
        return checks.failed_check();
    ABI::MemoryInfo memory {};
    if (!checks.expect(System::system_memory_info(system, &memory) == 0))
        return checks.failed_check();
    if (!checks.expect(memory.total_bytes >= 64ull * 1024 * 1024 && memory.free_bytes < memory.total_bytes
            && memory.allocated_bytes > 0 && memory.free_bytes > 0))
        return checks.failed_check();
    if (!checks.expect(System::system_power(system, static_cast<ABI::PowerAction>(3))
            == failure(ErrorCode::InvalidArgument)))
        return checks.failed_check();
    // Powering off needs Manage: a read-only handle is refused (and the machine stays on).
    int64_t read_only = System::handle_duplicate(system, ABI::Rights(ABI::Right::Read).raw());
    if (!checks.expect(read_only > 0
            && System::system_power(static_cast<uint32_t>(read_only), ABI::PowerAction::PowerOff)
                == failure(ErrorCode::AccessDenied)))
        return checks.failed_check();
    if (!checks.expect(System::system_memory_info(static_cast<uint32_t>(read_only), &memory) == 0))
        return checks.failed_check();

    // The process list: this program, and a child made for the purpose, which is then
    // killed by its id.
    int64_t victim = System::process_create("victim", 6);
    if (!checks.expect(victim > 0))
        return checks.failed_check();
    int64_t count
        = System::system_process_list(system, s_processes, sizeof(s_processes) / sizeof(s_processes[0]));
    if (!checks.expect(
            count >= 2 && count <= static_cast<int64_t>(sizeof(s_processes) / sizeof(s_processes[0]))))
        return checks.failed_check();
    uint64_t victim_id = 0;
    bool found_self = false;
    for (int64_t index = 0; index < count; ++index) {
        const ABI::ProcessInfo& record = s_processes[index];
        if (contains(record.name, sizeof(record.name), "tests/system")
            && record.state == static_cast<uint64_t>(ABI::ProcessState::Running) && record.threads == 1)
            found_self = true;
        if (contains(record.name, sizeof(record.name), "victim")
            && record.state == static_cast<uint64_t>(ABI::ProcessState::Created) && record.threads == 0)
            victim_id = record.id;
        // Ids grow in creation order.
        if (!checks.expect(index == 0 || record.id > s_processes[index - 1].id))
            return checks.failed_check();
    }
    if (!checks.expect(found_self && victim_id != 0))
        return checks.failed_check();
    // A buffer smaller than the list gets what fits, and the whole count.
    if (!checks.expect(System::system_process_list(system, s_processes, 1) == count))
        return checks.failed_check();
    // Killing needs Manage.
    if (!checks.expect(System::system_process_kill(static_cast<uint32_t>(read_only), victim_id)
            == failure(ErrorCode::AccessDenied)))
        return checks.failed_check();
    if (!checks.expect(System::system_process_kill(system, victim_id) == 0))
        return checks.failed_check();
    int64_t status = 0;
    if (!checks.expect(System::process_wait(static_cast<uint32_t>(victim), &status, ABI::no_deadline) == 0
            && status == ABI::killed_exit_status))
        return checks.failed_check();
    if (!checks.expect(System::system_process_kill(system, 1ull << 60) == failure(ErrorCode::NotFound)))
        return checks.failed_check();
    // Gone from the list once its last handle is.
    (void)System::handle_close(static_cast<uint32_t>(victim));
    if (!checks.expect(System::system_process_kill(system, victim_id) == failure(ErrorCode::NotFound)))
        return checks.failed_check();
    return 0;
}
