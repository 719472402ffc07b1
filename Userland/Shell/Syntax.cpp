#include <Userland/Shell/Syntax.h>

namespace Shell {

namespace {

bool is_blank(char character)
{
    return character == ' ' || character == '\t' || character == '\r' || character == '\n';
}

bool is_operator_start(char character)
{
    return character == '|' || character == '&' || character == ';' || character == '<' || character == '>';
}

bool is_name_start(char character)
{
    return (character >= 'a' && character <= 'z') || (character >= 'A' && character <= 'Z')
        || character == '_';
}

bool is_name_character(char character)
{
    return is_name_start(character) || (character >= '0' && character <= '9');
}

enum class TokenKind : uint8_t {
    Word,
    Pipe, // |
    And, // &&
    Or, // ||
    Background, // &
    Semicolon, // ;
    Input, // <
    Output, // >
    Append, // >>
    ErrorOutput, // 2>
    ErrorAppend, // 2>>
    ErrorToOutput, // 2>&1
    End,
};

class Tokenizer {
public:
    Tokenizer(const char* line, char* storage, size_t capacity)
        : m_position(line)
        , m_storage(storage)
        , m_capacity(capacity)
    {
    }

    // The next token; for a word, `word` points to its raw text in storage. error() is
    // null unless the line is malformed.
    TokenKind next(const char*& word)
    {
        while (is_blank(*m_position))
            ++m_position;
        char character = *m_position;
        if (character == 0 || character == '#')
            return TokenKind::End;
        // "2>", "2>>" and "2>&1" are operators only as whole words' beginnings.
        if (character == '2' && m_position[1] == '>') {
            if (m_position[2] == '&' && m_position[3] == '1') {
                m_position += 4;
                return TokenKind::ErrorToOutput;
            }
            if (m_position[2] == '>') {
                m_position += 3;
                return TokenKind::ErrorAppend;
            }
            m_position += 2;
            return TokenKind::ErrorOutput;
        }
        if (is_operator_start(character)) {
            char following = m_position[1];
            m_position += 1;
            switch (character) {
            case '|':
                if (following == '|') {
                    ++m_position;
                    return TokenKind::Or;
                }
                return TokenKind::Pipe;
            case '&':
                if (following == '&') {
                    ++m_position;
                    return TokenKind::And;
                }
                return TokenKind::Background;
            case ';':
                return TokenKind::Semicolon;
            case '<':
                return TokenKind::Input;
            default:
                if (following == '>') {
                    ++m_position;
                    return TokenKind::Append;
                }
                return TokenKind::Output;
            }
        }
        return read_word(word);
    }

    const char* error() const { return m_error; }

private:
    TokenKind read_word(const char*& word)
    {
        size_t start = m_used;
        char quote = 0;
        while (*m_position) {
            char character = *m_position;
            if (!quote && (is_blank(character) || is_operator_start(character)))
                break;
            if (character == '\\' && quote != '\'' && m_position[1] != 0) {
                if (!store(character) || !store(m_position[1]))
                    return TokenKind::End;
                m_position += 2;
                continue;
            }
            if (!quote && (character == '\'' || character == '"'))
                quote = character;
            else if (quote && character == quote)
                quote = 0;
            if (!store(character))
                return TokenKind::End;
            ++m_position;
        }
        if (quote) {
            m_error = quote == '\'' ? "unterminated '" : "unterminated \"";
            return TokenKind::End;
        }
        if (!store(0))
            return TokenKind::End;
        word = m_storage + start;
        return TokenKind::Word;
    }

    bool store(char character)
    {
        if (m_used == m_capacity) {
            m_error = "line too long";
            return false;
        }
        m_storage[m_used++] = character;
        return true;
    }

