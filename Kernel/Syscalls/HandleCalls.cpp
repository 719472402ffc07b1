// handle_close, handle_duplicate, handle_info: the calls that work on any handle.

#include <Kernel/Security/AuditLog.h>
#include <Kernel/Syscalls/Calls.h>

namespace Kernel::Syscalls {

CallResult handle_close(const Arguments& arguments)
{
    auto handle = TRY(decode_handle(arguments.first()));
    Tasks::Process* process = TRY(calling_process());
    TRY(audited(*process, handle, ABI::no_rights,
        process->with_handles([&](Objects::HandleTable& table) { return table.close(handle); })));
    return 0;
}

CallResult handle_duplicate(const Arguments& arguments)
{
    auto handle = TRY(decode_handle(arguments.first()));
    Core::u64 raw_rights = arguments.second();
    if (raw_rights > 0xFFFFFFFFull || !ABI::Rights::is_valid(static_cast<Core::u32>(raw_rights)))
        return Core::ErrorCode::InvalidArgument;
    auto rights = ABI::Rights::from_raw(static_cast<Core::u32>(raw_rights));
    Tasks::Process* process = TRY(calling_process());
    auto source_rights = TRY(audited(*process, handle, rights,
        process->with_handles([&](Objects::HandleTable& table) { return table.rights(handle); })));
    auto duplicate = TRY(audited(*process, handle, rights,
        process->with_handles([&](Objects::HandleTable& table) { return table.duplicate(handle, rights); })));
    if (rights != source_rights)
        Security::audit(ABI::AuditEvent::RightsReduced, process->name(), process->audit_budget(), duplicate,
            source_rights, rights);
    return duplicate;
}

CallResult handle_info(const Arguments& arguments)
{
    auto handle = TRY(decode_handle(arguments.first()));
    Tasks::Process* process = TRY(calling_process());
    return audited(*process, handle, ABI::no_rights,
        process->with_handles([&](Objects::HandleTable& table) -> Core::Result<Core::u64> {
            auto rights = TRY(table.rights(handle));
            auto object = TRY(table.lookup<Objects::KernelObject>(handle, ABI::no_rights));
            return (static_cast<Core::u64>(object->type()) << 32) | rights.raw();
        }));
}

CallResult handle_revoke(const Arguments& arguments)
{
    auto handle = TRY(decode_handle(arguments.first()));
    Tasks::Process* process = TRY(calling_process());
    return TRY(audited(*process, handle, ABI::no_rights,
        process->with_handles([&](Objects::HandleTable& table) { return table.revoke(handle); })));
}

} // namespace Kernel::Syscalls
