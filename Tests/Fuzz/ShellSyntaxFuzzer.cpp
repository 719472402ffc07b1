// Fuzz target: a line typed at the shell (Userland/Shell/Syntax.h). Whatever the bytes,
// parsing and expanding every word stay inside their buffers and terminate.

#include <Userland/Shell/Syntax.h>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace {

const char* lookup(const char* name, void*)
{
    // Long values, so that expansion meets its output limit.
    static std::string value(300, 'v');
    return name[0] == 'x' ? value.c_str() : nullptr;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string line(reinterpret_cast<const char*>(data), size);
    static Shell::ParsedLine parsed;
    if (Shell::parse_line(line.c_str(), parsed))
        return 0;
    char output[1024];
    for (size_t pipeline = 0; pipeline < parsed.pipeline_count; ++pipeline) {
        for (size_t command = 0; command < parsed.pipelines[pipeline].command_count; ++command) {
            const Shell::Command& parsed_command = parsed.pipelines[pipeline].commands[command];
            if (parsed_command.word_count > Shell::maximum_words)
                __builtin_trap();
            for (size_t word = 0; word < parsed_command.word_count; ++word)
                (void)Shell::expand_word(parsed_command.words[word], lookup, nullptr, output, sizeof(output));
        }
    }
    return 0;
}
