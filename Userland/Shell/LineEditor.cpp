#include <Userland/Shell/LineEditor.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

namespace Shell {

namespace {

bool is_continuation(uint8_t byte)
{
    return (byte & 0xC0) == 0x80;
}

} // namespace

LineEditor::~LineEditor()
{
    for (size_t index = 0; index < m_history_count; ++index)
        free(m_history[index]);
}

void LineEditor::show(const char* text)
{
    show(text, strlen(text));
}

void LineEditor::begin(const char* prompt)
{
    m_prompt = prompt;
    m_length = 0;
    m_cursor = 0;
    m_line[0] = 0;
    m_escape = 0;
    m_history_position = m_history_count;
    show(prompt);
}

// The whole line again: back to the line's start, prompt, text, clear the rest, then the
// cursor back to its place.
void LineEditor::redraw()
{
    show("\r");
    show(m_prompt);
    show(m_line, m_length);
    show("\x1b[K");
    size_t characters_after = 0;
    for (size_t index = m_cursor; index < m_length; ++index) {
        if (!is_continuation(static_cast<uint8_t>(m_line[index])))
            ++characters_after;
    }
    if (characters_after > 0) {
        char move[24];
        int length = snprintf(move, sizeof(move), "\x1b[%zuD", characters_after);
        show(move, static_cast<size_t>(length));
    }
}

void LineEditor::insert(uint8_t byte)
{
    if (m_length + 1 >= maximum_line)
        return;
    memmove(m_line + m_cursor + 1, m_line + m_cursor, m_length - m_cursor);
    m_line[m_cursor++] = static_cast<char>(byte);
    m_line[++m_length] = 0;
    // Typing at the end (the usual case) needs only the byte itself.
    if (m_cursor == m_length)
        show(reinterpret_cast<const char*>(&byte), 1);
    else
        redraw();
}

void LineEditor::erase_before_cursor()
{
    if (m_cursor == 0)
        return;
    size_t start = m_cursor - 1;
    while (start > 0 && is_continuation(static_cast<uint8_t>(m_line[start])))
        --start;
    memmove(m_line + start, m_line + m_cursor, m_length - m_cursor);
    m_length -= m_cursor - start;
    m_cursor = start;
    m_line[m_length] = 0;
    if (m_cursor == m_length)
        show("\b \b");
    else
        redraw();
}

void LineEditor::erase_at_cursor()
{
    if (m_cursor == m_length)
        return;
    size_t end = m_cursor + 1;
    while (end < m_length && is_continuation(static_cast<uint8_t>(m_line[end])))
        ++end;
    memmove(m_line + m_cursor, m_line + end, m_length - end);
    m_length -= end - m_cursor;
    m_line[m_length] = 0;
    redraw();
}

void LineEditor::move_left()
{
    if (m_cursor == 0)
        return;
    do
        --m_cursor;
    while (m_cursor > 0 && is_continuation(static_cast<uint8_t>(m_line[m_cursor])));
    show("\x1b[D");
}

void LineEditor::move_right()
{
    if (m_cursor == m_length)
        return;
    do
        ++m_cursor;
    while (m_cursor < m_length && is_continuation(static_cast<uint8_t>(m_line[m_cursor])));
    show("\x1b[C");
}

void LineEditor::replace_line(const char* text)
{
    size_t length = strlen(text);
    if (length >= maximum_line)
        length = maximum_line - 1;
    memcpy(m_line, text, length);
    m_line[length] = 0;
    m_length = length;
    m_cursor = length;
    redraw();
}

void LineEditor::remember(const char* line)
{
    if (!*line)
        return;
    if (m_history_count > 0 && strcmp(m_history[m_history_count - 1], line) == 0)
        return;
    char* copy = strdup(line);
    if (!copy)
        return;
    if (m_history_count == history_size) {
        free(m_history[0]);
        memmove(m_history, m_history + 1, (history_size - 1) * sizeof(char*));
        --m_history_count;
    }
    m_history[m_history_count++] = copy;
}

LineEditor::Result LineEditor::handle_escape(uint8_t byte)
{
    if (m_escape == 1) {
        m_escape = (byte == '[' || byte == 'O') ? 2 : 0;
        m_escape_parameter = 0;
        return Result::Editing;
    }
    if (byte >= '0' && byte <= '9') {
        m_escape_parameter = m_escape_parameter * 10 + (byte - '0');
        if (m_escape_parameter > 1000)
            m_escape_parameter = 1000;
        return Result::Editing;
    }
    if (byte < 0x40 || byte > 0x7E)
        return Result::Editing; // ';' and other parameter bytes
    m_escape = 0;
    switch (byte) {
    case 'A': // Up: an older line
        if (m_history_position > 0) {
            if (m_history_position == m_history_count)
                memcpy(m_typed, m_line, m_length + 1);
            replace_line(m_history[--m_history_position]);
        }
        break;
    case 'B': // Down: a newer line, then the one being typed
        if (m_history_position < m_history_count) {
            ++m_history_position;
            replace_line(m_history_position == m_history_count ? m_typed : m_history[m_history_position]);
        }
        break;
    case 'C':
        move_right();
        break;
    case 'D':
        move_left();
        break;
    case 'H':
        m_cursor = 0;
        redraw();
        break;
    case 'F':
        m_cursor = m_length;
        redraw();
        break;
    case '~':
        // ESC [ 3 ~ is Delete; 1 and 7 Home, 4 and 8 End.
        if (m_escape_parameter == 3) {
            erase_at_cursor();
        } else if (m_escape_parameter == 1 || m_escape_parameter == 7) {
            m_cursor = 0;
            redraw();
        } else if (m_escape_parameter == 4 || m_escape_parameter == 8) {
            m_cursor = m_length;
            redraw();
        }
        break;
    default:
        break;
    }
    return Result::Editing;
}

LineEditor::Result LineEditor::feed(uint8_t byte)
{
    if (m_escape != 0)
        return handle_escape(byte);
    switch (byte) {
    case 0x1B:
        m_escape = 1;
        return Result::Editing;
    case '\r':
    case '\n':
        show("\n");
        return Result::Finished;
    case 0x03: // ^C
        show("^C\n");
        m_length = 0;
        m_line[0] = 0;
        return Result::Cancelled;
    case 0x04: // ^D
        if (m_length == 0)
            return Result::EndOfInput;
        erase_at_cursor();
        return Result::Editing;
    case 0x7F:
    case 0x08:
        erase_before_cursor();
        return Result::Editing;
    case 0x01: // ^A
        m_cursor = 0;
        redraw();
        return Result::Editing;
    case 0x05: // ^E
        m_cursor = m_length;
        redraw();
        return Result::Editing;
    case 0x0B: // ^K
        m_length = m_cursor;
        m_line[m_length] = 0;
        redraw();
        return Result::Editing;
    case 0x15: // ^U
        memmove(m_line, m_line + m_cursor, m_length - m_cursor);
        m_length -= m_cursor;
        m_cursor = 0;
        m_line[m_length] = 0;
        redraw();
        return Result::Editing;
    case 0x17: { // ^W: back over spaces, then over the word
        size_t start = m_cursor;
        while (start > 0 && m_line[start - 1] == ' ')
            --start;
        while (start > 0 && m_line[start - 1] != ' ')
            --start;
        memmove(m_line + start, m_line + m_cursor, m_length - m_cursor);
        m_length -= m_cursor - start;
        m_cursor = start;
        m_line[m_length] = 0;
        redraw();
        return Result::Editing;
    }
    case 0x0C: // ^L: clear the screen, then the line again
        show("\x1b[H\x1b[2J");
        redraw();
        return Result::Editing;
    default:
        break;
    }
    if (byte >= 0x20 || byte == '\t')
        insert(byte == '\t' ? ' ' : byte);
    return Result::Editing;
}

} // namespace Shell
