// The console service's terminal (Userland/Services/Console/Terminal.h), its renderer
// (FramebufferRenderer.h) and the PS/2 keyboard's decoder (Userland/Drivers/Ps2/Keymap.h).

#include <Core/BitmapFont.h>
#include <Userland/Drivers/Ps2/Keymap.h>
#include <Userland/Services/Console/FramebufferRenderer.h>
#include <Userland/Services/Console/Terminal.h>
#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace {

struct TestTerminal {
    static constexpr uint32_t columns = 10;
    static constexpr uint32_t rows = 4;
    static constexpr uint32_t history_lines = 5;
    std::vector<Console::Cell> screen = std::vector<Console::Cell>(columns * rows);
    std::vector<Console::Cell> history = std::vector<Console::Cell>(columns * history_lines);
    Console::Terminal terminal { screen.data(), history.data(), columns, rows, history_lines };

    void write(const std::string& text)
    {
        terminal.write(reinterpret_cast<const uint8_t*>(text.data()), text.size());
    }
    // A row of the view as text (code points below 128 as themselves, others as '#').
    std::string row(uint32_t index) const
    {
        std::string text;
        for (uint32_t column = 0; column < columns; ++column) {
            uint32_t codepoint = terminal.view_cell(column, index).codepoint;
            text += codepoint < 128 ? static_cast<char>(codepoint) : '#';
        }
        return text;
    }
};

} // namespace

TEST(ConsoleTerminal, TextWrapsAndLinesScrollIntoHistory)
{
    TestTerminal test;
    test.write("hello\r\nworld");
    EXPECT_EQ(test.row(0), "hello     ");
    EXPECT_EQ(test.row(1), "world     ");
    EXPECT_EQ(test.terminal.cursor_column(), 5u);
    EXPECT_EQ(test.terminal.cursor_row(), 1u);
    // The tenth character stays on the line; the eleventh wraps (the wrap waits for it).
    test.write("\r\n0123456789");
    EXPECT_EQ(test.terminal.cursor_row(), 2u);
    test.write("X");
    EXPECT_EQ(test.row(3), "X         ");
    test.write("\r\nlast");
    EXPECT_EQ(test.row(0), "world     ");
    EXPECT_EQ(test.row(3), "last      ");
    EXPECT_EQ(test.terminal.history_count(), 1u);
}

TEST(ConsoleTerminal, ScrollbackShowsOlderLinesUntilTheNextWrite)
{
    TestTerminal test;
    for (int line = 0; line < 9; ++line)
        test.write(std::string("line") + static_cast<char>('0' + line) + "\r\n");
    // Rows: line6, line7, line8, (empty); history keeps the last five: line1 to line5.
    EXPECT_EQ(test.terminal.history_count(), 5u);
    test.terminal.scroll_view(2);
    EXPECT_EQ(test.row(0), "line4     ");
    EXPECT_EQ(test.row(2), "line6     ");
    EXPECT_FALSE(test.terminal.cursor_visible());
    test.terminal.scroll_view(100);
    EXPECT_EQ(test.terminal.view_offset(), 5u);
    EXPECT_EQ(test.row(0), "line1     ");
    test.terminal.scroll_view(-100);
    EXPECT_EQ(test.row(0), "line6     ");
    test.terminal.scroll_view(3);
    test.write("x");
    EXPECT_EQ(test.terminal.view_offset(), 0u);
    EXPECT_TRUE(test.terminal.cursor_visible());
}

TEST(ConsoleTerminal, Utf8IsDecodedAcrossWritesAndBadInputIsReplaced)
{
    TestTerminal test;
    test.write("\xc3");
    test.write("\xa9\xe2\x82\xac");
    EXPECT_EQ(test.terminal.view_cell(0, 0).codepoint, 0xE9u);
    EXPECT_EQ(test.terminal.view_cell(1, 0).codepoint, 0x20ACu);
    test.write("\xff\xc3(\xe0\x80\x80");
    EXPECT_EQ(test.terminal.view_cell(2, 0).codepoint, 0xFFFDu); // a byte no sequence starts with
    EXPECT_EQ(test.terminal.view_cell(3, 0).codepoint, 0xFFFDu); // a sequence cut short
    EXPECT_EQ(test.terminal.view_cell(4, 0).codepoint, static_cast<uint32_t>('('));
    EXPECT_EQ(test.terminal.view_cell(5, 0).codepoint, 0xFFFDu); // an overlong encoding
}

