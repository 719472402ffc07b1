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

Core::Optional<Core::u64> parse_unsigned_number(Core::StringView text)
{
    Core::u64 base = 10;
    if (text.length() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        base = 16;
        text = text.substring(2);
    }
    if (text.is_empty())
        return {};
    Core::u64 value = 0;
    for (Core::usize index = 0; index < text.length(); ++index) {
        char character = text[index];
        Core::u64 digit = 0;
        if (character >= '0' && character <= '9')
            digit = static_cast<Core::u64>(character - '0');
        else if (base == 16 && character >= 'a' && character <= 'f')
            digit = static_cast<Core::u64>(character - 'a' + 10);
        else if (base == 16 && character >= 'A' && character <= 'F')
            digit = static_cast<Core::u64>(character - 'A' + 10);
        else
            return {};
        // value * base + digit must stay below 2^64.
        if (value > (~Core::u64(0) - digit) / base)
            return {};
        value = value * base + digit;
    }
    return value;
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
        } else if (option.key == "syscall-fuzz-calls") {
            auto calls = parse_unsigned_number(option.value);
            if (calls.has_value() && calls.value() > 0 && calls.value() <= 0xFFFFFFFF)
                options.syscall_fuzz_calls = calls.value();
            else
                add_problem(options, "bad value '{}' for syscall-fuzz-calls (1 to 4294967295)", option.value);
        } else if (option.key == "syscall-fuzz-seed") {
            auto seed = parse_unsigned_number(option.value);
            if (seed.has_value() && seed.value() <= 0xFFFFFFFF)
                options.syscall_fuzz_seed = seed.value();
            else
                add_problem(options, "bad value '{}' for syscall-fuzz-seed (0 to 4294967295)", option.value);
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
