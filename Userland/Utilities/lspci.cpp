// lspci: the PCI functions the device manager found, one a line, as "lspci -nn" prints them:
// bus:device.function, class name [class], vendor:device, revision.

#include <Core/Ipc/Schema.h>
#include <Userland/LibC/Startup.h>
#include <Userland/Runtime/System.h>
#include <Userland/Services/DeviceManager/PciFunction.h>
#include <Userland/Services/DeviceManager/Protocol.h>
#include <stdio.h>
#include <string.h>

int main()
{
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
    auto received = Core::Ipc::decode<DeviceManager::FunctionList>(
        Core::ReadonlyBytes(reply, call.reply.byte_count), {});
    if (received.is_error()
        || received.value().message.records.bytes().size() % sizeof(DeviceManager::FunctionRecord)) {
        fprintf(stderr, "lspci: the device manager's answer is malformed\n");
        return 1;
    }
    Core::ReadonlyBytes records = received.value().message.records.bytes();
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
    }
    return 0;
}
