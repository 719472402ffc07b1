#include <Userland/LibC/Paths.h>

namespace LibC {

namespace {

// Appends the components of `path` to `output` (which holds `length` bytes of canonical
// path), folding "." and "..". False when it would not fit.
bool append_components(const char* path, char* output, size_t capacity, size_t& length)
{
    const char* position = path;
    while (*position) {
        while (*position == '/')
            ++position;
        const char* start = position;
        while (*position && *position != '/')
            ++position;
        size_t component_length = static_cast<size_t>(position - start);
        if (component_length == 0 || (component_length == 1 && start[0] == '.'))
            continue;
        if (component_length == 2 && start[0] == '.' && start[1] == '.') {
            // Back to the previous slash, or to the root.
            while (length > 0 && output[length - 1] != '/')
                --length;
            if (length > 0)
                --length;
            continue;
        }
        size_t needed = (length > 0 ? 1 : 0) + component_length;
        if (length + needed + 1 > capacity)
            return false;
        if (length > 0)
            output[length++] = '/';
        for (size_t index = 0; index < component_length; ++index)
            output[length++] = start[index];
    }
    return true;
}

} // namespace

bool canonical_path(const char* working_directory, const char* path, char* output, size_t capacity)
{
    if (!path || !*path || capacity == 0)
        return false;
    size_t length = 0;
    if (path[0] != '/' && !append_components(working_directory, output, capacity, length))
        return false;
    if (!append_components(path, output, capacity, length))
        return false;
    output[length] = 0;
    return true;
}

} // namespace LibC
