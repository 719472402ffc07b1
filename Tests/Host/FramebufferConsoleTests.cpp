#include <Core/BitmapFont.h>
#include <Kernel/Console/FramebufferConsole.h>
#include <cstring>
#include <gtest/gtest.h>
#include <memory>
#include <string>
#include <vector>

using Core::u16;
using Core::u32;
using Core::u8;
using Core::usize;
using Core::BitmapFont;
using Core::CodepointToGlyph;
using Kernel::Console::Color;
using Kernel::Console::FramebufferConsole;
using Kernel::Console::FramebufferSurface;
using Kernel::Console::RgbColor;

namespace {

// A hand-made 4x6 font: each glyph is 6 rows of one byte, pixels in the high nibble.
// Every glyph has a different shape so that a test can tell which one was drawn.
enum TestGlyph : u32 {
    FallbackGlyph,
    SpaceGlyph,
    LetterAGlyph,
    LetterBGlyph,
    EAcuteGlyph,
    EuroGlyph,
    SmileyGlyph,
    SolidGlyph,
    TestGlyphCount,
};

constexpr u32 test_glyph_width = 4;
constexpr u32 test_glyph_height = 6;

constexpr u8 test_glyph_data[TestGlyphCount * test_glyph_height] = {
    0xF0, 0x90, 0x90, 0x90, 0x90, 0xF0, // FallbackGlyph: a box
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // SpaceGlyph
    0x60, 0x90, 0xF0, 0x90, 0x90, 0x00, // LetterAGlyph
    0xE0, 0x90, 0xE0, 0x90, 0xE0, 0x00, // LetterBGlyph
    0x20, 0x40, 0x60, 0xF0, 0x80, 0x70, // EAcuteGlyph
    0x70, 0x80, 0xE0, 0x80, 0x70, 0x00, // EuroGlyph
    0x00, 0x90, 0x00, 0x90, 0x60, 0x00, // SmileyGlyph
    0xF0, 0xF0, 0xF0, 0xF0, 0xF0, 0xF0, // SolidGlyph: every pixel set
};

constexpr CodepointToGlyph test_mapping[] = {
    { 0x20, SpaceGlyph },
    { '#', SolidGlyph },
    { 'A', LetterAGlyph },
    { 'B', LetterBGlyph },
    { 0xE9, EAcuteGlyph },
    { 0x20AC, EuroGlyph },
    { 0x1F600, SmileyGlyph },
};

constexpr BitmapFont test_font {
    .glyph_width = test_glyph_width,
    .glyph_height = test_glyph_height,
    .bytes_per_row = 1,
    .glyph_count = TestGlyphCount,
    .glyph_data = test_glyph_data,
    .mapping = test_mapping,
    .mapping_count = sizeof(test_mapping) / sizeof(test_mapping[0]),
    .fallback_glyph = FallbackGlyph,
};

// What the surface memory is filled with before a test: no colour the console uses, so
// a pixel the console never wrote is easy to spot.
constexpr u8 untouched_byte = 0xAB;

enum class PixelLayout {
    Xrgb8888,
    Bgr888, // bytes in memory: blue, green, red
    Rgb888, // bytes in memory: red, green, blue
    Rgb565,
};

// A framebuffer in host memory. `padding` extra bytes per line stand in for pitch
// padding, which the console must never write.
struct TestSurface {
    TestSurface(u32 width, u32 height, PixelLayout layout, u32 padding = 0)
    {
        surface = {};
        surface.width = width;
        surface.height = height;
        switch (layout) {
        case PixelLayout::Xrgb8888:
            surface.bytes_per_pixel = 4;
            set_channels(16, 8, 8, 8, 0, 8);
            break;
        case PixelLayout::Bgr888:
            surface.bytes_per_pixel = 3;
            set_channels(16, 8, 8, 8, 0, 8);
            break;
        case PixelLayout::Rgb888:
            surface.bytes_per_pixel = 3;
            set_channels(0, 8, 8, 8, 16, 8);
            break;
        case PixelLayout::Rgb565:
            surface.bytes_per_pixel = 2;
            set_channels(11, 5, 5, 6, 0, 5);
            break;
        }
        surface.pitch = width * surface.bytes_per_pixel + padding;
        memory.assign(static_cast<usize>(surface.pitch) * height, untouched_byte);
        surface.pixels = memory.data();
    }

    void set_channels(
        u8 red_position, u8 red_size, u8 green_position, u8 green_size, u8 blue_position, u8 blue_size)
    {
        surface.red_position = red_position;
        surface.red_size = red_size;
        surface.green_position = green_position;
        surface.green_size = green_size;
        surface.blue_position = blue_position;
        surface.blue_size = blue_size;
    }

    const u8* pixel_address(u32 x, u32 y) const
    {
        return memory.data() + static_cast<usize>(y) * surface.pitch
            + static_cast<usize>(x) * surface.bytes_per_pixel;
    }

    // Assembled byte by byte (least significant first) rather than with the console's
    // own store path, so a byte-order mistake there shows up here.
    u32 pixel_at(u32 x, u32 y) const
    {
        const u8* bytes = pixel_address(x, y);
        u32 value = 0;
        for (u32 index = 0; index < surface.bytes_per_pixel; ++index)
            value |= static_cast<u32>(bytes[index]) << (8 * index);
        return value;
    }