TEST(ConsoleTerminal, CursorMovementAndErasing)
{
    TestTerminal test;
    test.write("abcdefghij\r\nklmnop");
    test.write("\x1b[1;3H");
    EXPECT_EQ(test.terminal.cursor_row(), 0u);
    EXPECT_EQ(test.terminal.cursor_column(), 2u);
    test.write("\x1b[K");
    EXPECT_EQ(test.row(0), "ab        ");
    test.write("\x1b[B\x1b[2C");
    EXPECT_EQ(test.terminal.cursor_row(), 1u);
    EXPECT_EQ(test.terminal.cursor_column(), 4u);
    test.write("\x1b[1K");
    EXPECT_EQ(test.row(1), "     p    ");
    test.write("\x1b[99;99H");
    EXPECT_EQ(test.terminal.cursor_row(), 3u);
    EXPECT_EQ(test.terminal.cursor_column(), 9u);
    test.write("\x1b[10D\x1b[10A");
    EXPECT_EQ(test.terminal.cursor_row(), 0u);
    EXPECT_EQ(test.terminal.cursor_column(), 0u);
    test.write("\x1b[2J");
    EXPECT_EQ(test.row(0), "          ");
    EXPECT_EQ(test.row(1), "          ");
    test.write("ab\x1b[s\r\n\r\nz\x1b[uc");
    EXPECT_EQ(test.row(0), "abc       ");
    test.write("\b\bX\tY");
    EXPECT_EQ(test.row(0), "aXc     Y ");
    test.write("\x1b[?25l");
    EXPECT_FALSE(test.terminal.cursor_visible());
    test.write("\x1b[?25h");
    EXPECT_TRUE(test.terminal.cursor_visible());
}

TEST(ConsoleTerminal, ColoursFollowSelectGraphicRendition)
{
    TestTerminal test;
    test.write("\x1b[31ma\x1b[1mb\x1b[22;44mc\x1b[7md\x1b[0me\x1b[97;100mf\x1b[38;5;2;48;5;13mg\x1b[39;49mh");
    auto cell = [&](uint32_t column) { return test.terminal.view_cell(column, 0); };
    EXPECT_EQ(cell(0).foreground, 1);
    EXPECT_EQ(cell(1).foreground, 9); // bold: bright
    EXPECT_EQ(cell(2).foreground, 1);
    EXPECT_EQ(cell(2).background, 4);
    EXPECT_EQ(cell(3).foreground, 4); // reversed
    EXPECT_EQ(cell(3).background, 1);
    EXPECT_EQ(cell(4).foreground, Console::default_foreground);
    EXPECT_EQ(cell(4).background, Console::default_background);
    EXPECT_EQ(cell(5).foreground, 15);
    EXPECT_EQ(cell(5).background, 8);
    EXPECT_EQ(cell(6).foreground, 2);
    EXPECT_EQ(cell(6).background, 13);
    EXPECT_EQ(cell(7).foreground, Console::default_foreground);
    // Unknown sequences are read whole and leave nothing behind; a 24-bit colour is read whole
    // too (its numbers are not SGR codes); an ESC inside a sequence starts another.
    test.write("\x1b[38;2;0;1;7m\x1b[12\x1b[12;34zi\x1b(Bj");
    EXPECT_EQ(cell(8).foreground, Console::default_foreground);
    EXPECT_EQ(cell(8).codepoint, static_cast<uint32_t>('i'));
    EXPECT_EQ(cell(9).codepoint, static_cast<uint32_t>('j'));
}

TEST(ConsoleTerminal, DamageNamesTheRowsThatChanged)
{
    TestTerminal test;
    (void)test.terminal.take_damage();
    test.write("\x1b[3;1Hx");
    auto damage = test.terminal.take_damage();
    EXPECT_FALSE(damage.all);
    EXPECT_EQ(damage.rows[0], (1ull << 0) | (1ull << 2)); // where the cursor was, and row 2
    auto nothing = test.terminal.take_damage();
    EXPECT_EQ(nothing.rows[0], 0u);
    test.write("\r\n\r\n\r\n");
    EXPECT_TRUE(test.terminal.take_damage().all); // a scroll moves every row
}

