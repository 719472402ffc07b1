#include <Core/Assertions.h>
#include <Core/BitmapFont.h>

namespace Core {

Core::u32 BitmapFont::glyph_for(Core::u32 codepoint) const
{
    // Binary search over the half-open range [low, high) of mapping entries.
    Core::u32 low = 0;
    Core::u32 high = mapping_count;
    while (low < high) {
        Core::u32 middle = low + (high - low) / 2;
        // Invariant: middle < high <= mapping_count, and mapping holds mapping_count entries.
        const CodepointToGlyph& entry = mapping[middle];
        if (entry.codepoint == codepoint)
            return entry.glyph < glyph_count ? entry.glyph : fallback_glyph;
        if (entry.codepoint < codepoint)
            low = middle + 1;
        else
            high = middle;
    }
    return fallback_glyph;
}

const Core::u8* BitmapFont::glyph_rows(Core::u32 glyph) const
{
    if (glyph >= glyph_count)
        glyph = fallback_glyph;
    VERIFY(glyph < glyph_count);
    Core::usize bytes_per_glyph = static_cast<Core::usize>(glyph_height) * bytes_per_row;
    // Invariant: glyph < glyph_count, and glyph_data holds glyph_count glyphs of
    // bytes_per_glyph bytes each, so the result and the rows after it are in bounds.
    return glyph_data + glyph * bytes_per_glyph;
}

} // namespace Core