    u32 untouched_pixel() const
    {
        u32 value = 0;
        for (u32 index = 0; index < surface.bytes_per_pixel; ++index)
            value |= static_cast<u32>(untouched_byte) << (8 * index);
        return value;
    }

    std::vector<u8> memory;
    FramebufferSurface surface;
};

FramebufferConsole make_console(const TestSurface& test_surface, const BitmapFont& font = test_font)
{
    auto result = FramebufferConsole::create(test_surface.surface, font);
    EXPECT_FALSE(result.is_error()) << (result.is_error() ? result.error().name() : "");
    return result.release_value();
}

u32 xrgb8888(RgbColor color)
{
    return (static_cast<u32>(color.red) << 16) | (static_cast<u32>(color.green) << 8) | color.blue;
}

u32 scale_to_bits(u8 component, u32 bits)
{
    u32 maximum = (1u << bits) - 1;
    return (component * maximum + 127) / 255;
}

u32 rgb565(RgbColor color)
{
    return (scale_to_bits(color.red, 5) << 11) | (scale_to_bits(color.green, 6) << 5)
        | scale_to_bits(color.blue, 5);
}

bool glyph_bit(const BitmapFont& font, u32 glyph, u32 x, u32 y)
{
    const u8* rows = font.glyph_data + static_cast<usize>(glyph) * font.glyph_height * font.bytes_per_row;
    return rows[y * font.bytes_per_row + x / 8] & (0x80 >> (x % 8));
}

// Checks that cell (column, row) shows `glyph`: `foreground` where the glyph has a bit
// set, `background` everywhere else.
testing::AssertionResult cell_shows(const TestSurface& test_surface, const BitmapFont& font, u32 column,
    u32 row, u32 glyph, u32 foreground, u32 background = 0)
{
    u32 mismatches = 0;
    std::string first_mismatch;
    for (u32 y = 0; y < font.glyph_height; ++y) {
        for (u32 x = 0; x < font.glyph_width; ++x) {
            u32 pixel_x = column * font.glyph_width + x;
            u32 pixel_y = row * font.glyph_height + y;
            u32 expected = glyph_bit(font, glyph, x, y) ? foreground : background;
            u32 actual = test_surface.pixel_at(pixel_x, pixel_y);
            if (actual != expected && mismatches++ == 0) {
                first_mismatch = "pixel (" + std::to_string(pixel_x) + ", " + std::to_string(pixel_y)
                    + ") is " + std::to_string(actual) + ", expected " + std::to_string(expected);
            }
        }
    }
    if (mismatches == 0)
        return testing::AssertionSuccess();
    return testing::AssertionFailure()
        << "cell (" << column << ", " << row << ") does not show glyph " << glyph << ": " << mismatches
        << " wrong pixels, first " << first_mismatch;
}

// Checks that every pixel of cell (column, row) is `pixel`.
testing::AssertionResult cell_is_filled(
    const TestSurface& test_surface, const BitmapFont& font, u32 column, u32 row, u32 pixel)
{
    for (u32 y = 0; y < font.glyph_height; ++y) {
        for (u32 x = 0; x < font.glyph_width; ++x) {
            u32 actual = test_surface.pixel_at(column * font.glyph_width + x, row * font.glyph_height + y);
            if (actual != pixel) {
                return testing::AssertionFailure()
                    << "cell (" << column << ", " << row << ") pixel (" << x << ", " << y << ") is " << actual
                    << ", expected " << pixel;
            }
        }
    }
    return testing::AssertionSuccess();
}

u32 white_xrgb()
{
    return xrgb8888(FramebufferConsole::palette_color(Color::White));
}

} // namespace

TEST(FramebufferConsole, ComputesGridFromSurfaceAndFont)
{
    // 22x20 pixels hold 5 columns of 4 and 3 rows of 6, with a partial cell left over.
    TestSurface test_surface(22, 20, PixelLayout::Xrgb8888);
    auto console = make_console(test_surface);
    EXPECT_EQ(console.columns(), 5u);
    EXPECT_EQ(console.rows(), 3u);
    EXPECT_EQ(console.cursor_column(), 0u);
    EXPECT_EQ(console.cursor_row(), 0u);
    EXPECT_EQ(console.name(), "framebuffer"_sv);
}

TEST(FramebufferConsole, DrawsGlyphAtCursorIn32BitColour)
{
    TestSurface test_surface(20, 18, PixelLayout::Xrgb8888);
    auto console = make_console(test_surface);
    console.write("AB", Color::BrightRed);

    u32 bright_red = xrgb8888(FramebufferConsole::palette_color(Color::BrightRed));
    EXPECT_TRUE(cell_shows(test_surface, test_font, 0, 0, LetterAGlyph, bright_red));
    EXPECT_TRUE(cell_shows(test_surface, test_font, 1, 0, LetterBGlyph, bright_red));
    EXPECT_EQ(console.cursor_column(), 2u);
    EXPECT_EQ(console.cursor_row(), 0u);
    // A's top row is .XX. : the exact pixels, and the X byte of XRGB stays zero.
    EXPECT_EQ(test_surface.pixel_at(0, 0), 0u);
    EXPECT_EQ(test_surface.pixel_at(1, 0), bright_red);
    EXPECT_EQ(test_surface.pixel_at(2, 0), bright_red);
    EXPECT_EQ(test_surface.pixel_at(3, 0), 0u);
    // Cells not written to keep their old contents.
    EXPECT_TRUE(cell_is_filled(test_surface, test_font, 2, 0, test_surface.untouched_pixel()));
    EXPECT_TRUE(cell_is_filled(test_surface, test_font, 0, 1, test_surface.untouched_pixel()));
}

