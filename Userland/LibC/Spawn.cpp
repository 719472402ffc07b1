// raeen_spawn, raeen_wait and raeen_find_program (include/raeen/spawn.h).

#include <ABI/Memory.h>
#include <ABI/Process.h>
#include <Userland/LibC/Descriptors.h>
#include <Userland/LibC/Files.h>
#include <Userland/LibC/Launch.h>
#include <Userland/LibC/LaunchBlock.h>
#include <Userland/LibC/Ramdisk.h>
#include <Userland/LibC/Startup.h>
#include <Userland/LibC/Strings.h>
#include <Userland/LibC/include/errno.h>
#include <Userland/LibC/include/raeen/spawn.h>
#include <Userland/LibC/include/stdlib.h>
#include <Userland/LibC/include/sys/stat.h>
#include <Userland/Runtime/System.h>

extern "C" char** environ;

namespace {

// The roles a child inherits from its parent, when the parent has them.
constexpr LibC::HandleRole inherited_roles[] = {
    LibC::HandleRole::Ramdisk,
    LibC::HandleRole::SystemControl,
    LibC::HandleRole::ServiceControl,
    LibC::HandleRole::DeviceManager,
    LibC::HandleRole::RtcClient,
    LibC::HandleRole::MouseInput,
};

struct ChildHandles {
    uint32_t handles[ABI::maximum_startup_handles];
    LibC::LaunchHandle roles[ABI::maximum_startup_handles];
    uint32_t count { 0 }; // handles[0] is the launch block's place (Launch.cpp makes it)
};

int fail(int error)
{
    errno = error;
    return -1;
}

int add_stream(ChildHandles& child, int descriptor, LibC::HandleRole role)
{
    if (descriptor < 0)
        return 0;
    uint32_t handle = 0;
    uint32_t flags = 0;
    int duplicated = LibC::duplicate_stream_handle(descriptor, handle, flags);
    // The null device, or a descriptor this program closed: the child gets nothing there,
    // and reads end of file (PosixMain.cpp gives it the null device).
    if (duplicated == -ENOTSUP || duplicated == -EBADF)
        return 0;
    if (duplicated < 0)
        return duplicated;
    child.handles[child.count] = handle;
    child.roles[child.count - 1] = { role, flags };
    ++child.count;
    return 0;
}

int add_inherited(ChildHandles& child, LibC::HandleRole role)
{
    const LibC::StartupHandle* own = LibC::startup_handle(role);
    if (!own)
        return 0;
    // The same rights as this program's handle: the low half of handle_info.
    int64_t info = System::handle_info(own->handle);
    if (info < 0)
        return 0;
    int64_t duplicated = System::handle_duplicate(own->handle, static_cast<uint32_t>(info & 0xFFFFFFFF));
    if (duplicated < 0)
        return 0; // not passable (no Duplicate): the child goes without
    child.handles[child.count] = static_cast<uint32_t>(duplicated);
    child.roles[child.count - 1] = { role, own->flags };
    ++child.count;
    return 0;
}

// The program's namespace as it is now (unshare may have replaced the one it started with).
int add_namespace(ChildHandles& child)
{
    uint32_t channel = LibC::namespace_channel();
    if (!channel)
        return 0;
    int64_t info = System::handle_info(channel);
    if (info < 0)
        return 0;
    int64_t duplicated = System::handle_duplicate(channel, static_cast<uint32_t>(info & 0xFFFFFFFF));
    if (duplicated < 0)
        return 0;
    child.handles[child.count] = static_cast<uint32_t>(duplicated);
    child.roles[child.count - 1] = { LibC::HandleRole::Namespace, 0 };
    ++child.count;
    return 0;
}

const char* base_name(const char* path)
{
    const char* slash = LibC::strrchr(path, '/');
    return slash ? slash + 1 : path;
}

} // namespace

