#include <ABI/Process.h>
#include <Kernel/Loader/ProgramLoader.h>
#include <Kernel/Log/KernelLog.h>
#include <Kernel/Tasks/ProcessStart.h>
#include <Kernel/Tasks/Scheduler.h>
#include <Kernel/Tasks/UserThread.h>

namespace Kernel::Tasks::Detail {

namespace {

// A start that failed before any thread of the process existed: the process ends, and
// since no thread will ever run to end it, it exits here.
void fail_without_thread(Process& process)
{
    (void)process.terminate(ABI::start_failed_exit_status);
    process.abandon_start();
}

} // namespace

Core::Result<Thread*> start_process(Process& process, const Loader::ElfImage& image, Core::u32 cpu,
    Core::u64 argument, Core::u32 startup_handle_count, TakeStartupHandlesFunction take, void* context)
{
    if (startup_handle_count > ABI::maximum_startup_handles) {
        fail_without_thread(process);
        return Core::ErrorCode::InvalidArgument;
    }
    auto loaded = Loader::load_program(process.address_space(), image);
    if (loaded.is_error()) {
        fail_without_thread(process);
        return loaded.error();
    }
    // The start-up block sits at the top of the stack, 16-byte aligned like the stack
    // pointer the program starts with just below it.
    Core::u64 block_address = (loaded.value().stack_top - sizeof(ABI::StartupHandles)) & ~Core::u64(15);
    // The process's handle to itself, then room for the start-up handles, so that adding
    // them later cannot fail.
    auto self_handle
        = process.with_handles([&](Objects::HandleTable& table) -> Core::Result<Objects::HandleValue> {
              auto handle = TRY(table.add(Core::RefPtr<Objects::KernelObject>(process), ABI::all_rights));
              TRY(table.reserve(startup_handle_count));
              return handle;
          });
    if (self_handle.is_error()) {
        fail_without_thread(process);
        return self_handle.error();
    }
    auto created = create_user_thread(process.name(), cpu, process, loaded.value().entry_point, block_address,
        argument, self_handle.value(), block_address);
    if (created.is_error()) {
        fail_without_thread(process);
        return created.error();
    }
    Thread& thread = *created.value();

    // From here on the thread exists: on failure the process is terminated and the thread
    // started anyway, so that it exits at once and takes the process with it.
    auto result = [&]() -> Core::Result<void> {
        Objects::HandleTable::Entry entries[ABI::maximum_startup_handles];
        TRY(take(context, Core::Span<Objects::HandleTable::Entry>(entries, startup_handle_count)));
        ABI::StartupHandles block {};
        block.count = startup_handle_count;
        TRY(process.with_handles([&](Objects::HandleTable& table) -> Core::Result<void> {
            for (Core::u32 index = 0; index < startup_handle_count; ++index)
                block.handles[index]
                    = TRY(table.add(Core::move(entries[index].object), entries[index].rights));
            return {};
        }));
        TRY(process.address_space().write(
            block_address, Core::ReadonlyBytes(reinterpret_cast<const Core::u8*>(&block), sizeof(block))));
        return {};
    }();
    if (result.is_error())
        (void)process.terminate(ABI::start_failed_exit_status);
    process.finish_start();
    Scheduler::start(thread);
    if (result.is_error())
        return result.error();
    Log::debug("loader: {} at {:#x}, entry {:#x}, stack top {:#x}, {} start-up handles", process.name(),
        loaded.value().base, loaded.value().entry_point, block_address, startup_handle_count);
    return &thread;
}

} // namespace Kernel::Tasks::Detail
