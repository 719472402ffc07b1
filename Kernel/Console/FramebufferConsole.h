#pragma once

#include <Core/Error.h>
#include <Core/StringView.h>
#include <Core/Types.h>
#include <Kernel/Console/ConsoleDevice.h>
#include <Core/BitmapFont.h>

namespace Kernel::Console {

// A linear framebuffer as the boot loader describes it. A pixel is a little-endian
// integer of bytes_per_pixel bytes; each colour channel occupies `size` bits starting
// at bit `position` of that integer. `pixels` must point to at least
// pitch * (height - 1) + width * bytes_per_pixel writable bytes.
struct FramebufferSurface {
    Core::u8* pixels;
    Core::u32 width;
    Core::u32 height;
    Core::u32 pitch;
    Core::u8 bytes_per_pixel;
    Core::u8 red_position, red_size, green_position, green_size, blue_position, blue_size;
};

struct RgbColor {
    Core::u8 red;
    Core::u8 green;
    Core::u8 blue;
};

// A text console drawn with a bitmap font on a framebuffer: UTF-8 text in 16 colours on
// a black background, wrapping at the right edge and scrolling at the bottom.
//
// The cursor is the cell the next glyph goes to. After a glyph fills the last column the
// cursor stays on that row with cursor_column() == columns(), and the next glyph wraps;
// so a line exactly as wide as the screen followed by '\n' does not leave a blank line.
//
// All state lives in the object and nothing allocates, so writes are safe on the panic
// path. Not synchronised; callers serialise access.
class FramebufferConsole final : public ConsoleDevice {
public:
    static constexpr Core::u32 tab_width = 8;

    // Checks that the surface is usable (2, 3 or 4 bytes per pixel, sane pitch and
    // channels, room for at least one character cell) and that the font is well formed.
    // Does not touch the pixels: call clear() to start from a blank screen, or keep
    // what the boot loader drew. `font` must outlive the console.
    static Core::Result<FramebufferConsole> create(FramebufferSurface surface, const Core::BitmapFont& font);

    // Decodes `text` as UTF-8 on its own (a character split across two calls shows as
    // two fallback glyphs). Handles '\n' (also returns to column 0), '\r', '\t', '\b';
    // other control characters are ignored.
    void write(Core::StringView text, Color foreground) override;
    Core::StringView name() const override { return "framebuffer"; }

    // Fills the whole surface with the background colour and homes the cursor.
    void clear();

    [[nodiscard]] Core::u32 columns() const { return m_columns; }
    [[nodiscard]] Core::u32 rows() const { return m_rows; }
    [[nodiscard]] Core::u32 cursor_column() const { return m_cursor_column; }
    [[nodiscard]] Core::u32 cursor_row() const { return m_cursor_row; }

    // The colour each Color is drawn in, before conversion to the surface's format.
    static RgbColor palette_color(Color color);

private:
    static constexpr Core::u32 palette_size = 16;

    FramebufferConsole(const FramebufferSurface& surface, const Core::BitmapFont& font);

    void put_glyph(Core::u32 glyph, Core::u32 foreground_pixel);
    void new_line();
    void scroll_up();
    void draw_glyph(Core::u32 column, Core::u32 row, Core::u32 glyph, Core::u32 foreground_pixel);
    void fill_rectangle(Core::u32 left, Core::u32 top, Core::u32 width, Core::u32 height, Core::u32 pixel);
    [[nodiscard]] Core::u32 pixel_value(RgbColor color) const;

    FramebufferSurface m_surface;
    const Core::BitmapFont* m_font;
    Core::u32 m_columns;
    Core::u32 m_rows;
    Core::u32 m_cursor_column { 0 };
    Core::u32 m_cursor_row { 0 };
    // Each palette colour and the background already in the surface's pixel format.
    Core::u32 m_palette_pixels[palette_size];
    Core::u32 m_background_pixel;
};

} // namespace Kernel::Console
