#pragma once

// Starting a process's program: the one path process 1, kernel tests and process_start take
// (docs/abi/processes.md). The program gets, in its first thread's registers:
//   RDI: the argument;
//   RSI: a handle to its own process with every right;
//   RDX: the address of an ABI::StartupHandles block at the top of its stack, listing the
//        handles it was started with, in order.

#include <Core/Error.h>
#include <Core/Span.h>
#include <Core/Types.h>
#include <Kernel/Loader/ElfImage.h>
#include <Kernel/Objects/HandleTable.h>
#include <Kernel/Tasks/Process.h>

namespace Kernel::Tasks {

// Loads `image` into `process`, which the caller has moved to Starting
// (Process::begin_start), gives it its handles and starts its first thread on CPU `cpu`.
// `take_startup_handles(Span<HandleTable::Entry> into)` is called once everything that can
// fail has been done but before the thread runs: it fills exactly `startup_handle_count`
// entries (objects and rights) that go to the new process, or returns an error. This lets
// process_start move handles out of the caller's table only when nothing can fail after.
//
// Errors: those of Loader::load_program and OutOfMemory / OutOfRange for the handles or the
// thread, and whatever take_startup_handles returns. Any failure leaves the process
// terminated with ABI::start_failed_exit_status: its address space may hold part of the
// program by then. (Callers check what they can beforehand: process_start leaves a
// process untouched when its arguments are refused.)
template<typename TakeStartupHandles>
[[nodiscard]] Core::Result<Thread*> start_process(Process& process, const Loader::ElfImage& image,
    Core::u32 cpu, Core::u64 argument, Core::u32 startup_handle_count,
    TakeStartupHandles take_startup_handles);

namespace Detail {

using TakeStartupHandlesFunction
    = Core::Result<void> (*)(void* context, Core::Span<Objects::HandleTable::Entry>);
[[nodiscard]] Core::Result<Thread*> start_process(Process& process, const Loader::ElfImage& image,
    Core::u32 cpu, Core::u64 argument, Core::u32 startup_handle_count, TakeStartupHandlesFunction take,
    void* context);

} // namespace Detail

template<typename TakeStartupHandles>
Core::Result<Thread*> start_process(Process& process, const Loader::ElfImage& image, Core::u32 cpu,
    Core::u64 argument, Core::u32 startup_handle_count, TakeStartupHandles take_startup_handles)
{
    return Detail::start_process(
        process, image, cpu, argument, startup_handle_count,
        [](void* context, Core::Span<Objects::HandleTable::Entry> into) {
            return (*static_cast<TakeStartupHandles*>(context))(into);
        },
        &take_startup_handles);
}

} // namespace Kernel::Tasks
