#pragma once

// Type-safe formatting with "{}" replacement fields, usable without a heap.
//
//   format_to(sink, "mapped {} pages at {:#018x}", count, address);
//
// A replacement field is `{` [`:` [[fill] `<`|`>`] [`#`] [`0`] [width] [type]] `}` where type is
// one of d (decimal), x/X (hex), b (binary), c (character), s (string), p (pointer).
// `{{` and `}}` print literal braces. A replacement field without a matching argument prints
// "<missing>" rather than reading past the argument list.

#include <Core/Span.h>
#include <Core/StringView.h>
#include <Core/Types.h>
#include <Core/Utility.h>

namespace Core {

class FormatSink {
public:
    virtual void write(StringView text) = 0;

protected:
    ~FormatSink() = default;
};

struct FormatSpec {
    enum class Type : u8 {
        Default,
        Decimal,
        Hex,
        UpperHex,
        Binary,
        Character,
        String,
        Pointer,
    };
    Type type { Type::Default };
    char fill { ' ' };
    bool left_align { false };
    bool alternate_form { false };
    // The '0' flag: numbers are padded with zeros between sign/prefix and digits.
    bool zero_pad { false };
    u16 width { 0 };
};

// Writes `text` padded to spec.width with spec.fill.
void format_padded(FormatSink& sink, StringView text, const FormatSpec& spec);
void format_unsigned(FormatSink& sink, u64 value, bool is_negative, const FormatSpec& spec);

template<typename T> struct Formatter;

#define CORE_INTEGER_FORMATTER(IntegerType)                                                                  \
    template<> struct Formatter<IntegerType> {                                                               \
        static void format(FormatSink& sink, IntegerType value, const FormatSpec& spec)                      \
        {                                                                                                    \
            if (spec.type == FormatSpec::Type::Character) {                                                  \
                char character = static_cast<char>(value);                                                   \
                format_padded(sink, StringView(&character, 1), spec);                                        \
                return;                                                                                      \
            }                                                                                                \
            bool is_negative = static_cast<IntegerType>(-1) < 0 && value < 0;                                \
            /* Negate in unsigned arithmetic so that the minimum value does not overflow. */                 \
            u64 magnitude = is_negative ? 0 - static_cast<u64>(value) : static_cast<u64>(value);             \
            format_unsigned(sink, magnitude, is_negative, spec);                                             \
        }                                                                                                    \
    };

CORE_INTEGER_FORMATTER(unsigned char)
CORE_INTEGER_FORMATTER(signed char)
CORE_INTEGER_FORMATTER(unsigned short)
CORE_INTEGER_FORMATTER(short)
CORE_INTEGER_FORMATTER(unsigned int)
CORE_INTEGER_FORMATTER(int)
CORE_INTEGER_FORMATTER(unsigned long)
CORE_INTEGER_FORMATTER(long)
CORE_INTEGER_FORMATTER(unsigned long long)
CORE_INTEGER_FORMATTER(long long)
#undef CORE_INTEGER_FORMATTER

template<> struct Formatter<char> {
    static void format(FormatSink& sink, char value, const FormatSpec& spec)
    {
        format_padded(sink, StringView(&value, 1), spec);
    }
};

template<> struct Formatter<bool> {
    static void format(FormatSink& sink, bool value, const FormatSpec& spec)
    {
        format_padded(sink, value ? "true" : "false", spec);
    }
};

template<> struct Formatter<StringView> {
    static void format(FormatSink& sink, StringView value, const FormatSpec& spec)
    {
        format_padded(sink, value, spec);
    }
};

template<> struct Formatter<const char*> {
    static void format(FormatSink& sink, const char* value, const FormatSpec& spec)
    {
        format_padded(sink, value ? StringView(value) : StringView("(null)"), spec);
    }
};

// A mutable char* is text too, like const char*.
template<> struct Formatter<char*> : Formatter<const char*> {
};

template<typename T> struct Formatter<T*> {
    static void format(FormatSink& sink, const T* value, const FormatSpec& spec)
    {
        FormatSpec pointer_spec = spec;
        pointer_spec.type = FormatSpec::Type::Hex;
        pointer_spec.alternate_form = true;
        if (pointer_spec.width == 0) {
            pointer_spec.width = 18;
            pointer_spec.zero_pad = true;
        }
        format_unsigned(sink, reinterpret_cast<uptr>(value), false, pointer_spec);
    }
};

// One type-erased argument: the address of the value and the function that prints it.
struct FormatArgument {
    const void* value;
    void (*print)(FormatSink&, const void*, const FormatSpec&);
};

template<typename T> struct FormatterFor {
    using Type = Formatter<Decay<T>>;
};
// String literals and char arrays format as strings.
template<usize Count> struct FormatterFor<const char (&)[Count]> {
    using Type = Formatter<const char*>;
};
template<usize Count> struct FormatterFor<char (&)[Count]> {
    using Type = Formatter<const char*>;
};

template<typename T> FormatArgument make_format_argument(const T& value)
{
    return {
        &value,
        [](FormatSink& sink, const void* erased, const FormatSpec& spec) {
            using Target = typename FormatterFor<const T&>::Type;
            if constexpr (is_same<Target, Formatter<const char*>>)
                Target::format(sink, static_cast<const char*>(*static_cast<const T*>(erased)), spec);
            else
                Target::format(sink, *static_cast<const T*>(erased), spec);
        },
    };
}

void vformat(FormatSink& sink, StringView format_string, Span<const FormatArgument> arguments);

template<typename... Arguments>
void format_to(FormatSink& sink, StringView format_string, const Arguments&... arguments)
{
    if constexpr (sizeof...(Arguments) == 0) {
        vformat(sink, format_string, {});
    } else {
        const FormatArgument erased[] = { make_format_argument(arguments)... };
        vformat(sink, format_string, Span<const FormatArgument>(erased, sizeof...(Arguments)));
    }
}

// A sink that writes into a fixed buffer and silently truncates when full, keeping
// the text NUL-terminated so it can be handed to C-style interfaces too.
template<usize Capacity> class FixedStringBuilder final : public FormatSink {
    static_assert(Capacity > 0);

public:
    void write(StringView text) override
    {
        for (char character : text) {
            if (m_length + 1 >= Capacity) {
                m_truncated = true;
                break;
            }
            m_buffer[m_length++] = character;
        }
        m_buffer[m_length] = '\0';
    }
    template<typename... Arguments> void appendf(StringView format_string, const Arguments&... arguments)
    {
        format_to(*this, format_string, arguments...);
    }
    void clear()
    {
        m_length = 0;
        m_truncated = false;
        m_buffer[0] = '\0';
    }
    [[nodiscard]] StringView string_view() const { return { m_buffer, m_length }; }
    [[nodiscard]] const char* c_string() const { return m_buffer; }
    [[nodiscard]] usize length() const { return m_length; }
    [[nodiscard]] bool was_truncated() const { return m_truncated; }

private:
    char m_buffer[Capacity] { '\0' };
    usize m_length { 0 };
    bool m_truncated { false };
};

} // namespace Core
