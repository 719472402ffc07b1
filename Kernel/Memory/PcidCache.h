#pragma once

// Which process-context identifier (PCID) an address space gets on one CPU, and whether its
// TLB entries there may be kept across the switch. Pure policy: the scheduler owns one
// cache per CPU and acts on the decision (docs/memory.md#pcids); host-tested.
//
// With PCIDs the TLB keeps each address space's entries, tagged with its PCID, across
// switches, so returning to a recently used space costs no TLB refill. Three rules keep that
// safe:
//   - A CPU has `slot_count` PCIDs for user spaces (1 to slot_count; PCID 0 is the kernel's
//     own root). A space without a slot takes the least recently used one, and that switch
//     flushes the PCID: whatever the slot's previous owner left behind goes.
//   - An address space's translations only shrink (unmap, protect) together with a bump of
//     its TLB generation (AddressSpace::note_translations_changed), before the shootdown.
//     The shootdown's invlpg reaches only the PCID current on each CPU; a CPU that holds
//     the space in another slot sees the newer generation at its next switch and flushes.
//   - Spaces are named by an id that is never reused, so a slot can never be mistaken for
//     a later space that happens to live at the same address.

#include <Core/Types.h>

namespace Kernel::Memory {

class PcidCache {
public:
    static constexpr Core::u32 slot_count = 8;

    struct Decision {
        Core::u16 pcid; // 1 .. slot_count
        bool flush; // load CR3 without the no-flush bit: drop this PCID's entries
    };

    // The PCID for address space `space_id` (never 0) at TLB generation `generation`.
    [[nodiscard]] Decision activate(Core::u64 space_id, Core::u64 generation)
    {
        ++m_clock;
        Core::u32 victim = 0;
        for (Core::u32 index = 0; index < slot_count; ++index) {
            Slot& slot = m_slots[index];
            if (slot.space_id == space_id) {
                bool stale = slot.generation != generation;
                slot.generation = generation;
                slot.last_used = m_clock;
                return { static_cast<Core::u16>(index + 1), stale };
            }
            if (slot.last_used < m_slots[victim].last_used)
                victim = index;
        }
        m_slots[victim] = { space_id, generation, m_clock };
        return { static_cast<Core::u16>(victim + 1), true };
    }

private:
    struct Slot {
        Core::u64 space_id { 0 }; // 0: never used
        Core::u64 generation { 0 };
        Core::u64 last_used { 0 };
    };

    Slot m_slots[slot_count];
    Core::u64 m_clock { 0 };
};

} // namespace Kernel::Memory
