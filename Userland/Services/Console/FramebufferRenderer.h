#pragma once

// Draws the console's terminal (Terminal.h) on a framebuffer: each cell a glyph of the
// bitmap font in its colours, the cursor as a reversed cell, only the rows the terminal
// says changed. Pure: the pixels are memory it is given, which the console service maps
// from the boot framebuffer and host tests allocate.

#include <Core/BitmapFont.h>
#include <Userland/Services/Console/Terminal.h>
#include <stdint.h>

namespace Console {

struct Surface {
    uint8_t* pixels;
    uint32_t width;
    uint32_t height;
    uint32_t pitch; // bytes from one row to the next
    uint32_t bytes_per_pixel; // 2, 3 or 4
    uint8_t red_position, red_size;
    uint8_t green_position, green_size;
    uint8_t blue_position, blue_size;
};

struct Rgb {
    uint8_t red, green, blue;
};

// The 16-colour palette: VGA's, as most terminals show it.
Rgb palette_color(uint8_t index);

class FramebufferRenderer {
public:
    FramebufferRenderer(const Surface& surface, const Core::BitmapFont& font);

    // The grid the surface holds.
    [[nodiscard]] uint32_t columns() const { return m_surface.width / m_font.glyph_width; }
    [[nodiscard]] uint32_t rows() const { return m_surface.height / m_font.glyph_height; }

    // Draws what changed in the terminal since the last draw.
    void draw(Terminal& terminal);

private:
    void draw_cell(uint32_t column, uint32_t row, const Cell& cell, bool reversed);
    uint32_t encode(Rgb color) const;

    Surface m_surface;
    const Core::BitmapFont& m_font;
    // Where the cursor was drawn, to draw that cell plainly again when it moves.
    uint32_t m_cursor_column { 0 };
    uint32_t m_cursor_row { 0 };
    bool m_cursor_drawn { false };
};

} // namespace Console
