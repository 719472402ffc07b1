#include <Kernel/Arch/x86_64/AddressSpaceLayout.h>
#include <Kernel/Boot/BootInfo.h>
#include <Kernel/Boot/Multiboot2.h>
#include <Kernel/Log/KernelLog.h>

namespace Kernel::Boot {

namespace {

BootInfo s_boot_info;

} // namespace

Core::Result<void> load_boot_info(Core::u32 multiboot_magic, Core::u64 information_physical)
{
    if (multiboot_magic != multiboot2_bootloader_magic)
        return Core::ErrorCode::NotSupported;
    // The information's size comes from its own first word, so that word is mapped and
    // read first, then the whole structure, both through the boot direct map.
    constexpr Core::usize header_size = 8;
    auto* header = static_cast<const Core::u8*>(Arch::physical_to_virtual(information_physical, header_size));
    if (!header)
        return Core::ErrorCode::OutOfRange;
    Core::u32 total_size = TRY(multiboot2_information_total_size(Core::ReadonlyBytes(header, header_size)));
    auto* information
        = static_cast<const Core::u8*>(Arch::physical_to_virtual(information_physical, total_size));
    if (!information)
        return Core::ErrorCode::OutOfRange;
    s_boot_info = TRY(parse_multiboot2_information(Core::ReadonlyBytes(information, total_size)));
    return {};
}

const BootInfo& boot_info()
{
    return s_boot_info;
}

void log_boot_info()
{
    const BootInfo& info = s_boot_info;
    Log::info(
        "boot: loader '{}', firmware {}", info.bootloader_name.string_view(), firmware_name(info.firmware));
    Log::info("boot: command line '{}'", info.command_line.string_view());
    Log::info("boot: memory map has {} regions, {} MiB usable", info.memory_map.size(),
        info.usable_memory_bytes() / (1024 * 1024));
    for (const MemoryRegion& region : info.memory_map) {
        Log::debug("boot:   {:#018x}-{:#018x} {}", region.base, region.end() - 1,
            memory_region_type_name(region.type));
    }
    if (info.dropped_memory_regions > 0)
        Log::warning("boot: {} memory map entries were invalid or did not fit", info.dropped_memory_regions);
    for (const BootModule& module : info.modules) {
        Log::info("boot: module '{}' at {:#x}-{:#x}", module.name.string_view(), module.physical_start,
            module.physical_end);
    }
    if (info.acpi_rsdp.has_value())
        Log::info("boot: ACPI RSDP revision {} provided", info.acpi_rsdp->bytes[15]);
    else
        Log::warning("boot: no ACPI RSDP from the boot loader");
    // At most 16 skipped tags are recorded (the rest are only counted), so every recorded
    // one can be listed without flooding the log.
    for (const SkippedTag& skipped : info.skipped_tags) {
        Log::warning("boot: skipped multiboot2 tag type {} size {} at offset {}: {}", skipped.type,
            skipped.size, skipped.offset, skipped.reason);
    }
    if (info.skipped_tag_count > info.skipped_tags.size())
        Log::warning(
            "boot: {} more skipped tags not listed", info.skipped_tag_count - info.skipped_tags.size());
    if (info.command_line.was_truncated())
        Log::warning("boot: command line longer than {} bytes was cut short",
            info.command_line.string_view().length());
}

} // namespace Kernel::Boot
