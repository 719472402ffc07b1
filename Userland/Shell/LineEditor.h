#pragma once

// The shell's line editor (docs/shell.md#editing): a line with a cursor, edited by the keys
// a terminal sends, and a history recalled with the arrow keys. It is a state machine fed
// one byte at a time and writing what the terminal must show through an output callback,
// with no I/O of its own, so host tests type at it.
//
// Keys: printable text (UTF-8) inserts at the cursor; Backspace and Delete erase; Left,
// Right, Home, End, ^A and ^E move; Up and Down walk the history; ^U and ^K cut before and
// after the cursor; ^W erases a word; ^L redraws; ^C abandons the line; ^D on an empty line
// ends input; Enter finishes.

#include <stddef.h>
#include <stdint.h>

namespace Shell {

class LineEditor {
public:
    static constexpr size_t maximum_line = 1024;
    static constexpr size_t history_size = 64;

    using Write = void (*)(const char* bytes, size_t length, void* context);

    LineEditor(Write write, void* context)
        : m_write(write)
        , m_context(context)
    {
    }
    ~LineEditor();

    enum class Result : uint8_t {
        Editing, // feed more bytes
        Finished, // line() holds the line (without a newline)
        Cancelled, // ^C: the line was abandoned
        EndOfInput, // ^D on an empty line
    };

    // Starts a new line after showing `prompt`.
    void begin(const char* prompt);
    Result feed(uint8_t byte);
    [[nodiscard]] const char* line() const { return m_line; }
    // Remembers a finished line for Up and Down (not an empty one, nor the last one again).
    void remember(const char* line);
    [[nodiscard]] size_t history_count() const { return m_history_count; }

private:
    void show(const char* bytes, size_t length) { m_write(bytes, length, m_context); }
    void show(const char* text);
    void redraw();
    void insert(uint8_t byte);
    void erase_before_cursor();
    void erase_at_cursor();
    void move_left();
    void move_right();
    void replace_line(const char* text);
    Result handle_escape(uint8_t byte);

    Write m_write;
    void* m_context;
    const char* m_prompt { "" };
    char m_line[maximum_line] {};
    size_t m_length { 0 };
    size_t m_cursor { 0 };
    // Escape sequences: 0 none, 1 after ESC, 2 inside "ESC [" collecting a parameter.
    uint8_t m_escape { 0 };
    uint32_t m_escape_parameter { 0 };
    char* m_history[history_size] {};
    size_t m_history_count { 0 };
    // Which history entry Up/Down show: history_count means the line being typed.
    size_t m_history_position { 0 };
    char m_typed[maximum_line] {}; // the line being typed, kept while walking the history
};

} // namespace Shell
