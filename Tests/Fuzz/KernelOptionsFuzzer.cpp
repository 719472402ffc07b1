// Fuzzes the kernel command-line decoder: the boot loader hands the kernel arbitrary
// bytes, which must never crash it or break the invariants below. A broken invariant
// traps, so libFuzzer records the input like any other crash.

#include <Kernel/Boot/KernelOptions.h>
#include <stddef.h>
#include <stdint.h>

namespace {

// Keeps the checks below from being optimised away.
volatile Core::usize s_observed_length;

void require(bool condition)
{
    if (!condition)
        __builtin_trap();
}

bool lies_within(Core::StringView inner, Core::StringView outer)
{
    if (inner.is_empty())
        return true;
    return inner.characters() >= outer.characters()
        && inner.characters() + inner.length() <= outer.characters() + outer.length();
}

bool contains_space(Core::StringView text)
{
    for (char character : text) {
        if (character == ' ' || character == '\t' || character == '\n' || character == '\r')
            return true;
    }
    return false;
}

template<Core::usize Capacity> void require_well_formed(const Core::FixedStringBuilder<Capacity>& builder)
{
    require(builder.length() < Capacity);
    require(builder.c_string()[builder.length()] == '\0');
    s_observed_length = builder.length();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    // libFuzzer owns `size` readable bytes at `data`; they are read as characters only.
    Core::StringView text(reinterpret_cast<const char*>(data), size);

    Kernel::Boot::CommandLine command_line = Kernel::Boot::tokenize_command_line(text);
    require(command_line.options.size() <= command_line.options.capacity());
    require(command_line.dropped == 0 || command_line.options.is_full());
    for (const auto& option : command_line.options) {
        // Tokens are views of the input, and keys are non-empty words.
        require(!option.key.is_empty());
        require(lies_within(option.key, text));
        require(lies_within(option.value, text));
        require(!contains_space(option.key));
        require(!option.key.find('=').has_value());
    }

    Kernel::Boot::KernelOptions options = Kernel::Boot::parse_kernel_options(text);
    require(static_cast<Core::u8>(options.log_level) <= static_cast<Core::u8>(Kernel::Log::Level::Debug));
    require(options.panic_action == Kernel::Boot::PanicAction::Halt
        || options.panic_action == Kernel::Boot::PanicAction::QemuExit);
    require_well_formed(options.test_selector);
    require(options.problems.size() <= options.problems.capacity());
    for (const auto& problem : options.problems) {
        require_well_formed(problem);
        require(!problem.string_view().is_empty());
    }
    // A command line without problems used only options the decoder knows.
    if (options.problems.is_empty()) {
        for (const auto& option : command_line.options)
            require(option.key == "log" || option.key == "test" || option.key == "panic");
    }
    return 0;
}
