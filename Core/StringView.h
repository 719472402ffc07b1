#pragma once

#include <Core/Assertions.h>
#include <Core/Optional.h>
#include <Core/Types.h>

namespace Core {

// A non-owning view of characters. It need not be NUL-terminated.
class StringView {
public:
    constexpr StringView() = default;
    constexpr StringView(const char* characters, usize length)
        : m_characters(characters)
        , m_length(length)
    {
    }
    constexpr StringView(const char* null_terminated)
        : m_characters(null_terminated)
        , m_length(compute_length(null_terminated))
    {
    }

    [[nodiscard]] constexpr const char* characters() const { return m_characters; }
    [[nodiscard]] constexpr usize length() const { return m_length; }
    [[nodiscard]] constexpr bool is_empty() const { return m_length == 0; }

    constexpr char operator[](usize index) const
    {
        VERIFY(index < m_length);
        return m_characters[index];
    }

    [[nodiscard]] constexpr StringView substring(usize start, usize length) const
    {
        if (start > m_length)
            return {};
        usize available = m_length - start;
        return { m_characters + start, length < available ? length : available };
    }
    [[nodiscard]] constexpr StringView substring(usize start) const { return substring(start, m_length); }

    [[nodiscard]] constexpr bool starts_with(StringView prefix) const
    {
        return prefix.m_length <= m_length && substring(0, prefix.m_length) == prefix;
    }
    [[nodiscard]] constexpr bool ends_with(StringView suffix) const
    {
        return suffix.m_length <= m_length && substring(m_length - suffix.m_length) == suffix;
    }

    [[nodiscard]] Optional<usize> find(char needle, usize start = 0) const
    {
        for (usize index = start; index < m_length; ++index) {
            if (m_characters[index] == needle)
                return index;
        }
        return {};
    }

    [[nodiscard]] Optional<usize> find(StringView needle) const
    {
        if (needle.m_length > m_length)
            return {};
        for (usize index = 0; index + needle.m_length <= m_length; ++index) {
            if (substring(index, needle.m_length) == needle)
                return index;
        }
        return {};
    }

    // Parses the whole view as an unsigned decimal, or hexadecimal with a 0x prefix.
    // Rejects empty input, stray characters and values that do not fit in 64 bits.
    [[nodiscard]] Optional<u64> to_unsigned() const
    {
        StringView digits = *this;
        u64 base = 10;
        if (digits.starts_with("0x") || digits.starts_with("0X")) {
            base = 16;
            digits = digits.substring(2);
        }
        if (digits.is_empty())
            return {};
        u64 result = 0;
        for (char character : digits) {
            u64 digit;
            if (character >= '0' && character <= '9')
                digit = static_cast<u64>(character - '0');
            else if (base == 16 && character >= 'a' && character <= 'f')
                digit = static_cast<u64>(character - 'a' + 10);
            else if (base == 16 && character >= 'A' && character <= 'F')
                digit = static_cast<u64>(character - 'A' + 10);
            else
                return {};
            if (__builtin_mul_overflow(result, base, &result)
                || __builtin_add_overflow(result, digit, &result))
                return {};
        }
        return result;
    }

    constexpr bool operator==(const StringView& other) const
    {
        if (m_length != other.m_length)
            return false;
        for (usize index = 0; index < m_length; ++index) {
            if (m_characters[index] != other.m_characters[index])
                return false;
        }
        return true;
    }

    constexpr const char* begin() const { return m_characters; }
    constexpr const char* end() const { return m_characters + m_length; }

private:
    static constexpr usize compute_length(const char* null_terminated)
    {
        if (!null_terminated)
            return 0;
        usize length = 0;
        while (null_terminated[length] != '\0')
            ++length;
        return length;
    }

    const char* m_characters { nullptr };
    usize m_length { 0 };
};

} // namespace Core

constexpr Core::StringView operator""_sv(const char* characters, size_t length)
{
    return { characters, length };
}
