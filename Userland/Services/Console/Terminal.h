#pragma once

// The console's terminal: a grid of character cells that text written to it fills, as a
// VT100-style terminal does, and the lines scrolled off its top kept for scrollback
// (docs/console.md#the-framebuffer-terminal). Pure: the console service draws it on the
// framebuffer (FramebufferRenderer.h), host tests write to it and read the cells.
//
// It decodes UTF-8 (across writes; anything malformed is U+FFFD) and understands:
//   - controls: CR, LF, BS, HT (to the next multiple of 8), BEL (ignored);
//   - ESC [ n A/B/C/D (cursor up, down, right, left), ESC [ r;c H and f (position),
//     ESC [ n J (erase the display: 0 below, 1 above, 2 all, 3 the scrollback too),
//     ESC [ n K (erase the line: 0 right, 1 left, 2 all), ESC [ s and u, ESC 7 and 8 (save
//     and restore the cursor), ESC [ ?25 h and l (show and hide it), ESC c (reset);
//   - SGR (ESC [ ... m): 0 reset, 1 bold (bright), 22 normal, 7 reverse, 27 not reversed,
//     30-37 and 90-97 foreground, 39 default, 40-47 and 100-107 background, 49 default,
//     38;5;n and 48;5;n for the first 16 of the 256 colours.
// Other sequences are read whole and ignored.

#include <stddef.h>
#include <stdint.h>

namespace Console {

// Colours are indices into the 16-colour palette (FramebufferRenderer.h has the RGB).
inline constexpr uint8_t default_foreground = 7;
inline constexpr uint8_t default_background = 0;

struct Cell {
    uint32_t codepoint { ' ' };
    uint8_t foreground { default_foreground };
    uint8_t background { default_background };
};

class Terminal {
public:
    // `screen` holds columns × rows cells, `history` history_lines × columns cells; both
    // stay the caller's and must outlive the terminal.
    Terminal(Cell* screen, Cell* history, uint32_t columns, uint32_t rows, uint32_t history_lines);

    void write(const uint8_t* bytes, size_t length);

    [[nodiscard]] uint32_t columns() const { return m_columns; }
    [[nodiscard]] uint32_t rows() const { return m_rows; }
    [[nodiscard]] uint32_t cursor_column() const { return m_cursor_column; }
    [[nodiscard]] uint32_t cursor_row() const { return m_cursor_row; }
    [[nodiscard]] bool cursor_visible() const { return m_cursor_visible && m_view_offset == 0; }

    // Scrollback: the view shows the screen `offset` lines back into the history (0: the
    // live screen). Clamped to the lines kept. Any write returns the view to the screen.
    void scroll_view(int32_t lines);
    [[nodiscard]] uint32_t view_offset() const { return m_view_offset; }
    [[nodiscard]] uint32_t history_count() const { return m_history_count; }
    // The cell the view shows at (column, row).
    [[nodiscard]] const Cell& view_cell(uint32_t column, uint32_t row) const;

    // Rows whose cells changed since the last take (the renderer's work): a bit per row,
    // for up to 256 rows; `all` when everything must be drawn again (scrolls, the view).
    struct Damage {
        uint64_t rows[4];
        bool all;
    };
    Damage take_damage();

private:
    Cell& cell(uint32_t column, uint32_t row) { return m_screen[row * m_columns + column]; }
    void put(uint32_t codepoint);
    void line_feed();
    void clear_cells(uint32_t row, uint32_t first_column, uint32_t end_column);
    void damage_row(uint32_t row);
    void damage_all() { m_damage.all = true; }
    void control(uint8_t byte);
    void escape_final(uint8_t byte);
    void csi_final(uint8_t byte);
    void select_graphic_rendition();
    uint32_t parameter(uint32_t index, uint32_t fallback) const;
    void reset();
    void return_to_live_view();

    Cell* m_screen;
    Cell* m_history;
    uint32_t m_columns;
    uint32_t m_rows;
    uint32_t m_history_lines;
    // The history is a ring: the oldest kept line is at m_history_start.
    uint32_t m_history_start { 0 };
    uint32_t m_history_count { 0 };
    uint32_t m_view_offset { 0 };

    uint32_t m_cursor_column { 0 };
    uint32_t m_cursor_row { 0 };
    // Past the last column: the next character wraps first (as xterm defers the wrap).
    bool m_wrap_pending { false };
    bool m_cursor_visible { true };
    uint32_t m_saved_column { 0 };
    uint32_t m_saved_row { 0 };
    uint8_t m_foreground { default_foreground };
    uint8_t m_background { default_background };
    bool m_bold { false };
    bool m_reverse { false };

    enum class ParseState : uint8_t { Ground, Escape, ControlSequence };
    ParseState m_state { ParseState::Ground };
    static constexpr uint32_t maximum_parameters = 16;
    uint32_t m_parameters[maximum_parameters] {};
    uint32_t m_parameter_count { 0 };
    bool m_private_marker { false };

    // UTF-8 being decoded: the code point so far and the continuation bytes still due.
    uint32_t m_utf8_codepoint { 0 };
    uint32_t m_utf8_remaining { 0 };
    uint32_t m_utf8_minimum { 0 };

    Damage m_damage {};
};

} // namespace Console
