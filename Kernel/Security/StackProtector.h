#pragma once

#include <Core/StringView.h>

// The kernel is built with -fstack-protector-strong: functions with arrays or address-taken
// locals keep a copy of __stack_chk_guard (the canary) below their return address and
// check it before returning. A mismatch calls __stack_chk_fail, which panics naming the
// function whose frame was smashed.
namespace Kernel::Security {

// Chooses this boot's canary. Must run first thing in kernel_main: functions already on
// the stack keep the old value, so kernel_main and this function are built without the
// protector. Returns where the value came from, for the log.
[[nodiscard]] Core::StringView initialize_stack_protector();

} // namespace Kernel::Security