extern "C" {

int64_t raeen_spawn(const char* path, char* const arguments[], char* const environment[],
    const struct raeen_spawn_options* options)
{
    LibC::RamdiskNode program;
    int found = LibC::ramdisk_lookup(path, program);
    if (found < 0)
        return fail(-found);
    if (program.is_directory)
        return fail(EACCES);
    if (program.size < 4 || program.data[0] != 0x7F || program.data[1] != 'E' || program.data[2] != 'L'
        || program.data[3] != 'F')
        return fail(ENOEXEC);

    ChildHandles child;
    child.count = 1; // the launch block's place
    raeen_spawn_options standard = options ? *options : raeen_spawn_options { 0, 1, 2 };
    int added = add_stream(child, standard.standard_input, LibC::HandleRole::StandardInput);
    if (added == 0)
        added = add_stream(child, standard.standard_output, LibC::HandleRole::StandardOutput);
    if (added == 0)
        added = add_stream(child, standard.standard_error, LibC::HandleRole::StandardError);
    for (LibC::HandleRole role : inherited_roles) {
        if (added == 0)
            added = add_inherited(child, role);
    }
    if (added == 0)
        added = add_namespace(child);
    // Before the launch block exists: the streams and inherited handles go back.
    auto release = [&](int error) {
        for (uint32_t index = 1; index < child.count; ++index)
            (void)System::handle_close(child.handles[index]);
        return fail(error);
    };
    if (added < 0)
        return release(-added);

    const char* const* environment_strings = environment ? environment : environ;
    int64_t process = LibC::launch_program(base_name(path), program.data, program.size, arguments,
        environment_strings, child.handles + 1, child.roles, child.count - 1);
    if (process < 0)
        return fail(static_cast<int>(-process));
    return process;
}

int system(const char* command)
{
    const char* shell = "/bin/sh";
    LibC::RamdiskNode node;
    bool have_shell = LibC::ramdisk_lookup(shell, node) == 0 && !node.is_directory;
    if (!command)
        return have_shell ? 1 : 0;
    char* arguments[]
        = { const_cast<char*>("sh"), const_cast<char*>("-c"), const_cast<char*>(command), nullptr };
    int64_t process = raeen_spawn(shell, arguments, nullptr, nullptr);
    if (process < 0)
        return -1;
    int64_t status = 0;
    if (raeen_wait(static_cast<uint32_t>(process), &status, 1) != 0)
        return -1;
    return static_cast<int>((status & 0xFF) << 8);
}

int raeen_wait(uint32_t process, int64_t* status, int block)
{
    int64_t exit_status = 0;
    int64_t waited = System::process_wait(process, &exit_status, block ? ABI::no_deadline : 0);
    if (!block && waited == System::failure(ABI::ErrorCode::TimedOut))
        return 1;
    if (waited < 0) {
        errno = EINVAL;
        return -1;
    }
    if (status)
        *status = exit_status;
    (void)System::handle_close(process);
    return 0;
}

int raeen_find_program(const char* name, char* path, size_t capacity)
{
    struct stat status { };
    auto is_program = [&] { return stat(path, &status) == 0 && S_ISREG(status.st_mode); };
    size_t name_length = LibC::strlen(name);
    if (LibC::strchr(name, '/')) {
        if (name_length >= capacity)
            return fail(ENAMETOOLONG);
        LibC::memcpy(path, name, name_length + 1);
        return is_program() ? 0 : fail(ENOENT);
    }
    const char* search = getenv("PATH");
    if (!search || !*search)
        search = "/bin";
    bool too_long = false;
    while (*search) {
        const char* end = LibC::strchr(search, ':');
        size_t length = end ? static_cast<size_t>(end - search) : LibC::strlen(search);
        // A candidate cut short could name some other file: it is not tried.
        if (length + 1 + name_length < capacity) {
            LibC::memcpy(path, search, length);
            path[length] = '/';
            LibC::memcpy(path + length + 1, name, name_length + 1);
            if (is_program())
                return 0;
        } else {
            too_long = true;
        }
        search += length;
        if (*search == ':')
            ++search;
    }
    return fail(too_long ? ENAMETOOLONG : ENOENT);
}

} // extern "C"
