#pragma once

// What a POSIX program was started with (PosixMain.cpp fills it in before main): the role of
// each start-up handle, from its launch block (LaunchBlock.h).

#include <Userland/LibC/LaunchBlock.h>
#include <stdint.h>

namespace LibC {

inline constexpr uint32_t maximum_startup_roles = 16;

struct StartupHandle {
    HandleRole role;
    uint32_t flags; // launch_handle_* bits
    uint32_t handle;
};

// Records the program's start-up handles and their roles.
void set_startup_handles(const StartupHandle* handles, uint32_t count);

// The first start-up handle with `role`, or null. The handle stays the program's: callers
// that keep it duplicate it.
const StartupHandle* startup_handle(HandleRole role);

// Every start-up handle, for passing the same roles on to a child (Spawn.cpp).
uint32_t startup_handles(const StartupHandle** handles);

} // namespace LibC
