// thread_exit, thread_create, thread_join, thread_set_affinity, thread_yield.

#include <Kernel/Arch/x86_64/AddressSpaceLayout.h>
#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Objects/ThreadObject.h>
#include <Kernel/Syscalls/Calls.h>
#include <Kernel/Tasks/Scheduler.h>
#include <Kernel/Tasks/UserThread.h>

namespace Kernel::Syscalls {

CallResult thread_exit(const Arguments& arguments)
{
    Tasks::Scheduler::exit_current(static_cast<Core::i64>(arguments.first()));
}

CallResult thread_create(const Arguments& arguments)
{
    Core::u64 entry = arguments.first();
    Core::u64 stack_top = arguments.second();
    Core::u64 argument = arguments.third();
    Tasks::Process* process = TRY(calling_process());
    // The process's handle the new thread gets in RSI, as its first thread did.
    auto self_handle
        = TRY(add_handle(*process, Core::RefPtr<Objects::KernelObject>(*process), ABI::all_rights));
    auto created = Tasks::create_user_thread(
        process->name(), Arch::current_processor_index(), *process, entry, stack_top, argument, self_handle);
    if (created.is_error()) {
        (void)process->with_handles([&](Objects::HandleTable& table) { return table.close(self_handle); });
        return created.error();
    }
    Tasks::Thread& thread = *created.value();
    auto handle = [&]() -> Core::Result<Objects::HandleValue> {
        auto object = TRY(Objects::ThreadObject::create(thread));
        return add_handle(*process, Core::RefPtr<Objects::KernelObject>(object),
            ABI::Right::Wait | ABI::Right::Duplicate | ABI::Right::Transfer);
    }();
    // The thread starts either way: once created it holds its process, and only running
    // to its end lets that go. Without a handle nobody can join it, which is the caller's
    // loss, reported as the error.
    Tasks::Scheduler::start(thread);
    if (handle.is_error())
        return handle.error();
    return handle.value();
}

CallResult thread_join(const Arguments& arguments)
{
    auto object = TRY(lookup_handle<Objects::ThreadObject>(arguments.first(), ABI::Right::Wait));
    auto status = TRY(Tasks::Scheduler::join_interruptible(object->thread()));
    return static_cast<Core::u64>(status);
}

CallResult thread_set_affinity(const Arguments& arguments)
{
    // Only the calling thread: restricting itself is all a thread may do to its placement.
    auto mask = Scheduling::CpuMask::from_bits(arguments.first());
    TRY(Tasks::Scheduler::set_affinity(Tasks::Scheduler::current(), mask));
    return 0;
}

CallResult thread_yield(const Arguments&)
{
    Tasks::Scheduler::yield();
    return 0;
}

CallResult thread_set_pointer(const Arguments& arguments)
{
    // Any address of user space, or 0: one outside it would let a program aim FS at the
    // kernel, and a non-canonical one would make the MSR write fault in the kernel.
    Core::u64 address = arguments.first();
    if (address >= Arch::user_space_end)
        return Core::ErrorCode::InvalidArgument;
    Tasks::Scheduler::set_thread_pointer(address);
    return 0;
}

} // namespace Kernel::Syscalls
