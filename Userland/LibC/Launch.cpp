#include <ABI/Memory.h>
#include <ABI/Process.h>
#include <Userland/LibC/Launch.h>
#include <Userland/LibC/Strings.h>
#include <Userland/LibC/include/errno.h>
#include <Userland/LibC/include/stdlib.h>
#include <Userland/Runtime/System.h>

namespace LibC {

namespace {

void close_handles(const uint32_t* handles, uint32_t count)
{
    for (uint32_t index = 0; index < count; ++index)
        (void)System::handle_close(handles[index]);
}

// The launch block in a memory object of whole pages; its handle, or a negated errno value.
int64_t make_launch_block(const char* const* arguments, const char* const* environment,
    const LaunchHandle* roles, uint32_t handle_count)
{
    size_t block_size = launch_block_size(arguments, environment, handle_count);
    if (block_size == 0)
        return -E2BIG;
    auto* block = static_cast<uint8_t*>(malloc(block_size));
    if (!block)
        return -ENOMEM;
    encode_launch_block(arguments, environment, roles, handle_count, block);
    size_t object_size = (block_size + ABI::memory_page_size - 1) & ~(ABI::memory_page_size - 1);
    int64_t memory = System::memory_object_create(object_size);
    if (memory >= 0
        && System::memory_object_write(static_cast<uint32_t>(memory), 0, block, block_size) != 0) {
        (void)System::handle_close(static_cast<uint32_t>(memory));
        memory = -1;
    }
    free(block);
    return memory >= 0 ? memory : -ENOMEM;
}

} // namespace

int64_t launch_program(const char* name, const uint8_t* image, size_t image_size,
    const char* const* arguments, const char* const* environment, const uint32_t* handles,
    const LaunchHandle* roles, uint32_t handle_count)
{
    if (handle_count + 1 > ABI::maximum_startup_handles) {
        close_handles(handles, handle_count);
        return -E2BIG;
    }
    int64_t launch_block = make_launch_block(arguments, environment, roles, handle_count);
    if (launch_block < 0) {
        close_handles(handles, handle_count);
        return launch_block;
    }
    uint32_t startup[ABI::maximum_startup_handles];
    startup[0] = static_cast<uint32_t>(launch_block);
    for (uint32_t index = 0; index < handle_count; ++index)
        startup[index + 1] = handles[index];
    int64_t process = System::process_create(name, LibC::strlen(name));
    if (process < 0) {
        close_handles(startup, handle_count + 1);
        return -ENOMEM;
    }
    ABI::ProcessStartArguments start {
        .image_address = reinterpret_cast<uint64_t>(image),
        .image_size = image_size,
        .handles_address = reinterpret_cast<uint64_t>(startup),
        .handle_count = handle_count + 1,
        .argument = 0,
        .flags = 0,
    };
    int64_t started = System::process_start(static_cast<uint32_t>(process), &start);
    if (started < 0) {
        // A refused start leaves the handles with this program; one that failed while
        // loading took them with the exited child. Closing what is still here covers both.
        close_handles(startup, handle_count + 1);
        (void)System::handle_close(static_cast<uint32_t>(process));
        bool not_executable = started == System::failure(ABI::ErrorCode::Malformed)
            || started == System::failure(ABI::ErrorCode::NotSupported);
        return not_executable ? -ENOEXEC : -ENOMEM;
    }
    return process;
}

} // namespace LibC
