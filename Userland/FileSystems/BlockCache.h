#pragma once

// The page cache of a disk file system service (docs/filesystems.md#the-page-cache): the
// device's bytes in 4 KiB pages, kept in memory and shared by every file of the volume, so
// that data read once (a file, a directory, an inode table block) is served again without
// the driver. Reads of pages not cached fetch them, and the pages after them (read-ahead),
// in as few device requests as the transfer limit allows.
//
// Writes go into the cached pages and mark them dirty; write_back() sends every dirty page
// to the device, in ascending order, consecutive pages merged into one request, and flush()
// does that and then empties the device's own cache. Before flush() returns, everything
// written before it is on stable storage: that is what fsync, sync and unmounting call. A
// dirty page the clock chooses to reuse is written back first, and write() writes back on
// its own when half the cache is dirty.
//
// Pure (a BlockDevice underneath), so host tests run it against a disk image.

#include <Core/Error.h>
#include <Core/Span.h>
#include <Core/Types.h>
#include <Core/Vector.h>
#include <Userland/FileSystems/BlockSource.h>

namespace FileSystems {

class BlockDevice {
public:
    virtual ~BlockDevice() = default;
    [[nodiscard]] virtual Core::u32 block_size() const = 0;
    [[nodiscard]] virtual Core::u64 block_count() const = 0;
    // The most bytes one request moves (a multiple of the block size).
    [[nodiscard]] virtual Core::u32 maximum_transfer() const = 0;
    [[nodiscard]] virtual Core::Result<void> read_blocks(Core::u64 first, Core::Bytes destination) = 0;
    [[nodiscard]] virtual Core::Result<void> write_blocks(Core::u64 first, Core::ReadonlyBytes source) = 0;
    [[nodiscard]] virtual Core::Result<void> flush() = 0;
};

class BlockCache final : public BlockSource {
public:
    static constexpr Core::u32 page_size = 4096;
    // How many pages a miss reads at once, when they are not cached yet.
    static constexpr Core::u32 read_ahead_pages = 8;

    // A cache of `page_count` pages (more than read_ahead_pages) over `device`, whose block
    // size must divide the page size.
    [[nodiscard]] static Core::Result<BlockCache*> create(BlockDevice& device, Core::u32 page_count);
    ~BlockCache() override;

    [[nodiscard]] Core::Result<void> read(Core::u64 offset, Core::Bytes destination) override;
    [[nodiscard]] Core::Result<void> write(Core::u64 offset, Core::ReadonlyBytes source) override;
    // Every dirty page to the device (not flushed from the device's cache).
    [[nodiscard]] Core::Result<void> write_back();
    // write_back(), then the device's cache emptied: all written so far is stable.
    [[nodiscard]] Core::Result<void> flush();
    [[nodiscard]] Core::u32 dirty_pages() const { return m_dirty_pages; }

    [[nodiscard]] Core::u64 device_size() const { return m_device_size; }
    struct Counters {
        Core::u64 hits { 0 };
        Core::u64 misses { 0 };
        Core::u64 device_reads { 0 };
        Core::u64 device_writes { 0 };
    };
    [[nodiscard]] const Counters& counters() const { return m_counters; }

private:
    static constexpr Core::u32 no_slot = 0xFFFF'FFFF;
    struct Slot {
        Core::u64 page { 0 };
        bool valid { false };
        bool referenced { false }; // the clock's second chance
        bool reserved { false }; // taken for a load or a write in progress: not to be taken again
        bool dirty { false }; // changed since the device last had it
        Core::u32 next { no_slot }; // in its bucket's chain
    };

    BlockCache(BlockDevice& device, Core::u32 page_count, Core::u8* memory);
    [[nodiscard]] Core::u32 bucket_of(Core::u64 page) const;
    [[nodiscard]] Core::u32 find(Core::u64 page);
    // A slot to reuse (the clock's choice; a dirty one is written back first), detached from
    // its bucket and reserved until insert() or release().
    [[nodiscard]] Core::Result<Core::u32> take_slot();
    void forget(Core::u32 slot);
    // Writes the dirty pages of `slots` (sorted by page) to the device, runs of consecutive
    // pages in one request each.
    [[nodiscard]] Core::Result<void> write_pages(const Core::u32* slots, Core::u32 count);
    void insert(Core::u32 slot, Core::u64 page);
    void release(Core::u32 slot) { m_slots[slot].reserved = false; }
    [[nodiscard]] Core::u8* data(Core::u32 slot) { return m_memory + Core::u64 { slot } * page_size; }
    // Brings `page` in (and the uncached pages after it, up to read-ahead); its slot.
    [[nodiscard]] Core::Result<Core::u32> load(Core::u64 page);
    [[nodiscard]] Core::u64 pages_on_device() const { return (m_device_size + page_size - 1) / page_size; }

    BlockDevice& m_device;
    Core::u64 m_device_size;
    Core::u32 m_page_count;
    Core::u8* m_memory;
    Core::Vector<Slot> m_slots;
    Core::Vector<Core::u32> m_buckets;
    Core::u32 m_clock_hand { 0 };
    Core::u32 m_dirty_pages { 0 };
    Counters m_counters;
};

} // namespace FileSystems
