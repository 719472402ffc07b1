#pragma once

#include <Core/Assertions.h>
#include <Core/Types.h>

namespace Core {

// A fixed-capacity byte ring that keeps the most recent bytes: when full, writing
// drops the oldest data. The kernel log keeps its history in one, so that a log flood
// costs old history rather than memory. Not synchronised; callers lock around it.
template<usize Capacity> class OverwritingByteRing {
    static_assert(Capacity > 0 && (Capacity & (Capacity - 1)) == 0, "capacity must be a power of two");

public:
    void write(const char* bytes, usize count)
    {
        for (usize index = 0; index < count; ++index) {
            m_storage[m_write_position & (Capacity - 1)] = bytes[index];
            ++m_write_position;
        }
        m_total_dropped = m_write_position > Capacity ? m_write_position - Capacity : 0;
    }

    // Bytes currently held (at most Capacity).
    [[nodiscard]] usize size() const { return m_write_position - m_total_dropped; }
    // Bytes that have been overwritten since creation.
    [[nodiscard]] u64 dropped() const { return m_total_dropped; }

    // Copies up to `count` bytes, oldest first, starting `skip` bytes after the oldest
    // byte still held. Returns the number of bytes copied.
    usize read(usize skip, char* destination, usize count) const
    {
        usize held = size();
        if (skip >= held)
            return 0;
        usize to_copy = held - skip < count ? held - skip : count;
        u64 start = m_total_dropped + skip;
        for (usize index = 0; index < to_copy; ++index)
            destination[index] = m_storage[(start + index) & (Capacity - 1)];
        return to_copy;
    }

private:
    char m_storage[Capacity] {};
    u64 m_write_position { 0 };
    u64 m_total_dropped { 0 };
};

} // namespace Core
