#include <Kernel/Boot/BootInfo.h>
#include <Kernel/Boot/InitialRamdisk.h>
#include <Kernel/Loader/ElfImage.h>
#include <Kernel/Loader/ProgramLoader.h>
#include <Kernel/Log/KernelLog.h>
#include <Kernel/Memory/AddressSpace.h>
#include <Kernel/Memory/MemoryManager.h>
#include <Kernel/Security/AuditLog.h>
#include <Kernel/Tasks/FirstProgram.h>
#include <Kernel/Tasks/Process.h>
#include <Kernel/Tasks/Scheduler.h>
#include <Kernel/Tasks/UserThread.h>

namespace Kernel::Tasks {

namespace {

// The initial RAM disk's bytes: the module named "initrd".
Core::Optional<Core::ReadonlyBytes> initial_ramdisk_bytes()
{
    for (const Boot::BootModule& module : Boot::boot_info().modules) {
        if (module.name.string_view() != Core::StringView("initrd") || module.size() == 0)
            continue;
        // Modules are RAM the memory manager reserved at boot (never handed out), so the
        // direct map covers them for as long as the kernel runs.
        const auto* bytes = static_cast<const Core::u8*>(Memory::physical_to_virtual(module.physical_start));
        return Core::ReadonlyBytes(bytes, module.size());
    }
    return {};
}

} // namespace

namespace {

enum class Privileges : Core::u8 {
    None,
    // Gets a handle to the audit log, in RDI in place of the argument.
    AuditLog,
};

Core::Result<Thread*> start_program(
    const char* path, Core::u32 cpu, Core::u64 argument, Privileges privileges)
{
    auto archive_bytes = initial_ramdisk_bytes();
    if (!archive_bytes.has_value())
        return Core::ErrorCode::NotFound;
    auto archive = TRY(Boot::InitialRamdisk::parse(archive_bytes.value()));
    auto file = archive.find(Core::StringView(path));
    if (!file.has_value())
        return Core::ErrorCode::NotFound;
    auto image = TRY(Loader::ElfImage::parse(file->data));
    // The process, its program and its first handle: one to itself, with every right. If
    // anything fails, dropping the last reference frees all of it.
    Core::RefPtr<Process> process = TRY(Process::create(Core::StringView(path)));
    auto loaded = TRY(Loader::load_program(process->address_space(), image));
    auto self_handle = TRY(process->with_handles([&](Objects::HandleTable& table) {
        return table.add(Core::RefPtr<Objects::KernelObject>(process), ABI::all_rights);
    }));
    // From here on the process holds a handle to itself: on any error, closing its handles
    // is what lets the last reference go.
    auto thread = [&]() -> Core::Result<Thread*> {
        if (privileges == Privileges::AuditLog) {
            auto audit_log = TRY(Security::AuditLogObject::instance());
            argument = TRY(process->with_handles([&](Objects::HandleTable& table) {
                return table.add(Core::RefPtr<Objects::KernelObject>(audit_log), ABI::Right::Read);
            }));
        }
        return create_user_thread(
            path, cpu, *process, loaded.entry_point, loaded.stack_top, argument, self_handle);
    }();
    if (thread.is_error()) {
        process->with_handles([](Objects::HandleTable& table) { table.close_all(); });
        return thread.error();
    }
    Log::info("loader: /{} ({} bytes) at {:#x}, entry {:#x}, stack top {:#x}", path, file->data.size(),
        loaded.base, loaded.entry_point, loaded.stack_top);
    Scheduler::start(*thread.value());
    return thread.value();
}

} // namespace

Core::Result<Thread*> start_first_program(Core::u32 cpu)
{
    return start_program(first_program_path, cpu, 0, Privileges::AuditLog);
}

Core::Result<Thread*> start_program_from_initial_ramdisk(const char* path, Core::u32 cpu, Core::u64 argument)
{
    return start_program(path, cpu, argument, Privileges::None);
}

} // namespace Kernel::Tasks
