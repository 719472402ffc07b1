#pragma once

// The device manager's protocol (docs/devices.md#the-device-manager), in the typed IPC
// schema of Core/Ipc (docs/ipc-schemas.md). Clients (lspci) call over the channel init gives
// them (the DeviceManager role); the device manager serves the other end.

#include <Core/Ipc/Schema.h>
#include <Core/Types.h>

namespace DeviceManager {

namespace Ipc = Core::Ipc;
namespace Field = Core::Ipc::Field;

inline constexpr Core::u32 protocol_id = 0x00020001;
inline constexpr Core::u32 maximum_functions = 512;

// One PCI function as the device manager found it, packed (little-endian) into the list.
struct FunctionRecord {
    Core::u16 segment;
    Core::u8 bus;
    Core::u8 device;
    Core::u8 function;
    Core::u8 class_code;
    Core::u8 subclass;
    Core::u8 programming_interface;
    Core::u16 vendor_id;
    Core::u16 device_id;
    Core::u16 subsystem_vendor_id;
    Core::u16 subsystem_id;
    Core::u8 revision;
    Core::u8 interrupt_pin; // 0 none, 1-4 INTA-INTD
    Core::u8 capabilities; // FunctionCapability bits
    Core::u8 bar_count; // memory and port windows found
};
static_assert(sizeof(FunctionRecord) == 20);

// One base address register's window, packed into the list beside the functions.
struct WindowRecord {
    Core::u16 function_index; // into the list's functions
    Core::u8 register_index; // 0-5
    Core::u8 flags; // WindowFlag bits
    Core::u32 reserved; // 0
    Core::u64 address;
    Core::u64 size;
};
static_assert(sizeof(WindowRecord) == 24);

enum WindowFlag : Core::u8 {
    IsPort = 1u << 0,
    Is64Bit = 1u << 1,
    Prefetchable = 1u << 2,
    // A window of a device in use while the device manager scanned (the display, whose
    // framebuffer the console draws into): left alone, so its size is not known (0).
    NotSized = 1u << 3,
};

inline constexpr Core::u32 maximum_windows = 1024;

enum FunctionCapability : Core::u8 {
    HasMsi = 1u << 0,
    HasMsiX = 1u << 1,
    IsPciExpress = 1u << 2,
};

struct ListFunctionsRequest {
    static constexpr Core::u32 protocol_id = DeviceManager::protocol_id;
    static constexpr Core::u16 message_tag = 1;
    static constexpr Core::u16 version = 1;
    static constexpr Ipc::MessageKind kind = Ipc::MessageKind::Request;

    using Fields = Ipc::FieldList<>;
};

struct FunctionList {
    static constexpr Core::u32 protocol_id = DeviceManager::protocol_id;
    static constexpr Core::u16 message_tag = 2;
    static constexpr Core::u16 version = 2;
    static constexpr Ipc::MessageKind kind = Ipc::MessageKind::Reply;

    // FunctionRecords, one after another; then (since version 2) the WindowRecords of
    // their base address registers.
    Ipc::BoundedBytes<maximum_functions * sizeof(FunctionRecord)> records;
    Ipc::BoundedBytes<maximum_windows * sizeof(WindowRecord)> windows;

    using Fields = Ipc::FieldList<Field::BoundedBytes<&FunctionList::records>,
        Ipc::Since<2, Field::BoundedBytes<&FunctionList::windows>>>;
};

inline constexpr Core::u32 maximum_block_devices = 64;

// The exit status with which a driver says it found nothing to drive (an AHCI controller
// without a disk): it is left stopped. Any other end is a failure, and it is restarted.
inline constexpr int driver_found_nothing = 64;

// One block device: a function a block driver was matched to, and its driver's state.
struct BlockDeviceRecord {
    char name[12]; // "vda", NUL-padded
    Core::u16 function_index; // into ListFunctions' list
    Core::u8 state; // BlockDeviceState
    Core::u8 reserved; // 0
    Core::u32 starts; // how many times its driver was started
};
static_assert(sizeof(BlockDeviceRecord) == 20);

enum BlockDeviceState : Core::u8 {
    // The driver runs and serves the device's channel.
    Running = 1,
    // The driver ended; it is started again after a delay that grows with each failure.
    Restarting = 2,
    // The driver exited with status 0: it found nothing to drive (an AHCI controller
    // without a disk). It is not started again.
    Stopped = 3,
};

struct ListBlockDevicesRequest {
    static constexpr Core::u32 protocol_id = DeviceManager::protocol_id;
    static constexpr Core::u16 message_tag = 3;
    static constexpr Core::u16 version = 1;
    static constexpr Ipc::MessageKind kind = Ipc::MessageKind::Request;

