#pragma once

#include <Core/Assertions.h>
#include <Core/Error.h>
#include <Core/PlacementNew.h>
#include <Core/Span.h>
#include <Core/Types.h>
#include <Core/Utility.h>

namespace Core {

namespace Detail {

// Storage for StaticVector, trivially destructible when T is (see OptionalStorage for why).
template<typename T, usize Capacity, bool = __is_trivially_destructible(T)> class StaticVectorStorage {
protected:
    ~StaticVectorStorage()
    {
        // m_storage is Capacity slots of sizeof(T) bytes, aligned for T, and exactly the
        // first m_size of them hold live Ts, so each cast names a constructed element.
        for (usize index = 0; index < m_size; ++index)
            reinterpret_cast<T*>(m_storage)[index].~T();
    }
    alignas(T) unsigned char m_storage[sizeof(T) * Capacity];
    usize m_size { 0 };
};

template<typename T, usize Capacity> class StaticVectorStorage<T, Capacity, true> {
protected:
    alignas(T) unsigned char m_storage[sizeof(T) * Capacity];
    usize m_size { 0 };
};

} // namespace Detail

// A vector with a fixed inline capacity. It never allocates; appending to a full
// vector returns ErrorCode::OutOfRange instead.
template<typename T, usize Capacity> class StaticVector : private Detail::StaticVectorStorage<T, Capacity> {
    static_assert(Capacity > 0);
    using Detail::StaticVectorStorage<T, Capacity>::m_storage;
    using Detail::StaticVectorStorage<T, Capacity>::m_size;

public:
    StaticVector() { }
    StaticVector(const StaticVector& other)
    {
        for (const T& element : other)
            new (slot(m_size++)) T(element);
    }
    StaticVector& operator=(const StaticVector& other)
    {
        if (this != &other) {
            clear();
            for (const T& element : other)
                new (slot(m_size++)) T(element);
        }
        return *this;
    }

    [[nodiscard]] Result<void> try_append(const T& value)
    {
        if (m_size == Capacity)
            return ErrorCode::OutOfRange;
        new (slot(m_size++)) T(value);
        return {};
    }
    [[nodiscard]] Result<void> try_append(T&& value)
    {
        if (m_size == Capacity)
            return ErrorCode::OutOfRange;
        new (slot(m_size++)) T(move(value));
        return {};
    }

    void clear()
    {
        while (m_size > 0)
            slot(--m_size)->~T();
    }

    // Removes the element at `index` (below size()), moving the later ones down one place.
    void remove(usize index)
    {
        VERIFY(index < m_size);
        for (usize position = index; position + 1 < m_size; ++position)
            *slot(position) = move(*slot(position + 1));
        slot(--m_size)->~T();
    }

    [[nodiscard]] usize size() const { return m_size; }
    [[nodiscard]] static constexpr usize capacity() { return Capacity; }
    [[nodiscard]] bool is_empty() const { return m_size == 0; }
    [[nodiscard]] bool is_full() const { return m_size == Capacity; }

    T& operator[](usize index)
    {
        VERIFY(index < m_size);
        return *slot(index);
    }
    const T& operator[](usize index) const
    {
        VERIFY(index < m_size);
        return *slot(index);
    }

    T* begin() { return slot(0); }
    T* end() { return slot(m_size); }
    const T* begin() const { return slot(0); }
    const T* end() const { return slot(m_size); }

    Span<T> span() { return { slot(0), m_size }; }
    Span<const T> span() const { return { slot(0), m_size }; }

private:
    // m_storage is Capacity slots of sizeof(T) bytes, aligned for T, so slot(index) is
    // in bounds (or one past the end) for index <= Capacity. Slots below m_size hold live
    // Ts; the slot at m_size is raw memory that only placement new may use.
    T* slot(usize index) { return reinterpret_cast<T*>(m_storage) + index; }
    const T* slot(usize index) const { return reinterpret_cast<const T*>(m_storage) + index; }
};

} // namespace Core