    const char* m_position;
    char* m_storage;
    size_t m_capacity;
    size_t m_used { 0 };
    const char* m_error { nullptr };
};

RedirectionKind redirection_kind(TokenKind kind)
{
    switch (kind) {
    case TokenKind::Input:
        return RedirectionKind::Input;
    case TokenKind::Output:
        return RedirectionKind::Output;
    case TokenKind::Append:
        return RedirectionKind::Append;
    case TokenKind::ErrorOutput:
        return RedirectionKind::ErrorOutput;
    case TokenKind::ErrorAppend:
        return RedirectionKind::ErrorAppend;
    default:
        return RedirectionKind::ErrorToOutput;
    }
}

bool is_redirection(TokenKind kind)
{
    return kind == TokenKind::Input || kind == TokenKind::Output || kind == TokenKind::Append
        || kind == TokenKind::ErrorOutput || kind == TokenKind::ErrorAppend
        || kind == TokenKind::ErrorToOutput;
}

} // namespace

const char* parse_line(const char* line, ParsedLine& parsed)
{
    parsed.pipeline_count = 0;
    Tokenizer tokens(line, parsed.storage, sizeof(parsed.storage));
    Joint joint = Joint::First;
    Pipeline* pipeline = nullptr;
    Command* command = nullptr;
    // After '|', '&&' or '||': a command must follow.
    bool command_expected = false;
    for (;;) {
        const char* word = nullptr;
        TokenKind kind = tokens.next(word);
        if (tokens.error())
            return tokens.error();
        if (kind == TokenKind::Word || is_redirection(kind)) {
            command_expected = false;
            if (!pipeline) {
                if (parsed.pipeline_count == maximum_pipelines)
                    return "too many commands on one line";
                pipeline = &parsed.pipelines[parsed.pipeline_count++];
                *pipeline = Pipeline {};
                pipeline->joint = joint;
            }
            if (!command) {
                if (pipeline->command_count == maximum_commands)
                    return "too many commands in one pipeline";
                command = &pipeline->commands[pipeline->command_count++];
                *command = Command {};
            }
            if (kind == TokenKind::Word) {
                if (command->word_count == maximum_words)
                    return "too many words";
                command->words[command->word_count++] = word;
                continue;
            }
            if (command->redirection_count == maximum_redirections)
                return "too many redirections";
            const char* target = nullptr;
            if (kind != TokenKind::ErrorToOutput) {
                TokenKind following = tokens.next(target);
                if (tokens.error())
                    return tokens.error();
                if (following != TokenKind::Word)
                    return "a redirection needs a file name";
            }
            command->redirections[command->redirection_count++] = { redirection_kind(kind), target };
            continue;
        }
        // An operator: what it ends must be a whole command.
        bool ends_command = command && (command->word_count > 0 || command->redirection_count > 0);
        if (kind == TokenKind::End)
            return command_expected ? "a command is missing at the end" : nullptr;
        if (!ends_command)
            return "a command is missing before an operator";
        command = nullptr;
        command_expected = kind == TokenKind::Pipe || kind == TokenKind::And || kind == TokenKind::Or;
        switch (kind) {
        case TokenKind::Pipe:
            continue;
        case TokenKind::And:
            joint = Joint::And;
            break;
        case TokenKind::Or:
            joint = Joint::Or;
            break;
        case TokenKind::Background:
            pipeline->background = true;
            joint = Joint::First;
            break;
        default:
            joint = Joint::First;
            break;
        }
        pipeline = nullptr;
    }
}

namespace {

class Output {
public:
    Output(char* buffer, size_t capacity)
        : m_buffer(buffer)
        , m_capacity(capacity)
    {
    }
    void add(char character)
    {
        if (m_length + 1 < m_capacity)
            m_buffer[m_length++] = character;
        else
            m_overflowed = true;
    }
    void add(const char* text)
    {
        for (; text && *text; ++text)
            add(*text);
    }
    bool finish()
    {
        if (m_capacity == 0)
            return false;
        m_buffer[m_length] = 0;
        return !m_overflowed;
    }

private:
    char* m_buffer;
    size_t m_capacity;
    size_t m_length { 0 };
    bool m_overflowed { false };
};

// Expands the $ at `position` (which points just after it); returns the position after the
// expansion's text.
const char* expand_dollar(const char* position, VariableLookup lookup, void* context, Output& output)
{
    char name[64];
    size_t length = 0;
    if (*position == '?' || (*position >= '0' && *position <= '9')) {
        // $? and the positional parameters $0 to $9: one character each.
        char special[2] = { *position, 0 };
        output.add(lookup(special, context));
        return position + 1;
    }
    bool braced = *position == '{';
    const char* start = braced ? position + 1 : position;
    const char* cursor = start;
    if (!is_name_start(*cursor)) {
        // A lone '$' is itself.
        output.add('$');
        return position;
    }
    while (is_name_character(*cursor) && length + 1 < sizeof(name))
        name[length++] = *cursor++;
    name[length] = 0;
    if (braced) {
        if (*cursor != '}') {
            output.add('$');
            return position;
        }
        ++cursor;
    }
    output.add(lookup(name, context));
    return cursor;
}

} // namespace

bool expand_word(const char* raw, VariableLookup lookup, void* context, char* output_buffer, size_t capacity)
{
    Output output(output_buffer, capacity);
    char quote = 0;
    const char* position = raw;
    while (*position) {
        char character = *position;
        if (quote == '\'') {
            if (character == '\'')
                quote = 0;
            else
                output.add(character);
            ++position;
            continue;
        }
        if (character == '\\' && position[1]) {
            char escaped = position[1];
            // Inside double quotes only these are escapes; elsewhere the backslash stays.
            if (quote == '"' && escaped != '"' && escaped != '\\' && escaped != '$')
                output.add('\\');
            output.add(escaped);
            position += 2;
            continue;
        }
        if (character == '$') {
            position = expand_dollar(position + 1, lookup, context, output);
            continue;
        }
        if (quote == 0 && (character == '\'' || character == '"')) {
            quote = character;
            ++position;
            continue;
        }
        if (quote == '"' && character == '"') {
            quote = 0;
            ++position;
            continue;
        }
        output.add(character);
        ++position;
    }
    return output.finish();
}

bool is_assignment(const char* word)
{
    if (!is_name_start(*word))
        return false;
    for (++word; *word && *word != '='; ++word) {
        if (!is_name_character(*word))
            return false;
    }
    return *word == '=';
}

} // namespace Shell
