#include <Userland/Services/Console/FramebufferRenderer.h>

namespace Console {

Rgb palette_color(uint8_t index)
{
    static constexpr Rgb palette[16] = {
        { 0, 0, 0 },
        { 170, 0, 0 },
        { 0, 170, 0 },
        { 170, 85, 0 },
        { 0, 0, 170 },
        { 170, 0, 170 },
        { 0, 170, 170 },
        { 170, 170, 170 },
        { 85, 85, 85 },
        { 255, 85, 85 },
        { 85, 255, 85 },
        { 255, 255, 85 },
        { 85, 85, 255 },
        { 255, 85, 255 },
        { 85, 255, 255 },
        { 255, 255, 255 },
    };
    return palette[index & 15];
}

FramebufferRenderer::FramebufferRenderer(const Surface& surface, const Core::BitmapFont& font)
    : m_surface(surface)
    , m_font(font)
{
}

uint32_t FramebufferRenderer::encode(Rgb color) const
{
    auto channel = [](uint8_t value, uint8_t size, uint8_t position) {
        uint32_t scaled = size >= 8 ? static_cast<uint32_t>(value) << (size - 8) : value >> (8 - size);
        return scaled << position;
    };
    return channel(color.red, m_surface.red_size, m_surface.red_position)
        | channel(color.green, m_surface.green_size, m_surface.green_position)
        | channel(color.blue, m_surface.blue_size, m_surface.blue_position);
}

void FramebufferRenderer::draw_cell(uint32_t column, uint32_t row, const Cell& cell, bool reversed)
{
    uint32_t foreground = encode(palette_color(reversed ? cell.background : cell.foreground));
    uint32_t background = encode(palette_color(reversed ? cell.foreground : cell.background));
    uint32_t glyph = m_font.glyph_for(cell.codepoint);
    const uint8_t* rows = m_font.glyph_rows(glyph);
    // The cell lies inside the surface: columns() and rows() are whole cells of it.
    uint8_t* origin = m_surface.pixels + static_cast<uint64_t>(row) * m_font.glyph_height * m_surface.pitch
        + static_cast<uint64_t>(column) * m_font.glyph_width * m_surface.bytes_per_pixel;
    for (uint32_t y = 0; y < m_font.glyph_height; ++y) {
        const uint8_t* bits = rows + y * m_font.bytes_per_row;
        uint8_t* pixel = origin + static_cast<uint64_t>(y) * m_surface.pitch;
        if (m_surface.bytes_per_pixel == 4) {
            // The common layout, a word per pixel: one store each.
            for (uint32_t x = 0; x < m_font.glyph_width; ++x) {
                uint32_t value = ((bits[x / 8] >> (7 - x % 8)) & 1) ? foreground : background;
                __builtin_memcpy(pixel + 4 * x, &value, 4);
            }
            continue;
        }
        for (uint32_t x = 0; x < m_font.glyph_width; ++x) {
            bool set = (bits[x / 8] >> (7 - x % 8)) & 1;
            uint32_t value = set ? foreground : background;
            for (uint32_t byte = 0; byte < m_surface.bytes_per_pixel; ++byte)
                pixel[byte] = static_cast<uint8_t>(value >> (8 * byte));
            pixel += m_surface.bytes_per_pixel;
        }
    }
}

void FramebufferRenderer::draw(Terminal& terminal)
{
    Terminal::Damage damage = terminal.take_damage();
    uint32_t visible_columns = columns() < terminal.columns() ? columns() : terminal.columns();
    uint32_t visible_rows = rows() < terminal.rows() ? rows() : terminal.rows();
    // The old cursor cell is drawn plainly (its row may not be damaged).
    if (m_cursor_drawn && m_cursor_row < visible_rows && m_cursor_column < visible_columns)
        draw_cell(m_cursor_column, m_cursor_row, terminal.view_cell(m_cursor_column, m_cursor_row), false);
    for (uint32_t row = 0; row < visible_rows; ++row) {
        bool damaged = damage.all || (row < 256 && (damage.rows[row / 64] >> (row % 64)) & 1);
        if (!damaged)
            continue;
        for (uint32_t column = 0; column < visible_columns; ++column)
            draw_cell(column, row, terminal.view_cell(column, row), false);
    }
    m_cursor_drawn = terminal.cursor_visible() && terminal.cursor_row() < visible_rows
        && terminal.cursor_column() < visible_columns;
    if (m_cursor_drawn) {
        m_cursor_column = terminal.cursor_column();
        m_cursor_row = terminal.cursor_row();
        draw_cell(m_cursor_column, m_cursor_row, terminal.view_cell(m_cursor_column, m_cursor_row), true);
    }
}

} // namespace Console
