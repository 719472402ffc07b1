#pragma once

// Path resolution without a file system: joins a path to the working directory and folds
// "." and ".." away, giving the canonical form the RAM disk's archive uses (components
// separated by single slashes, no leading or trailing slash; "" is the root). Pure, so that
// host tests check it.

#include <stddef.h>

namespace LibC {

// Writes the canonical form of `path` (absolute, or relative to `working_directory`, which
// is absolute) into `output` (`capacity` bytes with the terminator). ".." at the root stays
// at the root, as POSIX has it. False when the result does not fit or `path` is empty.
bool canonical_path(const char* working_directory, const char* path, char* output, size_t capacity);

} // namespace LibC
