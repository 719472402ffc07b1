#pragma once

// A growable array whose growth can fail. Every operation that may allocate returns a
// Result (OutOfMemory when the allocator refuses, or when the byte count would overflow),
// and a failed operation leaves the vector exactly as it was. Storage comes from a
// Core::Allocator: the heap, unless the owner passes another.
//
// Appending to a full vector doubles its capacity, so appends cost amortised O(1). Growth
// moves the elements to new storage, so pointers and references into a vector do not
// survive an operation that may allocate: keep indices instead. An append that fits in the
// capacity never allocates, so try_ensure_capacity() beforehand makes the following
// appends infallible.
//
// Not copyable (a copy would have to allocate; there is no fallible copy yet). Moving
// hands the storage over.

#include <Core/Allocator.h>
#include <Core/Assertions.h>
#include <Core/Error.h>
#include <Core/PlacementNew.h>
#include <Core/Span.h>
#include <Core/Types.h>
#include <Core/Utility.h>

namespace Core {

template<typename T> class Vector {
    static_assert(
        alignof(T) <= Allocator::alignment, "Vector storage is only aligned to Allocator::alignment");

public:
    explicit Vector(Allocator& allocator = heap_allocator())
        : m_allocator(&allocator)
    {
    }
    Vector(const Vector&) = delete;
    Vector& operator=(const Vector&) = delete;
    Vector(Vector&& other)
        : m_allocator(other.m_allocator)
        , m_elements(exchange(other.m_elements, nullptr))
        , m_size(exchange(other.m_size, 0))
        , m_capacity(exchange(other.m_capacity, 0))
    {
    }
    Vector& operator=(Vector&& other)
    {
        if (this != &other) {
            release_storage();
            m_allocator = other.m_allocator;
            m_elements = exchange(other.m_elements, nullptr);
            m_size = exchange(other.m_size, 0);
            m_capacity = exchange(other.m_capacity, 0);
        }
        return *this;
    }
    ~Vector() { release_storage(); }

    // Appends `value`. It is taken by value so that appending an element of this very
    // vector stays correct when the append moves the storage.
    [[nodiscard]] Result<void> try_append(T value)
    {
        if (m_size == m_capacity) {
            usize doubled = m_capacity == 0 ? minimum_capacity : m_capacity * 2;
            TRY(try_ensure_capacity(doubled > m_capacity ? doubled : m_size + 1));
        }
        new (m_elements + m_size) T(move(value));
        ++m_size;
        return {};
    }

    // Makes room for at least `capacity` elements, so that appends up to that size cannot
    // fail. Never shrinks.
    [[nodiscard]] Result<void> try_ensure_capacity(usize capacity)
    {
        if (capacity <= m_capacity)
            return {};
        usize byte_count = 0;
        if (__builtin_mul_overflow(capacity, sizeof(T), &byte_count))
            return ErrorCode::OutOfMemory;
        void* storage = m_allocator->allocate(byte_count);
        if (!storage)
            return ErrorCode::OutOfMemory;
        // `storage` is byte_count fresh bytes aligned to Allocator::alignment, which the
        // static_assert above makes enough for T: room for `capacity` Ts, none live yet.
        T* new_elements = static_cast<T*>(storage);
        for (usize index = 0; index < m_size; ++index) {
            new (new_elements + index) T(move(m_elements[index]));
            m_elements[index].~T();
        }
        if (m_elements)
            m_allocator->deallocate(m_elements);
        m_elements = new_elements;
        m_capacity = capacity;
        return {};
    }

    // Grows to `size` elements, the new ones copies of `fill` (a buffer of zeros, say), or
    // shrinks to it. On failure nothing changes.
    [[nodiscard]] Result<void> try_resize(usize size, const T& fill = T {})
    {
        TRY(try_ensure_capacity(size));
        if constexpr (__is_trivially_destructible(T)) {
            if (m_size > size)
                m_size = size;
        }
        while (m_size > size)
            remove_last();
        // A buffer of bytes is filled in one go.
        if constexpr (sizeof(T) == 1 && __is_trivially_copyable(T)) {
            if (m_size < size) {
                unsigned char byte;
                __builtin_memcpy(&byte, &fill, 1);
                __builtin_memset(m_elements + m_size, byte, size - m_size);
                m_size = size;
            }
        }
        while (m_size < size) {
            new (m_elements + m_size) T(fill);
            ++m_size;
        }
        return {};
    }

    // Destroys the last element; the vector must not be empty.
    void remove_last()
    {
        VERIFY(m_size > 0);
        m_elements[--m_size].~T();
    }

    // Destroys every element and keeps the storage for reuse.
    void clear()
    {
        // Elements with nothing to destroy (bytes, say) just go.
        if constexpr (__is_trivially_destructible(T)) {
            m_size = 0;
            return;
        }
        while (m_size > 0)
            remove_last();
    }

    [[nodiscard]] usize size() const { return m_size; }
    [[nodiscard]] usize capacity() const { return m_capacity; }
    [[nodiscard]] bool is_empty() const { return m_size == 0; }

    T& operator[](usize index)
    {
        VERIFY(index < m_size);
        return m_elements[index];
    }
    const T& operator[](usize index) const
    {
        VERIFY(index < m_size);
        return m_elements[index];
    }
    T& last() { return (*this)[m_size - 1]; }
    const T& last() const { return (*this)[m_size - 1]; }

    T* data() { return m_elements; }
    const T* data() const { return m_elements; }
    T* begin() { return m_elements; }
    T* end() { return m_elements + m_size; }
    const T* begin() const { return m_elements; }
    const T* end() const { return m_elements + m_size; }

    Span<T> span() { return { m_elements, m_size }; }
    Span<const T> span() const { return { m_elements, m_size }; }

private:
    // The first growth allocates room for this many, so small vectors do not reallocate
    // on each of their first few appends.
    static constexpr usize minimum_capacity = 4;

    void release_storage()
    {
        clear();
        if (m_elements)
            m_allocator->deallocate(m_elements);
        m_elements = nullptr;
        m_capacity = 0;
    }

    Allocator* m_allocator;
    T* m_elements { nullptr };
    usize m_size { 0 };
    usize m_capacity { 0 };
};

} // namespace Core
