// Every system call that takes a user pointer, given each kind of bad pointer: one into the
// kernel's half, NULL, an unmapped user page, a non-canonical address, and a range that
// starts in user space but runs past its end. Each must fail with BadAddress, without the
// kernel touching the memory, and leave the program running. The kernel test
// kernel.syscalls.bad_pointers_to_every_call runs it with the audit log as its one
// start-up handle (audit_read takes a buffer too). It exits with 0, or with the number of
// the first check that failed.

#include <ABI/Memory.h>
#include <ABI/Process.h>
#include <Userland/Runtime/System.h>
#include <Userland/Tests/Checks.h>

using ABI::ErrorCode;
using System::failure;

namespace {

// The last user address plus one (Kernel/Memory/UserRange.h): nothing may reach it.
constexpr uint64_t user_space_end = (1ull << 47) - 0x1000;

struct BadPointer {
    const char* what;
    uint64_t address;
};

// Each pointer is used with a length of `length` bytes, as the call asks for.
constexpr BadPointer bad_pointers[] = {
    { "kernel", 0xFFFFFFFF80000000ull },
    { "null", 0 },
    { "unmapped", 0x20000 },
    { "non-canonical", 0x0000800000000000ull },
    { "past the end of user space", user_space_end - 8 },
};

} // namespace

extern "C" int64_t main(uint64_t, uint64_t self_value, const ABI::StartupHandles* startup)
{
    auto self = static_cast<uint32_t>(self_value);
    CheckCounter checks;
    if (!checks.expect(startup->count == 1))
        return checks.failed_check();
    uint32_t audit_log = startup->handles[0];
    int64_t memory = System::memory_object_create(ABI::memory_page_size);
    int64_t child = System::process_create("pointer child", 13);
    if (!checks.expect(memory > 0 && child > 0))
        return checks.failed_check();
    auto memory_handle = static_cast<uint32_t>(memory);
    auto child_handle = static_cast<uint32_t>(child);
    // A child that has exited, so that process_wait returns at once and then writes.
    if (!checks.expect(System::process_kill(child_handle) == 0))
        return checks.failed_check();

    constexpr int64_t bad_address = failure(ErrorCode::BadAddress);
    for (const BadPointer& pointer : bad_pointers) {
        auto* as_bytes = reinterpret_cast<char*>(pointer.address);
        // debug_log reads the text.
        if (!checks.expect(System::debug_log(as_bytes, 64) == bad_address))
            return checks.failed_check();
        // audit_read writes records.
        if (!checks.expect(System::audit_read(audit_log, reinterpret_cast<ABI::AuditRecord*>(as_bytes),
                               sizeof(ABI::AuditRecord) * 4, 0)
                == bad_address))
            return checks.failed_check();
        // process_create reads the name.
        if (!checks.expect(System::process_create(as_bytes, 16) == bad_address))
            return checks.failed_check();
        // process_start reads its arguments, then the handle list and the image they name.
        auto arguments = reinterpret_cast<const ABI::ProcessStartArguments*>(pointer.address);
        if (!checks.expect(System::process_start(child_handle, arguments) == bad_address))
            return checks.failed_check();
        ABI::ProcessStartArguments start {};
        start.image_address = pointer.address;
        start.image_size = 4096;
        if (!checks.expect(System::process_start(child_handle, &start) == bad_address))
            return checks.failed_check();
        start.image_address = reinterpret_cast<uint64_t>(&start);
        start.image_size = sizeof(start);
        start.handles_address = pointer.address;
        start.handle_count = 2;
        if (!checks.expect(System::process_start(child_handle, &start) == bad_address))
            return checks.failed_check();
        // process_wait writes the status.
        if (!checks.expect(System::process_wait(child_handle, reinterpret_cast<int64_t*>(pointer.address))
                == bad_address))
            return checks.failed_check();
        // memory_object_read writes, memory_object_write reads.
        if (!checks.expect(System::memory_object_read(memory_handle, 0, as_bytes, 64) == bad_address
                && System::memory_object_write(memory_handle, 0, as_bytes, 64) == bad_address))
            return checks.failed_check();
    }
    // A range that starts in a good buffer and wraps around the address space: the
    // pointer is checked before anything else (debug_log refuses the length first, being
    // over its limit).
    static char buffer[64];
    if (!checks.expect(System::debug_log(buffer, ~uint64_t(0)) == failure(ErrorCode::InvalidArgument)
            && System::memory_object_read(memory_handle, 0, buffer, ~uint64_t(0) - 8) == bad_address
            && System::memory_object_write(memory_handle, 0, buffer, ~uint64_t(0) - 8) == bad_address))
        return checks.failed_check();
    // Still here, and the calls still work.
    int64_t status = 0;
    if (!checks.expect(System::process_wait(child_handle, &status) == 0 && status == ABI::killed_exit_status))
        return checks.failed_check();
    (void)self;
    return 0;
}
