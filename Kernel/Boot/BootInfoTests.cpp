#include <Kernel/Boot/BootInfo.h>
#include <Kernel/Test/KernelTest.h>

extern "C" char __kernel_image_start[];
extern "C" char __kernel_image_end[];

// These check the boot information the real loader (GRUB under QEMU, 256 MiB) handed over,
// as parsed by the kernel at boot.

KERNEL_TEST(boot, loader_identified_itself)
{
    EXPECT(Kernel::Boot::boot_info().bootloader_name.string_view().starts_with("GRUB "));
}

KERNEL_TEST(boot, command_line_arrived_whole)
{
    EXPECT(Kernel::Boot::boot_info().command_line.string_view() == "test=all panic=qemu-exit log=info");
}

KERNEL_TEST(boot, memory_map_describes_the_machine)
{
    const auto& info = Kernel::Boot::boot_info();
    EXPECT(info.memory_map.size() >= 2);
    EXPECT_EQ(info.dropped_memory_regions, 0u);
    // QEMU was given 256 MiB; firmware keeps a little of it.
    EXPECT(info.usable_memory_bytes() > 200ull * 1024 * 1024);
    EXPECT(info.usable_memory_bytes() <= 256ull * 1024 * 1024);
}

KERNEL_TEST(boot, kernel_image_lies_in_usable_memory)
{
    // The loader put the kernel in RAM that the memory map calls usable: the image's
    // physical range must be inside one usable region.
    constexpr Core::u64 kernel_virtual_base = 0xFFFFFFFF80000000ull;
    Core::u64 start = reinterpret_cast<Core::u64>(__kernel_image_start) - kernel_virtual_base;
    Core::u64 end = reinterpret_cast<Core::u64>(__kernel_image_end) - kernel_virtual_base;
    bool contained = false;
    for (const auto& region : Kernel::Boot::boot_info().memory_map) {
        if (region.type == Kernel::Boot::MemoryRegionType::Usable && region.base <= start
            && end <= region.end())
            contained = true;
    }
    EXPECT(contained);
}

KERNEL_TEST(boot, acpi_rsdp_was_copied)
{
    const auto& info = Kernel::Boot::boot_info();
    EXPECT(info.acpi_rsdp.has_value());
    if (info.acpi_rsdp.has_value())
        EXPECT(Core::StringView(reinterpret_cast<const char*>(info.acpi_rsdp->bytes), 8) == "RSD PTR ");
    EXPECT_EQ(info.skipped_tag_count, 0u);
}
