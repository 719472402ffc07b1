#pragma once

#include <Core/Span.h>
#include <Core/Types.h>

namespace Kernel::Arch {

// A stack reserved in the kernel image (KernelStacks.S), with the unmapped guard page
// directly below it.
struct StaticStack {
    const char* name;
    Core::u64 guard_page;
    Core::u64 bottom;
    Core::u64 top;
};

[[nodiscard]] Core::Span<const StaticStack> static_kernel_stacks();

} // namespace Kernel::Arch
