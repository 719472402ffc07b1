#include <Core/Utf8.h>
#include <Kernel/Console/FramebufferConsole.h>

namespace Kernel::Console {

using Core::BitmapFont;


// Pixels are stored by copying the low bytes of a u32 into the framebuffer, which is
// only the little-endian pixel layout the boot protocols describe on a little-endian CPU.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "pixel stores assume a little-endian CPU");

namespace {

// Indexed by Color. The usual VGA hues, softened so that the dark colours stay readable
// on black and the bright ones do not glare.
constexpr RgbColor palette[] = {
    { 0x00, 0x00, 0x00 }, // Black
    { 0xCC, 0x3E, 0x3E }, // Red
    { 0x4E, 0xB0, 0x4E }, // Green
    { 0xCC, 0xA4, 0x2E }, // Yellow
    { 0x3E, 0x6E, 0xD0 }, // Blue
    { 0xB0, 0x52, 0xB0 }, // Magenta
    { 0x38, 0xA8, 0xB0 }, // Cyan
    { 0xC8, 0xC8, 0xC8 }, // White
    { 0x70, 0x70, 0x70 }, // Gray
    { 0xFF, 0x6E, 0x6E }, // BrightRed
    { 0x7E, 0xE0, 0x7E }, // BrightGreen
    { 0xFF, 0xE0, 0x66 }, // BrightYellow
    { 0x78, 0xA0, 0xFF }, // BrightBlue
    { 0xF0, 0x8C, 0xF0 }, // BrightMagenta
    { 0x70, 0xE0, 0xE8 }, // BrightCyan
    { 0xFF, 0xFF, 0xFF }, // BrightWhite
};
static_assert(sizeof(palette) / sizeof(palette[0]) == 16);

constexpr RgbColor background_color = { 0x00, 0x00, 0x00 };

// A Color that is not one of the 16 enumerators (a bad cast) is drawn as White rather
// than indexing past the palette.
Core::u32 palette_index(Color color)
{
    auto index = static_cast<Core::u32>(color);
    return index < 16 ? index : static_cast<Core::u32>(Color::White);
}

// Scales an 8-bit component to a channel of `size` bits (1..32), rounding to nearest,
// so that 0xFF is always the channel's maximum.
Core::u32 scale_component(Core::u8 component, Core::u8 size)
{
    Core::u64 channel_maximum = (Core::u64(1) << size) - 1;
    return static_cast<Core::u32>((component * channel_maximum + 127) / 255);
}

Core::u64 channel_mask(Core::u8 position, Core::u8 size)
{
    return ((Core::u64(1) << size) - 1) << position;
}

bool is_font_well_formed(const BitmapFont& font)
{
    if (font.glyph_width == 0 || font.glyph_height == 0 || font.glyph_count == 0 || !font.glyph_data)
        return false;
    if (font.bytes_per_row < (font.glyph_width + 7) / 8)
        return false;
    if (font.fallback_glyph >= font.glyph_count)
        return false;
    if (font.mapping_count > 0 && !font.mapping)
        return false;
    // glyph_for() binary-searches the mapping; an unsorted table would silently draw
    // wrong glyphs, so it is checked once here.
    for (Core::u32 index = 1; index < font.mapping_count; ++index) {
        // Invariant: index < mapping_count and mapping is non-null with mapping_count entries.
        if (font.mapping[index - 1].codepoint >= font.mapping[index].codepoint)
            return false;
    }
    return true;
}

Core::Result<void> validate_surface(const FramebufferSurface& surface)
{
    if (surface.bytes_per_pixel < 2 || surface.bytes_per_pixel > 4)
        return Core::ErrorCode::NotSupported;
    if (!surface.pixels || surface.width == 0 || surface.height == 0)
        return Core::ErrorCode::InvalidArgument;
    if (surface.pitch < Core::u64(surface.width) * surface.bytes_per_pixel)
        return Core::ErrorCode::InvalidArgument;

    struct Channel {
        Core::u8 position;
        Core::u8 size;
    };
    const Channel channels[] = {
        { surface.red_position, surface.red_size },
        { surface.green_position, surface.green_size },
        { surface.blue_position, surface.blue_size },
    };
    Core::u32 bits_per_pixel = surface.bytes_per_pixel * 8u;
    Core::u64 used_bits = 0;
    for (const Channel& channel : channels) {
        if (channel.size == 0 || Core::u32(channel.position) + channel.size > bits_per_pixel)
            return Core::ErrorCode::InvalidArgument;
        Core::u64 mask = channel_mask(channel.position, channel.size);
        if (used_bits & mask)
            return Core::ErrorCode::InvalidArgument;
        used_bits |= mask;
    }
    return {};
}

bool is_control_character(Core::u32 codepoint)
{
    return codepoint < 0x20 || (codepoint >= 0x7F && codepoint < 0xA0);
}

// Stores the low BytesPerPixel bytes of `pixel`, least significant first.
template<Core::u32 BytesPerPixel> inline void store_pixel(Core::u8* destination, Core::u32 pixel)
{
    // Invariant for each store: the caller passes a destination with BytesPerPixel
    // writable bytes (one pixel inside the surface). memcpy because framebuffer pixels
    // of 2 or 4 bytes need not be aligned to their size.
    if constexpr (BytesPerPixel == 4) {
        __builtin_memcpy(destination, &pixel, 4);
    } else if constexpr (BytesPerPixel == 2) {
        auto narrow = static_cast<Core::u16>(pixel);
        __builtin_memcpy(destination, &narrow, 2);
    } else {
        static_assert(BytesPerPixel == 3);
        destination[0] = static_cast<Core::u8>(pixel);
        destination[1] = static_cast<Core::u8>(pixel >> 8);
        destination[2] = static_cast<Core::u8>(pixel >> 16);
    }
}

// Draws one glyph cell: every pixel of it, foreground where the glyph bit is set and
// background elsewhere, so whatever was in the cell before is replaced.
template<Core::u32 BytesPerPixel>
void draw_glyph_pixels(Core::u8* cell_origin, Core::usize pitch, const BitmapFont& font,
    const Core::u8* glyph_rows, Core::u32 foreground_pixel, Core::u32 background_pixel)
{
    for (Core::u32 row = 0; row < font.glyph_height; ++row) {
        // Invariant: glyph_rows points to glyph_height rows of bytes_per_row bytes
        // (BitmapFont::glyph_rows), and bytes_per_row * 8 >= glyph_width (checked in
        // create()), so every byte read below belongs to this glyph.
        const Core::u8* row_bits = glyph_rows + static_cast<Core::usize>(row) * font.bytes_per_row;
        // Invariant: the cell lies inside the surface (its column and row are below
        // columns() and rows()), so each of its glyph_height lines of glyph_width
        // pixels starting at cell_origin is writable.
        Core::u8* destination = cell_origin + row * pitch;
        for (Core::u32 column_in_glyph = 0; column_in_glyph < font.glyph_width; ++column_in_glyph) {
            bool is_set = row_bits[column_in_glyph / 8] & (0x80u >> (column_in_glyph % 8));
            store_pixel<BytesPerPixel>(destination, is_set ? foreground_pixel : background_pixel);
            // Steps to the next of the line's glyph_width pixels, all inside the cell.
            destination += BytesPerPixel;
        }
    }
}

template<Core::u32 BytesPerPixel>
void fill_pixels(Core::u8* origin, Core::usize pitch, Core::u32 width, Core::u32 height, Core::u32 pixel)
{
    for (Core::u32 line = 0; line < height; ++line) {
        // Invariant: the rectangle lies inside the surface (checked by the caller), so
        // each of its `height` lines of `width` pixels starting at origin is writable.
        Core::u8* destination = origin + line * pitch;
        for (Core::u32 pixel_in_line = 0; pixel_in_line < width; ++pixel_in_line) {
            store_pixel<BytesPerPixel>(destination, pixel);
            // Steps to the next of the line's `width` pixels, all inside the rectangle.
            destination += BytesPerPixel;
        }
    }
}

} // namespace

RgbColor FramebufferConsole::palette_color(Color color)
{
    return palette[palette_index(color)];
}

Core::Result<FramebufferConsole> FramebufferConsole::create(
    FramebufferSurface surface, const BitmapFont& font)
{
    TRY(validate_surface(surface));
    if (!is_font_well_formed(font))
        return Core::ErrorCode::InvalidArgument;
    // A surface that cannot hold even one cell is well formed but of no use to us.
    if (surface.width < font.glyph_width || surface.height < font.glyph_height)
        return Core::ErrorCode::NotSupported;
    return FramebufferConsole(surface, font);
}

FramebufferConsole::FramebufferConsole(const FramebufferSurface& surface, const BitmapFont& font)
    : m_surface(surface)
    , m_font(&font)
    , m_columns(surface.width / font.glyph_width)
    , m_rows(surface.height / font.glyph_height)
{
    // Colours are converted once here so drawing only copies ready-made pixel values.
    for (Core::u32 index = 0; index < palette_size; ++index)
        m_palette_pixels[index] = pixel_value(palette[index]);
    m_background_pixel = pixel_value(background_color);
}

Core::u32 FramebufferConsole::pixel_value(RgbColor color) const
{
    return (scale_component(color.red, m_surface.red_size) << m_surface.red_position)
        | (scale_component(color.green, m_surface.green_size) << m_surface.green_position)
        | (scale_component(color.blue, m_surface.blue_size) << m_surface.blue_position);
}

void FramebufferConsole::write(Core::StringView text, Color foreground)
{
    Core::u32 foreground_pixel = m_palette_pixels[palette_index(foreground)];
    Core::usize offset = 0;
    while (offset < text.length()) {
        Core::DecodedCharacter character = Core::decode_utf8(text, offset);
        offset += character.length;
        if (!character.is_valid) {
            put_glyph(m_font->fallback_glyph, foreground_pixel);
            continue;
        }
        switch (character.codepoint) {
        case '\n':
            new_line();
            break;
        case '\r':
            m_cursor_column = 0;
            break;
        case '\t':
            // Tabs move within the line and stop at its end; they never wrap.
            m_cursor_column = Core::min((m_cursor_column / tab_width + 1) * tab_width, m_columns);
            break;
        case '\b':
            // Moves back without erasing, like a terminal; "\b \b" erases.
            if (m_cursor_column > 0)
                --m_cursor_column;
            break;
        default:
            if (!is_control_character(character.codepoint))
                put_glyph(m_font->glyph_for(character.codepoint), foreground_pixel);
            break;
        }
    }
}

void FramebufferConsole::clear()
{
    fill_rectangle(0, 0, m_surface.width, m_surface.height, m_background_pixel);
    m_cursor_column = 0;
    m_cursor_row = 0;
}

void FramebufferConsole::put_glyph(Core::u32 glyph, Core::u32 foreground_pixel)
{
    // The wrap is deferred to here so that a full line followed by '\n' moves down once.
    if (m_cursor_column >= m_columns)
        new_line();
    draw_glyph(m_cursor_column, m_cursor_row, glyph, foreground_pixel);
    ++m_cursor_column;
}

void FramebufferConsole::new_line()
{
    m_cursor_column = 0;
    if (m_cursor_row + 1 < m_rows)
        ++m_cursor_row;
    else
        scroll_up();
}

void FramebufferConsole::scroll_up()
{
    Core::u32 row_height = m_font->glyph_height;
    Core::usize pitch = m_surface.pitch;
    Core::usize line_bytes = static_cast<Core::usize>(m_surface.width) * m_surface.bytes_per_pixel;
    if (m_rows > 1) {
        // One move for the whole text area: lines [row_height, rows * row_height) go up
        // by row_height lines. The count stops at the last pixel of the last line, so
        // nothing past the surface is touched; the pitch padding in between moves too,
        // which is harmless.
        Core::usize moved_lines = static_cast<Core::usize>(m_rows - 1) * row_height;
        Core::usize byte_count = (moved_lines - 1) * pitch + line_bytes;
        // Invariant: rows * row_height <= height, so source and destination ranges both
        // lie within the pitch * (height - 1) + line_bytes bytes the surface provides.
        // The ranges overlap whenever more than one row moves, hence memmove.
        __builtin_memmove(m_surface.pixels, m_surface.pixels + row_height * pitch, byte_count);
    }
    fill_rectangle(0, (m_rows - 1) * row_height, m_surface.width, row_height, m_background_pixel);
}

void FramebufferConsole::draw_glyph(
    Core::u32 column, Core::u32 row, Core::u32 glyph, Core::u32 foreground_pixel)
{
    VERIFY(column < m_columns && row < m_rows);
    Core::usize cell_left = static_cast<Core::usize>(column) * m_font->glyph_width;
    Core::usize cell_top = static_cast<Core::usize>(row) * m_font->glyph_height;
    // Invariant: column < columns and row < rows, so the cell's top-left pixel and the
    // whole cell lie inside the surface.
    Core::u8* cell_origin
        = m_surface.pixels + cell_top * m_surface.pitch + cell_left * m_surface.bytes_per_pixel;
    const Core::u8* rows_of_glyph = m_font->glyph_rows(glyph);
    switch (m_surface.bytes_per_pixel) {
    case 4:
        draw_glyph_pixels<4>(
            cell_origin, m_surface.pitch, *m_font, rows_of_glyph, foreground_pixel, m_background_pixel);
        break;
    case 3:
        draw_glyph_pixels<3>(
            cell_origin, m_surface.pitch, *m_font, rows_of_glyph, foreground_pixel, m_background_pixel);
        break;
    case 2:
        draw_glyph_pixels<2>(
            cell_origin, m_surface.pitch, *m_font, rows_of_glyph, foreground_pixel, m_background_pixel);
        break;
    default:
        VERIFY_NOT_REACHED();
    }
}

void FramebufferConsole::fill_rectangle(
    Core::u32 left, Core::u32 top, Core::u32 width, Core::u32 height, Core::u32 pixel)
{
    VERIFY(left <= m_surface.width && width <= m_surface.width - left);
    VERIFY(top <= m_surface.height && height <= m_surface.height - top);
    Core::u32 bytes_per_pixel = m_surface.bytes_per_pixel;
    // Invariant: the rectangle was just checked to lie inside the surface.
    Core::u8* origin = m_surface.pixels + static_cast<Core::usize>(top) * m_surface.pitch
        + static_cast<Core::usize>(left) * bytes_per_pixel;

    // A pixel whose bytes are all equal (black is 0 in every format) fills a line with
    // one memset, which is much faster than storing pixel by pixel.
    Core::u32 byte_pattern = pixel & 0xFF;
    bool bytes_are_equal = true;
    for (Core::u32 byte_index = 1; byte_index < bytes_per_pixel; ++byte_index)
        bytes_are_equal = bytes_are_equal && ((pixel >> (byte_index * 8)) & 0xFF) == byte_pattern;
    if (bytes_are_equal) {
        Core::usize line_bytes = static_cast<Core::usize>(width) * bytes_per_pixel;
        for (Core::u32 line = 0; line < height; ++line) {
            // Invariant: line < height, so this line of the rectangle is inside the surface.
            __builtin_memset(origin + line * static_cast<Core::usize>(m_surface.pitch),
                static_cast<int>(byte_pattern), line_bytes);
        }
        return;
    }

    switch (bytes_per_pixel) {
    case 4:
        fill_pixels<4>(origin, m_surface.pitch, width, height, pixel);
        break;
    case 3:
        fill_pixels<3>(origin, m_surface.pitch, width, height, pixel);
        break;
    case 2:
        fill_pixels<2>(origin, m_surface.pitch, width, height, pixel);
        break;
    default:
        VERIFY_NOT_REACHED();
    }
}

} // namespace Kernel::Console
