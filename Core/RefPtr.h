#pragma once

// RefPtr<T>: an owning reference to a RefCounted object (Core/RefCounted.h), or null.
// Copying takes another reference, moving hands the reference over, and destroying or
// clearing a RefPtr drops it; the object goes away with its last reference.
//
//   auto event = TRY(Core::try_make_ref_counted<Event>(arguments));
//   Core::RefPtr<KernelObject> as_object = event;   // an upcast, a second reference
//
// A RefPtr<Derived> converts implicitly to a RefPtr<Base>. Downcasts are explicit
// (static_ref_cast) and need the caller to know the object's real type, since the kernel
// has no RTTI to check it.
//
// Not thread-safe as a variable: two threads may hold RefPtrs to the same object freely
// (the count is atomic), but one RefPtr variable read and written by two threads needs a
// lock, like any other variable.

#include <Core/Assertions.h>
#include <Core/Error.h>
#include <Core/NoThrow.h>
#include <Core/RefCounted.h>
#include <Core/Utility.h>

namespace Core {

template<typename T> class RefPtr {
public:
    constexpr RefPtr() = default;
    constexpr RefPtr(decltype(nullptr)) { }
    // A new reference to an object the caller already holds a reference to (through
    // `this` inside a member function, say).
    explicit RefPtr(T& object)
        : m_pointer(&object)
    {
        object.ref();
    }
    RefPtr(const RefPtr& other)
        : m_pointer(other.m_pointer)
    {
        if (m_pointer)
            m_pointer->ref();
    }
    RefPtr(RefPtr&& other)
        : m_pointer(other.leak_ref())
    {
    }
    // Upcasts: a reference to a Derived is a reference to its Base.
    template<typename Other>
    requires(__is_convertible_to(Other*, T*)) RefPtr(const RefPtr<Other>& other)
        : m_pointer(other.get())
    {
        if (m_pointer)
            m_pointer->ref();
    }
    template<typename Other>
    requires(__is_convertible_to(Other*, T*)) RefPtr(RefPtr<Other>&& other)
        : m_pointer(other.leak_ref())
    {
    }
    ~RefPtr() { clear(); }

    // Both assignments build the new value first and then swap, so assigning a RefPtr to
    // itself (or to one that holds the only other reference) never frees the object early.
    RefPtr& operator=(const RefPtr& other)
    {
        RefPtr copy(other);
        swap(copy);
        return *this;
    }
    RefPtr& operator=(RefPtr&& other)
    {
        RefPtr moved(move(other));
        swap(moved);
        return *this;
    }
    template<typename Other>
    requires(__is_convertible_to(Other*, T*)) RefPtr& operator=(const RefPtr<Other>& other)
    {
        RefPtr copy(other);
        swap(copy);
        return *this;
    }
    template<typename Other>
    requires(__is_convertible_to(Other*, T*)) RefPtr& operator=(RefPtr<Other>&& other)
    {
        RefPtr moved(move(other));
        swap(moved);
        return *this;
    }
    RefPtr& operator=(decltype(nullptr))
    {
        clear();
        return *this;
    }

    // Takes over the reference the caller holds on `object` without taking a new one:
    // the creator's reference of a freshly allocated object, or one given up by
    // leak_ref(). `object` must not be null.
    [[nodiscard]] static RefPtr adopt(T* object)
    {
        VERIFY(object != nullptr);
        RefPtr adopted;
        adopted.m_pointer = object;
        return adopted;
    }

    // Gives up the reference without dropping it and leaves this RefPtr null. The caller
    // becomes responsible for it: adopt() it again or unref() it.
    [[nodiscard]] T* leak_ref() { return exchange(m_pointer, nullptr); }

    // Drops the reference, if any. The pointer is cleared before the unref, so that a
    // destructor running from here that looks at this RefPtr finds it null.
    void clear()
    {
        if (T* previous = exchange(m_pointer, nullptr))
            previous->unref();
    }

    void swap(RefPtr& other) { Core::swap(m_pointer, other.m_pointer); }

    [[nodiscard]] T* get() const { return m_pointer; }
    [[nodiscard]] bool is_null() const { return m_pointer == nullptr; }
    explicit operator bool() const { return m_pointer != nullptr; }

    T* operator->() const
    {
        VERIFY(m_pointer != nullptr);
        return m_pointer;
    }
    T& operator*() const
    {
        VERIFY(m_pointer != nullptr);
        return *m_pointer;
    }

    // Identity comparisons: two RefPtrs are equal when they name the same object (or are
    // both null). RefPtrs to a base and a derived type compare as pointers do.
    template<typename Other> bool operator==(const RefPtr<Other>& other) const
    {
        return m_pointer == other.get();
    }
    bool operator==(const T* other) const { return m_pointer == other; }
    bool operator==(decltype(nullptr)) const { return m_pointer == nullptr; }

private:
    T* m_pointer { nullptr };
};

// Downcast. The caller guarantees that the object (if any) really is a Target, which the
// kernel establishes by comparing ObjectTypes before it calls this.
template<typename Target, typename Source> RefPtr<Target> static_ref_cast(RefPtr<Source>&& reference)
{
    if (reference.is_null())
        return nullptr;
    // `reference` names a live Source that, by the caller's guarantee, is the Source base
    // of a Target, so the static downcast names that Target; the reference it held moves
    // into the result unchanged.
    return RefPtr<Target>::adopt(static_cast<Target*>(reference.leak_ref()));
}

// Allocates a T with the no-throw heap and returns the only reference to it, or
// OutOfMemory when the allocation fails.
template<typename T, typename... Arguments> Result<RefPtr<T>> try_make_ref_counted(Arguments&&... arguments)
{
    T* object = new (nothrow) T(forward<Arguments>(arguments)...);
    if (!object)
        return ErrorCode::OutOfMemory;
    return RefPtr<T>::adopt(object);
}

} // namespace Core
