#pragma once

// A process's handle table: it maps the handle values a process passes to system calls to
// the kernel objects they name and the rights each handle carries. Every system call that
// takes a handle resolves it with lookup<T>(), the one typed, rights-checked lookup.
// docs/abi/handles.md describes the user-visible rules; this comment the mechanism.
//
// Handle values. A value is a slot index in its low `index_bits` (16) bits and that slot's
// generation in the high `generation_bits` (16) bits. Generations run from 1 to
// last_generation (65535), so no value below 2^16, and in particular not 0
// (ABI::invalid_handle), is ever valid. A slot's generation goes up each time its handle
// is closed (or removed for transfer or revoked), so a handle that was closed never matches
// the slot again: using it is BadHandle, even after the slot holds another handle. A slot
// whose generation would wrap is retired instead of reused, so a value, once closed, is
// never handed out again by this table. The index bits bound the table at max_slots
// (65536) slots, live or retired; with 65535 uses per slot, a table hands out at most
// about 2^32 handles in its lifetime, after which add() fails with OutOfRange. Free slots
// are reused oldest first, so a just-closed index is the last to come back.
//
// Errors, always checked in this order, so that a caller learns nothing about an object
// behind a handle it cannot use:
//   1. BadHandle: the value is 0, its index is past the table, its slot is free or retired,
//      or its generation is not the slot's current one (stale or forged);
//   2. WrongType (lookup only): the object is not of the type asked for;
//   3. InvalidArgument (duplicate; add, which takes no handle, reports it first): the
//      rights set unknown bits;
//   4. AccessDenied: the handle lacks a right the operation needs, or a duplicate asks
//      for a right the handle does not have;
//   5. OutOfRange / OutOfMemory (operations that create a handle): the table is at its
//      slot limit / growing it failed. Either way the table is unchanged.
//
// Revocation follows derivation within this table. Each handle made by duplicate()
// remembers the handle it was duplicated from, which makes the handles of one table a
// forest; revoke(handle) closes `handle` and every handle below it. Closing (or
// transferring away) a handle in the middle moves its children up to its parent, so a
// revoke still reaches handles derived through one that is gone. Invariants that hold
// throughout: a handle names the same object as its parent and has a subset of its
// parent's rights. Revocation does not reach across tables: a handle transferred to
// another process leaves this forest (docs/abi/handles.md explains the choice). Revoking
// needs no right: it only closes handles this process could close one by one.
//
// Transfer (the path channels use, M1.6): the sender's table checks each handle with
// check_transfer() (Transfer right), then takes each out with remove_for_transfer(), which
// returns the object and rights as an Entry and frees the slot; the receiver's table
// reserve()s room for all of them and then add()s each, which cannot fail after the
// reservation. Rights travel unchanged; a sender that wants to pass fewer duplicates
// first.
//
// Storage. The slots live in a Core::Vector that grows by doubling, up to the slot limit
// set at creation (at most max_slots); an allocation failure is OutOfMemory, never a
// crash. Slots are never compacted or shrunk (their indices are in handle values); a slot
// is 40 bytes, so a full table is 2.5 MiB.
//
// Costs: lookup, add, duplicate O(1) (add and duplicate amortised: growth copies); close
// and remove_for_transfer O(number of the handle's direct children); revoke O(handles
// closed); close_all O(slots).
//
// Synchronisation: none inside. The owning process keeps its table in a lock-owning
// wrapper and holds the lock around every call, including across the check/remove and
// reserve/add sequences above. Operations that create handles may allocate from the heap
// under that lock. Operations that close handles drop references, and dropping the last
// one runs the object's destructor inside the call (after the table is consistent again);
// an object's destructor must therefore not take the lock of any process's handle table.

#include <ABI/Handle.h>
#include <ABI/Rights.h>
#include <Core/Allocator.h>
#include <Core/Error.h>
#include <Core/Optional.h>
#include <Core/RefPtr.h>
#include <Core/Types.h>
#include <Core/Utility.h>
#include <Core/Vector.h>
#include <Kernel/Objects/KernelObject.h>

