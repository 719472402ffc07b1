#pragma once

// A program's launch block: its arguments, its environment and what each of its start-up
// handles is for, written by the parent (spawn, Userland/LibC/Spawn.cpp) into a memory
// object that it passes as the child's first start-up handle. The child's start
// (PosixMain.cpp) reads it back into argc, argv and environ, and into the table of handle
// roles that stdin, stdout and stderr, the RAM disk and the rest are found by
// (docs/userland.md#launching-programs).
//
// The block comes from another process: decode() trusts nothing in it. It checks every
// count against the block's size and every string for its terminator, and never reads
// outside the bytes it is given. Pure, so that host tests and a fuzz target exercise it.
//
// Layout (little-endian, no padding):
//   LaunchHeader
//   LaunchHandle[handle_count]       start-up handles 1 to handle_count, in order
//   argument strings, each NUL-terminated, then environment strings, each NUL-terminated

#include <stddef.h>
#include <stdint.h>

namespace LibC {

inline constexpr uint64_t launch_block_magic = 0x4C4E5541'4E454152ull; // "RAENAUNL"
inline constexpr uint32_t launch_block_version = 1;
inline constexpr uint32_t launch_maximum_strings = 4096;
inline constexpr uint64_t launch_maximum_bytes = 256 * 1024;

// What a start-up handle is for. Values are a convention between parent and child: never
// renumbered, only appended to.
enum class HandleRole : uint32_t {
    None = 0,
    StandardInput = 1, // a stream channel (docs/userland.md#streams)
    StandardOutput = 2,
    StandardError = 3,
    Ramdisk = 4, // the initial RAM disk's memory object (Read, Map)
    SystemControl = 5, // power off, reboot, the kernel log, memory totals
    ServiceControl = 6, // a channel to init's service control (Userland/Init)
    SerialConsole = 7, // the kernel's serial console (the console service's)
    ConsoleSession = 8, // the console's end of a terminal session (the console service's)
    Framebuffer = 9, // the boot framebuffer's memory object; its layout in RAEEN_FRAMEBUFFER
    KeyboardPorts = 10, // the PS/2 controller's I/O ports, 0x60-0x64
    KeyboardInterrupt = 11, // ISA IRQ 1
    KeyboardOutput = 12, // the keyboard driver's end of the keyboard channel
    KeyboardInput = 13, // the console's end of it
    PciConfiguration = 14, // an MmioRange over the PCI configuration window; its layout in RAEEN_PCI_ECAM
    DeviceManagerServer = 15, // the device manager's end of its channel
    DeviceManager = 16, // a client's end of the device manager's channel (shared: calls only)
    RtcPorts = 17, // the CMOS RTC's ports, 0x70-0x71
    RtcServer = 18, // the RTC service's end of its channel
    RtcClient = 19, // a client's end of the RTC service's channel (shared: calls only)
    PciPorts = 20, // the legacy PCI configuration ports, 0xCF8-0xCFF (a machine without an MCFG)
    DeviceMemory = 21, // the device manager's: the MMIO root, to narrow to devices' windows
    DeviceInterrupts = 22, // the device manager's: the interrupt lines' root, for MSI vectors
    DeviceWindow0 = 23, // a driver's: an MmioRange over its function's window 0 (page-rounded)
    DeviceWindow1 = 24,
    DeviceWindow2 = 25,
    DeviceWindow3 = 26,
    DeviceWindow4 = 27,
    DeviceWindow5 = 28,
    DeviceInterrupt = 29, // a driver's: its function's MSI or MSI-X interrupt (vector 0)
    DeviceConfiguration = 30, // a driver's: its function's 256 configuration bytes, read-only
    BlockServer = 31, // a block driver's end of its channel (Userland/Services/Block)
    MouseInterrupt = 32, // ISA IRQ 12, the PS/2 mouse's
    MouseOutput = 33, // the PS/2 driver's end of the mouse channel (Userland/Services/Input)
    MouseInput = 34, // a reader's end of it (shared: the channel drops what nobody reads)
    DriverHealth = 35, // a driver's end of the device manager's health checks
    DevicePci = 36, // a driver's: its function as a DMA master (a PciDevice), for DMA memory
    Namespace = 37, // a client's end of a VFS namespace channel (Userland/Services/FileSystem)
    NamespaceServer = 38, // the VFS's end of the first namespace's channel
    FileSystemServer = 39, // a file system service's end of its node channel from the VFS
    BlockDevice = 40, // a file system service's channel to its disk's driver
};

// LaunchHandle flags.
inline constexpr uint32_t launch_handle_terminal = 1u << 0; // a stream that is a terminal
// A standard input, output or error that is an open file's channel (the file protocol), not
// a stream.
inline constexpr uint32_t launch_handle_file = 1u << 1;

struct LaunchHeader {
    uint64_t magic;
    uint32_t version;
    uint32_t argument_count;
    uint32_t environment_count;
    uint32_t handle_count;
    uint64_t string_bytes;
};
static_assert(sizeof(LaunchHeader) == 32);

struct LaunchHandle {
    HandleRole role;
    uint32_t flags;
};
static_assert(sizeof(LaunchHandle) == 8);

// The block's size for these strings and handles, or 0 when it would pass a limit.
// `arguments` and `environment` are null-terminated arrays (either may be null: none).
size_t launch_block_size(const char* const* arguments, const char* const* environment, uint32_t handle_count);

// Writes the block into `buffer` (at least launch_block_size() bytes). Returns the size.
size_t encode_launch_block(const char* const* arguments, const char* const* environment,
    const LaunchHandle* handles, uint32_t handle_count, uint8_t* buffer);

// A decoded block. The string pointers point into the decoded bytes, which must outlive it.
struct DecodedLaunchBlock {
    uint32_t argument_count;
    uint32_t environment_count;
    uint32_t handle_count;
    const LaunchHandle* handles; // into the bytes
    const char* strings; // the first argument string
};

// Checks a block and describes it; false when anything in it is out of bounds, unterminated
// or of another version.
bool decode_launch_block(const uint8_t* bytes, size_t size, DecodedLaunchBlock& decoded);

// Fills `pointers` (argument_count + environment_count entries) with the strings of a
// decoded block, arguments first.
void launch_block_strings(const DecodedLaunchBlock& decoded, const char** pointers);

} // namespace LibC
