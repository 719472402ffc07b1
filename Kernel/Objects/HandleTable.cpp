#include <Core/Assertions.h>
#include <Kernel/Objects/HandleTable.h>

namespace Kernel::Objects {

using Core::ErrorCode;
using Core::u32;

HandleTable::HandleTable(u32 slot_limit, Core::Allocator& allocator)
    : m_slots(allocator)
    , m_slot_limit(slot_limit)
{
    static_assert(sizeof(Slot) <= 40, "HandleTable.h quotes 40 bytes a slot");
    static_assert(encode(max_slots - 1, last_generation) == 0xFFFF'FFFF);
    static_assert(encode(0, first_generation) != ABI::invalid_handle);
    VERIFY(slot_limit >= 1 && slot_limit <= max_slots);
}

HandleTable::~HandleTable()
{
    close_all();
}

Core::Result<HandleValue> HandleTable::add(Core::RefPtr<KernelObject> object, Rights rights)
{
    VERIFY(object);
    if (!rights.is_valid())
        return ErrorCode::InvalidArgument;
    u32 index = TRY(acquire_slot());
    return occupy_slot(index, Core::move(object), rights);
}

Core::Result<Rights> HandleTable::rights(HandleValue handle) const
{
    u32 index = TRY(live_index(handle));
    return m_slots[index].rights;
}

Core::Result<HandleValue> HandleTable::duplicate(HandleValue handle, Rights new_rights)
{
    u32 source = TRY(live_index(handle));
    if (!new_rights.is_valid())
        return ErrorCode::InvalidArgument;
    Rights source_rights = m_slots[source].rights;
    if (!source_rights.contains(Right::Duplicate) || !new_rights.is_subset_of(source_rights))
        return ErrorCode::AccessDenied;
    u32 index = TRY(acquire_slot());
    // acquire_slot may have moved the slots, so the source is found again by index.
    HandleValue duplicated = occupy_slot(index, m_slots[source].object, new_rights);
    link_child(source, index);
    return duplicated;
}

Core::Result<void> HandleTable::close(HandleValue handle)
{
    u32 index = TRY(live_index(handle));
    // Held until the return, so that the object's destructor (if this was its last
    // reference) runs with the table already consistent.
    Core::RefPtr<KernelObject> released = release_slot(index);
    return {};
}

Core::Result<u32> HandleTable::revoke(HandleValue handle)
{
    u32 root = TRY(live_index(handle));
    // Post-order walk over the subtree, closing leaves first so that no close has
    // children to move: descend to a leaf, close it, go back to its parent, repeat until
    // the root itself is the leaf. Each step leaves the table consistent, so the objects'
    // destructors may run between steps.
    u32 closed = 0;
    u32 current = root;
    while (true) {
        while (m_slots[current].first_child != no_slot)
            current = m_slots[current].first_child;
        u32 parent = m_slots[current].parent;
        bool reached_root = current == root;
        release_slot(current).clear();
        ++closed;
        if (reached_root)
            return closed;
        current = parent;
    }
}

Core::Result<void> HandleTable::check_transfer(HandleValue handle) const
{
    u32 index = TRY(live_index(handle));
    if (!m_slots[index].rights.contains(Right::Transfer))
        return ErrorCode::AccessDenied;
    return {};
}

Core::Result<HandleTable::Entry> HandleTable::remove_for_transfer(HandleValue handle)
{
    TRY(check_transfer(handle));
    u32 index = index_of(handle);
    Rights rights = m_slots[index].rights;
    return Entry { release_slot(index), rights };
}

Core::Result<void> HandleTable::reserve(u32 handle_count)
{
    u32 from_free_list = Core::min(handle_count, m_free_count);
    u32 new_slots = handle_count - from_free_list;
    u32 slot_room = m_slot_limit - slot_count();
    if (new_slots > slot_room)
        return ErrorCode::OutOfRange;
    return m_slots.try_ensure_capacity(m_slots.size() + new_slots);
}

void HandleTable::close_all()
{
    // Everything goes, so the forest is dissolved first: no close then has children to
    // move, which keeps this O(slots) whatever shape the forest had.
    for (Slot& slot : m_slots) {
        slot.parent = no_slot;
        slot.first_child = no_slot;
        slot.previous_sibling = no_slot;
        slot.next_sibling = no_slot;
    }
    for (u32 index = 0; index < slot_count(); ++index) {
        if (m_slots[index].object)
            release_slot(index).clear();
    }
}

Core::Result<u32> HandleTable::acquire_slot()
{
    if (m_free_head != no_slot)
        return pop_free();
    if (slot_count() >= m_slot_limit)
        return ErrorCode::OutOfRange;
    if (m_slots.size() == m_slots.capacity()) {
        // Doubling, but never past the limit: the slots beyond it could never be used.
        Core::usize grown = Core::max<Core::usize>(m_slots.capacity() * 2, initial_slot_capacity);
        TRY(m_slots.try_ensure_capacity(Core::min<Core::usize>(grown, m_slot_limit)));
    }
    // Within the capacity just ensured, so this append does not allocate.
    TRY(m_slots.try_append(Slot {}));
    return slot_count() - 1;
}

HandleValue HandleTable::occupy_slot(u32 index, Core::RefPtr<KernelObject> object, Rights rights)
{
    Slot& slot = m_slots[index];
    VERIFY(!slot.object && slot.generation != retired_generation);
    slot.object = Core::move(object);
    slot.rights = rights;
    ++m_live_count;
    return encode(index, slot.generation);
}

Core::RefPtr<KernelObject> HandleTable::release_slot(u32 index)
{
    Slot& slot = m_slots[index];
    VERIFY(slot.object);
    // The children move up to this slot's parent (or become roots), keeping what they
    // were derived from within reach of a revoke.
    u32 new_parent = slot.parent;
    u32 child = slot.first_child;
    while (child != no_slot) {
        Slot& child_slot = m_slots[child];
        u32 next_child = child_slot.next_sibling;
        child_slot.parent = no_slot;
        child_slot.previous_sibling = no_slot;
        child_slot.next_sibling = no_slot;
        if (new_parent != no_slot)
            link_child(new_parent, child);
        child = next_child;
    }
    slot.first_child = no_slot;
    unlink_from_parent(index);

    Core::RefPtr<KernelObject> object = Core::move(slot.object);
    slot.rights = {};
    --m_live_count;
    if (slot.generation == last_generation) {
        // One more close would wrap the generation and let an old value match again.
        slot.generation = retired_generation;
        ++m_retired_count;
    } else {
        ++slot.generation;
        push_free(index);
    }
    return object;
}

void HandleTable::link_child(u32 parent, u32 child)
{
    Slot& parent_slot = m_slots[parent];
    Slot& child_slot = m_slots[child];
    child_slot.parent = parent;
    child_slot.previous_sibling = no_slot;
    child_slot.next_sibling = parent_slot.first_child;
    if (parent_slot.first_child != no_slot)
        m_slots[parent_slot.first_child].previous_sibling = child;
    parent_slot.first_child = child;
}

void HandleTable::unlink_from_parent(u32 index)
{
    Slot& slot = m_slots[index];
    if (slot.parent == no_slot)
        return;
    if (slot.previous_sibling != no_slot)
        m_slots[slot.previous_sibling].next_sibling = slot.next_sibling;
    else
        m_slots[slot.parent].first_child = slot.next_sibling;
    if (slot.next_sibling != no_slot)
        m_slots[slot.next_sibling].previous_sibling = slot.previous_sibling;
    slot.parent = no_slot;
    slot.previous_sibling = no_slot;
    slot.next_sibling = no_slot;
}

void HandleTable::push_free(u32 index)
{
    m_slots[index].next_free = no_slot;
    if (m_free_tail != no_slot)
        m_slots[m_free_tail].next_free = index;
    else
        m_free_head = index;
    m_free_tail = index;
    ++m_free_count;
}

u32 HandleTable::pop_free()
{
    u32 index = m_free_head;
    VERIFY(index != no_slot);
    m_free_head = m_slots[index].next_free;
    if (m_free_head == no_slot)
        m_free_tail = no_slot;
    m_slots[index].next_free = no_slot;
    --m_free_count;
    return index;
}

bool HandleTable::check_consistency() const
{
    if (slot_count() > m_slot_limit)
        return false;
    u32 live = 0;
    u32 free = 0;
    u32 retired = 0;
    for (u32 index = 0; index < slot_count(); ++index) {
        const Slot& slot = m_slots[index];
        bool unlinked = slot.parent == no_slot && slot.first_child == no_slot
            && slot.previous_sibling == no_slot && slot.next_sibling == no_slot;
        if (slot.generation == retired_generation) {
            ++retired;
            if (slot.object || !slot.rights.is_empty() || !unlinked || slot.next_free != no_slot)
                return false;
        } else if (slot.generation > last_generation) {
            return false;
        } else if (!slot.object) {
            ++free;
            if (!slot.rights.is_empty() || !unlinked)
                return false;
        } else {
            ++live;
            if (!slot.rights.is_valid() || slot.next_free != no_slot || !check_slot_links(index))
                return false;
        }
    }
    return live == m_live_count && free == m_free_count && retired == m_retired_count && check_free_list();
}

bool HandleTable::check_slot_links(u32 index) const
{
    auto is_live_index
        = [this](u32 candidate) { return candidate < slot_count() && m_slots[candidate].object; };
    const Slot& slot = m_slots[index];
    if (slot.parent == no_slot) {
        // Roots are on no sibling list.
        if (slot.previous_sibling != no_slot || slot.next_sibling != no_slot)
            return false;
    } else {
        if (!is_live_index(slot.parent))
            return false;
        const Slot& parent = m_slots[slot.parent];
        if (parent.object != slot.object || !slot.rights.is_subset_of(parent.rights))
            return false;
        if (slot.previous_sibling == no_slot && parent.first_child != index)
            return false;
    }
    if (slot.previous_sibling != no_slot) {
        if (!is_live_index(slot.previous_sibling))
            return false;
        const Slot& previous = m_slots[slot.previous_sibling];
        if (previous.next_sibling != index || previous.parent != slot.parent)
            return false;
    }
    if (slot.next_sibling != no_slot) {
        if (!is_live_index(slot.next_sibling))
            return false;
        const Slot& next = m_slots[slot.next_sibling];
        if (next.previous_sibling != index || next.parent != slot.parent)
            return false;
    }
    if (slot.first_child != no_slot) {
        if (!is_live_index(slot.first_child))
            return false;
        const Slot& child = m_slots[slot.first_child];
        if (child.parent != index || child.previous_sibling != no_slot)
            return false;
    }
    // The parent chain ends: more steps than there are slots would mean a cycle.
    u32 steps = 0;
    for (u32 ancestor = slot.parent; ancestor != no_slot; ancestor = m_slots[ancestor].parent) {
        if (++steps > slot_count() || !is_live_index(ancestor))
            return false;
    }
    return true;
}

bool HandleTable::check_free_list() const
{
    u32 visited = 0;
    u32 last = no_slot;
    for (u32 index = m_free_head; index != no_slot; index = m_slots[index].next_free) {
        // A list longer than the free count has a cycle or holds a slot that is not free.
        if (++visited > m_free_count || index >= slot_count())
            return false;
        const Slot& slot = m_slots[index];
        if (slot.object || slot.generation == retired_generation)
            return false;
        last = index;
    }
    return visited == m_free_count && last == m_free_tail;
}

} // namespace Kernel::Objects
