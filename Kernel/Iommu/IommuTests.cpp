// The IOMMU against a device that really does DMA: QEMU's "edu" teaching device, whose DMA
// engine copies between its own 4 KiB buffer and RAM. The kernel test boot runs with
// `-device intel-iommu -device edu` (Tests/CMakeLists.txt), so both must be there.

#include <Kernel/Iommu/Iommu.h>
#include <Kernel/Memory/MemoryManager.h>
#include <Kernel/Platform/Platform.h>
#include <Kernel/Test/KernelTest.h>
#include <Kernel/Time/Clock.h>

namespace {

using Core::u32;
using Core::u64;
using Core::u8;
using Kernel::Iommu::PciAddress;

constexpr u64 edu_dma_source = 0x80;
constexpr u64 edu_dma_destination = 0x88;
constexpr u64 edu_dma_count = 0x90;
constexpr u64 edu_dma_command = 0x98;
constexpr u64 edu_start = 1;
constexpr u64 edu_to_ram = 2;
// The device's own buffer, as its DMA engine addresses it.
constexpr u64 edu_buffer = 0x40000;

struct Edu {
    PciAddress function;
    volatile u8* configuration { nullptr };
    volatile u64* registers { nullptr };
};

// Finds the edu device (1234:11e8) on bus 0 of the first ECAM window and maps it.
bool find_edu(Edu& edu)
{
    auto segments = Kernel::Platform::pci_segments();
    if (segments.size() == 0)
        return false;
    for (u8 device = 0; device < 32; ++device) {
        u64 address = segments[0].base_address + (u64 { device } << 15);
        auto mapped = Kernel::Memory::map_device(address, 4096, Kernel::Arch::CacheMode::Uncached);
        if (mapped.is_error())
            return false;
        // Invariant: maps the function's 4 KiB configuration space, uncached.
        auto* configuration = static_cast<volatile u8*>(mapped.value());
        u32 identity = *reinterpret_cast<volatile u32*>(configuration);
        if (identity != 0x11E8'1234)
            continue;
        u64 bar = *reinterpret_cast<volatile u32*>(configuration + 0x10) & ~u64 { 0xF };
        auto registers = Kernel::Memory::map_device(bar, 4096, Kernel::Arch::CacheMode::Uncached);
        if (bar == 0 || registers.is_error())
            return false;
        edu.function = PciAddress { segments[0].segment_group, 0, device, 0 };
        edu.configuration = configuration;
        // Invariant: maps the device's register BAR (1 MiB; the DMA registers are in its
        // first page), uncached, 64-bit registers at 8-byte offsets.
        edu.registers = static_cast<volatile u64*>(registers.value());
        // Memory decoding and bus mastering on (command register bits 1 and 2).
        auto* command = reinterpret_cast<volatile Core::u16*>(configuration + 4);
        *command = static_cast<Core::u16>(*command | 0x6);
        return true;
    }
    return false;
}

// Runs one transfer of `count` bytes and waits for it (the device finishes after 100 ms of
// its clock); false when it never finishes.
bool edu_transfer(Edu& edu, u64 source, u64 destination, u64 count, bool to_ram)
{
    edu.registers[edu_dma_source / 8] = source;
    edu.registers[edu_dma_destination / 8] = destination;
    edu.registers[edu_dma_count / 8] = count;
    edu.registers[edu_dma_command / 8] = edu_start | (to_ram ? edu_to_ram : 0);
    u64 deadline = Kernel::Time::monotonic_nanoseconds() + 5'000'000'000ull;
    while (edu.registers[edu_dma_command / 8] & edu_start) {
        if (Kernel::Time::monotonic_nanoseconds() > deadline)
            return false;
        asm volatile("pause");
    }
    return true;
}

bool bytes_are(const u8* bytes, u64 count, u8 value)
{
    for (u64 index = 0; index < count; ++index) {
        if (bytes[index] != value)
            return false;
    }
    return true;
}

} // namespace

KERNEL_TEST(iommu, device_dma_reaches_only_its_domain)
{
    EXPECT(Kernel::Iommu::is_active());
    Edu edu;
    bool found = find_edu(edu);
    EXPECT(found);
    if (!found || !Kernel::Iommu::is_active())
        return;
    (void)Kernel::Iommu::report_faults();
    auto mapped_frame = Kernel::Memory::allocate_physical_page(Kernel::Memory::PageUse::Other);
    auto other_frame = Kernel::Memory::allocate_physical_page(Kernel::Memory::PageUse::Other);
    EXPECT(!mapped_frame.is_error() && !other_frame.is_error());
    if (mapped_frame.is_error() || other_frame.is_error())
        return;
    u64 mapped = mapped_frame.value();
    u64 other = other_frame.value();
    auto* mapped_bytes = static_cast<u8*>(Kernel::Memory::physical_to_virtual(mapped));
    auto* other_bytes = static_cast<u8*>(Kernel::Memory::physical_to_virtual(other));
    __builtin_memset(mapped_bytes, 0xA5, 256);
    __builtin_memset(mapped_bytes + 256, 0, 4096 - 256);
    __builtin_memset(other_bytes, 0, 4096);
    {
        auto domain = Kernel::Iommu::Domain::for_function(edu.function);
        EXPECT(!domain.is_error());
        if (domain.is_error())
            return;
        EXPECT(!domain.value()->map(mapped, 4096, true).is_error());
        EXPECT(domain.value()->translate(mapped + 8).has_value());
        EXPECT(!domain.value()->translate(other).has_value());

        // Mapped memory: read into the device, then written back elsewhere in the page.
        EXPECT(edu_transfer(edu, mapped, edu_buffer, 256, false));
        EXPECT(edu_transfer(edu, edu_buffer, mapped + 2048, 256, true));
        EXPECT(bytes_are(mapped_bytes + 2048, 256, 0xA5));
        EXPECT_EQ(Kernel::Iommu::report_faults(), 0u);

        // Memory outside the domain: the write is blocked, and the unit says by whom.
        EXPECT(edu_transfer(edu, edu_buffer, other, 256, true));
        EXPECT(bytes_are(other_bytes, 256, 0));
        Kernel::Iommu::Fault fault;
        EXPECT_EQ(Kernel::Iommu::report_faults(&fault), 1u);
        EXPECT(fault.function == edu.function);
        EXPECT_EQ(fault.address, other);
        EXPECT(fault.write);

        // Unmapped again: the unit must not use a cached translation.
        EXPECT(domain.value()->unmap(mapped, 4096));
        EXPECT(edu_transfer(edu, edu_buffer, mapped + 1024, 256, true));
        EXPECT(bytes_are(mapped_bytes + 1024, 256, 0));
        EXPECT_EQ(Kernel::Iommu::report_faults(&fault), 1u);
        EXPECT_EQ(fault.address, mapped);
    }
    // The domain is gone: the function is blocked everywhere.
    EXPECT(edu_transfer(edu, edu_buffer, mapped + 3072, 256, true));
    EXPECT(bytes_are(mapped_bytes + 3072, 256, 0));
    EXPECT(Kernel::Iommu::report_faults() >= 1u);
    auto* command = reinterpret_cast<volatile Core::u16*>(edu.configuration + 4);
    *command = static_cast<Core::u16>(*command & ~0x4);
    Kernel::Memory::free_physical_page(mapped);
    Kernel::Memory::free_physical_page(other);
}

KERNEL_TEST(iommu, domains_are_shared_per_function_and_refuse_bad_ranges)
{
    EXPECT(Kernel::Iommu::is_active());
    if (!Kernel::Iommu::is_active())
        return;
    // The LPC bridge and the SMBus controller: functions the DMAR names, which no driver uses.
    PciAddress function { 0, 0, 0x1F, 3 };
    auto first = Kernel::Iommu::Domain::for_function(function);
    auto second = Kernel::Iommu::Domain::for_function(function);
    EXPECT(!first.is_error() && !second.is_error());
    if (first.is_error() || second.is_error())
        return;
    EXPECT(first.value().get() == second.value().get());
    EXPECT(first.value()->id() != 0);
    auto other = Kernel::Iommu::Domain::for_function(PciAddress { 0, 0, 0x1F, 0 });
    EXPECT(!other.is_error() && other.value()->id() != first.value()->id());
    EXPECT(first.value()->map(0x1001, 4096, true).is_error());
    EXPECT(first.value()->map(1ull << 50, 4096, true).is_error()); // past 3- and 4-level tables
}
