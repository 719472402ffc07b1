#pragma once

// The value types a message struct holds for the field kinds that are not plain integers,
// booleans or enums (Core/Ipc/Fields.h). Each stores its contents inline, so a message is
// a plain value: decoding copies out of the received bytes and never allocates, and a
// decoded message stays valid after the receive buffer is reused.

#include <ABI/ErrorCode.h>
#include <ABI/Handle.h>
#include <Core/Error.h>
#include <Core/Span.h>
#include <Core/StringView.h>
#include <Core/Types.h>
#include <Core/Utf8.h>

namespace Core::Ipc {

// Exactly `Size` bytes, always all sent (an identifier, a digest, a MAC address).
template<usize Size> struct FixedBytes {
    static_assert(Size > 0, "a fixed byte array holds at least one byte");
    u8 bytes[Size] {};

    static constexpr usize size() { return Size; }
    [[nodiscard]] ReadonlyBytes view() const { return { bytes, Size }; }
    constexpr bool operator==(const FixedBytes&) const = default;
};

namespace Detail {

// Up to `Capacity` bytes of which the first `m_length` count. The length prefix on the
// wire is 16 bits, which holds any length a 64 KiB message can carry.
template<usize Capacity> class BoundedStorage {
    static_assert(Capacity > 0 && Capacity <= 0xFFFF, "a bounded field holds 1 to 65535 bytes");

public:
    static constexpr usize capacity() { return Capacity; }
    [[nodiscard]] usize length() const { return m_length; }
    [[nodiscard]] ReadonlyBytes bytes() const { return { m_bytes, m_length }; }

    // Equal when the counted bytes are; what lies past the length is never sent.
    bool operator==(const BoundedStorage& other) const
    {
        if (m_length != other.m_length)
            return false;
        for (usize index = 0; index < m_length; ++index) {
            if (m_bytes[index] != other.m_bytes[index])
                return false;
        }
        return true;
    }

protected:
    // Copies `source` in; OutOfRange if it is longer than the capacity.
    Result<void> assign_bytes(ReadonlyBytes source)
    {
        if (source.size() > Capacity)
            return ErrorCode::OutOfRange;
        for (usize index = 0; index < source.size(); ++index)
            m_bytes[index] = source[index];
        m_length = static_cast<u16>(source.size());
        return {};
    }

    u16 m_length { 0 };
    u8 m_bytes[Capacity] {};
};

} // namespace Detail

// Opaque bytes, at most `Capacity` of them.
template<usize Capacity> class BoundedBytes : public Detail::BoundedStorage<Capacity> {
public:
    [[nodiscard]] Result<void> assign(ReadonlyBytes source) { return this->assign_bytes(source); }
};

// Text of at most `Capacity` bytes that is valid UTF-8 with no NUL character, so that a
// receiver can hand it to anything that expects a C string or well-formed text. assign()
// refuses anything else, and so does the decoder.
template<usize Capacity> class BoundedString : public Detail::BoundedStorage<Capacity> {
public:
    [[nodiscard]] Result<void> assign(StringView text)
    {
        if (!is_acceptable(text))
            return ErrorCode::InvalidArgument;
        // A StringView's characters are bytes; viewing them as u8 changes only their
        // signedness, and the view covers exactly text.length() readable bytes.
        return this->assign_bytes({ reinterpret_cast<const u8*>(text.characters()), text.length() });
    }

    [[nodiscard]] StringView view() const
    {
        // m_bytes holds m_length initialised bytes; char may alias any object's bytes.
        return { reinterpret_cast<const char*>(this->m_bytes), this->m_length };
    }

    static bool is_acceptable(StringView text)
    {
        for (char character : text) {
            if (character == '\0')
                return false;
        }
        return is_valid_utf8(text);
    }
};

// A handle that travels beside the message's bytes. The message refers to it by
// position: the n-th handle field of a message is the n-th handle delivered.
struct Handle {
    ABI::HandleValue value { ABI::invalid_handle };
    constexpr bool operator==(const Handle&) const = default;
};

} // namespace Core::Ipc
