#include <Userland/LibC/Startup.h>

namespace LibC {

namespace {

StartupHandle s_handles[maximum_startup_roles];
uint32_t s_handle_count;

} // namespace

void set_startup_handles(const StartupHandle* handles, uint32_t count)
{
    s_handle_count = count < maximum_startup_roles ? count : maximum_startup_roles;
    for (uint32_t index = 0; index < s_handle_count; ++index)
        s_handles[index] = handles[index];
}

const StartupHandle* startup_handle(HandleRole role)
{
    for (uint32_t index = 0; index < s_handle_count; ++index) {
        if (s_handles[index].role == role)
            return &s_handles[index];
    }
    return nullptr;
}

uint32_t startup_handles(const StartupHandle** handles)
{
    *handles = s_handles;
    return s_handle_count;
}

} // namespace LibC