TEST(FramebufferConsole, BrightWhiteIsFullIntensityInEveryFormat)
{
    TestSurface xrgb(8, 6, PixelLayout::Xrgb8888);
    TestSurface bgr(8, 6, PixelLayout::Bgr888);
    TestSurface sixteen_bit(8, 6, PixelLayout::Rgb565);
    for (TestSurface* test_surface : { &xrgb, &bgr, &sixteen_bit }) {
        auto console = make_console(*test_surface);
        console.write("#", Color::BrightWhite);
    }
    EXPECT_TRUE(cell_is_filled(xrgb, test_font, 0, 0, 0x00FFFFFFu));
    EXPECT_TRUE(cell_is_filled(bgr, test_font, 0, 0, 0xFFFFFFu));
    EXPECT_TRUE(cell_is_filled(sixteen_bit, test_font, 0, 0, 0xFFFFu));
}

TEST(FramebufferConsole, Writes24BitPixelsInChannelOrder)
{
    RgbColor yellow = FramebufferConsole::palette_color(Color::Yellow);
    // The test only means something if the three components differ.
    ASSERT_NE(yellow.red, yellow.green);
    ASSERT_NE(yellow.green, yellow.blue);

    TestSurface bgr(8, 6, PixelLayout::Bgr888);
    auto bgr_console = make_console(bgr);
    bgr_console.write("#", Color::Yellow);
    const u8* bgr_pixel = bgr.pixel_address(1, 2);
    EXPECT_EQ(bgr_pixel[0], yellow.blue);
    EXPECT_EQ(bgr_pixel[1], yellow.green);
    EXPECT_EQ(bgr_pixel[2], yellow.red);

    TestSurface rgb(8, 6, PixelLayout::Rgb888);
    auto rgb_console = make_console(rgb);
    rgb_console.write("A", Color::Yellow);
    const u8* rgb_pixel = rgb.pixel_address(1, 0); // set in A's top row
    EXPECT_EQ(rgb_pixel[0], yellow.red);
    EXPECT_EQ(rgb_pixel[1], yellow.green);
    EXPECT_EQ(rgb_pixel[2], yellow.blue);
    u32 expected = yellow.red | (yellow.green << 8) | (yellow.blue << 16);
    EXPECT_TRUE(cell_shows(rgb, test_font, 0, 0, LetterAGlyph, expected));
    // The second cell was not written: 3-byte stores must not spill into it.
    EXPECT_TRUE(cell_is_filled(rgb, test_font, 1, 0, rgb.untouched_pixel()));
}

TEST(FramebufferConsole, ScalesComponentsDownFor16BitPixels)
{
    TestSurface test_surface(12, 6, PixelLayout::Rgb565);
    auto console = make_console(test_surface);
    console.write("AB#", Color::BrightCyan);
    u32 expected = rgb565(FramebufferConsole::palette_color(Color::BrightCyan));
    EXPECT_TRUE(cell_shows(test_surface, test_font, 0, 0, LetterAGlyph, expected));
    EXPECT_TRUE(cell_shows(test_surface, test_font, 1, 0, LetterBGlyph, expected));
    EXPECT_TRUE(cell_is_filled(test_surface, test_font, 2, 0, expected));
}

TEST(FramebufferConsole, NeverWritesPitchPaddingOrPartialCells)
{
    // 5x3 cells with 2 pixels to the right and 2 lines below left over, plus padding.
    TestSurface test_surface(22, 20, PixelLayout::Bgr888, 5);
    auto console = make_console(test_surface);
    console.write("#####\n#####\n#####", Color::White);

    u32 line_bytes = test_surface.surface.width * test_surface.surface.bytes_per_pixel;
    for (u32 y = 0; y < test_surface.surface.height; ++y) {
        for (u32 offset = line_bytes; offset < test_surface.surface.pitch; ++offset)
            ASSERT_EQ(test_surface.memory[y * test_surface.surface.pitch + offset], untouched_byte)
                << "line " << y;
    }
    for (u32 y = 0; y < 18; ++y) {
        EXPECT_EQ(test_surface.pixel_at(20, y), test_surface.untouched_pixel());
        EXPECT_EQ(test_surface.pixel_at(21, y), test_surface.untouched_pixel());
    }
    for (u32 x = 0; x < 22; ++x)
        EXPECT_EQ(test_surface.pixel_at(x, 18), test_surface.untouched_pixel());
}

