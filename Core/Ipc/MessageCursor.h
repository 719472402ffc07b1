#pragma once

// Sequential readers and writers over a message's bytes and its handles, used by the
// schema fields (Core/Ipc/Fields.h). Every read is checked against what is left, so a
// decoder never reads past the input whatever the input says; every write is checked
// against the caller's buffer. Integers are little-endian with no alignment, so fields
// need no padding and a message may sit at any address.

#include <ABI/ErrorCode.h>
#include <ABI/Handle.h>
#include <Core/ByteReading.h>
#include <Core/Error.h>
#include <Core/Span.h>
#include <Core/Types.h>

namespace Core::Ipc {

namespace Detail {

template<typename Integer> struct UnsignedOfTrait;
template<> struct UnsignedOfTrait<u8> {
    using Type = u8;
};
template<> struct UnsignedOfTrait<u16> {
    using Type = u16;
};
template<> struct UnsignedOfTrait<u32> {
    using Type = u32;
};
template<> struct UnsignedOfTrait<u64> {
    using Type = u64;
};
template<> struct UnsignedOfTrait<i8> {
    using Type = u8;
};
template<> struct UnsignedOfTrait<i16> {
    using Type = u16;
};
template<> struct UnsignedOfTrait<i32> {
    using Type = u32;
};
template<> struct UnsignedOfTrait<i64> {
    using Type = u64;
};

// The unsigned integer of the same width: wire integers are moved as unsigned bit
// patterns, so a signed value never goes through a shift of a negative number.
template<typename Integer> using UnsignedOf = typename UnsignedOfTrait<Integer>::Type;

template<typename Type> inline constexpr bool is_wire_integer = false;
template<> inline constexpr bool is_wire_integer<u8> = true;
template<> inline constexpr bool is_wire_integer<u16> = true;
template<> inline constexpr bool is_wire_integer<u32> = true;
template<> inline constexpr bool is_wire_integer<u64> = true;
template<> inline constexpr bool is_wire_integer<i8> = true;
template<> inline constexpr bool is_wire_integer<i16> = true;
template<> inline constexpr bool is_wire_integer<i32> = true;
template<> inline constexpr bool is_wire_integer<i64> = true;

} // namespace Detail

class MessageReader {
public:
    MessageReader(ReadonlyBytes bytes, usize offset, Span<const ABI::HandleValue> handles)
        : m_bytes(bytes)
        , m_offset(offset)
        , m_handles(handles)
    {
    }

    // The next fixed-width little-endian integer; Malformed if the message ends first.
    template<typename Integer> [[nodiscard]] Result<Integer> read_integer()
    {
        static_assert(Detail::is_wire_integer<Integer>, "wire integers are 8, 16, 32 or 64 bits wide");
        using Unsigned = Detail::UnsignedOf<Integer>;
        if (!has_bytes(m_bytes, m_offset, sizeof(Unsigned)))
            return ErrorCode::Malformed;
        Unsigned bits = read_little_endian<Unsigned>(m_bytes, m_offset);
        m_offset += sizeof(Unsigned);
        return __builtin_bit_cast(Integer, bits);
    }

    // The next `count` bytes, as a view into the message; Malformed if fewer are left.
    [[nodiscard]] Result<ReadonlyBytes> read_bytes(usize count)
    {
        if (!has_bytes(m_bytes, m_offset, count))
            return ErrorCode::Malformed;
        ReadonlyBytes bytes = m_bytes.slice(m_offset, count);
        m_offset += count;
        return bytes;
    }

    // The next delivered handle. The header's count was checked against the schema before
    // any field is read, so running out means the schema and the count disagree: Malformed.
    // A zero value is never a handle, so a channel that delivered one is BadHandle.
    [[nodiscard]] Result<ABI::HandleValue> read_handle()
    {
        if (m_next_handle >= m_handles.size())
            return ErrorCode::Malformed;
        ABI::HandleValue handle = m_handles[m_next_handle];
        if (handle == ABI::invalid_handle)
            return ErrorCode::BadHandle;
        ++m_next_handle;
        return handle;
    }

    [[nodiscard]] usize remaining_bytes() const { return m_bytes.size() - m_offset; }
    [[nodiscard]] usize remaining_handles() const { return m_handles.size() - m_next_handle; }

private:
    ReadonlyBytes m_bytes;
    usize m_offset;
    Span<const ABI::HandleValue> m_handles;
    usize m_next_handle { 0 };
};

class MessageWriter {
public:
    MessageWriter(Bytes buffer, usize offset, Span<ABI::HandleValue> handles)
        : m_buffer(buffer)
        , m_offset(offset)
        , m_handles(handles)
    {
    }

    template<typename Integer> [[nodiscard]] Result<void> write_integer(Integer value)
    {
        static_assert(Detail::is_wire_integer<Integer>, "wire integers are 8, 16, 32 or 64 bits wide");
        using Unsigned = Detail::UnsignedOf<Integer>;
        if (!has_bytes(m_buffer, m_offset, sizeof(Unsigned)))
            return ErrorCode::BufferTooSmall;
        auto bits = __builtin_bit_cast(Unsigned, value);
        for (usize index = 0; index < sizeof(Unsigned); ++index)
            m_buffer[m_offset + index] = static_cast<u8>(bits >> (8 * index));
        m_offset += sizeof(Unsigned);
        return {};
    }

    [[nodiscard]] Result<void> write_bytes(ReadonlyBytes bytes)
    {
        if (!has_bytes(m_buffer, m_offset, bytes.size()))
            return ErrorCode::BufferTooSmall;
        for (usize index = 0; index < bytes.size(); ++index)
            m_buffer[m_offset + index] = bytes[index];
        m_offset += bytes.size();
        return {};
    }

    [[nodiscard]] Result<void> write_handle(ABI::HandleValue handle)
    {
        if (handle == ABI::invalid_handle)
            return ErrorCode::BadHandle;
        if (m_next_handle >= m_handles.size())
            return ErrorCode::BufferTooSmall;
        m_handles[m_next_handle++] = handle;
        return {};
    }

    [[nodiscard]] usize bytes_written() const { return m_offset; }
    [[nodiscard]] usize handles_written() const { return m_next_handle; }

private:
    Bytes m_buffer;
    usize m_offset;
    Span<ABI::HandleValue> m_handles;
    usize m_next_handle { 0 };
};

} // namespace Core::Ipc
