#pragma once

// Starting a program with a launch block (LaunchBlock.h): what raeen_spawn and init share.

#include <Userland/LibC/LaunchBlock.h>
#include <stddef.h>
#include <stdint.h>

namespace LibC {

// Starts `image` (an executable of `image_size` bytes) as a new process named `name`. Its
// start-up handles are a launch block holding `arguments`, `environment` and the roles of
// `handles`, then `handles` themselves (at most 15), which move into the child. Returns a
// handle to the child's process; or a negated errno value (E2BIG, ENOEXEC, ENOMEM), with
// every handle of `handles` closed.
int64_t launch_program(const char* name, const uint8_t* image, size_t image_size,
    const char* const* arguments, const char* const* environment, const uint32_t* handles,
    const LaunchHandle* roles, uint32_t handle_count);

} // namespace LibC
