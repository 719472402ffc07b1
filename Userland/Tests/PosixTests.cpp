// A POSIX program the shell runs in e2e.shell-language as `/tests/posix a "b c"`: what a
// ported program relies on, from its start (argv, environ, the standard streams) to
// starting others (system, raeen_spawn with a pipe) and reading the RAM disk's directories;
// and that the device manager answers whatever a program sends it.
// Prints "posix-tests: passed", or the number of the first check that failed.

#include <Core/Ipc/Schema.h>
#include <Userland/LibC/Startup.h>
#include <Userland/Runtime/System.h>
#include <Userland/Services/DeviceManager/Protocol.h>
#include <dirent.h>
#include <errno.h>
#include <raeen/spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

int s_check;

// A request of a protocol nobody serves, for the device manager to answer anyway.
struct UnknownRequest {
    static constexpr Core::u32 protocol_id = 0x7E570001;
    static constexpr Core::u16 message_tag = 9;
    static constexpr Core::u16 version = 1;
    static constexpr Core::Ipc::MessageKind kind = Core::Ipc::MessageKind::Request;
    using Fields = Core::Ipc::FieldList<>;
};

bool expect(bool condition)
{
    ++s_check;
    return condition;
}

int failed()
{
    printf("posix-tests: check %d failed\n", s_check);
    return 1;
}

} // namespace

int main(int argument_count, char** arguments)
{
    if (!expect(argument_count == 3 && strcmp(arguments[1], "a") == 0 && strcmp(arguments[2], "b c") == 0
            && arguments[3] == nullptr))
        return failed();
    const char* path = getenv("PATH");
    if (!expect(path && strcmp(path, "/bin") == 0))
        return failed();
    if (!expect(isatty(0) == 1 && isatty(1) == 1))
        return failed();
    // system: the shell's status comes back as a wait status.
    int status = system("exit 3");
    if (!expect(system(nullptr) != 0 && WIFEXITED(status) && WEXITSTATUS(status) == 3))
        return failed();
    // A child writing into a pipe this program reads.
    int ends[2];
    if (!expect(pipe(ends) == 0))
        return failed();
    char* echo_arguments[] = { const_cast<char*>("echo"), const_cast<char*>("from a child"), nullptr };
    raeen_spawn_options options { -1, ends[1], 2 };
    int64_t child = raeen_spawn("/bin/echo", echo_arguments, nullptr, &options);
    close(ends[1]);
    char received[32] = {};
    ssize_t length = child > 0 ? read(ends[0], received, sizeof(received) - 1) : -1;
    int64_t child_status = -1;
    if (!expect(length == 13 && strcmp(received, "from a child\n") == 0
            && raeen_wait(static_cast<uint32_t>(child), &child_status, 1) == 0 && child_status == 0))
        return failed();
    // The end of the pipe once the child is gone.
    if (!expect(read(ends[0], received, sizeof(received)) == 0 && close(ends[0]) == 0))
        return failed();
    // Directories of the RAM disk.
    DIR* directory = opendir("/bin");
    bool found_shell = false;
    while (directory) {
        dirent* entry = readdir(directory);
        if (!entry)
            break;
        found_shell = found_shell || (strcmp(entry->d_name, "sh") == 0 && entry->d_type == DT_REG);
    }
    if (!expect(directory && closedir(directory) == 0 && found_shell))
        return failed();
    // The device manager survives what a program may send it: a message with a handle it
    // has no use for, and a call it does not understand, which it still answers.
    const LibC::StartupHandle* manager = LibC::startup_handle(LibC::HandleRole::DeviceManager);
    int64_t event = System::event_create();
    uint32_t event_handle = static_cast<uint32_t>(event);
    if (!expect(
            manager && event > 0 && System::channel_write(manager->handle, "junk", 4, &event_handle, 1) == 0))
        return failed();
    static uint8_t request[64];
    static uint8_t reply[ABI::channel_maximum_message_bytes];
    // A well-formed header of another protocol: answered (with nothing), not left waiting.
    auto unknown = Core::Ipc::encode(UnknownRequest {}, 1, Core::Bytes(request, sizeof(request)), {});
    uint64_t deadline = System::clock_monotonic() + 10'000'000'000ull;
    ABI::ChannelCallArguments odd_call = System::call_arguments(
        request, unknown.is_error() ? 0 : unknown.value().byte_count, reply, sizeof(reply), deadline);
    if (!expect(!unknown.is_error() && System::channel_call(manager->handle, &odd_call) == 0))
        return failed();
    auto list_request = Core::Ipc::encode(
        DeviceManager::ListFunctionsRequest {}, 1, Core::Bytes(request, sizeof(request)), {});
    ABI::ChannelCallArguments list_call = System::call_arguments(request,
        list_request.is_error() ? 0 : list_request.value().byte_count, reply, sizeof(reply), deadline);
    if (!expect(!list_request.is_error() && System::channel_call(manager->handle, &list_call) == 0))
        return failed();
    // In place: the list is larger than is comfortable on the stack.
    static Core::Ipc::Received<DeviceManager::FunctionList> list;
    if (!expect(!Core::Ipc::decode_into(Core::ReadonlyBytes(reply, list_call.reply.byte_count), {}, list)
                     .is_error()
            && list.message.records.bytes().size() >= sizeof(DeviceManager::FunctionRecord)))
        return failed();
    // A program found on PATH as the shell finds it; a name with a '/' is a path as it is.
    char found[64];
    if (!expect(raeen_find_program("ls", found, sizeof(found)) == 0 && strcmp(found, "/bin/ls") == 0))
        return failed();
    if (!expect(raeen_find_program("no-such-program", found, sizeof(found)) == -1 && errno == ENOENT))
        return failed();
    if (!expect(raeen_find_program("/tests/posix", found, sizeof(found)) == 0
            && strcmp(found, "/tests/posix") == 0))
        return failed();
    printf("posix-tests: passed\n");
    return 0;
}
