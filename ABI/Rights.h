#pragma once

// What a handle allows its holder to do with the object behind it. Shared by the kernel,
// user space and host tools; the bit numbers are part of the system-call ABI
// (docs/abi/handles.md): a bit is never renumbered or reused, and new rights take the
// next free bit.
//
// Unknown bits are invalid. A rights mask that arrives from user space is checked with
// Rights::is_valid(raw_bits) before the kernel acts on it, and the kernel refuses one that
// sets a bit this header does not name (InvalidArgument), rather than ignoring the bit: a
// program built against a newer ABI must learn that its right does not exist here instead
// of silently getting less than it asked for.

#include <stdint.h>

namespace ABI {

enum class Right : uint32_t {
    // Read the object's state or data.
    Read = 1u << 0,
    // Change the object's state or data.
    Write = 1u << 1,
    // Run the object's contents as code (map a memory object executable).
    Execute = 1u << 2,
    // Map the object into an address space.
    Map = 1u << 3,
    // Make another handle to the object, with the same or fewer rights.
    Duplicate = 1u << 4,
    // Send the handle to another process through a channel.
    Transfer = 1u << 5,
    // Raise the object's signals (set an event, notify a peer).
    Signal = 1u << 6,
    // Wait for the object's signals.
    Wait = 1u << 7,
    // Change how the object itself works: its properties, limits and lifetime (kill a
    // process, reprogram a timer, bind an interrupt).
    Manage = 1u << 8,
};

// A set of Right bits. It can carry any 32-bit pattern, so that a mask from user space can
// be held and checked; is_valid() says whether it names only known rights.
class Rights {
public:
    // Every bit that names a right.
    static constexpr uint32_t known_bits = (1u << 9) - 1;

    // No rights.
    constexpr Rights() = default;
    // Exactly one right. Implicit, so that a single Right can be passed where Rights are
    // expected.
    constexpr Rights(Right right)
        : m_bits(static_cast<uint32_t>(right))
    {
    }
    // The bits as given, known or not; check is_valid() before trusting them.
    [[nodiscard]] static constexpr Rights from_raw(uint32_t raw_bits)
    {
        Rights rights;
        rights.m_bits = raw_bits;
        return rights;
    }

    [[nodiscard]] static constexpr bool is_valid(uint32_t raw_bits) { return (raw_bits & ~known_bits) == 0; }
    [[nodiscard]] constexpr bool is_valid() const { return is_valid(m_bits); }

    [[nodiscard]] constexpr uint32_t raw() const { return m_bits; }
    [[nodiscard]] constexpr bool is_empty() const { return m_bits == 0; }

    // Whether every right in `other` is in this set (true for an empty `other`).
    [[nodiscard]] constexpr bool contains(Rights other) const
    {
        return (m_bits & other.m_bits) == other.m_bits;
    }
    [[nodiscard]] constexpr bool is_subset_of(Rights other) const { return other.contains(*this); }

    [[nodiscard]] constexpr Rights intersection(Rights other) const
    {
        return from_raw(m_bits & other.m_bits);
    }
    [[nodiscard]] constexpr Rights union_with(Rights other) const { return from_raw(m_bits | other.m_bits); }
    [[nodiscard]] constexpr Rights without(Rights other) const { return from_raw(m_bits & ~other.m_bits); }

    constexpr bool operator==(const Rights&) const = default;

private:
    uint32_t m_bits { 0 };
};

// Union, so that sets read naturally: `Right::Read | Right::Wait`. The overload on two
// Rights values alone would not do for that: with no class operand, C++ considers only
// operators declared for the enumeration itself.
constexpr Rights operator|(Rights first, Rights second)
{
    return first.union_with(second);
}
constexpr Rights operator|(Right first, Right second)
{
    return Rights(first).union_with(second);
}

inline constexpr Rights no_rights {};
inline constexpr Rights all_rights = Rights::from_raw(Rights::known_bits);

// A stable name for logs and test output; "UnknownRight" for anything that is not exactly
// one known bit.
constexpr const char* right_name(Right right)
{
    switch (right) {
    case Right::Read:
        return "Read";
    case Right::Write:
        return "Write";
    case Right::Execute:
        return "Execute";
    case Right::Map:
        return "Map";
    case Right::Duplicate:
        return "Duplicate";
    case Right::Transfer:
        return "Transfer";
    case Right::Signal:
        return "Signal";
    case Right::Wait:
        return "Wait";
    case Right::Manage:
        return "Manage";
    }
    return "UnknownRight";
}

} // namespace ABI
