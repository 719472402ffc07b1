#include <Kernel/Boot/KernelOptions.h>

namespace Kernel::Boot {

namespace {

KernelOptions s_kernel_options;

bool is_space(char character)
{
    return character == ' ' || character == '\t' || character == '\n' || character == '\r';
}

template<typename... Arguments>
void add_problem(KernelOptions& options, Core::StringView format_string, const Arguments&... arguments)
{
    Core::FixedStringBuilder<96> problem;
    problem.appendf(format_string, arguments...);
    // Only the first few problems are kept; the rest would repeat the same story.
    (void)options.problems.try_append(problem);
}

} // namespace

CommandLine tokenize_command_line(Core::StringView text)
{
    CommandLine result;
    Core::usize position = 0;
    while (position < text.length()) {
        while (position < text.length() && is_space(text[position]))
            ++position;
        if (position >= text.length())
            break;
        Core::usize key_start = position;
        while (position < text.length() && !is_space(text[position]) && text[position] != '=')
            ++position;
        CommandLineOption option { text.substring(key_start, position - key_start), {} };
        if (position < text.length() && text[position] == '=') {
            ++position;
            if (position < text.length() && text[position] == '"') {
                ++position;
                Core::usize value_start = position;
                while (position < text.length() && text[position] != '"')
                    ++position;
                option.value = text.substring(value_start, position - value_start);
                if (position < text.length())
                    ++position; // closing quote
            } else {
                Core::usize value_start = position;
                while (position < text.length() && !is_space(text[position]))
                    ++position;
                option.value = text.substring(value_start, position - value_start);
            }
        }
        if (option.key.is_empty())
            continue;
        if (result.options.try_append(option).is_error())
            ++result.dropped;
    }
    return result;
}

KernelOptions parse_kernel_options(Core::StringView text)
{
    KernelOptions options;
    CommandLine command_line = tokenize_command_line(text);
    for (const CommandLineOption& option : command_line.options) {
        if (option.key == "log") {
            auto level = Log::parse_level(option.value);
            if (level.has_value())
                options.log_level = level.value();
            else
                add_problem(options, "bad value '{}' for log (use error, warn, info or debug)", option.value);
        } else if (option.key == "test") {
            options.test_selector.clear();
            options.test_selector.write(option.value);
            if (options.test_selector.was_truncated())
                add_problem(options, "test selector is too long");
        } else if (option.key == "panic") {
            if (option.value == "halt")
                options.panic_action = PanicAction::Halt;
            else if (option.value == "qemu-exit")
                options.panic_action = PanicAction::QemuExit;
            else
                add_problem(options, "bad value '{}' for panic (use halt or qemu-exit)", option.value);
        } else {
            add_problem(options, "unknown option '{}'", option.key);
        }
    }
    if (command_line.dropped > 0)
        add_problem(options, "{} options beyond the first {} were ignored", command_line.dropped,
            command_line.options.capacity());
    return options;
}

void set_kernel_options(const KernelOptions& options)
{
    s_kernel_options = options;
}

const KernelOptions& kernel_options()
{
    return s_kernel_options;
}

} // namespace Kernel::Boot
