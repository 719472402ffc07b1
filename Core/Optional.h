#pragma once

#include <Core/Assertions.h>
#include <Core/PlacementNew.h>
#include <Core/Utility.h>

namespace Core {

namespace Detail {

// Storage for Optional. It is trivially destructible when T is, so that Optionals of
// plain types can be globals that need no registered destructor (the kernel has no
// atexit). Two specialisations instead of a constrained destructor, which clang 14
// does not support.
template<typename T, bool = __is_trivially_destructible(T)> class OptionalStorage {
protected:
    ~OptionalStorage()
    {
        // m_storage is sizeof(T) bytes aligned for T and holds a live T exactly while
        // m_has_value is set, so the cast names that object and it is destroyed once.
        if (m_has_value)
            reinterpret_cast<T*>(m_storage)->~T();
    }
    alignas(T) unsigned char m_storage[sizeof(T)];
    bool m_has_value { false };
};

template<typename T> class OptionalStorage<T, true> {
protected:
    alignas(T) unsigned char m_storage[sizeof(T)];
    bool m_has_value { false };
};

} // namespace Detail

// A value that may be absent. Storage is inline; no allocation ever happens.
template<typename T> class Optional : private Detail::OptionalStorage<T> {
    using Detail::OptionalStorage<T>::m_storage;
    using Detail::OptionalStorage<T>::m_has_value;

public:
    Optional() { }
    Optional(const T& value) { emplace(value); }
    Optional(T&& value) { emplace(move(value)); }
    Optional(const Optional& other)
    {
        if (other.m_has_value)
            emplace(other.value());
    }
    Optional(Optional&& other)
    {
        if (other.m_has_value)
            emplace(move(other.value()));
    }
    Optional& operator=(const Optional& other)
    {
        if (this != &other) {
            clear();
            if (other.m_has_value)
                emplace(other.value());
        }
        return *this;
    }
    Optional& operator=(Optional&& other)
    {
        if (this != &other) {
            clear();
            if (other.m_has_value)
                emplace(move(other.value()));
        }
        return *this;
    }

    template<typename... Arguments> void emplace(Arguments&&... arguments)
    {
        clear();
        new (&m_storage) T(forward<Arguments>(arguments)...);
        m_has_value = true;
    }

    void clear()
    {
        if (m_has_value) {
            value().~T();
            m_has_value = false;
        }
    }

    [[nodiscard]] bool has_value() const { return m_has_value; }
    explicit operator bool() const { return m_has_value; }

    [[nodiscard]] T& value()
    {
        VERIFY(m_has_value);
        // m_storage is sizeof(T) bytes aligned for T, and m_has_value (checked above) means
        // emplace() constructed a T there that clear() has not yet destroyed.
        return *reinterpret_cast<T*>(&m_storage);
    }
    [[nodiscard]] const T& value() const
    {
        VERIFY(m_has_value);
        // Same invariant as the non-const value(): checked flag, live T in aligned storage.
        return *reinterpret_cast<const T*>(&m_storage);
    }
    [[nodiscard]] T value_or(const T& fallback) const { return m_has_value ? value() : fallback; }

    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() { return value(); }
    const T& operator*() const { return value(); }
};

} // namespace Core
