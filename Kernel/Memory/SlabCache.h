#pragma once

// A hardened slab cache: fixed-size objects carved out of naturally aligned blocks of
// pages ("slabs"). The kernel heap keeps one cache per size class, and hot object types
// get a TypedSlabCache of their own.
//
// Each slab starts with a header (magic, owning cache, free list head, allocation bitmap,
// list links); the object slots follow. Because a slab is aligned to its own size, the
// header of any object is found by rounding the object's address down, with no lookup.
//
// The cache is built to notice kernel bugs rather than be exploited by them:
//   - free-list pointers stored inside freed objects are encoded with a secret and the
//     address holding them, and every decoded pointer is checked before it is followed;
//   - the bitmap catches double frees, the slot geometry catches interior and foreign
//     pointers;
//   - in debug mode freed objects are poisoned (and checked when handed out again) and
//     every object sits between two red zones that are checked when it is freed.
// What is found is reported to the CorruptionHandler (see MemoryCorruption.h); after the
// handler returns, the cache refuses to make things worse: it ignores the bad free,
// leaks the damaged objects, and keeps going.
//
// The cache is not synchronised: the kernel keeps each one inside a lock-owning wrapper.
// The corruption handler runs inside the cache's operations and must not call back into
// the same cache.

#include <Core/Error.h>
#include <Core/StringView.h>
#include <Core/Types.h>
#include <Core/Utility.h>
#include <Kernel/Memory/MemoryCorruption.h>
#include <Kernel/Memory/PhysicalPage.h>

namespace Kernel::Memory {

class SlabCache;

// Where a cache gets its slabs from: the buddy allocator in the kernel, aligned_alloc in
// host tests.
class SlabPageSource {
public:
    // Returns 2^order pages of writable memory aligned to their own size (page_size <<
    // order). The cache passes itself so the kernel can record the owner of the pages in
    // its frame database.
    virtual Core::Result<void*> allocate_slab(Core::u32 order, SlabCache& cache) = 0;
    // Takes back a block returned by allocate_slab with the same order.
    virtual void free_slab(void* slab, Core::u32 order) = 0;

protected:
    ~SlabPageSource() = default;
};

// Kernel debug builds turn both on. Each costs time on every allocation and free.
struct SlabDebugOptions {
    // Surround every object with bytes of a known pattern, checked when it is freed.
    bool red_zones;
    // Fill freed objects with a pattern, checked when they are handed out again; fill new
    // objects with another pattern so that uninitialised use shows.
    bool poison;
};

class SlabCache {
public:
    static constexpr Core::usize max_object_size = 8192;
    static constexpr Core::usize min_alignment = 8;
    static constexpr Core::usize max_alignment = page_size;
    // A slab is made big enough for at least this many objects, so that the header and
    // the tail left over after the last slot stay a small part of it.
    static constexpr Core::u32 min_objects_per_slab = 8;
    // Objects in the smallest possible slot (8 bytes) of a one-page slab, rounded up; the
    // bitmap in every slab header has this many bits.
    static constexpr Core::u32 max_objects_per_slab = 512;
    // Large enough for min_objects_per_slab of the largest, most aligned objects with red
    // zones.
    static constexpr Core::u32 max_slab_order = 7;
    // The smallest red zone on either side of an object; alignment can make them larger.
    static constexpr Core::usize red_zone_size = 16;

    static constexpr Core::u8 red_zone_pattern = 0xBB;
    static constexpr Core::u8 freed_object_pattern = 0x6B;
    static constexpr Core::u8 new_object_pattern = 0xA5;

    // `name` must outlive the cache (a string literal, in practice). The parameters come
    // from kernel code, so nonsense ones are a bug and fail a VERIFY: object_size must be
    // 1..max_object_size, alignment a power of two in min_alignment..max_alignment.
    // Allocates nothing, so a cache can be a global.
    SlabCache(const char* name, Core::usize object_size, Core::usize alignment, SlabPageSource& source,
        SlabDebugOptions debug, Core::u64 freelist_secret);

    // Slabs point back at their cache, so it can be neither copied nor moved.
    SlabCache(const SlabCache&) = delete;
    SlabCache(SlabCache&&) = delete;
    SlabCache& operator=(const SlabCache&) = delete;
    SlabCache& operator=(SlabCache&&) = delete;

    // Reports go to `handler`. Without one, any corruption found stops the kernel through
    // VERIFY_NOT_REACHED(). Kinds and what address/offset mean for each:
    //   "double free"          the object; 0.
    //   "invalid free"         the object the pointer falls in and the pointer's distance
    //                          from its start; the slab and the distance from its start for
    //                          a pointer into the header or tail; the pointer itself and 0
    //                          when it is in no slab of this cache.
    //   "write after free"     the object; its first damaged byte.
    //   "red zone overwritten" the object; the lowest damaged byte of the zone relative to
    //                          the object start. Left-zone bytes are negative offsets, kept
    //                          in the u64 as two's complement (object[-1] is 2^64 - 1).
    //   "free list corrupted"  the word that held the bad link (inside a free object, or
    //                          the slab header's list head); 0.
    void set_corruption_handler(CorruptionHandler handler) { m_corruption_handler = handler; }

    // Returns object_size() bytes aligned to the cache's alignment, or OutOfMemory when
    // the page source cannot provide a new slab (the cache stays usable).
    [[nodiscard]] Core::Result<void*> allocate();
    // Gives back an object from allocate(). Null is ignored. A pointer that is not a live
    // object of this cache is reported ("double free", "invalid free") and otherwise
    // ignored. `object` must lie in memory that is readable at its address rounded down
    // to slab_size(): true of every pointer into kernel memory the heap handed out.
    void free(void* object);

