// User-space tests of threads: thread_create and thread_join, success and failure paths.
// The kernel test kernel.syscalls.threads_from_user_space runs it; it exits with 0, or the
// number of the first check that failed.

#include <ABI/Rights.h>
#include <Userland/Runtime/System.h>
#include <Userland/Tests/Checks.h>

using ABI::ErrorCode;
using System::failure;

extern "C" void _thread_start();

namespace {

alignas(16) char s_stacks[2][16384];
int64_t s_total;

} // namespace

// Each worker adds its argument to the shared total and exits with twice it.
extern "C" int64_t thread_main(uint64_t argument, uint64_t)
{
    __atomic_add_fetch(&s_total, static_cast<int64_t>(argument), __ATOMIC_RELAXED);
    return static_cast<int64_t>(argument) * 2;
}

extern "C" int64_t main(uint64_t, uint64_t self_value)
{
    auto self = static_cast<uint32_t>(self_value);
    CheckCounter checks;

    int64_t first = System::thread_create(_thread_start, s_stacks[0] + sizeof(s_stacks[0]), 10);
    int64_t second = System::thread_create(_thread_start, s_stacks[1] + sizeof(s_stacks[1]), 20);
    if (!checks.expect(first > 0 && second > 0))
        return checks.failed_check();
    // A thread handle has Wait, but threads raise no signals (yet): object_wait says so.
    if (!checks.expect(
            System::object_wait(static_cast<uint32_t>(first), ABI::signal_bits(ABI::Signal::Signalled), 0)
            == failure(ErrorCode::NotSupported)))
        return checks.failed_check();
    if (!checks.expect(System::thread_join(static_cast<uint32_t>(first)) == 20))
        return checks.failed_check();
    if (!checks.expect(System::thread_join(static_cast<uint32_t>(second)) == 40))
        return checks.failed_check();
    if (!checks.expect(__atomic_load_n(&s_total, __ATOMIC_RELAXED) == 30))
        return checks.failed_check();
    // Joining again returns the same status: the thread stays exited.
    if (!checks.expect(System::thread_join(static_cast<uint32_t>(first)) == 20))
        return checks.failed_check();

    // Entries and stacks must be user addresses.
    if (!checks.expect(System::thread_create(reinterpret_cast<void (*)()>(0xFFFFFFFF80000000ull),
                           s_stacks[0] + sizeof(s_stacks[0]), 0)
            == failure(ErrorCode::InvalidArgument)))
        return checks.failed_check();
    if (!checks.expect(System::thread_create(_thread_start, reinterpret_cast<void*>(0xFFFF800000000000ull), 0)
            == failure(ErrorCode::InvalidArgument)))
        return checks.failed_check();
    // A process is not a thread; a handle without Wait cannot join.
    if (!checks.expect(System::thread_join(self) == failure(ErrorCode::WrongType)))
        return checks.failed_check();
    int64_t no_wait
        = System::handle_duplicate(static_cast<uint32_t>(first), ABI::Rights(ABI::Right::Transfer).raw());
    if (!checks.expect(no_wait > 0))
        return checks.failed_check();
    if (!checks.expect(
            System::thread_join(static_cast<uint32_t>(no_wait)) == failure(ErrorCode::AccessDenied)))
        return checks.failed_check();
    if (!checks.expect(System::thread_join(0) == failure(ErrorCode::BadHandle)))
        return checks.failed_check();

    // thread_set_affinity: a mask with no online CPU is refused (none at all, or only CPUs
    // far beyond any this machine has); one with CPU 0, or every CPU, is taken, and the
    // thread keeps running.
    if (!checks.expect(System::thread_set_affinity(0) == failure(ErrorCode::InvalidArgument)
            && System::thread_set_affinity(1ull << 63) == failure(ErrorCode::InvalidArgument)
            && System::thread_set_affinity(1) == 0 && System::thread_set_affinity(~0ull) == 0))
        return checks.failed_check();
    // thread_yield always succeeds, and the thread runs on after it.
    if (!checks.expect(System::thread_yield() == 0 && System::thread_yield() == 0))
        return checks.failed_check();
    return 0;
}
