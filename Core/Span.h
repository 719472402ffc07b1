#pragma once

#include <Core/Assertions.h>
#include <Core/Types.h>

namespace Core {

// A non-owning view of a contiguous array. Indexing is bounds-checked.
template<typename T> class Span {
public:
    constexpr Span() = default;
    constexpr Span(T* data, usize size)
        : m_data(data)
        , m_size(size)
    {
    }
    template<usize Count>
    constexpr Span(T (&array)[Count])
        : m_data(array)
        , m_size(Count)
    {
    }
    // A Span<T> converts to Span<const T>.
    constexpr operator Span<const T>() const { return { m_data, m_size }; }

    [[nodiscard]] constexpr T* data() const { return m_data; }
    [[nodiscard]] constexpr usize size() const { return m_size; }
    [[nodiscard]] constexpr bool is_empty() const { return m_size == 0; }

    constexpr T& operator[](usize index) const
    {
        VERIFY(index < m_size);
        return m_data[index];
    }

    // Returns the part of the span starting at `offset` that is at most `length` long;
    // an out-of-range request is clamped to what exists, never read past the end.
    [[nodiscard]] constexpr Span slice(usize offset, usize length) const
    {
        if (offset > m_size)
            return {};
        usize available = m_size - offset;
        return { m_data + offset, length < available ? length : available };
    }
    [[nodiscard]] constexpr Span slice(usize offset) const { return slice(offset, m_size); }

    constexpr T* begin() const { return m_data; }
    constexpr T* end() const { return m_data + m_size; }

private:
    T* m_data { nullptr };
    usize m_size { 0 };
};

using Bytes = Span<u8>;
using ReadonlyBytes = Span<const u8>;

} // namespace Core
