#include <Core/PlacementNew.h>
#include <Kernel/Memory/SlabCache.h>

namespace Kernel::Memory {

using Core::u32;
using Core::u64;
using Core::u8;
using Core::uptr;
using Core::usize;

namespace {

// "RAEESLAB". A slab header starts with it while the slab belongs to a cache; it is
// cleared before the slab goes back to the page source, so a stale pointer into a
// released slab is not taken for a live one.
constexpr u64 slab_magic = 0x52414545534C4142ULL;

constexpr usize link_size = sizeof(u64);

constexpr Core::StringView double_free_kind = "double free";
constexpr Core::StringView invalid_free_kind = "invalid free";
constexpr Core::StringView write_after_free_kind = "write after free";
constexpr Core::StringView red_zone_kind = "red zone overwritten";
constexpr Core::StringView free_list_kind = "free list corrupted";

uptr address_of(const void* pointer)
{
    // Converting a pointer to its integer address is always valid; the address is only
    // compared and used for arithmetic until it is turned back into a pointer below.
    return reinterpret_cast<uptr>(pointer);
}

// Returns the index of the first byte of [bytes, bytes + length) that is not `pattern`,
// or `length` if all of them are. Compares a word at a time: it runs on every allocation
// and free in debug builds.
usize find_mismatch(const u8* bytes, usize length, u8 pattern)
{
    const u64 pattern_word = 0x0101010101010101ULL * pattern;
    usize index = 0;
    for (; index + sizeof(u64) <= length; index += sizeof(u64)) {
        u64 word;
        // Callers pass `length` readable bytes; index + 8 <= length keeps the load inside.
        __builtin_memcpy(&word, bytes + index, sizeof(word));
        if (word != pattern_word)
            break;
    }
    for (; index < length; ++index) {
        if (bytes[index] != pattern)
            return index;
    }
    return length;
}

} // namespace

struct SlabCache::Slab {
    u64 magic;
    SlabCache* owner;
    // Address of the first free object, encoded like the links inside free objects (with
    // this field's address as the holder). Zero-address means the list is empty.
    u64 encoded_free_head;
    Slab* next;
    Slab* previous;
    // Objects handed out. Bits of allocation_bitmap set, by construction.
    u32 in_use_count;
    // Free slots withheld after corruption: neither handed out nor on the free list, so
    // the free list holds objects_per_slab - in_use_count - leaked_count objects.
    u32 leaked_count;
    ListKind list;
    // Bit set: the slot is handed out.
    u64 allocation_bitmap[max_objects_per_slab / 64];

