#pragma once

// The range arithmetic behind the device resource objects (IoPortRange, MmioRange,
// InterruptRange): a half-open range [base, base + count) of ports, physical bytes or
// interrupt lines, and the checks that narrowing and access need. Pure, overflow-safe and
// host-tested (Tests/Host/ResourceRangeTests.cpp): every value comes from user space.

#include <Core/Error.h>
#include <Core/Types.h>

namespace Kernel::Devices {

struct ResourceRange {
    Core::u64 base { 0 };
    // May be 0: an empty range, which grants nothing.
    Core::u64 count { 0 };

    // Whether base + count fits in 64 bits (every ResourceRange an object holds does).
    [[nodiscard]] constexpr bool is_well_formed() const { return count <= ~Core::u64(0) - base; }
    // One past the last unit. Only for well-formed ranges.
    [[nodiscard]] constexpr Core::u64 end() const { return base + count; }

    // Whether [first, first + length) is non-empty and lies inside this range. Never
    // overflows, whatever the arguments.
    [[nodiscard]] constexpr bool contains(Core::u64 first, Core::u64 length) const
    {
        if (length == 0 || first < base)
            return false;
        Core::u64 offset = first - base;
        return offset <= count && length <= count - offset;
    }
};

// The sub-range [base, base + count) of `parent`, as resource_narrow defines it:
// InvalidArgument for an empty sub-range or one not aligned to `alignment` (a power of
// two; 1 for none) in base and count, OutOfRange for one not inside `parent`.
[[nodiscard]] inline Core::Result<ResourceRange> narrow_range(
    const ResourceRange& parent, Core::u64 base, Core::u64 count, Core::u64 alignment)
{
    if (count == 0 || (base & (alignment - 1)) != 0 || (count & (alignment - 1)) != 0)
        return Core::ErrorCode::InvalidArgument;
    if (!parent.contains(base, count))
        return Core::ErrorCode::OutOfRange;
    return ResourceRange { base, count };
}

} // namespace Kernel::Devices
