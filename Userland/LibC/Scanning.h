#pragma once

// scanf's engine (C17 7.21.6.2): reads input as a format says, storing through the pointer
// arguments. Every conversion of C17 (d i o u x X a e f g E G A c s [ p n %), assignment
// suppression, field widths and the length modifiers hh h l ll j z t L. Floating input is
// correctly rounded (FloatParsing.h), long double's too.
//
// As C requires, at most one character is pushed back: a sequence that is only the start of
// a number ("1e+" before a letter) is a matching failure, not the shorter number. Pure, so
// that host tests compare it with the host's libc.

#include <stdarg.h>
#include <stddef.h>

namespace LibC {

// Where scanf reads from: one character at a time, with one put back.
class InputSource {
public:
    // The next character (as an unsigned char), or -1 at the end or on an error.
    virtual int get() = 0;
    // Puts back the character get() returned last (never more than one, never -1).
    virtual void unget(int character) = 0;

protected:
    ~InputSource() = default;
};

class StringSource final : public InputSource {
public:
    explicit StringSource(const char* text)
        : m_position(text)
    {
    }
    int get() override
    {
        if (*m_position == 0)
            return -1;
        return static_cast<unsigned char>(*m_position++);
    }
    void unget(int) override { --m_position; }

private:
    const char* m_position;
};

// The number of items assigned; -1 (EOF) when the input ended before the first conversion
// (or a matching character); -2 for a format this engine refuses (an unknown conversion, L
// on an integer), which the C functions report as EOF with errno EINVAL.
int scan(InputSource& input, const char* format, va_list arguments);

} // namespace LibC
