#include <Core/Assertions.h>
#include <Kernel/Scheduling/EdfQueue.h>

namespace Kernel::Scheduling {

void EdfQueue::insert(EdfEntity& entity, Core::u64 deadline_ns)
{
    VERIFY(entity.m_queue == nullptr);
    entity.m_deadline_ns = deadline_ns;
    // 2^64 insertions would take centuries at any plausible wake-up rate, so the sequence
    // never wraps and FIFO order among equal deadlines holds for the queue's lifetime.
    entity.m_sequence = m_next_sequence++;
    entity.m_first_child = nullptr;
    entity.m_next_sibling = nullptr;
    entity.m_previous = nullptr;
    entity.m_queue = this;
    m_root = meld(m_root, &entity);
    ++m_count;
}

bool EdfQueue::remove(EdfEntity& entity)
{
    if (entity.m_queue == nullptr)
        return false;
    VERIFY(entity.m_queue == this);

    if (&entity == m_root) {
        m_root = merge_siblings(entity.m_first_child);
    } else {
        // Cut the entity's subtree out of its sibling list. m_previous is the parent exactly
        // when the entity is that node's first child.
        EdfEntity& previous = *entity.m_previous;
        if (previous.m_first_child == &entity)
            previous.m_first_child = entity.m_next_sibling;
        else
            previous.m_next_sibling = entity.m_next_sibling;
        if (entity.m_next_sibling != nullptr)
            entity.m_next_sibling->m_previous = &previous;
        // Its children keep the heap order among themselves and relative to the root.
        m_root = meld(m_root, merge_siblings(entity.m_first_child));
    }

    entity.m_first_child = nullptr;
    entity.m_next_sibling = nullptr;
    entity.m_previous = nullptr;
    entity.m_queue = nullptr;
    --m_count;
    return true;
}

EdfEntity* EdfQueue::pop_earliest()
{
    EdfEntity* earliest_entity = m_root;
    if (earliest_entity != nullptr)
        remove(*earliest_entity);
    return earliest_entity;
}

bool EdfQueue::runs_before(const EdfEntity& first, const EdfEntity& second)
{
    if (first.m_deadline_ns != second.m_deadline_ns)
        return first.m_deadline_ns < second.m_deadline_ns;
    return first.m_sequence < second.m_sequence;
}

// Joins two heaps whose roots have no siblings and no parent; returns the new root.
EdfEntity* EdfQueue::meld(EdfEntity* first, EdfEntity* second)
{
    if (first == nullptr)
        return second;
    if (second == nullptr)
        return first;
    if (runs_before(*second, *first)) {
        EdfEntity* swapped = first;
        first = second;
        second = swapped;
    }
    // The later root becomes the first child of the earlier one.
    second->m_previous = first;
    second->m_next_sibling = first->m_first_child;
    if (first->m_first_child != nullptr)
        first->m_first_child->m_previous = second;
    first->m_first_child = second;
    return first;
}

// The standard two-pass merge of a sibling list into one heap: meld neighbours in pairs left
// to right, then meld the pairs right to left. The two passes are what give the pairing
// heap its O(log n) amortized removal; melding the list in one pass would degrade to O(n).
EdfEntity* EdfQueue::merge_siblings(EdfEntity* first_sibling)
{
    // First pass. Each melded pair is pushed on a stack linked through m_next_sibling (free
    // on a root), so the second pass finds the pairs in reverse order without any storage.
    EdfEntity* pair_stack = nullptr;
    EdfEntity* next = first_sibling;
    while (next != nullptr) {
        EdfEntity* left = next;
        EdfEntity* right = left->m_next_sibling;
        next = right != nullptr ? right->m_next_sibling : nullptr;
        left->m_next_sibling = nullptr;
        left->m_previous = nullptr;
        if (right != nullptr) {
            right->m_next_sibling = nullptr;
            right->m_previous = nullptr;
        }
        EdfEntity* pair = meld(left, right);
        pair->m_next_sibling = pair_stack;
        pair_stack = pair;
    }

    // Second pass, from the last pair back to the first.
    EdfEntity* merged = nullptr;
    while (pair_stack != nullptr) {
        EdfEntity* pair = pair_stack;
        pair_stack = pair->m_next_sibling;
        pair->m_next_sibling = nullptr;
        merged = meld(merged, pair);
    }
    return merged;
}

} // namespace Kernel::Scheduling
