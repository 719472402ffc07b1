#pragma once

// The panic path: the last thing the kernel does when it finds itself broken. It prints
// the reason, the CPU state and a symbolized backtrace on every console, then stops the
// machine (or, with panic=qemu-exit, leaves QEMU so a test can read the report).
//
// Nothing here allocates or takes a lock that normal code could be holding.

#include <Core/Format.h>
#include <Kernel/Arch/x86_64/RegisterState.h>
#include <Kernel/Panic/SymbolTable.h>

namespace Kernel::Panic {

[[noreturn]] void panic_with_message(Core::StringView message);

template<typename... Arguments>
[[noreturn]] void panic(Core::StringView format_string, const Arguments&... arguments)
{
    Core::FixedStringBuilder<256> message;
    Core::format_to(message, format_string, arguments...);
    panic_with_message(message.string_view());
}

// Reports a fatal CPU exception with the registers the entry point saved.
[[noreturn]] void panic_on_exception(const Arch::RegisterState& registers);

// True once any CPU has started a panic.
[[nodiscard]] bool is_panicking();

// Makes the embedded symbol table available to backtraces. Called early in boot.
void load_kernel_symbols();
[[nodiscard]] const SymbolTable& kernel_symbols();

} // namespace Kernel::Panic
