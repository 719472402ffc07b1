// object_wait and object_wait_many: waiting for the signals of any object that has them
// (Objects/Signals.h), one or several at once (Objects/MultiWait.h).

#include <ABI/Signals.h>
#include <Core/NoThrow.h>
#include <Core/RefPtr.h>
#include <Kernel/Memory/UserCopy.h>
#include <Kernel/Objects/MultiWait.h>
#include <Kernel/Objects/Signals.h>
#include <Kernel/Syscalls/Calls.h>

namespace Kernel::Syscalls {

static_assert(ABI::no_deadline == Tasks::no_deadline, "object_wait passes its deadline through");

CallResult object_wait(const Arguments& arguments)
{
    if (!ABI::is_valid_signal_mask(arguments.second()))
        return Core::ErrorCode::InvalidArgument;
    auto wanted = static_cast<Core::u32>(arguments.second());
    Core::u64 deadline_ns = arguments.third();
    auto object = TRY(lookup_handle<Objects::KernelObject>(arguments.first(), ABI::Right::Wait));
    Objects::Signals* signals = object->signals();
    if (!signals)
        return Core::ErrorCode::NotSupported;
    // A bit this type never raises could only end in TimedOut: a mistake worth reporting.
    if ((wanted & ~signals->supported()) != 0)
        return Core::ErrorCode::InvalidArgument;
    // `object` keeps the signals alive for the whole wait.
    return TRY(signals->wait(wanted, deadline_ns));
}

namespace {

// What one object_wait_many holds while it runs: the items as copied in, the objects they
// name (the references keep their signals alive for the whole wait) and the kernel's view
// of them. On the heap: 64 of each would take a good part of a kernel stack.
struct WaitManyCall {
    ABI::WaitItem user_items[ABI::wait_many_maximum_items];
    Core::RefPtr<Objects::KernelObject> objects[ABI::wait_many_maximum_items];
    Objects::MultiWaitItem items[ABI::wait_many_maximum_items];
};

// Copies the items' observed signals back into the caller's array.
Core::Result<void> write_back(WaitManyCall& call, Core::u64 count, Core::u64 user_items)
{
    for (Core::u64 index = 0; index < count; ++index)
        call.user_items[index].observed = call.items[index].observed;
    return Memory::copy_to_user(user_items, call.user_items, count * sizeof(ABI::WaitItem));
}

} // namespace

CallResult object_wait_many(const Arguments& arguments)
{
    Core::u64 user_items = arguments.first();
    Core::u64 count = arguments.second();
    Core::u64 deadline_ns = arguments.third();
    if (count == 0 || count > ABI::wait_many_maximum_items)
        return Core::ErrorCode::InvalidArgument;
    auto* call = new (Core::nothrow) WaitManyCall();
    if (!call)
        return Core::ErrorCode::OutOfMemory;
    // Freed on every path: the references it holds go with it.
    struct Owner {
        WaitManyCall* call;
        ~Owner() { delete call; }
    } owner { call };

    // Decode every item before any wait: the array (count <= 64, so the size cannot wrap),
    // then every mask, then every handle, so that one bad item fails the whole call and
    // nothing has been consumed.
    TRY(Memory::copy_from_user(call->user_items, user_items, count * sizeof(ABI::WaitItem)));
    for (Core::u64 index = 0; index < count; ++index) {
        if (!ABI::is_valid_signal_mask(call->user_items[index].wanted))
            return Core::ErrorCode::InvalidArgument;
    }
    for (Core::u64 index = 0; index < count; ++index) {
        const ABI::WaitItem& item = call->user_items[index];
        call->objects[index] = TRY(lookup_handle<Objects::KernelObject>(item.handle, ABI::Right::Wait));
        Objects::Signals* signals = call->objects[index]->signals();
        if (!signals)
            return Core::ErrorCode::NotSupported;
        if ((item.wanted & ~signals->supported()) != 0)
            return Core::ErrorCode::InvalidArgument;
        call->items[index] = Objects::MultiWaitItem { signals, item.wanted, 0 };
    }
    // The array must take the results: written back unchanged now, so that a read-only
    // array fails before a wait could consume an auto-clear signal it then cannot report.
    TRY(Memory::copy_to_user(user_items, call->user_items, count * sizeof(ABI::WaitItem)));

    // Perform.
    auto outcome = Objects::wait_for_any(Core::Span<Objects::MultiWaitItem>(call->items, count), deadline_ns);
    if (outcome.is_error() && outcome.error().code() != Core::ErrorCode::TimedOut)
        return outcome.error().code();
    TRY(write_back(*call, count, user_items));
    if (outcome.is_error())
        return outcome.error().code();
    return outcome.value().index;
}

} // namespace Kernel::Syscalls