    // True if `object` points anywhere inside a slab of this cache. Reads only the slab
    // header found by rounding down to slab_size(), so the same readability condition as
    // for free() applies.
    [[nodiscard]] bool owns(const void* object) const;
    // True if `object` is the start of an object of this cache that is currently handed
    // out, i.e. free(object) would be accepted without a report.
    [[nodiscard]] bool is_live_object(const void* object) const;

    // Gives slabs that hold no objects back to the page source, keeping at most one so
    // that a cache hovering around a slab boundary does not allocate and free pages on
    // every call. free() never releases slabs itself: the kernel calls this under memory
    // pressure.
    void release_empty_slabs();

    [[nodiscard]] Core::StringView name() const { return m_name; }
    [[nodiscard]] Core::usize object_size() const { return m_object_size; }
    [[nodiscard]] Core::usize alignment() const { return m_alignment; }
    [[nodiscard]] Core::u32 objects_per_slab() const { return m_objects_per_slab; }
    [[nodiscard]] Core::u32 slab_order() const { return m_slab_order; }
    [[nodiscard]] Core::usize slab_size() const { return m_slab_size; }
    // Objects handed out and not yet freed.
    [[nodiscard]] Core::usize objects_in_use() const { return m_objects_in_use; }
    [[nodiscard]] Core::usize slab_count() const { return m_slab_count; }
    [[nodiscard]] Core::usize empty_slab_count() const;
    // Objects withheld for good after corruption was found in or around them.
    [[nodiscard]] Core::usize leaked_object_count() const { return m_leaked_object_count; }

private:
    struct Slab;
    struct SlabList {
        Slab* head { nullptr };
        Core::usize count { 0 };
    };
    enum class ListKind : Core::u8 {
        Partial,
        Full,
        Empty,
    };

    [[nodiscard]] Core::Result<Slab*> grow();
    [[nodiscard]] Slab* slab_containing(const void* address) const;
    [[nodiscard]] Core::u8* object_at(Slab& slab, Core::u32 index) const;
    // The slot index of `object` in `slab`, or objects_per_slab() if `object` is not the
    // start of an object there.
    [[nodiscard]] Core::u32 index_of(const Slab& slab, Core::uptr object) const;
    [[nodiscard]] bool is_free_list_candidate(const Slab& slab, Core::uptr address) const;
    [[nodiscard]] Core::u64 encode(Core::uptr pointer, const void* holder) const;
    [[nodiscard]] Core::uptr decode(Core::u64 stored, const void* holder) const;

    void* take_object(Slab& slab);
    void drop_free_list(Slab& slab);
    void paint_red_zones(Core::u8* object) const;
    void check_red_zones(Core::u8* object);

    SlabList& list_for(ListKind kind);
    ListKind desired_list(const Slab& slab) const;
    void link(Slab& slab, ListKind kind);
    void unlink(Slab& slab);
    void relist(Slab& slab);

    void report(Core::StringView kind, const void* address, Core::u64 offset);

    Core::StringView m_name;
    SlabPageSource& m_source;
    CorruptionHandler m_corruption_handler { nullptr };
    Core::u64 m_freelist_secret;
    SlabDebugOptions m_debug;

    Core::usize m_object_size;
    Core::usize m_alignment;
    // Bytes at the start of an object that hold the encoded free-list link while it is
    // free: object_size rounded up to at least one pointer.
    Core::usize m_object_footprint;
    // Distance from the start of a slot to its object (the left red zone, if any).
    Core::usize m_object_offset_in_slot;
    Core::usize m_slot_size;
    // Offset of the first slot from the slab start, past the header.
    Core::usize m_first_slot_offset;
    Core::usize m_slab_size;
    Core::u32 m_slab_order;
    Core::u32 m_objects_per_slab;

    SlabList m_partial_slabs;
    SlabList m_full_slabs;
    SlabList m_empty_slabs;
    Core::usize m_slab_count { 0 };
    Core::usize m_objects_in_use { 0 };
    Core::usize m_leaked_object_count { 0 };
};

// A cache for one hot object type: constructs objects in place and destroys them.
template<typename T> class TypedSlabCache {
    static_assert(
        sizeof(T) <= SlabCache::max_object_size, "too large for a slab cache; use the page allocator");
    static_assert(alignof(T) <= SlabCache::max_alignment, "alignment larger than a page");

public:
    TypedSlabCache(
        const char* name, SlabPageSource& source, SlabDebugOptions debug, Core::u64 freelist_secret)
        : m_cache(name, sizeof(T), Core::max<Core::usize>(alignof(T), SlabCache::min_alignment), source,
            debug, freelist_secret)
    {
    }

    template<typename... Arguments> [[nodiscard]] Core::Result<T*> create(Arguments&&... arguments)
    {
        void* slot = TRY(m_cache.allocate());
        // The slot is sizeof(T) bytes aligned for T and nobody else refers to it.
        return new (slot) T(Core::forward<Arguments>(arguments)...);
    }

    // Runs the destructor and frees the object. A pointer that is not a live object of
    // this cache is reported by the cache without running any destructor on it.
    void destroy(T* object)
    {
        if (object == nullptr)
            return;
        if (m_cache.is_live_object(object))
            object->~T();
        m_cache.free(object);
    }

    [[nodiscard]] SlabCache& cache() { return m_cache; }
    [[nodiscard]] const SlabCache& cache() const { return m_cache; }

private:
    SlabCache m_cache;
};

} // namespace Kernel::Memory
