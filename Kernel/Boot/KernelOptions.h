#pragma once

// Kernel command-line options (docs/kernel-command-line.md). The command line comes
// from the boot loader, so it is outside input: unknown options and bad values are
// reported and ignored, never trusted.

#include <Core/Format.h>
#include <Core/Optional.h>
#include <Core/StaticVector.h>
#include <Core/StringView.h>
#include <Kernel/Log/Level.h>

namespace Kernel::Boot {

enum class PanicAction : Core::u8 {
    // Stop the machine and leave the report on screen.
    Halt,
    // Leave QEMU through its isa-debug-exit device (for automated tests).
    QemuExit,
};

struct CommandLineOption {
    Core::StringView key;
    Core::StringView value;
};

// Splits a command line into whitespace-separated `key=value` (or bare `key`) tokens. A
// value may be wrapped in double quotes to contain spaces. Tokens beyond the capacity
// are counted in `dropped`.
struct CommandLine {
    Core::StaticVector<CommandLineOption, 32> options;
    Core::u32 dropped { 0 };
};
[[nodiscard]] CommandLine tokenize_command_line(Core::StringView text);

// A decimal number (or hexadecimal with 0x) that fits in 64 bits; nothing for anything else.
[[nodiscard]] Core::Optional<Core::u64> parse_unsigned_number(Core::StringView text);

struct KernelOptions {
    Log::Level log_level { Log::Level::Info };
    // Which in-kernel tests to run: empty for none, "all", "suite.name" or "suite.*".
    Core::FixedStringBuilder<128> test_selector;
    PanicAction panic_action { PanicAction::Halt };
    // The system-call fuzz test (kernel.syscalls.random_calls_never_harm_the_kernel): how
    // many calls, and the seed (none: a random one, which the test reports).
    Core::u64 syscall_fuzz_calls { 1'000'000 };
    Core::Optional<Core::u64> syscall_fuzz_seed;
    // Problems to report once logging works: "unknown option 'x'", "bad value for log".
    Core::StaticVector<Core::FixedStringBuilder<96>, 8> problems;
};

// Decodes options from a command line. `text` must outlive nothing: all results are
// copied into the returned structure.
[[nodiscard]] KernelOptions parse_kernel_options(Core::StringView text);

// The options the kernel booted with; set once during early boot.
void set_kernel_options(const KernelOptions& options);
[[nodiscard]] const KernelOptions& kernel_options();

} // namespace Kernel::Boot
