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
        || page_count < read_ahead_pages || device.maximum_transfer() < block_size
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

u32 BlockCache::take_slot()
{
    // The clock: a slot used since the hand last passed gets a second chance. Two turns at
    // most, since the first clears every mark.
    for (u64 steps = 0; steps < u64 { m_page_count } * 2 + 1; ++steps) {
        u32 slot = m_clock_hand;
        m_clock_hand = (m_clock_hand + 1) % m_page_count;
        if (m_slots[slot].valid && m_slots[slot].referenced) {
            m_slots[slot].referenced = false;
            continue;
        }
        if (m_slots[slot].valid) {
            u32* link = &m_buckets[bucket_of(m_slots[slot].page)];
            while (*link != slot)
                link = &m_slots[*link].next;
            *link = m_slots[slot].next;
            m_slots[slot].valid = false;
        }
        return slot;
    }
    return m_clock_hand;
}

void BlockCache::insert(u32 slot, u64 page)
{
    u32 bucket = bucket_of(page);
    m_slots[slot] = { page, true, true, m_buckets[bucket] };
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
    for (u32 index = 0; index < run; ++index)
        slots[index] = take_slot();
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
        // The slots taken stay free (not valid): nothing was cached.
        return result.error();
    }
    for (u64 index = whole; index < u64 { run } * page_size; ++index)
        target[index] = 0;
    for (u32 index = 0; index < run; ++index) {
        if (run != 1) {
            u8* destination = data(slots[index]);
            for (u32 byte = 0; byte < page_size; ++byte)
                destination[byte] = staging[u64 { index } * page_size + byte];
        }
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
        const u8* source = data(slot) + within;
        for (usize index = 0; index < step; ++index)
            destination[done + index] = source[index];
        done += step;
    }
    return {};
}

Core::Result<void> BlockCache::write(u64 offset, Core::ReadonlyBytes source)
{
    if (offset > m_device_size || source.size() > m_device_size - offset)
        return ErrorCode::OutOfRange;
    u32 block_size = m_device.block_size();
    usize done = 0;
    while (done < source.size()) {
        u64 position = offset + done;
        u64 page = position / page_size;
        u32 within = static_cast<u32>(position % page_size);
        usize step = page_size - within;
        if (step > source.size() - done)
            step = source.size() - done;
        // The blocks the bytes touch, whole: a partial block needs its other bytes, which
        // the cached page has (a miss loads it first).
        u32 slot = find(page);
        bool whole_blocks = within % block_size == 0 && step % block_size == 0;
        if (slot == no_slot && !whole_blocks) {
            ++m_counters.misses;
            slot = TRY(load(page));
        }
        if (slot == no_slot) {
            slot = take_slot();
            // The page's other blocks are unknown: the slot holds only this write until it
            // is complete, so it is not cached unless the write covers the whole page.
        }
        u8* page_data = data(slot);
        for (usize index = 0; index < step; ++index)
            page_data[within + index] = source[done + index];
        u32 first_block_byte = within / block_size * block_size;
        u32 end_byte = static_cast<u32>((within + step + block_size - 1) / block_size * block_size);
        u64 page_start = page * page_size;
        if (page_start + end_byte > m_device_size)
            end_byte = static_cast<u32>(m_device_size - page_start);
        ++m_counters.device_writes;
        auto written = m_device.write_blocks((page_start + first_block_byte) / block_size,
            Core::ReadonlyBytes(page_data + first_block_byte, end_byte - first_block_byte));
        bool cached = m_slots[slot].valid;
        if (written.is_error()) {
            // What the device holds is unknown now: the page is forgotten.
            if (cached) {
                u32* link = &m_buckets[bucket_of(page)];
                while (*link != slot)
                    link = &m_slots[*link].next;
                *link = m_slots[slot].next;
                m_slots[slot].valid = false;
            }
            return written.error();
        }
        if (cached)
            m_slots[slot].referenced = true;
        else if (within == 0 && step == page_size)
            insert(slot, page);
        done += step;
    }
    return {};
}

} // namespace FileSystems
