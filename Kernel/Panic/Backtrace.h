#pragma once

#include <Core/Span.h>
#include <Core/Types.h>

namespace Kernel::Panic {

// Walks the frame-pointer chain (the kernel is built with -fno-omit-frame-pointer)
// starting at `frame_pointer`, storing return addresses into `return_addresses`. Every
// frame is checked before it is read: it must lie in memory the kernel always has mapped
// and sit above the previous one, so a corrupt stack ends the walk instead of faulting
// again. Returns the number of addresses stored.
Core::usize collect_backtrace(Core::u64 frame_pointer, Core::Span<Core::u64> return_addresses);

} // namespace Kernel::Panic
