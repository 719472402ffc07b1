// lsblk: the block devices the device manager's drivers serve, one a line, with the
// columns of Linux's lsblk that apply: name, size, read-only, type, and the driver. A device
// whose driver is being restarted says so.

#include <Userland/LibC/Startup.h>
#include <Userland/Runtime/System.h>
#include <Userland/Services/Block/Client.h>
#include <stdio.h>

namespace {

// A size as lsblk prints it: the largest unit that leaves a whole or one-decimal number.
void format_size(uint64_t bytes, char (&text)[16])
{
    static const char units[] = { 'B', 'K', 'M', 'G', 'T', 'P' };
    int unit = 0;
    uint64_t tenths = bytes * 10;
    while (unit < 5 && tenths >= 10240) {
        tenths /= 1024;
        ++unit;
    }
    if (tenths % 10 == 0)
        snprintf(text, sizeof(text), "%llu%c", static_cast<unsigned long long>(tenths / 10), units[unit]);
    else
        snprintf(text, sizeof(text), "%llu.%llu%c", static_cast<unsigned long long>(tenths / 10),
            static_cast<unsigned long long>(tenths % 10), units[unit]);
}

} // namespace

int main(int argc, char**)
{
    if (argc > 1) {
        fprintf(stderr, "usage: lsblk\n");
        return 2;
    }
    const LibC::StartupHandle* manager = LibC::startup_handle(LibC::HandleRole::DeviceManager);
    if (!manager) {
        fprintf(stderr, "lsblk: this program was not given the device manager's channel\n");
        return 1;
    }
    DeviceManager::BlockDeviceRecord records[DeviceManager::maximum_block_devices];
    int count = Block::list_devices(manager->handle, records, DeviceManager::maximum_block_devices);
    if (count < 0) {
        fprintf(stderr, "lsblk: the device manager does not answer\n");
        return 1;
    }
    printf("NAME      SIZE RO TYPE DRIVER\n");
    for (int index = 0; index < count; ++index) {
        // A driver that found no disk (an AHCI controller with only a CD) names no device.
        if (records[index].state == DeviceManager::Stopped)
            continue;
        char name[sizeof(records[index].name) + 1] = {};
        for (size_t character = 0; character < sizeof(records[index].name); ++character)
            name[character] = records[index].name[character];
        uint32_t channel
            = records[index].state == DeviceManager::Running ? Block::open_device(manager->handle, name) : 0;
        Block::GeometryReply geometry;
        if (!channel || !Block::geometry(channel, geometry)) {
            printf("%-8s     - -  disk (driver restarting)\n", name);
        } else {
            char size[16];
            format_size(geometry.block_count * geometry.block_size, size);
            char driver[17] = {};
            auto view = geometry.driver.view();
            for (size_t character = 0; character < view.length() && character < 16; ++character)
                driver[character] = view[character];
            printf("%-8s %5s %d  disk %s\n", name, size, geometry.read_only ? 1 : 0, driver);
        }
        if (channel)
            (void)System::handle_close(channel);
    }
    return 0;
}