TEST(FramebufferConsole, WrapsAtTheRightEdge)
{
    TestSurface test_surface(20, 18, PixelLayout::Xrgb8888);
    auto console = make_console(test_surface);
    console.write("AAAAA", Color::White);
    // A full line leaves the cursor past the last column until the next glyph.
    EXPECT_EQ(console.cursor_column(), 5u);
    EXPECT_EQ(console.cursor_row(), 0u);

    console.write("B", Color::White);
    EXPECT_TRUE(cell_shows(test_surface, test_font, 4, 0, LetterAGlyph, white_xrgb()));
    EXPECT_TRUE(cell_shows(test_surface, test_font, 0, 1, LetterBGlyph, white_xrgb()));
    EXPECT_EQ(console.cursor_column(), 1u);
    EXPECT_EQ(console.cursor_row(), 1u);
}

TEST(FramebufferConsole, NewlineAfterFullLineDoesNotSkipALine)
{
    TestSurface test_surface(20, 18, PixelLayout::Xrgb8888);
    auto console = make_console(test_surface);
    console.write("AAAAA\nB", Color::White);
    EXPECT_TRUE(cell_shows(test_surface, test_font, 0, 1, LetterBGlyph, white_xrgb()));
    EXPECT_EQ(console.cursor_row(), 1u);
}

TEST(FramebufferConsole, NewlineAndCarriageReturn)
{
    TestSurface test_surface(20, 18, PixelLayout::Xrgb8888);
    auto console = make_console(test_surface);
    console.write("AA\nB", Color::White);
    EXPECT_TRUE(cell_shows(test_surface, test_font, 0, 1, LetterBGlyph, white_xrgb()));
    EXPECT_EQ(console.cursor_column(), 1u);
    EXPECT_EQ(console.cursor_row(), 1u);

    console.write("AAA\rB", Color::White);
    EXPECT_TRUE(cell_shows(test_surface, test_font, 0, 1, LetterBGlyph, white_xrgb()));
    EXPECT_TRUE(cell_shows(test_surface, test_font, 1, 1, LetterAGlyph, white_xrgb()));
    EXPECT_EQ(console.cursor_column(), 1u);
    EXPECT_EQ(console.cursor_row(), 1u);
}

TEST(FramebufferConsole, TabMovesToNextMultipleOfEight)
{
    // 20 columns: tab stops at 8 and 16, then the end of the line.
    TestSurface test_surface(80, 12, PixelLayout::Xrgb8888);
    auto console = make_console(test_surface);
    console.write("A\tB", Color::White);
    EXPECT_TRUE(cell_shows(test_surface, test_font, 8, 0, LetterBGlyph, white_xrgb()));
    EXPECT_EQ(console.cursor_column(), 9u);

    console.write("\t", Color::White);
    EXPECT_EQ(console.cursor_column(), 16u);
    console.write("\t", Color::White); // would be 24: stops at the end of the line
    EXPECT_EQ(console.cursor_column(), 20u);
    EXPECT_EQ(console.cursor_row(), 0u);
    console.write("A", Color::White);
    EXPECT_TRUE(cell_shows(test_surface, test_font, 0, 1, LetterAGlyph, white_xrgb()));

    console.write("\tB", Color::White); // from column 1 to 8
    EXPECT_TRUE(cell_shows(test_surface, test_font, 8, 1, LetterBGlyph, white_xrgb()));
}

TEST(FramebufferConsole, BackspaceMovesLeftWithinTheLine)
{
    TestSurface test_surface(20, 18, PixelLayout::Xrgb8888);
    auto console = make_console(test_surface);
    console.write("AB\bA", Color::White);
    EXPECT_TRUE(cell_shows(test_surface, test_font, 1, 0, LetterAGlyph, white_xrgb()));
    EXPECT_EQ(console.cursor_column(), 2u);

    console.write("\b\b\b\b", Color::White);
    EXPECT_EQ(console.cursor_column(), 0u);
    EXPECT_EQ(console.cursor_row(), 0u);
}

TEST(FramebufferConsole, IgnoresOtherControlCharacters)
{
    TestSurface test_surface(20, 18, PixelLayout::Xrgb8888);
    auto console = make_console(test_surface);
    console.write("\x01\x1b\x7f"
                  "A",
        Color::White);
    EXPECT_TRUE(cell_shows(test_surface, test_font, 0, 0, LetterAGlyph, white_xrgb()));
    EXPECT_EQ(console.cursor_column(), 1u);
}

TEST(FramebufferConsole, ScrollsWhenNewlineLeavesTheLastRow)
{
    TestSurface test_surface(20, 18, PixelLayout::Xrgb8888);
    auto console = make_console(test_surface);
    u32 red = xrgb8888(FramebufferConsole::palette_color(Color::Red));
    u32 green = xrgb8888(FramebufferConsole::palette_color(Color::Green));
    u32 blue = xrgb8888(FramebufferConsole::palette_color(Color::Blue));
    console.write("A\n", Color::Red);
    console.write("B\n", Color::Green);
    console.write("#", Color::Blue);
    ASSERT_EQ(console.cursor_row(), 2u);

    console.write("\n", Color::Blue);
    EXPECT_EQ(console.cursor_row(), 2u);
    EXPECT_EQ(console.cursor_column(), 0u);
    // Every row moved up by one, colours and all...
    EXPECT_TRUE(cell_shows(test_surface, test_font, 0, 0, LetterBGlyph, green));
    EXPECT_TRUE(cell_is_filled(test_surface, test_font, 0, 1, blue));
    // ...including cells never written, which carry their old contents up...
    EXPECT_TRUE(cell_is_filled(test_surface, test_font, 1, 1, test_surface.untouched_pixel()));
    // ...and the new last row is cleared to the background across the whole width.
    for (u32 column = 0; column < console.columns(); ++column)
        EXPECT_TRUE(cell_is_filled(test_surface, test_font, column, 2, 0));

    console.write("A", Color::Red);
    EXPECT_TRUE(cell_shows(test_surface, test_font, 0, 2, LetterAGlyph, red));
}