namespace Kernel::Objects {

using ABI::HandleValue;
using ABI::Right;
using ABI::Rights;

class HandleTable {
public:
    static constexpr Core::u32 index_bits = 16;
    static constexpr Core::u32 generation_bits = 32 - index_bits;
    static constexpr Core::u32 max_slots = 1u << index_bits;
    static constexpr Core::u32 first_generation = 1;
    static constexpr Core::u32 last_generation = (1u << generation_bits) - 1;

    // A handle taken out of a table: the object and the rights, to be add()ed elsewhere.
    struct Entry {
        Core::RefPtr<KernelObject> object;
        Rights rights;
    };

    // An empty table that will hold at most `slot_limit` slots (1 to max_slots), counting
    // retired ones, and grow its storage from `allocator`. Allocates nothing yet.
    explicit HandleTable(
        Core::u32 slot_limit = max_slots, Core::Allocator& allocator = Core::heap_allocator());
    HandleTable(const HandleTable&) = delete;
    HandleTable& operator=(const HandleTable&) = delete;
    // Closes every handle still open.
    ~HandleTable();

    [[nodiscard]] static constexpr HandleValue encode(Core::u32 index, Core::u32 generation)
    {
        return (generation << index_bits) | index;
    }
    [[nodiscard]] static constexpr Core::u32 index_of(HandleValue handle) { return handle & (max_slots - 1); }
    [[nodiscard]] static constexpr Core::u32 generation_of(HandleValue handle)
    {
        return handle >> index_bits;
    }

    // A new handle to `object` (not null) with `rights`, derived from nothing.
    // InvalidArgument if `rights` sets unknown bits; OutOfRange / OutOfMemory as above.
    [[nodiscard]] Core::Result<HandleValue> add(Core::RefPtr<KernelObject> object, Rights rights);

    // The object behind `handle`, as a T, if the handle carries every right in `required`.
    // Errors in the order BadHandle, WrongType, AccessDenied. T is KernelObject for "any
    // type", or a class derived from TypedKernelObject<T::object_type>.
    template<typename T>
    [[nodiscard]] Core::Result<Core::RefPtr<T>> lookup(HandleValue handle, Rights required) const
    {
        if constexpr (Core::is_same<T, KernelObject>) {
            return lookup_object(handle, {}, required);
        } else {
            static_assert(__is_base_of(TypedKernelObject<T::object_type>, T),
                "lookup<T> needs T to derive from TypedKernelObject<T::object_type>");
            Core::RefPtr<KernelObject> object = TRY(lookup_object(handle, T::object_type, required));
            // lookup_object checked object->type() == T::object_type, and only T derives
            // from TypedKernelObject<T::object_type> (KernelObject.h), so the object is a T.
            return Core::static_ref_cast<T>(Core::move(object));
        }
    }

    // The rights `handle` carries. BadHandle if it is not valid here.
    [[nodiscard]] Core::Result<Rights> rights(HandleValue handle) const;

    // A new handle to the same object with `new_rights`, which must be a subset of the
    // handle's rights; the handle must carry Right::Duplicate. The new handle is derived
    // from `handle` (revoking `handle` closes it too). Errors: BadHandle, InvalidArgument
    // (unknown bits), AccessDenied (no Duplicate right, or `new_rights` would widen),
    // OutOfRange / OutOfMemory.
    [[nodiscard]] Core::Result<HandleValue> duplicate(HandleValue handle, Rights new_rights);

    // Closes `handle`. Handles derived from it stay open and move up to its parent.
    // BadHandle if it is not valid here.
    [[nodiscard]] Core::Result<void> close(HandleValue handle);

    // Closes `handle` and every handle derived from it, directly or through others, in
    // this table; returns how many handles were closed. BadHandle if it is not valid here.
    [[nodiscard]] Core::Result<Core::u32> revoke(HandleValue handle);

    // What remove_for_transfer(handle) would report, without removing anything:
    // BadHandle, or AccessDenied if the handle lacks Right::Transfer.
    [[nodiscard]] Core::Result<void> check_transfer(HandleValue handle) const;

    // Takes `handle` out of this table for a channel to carry: frees its slot (as close()
    // does; derived handles move up) and returns its object and rights. Errors as
    // check_transfer().
    [[nodiscard]] Core::Result<Entry> remove_for_transfer(HandleValue handle);