    [[nodiscard]] bool is_allocated(u32 index) const
    {
        return allocation_bitmap[index / 64] & (1ULL << (index % 64));
    }
    void set_allocated(u32 index) { allocation_bitmap[index / 64] |= 1ULL << (index % 64); }
    void clear_allocated(u32 index) { allocation_bitmap[index / 64] &= ~(1ULL << (index % 64)); }
};

static_assert(SlabCache::max_objects_per_slab % 64 == 0);
// Slots are at least one link long, so a one-page slab (the order every small object
// gets) never has more slots than the bitmap has bits. Larger slabs are chosen only for
// slots too big to fit min_objects_per_slab in half their size, which keeps their count
// far lower; the constructor clamps it anyway.
static_assert(SlabCache::max_objects_per_slab * link_size >= page_size);

SlabCache::SlabCache(const char* name, usize object_size, usize alignment, SlabPageSource& source,
    SlabDebugOptions debug, u64 freelist_secret)
    : m_name(name)
    , m_source(source)
    , m_freelist_secret(freelist_secret)
    , m_debug(debug)
    , m_object_size(object_size)
    , m_alignment(alignment)
{
    VERIFY(name != nullptr);
    VERIFY(object_size >= 1 && object_size <= max_object_size);
    VERIFY(Core::is_power_of_two(alignment) && alignment >= min_alignment && alignment <= max_alignment);

    // A free object holds its free-list link in its first word, so even a 1-byte object
    // occupies a whole word.
    m_object_footprint = Core::align_up(Core::max(object_size, link_size), link_size);
    // The left red zone fills the gap from the slot start to the aligned object; the
    // right one everything from the object's end to the next slot.
    m_object_offset_in_slot = m_debug.red_zones ? Core::max(red_zone_size, alignment) : 0;
    usize right_red_zone = m_debug.red_zones ? red_zone_size : 0;
    m_slot_size = Core::align_up(m_object_offset_in_slot + m_object_footprint + right_red_zone, alignment);
    m_first_slot_offset = Core::align_up(sizeof(Slab), alignment);

    bool found_order = false;
    for (u32 order = 0; order <= max_slab_order; ++order) {
        usize size = page_size << order;
        if (size < m_first_slot_offset + min_objects_per_slab * m_slot_size)
            continue;
        m_slab_order = order;
        m_slab_size = size;
        m_objects_per_slab = static_cast<u32>(
            Core::min<usize>((size - m_first_slot_offset) / m_slot_size, max_objects_per_slab));
        found_order = true;
        break;
    }
    VERIFY(found_order);
}

usize SlabCache::empty_slab_count() const
{
    return m_empty_slabs.count;
}

u64 SlabCache::encode(uptr pointer, const void* holder) const
{
    // Mixing in the holder's address means a link copied to another object, or a guessed
    // one, decodes to garbage there; the secret keeps a leaked link from revealing heap
    // addresses.
    return pointer ^ m_freelist_secret ^ address_of(holder);
}

uptr SlabCache::decode(u64 stored, const void* holder) const
{
    return stored ^ m_freelist_secret ^ address_of(holder);
}

u8* SlabCache::object_at(Slab& slab, u32 index) const
{
    // Slots lie inside the slab (the constructor sized objects_per_slab to fit), and the
    // slab is writable memory from the page source.
    return reinterpret_cast<u8*>(&slab) + m_first_slot_offset + usize(index) * m_slot_size
        + m_object_offset_in_slot;
}

u32 SlabCache::index_of(const Slab& slab, uptr object) const
{
    uptr first_object = address_of(&slab) + m_first_slot_offset + m_object_offset_in_slot;
    if (object < first_object)
        return m_objects_per_slab;
    uptr distance = object - first_object;
    if (distance >= usize(m_objects_per_slab) * m_slot_size)
        return m_objects_per_slab;
    // A slab is at most page_size << max_slab_order bytes, so 32-bit division (the faster
    // one) is exact here.
    u32 index = static_cast<u32>(distance) / static_cast<u32>(m_slot_size);
    if (usize(index) * m_slot_size != distance)
        return m_objects_per_slab;
    return index;
}

bool SlabCache::is_free_list_candidate(const Slab& slab, uptr address) const
{
    u32 index = index_of(slab, address);
    return index < m_objects_per_slab && !slab.is_allocated(index);
}

SlabCache::Slab* SlabCache::slab_containing(const void* address) const
{
    uptr slab_address = Core::align_down(address_of(address), uptr(m_slab_size));
    // Nothing is mapped at the bottom of the address space; reading there would fault.
    if (slab_address == 0)
        return nullptr;
    // The caller promises the slab-aligned base of `address` is readable (see free()).
    // Whether a slab header of this cache is really there is decided by the magic and
    // owner fields, read before anything else of it is trusted.
    auto* slab = reinterpret_cast<Slab*>(slab_address);
    if (slab->magic != slab_magic || slab->owner != this)
        return nullptr;
    return slab;
}

bool SlabCache::owns(const void* object) const
{
    return object != nullptr && slab_containing(object) != nullptr;
}

bool SlabCache::is_live_object(const void* object) const
{
    if (object == nullptr)
        return false;
    Slab* slab = slab_containing(object);
    if (slab == nullptr)
        return false;
    u32 index = index_of(*slab, address_of(object));
    return index < m_objects_per_slab && slab->is_allocated(index);
}

SlabCache::SlabList& SlabCache::list_for(ListKind kind)
{
    switch (kind) {
    case ListKind::Partial:
        return m_partial_slabs;
    case ListKind::Full:
        return m_full_slabs;
    case ListKind::Empty:
        return m_empty_slabs;
    }
    VERIFY_NOT_REACHED();
}

SlabCache::ListKind SlabCache::desired_list(const Slab& slab) const
{
    u32 free_count = m_objects_per_slab - slab.in_use_count - slab.leaked_count;
    if (free_count == 0)
        return ListKind::Full;
    // A slab that leaked objects is never empty, so it is never given back to the page
    // source, where whoever damaged it could damage the next user of the pages.
    if (slab.in_use_count == 0 && slab.leaked_count == 0)
        return ListKind::Empty;
    return ListKind::Partial;
}

void SlabCache::link(Slab& slab, ListKind kind)
{
    SlabList& list = list_for(kind);
    slab.list = kind;
    slab.previous = nullptr;
    slab.next = list.head;
    if (list.head != nullptr)
        list.head->previous = &slab;
    list.head = &slab;
    ++list.count;
}

void SlabCache::unlink(Slab& slab)
{
    SlabList& list = list_for(slab.list);
    if (slab.previous != nullptr)
        slab.previous->next = slab.next;
    else
        list.head = slab.next;
    if (slab.next != nullptr)
        slab.next->previous = slab.previous;
    slab.next = nullptr;
    slab.previous = nullptr;
    --list.count;
}

void SlabCache::relist(Slab& slab)
{
    ListKind kind = desired_list(slab);
    if (kind == slab.list)
        return;
    unlink(slab);
    link(slab, kind);
}

void SlabCache::report(Core::StringView kind, const void* address, u64 offset)
{
    if (m_corruption_handler == nullptr)
        VERIFY_NOT_REACHED();
    CorruptionReport corruption_report { kind, m_name, address_of(address), offset };
    m_corruption_handler(corruption_report);
}

void SlabCache::paint_red_zones(u8* object) const
{
    // `object` came from object_at(), so its slot is [object - m_object_offset_in_slot,
    // that + m_slot_size), inside the slab: both zones stay within the slot.
    __builtin_memset(object - m_object_offset_in_slot, red_zone_pattern, m_object_offset_in_slot);
    usize right_size = m_slot_size - m_object_offset_in_slot - m_object_size;
    __builtin_memset(object + m_object_size, red_zone_pattern, right_size);
}

void SlabCache::check_red_zones(u8* object)
{
    // Offsets in the report are relative to the object start; a byte of the left zone has
    // a negative offset, stored as a u64 in two's complement (object[-1] is 2^64 - 1).
    // `object` is a slot's object (free() checked its index), so, as in paint_red_zones(),
    // both zones lie inside its slot.
    u8* left_zone = object - m_object_offset_in_slot;
    usize left_mismatch = find_mismatch(left_zone, m_object_offset_in_slot, red_zone_pattern);
    if (left_mismatch != m_object_offset_in_slot) {
        report(red_zone_kind, object, u64(0) - u64(m_object_offset_in_slot - left_mismatch));
        __builtin_memset(left_zone, red_zone_pattern, m_object_offset_in_slot);
    }
    u8* right_zone = object + m_object_size;
    usize right_size = m_slot_size - m_object_offset_in_slot - m_object_size;
    usize right_mismatch = find_mismatch(right_zone, right_size, red_zone_pattern);
    if (right_mismatch != right_size) {
        report(red_zone_kind, object, m_object_size + right_mismatch);
        __builtin_memset(right_zone, red_zone_pattern, right_size);
    }
}

Core::Result<SlabCache::Slab*> SlabCache::grow()
{
    auto memory_or_error = m_source.allocate_slab(m_slab_order, *this);
    if (memory_or_error.is_error())
        return Core::ErrorCode::OutOfMemory;
    void* memory = memory_or_error.value();
    VERIFY(memory != nullptr);
    VERIFY(Core::align_down(address_of(memory), uptr(m_slab_size)) == address_of(memory));

    // The page source hands over m_slab_size writable bytes aligned to their size; the
    // header is built at their start and the slots follow it.
    auto* slab = new (memory) Slab {};
    slab->magic = slab_magic;
    slab->owner = this;
    slab->list = ListKind::Empty;

    // Built back to front so that the list runs in address order: consecutive
    // allocations from a fresh slab touch consecutive memory.
    uptr next = 0;
    for (u32 index = m_objects_per_slab; index > 0; --index) {
        u8* object = object_at(*slab, index - 1);
        if (m_debug.red_zones)
            paint_red_zones(object);
        // object_at() gives m_object_size bytes inside the slot; the first link_size of them
        // are left for the link.
        if (m_debug.poison && m_object_size > link_size)
            __builtin_memset(object + link_size, freed_object_pattern, m_object_size - link_size);
        u64 link = encode(next, object);
        __builtin_memcpy(object, &link, sizeof(link));
        next = address_of(object);
    }
    slab->encoded_free_head = encode(next, &slab->encoded_free_head);

    link(*slab, ListKind::Empty);
    ++m_slab_count;
    return slab;
}

void SlabCache::drop_free_list(Slab& slab)
{
    // Following a damaged link could hand out memory anywhere, so every object still on
    // the list is given up instead.
    u32 free_count = m_objects_per_slab - slab.in_use_count - slab.leaked_count;
    slab.leaked_count += free_count;
    m_leaked_object_count += free_count;
    slab.encoded_free_head = encode(0, &slab.encoded_free_head);
    relist(slab);
}

void* SlabCache::take_object(Slab& slab)
{
    u32 free_count = m_objects_per_slab - slab.in_use_count - slab.leaked_count;
    VERIFY(free_count > 0);

    uptr head = decode(slab.encoded_free_head, &slab.encoded_free_head);
    if (!is_free_list_candidate(slab, head)) {
        report(free_list_kind, &slab.encoded_free_head, 0);
        drop_free_list(slab);
        return nullptr;
    }
    // The check above placed `head` on an object boundary of this slab.
    auto* object = reinterpret_cast<u8*>(head);

    u64 stored_link;
    __builtin_memcpy(&stored_link, object, sizeof(stored_link));
    uptr next = decode(stored_link, object);
    // The list must end exactly after the free objects the counters promise, and may not
    // point at an object already handed out (that includes `object` itself: a loop).
    bool link_is_valid = free_count == 1 ? next == 0 : (next != head && is_free_list_candidate(slab, next));
    if (!link_is_valid) {
        report(free_list_kind, object, 0);
        drop_free_list(slab);
        return nullptr;
    }

    if (m_debug.poison && m_object_size > link_size) {
        usize mismatch = find_mismatch(object + link_size, m_object_size - link_size, freed_object_pattern);
        if (mismatch != m_object_size - link_size) {
            report(write_after_free_kind, object, link_size + mismatch);
            // Whoever still writes to this object would corrupt its next owner: keep it
            // out of circulation. The rest of the list is intact.
            slab.encoded_free_head = encode(next, &slab.encoded_free_head);
            ++slab.leaked_count;
            ++m_leaked_object_count;
            relist(slab);
            return nullptr;
        }
    }

    slab.encoded_free_head = encode(next, &slab.encoded_free_head);
    slab.set_allocated(index_of(slab, head));
    ++slab.in_use_count;
    ++m_objects_in_use;
    relist(slab);

    if (m_debug.poison) {
        __builtin_memset(object, new_object_pattern, m_object_size);
    } else {
        // The encoded link would tell the new owner something about the secret.
        __builtin_memset(object, 0, Core::min(m_object_size, link_size));
    }
    // Objects smaller than a link lent the start of their right red zone to it. Those
    // bytes are still inside the slot: m_object_footprint reserves a whole link.
    if (m_object_size < link_size)
        __builtin_memset(
            object + m_object_size, m_debug.red_zones ? red_zone_pattern : 0, link_size - m_object_size);
    return object;
}

Core::Result<void*> SlabCache::allocate()
{
    for (;;) {
        Slab* slab = m_partial_slabs.head != nullptr ? m_partial_slabs.head : m_empty_slabs.head;
        if (slab == nullptr)
            slab = TRY(grow());
        // take_object fails only after giving up at least one free object of the slab, so
        // this loop ends.
        if (void* object = take_object(*slab))
            return object;
    }
}

void SlabCache::free(void* object)
{
    if (object == nullptr)
        return;
    Slab* slab = slab_containing(object);
    if (slab == nullptr) {
        report(invalid_free_kind, object, 0);
        return;
    }
    uptr address = address_of(object);
    u32 index = index_of(*slab, address);
    if (index == m_objects_per_slab) {
        // Name the object the pointer falls in, or the slab when it points at the header
        // or the unused tail. Offsets before the object are negative in two's complement,
        // as for red zones.
        uptr first_slot = address_of(slab) + m_first_slot_offset;
        uptr slots_end = first_slot + usize(m_objects_per_slab) * m_slot_size;
        if (address >= first_slot && address < slots_end) {
            u32 slot = static_cast<u32>(address - first_slot) / static_cast<u32>(m_slot_size);
            u8* containing_object = object_at(*slab, slot);
            report(invalid_free_kind, containing_object, u64(address) - u64(address_of(containing_object)));
        } else {
            report(invalid_free_kind, slab, address - address_of(slab));
        }
        return;
    }
    if (!slab->is_allocated(index)) {
        report(double_free_kind, object, 0);
        return;
    }

    // The object was handed out by allocate(), so it is object_size writable bytes inside
    // this slab's slot `index`.
    auto* bytes = static_cast<u8*>(object);
    if (m_debug.red_zones)
        check_red_zones(bytes);

    slab->clear_allocated(index);
    --slab->in_use_count;
    --m_objects_in_use;
    if (m_debug.poison && m_object_size > link_size)
        __builtin_memset(bytes + link_size, freed_object_pattern, m_object_size - link_size);
    uptr old_head = decode(slab->encoded_free_head, &slab->encoded_free_head);
    u64 link = encode(old_head, bytes);
    __builtin_memcpy(bytes, &link, sizeof(link));
    slab->encoded_free_head = encode(address, &slab->encoded_free_head);
    relist(*slab);
}

void SlabCache::release_empty_slabs()
{
    while (m_empty_slabs.count > 1) {
        Slab* slab = m_empty_slabs.head;
        unlink(*slab);
        slab->magic = 0;
        slab->owner = nullptr;
        --m_slab_count;
        m_source.free_slab(slab, m_slab_order);
    }
}

} // namespace Kernel::Memory