TEST(ConsoleFramebufferRenderer, DrawsGlyphsInTheirColoursAndTheCursorReversed)
{
    const Core::BitmapFont& font = Core::console_font;
    uint32_t width = font.glyph_width * 4;
    uint32_t height = font.glyph_height * 2;
    std::vector<uint8_t> pixels(width * height * 4, 0xEE);
    Console::Surface surface { pixels.data(), width, height, width * 4, 4, 16, 8, 8, 8, 0, 8 };
    Console::FramebufferRenderer renderer(surface, font);
    EXPECT_EQ(renderer.columns(), 4u);
    EXPECT_EQ(renderer.rows(), 2u);
    std::vector<Console::Cell> screen(4 * 2);
    Console::Terminal terminal(screen.data(), nullptr, 4, 2, 0);
    terminal.write(reinterpret_cast<const uint8_t*>("\x1b[32mA"), 6);
    renderer.draw(terminal);
    auto pixel = [&](uint32_t x, uint32_t y) {
        const uint8_t* at = &pixels[(y * width + x) * 4];
        return static_cast<uint32_t>(at[0] | at[1] << 8 | at[2] << 16);
    };
    uint32_t green = 170u << 8;
    uint32_t grey = 170u << 16 | 170u << 8 | 170u;
    const uint8_t* glyph = font.glyph_rows(font.glyph_for('A'));
    bool any_set = false;
    for (uint32_t y = 0; y < font.glyph_height; ++y) {
        for (uint32_t x = 0; x < font.glyph_width; ++x) {
            bool set = (glyph[y * font.bytes_per_row + x / 8] >> (7 - x % 8)) & 1;
            any_set = any_set || set;
            ASSERT_EQ(pixel(x, y), set ? green : 0u) << x << "," << y;
            // The cursor, after the A: a reversed blank, all foreground.
            ASSERT_EQ(pixel(font.glyph_width + x, y), grey) << x << "," << y;
        }
    }
    EXPECT_TRUE(any_set);
    // Every pixel of the grid was drawn (the fourth byte of a drawn pixel is 0, not 0xEE).
    for (uint32_t index = 0; index < width * height; ++index)
        ASSERT_EQ(pixels[index * 4 + 3], 0) << index;
}

namespace {

std::string type(Keyboard::Decoder& decoder, std::initializer_list<uint8_t> scancodes)
{
    std::string text;
    for (uint8_t scancode : scancodes) {
        char bytes[Keyboard::Decoder::maximum_output];
        size_t length = decoder.feed(scancode, bytes);
        text.append(bytes, length);
    }
    return text;
}

} // namespace

TEST(Ps2Keymap, LettersDigitsShiftAndCapsLock)
{
    Keyboard::Decoder decoder;
    // h, i, release, 1, Enter, Backspace.
    EXPECT_EQ(
        type(decoder, { 0x23, 0xA3, 0x17, 0x97, 0x02, 0x82, 0x1C, 0x9C, 0x0E }), std::string("hi1\r\x7f"));
    // Shift held: H ! then released: a.
    EXPECT_EQ(type(decoder, { 0x2A, 0x23, 0x02, 0xAA, 0x1E }), "H!a");
    // Caps Lock: letters only; with Shift back to lower case.
    EXPECT_EQ(type(decoder, { 0x3A, 0xBA, 0x1E, 0x02, 0x36, 0x1E, 0xB6, 0x3A }), "A1a");
    EXPECT_EQ(type(decoder, { 0x1E }), "a");
}

TEST(Ps2Keymap, ControlAltAndExtendedKeys)
{
    Keyboard::Decoder decoder;
    EXPECT_EQ(type(decoder, { 0x1D, 0x2E, 0x9D }), std::string("\x03")); // ^C
    EXPECT_EQ(type(decoder, { 0xE0, 0x1D, 0x20, 0xE0, 0x9D }), std::string("\x04")); // right Ctrl + D
    EXPECT_EQ(type(decoder, { 0x38, 0x30, 0xB8 }),
        std::string("\x1b"
                    "b")); // Alt+b
    EXPECT_EQ(type(decoder, { 0xE0, 0x48, 0xE0, 0xC8, 0xE0, 0x4B }), "\x1b[A\x1b[D");
    EXPECT_EQ(type(decoder, { 0xE0, 0x53, 0xE0, 0x47, 0xE0, 0x4F }), "\x1b[3~\x1b[H\x1b[F");
    EXPECT_EQ(type(decoder, { 0xE0, 0x49 }), "\x1b[5~");
    // Shift+Page Up and Down, for the scrollback; the fake shifts of extended keys do nothing.
    EXPECT_EQ(
        type(decoder, { 0x2A, 0xE0, 0x2A, 0xE0, 0x49, 0xE0, 0x51, 0xE0, 0xAA, 0xAA }), "\x1b[5;2~\x1b[6;2~");
    EXPECT_EQ(type(decoder, { 0x47, 0x4F, 0x53 }), "71.");
    // Keys with nothing to send: F1, a lone prefix then a release.
    EXPECT_EQ(type(decoder, { 0x3B, 0xE0, 0xC8 }), "");
}