    // Makes sure the next `handle_count` handles created here (by add or duplicate) find
    // a slot without allocating, so they cannot fail with OutOfRange or OutOfMemory as
    // long as nothing else uses the table in between. OutOfRange if the slot limit leaves
    // no room for them, OutOfMemory if growing fails; the table is unchanged either way.
    [[nodiscard]] Core::Result<void> reserve(Core::u32 handle_count);

    // Closes every handle (process exit). The table stays usable, and the closed values
    // stay invalid.
    void close_all();

    [[nodiscard]] Core::u32 handle_count() const { return m_live_count; }
    [[nodiscard]] Core::u32 slot_count() const { return static_cast<Core::u32>(m_slots.size()); }
    [[nodiscard]] Core::u32 slot_capacity() const { return static_cast<Core::u32>(m_slots.capacity()); }
    [[nodiscard]] Core::u32 retired_slot_count() const { return m_retired_count; }
    [[nodiscard]] Core::u32 slot_limit() const { return m_slot_limit; }

    // Checks every structural invariant (counts, the free list, the derivation forest,
    // rights and objects shared along it). O(slots * depth); for tests and fuzzers.
    [[nodiscard]] bool check_consistency() const;

private:
    // Not a slot index (indices are below max_slots): the end of a list, or no parent.
    static constexpr Core::u32 no_slot = 0xFFFF'FFFF;
    // A retired slot's generation. No handle value carries it, since valid generations
    // start at first_generation.
    static constexpr Core::u32 retired_generation = 0;
    // The first growth makes room for this many slots.
    static constexpr Core::u32 initial_slot_capacity = 16;

    // A slot is live (object set), free (on the free list, generation is the next handle's)
    // or retired (generation retired_generation, never used again). The tree links are
    // slot indices, which stay right when the storage moves, and are only set on live
    // slots.
    struct Slot {
        Core::RefPtr<KernelObject> object;
        Rights rights;
        Core::u32 generation { first_generation };
        Core::u32 parent { no_slot };
        Core::u32 first_child { no_slot };
        Core::u32 previous_sibling { no_slot };
        Core::u32 next_sibling { no_slot };
        Core::u32 next_free { no_slot };
    };

    // Both inline: every system call that takes a handle goes through them.
    [[nodiscard]] Core::Result<Core::u32> live_index(HandleValue handle) const
    {
        Core::u32 index = index_of(handle);
        if (index >= m_slots.size())
            return Core::ErrorCode::BadHandle;
        const Slot& slot = m_slots[index];
        // A free or retired slot has no object; a stale or forged value has another
        // generation (and a value of 0 has generation 0, which no slot ever holds while live).
        if (!slot.object || slot.generation != generation_of(handle))
            return Core::ErrorCode::BadHandle;
        return index;
    }
    [[nodiscard]] Core::Result<Core::RefPtr<KernelObject>> lookup_object(
        HandleValue handle, Core::Optional<ObjectType> expected_type, Rights required) const
    {
        Core::u32 index = TRY(live_index(handle));
        const Slot& slot = m_slots[index];
        if (expected_type.has_value() && slot.object->type() != expected_type.value())
            return Core::ErrorCode::WrongType;
        if (!slot.rights.contains(required))
            return Core::ErrorCode::AccessDenied;
        return slot.object;
    }
    [[nodiscard]] Core::Result<Core::u32> acquire_slot();
    // Frees a live slot and returns its reference, for the caller to drop once the table
    // is consistent.
    [[nodiscard]] Core::RefPtr<KernelObject> release_slot(Core::u32 index);
    [[nodiscard]] HandleValue occupy_slot(Core::u32 index, Core::RefPtr<KernelObject> object, Rights rights);
    void link_child(Core::u32 parent, Core::u32 child);
    void unlink_from_parent(Core::u32 index);
    void push_free(Core::u32 index);
    [[nodiscard]] Core::u32 pop_free();
    [[nodiscard]] bool check_slot_links(Core::u32 index) const;
    [[nodiscard]] bool check_free_list() const;

    Core::Vector<Slot> m_slots;
    Core::u32 m_slot_limit;
    Core::u32 m_live_count { 0 };
    Core::u32 m_free_count { 0 };
    Core::u32 m_retired_count { 0 };
    // The free list, oldest first.
    Core::u32 m_free_head { no_slot };
    Core::u32 m_free_tail { no_slot };
};

} // namespace Kernel::Objects
