#pragma once

// What the kernel learns from its bootloader, in a typed form that does not depend on
// the boot protocol. A protocol parser (Kernel/Boot/Multiboot2.h) fills it from bytes it
// does not trust; everything in here has already been validated and copied, so a
// BootInfo stays usable after the bootloader's memory is reclaimed.

#include <Core/Error.h>
#include <Core/Format.h>
#include <Core/Optional.h>
#include <Core/Span.h>
#include <Core/StaticVector.h>
#include <Core/StringView.h>
#include <Core/Types.h>

namespace Kernel::Boot {

enum class MemoryRegionType : Core::u8 {
    Usable,
    Reserved,
    AcpiReclaimable,
    AcpiNvs,
    Defective,
};

constexpr Core::StringView memory_region_type_name(MemoryRegionType type)
{
    switch (type) {
    case MemoryRegionType::Usable:
        return "usable";
    case MemoryRegionType::Reserved:
        return "reserved";
    case MemoryRegionType::AcpiReclaimable:
        return "ACPI reclaimable";
    case MemoryRegionType::AcpiNvs:
        return "ACPI NVS";
    case MemoryRegionType::Defective:
        return "defective";
    }
    // Only reachable through a cast from an out-of-range number; naming it beats a panic
    // in the middle of printing a memory map.
    return "unknown";
}

struct MemoryRegion {
    Core::u64 base { 0 };
    // Never zero, and base + length never overflows: the parser drops such regions.
    Core::u64 length { 0 };
    MemoryRegionType type { MemoryRegionType::Reserved };

    // One past the last byte.
    [[nodiscard]] constexpr Core::u64 end() const { return base + length; }
};

enum class FramebufferType : Core::u8 {
    Indexed,
    Rgb,
    EgaText,
};

constexpr Core::StringView framebuffer_type_name(FramebufferType type)
{
    switch (type) {
    case FramebufferType::Indexed:
        return "indexed";
    case FramebufferType::Rgb:
        return "RGB";
    case FramebufferType::EgaText:
        return "EGA text";
    }
    return "unknown";
}

// A linear framebuffer the bootloader set up. For EgaText, width and height count
// characters, not pixels. The colour fields are meaningful only for Rgb and are zero
// otherwise; each field lies inside the pixel (position + size <= bits_per_pixel).
struct FramebufferInfo {
    Core::u64 physical_address { 0 };
    // Bytes from the start of one row to the start of the next; at least one row's worth.
    Core::u32 pitch { 0 };
    Core::u32 width { 0 };
    Core::u32 height { 0 };
    Core::u8 bits_per_pixel { 0 };
    FramebufferType type { FramebufferType::Rgb };
    Core::u8 red_position { 0 };
    Core::u8 red_size { 0 };
    Core::u8 green_position { 0 };
    Core::u8 green_size { 0 };
    Core::u8 blue_position { 0 };
    Core::u8 blue_size { 0 };

    // pitch * height; computed in 64 bits so it cannot overflow, and the parser checks
    // that physical_address + size_in_bytes() does not overflow either.
    [[nodiscard]] constexpr Core::u64 size_in_bytes() const
    {
        return static_cast<Core::u64>(pitch) * static_cast<Core::u64>(height);
    }
};

struct BootModule {
    Core::u64 physical_start { 0 };
    // As the bootloader reports it: one past the last byte (GRUB's convention). Never
    // below physical_start.
    Core::u64 physical_end { 0 };
    // The module's string (usually its path and arguments); truncated if longer.
    Core::FixedStringBuilder<64> name;

    [[nodiscard]] constexpr Core::u64 size() const { return physical_end - physical_start; }
};

// A raw copy of the ACPI Root System Description Pointer: the 20-byte version 1 layout or
// the 36-byte version 2 layout. Neither the signature nor the checksums are checked here;
// that is the ACPI code's job.
struct AcpiRsdp {
    Core::u8 bytes[36] {};
    // 20 or 36.
    Core::u8 length { 0 };

    [[nodiscard]] Core::ReadonlyBytes data() const { return { bytes, length }; }
    [[nodiscard]] constexpr bool is_version_2() const { return length == 36; }
};

enum class Firmware : Core::u8 {
    Bios,
    Uefi,
};

constexpr Core::StringView firmware_name(Firmware firmware)
{
    switch (firmware) {
    case Firmware::Bios:
        return "BIOS";
    case Firmware::Uefi:
        return "UEFI";
    }
    return "unknown";
}

// A part of the boot information the parser did not use, kept so that boot can log why.
struct SkippedTag {
    Core::u32 type { 0 };
    Core::u32 size { 0 };
    // Byte offset of the tag from the start of the boot information.
    Core::u32 offset { 0 };
    // Always a string literal, so it outlives the boot information.
    Core::StringView reason;
};

struct BootInfo {
    // In the bootloader's order; not sorted, and regions may overlap.
    Core::StaticVector<MemoryRegion, 128> memory_map;
    Core::Optional<FramebufferInfo> framebuffer;
    Core::StaticVector<BootModule, 16> modules;
    Core::Optional<AcpiRsdp> acpi_rsdp;
    Core::FixedStringBuilder<256> command_line;
    Core::FixedStringBuilder<64> bootloader_name;
    Firmware firmware { Firmware::Bios };
    // The first skipped_tags.capacity() skipped tags; skipped_tag_count counts them all.
    Core::StaticVector<SkippedTag, 16> skipped_tags;
    Core::u32 skipped_tag_count { 0 };
    // The total_size the boot information declared, in bytes.
    Core::u64 information_size { 0 };
    // Memory map entries left out: empty, overflowing, or beyond memory_map's capacity.
    Core::u32 dropped_memory_regions { 0 };

    // Sum of the usable regions' lengths. Overlapping regions are counted twice; the sum
    // saturates instead of wrapping.
    [[nodiscard]] Core::u64 usable_memory_bytes() const
    {
        Core::u64 total = 0;
        for (const MemoryRegion& region : memory_map) {
            if (region.type != MemoryRegionType::Usable)
                continue;
            if (__builtin_add_overflow(total, region.length, &total))
                return ~Core::u64 { 0 };
        }
        return total;
    }

    // One past the last usable byte, or 0 when nothing is usable. Sizes the physical
    // page allocator's bookkeeping.
    [[nodiscard]] Core::u64 highest_usable_address() const
    {
        Core::u64 highest = 0;
        for (const MemoryRegion& region : memory_map) {
            if (region.type == MemoryRegionType::Usable && region.end() > highest)
                highest = region.end();
        }
        return highest;
    }
};

// The boot information the kernel booted with (kernel only; Kernel/Boot/BootInfo.cpp).
// load_boot_info() reads and parses the multiboot2 information once during early boot;
// its errors mean the loader handed over nothing usable.
[[nodiscard]] Core::Result<void> load_boot_info(Core::u32 multiboot_magic, Core::u64 information_physical);
[[nodiscard]] const BootInfo& boot_info();
// Logs what the loader provided, including every tag the parser skipped (rate-limited).
void log_boot_info();

} // namespace Kernel::Boot
