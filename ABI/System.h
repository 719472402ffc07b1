#pragma once

// The system-control object's calls (ObjectType::SystemControl, docs/abi/syscalls.md):
// powering off and restarting, and reading what the kernel knows about the machine. Shared
// by the kernel and user space. Values and layouts are ABI: never renumbered or reordered.

#include <stdint.h>

namespace ABI {

// system_power's action.
enum class PowerAction : uint64_t {
    PowerOff = 1, // ACPI S5: QEMU exits
    Reboot = 2,
};

// system_memory_info's record: physical memory, in bytes.
struct MemoryInfo {
    uint64_t total_bytes; // RAM the kernel manages
    uint64_t free_bytes; // not handed out
    uint64_t allocated_bytes; // handed out, to the kernel or to programs
    uint64_t reserved_bytes; // never handed out: firmware, the kernel image, boot modules
};

// system_process_list's record of one process.
struct ProcessInfo {
    uint64_t id; // from 1, in creation order, never reused while the kernel runs
    uint64_t state; // ProcessState
    uint64_t threads; // its threads not yet ended
    char name[32]; // NUL-terminated
};
static_assert(sizeof(ProcessInfo) == 56, "ProcessInfo is part of the ABI");

enum class ProcessState : uint64_t {
    Created = 0, // no thread started yet
    Starting = 1, // its program is being loaded
    Running = 2,
    Exited = 3, // ended; the object lives while handles to it remain
};

// system_framebuffer's record: the boot framebuffer, direct-colour RGB.
struct FramebufferInfo {
    uint64_t physical_address; // page-aligned in practice; map it with memory_object_create_physical
    uint64_t size; // pitch × height
    uint32_t width; // pixels
    uint32_t height;
    uint32_t pitch; // bytes from one row to the next
    uint8_t bits_per_pixel; // 16, 24 or 32
    uint8_t red_position;
    uint8_t red_size;
    uint8_t green_position;
    uint8_t green_size;
    uint8_t blue_position;
    uint8_t blue_size;
    uint8_t reserved[5]; // 0
};
static_assert(sizeof(FramebufferInfo) == 40, "FramebufferInfo is part of the ABI");

// system_pci_segments's record: one PCI Express configuration window (ECAM), from the
// ACPI MCFG. Bus B, device D, function F of the segment is at
// base_address + (B << 20 | D << 15 | F << 12), for start_bus <= B <= end_bus.
struct PciSegment {
    uint64_t base_address;
    uint16_t segment_group;
    uint8_t start_bus;
    uint8_t end_bus;
    uint32_t reserved; // 0
};
static_assert(sizeof(PciSegment) == 16, "PciSegment is part of the ABI");

} // namespace ABI
