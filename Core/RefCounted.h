#pragma once

// Intrusive, atomic reference counting. An object that derives from RefCounted<T> carries
// its own count, so a reference (Core::RefPtr) is one pointer wide and taking one never
// allocates, which handle tables and channels need: they hand out references under locks
// that must not allocate.
//
//   class Event final : public Core::RefCounted<Event> { ... };
//   auto event = TRY(Core::try_make_ref_counted<Event>());   // count 1, held by `event`
//
// The rules:
//   - a new object starts with a count of one: the creator's reference, which
//     RefPtr<T>::adopt (or try_make_ref_counted) takes over;
//   - only a holder of a reference may take another, so the count never rises from zero:
//     an object whose count reached zero is being destroyed and cannot be revived;
//   - the unref() that takes the count to zero destroys the object, and nothing else may
//     (the destructor checks that the count is zero).
//
// Deletion is `delete static_cast<T*>(this)`, not a virtual "destroy" hook: it costs a
// plain type nothing, and it is still right for a hierarchy when the count is rooted at the
// base (class Base : public RefCounted<Base>) and Base has a virtual destructor, as
// KernelObject does; the delete then runs the most-derived destructor and frees the whole
// allocation. unref() refuses (static_assert) a T that is neither final nor virtually
// destructible, the case where that delete would destroy only part of the object. A type
// that must do more when its last reference goes (leave a registry, say) does it in its
// destructor.
//
// Memory order: increments are relaxed, because whoever takes a reference already holds
// one and so already sees the object. The decrement is acquire-release: every write made
// through any reference happens before the destructor that follows the last one.

#include <Core/Assertions.h>
#include <Core/Types.h>

namespace Core {

template<typename T> class RefCounted {
public:
    RefCounted(const RefCounted&) = delete;
    RefCounted& operator=(const RefCounted&) = delete;

    // Takes one more reference; the caller must already hold one.
    void ref() const
    {
        u64 previous = __atomic_fetch_add(&m_reference_count, 1, __ATOMIC_RELAXED);
        // Zero means the object is already being destroyed. The count cannot wrap: every
        // reference occupies at least a pointer's worth of memory, far fewer than 2^64.
        VERIFY(previous != 0);
    }

    // Takes a reference unless the count has reached zero (the object is being destroyed);
    // returns whether it did. For registries that list objects without owning them: the
    // object leaves the registry in its destructor, under the registry's lock, so a lookup
    // under that lock finds the memory intact, and this tells it whether it may keep it.
    [[nodiscard]] bool try_ref() const
    {
        u64 count = __atomic_load_n(&m_reference_count, __ATOMIC_RELAXED);
        while (count != 0) {
            if (__atomic_compare_exchange_n(
                    &m_reference_count, &count, count + 1, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
                return true;
        }
        return false;
    }

    // Drops one reference and destroys the object when it was the last; returns whether
    // it was. The caller must not touch the object afterwards either way: another holder
    // may drop the last reference at any moment.
    bool unref() const
    {
        static_assert(__is_base_of(RefCounted, T), "RefCounted<T> must be a base of T");
        static_assert(__is_final(T) || __has_virtual_destructor(T),
            "deleting through T must destroy the whole object: make T final or its destructor virtual");
        u64 previous = __atomic_fetch_sub(&m_reference_count, 1, __ATOMIC_ACQ_REL);
        VERIFY(previous != 0);
        if (previous != 1)
            return false;
        // The count reached zero, and since only a holder may take a reference, no other
        // reference exists or can appear: this is the one path that frees the object. By
        // the CRTP contract `this` is the RefCounted<T> base of a T that was allocated with
        // new, so the cast names that T and delete frees the allocation it came from.
        delete static_cast<const T*>(this);
        return true;
    }

    // A snapshot, for tests and assertions; it may be stale by the time it is read.
    [[nodiscard]] u64 reference_count() const
    {
        return __atomic_load_n(&m_reference_count, __ATOMIC_RELAXED);
    }

protected:
    RefCounted() = default;
    ~RefCounted()
    {
        // Only the last unref() may destroy the object; a plain `delete` of an object that
        // is still referenced would leave its holders pointing at freed memory.
        VERIFY(__atomic_load_n(&m_reference_count, __ATOMIC_RELAXED) == 0);
    }

private:
    mutable u64 m_reference_count { 1 };
};

} // namespace Core
