#pragma once

// The engine behind the printf family (docs/libc.md): C format strings, with every
// conversion of C17 7.21.6.1 but %n, which it refuses. Pure C++ with no system calls, so
// that host tests check it against the host's libc.
//
// Floating-point conversions are exact: a double's or long double's value is expanded into
// all its decimal digits (a big number in base 10^9) before it is rounded, ties to even, as
// glibc does in the default rounding mode. A long double's digits (up to 11,515 of them) are
// computed in memory from malloc: without it the call returns -1.

#include <stdarg.h>
#include <stddef.h>

namespace LibC {

// Where formatted characters go: a bounded buffer (snprintf) or a stream (fprintf).
class OutputSink {
public:
    virtual void write(const char* characters, size_t count) = 0;

protected:
    ~OutputSink() = default;
};

// Writes `format` with `arguments` to `sink`. Returns how many characters the output has,
// or -1 for a format the engine refuses (an unknown or unsupported conversion, or an output
// longer than INT_MAX); the sink may have received part of the output then.
int format(OutputSink& sink, const char* format, va_list arguments);

// A sink over a buffer of `capacity` bytes that keeps the first capacity - 1 characters and
// a terminating NUL (snprintf's contract); nothing at all when capacity is 0.
class BufferSink final : public OutputSink {
public:
    BufferSink(char* buffer, size_t capacity)
        : m_buffer(buffer)
        , m_capacity(capacity)
    {
        if (m_capacity > 0)
            m_buffer[0] = '\0';
    }
    void write(const char* characters, size_t count) override;

private:
    char* m_buffer;
    size_t m_capacity;
    size_t m_length { 0 };
};

} // namespace LibC
