#include <ABI/Memory.h>
#include <Core/UstarArchive.h>
#include <Kernel/Boot/BootInfo.h>
#include <Kernel/Console/SerialConsole.h>
#include <Kernel/Devices/InterruptRange.h>
#include <Kernel/Devices/IoPortRange.h>
#include <Kernel/Devices/MmioRange.h>
#include <Kernel/Loader/ElfImage.h>
#include <Kernel/Loader/ProgramLoader.h>
#include <Kernel/Log/KernelLog.h>
#include <Kernel/Memory/AddressSpace.h>
#include <Kernel/Memory/MemoryManager.h>
#include <Kernel/Memory/MemoryObject.h>
#include <Kernel/Platform/SystemControl.h>
#include <Kernel/Security/AuditLog.h>
#include <Kernel/Tasks/FirstProgram.h>
#include <Kernel/Tasks/Process.h>
#include <Kernel/Tasks/ProcessStart.h>
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

Core::Result<Thread*> start_program_from_initial_ramdisk(const char* path, Core::u32 cpu, Core::u64 argument,
    Core::Span<Objects::HandleTable::Entry> startup_handles, bool critical)
{
    auto archive_bytes = initial_ramdisk_bytes();
    if (!archive_bytes.has_value())
        return Core::ErrorCode::NotFound;
    auto archive = TRY(Core::UstarArchive::parse(archive_bytes.value()));
    auto file = archive.find(Core::StringView(path));
    if (!file.has_value())
        return Core::ErrorCode::NotFound;
    auto image = TRY(Loader::ElfImage::parse(file->data));
    Core::RefPtr<Process> process = TRY(Process::create(Core::StringView(path)));
    if (critical)
        process->mark_critical();
    // Nobody else knows the process yet: the start is this caller's.
    VERIFY(process->begin_start());
    return start_process(*process, image, cpu, argument, static_cast<Core::u32>(startup_handles.size()),
        [&](Core::Span<Objects::HandleTable::Entry> into) -> Core::Result<void> {
            for (Core::usize index = 0; index < into.size(); ++index)
                into.data()[index] = startup_handles.data()[index];
            return {};
        });
}

Core::Result<Core::RefPtr<Memory::MemoryObject>> initial_ramdisk_object()
{
    auto archive_bytes = initial_ramdisk_bytes();
    if (!archive_bytes.has_value())
        return Core::ErrorCode::NotFound;
    Core::u64 size = archive_bytes->size();
    Core::u64 rounded = (size + ABI::memory_page_size - 1) & ~(ABI::memory_page_size - 1);
    auto object = TRY(Memory::MemoryObject::create_anonymous(rounded));
    TRY(object->write(0, archive_bytes.value()));
    return object;
}

Core::Result<Thread*> start_first_program(Core::u32 cpu, Core::u64 argument)
{
    // Process 1's privilege: the audit log, which no other process is given, and the root
    // device resources (docs/devices.md), from which it hands narrowed ranges to drivers.
    auto audit_log = TRY(Security::AuditLogObject::instance());
    auto io_ports = TRY(Devices::IoPortRange::create(0, ABI::io_port_count));
    auto mmio = TRY(Devices::MmioRange::create_above_ram());
    auto interrupt_lines = TRY(Devices::InterruptRange::create_for_all_lines());
    auto ramdisk = TRY(initial_ramdisk_object());
    auto serial_console = TRY(Console::SerialConsole::instance());
    auto system_control = TRY(Platform::SystemControl::instance());
    Objects::HandleTable::Entry handles[] = {
        { Core::RefPtr<Objects::KernelObject>(audit_log), ABI::Right::Read },
        { Core::RefPtr<Objects::KernelObject>(io_ports),
            ABI::Right::Read | ABI::Right::Write | ABI::Right::Duplicate | ABI::Right::Transfer },
        { Core::RefPtr<Objects::KernelObject>(mmio),
            ABI::Right::Read | ABI::Right::Write | ABI::Right::Map | ABI::Right::Duplicate
                | ABI::Right::Transfer },
        { Core::RefPtr<Objects::KernelObject>(interrupt_lines),
            ABI::Right::Manage | ABI::Right::Duplicate | ABI::Right::Transfer },
        { Core::RefPtr<Objects::KernelObject>(ramdisk),
            ABI::Right::Read | ABI::Right::Map | ABI::Right::Duplicate | ABI::Right::Transfer },
        { Core::RefPtr<Objects::KernelObject>(serial_console),
            ABI::Right::Read | ABI::Right::Write | ABI::Right::Wait | ABI::Right::Duplicate
                | ABI::Right::Transfer },
        { Core::RefPtr<Objects::KernelObject>(system_control),
            ABI::Right::Read | ABI::Right::Manage | ABI::Right::Duplicate | ABI::Right::Transfer },
    };
    return start_program_from_initial_ramdisk(first_program_path, cpu, argument, handles, true);
}

} // namespace Kernel::Tasks
