// The start of a POSIX program (linked by raeen_posix_program instead of NativeMain.cpp):
// reads the launch block its parent passed as the first start-up handle (LaunchBlock.h)
// into argc, argv, environ and the roles of the other start-up handles, makes descriptors
// 0, 1 and 2 of the standard streams, and calls main(argc, argv, environ). Start.S calls it
// after the global constructors, and exit()s with its result.

#include <ABI/ObjectType.h>
#include <ABI/Process.h>
#include <Userland/LibC/Descriptors.h>
#include <Userland/LibC/Environment.h>
#include <Userland/LibC/LaunchBlock.h>
#include <Userland/LibC/Ramdisk.h>
#include <Userland/LibC/Startup.h>
#include <Userland/LibC/include/stdlib.h>
#include <Userland/Runtime/System.h>

// The program's own main, reached by its symbol name (C++ may not name main itself).
// Programs are built freestanding, where main is an ordinary function: a C++ main has its
// signature's mangled name, a C one (or an extern "C" one) the plain name. The program
// defines exactly one of these; the others stay null.
extern "C" int main_in_c(int, char**, char**) __asm__("main") __attribute__((weak));
extern "C" int main_without_arguments() __asm__("_Z4mainv") __attribute__((weak));
extern "C" int main_with_arguments(int, char**) __asm__("_Z4mainiPPc") __attribute__((weak));
extern "C" int main_with_environment(int, char**, char**) __asm__("_Z4mainiPPcS0_") __attribute__((weak));

extern "C" char** environ;

namespace {

char s_unnamed[] = "";
char* s_no_arguments[] = { s_unnamed, nullptr };

// The launch block's bytes, kept for the program's life: argv points into them.
uint8_t* read_launch_block(uint32_t handle, size_t& size)
{
    int64_t object_size = System::memory_object_size(handle);
    if (object_size <= 0 || static_cast<uint64_t>(object_size) > LibC::launch_maximum_bytes + 64 * 1024)
        return nullptr;
    auto* bytes = static_cast<uint8_t*>(malloc(static_cast<size_t>(object_size)));
    if (!bytes)
        return nullptr;
    if (System::memory_object_read(handle, 0, bytes, static_cast<uint64_t>(object_size)) != 0) {
        free(bytes);
        return nullptr;
    }
    size = static_cast<size_t>(object_size);
    return bytes;
}

bool is_memory_object(uint32_t handle)
{
    int64_t info = System::handle_info(handle);
    return info > 0
        && (static_cast<uint64_t>(info) >> 32) == static_cast<uint64_t>(ABI::ObjectType::MemoryObject);
}

void install_standard_stream(LibC::HandleRole role, int descriptor)
{
    const LibC::StartupHandle* stream = LibC::startup_handle(role);
    if (stream && (stream->flags & LibC::launch_handle_file))
        LibC::install_file(descriptor, stream->handle);
    else if (stream)
        LibC::install_stream(descriptor, stream->handle, (stream->flags & LibC::launch_handle_terminal) != 0);
    else
        LibC::install_null(descriptor);
}

} // namespace

extern "C" int64_t raeen_call_main(uint64_t, uint64_t, const ABI::StartupHandles* startup)
{
    int argument_count = 1;
    char** arguments = s_no_arguments;
    LibC::set_environment(nullptr, 0);
    if (startup->count >= 1 && is_memory_object(startup->handles[0])) {
        size_t size = 0;
        uint8_t* bytes = read_launch_block(startup->handles[0], size);
        LibC::DecodedLaunchBlock block;
        if (bytes && LibC::decode_launch_block(bytes, size, block)) {
            uint32_t strings = block.argument_count + block.environment_count;
            auto** pointers = static_cast<const char**>(malloc((strings + 1) * sizeof(char*)));
            if (pointers) {
                LibC::launch_block_strings(block, pointers);
                LibC::set_environment(pointers + block.argument_count, block.environment_count);
                // argv is the pointer array itself, cut after the arguments.
                pointers[block.argument_count] = nullptr;
                if (block.argument_count > 0) {
                    argument_count = static_cast<int>(block.argument_count);
                    arguments = const_cast<char**>(pointers);
                }
            }
            LibC::StartupHandle roles[LibC::maximum_startup_roles];
            uint32_t role_count = 0;
            for (uint32_t index = 0; index < block.handle_count && index + 1 < startup->count
                 && role_count < LibC::maximum_startup_roles;
                 ++index) {
                LibC::LaunchHandle described;
                __builtin_memcpy(&described, &block.handles[index], sizeof(described));
                roles[role_count++] = { described.role, described.flags, startup->handles[index + 1] };
            }
            LibC::set_startup_handles(roles, role_count);
        } else {
            free(bytes);
        }
        (void)System::handle_close(startup->handles[0]);
    }
    // The working directory comes with the environment: PWD, as the shell's cd sets it.
    if (const char* directory = getenv("PWD"))
        (void)LibC::change_working_directory(directory);
    install_standard_stream(LibC::HandleRole::StandardInput, 0);
    install_standard_stream(LibC::HandleRole::StandardOutput, 1);
    install_standard_stream(LibC::HandleRole::StandardError, 2);
    if (main_with_arguments)
        return main_with_arguments(argument_count, arguments);
    if (main_without_arguments)
        return main_without_arguments();
    if (main_with_environment)
        return main_with_environment(argument_count, arguments, environ);
    if (main_in_c)
        return main_in_c(argument_count, arguments, environ);
    System::debug_log("a POSIX program without main");
    return 127;
}
