#include <Core/NoThrow.h>
#include <Userland/FileSystems/BlockCache.h>

namespace FileSystems {

using Core::ErrorCode;
using Core::u32;
using Core::u64;
using Core::u8;
using Core::usize;

Core::Result<BlockCache*> BlockCache::create(BlockDevice& device, u32 page_count)
{
    u32 block_size = device.block_size();
    if (block_size == 0 || block_size > page_size || page_size % block_size != 0
        || page_count <= read_ahead_pages || device.maximum_transfer() < block_size
        || device.maximum_transfer() % block_size != 0)
        return ErrorCode::InvalidArgument;
    auto* memory = new (Core::nothrow) u8[usize { page_count } * page_size];
    if (!memory)
        return ErrorCode::OutOfMemory;
    auto* cache = new (Core::nothrow) BlockCache(device, page_count, memory);
    if (!cache) {
        delete[] memory;
        return ErrorCode::OutOfMemory;
    }
    // Twice as many buckets as pages keeps the chains short.
    if (cache->m_slots.try_resize(page_count).is_error()
        || cache->m_buckets.try_resize(usize { page_count } * 2, no_slot).is_error()) {
        delete cache;
        return ErrorCode::OutOfMemory;
    }
    return cache;
}

BlockCache::BlockCache(BlockDevice& device, u32 page_count, u8* memory)
    : m_device(device)
    , m_device_size(device.block_count() * device.block_size())
    , m_page_count(page_count)
    , m_memory(memory)
{
}

BlockCache::~BlockCache()
{
    delete[] m_memory;
}

u32 BlockCache::bucket_of(u64 page) const
{
    // Fibonacci hashing spreads neighbouring pages over the buckets.
    return static_cast<u32>((page * 0x9E3779B97F4A7C15ull >> 32) % m_buckets.size());
}

u32 BlockCache::find(u64 page)
{
    for (u32 slot = m_buckets[bucket_of(page)]; slot != no_slot; slot = m_slots[slot].next) {
        if (m_slots[slot].page == page)
            return slot;
    }
    return no_slot;
}

void BlockCache::forget(u32 slot)
{
    u32* link = &m_buckets[bucket_of(m_slots[slot].page)];
    while (*link != slot)
        link = &m_slots[*link].next;
    *link = m_slots[slot].next;
    m_slots[slot].valid = false;
    if (m_slots[slot].dirty) {
        m_slots[slot].dirty = false;
        --m_dirty_pages;
    }
}

Core::Result<u32> BlockCache::take_slot()
{
    // The clock: a slot used since the hand last passed gets a second chance. Two turns at
    // most, since the first clears every mark.
    for (u64 steps = 0; steps < u64 { m_page_count } * 2 + 1; ++steps) {
        u32 slot = m_clock_hand;
        m_clock_hand = (m_clock_hand + 1) % m_page_count;
        if (m_slots[slot].reserved)
            continue;
        if (m_slots[slot].valid && m_slots[slot].referenced) {
            m_slots[slot].referenced = false;
            continue;
        }
        if (m_slots[slot].valid) {
            // A dirty page reaches the device before its memory is reused.
            if (m_slots[slot].dirty)
                TRY(write_pages(&slot, 1));
            forget(slot);
        }
        m_slots[slot].reserved = true;
        return slot;
    }
    // Only when nearly every slot is reserved: a load reserves at most read_ahead_pages and
    // the cache has more.
    return ErrorCode::OutOfMemory;
}

void BlockCache::insert(u32 slot, u64 page)
{
    u32 bucket = bucket_of(page);
    m_slots[slot] = { page, true, true, false, false, m_buckets[bucket] };
    m_buckets[bucket] = slot;
}

Core::Result<u32> BlockCache::load(u64 page)
{
    u64 total_pages = pages_on_device();
    if (page >= total_pages)
        return ErrorCode::OutOfRange;
    // The run to read: this page and the uncached ones after it, as far as read-ahead and
    // one device request go.
    u32 per_request = m_device.maximum_transfer() / page_size;
    if (per_request == 0)
        per_request = 1;
    u32 run = 1;
    while (run < read_ahead_pages && run < per_request && page + run < total_pages
        && find(page + run) == no_slot)
        ++run;
    u32 slots[read_ahead_pages];
    for (u32 index = 0; index < run; ++index) {
        auto taken = take_slot();
        if (taken.is_error()) {
            for (u32 earlier = 0; earlier < index; ++earlier)
                release(slots[earlier]);
            return taken.error();
        }
        slots[index] = taken.value();
    }
    // The slots the clock gave need not be adjacent: read into the first slot's page for a
    // single page, else into a staging buffer once and copy out.
    u32 block_size = m_device.block_size();
    u64 first_byte = page * page_size;
    u64 bytes = u64 { run } * page_size;
    if (first_byte + bytes > m_device_size)
        bytes = m_device_size - first_byte;
    static u8 staging[read_ahead_pages * page_size];
    u8* target = run == 1 ? data(slots[0]) : staging;
    // Whole blocks only: a device whose size is not a multiple of the page size ends in a
    // partial page, whose tail reads as zeros.
    u64 whole = bytes / block_size * block_size;
    ++m_counters.device_reads;
    auto result
        = m_device.read_blocks(first_byte / block_size, Core::Bytes(target, static_cast<usize>(whole)));
    if (result.is_error()) {
        // The slots taken go back free: nothing was cached.
        for (u32 index = 0; index < run; ++index)
            release(slots[index]);
        return result.error();
    }
    __builtin_memset(target + whole, 0, static_cast<usize>(u64 { run } * page_size - whole));
    for (u32 index = 0; index < run; ++index) {
        if (run != 1)
            __builtin_memcpy(data(slots[index]), staging + u64 { index } * page_size, page_size);
        insert(slots[index], page + index);
    }
    return slots[0];
}

Core::Result<void> BlockCache::read(u64 offset, Core::Bytes destination)
{
    if (offset > m_device_size || destination.size() > m_device_size - offset)
        return ErrorCode::OutOfRange;
    usize done = 0;
    while (done < destination.size()) {
        u64 position = offset + done;
        u64 page = position / page_size;
        u32 within = static_cast<u32>(position % page_size);
        u32 slot = find(page);
        if (slot == no_slot) {
            ++m_counters.misses;
            slot = TRY(load(page));
        } else {
            ++m_counters.hits;
            m_slots[slot].referenced = true;
        }
        usize step = page_size - within;
        if (step > destination.size() - done)
            step = destination.size() - done;
        __builtin_memcpy(destination.data() + done, data(slot) + within, step);
        done += step;
    }
    return {};
}

Core::Result<void> BlockCache::write(u64 offset, Core::ReadonlyBytes source)
{
    if (offset > m_device_size || source.size() > m_device_size - offset)
        return ErrorCode::OutOfRange;
    usize done = 0;
    while (done < source.size()) {
        u64 position = offset + done;
        u64 page = position / page_size;
        u32 within = static_cast<u32>(position % page_size);
        usize step = page_size - within;
        if (step > source.size() - done)
            step = source.size() - done;
        u32 slot = find(page);
        if (slot == no_slot) {
            ++m_counters.misses;
            if (step == page_size) {
                // The whole page is replaced: nothing of it needs reading.
                slot = TRY(take_slot());
                insert(slot, page);
            } else {
                slot = TRY(load(page));
            }
        }
        __builtin_memcpy(data(slot) + within, source.data() + done, step);
        m_slots[slot].referenced = true;
        if (!m_slots[slot].dirty) {
            m_slots[slot].dirty = true;
            ++m_dirty_pages;
        }
        done += step;
        if (m_dirty_pages > m_page_count / 2)
            TRY(write_back());
    }
    return {};
}

Core::Result<void> BlockCache::write_pages(const u32* slots, u32 count)
{
    u32 block_size = m_device.block_size();
    u32 per_request = m_device.maximum_transfer() / page_size;
    if (per_request == 0)
        per_request = 1;
    if (per_request > read_ahead_pages)
        per_request = read_ahead_pages;
    static u8 staging[read_ahead_pages * page_size];
    u32 index = 0;
    while (index < count) {
        // A run of consecutive pages, at most one request long.
        u32 run = 1;
        while (index + run < count && run < per_request
            && m_slots[slots[index + run]].page == m_slots[slots[index]].page + run)
            ++run;
        u64 first_byte = m_slots[slots[index]].page * page_size;
        u64 bytes = u64 { run } * page_size;
        if (first_byte + bytes > m_device_size)
            bytes = (m_device_size - first_byte) / block_size * block_size;
        const u8* source = data(slots[index]);
        if (run > 1) {
            for (u32 page = 0; page < run; ++page)
                __builtin_memcpy(staging + u64 { page } * page_size, data(slots[index + page]), page_size);
            source = staging;
        }
        ++m_counters.device_writes;
        TRY(m_device.write_blocks(
            first_byte / block_size, Core::ReadonlyBytes(source, static_cast<usize>(bytes))));
        for (u32 page = 0; page < run; ++page) {
            Slot& written = m_slots[slots[index + page]];
            if (written.dirty) {
                written.dirty = false;
                --m_dirty_pages;
            }
        }
        index += run;
    }
    return {};
}

Core::Result<void> BlockCache::write_back()
{
    if (m_dirty_pages == 0)
        return {};
    Core::Vector<u32> dirty;
    TRY(dirty.try_ensure_capacity(m_dirty_pages));
    for (u32 slot = 0; slot < m_page_count; ++slot) {
        if (m_slots[slot].valid && m_slots[slot].dirty)
            TRY(dirty.try_append(slot));
    }
    // Ascending by page (a shell sort: no recursion, no allocation), so that runs merge and
    // the device sees one sweep.
    usize count = dirty.size();
    for (usize gap = count / 2; gap > 0; gap /= 2) {
        for (usize index = gap; index < count; ++index) {
            u32 moving = dirty[index];
            usize position = index;
            while (position >= gap && m_slots[dirty[position - gap]].page > m_slots[moving].page) {
                dirty[position] = dirty[position - gap];
                position -= gap;
            }
            dirty[position] = moving;
        }
    }
    return write_pages(dirty.data(), static_cast<u32>(count));
}

Core::Result<void> BlockCache::flush()
{
    TRY(write_back());
    return m_device.flush();
}

} // namespace FileSystems
