// Device resource objects in the kernel (ranges, interrupt binding and its handler), and
// the user-space test program of every timer and device call (Userland/Tests/DeviceTests.cpp).

#include <ABI/Devices.h>
#include <ABI/Signals.h>
#include <Kernel/Arch/x86_64/IoApic.h>
#include <Kernel/Arch/x86_64/LocalApic.h>
#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Boot/BootInfo.h>
#include <Kernel/Devices/Interrupt.h>
#include <Kernel/Devices/InterruptRange.h>
#include <Kernel/Devices/IoPortRange.h>
#include <Kernel/Devices/MmioRange.h>
#include <Kernel/Memory/MemoryManager.h>
#include <Kernel/Platform/Platform.h>
#include <Kernel/Tasks/ProgramTestSupport.h>
#include <Kernel/Test/KernelTest.h>
#include <Kernel/Time/Clock.h>

namespace {

using Core::ErrorCode;

template<typename T> bool fails_with(const Core::Result<T>& result, ErrorCode code)
{
    return result.is_error() && result.error().code() == code;
}

constexpr Core::u8 rtc_isa_irq = 8;

Kernel::Devices::InterruptLine rtc_line()
{
    auto isa = Kernel::Platform::isa_interrupt_line(rtc_isa_irq);
    return { isa.gsi, isa.level_triggered, isa.active_low };
}

} // namespace

KERNEL_TEST(devices, resource_ranges_refuse_what_they_cannot_cover)
{
    using namespace Kernel::Devices;
    EXPECT(!IoPortRange::create(0, ABI::io_port_count).is_error());
    EXPECT(fails_with(IoPortRange::create(0xFFFF, 2), ErrorCode::InvalidArgument));
    EXPECT(fails_with(IoPortRange::create(~Core::u64(0), 2), ErrorCode::InvalidArgument));
    EXPECT(fails_with(InterruptRange::create(max_interrupt_lines - 1, 2), ErrorCode::InvalidArgument));
    // RAM is never an MMIO range: the first page, and the last frame the database covers.
    Core::u64 ram_end = Kernel::Memory::frame_database_end();
    EXPECT(ram_end > 0);
    EXPECT(fails_with(MmioRange::create(0, MmioRange::page_size), ErrorCode::InvalidArgument));
    EXPECT(fails_with(
        MmioRange::create(ram_end - MmioRange::page_size, MmioRange::page_size), ErrorCode::InvalidArgument));
    EXPECT(fails_with(MmioRange::create(ram_end + 1, MmioRange::page_size), ErrorCode::InvalidArgument));
    EXPECT(fails_with(MmioRange::create(Kernel::Memory::physical_address_space_end(), MmioRange::page_size),
        ErrorCode::InvalidArgument));
    auto above_ram = MmioRange::create_above_ram();
    EXPECT(!above_ram.is_error());
    if (above_ram.is_error())
        return;
    EXPECT_EQ(above_ram.value()->range().base, ram_end);
    EXPECT_EQ(above_ram.value()->range().end(), Kernel::Memory::physical_address_space_end());
    auto page = above_ram.value()->narrow(ram_end, MmioRange::page_size);
    EXPECT(!page.is_error() && page.value()->range().count == MmioRange::page_size);
    EXPECT(fails_with(above_ram.value()->narrow(ram_end - MmioRange::page_size, MmioRange::page_size),
        ErrorCode::OutOfRange));
    auto all_lines = InterruptRange::create_for_all_lines();
    EXPECT(!all_lines.is_error() && all_lines.value()->range().count == Kernel::Arch::io_apic_gsi_end());
}

KERNEL_TEST(devices, kernel_lines_and_bound_lines_are_busy)
{
    using namespace Kernel::Devices;
    auto timer_line = Kernel::Platform::isa_interrupt_line(0);
    EXPECT(Interrupt::is_kernel_line(timer_line.gsi));
    EXPECT(fails_with(Interrupt::create({ timer_line.gsi, false, false }), ErrorCode::Busy));
    EXPECT(fails_with(
        Interrupt::create({ Kernel::Platform::isa_interrupt_line(4).gsi, false, false }), ErrorCode::Busy));
    EXPECT(!Interrupt::is_kernel_line(rtc_line().gsi));
    EXPECT(fails_with(Interrupt::create({ max_interrupt_lines, false, false }), ErrorCode::InvalidArgument));
    {
        auto first = Interrupt::create(rtc_line());
        EXPECT(!first.is_error());
        EXPECT(fails_with(Interrupt::create(rtc_line()), ErrorCode::Busy));
    }
    // The first binding is gone with its last reference: the line is free again.
    auto again = Interrupt::create(rtc_line());
    EXPECT(!again.is_error());
}

