// User-space tests of threads: thread_create and thread_join, success and failure paths,
// affinity, yield, and each thread's own thread pointer (thread_set_pointer).
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

// A thread's block at its thread pointer: a pointer to itself first (the usual x86-64
// layout, which %fs:0 reads), then a value of its own.
struct ThreadBlock {
    ThreadBlock* self;
    uint64_t value;
};
ThreadBlock s_blocks[3];
constexpr uint64_t pointer_worker_base = 1000;

// Sets this thread's pointer to its block, then yields 200 times (to the other worker on the
// same CPU) and checks each time that FS still shows its own block. Exits with 1 if it did.
int64_t keep_own_pointer(uint64_t index)
{
    ThreadBlock& block = s_blocks[index];
    block = { &block, 0x1000 + index };
    if (System::thread_set_affinity(1) != 0 || System::thread_set_pointer(&block) != 0)
        return -1;
    for (int round = 0; round < 200; ++round) {
        (void)System::thread_yield();
        if (System::thread_pointer_word(0) != reinterpret_cast<uint64_t>(&block)
            || System::thread_pointer_word(8) != 0x1000 + index)
            return -2;
    }
    return 1;
}

} // namespace

// Each worker adds its argument to the shared total and exits with twice it (or, from
// pointer_worker_base on, checks its thread pointer).
extern "C" int64_t thread_main(uint64_t argument, uint64_t)
{
    if (argument >= pointer_worker_base)
        return keep_own_pointer(argument - pointer_worker_base);
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

    // thread_set_pointer: each thread keeps its own across switches; this one's stays while
    // two workers on the same CPU yield to each other with theirs.
    s_blocks[2] = { &s_blocks[2], 0x1002 };
    if (!checks.expect(System::thread_set_pointer(&s_blocks[2]) == 0
            && System::thread_pointer_word(0) == reinterpret_cast<uint64_t>(&s_blocks[2])
            && System::thread_pointer_word(8) == 0x1002))
        return checks.failed_check();
    int64_t pointer_workers[2] = {
        System::thread_create(_thread_start, s_stacks[0] + sizeof(s_stacks[0]), pointer_worker_base),
        System::thread_create(_thread_start, s_stacks[1] + sizeof(s_stacks[1]), pointer_worker_base + 1),
    };
    if (!checks.expect(pointer_workers[0] > 0 && pointer_workers[1] > 0
            && System::thread_join(static_cast<uint32_t>(pointer_workers[0])) == 1
            && System::thread_join(static_cast<uint32_t>(pointer_workers[1])) == 1))
        return checks.failed_check();
    if (!checks.expect(System::thread_pointer_word(0) == reinterpret_cast<uint64_t>(&s_blocks[2])))
        return checks.failed_check();
    // Only user addresses: not the kernel's, not a non-canonical one. The pointer stays.
    if (!checks.expect(System::thread_set_pointer(reinterpret_cast<void*>(0xFFFFFFFF80000000ull))
                == failure(ErrorCode::InvalidArgument)
            && System::thread_set_pointer(reinterpret_cast<void*>(0x0000800000000000ull))
                == failure(ErrorCode::InvalidArgument)
            && System::thread_pointer_word(8) == 0x1002))
        return checks.failed_check();
    return 0;
}
