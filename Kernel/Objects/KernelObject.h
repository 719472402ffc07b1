#pragma once

// The base of every object a handle can name. Objects are reference counted: each handle
// holds one reference, and so may the kernel itself (a thread on a run queue, a timer that
// is armed). The object is destroyed when the last reference goes, which for an object
// only user space knows about is when its last handle is closed.
//
// The kernel has no RTTI, so an object says what it is through type(), and a typed handle
// lookup compares that with what the caller expects before it downcasts. Concrete objects
// derive from TypedKernelObject<Type>, which sets the type (a field, so that every system
// call's lookup reads it without a virtual call) and publishes the same value as
// `object_type` for the lookup, so the two cannot disagree. Exactly one class may
// derive from each TypedKernelObject<Type>; HandleTable::lookup<T> relies on it when it
// downcasts an object of type T::object_type to T.
//
// Objects that can be waited for (events, timers, interrupts) embed Signals and return it
// from signals(); object_wait reaches every such object through it. The rest return null,
// and object_wait on them is NotSupported.

#include <ABI/ObjectType.h>
#include <Core/RefCounted.h>

namespace Kernel::Objects {

using ABI::ObjectType;

class Signals;

class KernelObject : public Core::RefCounted<KernelObject> {
public:
    // Virtual, so that the last unref, which deletes through KernelObject*, runs the
    // concrete object's destructor.
    virtual ~KernelObject() = default;

    [[nodiscard]] ObjectType type() const { return m_type; }

    // The object's signals, or null for an object that has none. The object owns them:
    // they live as long as it does.
    [[nodiscard]] virtual Signals* signals() { return nullptr; }

protected:
    explicit KernelObject(ObjectType type)
        : m_type(type)
    {
    }

private:
    const ObjectType m_type;
};

template<ObjectType Type> class TypedKernelObject : public KernelObject {
public:
    static constexpr ObjectType object_type = Type;

protected:
    TypedKernelObject()
        : KernelObject(Type)
    {
    }
};

} // namespace Kernel::Objects
