#pragma once

// Which futex a user address names, and where its waiters are kept, apart from waiting, so
// that host tests can check it (Tests/Host/FutexKeyTests.cpp).
//
// Futexes are process-private: the key is the address space and the virtual address. Two
// processes that map the same memory object see different keys for the same word, so a
// futex_wake in one never reaches a waiter in the other (shared-memory futexes are not
// supported; they would key by memory object and offset). Threads of one process share an
// address space, which is what a lock between them needs.

#include <Core/Error.h>
#include <Core/Types.h>
#include <Kernel/Memory/UserRange.h>

namespace Kernel::Tasks {

struct FutexKey {
    // The address space's identity only: compared, hashed, never dereferenced.
    Core::u64 address_space;
    Core::u64 address;

    constexpr bool operator==(const FutexKey&) const = default;
};

// The size of a futex word: one aligned 32-bit integer.
inline constexpr Core::u64 futex_word_size = 4;

// The futex table's hash buckets: a power of two. Waiters of different futexes may share a
// bucket; that only costs a wake-up sequence retry or a longer walk, never a wrong wake.
inline constexpr Core::u32 futex_bucket_count = 64;

// A futex address as futex_wait and futex_wake take it: BadAddress outside user space
// (checked first, as for every user pointer), InvalidArgument when not 4-byte aligned.
[[nodiscard]] constexpr Core::Result<void> validate_futex_address(Core::u64 address)
{
    if (!Memory::is_user_range(address, futex_word_size))
        return Core::ErrorCode::BadAddress;
    if (address % futex_word_size != 0)
        return Core::ErrorCode::InvalidArgument;
    return {};
}

// The bucket of a key. Both halves are mixed (a multiplicative hash over their sum with
// the space rotated), so neighbouring words of one process and the same word in two
// processes spread over the buckets.
[[nodiscard]] constexpr Core::u32 futex_bucket_index(FutexKey key)
{
    Core::u64 space = (key.address_space >> 4) | (key.address_space << 60);
    Core::u64 mixed
        = ((key.address / futex_word_size) + space * 0x9E3779B97F4A7C15ull) * 0xBF58476D1CE4E5B9ull;
    return static_cast<Core::u32>(mixed >> 58) & (futex_bucket_count - 1);
}
static_assert((futex_bucket_count & (futex_bucket_count - 1)) == 0, "the bucket mask needs a power of two");
static_assert(futex_bucket_count == 64, "futex_bucket_index takes the top 6 bits");

} // namespace Kernel::Tasks
