// lspci: the PCI functions the device manager found, one a line, as "lspci -nn" prints them:
// bus:device.function, class name [class], vendor:device, revision. With -v, each function's
// base address register windows follow it, one a line, as "lspci -v" prints them.

#include <Core/Ipc/Schema.h>
#include <Userland/LibC/Startup.h>
#include <Userland/Runtime/System.h>
#include <Userland/Services/DeviceManager/PciFunction.h>
#include <Userland/Services/DeviceManager/Protocol.h>
#include <stdio.h>
#include <string.h>

namespace {

void print_size(uint64_t size)
{
    static const char* const units[] = { "", "K", "M", "G", "T" };
    int unit = 0;
    while (unit < 4 && size >= 1024 && size % 1024 == 0) {
        size /= 1024;
        ++unit;
    }
    printf("[size=%llu%s]", static_cast<unsigned long long>(size), units[unit]);
}

void print_windows(Core::ReadonlyBytes windows, size_t function_index)
{
    size_t count = windows.size() / sizeof(DeviceManager::WindowRecord);
    for (size_t index = 0; index < count; ++index) {
        DeviceManager::WindowRecord window;
        memcpy(&window, windows.data() + index * sizeof(window), sizeof(window));
        if (window.function_index != function_index)
            continue;
        if (window.flags & DeviceManager::IsPort) {
            printf("\tI/O ports at %llx ", static_cast<unsigned long long>(window.address));
        } else {
            printf("\tMemory at %llx (%s, %s) ", static_cast<unsigned long long>(window.address),
                window.flags & DeviceManager::Is64Bit ? "64-bit" : "32-bit",
                window.flags & DeviceManager::Prefetchable ? "prefetchable" : "non-prefetchable");
        }
        if (window.flags & DeviceManager::NotSized)
            printf("[in use, not sized]");
        else
            print_size(window.size);
        putchar('\n');
    }
}

} // namespace

int main(int argc, char** argv)
{
    bool verbose = false;
    for (int index = 1; index < argc; ++index) {
        if (strcmp(argv[index], "-v") == 0) {
            verbose = true;
        } else {
            fprintf(stderr, "usage: lspci [-v]\n");
            return 2;
        }
    }
    const LibC::StartupHandle* manager = LibC::startup_handle(LibC::HandleRole::DeviceManager);
    if (!manager) {
        fprintf(stderr, "lspci: this program was not given the device manager's channel\n");
        return 1;
    }
    static uint8_t request[64];
    static uint8_t reply[ABI::channel_maximum_message_bytes];
    // The kernel sets the transaction id of a call; any non-zero one encodes.
    auto encoded = Core::Ipc::encode(
        DeviceManager::ListFunctionsRequest {}, 1, Core::Bytes(request, sizeof(request)), {});
    if (encoded.is_error())
        return 1;
    ABI::ChannelCallArguments call
        = System::call_arguments(request, encoded.value().byte_count, reply, sizeof(reply));
    if (System::channel_call(manager->handle, &call) != 0) {
        fprintf(stderr, "lspci: the device manager does not answer\n");
        return 1;
    }
    // Static: the list is larger than is comfortable on the stack.
    static Core::Ipc::Received<DeviceManager::FunctionList> received;
    if (Core::Ipc::decode_into(Core::ReadonlyBytes(reply, call.reply.byte_count), {}, received).is_error()
        || received.message.records.bytes().size() % sizeof(DeviceManager::FunctionRecord)
        || received.message.windows.bytes().size() % sizeof(DeviceManager::WindowRecord)) {
        fprintf(stderr, "lspci: the device manager's answer is malformed\n");
        return 1;
    }
    Core::ReadonlyBytes records = received.message.records.bytes();
    size_t count = records.size() / sizeof(DeviceManager::FunctionRecord);
    for (size_t index = 0; index < count; ++index) {
        DeviceManager::FunctionRecord record;
        memcpy(&record, records.data() + index * sizeof(record), sizeof(record));
        if (record.segment != 0)
            printf("%04x:", record.segment);
        printf("%02x:%02x.%x %s [%02x%02x]: %04x:%04x", record.bus, record.device, record.function,
            DeviceManager::class_name(record.class_code, record.subclass), record.class_code, record.subclass,
            record.vendor_id, record.device_id);
        if (record.revision != 0)
            printf(" (rev %02x)", record.revision);
        putchar('\n');
        if (verbose)
            print_windows(received.message.windows.bytes(), index);
    }
    return 0;
}