// The handler, reached through the interrupt's own vector (a self-IPI stands in for the
// device): it counts, raises Triggered and masks the line; acknowledging clears it.
KERNEL_TEST(devices, an_interrupt_raises_triggered_until_acknowledged)
{
    constexpr Core::u32 triggered = ABI::signal_bits(ABI::Signal::Triggered);
    auto interrupt = Kernel::Devices::Interrupt::create(rtc_line());
    EXPECT(!interrupt.is_error());
    if (interrupt.is_error())
        return;
    Kernel::Objects::Signals* signals = interrupt.value()->signals();
    EXPECT_EQ(signals->current(), 0u);
    Core::u32 self_apic_id = Kernel::Arch::processor(Kernel::Arch::current_processor_index()).apic_id;
    for (Core::u64 round = 1; round <= 3; ++round) {
        Kernel::Arch::send_ipi(self_apic_id, interrupt.value()->vector());
        auto observed = signals->wait(triggered, Kernel::Time::monotonic_nanoseconds() + 2'000'000'000);
        EXPECT(!observed.is_error() && observed.value() == triggered);
        EXPECT_EQ(interrupt.value()->trigger_count(), round);
        interrupt.value()->acknowledge();
        EXPECT_EQ(signals->current(), 0u);
    }
}

// A message-signaled interrupt: a vector alone, whose message names the boot CPU and the
// vector; acknowledging leaves nothing masked (the next assertion raises it again).
KERNEL_TEST(devices, a_message_signaled_interrupt_has_its_own_vector)
{
    constexpr Core::u32 triggered = ABI::signal_bits(ABI::Signal::Triggered);
    Core::RefPtr<Kernel::Devices::Interrupt> first;
    {
        auto created = Kernel::Devices::Interrupt::create_message_signaled();
        EXPECT(!created.is_error());
        if (created.is_error())
            return;
        first = created.value();
    }
    auto second = Kernel::Devices::Interrupt::create_message_signaled();
    EXPECT(!second.is_error());
    if (second.is_error())
        return;
    EXPECT(first->is_message_signaled());
    EXPECT(first->vector() != second.value()->vector());
    auto message = first->message();
    EXPECT_EQ(message.address & 0xFFF00000, 0xFEE00000u);
    EXPECT_EQ((message.address >> 12) & 0xFF, Kernel::Arch::boot_processor().apic_id);
    EXPECT_EQ(message.data, first->vector());
    Core::u32 self_apic_id = Kernel::Arch::processor(Kernel::Arch::current_processor_index()).apic_id;
    Kernel::Objects::Signals* signals = first->signals();
    for (Core::u64 round = 1; round <= 2; ++round) {
        Kernel::Arch::send_ipi(self_apic_id, first->vector());
        auto observed = signals->wait(triggered, Kernel::Time::monotonic_nanoseconds() + 2'000'000'000);
        EXPECT(!observed.is_error() && observed.value() == triggered);
        first->acknowledge();
        EXPECT_EQ(signals->current(), 0u);
        // The second round's arrives although nothing was unmasked.
        EXPECT_EQ(first->trigger_count(), round);
    }
    // The vector is free again once the object goes: vectors are handed out lowest
    // first, and the first object took the lower of the two.
    Core::u8 vector = first->vector();
    first.clear();
    auto third = Kernel::Devices::Interrupt::create_message_signaled();
    EXPECT(!third.is_error());
    if (!third.is_error())
        EXPECT_EQ(third.value()->vector(), vector);
}

// Userland/Tests/DeviceTests.cpp: timers, object_wait, ports, narrowing, and the RTC's
// periodic interrupt received through an Interrupt object. The kernel's own RTC reads
// (the wall clock at boot, kernel.time.* tests) never overlap it: tests run one at a time.
KERNEL_TEST(devices, device_calls_from_user_space)
{
    using namespace Kernel::Devices;
    auto ports = IoPortRange::create(0, ABI::io_port_count);
    auto lines = InterruptRange::create_for_all_lines();
    auto mmio = MmioRange::create_above_ram();
    EXPECT(!ports.is_error() && !lines.is_error() && !mmio.is_error());
    if (ports.is_error() || lines.is_error() || mmio.is_error())
        return;
    Kernel::Objects::HandleTable::Entry handles[] = {
        { Core::RefPtr<Kernel::Objects::KernelObject>(ports.value()),
            ABI::Right::Read | ABI::Right::Write | ABI::Right::Duplicate | ABI::Right::Transfer },
        { Core::RefPtr<Kernel::Objects::KernelObject>(lines.value()),
            ABI::Right::Manage | ABI::Right::Duplicate | ABI::Right::Transfer },
        { Core::RefPtr<Kernel::Objects::KernelObject>(mmio.value()),
            ABI::Right::Read | ABI::Right::Write | ABI::Right::Map | ABI::Right::Duplicate
                | ABI::Right::Transfer },
    };
    // Device memory the program may map and use: video memory 4 MiB into the boot frame
    // buffer's (QEMU's standard VGA has 16 MiB), past what the console draws on. 0 when
    // there is no frame buffer; the program then checks only the refusals.
    const auto& framebuffer = Kernel::Boot::boot_info().framebuffer;
    Core::u64 spare_video_memory
        = framebuffer.has_value() ? framebuffer->physical_address + 4 * 1024 * 1024 : 0;
    Kernel::Tasks::TestSupport::expect_program_passes(
        test_context, "tests/devices", spare_video_memory, handles);
}
