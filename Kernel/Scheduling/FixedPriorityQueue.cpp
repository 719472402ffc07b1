#include <Core/Assertions.h>
#include <Kernel/Scheduling/FixedPriorityQueue.h>

namespace Kernel::Scheduling {

void FixedPriorityQueue::enqueue(FixedPriorityEntity& entity, Core::u32 priority)
{
    insert(entity, priority, false);
}

void FixedPriorityQueue::enqueue_front(FixedPriorityEntity& entity, Core::u32 priority)
{
    insert(entity, priority, true);
}

void FixedPriorityQueue::dequeue(FixedPriorityEntity& entity)
{
    Core::u32 priority = entity.m_queued_priority;
    Level& level = level_holding(entity);
    level.remove(entity);
    entity.m_queued_priority = 0;
    --m_count;
    if (level.is_empty())
        mark_empty(priority);
}

FixedPriorityEntity* FixedPriorityQueue::highest() const
{
    Core::u32 priority = highest_priority();
    if (priority == 0)
        return nullptr;
    return m_levels[priority].first();
}

Core::u32 FixedPriorityQueue::highest_priority() const
{
    // Search the upper word first: its levels are all above the lower word's. The highest set
    // bit of a non-zero word is 63 minus its count of leading zeros (undefined for zero, hence
    // the checks).
    for (Core::u32 word_index = bitmap_word_count; word_index > 0; --word_index) {
        Core::u64 word = m_non_empty_levels[word_index - 1];
        if (word != 0)
            return (word_index - 1) * bits_per_word + (bits_per_word - 1)
                - static_cast<Core::u32>(__builtin_clzll(word));
    }
    return 0;
}

void FixedPriorityQueue::rotate(FixedPriorityEntity& entity)
{
    Level& level = level_holding(entity);
    if (level.last() == &entity)
        return;
    level.remove(entity);
    level.push_back(entity);
}

void FixedPriorityQueue::insert(FixedPriorityEntity& entity, Core::u32 priority, bool at_front)
{
    VERIFY(is_valid_fixed_priority_level(priority));
    VERIFY(!entity.is_queued());
    Level& level = m_levels[priority];
    if (at_front)
        level.push_front(entity);
    else
        level.push_back(entity);
    entity.m_queued_priority = priority;
    ++m_count;
    mark_non_empty(priority);
}

FixedPriorityQueue::Level& FixedPriorityQueue::level_holding(FixedPriorityEntity& entity)
{
    Core::u32 priority = entity.m_queued_priority;
    VERIFY(is_valid_fixed_priority_level(priority));
    Level& level = m_levels[priority];
    // The entity records only its level, not its queue: an entity queued at the same level of
    // another CPU's queue is caught here.
    VERIFY(level.contains(entity));
    return level;
}

void FixedPriorityQueue::mark_non_empty(Core::u32 priority)
{
    m_non_empty_levels[priority / bits_per_word] |= Core::u64(1) << (priority % bits_per_word);
}

void FixedPriorityQueue::mark_empty(Core::u32 priority)
{
    m_non_empty_levels[priority / bits_per_word] &= ~(Core::u64(1) << (priority % bits_per_word));
}

} // namespace Kernel::Scheduling
