#pragma once

// Result<T>: either a value or an Error. Every fallible function in RaeenOS returns
// one, and callers propagate failures with TRY(). Results are [[nodiscard]] so that an
// error can never be dropped silently.

#include <ABI/ErrorCode.h>
#include <Core/Assertions.h>
#include <Core/PlacementNew.h>
#include <Core/Utility.h>

namespace Core {

using ABI::ErrorCode;

class Error {
public:
    constexpr Error(ErrorCode code)
        : m_code(code)
    {
    }
    [[nodiscard]] constexpr ErrorCode code() const { return m_code; }
    [[nodiscard]] constexpr const char* name() const { return ABI::error_code_name(m_code); }
    constexpr bool operator==(const Error&) const = default;

private:
    ErrorCode m_code;
};

template<typename T> class [[nodiscard]] Result {
public:
    Result(const T& value)
        : m_is_error(false)
    {
        new (&m_storage) T(value);
    }
    Result(T&& value)
        : m_is_error(false)
    {
        new (&m_storage) T(move(value));
    }
    Result(Error error)
        : m_error(error)
        , m_is_error(true)
    {
    }
    Result(ErrorCode code)
        : Result(Error(code))
    {
    }
    Result(Result&& other)
        : m_error(other.m_error)
        , m_is_error(other.m_is_error)
    {
        if (!m_is_error)
            new (&m_storage) T(move(other.value()));
    }
    Result(const Result&) = delete;
    Result& operator=(const Result&) = delete;
    Result& operator=(Result&&) = delete;
    ~Result()
    {
        if (!m_is_error)
            value().~T();
    }

    [[nodiscard]] bool is_error() const { return m_is_error; }
    [[nodiscard]] Error error() const
    {
        VERIFY(m_is_error);
        return m_error;
    }
    [[nodiscard]] T& value()
    {
        VERIFY(!m_is_error);
        // m_storage is sizeof(T) bytes aligned for T and holds a live T exactly when
        // m_is_error is clear (every non-error constructor placement-news one there).
        return *reinterpret_cast<T*>(&m_storage);
    }
    [[nodiscard]] const T& value() const
    {
        VERIFY(!m_is_error);
        // Same invariant as the non-const value(): checked flag, live T in aligned storage.
        return *reinterpret_cast<const T*>(&m_storage);
    }
    // Moves the value out; used by TRY().
    [[nodiscard]] T release_value() { return move(value()); }

private:
    alignas(T) unsigned char m_storage[sizeof(T)];
    Error m_error { ErrorCode::InvalidArgument };
    bool m_is_error;
};

template<> class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error)
        : m_error(error)
        , m_is_error(true)
    {
    }
    Result(ErrorCode code)
        : Result(Error(code))
    {
    }

    [[nodiscard]] bool is_error() const { return m_is_error; }
    [[nodiscard]] Error error() const
    {
        VERIFY(m_is_error);
        return m_error;
    }
    void release_value() { }

private:
    Error m_error { ErrorCode::InvalidArgument };
    bool m_is_error { false };
};

} // namespace Core

// Evaluates a Result expression; on error returns the error from the enclosing
// function, otherwise yields the value. Uses a statement expression (clang and GCC).
#define TRY(expression)                                                                                      \
    ({                                                                                                       \
        auto _try_result = (expression);                                                                     \
        if (_try_result.is_error()) [[unlikely]]                                                             \
            return _try_result.error();                                                                      \
        _try_result.release_value();                                                                         \
    })
