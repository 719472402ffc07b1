#pragma once

// Monospaced bitmap fonts for the framebuffer console. The kernel's font is converted
// from a PSF file at build time (Tools/generate_console_font.py), so nothing here
// parses or allocates: a font is plain read-only data.

#include <Core/Types.h>

namespace Core {

// One entry of a font's Unicode map: `codepoint` is drawn with glyph `glyph`.
struct CodepointToGlyph {
    Core::u32 codepoint;
    Core::u32 glyph;
};

// A font whose glyphs are all glyph_width x glyph_height pixels, one bit per pixel.
//
// Data invariants (the generator guarantees them; FramebufferConsole::create() checks
// the ones that can be checked cheaply):
//  - glyph_data holds glyph_count * glyph_height * bytes_per_row bytes: glyph after
//    glyph, each as glyph_height rows of bytes_per_row bytes, and within a row the most
//    significant bit of the first byte is the leftmost pixel.
//  - mapping holds mapping_count entries sorted by strictly increasing codepoint (it may
//    be null when mapping_count is 0).
//  - fallback_glyph < glyph_count.
struct BitmapFont {
    Core::u32 glyph_width;
    Core::u32 glyph_height;
    Core::u32 bytes_per_row;
    Core::u32 glyph_count;
    const Core::u8* glyph_data;
    const CodepointToGlyph* mapping;
    Core::u32 mapping_count;
    // Drawn for codepoints the font lacks and for undecodable input.
    Core::u32 fallback_glyph;

    // The glyph that draws `codepoint`, or fallback_glyph when the font has none.
    [[nodiscard]] Core::u32 glyph_for(Core::u32 codepoint) const;
    // The first of glyph_height rows (bytes_per_row bytes each) of `glyph`. An index out
    // of range yields the fallback glyph rather than memory past the font.
    [[nodiscard]] const Core::u8* glyph_rows(Core::u32 glyph) const;
};

// The kernel console's font; its definition is generated at build time.
extern const BitmapFont console_font;

} // namespace Core