TEST(FramebufferConsole, ScrollsWhenWrappingPastTheLastRow)
{
    TestSurface test_surface(8, 12, PixelLayout::Rgb565);
    auto console = make_console(test_surface);
    u32 white = rgb565(FramebufferConsole::palette_color(Color::White));
    console.write("ABBA", Color::White);
    EXPECT_EQ(console.cursor_row(), 1u);
    EXPECT_EQ(console.cursor_column(), 2u);

    console.write("#", Color::White);
    EXPECT_EQ(console.cursor_row(), 1u);
    EXPECT_EQ(console.cursor_column(), 1u);
    EXPECT_TRUE(cell_shows(test_surface, test_font, 0, 0, LetterBGlyph, white));
    EXPECT_TRUE(cell_shows(test_surface, test_font, 1, 0, LetterAGlyph, white));
    EXPECT_TRUE(cell_is_filled(test_surface, test_font, 0, 1, white));
    EXPECT_TRUE(cell_is_filled(test_surface, test_font, 1, 1, 0));
}

TEST(FramebufferConsole, SingleRowConsoleScrollsByClearing)
{
    TestSurface test_surface(8, 6, PixelLayout::Xrgb8888);
    auto console = make_console(test_surface);
    console.write("AB\nA", Color::White);
    EXPECT_EQ(console.cursor_row(), 0u);
    EXPECT_TRUE(cell_shows(test_surface, test_font, 0, 0, LetterAGlyph, white_xrgb()));
    EXPECT_TRUE(cell_is_filled(test_surface, test_font, 1, 0, 0));
}

TEST(FramebufferConsole, ClearFillsEverythingWithBackgroundAndHomesCursor)
{
    TestSurface test_surface(22, 20, PixelLayout::Xrgb8888);
    auto console = make_console(test_surface);
    console.write("AB\nBA", Color::White);
    console.clear();
    EXPECT_EQ(console.cursor_column(), 0u);
    EXPECT_EQ(console.cursor_row(), 0u);
    for (u32 y = 0; y < 20; ++y) {
        for (u32 x = 0; x < 22; ++x)
            ASSERT_EQ(test_surface.pixel_at(x, y), 0u) << x << ", " << y;
    }
}

TEST(FramebufferConsole, DecodesMultiByteUtf8)
{
    TestSurface test_surface(20, 6, PixelLayout::Xrgb8888);
    auto console = make_console(test_surface);
    console.write("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"
                  "A",
        Color::White); // é € 😀 A
    EXPECT_TRUE(cell_shows(test_surface, test_font, 0, 0, EAcuteGlyph, white_xrgb()));
    EXPECT_TRUE(cell_shows(test_surface, test_font, 1, 0, EuroGlyph, white_xrgb()));
    EXPECT_TRUE(cell_shows(test_surface, test_font, 2, 0, SmileyGlyph, white_xrgb()));
    EXPECT_TRUE(cell_shows(test_surface, test_font, 3, 0, LetterAGlyph, white_xrgb()));
    EXPECT_EQ(console.cursor_column(), 4u);
}

TEST(FramebufferConsole, CharactersMissingFromTheFontUseTheFallback)
{
    TestSurface test_surface(20, 6, PixelLayout::Xrgb8888);
    auto console = make_console(test_surface);
    console.write("Z\xE4\xB8\x80", Color::White); // Z and U+4E00: valid, but not in the font
    EXPECT_TRUE(cell_shows(test_surface, test_font, 0, 0, FallbackGlyph, white_xrgb()));
    EXPECT_TRUE(cell_shows(test_surface, test_font, 1, 0, FallbackGlyph, white_xrgb()));
    EXPECT_EQ(console.cursor_column(), 2u);
}

struct InvalidUtf8Case {
    const char* description;
    std::string bytes;
    // The glyphs expected, in order; the input is followed by nothing else.
    std::vector<u32> glyphs;
};

