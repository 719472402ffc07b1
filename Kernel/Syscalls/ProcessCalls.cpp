// process_create, process_start, process_exit, process_wait, process_kill
// (docs/abi/processes.md).

#include <ABI/Process.h>
#include <Core/NoThrow.h>
#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Loader/ElfImage.h>
#include <Kernel/Memory/UserCopy.h>
#include <Kernel/Memory/UserRange.h>
#include <Kernel/Security/AuditLog.h>
#include <Kernel/Syscalls/Calls.h>
#include <Kernel/Tasks/ProcessStart.h>
#include <Kernel/Tasks/Scheduler.h>

namespace Kernel::Syscalls {

namespace {

// What a process handle from process_create allows: everything that makes sense for a
// process (Execute, Map and Signal do not).
constexpr ABI::Rights created_process_rights = ABI::Right::Read | ABI::Right::Write | ABI::Right::Wait
    | ABI::Right::Manage | ABI::Right::Duplicate | ABI::Right::Transfer;

// A kernel copy of the program image, freed when the call ends.
class ImageBuffer {
public:
    explicit ImageBuffer(Core::u64 size)
        : m_bytes(new (Core::nothrow) Core::u8[size])
        , m_size(size)
    {
    }
    ~ImageBuffer() { delete[] m_bytes; }
    ImageBuffer(const ImageBuffer&) = delete;
    ImageBuffer& operator=(const ImageBuffer&) = delete;

    [[nodiscard]] Core::u8* data() { return m_bytes; }
    [[nodiscard]] Core::ReadonlyBytes bytes() const { return Core::ReadonlyBytes(m_bytes, m_size); }

private:
    Core::u8* m_bytes;
    Core::u64 m_size;
};

} // namespace

CallResult process_create(const Arguments& arguments)
{
    Core::u64 name_address = arguments.first();
    Core::u64 name_length = arguments.second();
    TRY(check_flags(arguments.third(), 0));
    if (name_length == 0 || name_length > Tasks::Process::maximum_name_length)
        return Core::ErrorCode::InvalidArgument;
    char name[Tasks::Process::maximum_name_length];
    TRY(Memory::copy_from_user(name, name_address, name_length));
    Tasks::Process* caller = TRY(calling_process());
    auto process = TRY(Tasks::Process::create(Core::StringView(name, name_length)));
    return TRY(add_handle(*caller, Core::RefPtr<Objects::KernelObject>(process), created_process_rights));
}

CallResult process_start(const Arguments& arguments)
{
    // Decode everything first: the arguments, the handle list and the image. Nothing of
    // the target process or the caller's table changes until all of it is known good.
    auto process = TRY(lookup_handle<Tasks::Process>(arguments.first(), ABI::Right::Manage));
    ABI::ProcessStartArguments start;
    TRY(Memory::copy_from_user(&start, arguments.second(), sizeof(start)));
    TRY(check_flags(start.flags, 0));
    if (start.handle_count > ABI::maximum_startup_handles || start.image_size == 0
        || start.image_size > ABI::maximum_image_size)
        return Core::ErrorCode::InvalidArgument;
    auto handle_count = static_cast<Core::u32>(start.handle_count);
    Objects::HandleValue handles[ABI::maximum_startup_handles];
    if (handle_count > 0)
        TRY(Memory::copy_from_user(
            handles, start.handles_address, handle_count * sizeof(Objects::HandleValue)));
    // The same handle twice could not move twice.
    for (Core::u32 index = 0; index < handle_count; ++index) {
        for (Core::u32 other = index + 1; other < handle_count; ++other) {
            if (handles[index] == handles[other])
                return Core::ErrorCode::InvalidArgument;
        }
    }
    Tasks::Process* caller = TRY(calling_process());
    for (Core::u32 index = 0; index < handle_count; ++index) {
        TRY(audited(*caller, handles[index], ABI::Right::Transfer,
            caller->with_handles(
                [&](Objects::HandleTable& table) { return table.check_transfer(handles[index]); })));
    }
    ImageBuffer image_copy(start.image_size);
    if (!image_copy.data())
        return Core::ErrorCode::OutOfMemory;
    TRY(Memory::copy_from_user(image_copy.data(), start.image_address, start.image_size));
    auto image = TRY(Loader::ElfImage::parse(image_copy.bytes()));

    if (!process->begin_start())
        return Core::ErrorCode::Busy;
    TRY(Tasks::start_process(*process, image, Arch::current_processor_index(), start.argument, handle_count,
        [&](Core::Span<Objects::HandleTable::Entry> into) -> Core::Result<void> {
            // Checked again under the lock, all before any moves: another thread of the
            // caller may have closed one since.
            TRY(caller->with_handles([&](Objects::HandleTable& table) -> Core::Result<void> {
                for (Core::u32 index = 0; index < handle_count; ++index)
                    TRY(table.check_transfer(handles[index]));
                for (Core::u32 index = 0; index < handle_count; ++index)
                    into.data()[index] = TRY(table.remove_for_transfer(handles[index]));
                return {};
            }));
            for (Core::u32 index = 0; index < handle_count; ++index)
                Security::audit(ABI::AuditEvent::HandleTransferred, caller->name(), caller->audit_budget(),
                    handles[index], into.data()[index].rights, ABI::no_rights);
            return {};
        }));
    return 0;
}

CallResult process_exit(const Arguments& arguments)
{
    Tasks::Process* process = TRY(calling_process());
    (void)process->terminate(static_cast<Core::i64>(arguments.first()));
    // The dispatcher ends this thread on its way out, with the process's status (an
    // earlier termination's, if one came first).
    return 0;
}

CallResult process_wait(const Arguments& arguments)
{
    auto process = TRY(lookup_handle<Tasks::Process>(arguments.first(), ABI::Right::Wait));
    Core::u64 status_address = arguments.second();
    Core::u64 deadline_ns = arguments.third();
    // Checked before the wait, so that a bad pointer is reported at once rather than after
    // the process has ended (the copy after the wait checks it again).
    if (!Memory::is_user_range(status_address, sizeof(Core::i64)))
        return Core::ErrorCode::BadAddress;
    if (process.get() == Tasks::Scheduler::current().process())
        return Core::ErrorCode::InvalidArgument;
    Core::i64 status = TRY(process->wait_for_exit(deadline_ns));
    TRY(Memory::copy_to_user(status_address, &status, sizeof(status)));
    return 0;
}

CallResult process_kill(const Arguments& arguments)
{
    auto process = TRY(lookup_handle<Tasks::Process>(arguments.first(), ABI::Right::Manage));
    (void)process->terminate(ABI::killed_exit_status);
    return 0;
}

} // namespace Kernel::Syscalls