    using Fields = Ipc::FieldList<>;
};

struct BlockDeviceList {
    static constexpr Core::u32 protocol_id = DeviceManager::protocol_id;
    static constexpr Core::u16 message_tag = 4;
    static constexpr Core::u16 version = 1;
    static constexpr Ipc::MessageKind kind = Ipc::MessageKind::Reply;

    // BlockDeviceRecords, one after another.
    Ipc::BoundedBytes<maximum_block_devices * sizeof(BlockDeviceRecord)> records;

    using Fields = Ipc::FieldList<Field::BoundedBytes<&BlockDeviceList::records>>;
};

// A channel to the named block device's driver, which speaks Userland/Services/Block's
// protocol. Answered with BlockDeviceChannel, or with BlockDeviceMissing when there is no
// such device or its driver is being restarted.
struct OpenBlockDeviceRequest {
    static constexpr Core::u32 protocol_id = DeviceManager::protocol_id;
    static constexpr Core::u16 message_tag = 5;
    static constexpr Core::u16 version = 1;
    static constexpr Ipc::MessageKind kind = Ipc::MessageKind::Request;

    Ipc::BoundedString<11> name;

    using Fields = Ipc::FieldList<Field::BoundedString<&OpenBlockDeviceRequest::name>>;
};

// The client end of the driver's channel, shared by every client: calls only. It closes
// when the driver ends; a client opens the device again after a restart.
struct BlockDeviceChannel {
    static constexpr Core::u32 protocol_id = DeviceManager::protocol_id;
    static constexpr Core::u16 message_tag = 6;
    static constexpr Core::u16 version = 1;
    static constexpr Ipc::MessageKind kind = Ipc::MessageKind::Reply;

    Ipc::Handle channel;

    using Fields = Ipc::FieldList<Field::Handle<&BlockDeviceChannel::channel>>;
};

struct BlockDeviceMissing {
    static constexpr Core::u32 protocol_id = DeviceManager::protocol_id;
    static constexpr Core::u16 message_tag = 7;
    static constexpr Core::u16 version = 1;
    static constexpr Ipc::MessageKind kind = Ipc::MessageKind::Reply;

    using Fields = Ipc::FieldList<>;
};

// The device manager's health check of a driver (Watchdog.h), on a channel of its own: the
// driver answers each HealthCheck with a HealthAnswer of the same sequence at once.
struct HealthCheck {
    static constexpr Core::u32 protocol_id = DeviceManager::protocol_id;
    static constexpr Core::u16 message_tag = 8;
    static constexpr Core::u16 version = 1;
    static constexpr Ipc::MessageKind kind = Ipc::MessageKind::Event;

    Core::u64 sequence { 0 };

    using Fields = Ipc::FieldList<Field::Integer<&HealthCheck::sequence>>;
};

struct HealthAnswer {
    static constexpr Core::u32 protocol_id = DeviceManager::protocol_id;
    static constexpr Core::u16 message_tag = 9;
    static constexpr Core::u16 version = 1;
    static constexpr Ipc::MessageKind kind = Ipc::MessageKind::Event;

    Core::u64 sequence { 0 };

    using Fields = Ipc::FieldList<Field::Integer<&HealthAnswer::sequence>>;
};

} // namespace DeviceManager