TEST(FramebufferConsole, InvalidUtf8UsesTheFallbackAndResynchronises)
{
    const std::vector<InvalidUtf8Case> cases = {
        { "stray continuation byte",
            "\x80"
            "A",
            { FallbackGlyph, LetterAGlyph } },
        { "byte never valid in UTF-8",
            "\xFF"
            "B",
            { FallbackGlyph, LetterBGlyph } },
        { "overlong encoding of NUL", "\xC0\x80", { FallbackGlyph, FallbackGlyph } },
        { "overlong three-byte form", "\xE0\x80\x80", { FallbackGlyph, FallbackGlyph, FallbackGlyph } },
        { "encoded surrogate", "\xED\xA0\x80", { FallbackGlyph, FallbackGlyph, FallbackGlyph } },
        { "above U+10FFFF", "\xF4\x90\x80\x80",
            { FallbackGlyph, FallbackGlyph, FallbackGlyph, FallbackGlyph } },
        { "sequence cut short by ASCII",
            "\xE2\x82"
            "A",
            { FallbackGlyph, LetterAGlyph } },
        { "sequence cut short by a new lead byte", "\xE2\xC3\xA9", { FallbackGlyph, EAcuteGlyph } },
        { "four-byte sequence missing its last byte", "\xF0\x9F\x98", { FallbackGlyph } },
        { "lead byte at the very end", "A\xC3", { LetterAGlyph, FallbackGlyph } },
    };
    for (const InvalidUtf8Case& test_case : cases) {
        SCOPED_TRACE(test_case.description);
        TestSurface test_surface(40, 6, PixelLayout::Xrgb8888);
        auto console = make_console(test_surface);
        // Copy into an allocation of exactly the input's size, so that AddressSanitizer
        // reports any read past the end of the text.
        auto exact_copy = std::make_unique<char[]>(test_case.bytes.size());
        std::memcpy(exact_copy.get(), test_case.bytes.data(), test_case.bytes.size());
        console.write(Core::StringView(exact_copy.get(), test_case.bytes.size()), Color::White);

        EXPECT_EQ(console.cursor_column(), test_case.glyphs.size());
        for (u32 index = 0; index < test_case.glyphs.size(); ++index)
            EXPECT_TRUE(cell_shows(test_surface, test_font, index, 0, test_case.glyphs[index], white_xrgb()));
    }
}

TEST(FramebufferConsole, OutOfRangeColourIsDrawnAsWhite)
{
    TestSurface test_surface(8, 6, PixelLayout::Xrgb8888);
    auto console = make_console(test_surface);
    console.write("#", static_cast<Color>(200));
    EXPECT_TRUE(cell_is_filled(test_surface, test_font, 0, 0, white_xrgb()));
}

TEST(FramebufferConsole, DrawsGlyphsWiderThanOneByte)
{
    // A single 10x2 glyph: each row takes two bytes and only the top two bits of the
    // second byte are pixels.
    static constexpr u8 wide_glyph_data[] = {
        0x80, 0x40, // X........X
        0x55, 0xFF, // .X.X.X.XXX (the low six bits of 0xFF are past the glyph)
    };
    static constexpr CodepointToGlyph wide_mapping[] = { { 'W', 0 } };
    static constexpr BitmapFont wide_font {
        .glyph_width = 10,
        .glyph_height = 2,
        .bytes_per_row = 2,
        .glyph_count = 1,
        .glyph_data = wide_glyph_data,
        .mapping = wide_mapping,
        .mapping_count = 1,
        .fallback_glyph = 0,
    };
    TestSurface test_surface(21, 2, PixelLayout::Xrgb8888);
    auto console = make_console(test_surface, wide_font);
    EXPECT_EQ(console.columns(), 2u);
    console.write("W", Color::White);
    u32 white = white_xrgb();
    const char* expected_rows[] = { "X........X", ".X.X.X.XXX" };
    for (u32 y = 0; y < 2; ++y) {
        for (u32 x = 0; x < 10; ++x)
            EXPECT_EQ(test_surface.pixel_at(x, y), expected_rows[y][x] == 'X' ? white : 0u) << x << ", " << y;
        EXPECT_EQ(test_surface.pixel_at(10, y), test_surface.untouched_pixel());
    }
}

TEST(FramebufferConsoleCreate, RejectsUnsupportedPixelSizes)
{
    for (u8 bytes_per_pixel : { 0, 1, 5, 8 }) {
        TestSurface test_surface(20, 18, PixelLayout::Xrgb8888);
        test_surface.surface.bytes_per_pixel = bytes_per_pixel;
        auto result = FramebufferConsole::create(test_surface.surface, test_font);
        ASSERT_TRUE(result.is_error()) << int(bytes_per_pixel);
        EXPECT_EQ(result.error().code(), Core::ErrorCode::NotSupported);
    }
}

TEST(FramebufferConsoleCreate, RejectsBadGeometry)
{
    struct Case {
        const char* description;
        void (*break_surface)(FramebufferSurface&);
        Core::ErrorCode expected;
    };
    const Case cases[] = {
        { "null pixels", [](FramebufferSurface& surface) { surface.pixels = nullptr; },
            Core::ErrorCode::InvalidArgument },
        { "zero width", [](FramebufferSurface& surface) { surface.width = 0; },
            Core::ErrorCode::InvalidArgument },
        { "zero height", [](FramebufferSurface& surface) { surface.height = 0; },
            Core::ErrorCode::InvalidArgument },
        { "pitch shorter than a line",
            [](FramebufferSurface& surface) { surface.pitch = surface.width * 4 - 1; },
            Core::ErrorCode::InvalidArgument },
        { "pitch overflowing 32 bits", [](FramebufferSurface& surface) { surface.width = 0x40000000; },
            Core::ErrorCode::InvalidArgument },
        { "narrower than a glyph", [](FramebufferSurface& surface) { surface.width = test_glyph_width - 1; },
            Core::ErrorCode::NotSupported },
        { "shorter than a glyph", [](FramebufferSurface& surface) { surface.height = test_glyph_height - 1; },
            Core::ErrorCode::NotSupported },
    };
    for (const Case& test_case : cases) {
        SCOPED_TRACE(test_case.description);
        TestSurface test_surface(20, 18, PixelLayout::Xrgb8888);
        test_case.break_surface(test_surface.surface);
        auto result = FramebufferConsole::create(test_surface.surface, test_font);
        ASSERT_TRUE(result.is_error());
        EXPECT_EQ(result.error().code(), test_case.expected);
    }
}

