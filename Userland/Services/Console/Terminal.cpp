#include <Userland/Services/Console/Terminal.h>

namespace Console {

namespace {

constexpr uint32_t replacement_character = 0xFFFD;

} // namespace

Terminal::Terminal(Cell* screen, Cell* history, uint32_t columns, uint32_t rows, uint32_t history_lines)
    : m_screen(screen)
    , m_history(history)
    , m_columns(columns)
    , m_rows(rows)
    , m_history_lines(history_lines)
{
    reset();
}

void Terminal::reset()
{
    m_foreground = default_foreground;
    m_background = default_background;
    m_bold = false;
    m_reverse = false;
    for (uint32_t row = 0; row < m_rows; ++row)
        clear_cells(row, 0, m_columns);
    m_cursor_column = 0;
    m_cursor_row = 0;
    m_wrap_pending = false;
    m_cursor_visible = true;
    m_state = ParseState::Ground;
    damage_all();
}

void Terminal::damage_row(uint32_t row)
{
    if (row < 256)
        m_damage.rows[row / 64] |= 1ull << (row % 64);
    else
        m_damage.all = true;
}

Terminal::Damage Terminal::take_damage()
{
    Damage damage = m_damage;
    m_damage = Damage {};
    return damage;
}

void Terminal::clear_cells(uint32_t row, uint32_t first_column, uint32_t end_column)
{
    // Erased cells take the current background, as terminals do.
    Cell blank { ' ', default_foreground, m_reverse ? m_foreground : m_background };
    for (uint32_t column = first_column; column < end_column && column < m_columns; ++column)
        cell(column, row) = blank;
    damage_row(row);
}

void Terminal::return_to_live_view()
{
    if (m_view_offset != 0) {
        m_view_offset = 0;
        damage_all();
    }
}

void Terminal::scroll_view(int32_t lines)
{
    int64_t offset = static_cast<int64_t>(m_view_offset) + lines;
    if (offset < 0)
        offset = 0;
    if (offset > m_history_count)
        offset = m_history_count;
    if (static_cast<uint32_t>(offset) != m_view_offset) {
        m_view_offset = static_cast<uint32_t>(offset);
        damage_all();
    }
}

const Cell& Terminal::view_cell(uint32_t column, uint32_t row) const
{
    if (m_view_offset == 0 || row >= m_view_offset) {
        uint32_t screen_row = row - m_view_offset;
        return m_screen[screen_row * m_columns + column];
    }
    // Row `row` of the view is history line (count - offset + row), counted from the oldest.
    uint32_t line = m_history_count - m_view_offset + row;
    uint32_t slot = (m_history_start + line) % m_history_lines;
    return m_history[slot * m_columns + column];
}

void Terminal::line_feed()
{
    if (m_cursor_row + 1 < m_rows) {
        ++m_cursor_row;
        return;
    }
    // The top line goes into the history (the oldest kept line gives way when it is full).
    if (m_history_lines > 0) {
        uint32_t slot;
        if (m_history_count < m_history_lines) {
            slot = (m_history_start + m_history_count) % m_history_lines;
            ++m_history_count;
        } else {
            slot = m_history_start;
            m_history_start = (m_history_start + 1) % m_history_lines;
        }
        for (uint32_t column = 0; column < m_columns; ++column)
            m_history[slot * m_columns + column] = m_screen[column];
    }
    for (uint32_t index = 0; index < (m_rows - 1) * m_columns; ++index)
        m_screen[index] = m_screen[index + m_columns];
    clear_cells(m_rows - 1, 0, m_columns);
    damage_all();
}

void Terminal::put(uint32_t codepoint)
{
    if (m_wrap_pending) {
        m_wrap_pending = false;
        m_cursor_column = 0;
        line_feed();
    }
    uint8_t foreground = m_bold && m_foreground < 8 ? static_cast<uint8_t>(m_foreground + 8) : m_foreground;
    uint8_t background = m_background;
    if (m_reverse) {
        uint8_t swapped = foreground;
        foreground = background;
        background = swapped;
    }
    cell(m_cursor_column, m_cursor_row) = Cell { codepoint, foreground, background };
    damage_row(m_cursor_row);
    if (m_cursor_column + 1 < m_columns)
        ++m_cursor_column;
    else
        m_wrap_pending = true;
}

void Terminal::control(uint8_t byte)
{
    switch (byte) {
    case '\r':
        m_cursor_column = 0;
        m_wrap_pending = false;
        break;
    case '\n':
    case 0x0B:
    case 0x0C:
        m_wrap_pending = false;
        line_feed();
        break;
    case '\b':
        if (m_wrap_pending)
            m_wrap_pending = false;
        else if (m_cursor_column > 0)
            --m_cursor_column;
        break;
    case '\t': {
        uint32_t next = (m_cursor_column / 8 + 1) * 8;
        m_cursor_column = next < m_columns ? next : m_columns - 1;
        break;
    }
    default:
        break; // BEL and the rest: nothing to show
    }
    damage_row(m_cursor_row);
}

uint32_t Terminal::parameter(uint32_t index, uint32_t fallback) const
{
    if (index >= m_parameter_count || m_parameters[index] == 0)
        return fallback;
    return m_parameters[index];
}

void Terminal::select_graphic_rendition()
{
    if (m_parameter_count == 0) {
        m_foreground = default_foreground;
        m_background = default_background;
        m_bold = false;
        m_reverse = false;
        return;
    }
    for (uint32_t index = 0; index < m_parameter_count; ++index) {
        uint32_t value = m_parameters[index];
        if (value == 0) {
            m_foreground = default_foreground;
            m_background = default_background;
            m_bold = false;
            m_reverse = false;
        } else if (value == 1) {
            m_bold = true;
        } else if (value == 22) {
            m_bold = false;
        } else if (value == 7) {
            m_reverse = true;
        } else if (value == 27) {
            m_reverse = false;
        } else if (value >= 30 && value <= 37) {
            m_foreground = static_cast<uint8_t>(value - 30);
        } else if (value >= 90 && value <= 97) {
            m_foreground = static_cast<uint8_t>(value - 90 + 8);
        } else if (value == 39) {
            m_foreground = default_foreground;
        } else if (value >= 40 && value <= 47) {
            m_background = static_cast<uint8_t>(value - 40);
        } else if (value >= 100 && value <= 107) {
            m_background = static_cast<uint8_t>(value - 100 + 8);
        } else if (value == 49) {
            m_background = default_background;
        } else if ((value == 38 || value == 48) && index + 4 < m_parameter_count
            && m_parameters[index + 1] == 2) {
            // A 24-bit colour (38;2;r;g;b): not shown, but read whole.
            index += 4;
        } else if ((value == 38 || value == 48) && index + 2 < m_parameter_count
            && m_parameters[index + 1] == 5) {
            uint32_t color = m_parameters[index + 2];
            if (color < 16) {
                if (value == 38)
                    m_foreground = static_cast<uint8_t>(color);
                else
                    m_background = static_cast<uint8_t>(color);
            }
            index += 2;
        }
    }
}

void Terminal::csi_final(uint8_t byte)
{
    uint32_t amount = parameter(0, 1);
    switch (byte) {
    case 'A':
        m_cursor_row = m_cursor_row > amount ? m_cursor_row - amount : 0;
        break;
    case 'B':
        m_cursor_row = m_cursor_row + amount < m_rows ? m_cursor_row + amount : m_rows - 1;
        break;
    case 'C':
        m_cursor_column = m_cursor_column + amount < m_columns ? m_cursor_column + amount : m_columns - 1;
        break;
    case 'D':
        m_cursor_column = m_cursor_column > amount ? m_cursor_column - amount : 0;
        break;
    case 'H':
    case 'f': {
        uint32_t row = parameter(0, 1);
        uint32_t column = parameter(1, 1);
        m_cursor_row = row <= m_rows ? row - 1 : m_rows - 1;
        m_cursor_column = column <= m_columns ? column - 1 : m_columns - 1;
        break;
    }
    case 'J': {
        uint32_t mode = parameter(0, 0);
        if (mode == 0) {
            clear_cells(m_cursor_row, m_cursor_column, m_columns);
            for (uint32_t row = m_cursor_row + 1; row < m_rows; ++row)
                clear_cells(row, 0, m_columns);
        } else if (mode == 1) {
            for (uint32_t row = 0; row < m_cursor_row; ++row)
                clear_cells(row, 0, m_columns);
            clear_cells(m_cursor_row, 0, m_cursor_column + 1);
        } else {
            for (uint32_t row = 0; row < m_rows; ++row)
                clear_cells(row, 0, m_columns);
            if (mode == 3) {
                m_history_count = 0;
                m_history_start = 0;
            }
        }
        break;
    }
    case 'K': {
        uint32_t mode = parameter(0, 0);
        if (mode == 0)
            clear_cells(m_cursor_row, m_cursor_column, m_columns);
        else if (mode == 1)
            clear_cells(m_cursor_row, 0, m_cursor_column + 1);
        else
            clear_cells(m_cursor_row, 0, m_columns);
        break;
    }
    case 'm':
        select_graphic_rendition();
        break;
    case 's':
        m_saved_column = m_cursor_column;
        m_saved_row = m_cursor_row;
        break;
    case 'u':
        m_cursor_column = m_saved_column;
        m_cursor_row = m_saved_row;
        break;
    case 'h':
    case 'l':
        if (m_private_marker && parameter(0, 0) == 25)
            m_cursor_visible = byte == 'h';
        break;
    default:
        break;
    }
    if (byte != 'm')
        m_wrap_pending = false;
    damage_row(m_cursor_row);
}

void Terminal::escape_final(uint8_t byte)
{
    switch (byte) {
    case '7':
        m_saved_column = m_cursor_column;
        m_saved_row = m_cursor_row;
        break;
    case '8':
        m_cursor_column = m_saved_column;
        m_cursor_row = m_saved_row;
        break;
    case 'c':
        reset();
        break;
    default:
        break;
    }
}

void Terminal::write(const uint8_t* bytes, size_t length)
{
    return_to_live_view();
    uint32_t previous_row = m_cursor_row;
    for (size_t index = 0; index < length; ++index) {
        uint8_t byte = bytes[index];
        if (m_state == ParseState::Escape) {
            // Intermediate bytes ("ESC ( B" designates a character set) wait for the final.
            if (byte >= 0x20 && byte <= 0x2F)
                continue;
            if (byte == '[') {
                m_state = ParseState::ControlSequence;
                m_parameter_count = 0;
                m_private_marker = false;
                for (uint32_t& value : m_parameters)
                    value = 0;
            } else {
                m_state = ParseState::Ground;
                escape_final(byte);
            }
            continue;
        }
        if (m_state == ParseState::ControlSequence) {
            if (byte >= '0' && byte <= '9') {
                if (m_parameter_count == 0)
                    m_parameter_count = 1;
                uint32_t& value = m_parameters[m_parameter_count - 1];
                value = value < 100000 ? value * 10 + (byte - '0') : value;
            } else if (byte == ';') {
                if (m_parameter_count == 0)
                    m_parameter_count = 1;
                if (m_parameter_count < maximum_parameters)
                    ++m_parameter_count;
            } else if (byte == '?') {
                m_private_marker = true;
            } else if (byte >= 0x40 && byte <= 0x7E) {
                m_state = ParseState::Ground;
                csi_final(byte);
            } else if (byte == 0x18 || byte == 0x1A) {
                // CAN and SUB abandon the sequence; ESC starts another.
                m_state = ParseState::Ground;
            } else if (byte == 0x1B) {
                m_state = ParseState::Escape;
            } else if (byte < 0x20) {
                // A control inside a sequence acts at once, as on a VT100.
                control(byte);
            }
            continue;
        }
        // UTF-8.
        if (m_utf8_remaining > 0) {
            if ((byte & 0xC0) == 0x80) {
                m_utf8_codepoint = m_utf8_codepoint << 6 | (byte & 0x3F);
                if (--m_utf8_remaining == 0) {
                    bool valid = m_utf8_codepoint >= m_utf8_minimum && m_utf8_codepoint <= 0x10FFFF
                        && (m_utf8_codepoint < 0xD800 || m_utf8_codepoint > 0xDFFF);
                    put(valid ? m_utf8_codepoint : replacement_character);
                }
                continue;
            }
            // Cut short: what was there is one bad character, and this byte starts afresh.
            m_utf8_remaining = 0;
            put(replacement_character);
        }
        if (byte == 0x1B) {
            m_state = ParseState::Escape;
        } else if (byte < 0x20 || byte == 0x7F) {
            control(byte);
        } else if (byte < 0x80) {
            put(byte);
        } else if ((byte & 0xE0) == 0xC0) {
            m_utf8_codepoint = byte & 0x1F;
            m_utf8_remaining = 1;
            m_utf8_minimum = 0x80;
        } else if ((byte & 0xF0) == 0xE0) {
            m_utf8_codepoint = byte & 0x0F;
            m_utf8_remaining = 2;
            m_utf8_minimum = 0x800;
        } else if ((byte & 0xF8) == 0xF0) {
            m_utf8_codepoint = byte & 0x07;
            m_utf8_remaining = 3;
            m_utf8_minimum = 0x10000;
        } else {
            put(replacement_character);
        }
    }
    // The cursor's old and new rows are drawn again.
    damage_row(previous_row);
    damage_row(m_cursor_row);
}

} // namespace Console
