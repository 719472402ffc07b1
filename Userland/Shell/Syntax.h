#pragma once

// The shell's language (docs/shell.md), read in two steps, both pure so that host tests
// check them:
//   1. parse_line() splits a line into a list of pipelines joined by ';', '&', '&&' and
//      '||', each a series of commands joined by '|', each command its words and
//      redirections. Words keep their quotes: nothing is expanded yet.
//   2. expand_word() runs when the command does, so that `x=1; echo $x` sees the new x: it
//      expands $NAME, ${NAME}, $? and $0 to $9, and removes the quotes.
//
// Quoting: '...' keeps everything literally; "..." keeps everything but $ expansions and
// the escapes \" \\ \$; a backslash outside quotes keeps the next character. Expansions
// never split into several words. '#' at the start of a word starts a comment.

#include <stddef.h>
#include <stdint.h>

namespace Shell {

inline constexpr size_t maximum_words = 64;
inline constexpr size_t maximum_redirections = 8;
inline constexpr size_t maximum_commands = 16; // per pipeline
inline constexpr size_t maximum_pipelines = 32; // per line

enum class RedirectionKind : uint8_t {
    Input, // <
    Output, // >
    Append, // >>
    ErrorOutput, // 2>
    ErrorAppend, // 2>>
    ErrorToOutput, // 2>&1
};

struct Redirection {
    RedirectionKind kind;
    const char* target; // a raw word (null for 2>&1)
};

struct Command {
    const char* words[maximum_words]; // raw words, NUL-terminated, in the line's storage
    size_t word_count;
    Redirection redirections[maximum_redirections];
    size_t redirection_count;
};

// How a pipeline is joined to the one before it.
enum class Joint : uint8_t {
    First, // the line's first pipeline, or after ';' or '&'
    And, // after &&: runs if the previous one succeeded
    Or, // after ||: runs if the previous one failed
};

struct Pipeline {
    Command commands[maximum_commands];
    size_t command_count;
    Joint joint;
    bool background; // ended with '&'
};

struct ParsedLine {
    Pipeline pipelines[maximum_pipelines];
    size_t pipeline_count;
    // The words' bytes: a copy of the line with terminators between words.
    char storage[4096];
};

// The reason a line could not be parsed, or null. `line` is NUL-terminated.
const char* parse_line(const char* line, ParsedLine& parsed);

// Looks a variable up for expansion: its value, or null when unset ("" then).
using VariableLookup = const char* (*)(const char* name, void* context);

// Writes the expansion of `raw` (a word of parse_line's) into `output`. False when the
// result does not fit in `capacity` bytes with its terminator.
bool expand_word(const char* raw, VariableLookup lookup, void* context, char* output, size_t capacity);

// Whether `word` (expanded) is an assignment NAME=value, with a valid name before '='.
bool is_assignment(const char* word);

} // namespace Shell