TEST(FramebufferConsoleCreate, RejectsBadChannels)
{
    struct Case {
        const char* description;
        PixelLayout layout;
        void (*break_surface)(FramebufferSurface&);
    };
    const Case cases[] = {
        { "red past a 32-bit pixel", PixelLayout::Xrgb8888,
            [](FramebufferSurface& surface) { surface.red_position = 25; } },
        { "blue past a 24-bit pixel", PixelLayout::Bgr888,
            [](FramebufferSurface& surface) { surface.blue_position = 17; } },
        { "green past a 16-bit pixel", PixelLayout::Rgb565,
            [](FramebufferSurface& surface) { surface.green_size = 12; } },
        { "position overflowing a byte", PixelLayout::Xrgb8888,
            [](FramebufferSurface& surface) { surface.red_position = 250; } },
        { "empty channel", PixelLayout::Xrgb8888,
            [](FramebufferSurface& surface) { surface.green_size = 0; } },
        { "overlapping channels", PixelLayout::Rgb565,
            [](FramebufferSurface& surface) { surface.green_position = 4; } },
    };
    for (const Case& test_case : cases) {
        SCOPED_TRACE(test_case.description);
        TestSurface test_surface(20, 18, test_case.layout);
        test_case.break_surface(test_surface.surface);
        auto result = FramebufferConsole::create(test_surface.surface, test_font);
        ASSERT_TRUE(result.is_error());
        EXPECT_EQ(result.error().code(), Core::ErrorCode::InvalidArgument);
    }
}

TEST(FramebufferConsoleCreate, AcceptsUnusualButValidLayouts)
{
    // 10 bits per channel in a 32-bit pixel, and a 16-bit pixel with exactly one cell.
    TestSurface ten_bit(4, 6, PixelLayout::Xrgb8888);
    ten_bit.surface.red_position = 20;
    ten_bit.surface.red_size = 10;
    ten_bit.surface.green_position = 10;
    ten_bit.surface.green_size = 10;
    ten_bit.surface.blue_position = 0;
    ten_bit.surface.blue_size = 10;
    auto console = make_console(ten_bit);
    EXPECT_EQ(console.columns(), 1u);
    EXPECT_EQ(console.rows(), 1u);
    console.write("#", Color::BrightWhite);
    EXPECT_TRUE(cell_is_filled(ten_bit, test_font, 0, 0, 0x3FFFFFFFu));
}

TEST(FramebufferConsoleCreate, RejectsMalformedFonts)
{
    static constexpr CodepointToGlyph unsorted_mapping[] = { { 'B', LetterBGlyph }, { 'A', LetterAGlyph } };
    static constexpr CodepointToGlyph duplicate_mapping[] = { { 'A', LetterAGlyph }, { 'A', LetterBGlyph } };
    struct Case {
        const char* description;
        void (*break_font)(BitmapFont&);
    };
    const Case cases[] = {
        { "zero width", [](BitmapFont& font) { font.glyph_width = 0; } },
        { "zero height", [](BitmapFont& font) { font.glyph_height = 0; } },
        { "no glyphs", [](BitmapFont& font) { font.glyph_count = 0; } },
        { "no glyph data", [](BitmapFont& font) { font.glyph_data = nullptr; } },
        { "rows too short for the width", [](BitmapFont& font) { font.glyph_width = 9; } },
        { "fallback out of range", [](BitmapFont& font) { font.fallback_glyph = TestGlyphCount; } },
        { "mapping missing", [](BitmapFont& font) { font.mapping = nullptr; } },
        { "mapping unsorted",
            [](BitmapFont& font) {
                font.mapping = unsorted_mapping;
                font.mapping_count = 2;
            } },
        { "mapping with duplicates",
            [](BitmapFont& font) {
                font.mapping = duplicate_mapping;
                font.mapping_count = 2;
            } },
    };
    for (const Case& test_case : cases) {
        SCOPED_TRACE(test_case.description);
        TestSurface test_surface(20, 18, PixelLayout::Xrgb8888);
        BitmapFont broken_font = test_font;
        test_case.break_font(broken_font);
        auto result = FramebufferConsole::create(test_surface.surface, broken_font);
        ASSERT_TRUE(result.is_error());
        EXPECT_EQ(result.error().code(), Core::ErrorCode::InvalidArgument);
    }
}

TEST(BitmapFont, GlyphLookup)
{
    EXPECT_EQ(test_font.glyph_for('A'), LetterAGlyph);
    EXPECT_EQ(test_font.glyph_for(0x20), SpaceGlyph);
    EXPECT_EQ(test_font.glyph_for(0x1F600), SmileyGlyph);
    EXPECT_EQ(test_font.glyph_for('C'), FallbackGlyph);
    EXPECT_EQ(test_font.glyph_for(0), FallbackGlyph);
    EXPECT_EQ(test_font.glyph_for(0xFFFFFFFF), FallbackGlyph);
    EXPECT_EQ(test_font.glyph_rows(LetterBGlyph), test_glyph_data + LetterBGlyph * test_glyph_height);
    // Out-of-range glyph indices read the fallback, never past the data.
    EXPECT_EQ(test_font.glyph_rows(TestGlyphCount), test_glyph_data);

    static constexpr CodepointToGlyph bad_glyph_mapping[] = { { 'X', 99 } };
    BitmapFont font_with_bad_entry = test_font;
    font_with_bad_entry.mapping = bad_glyph_mapping;
    font_with_bad_entry.mapping_count = 1;
    EXPECT_EQ(font_with_bad_entry.glyph_for('X'), FallbackGlyph);

    BitmapFont unmapped_font = test_font;
    unmapped_font.mapping = nullptr;
    unmapped_font.mapping_count = 0;
    EXPECT_EQ(unmapped_font.glyph_for('A'), FallbackGlyph);
}

// The font generated from Uni2-Terminus16 at build time.
TEST(ConsoleFont, GeneratedFontIsWellFormedAndRenders)
{
    using Core::console_font;
    const BitmapFont& font = console_font;
    EXPECT_EQ(font.glyph_width, 8u);
    EXPECT_EQ(font.glyph_height, 16u);
    EXPECT_EQ(font.bytes_per_row, 1u);
    EXPECT_EQ(font.glyph_count, 512u);
    ASSERT_GT(font.mapping_count, 256u);
    for (u32 index = 1; index < font.mapping_count; ++index)
        ASSERT_LT(font.mapping[index - 1].codepoint, font.mapping[index].codepoint) << index;
    for (u32 index = 0; index < font.mapping_count; ++index)
        ASSERT_LT(font.mapping[index].glyph, font.glyph_count) << index;

    // Unknown characters show the replacement character's glyph.
    u32 replacement = font.glyph_for(0xFFFD);
    EXPECT_EQ(font.fallback_glyph, replacement);
    EXPECT_EQ(font.glyph_for(0x10FFFF), font.fallback_glyph);
    EXPECT_EQ(font.glyph_for(0xE000), font.fallback_glyph);
    // Printable ASCII, Latin-1, the euro sign, Cyrillic and box drawing are all present.
    for (u32 codepoint = 0x20; codepoint < 0x7F; ++codepoint)
        EXPECT_NE(font.glyph_for(codepoint), font.fallback_glyph) << codepoint;
    for (u32 codepoint : { 0xE9u, 0x20ACu, 0x416u, 0x2500u, 0x2588u })
        EXPECT_NE(font.glyph_for(codepoint), font.fallback_glyph) << codepoint;
    // The space is blank, and 'A' and 'B' are different, non-empty shapes.
    for (u32 row = 0; row < 16; ++row)
        EXPECT_EQ(font.glyph_rows(font.glyph_for(' '))[row], 0) << row;
    EXPECT_NE(std::memcmp(font.glyph_rows(font.glyph_for('A')), font.glyph_rows(font.glyph_for('B')), 16), 0);

    // 10x3 cells, in 24-bit BGR with pitch padding.
    TestSurface test_surface(80, 48, PixelLayout::Bgr888, 3);
    auto console = make_console(test_surface, font);
    EXPECT_EQ(console.columns(), 10u);
    EXPECT_EQ(console.rows(), 3u);
    console.clear();
    console.write(
        "Ab\n\xC3\xA9\xE2\x96\x88\xFF", Color::BrightGreen); // "Ab", newline, é █ and an invalid byte
    RgbColor green = FramebufferConsole::palette_color(Color::BrightGreen);
    u32 foreground = green.blue | (green.green << 8) | (static_cast<u32>(green.red) << 16);
    EXPECT_TRUE(cell_shows(test_surface, font, 0, 0, font.glyph_for('A'), foreground));
    EXPECT_TRUE(cell_shows(test_surface, font, 1, 0, font.glyph_for('b'), foreground));
    EXPECT_TRUE(cell_shows(test_surface, font, 0, 1, font.glyph_for(0xE9), foreground));
    // U+2588 FULL BLOCK covers the whole cell.
    EXPECT_TRUE(cell_is_filled(test_surface, font, 1, 1, foreground));
    EXPECT_TRUE(cell_shows(test_surface, font, 2, 1, replacement, foreground));
    EXPECT_TRUE(cell_is_filled(test_surface, font, 3, 1, 0));

    u32 lit_pixels = 0;
    for (u32 y = 0; y < 16; ++y) {
        for (u32 x = 0; x < 8; ++x)
            lit_pixels += test_surface.pixel_at(x, y) == foreground;
    }
    EXPECT_GT(lit_pixels, 10u) << "'A' should be drawn with a fair number of pixels";
}
