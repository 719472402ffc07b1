// User-space tests of timers, object_wait, and the device resource calls (interrupts, I/O
// ports, narrowing): every call's success and failure paths, and a real interrupt end to
// end, the CMOS RTC's periodic interrupt (ISA IRQ 8) programmed through ports 0x70/0x71.
// The kernel test kernel.devices.device_calls_from_user_space runs it with three start-up
// handles: an IoPortRange over every port, an InterruptRange over every line, and an
// MmioRange over the physical addresses above RAM. It exits with 0, or with the number of
// the first check that failed.

#include <ABI/Devices.h>
#include <ABI/Memory.h>
#include <ABI/ObjectType.h>
#include <ABI/Process.h>
#include <ABI/Rights.h>
#include <ABI/Signals.h>
#include <Userland/Runtime/System.h>
#include <Userland/Tests/Checks.h>

using ABI::ErrorCode;
using System::failure;

namespace {

constexpr uint32_t signalled = ABI::signal_bits(ABI::Signal::Signalled);
constexpr uint32_t fired = ABI::signal_bits(ABI::Signal::Fired);
constexpr uint32_t triggered = ABI::signal_bits(ABI::Signal::Triggered);
constexpr uint64_t millisecond = 1'000'000;

// The MC146818 RTC: index port (bit 7 masks NMIs while a register is selected), data
// port, and the registers the periodic interrupt needs.
constexpr uint64_t cmos_index_port = 0x70;
constexpr uint64_t cmos_data_port = 0x71;
constexpr uint64_t nmi_disable = 0x80;
constexpr uint64_t rtc_status_a = 0x0A;
constexpr uint64_t rtc_status_b = 0x0B;
constexpr uint64_t rtc_status_c = 0x0C;
constexpr uint64_t rtc_status_d = 0x0D;
// Register B: periodic interrupt enable. Register C: periodic interrupt flag.
constexpr uint64_t periodic_interrupt_enable = 0x40;
constexpr uint64_t periodic_interrupt_flag = 0x40;
// Register A's rate field (low 4 bits): 32768 >> (rate - 1) Hz, so 10 gives 64 Hz.
constexpr uint64_t rate_64_hz = 10;
constexpr uint64_t rtc_isa_irq = 8;

constexpr uint32_t raw(ABI::Rights rights)
{
    return rights.raw();
}

int64_t type_of(uint32_t handle)
{
    int64_t info = System::handle_info(handle);
    return info < 0 ? info : info >> 32;
}

int64_t rtc_read(uint32_t ports, uint64_t index)
{
    if (System::ioport_write(ports, cmos_index_port, 1, index | nmi_disable) != 0)
        return -1;
    return System::ioport_read(ports, cmos_data_port, 1);
}

bool rtc_write(uint32_t ports, uint64_t index, uint64_t value)
{
    return System::ioport_write(ports, cmos_index_port, 1, index | nmi_disable) == 0
        && System::ioport_write(ports, cmos_data_port, 1, value) == 0;
}

// Leaves the index register on status D with NMIs unmasked again, as the kernel's own
// RTC reads do.
bool rtc_release(uint32_t ports)
{
    return System::ioport_write(ports, cmos_index_port, 1, rtc_status_d) == 0;
}

} // namespace

extern "C" int64_t main(uint64_t spare_device_memory, uint64_t self_value, const ABI::StartupHandles* startup)
{
    auto self = static_cast<uint32_t>(self_value);
    CheckCounter checks;

    // The start-up handles, by type.
    if (!checks.expect(startup->count == 3))
        return checks.failed_check();
    uint32_t all_ports = startup->handles[0];
    uint32_t all_lines = startup->handles[1];
    uint32_t above_ram = startup->handles[2];
    if (!checks.expect(type_of(all_ports) == static_cast<int64_t>(ABI::ObjectType::IoPortRange)))
        return checks.failed_check();
    if (!checks.expect(type_of(all_lines) == static_cast<int64_t>(ABI::ObjectType::InterruptRange)))
        return checks.failed_check();
    if (!checks.expect(type_of(above_ram) == static_cast<int64_t>(ABI::ObjectType::MmioRange)))
        return checks.failed_check();

    // The monotonic clock moves forward.
    uint64_t start = System::clock_monotonic();
    if (!checks.expect(start > 0 && System::clock_monotonic() >= start))
        return checks.failed_check();

    // ---- object_wait -----------------------------------------------------------------
    int64_t event_value = System::event_create();
    if (!checks.expect(event_value > 0))
        return checks.failed_check();
    auto event = static_cast<uint32_t>(event_value);
    // A near deadline on an unsignalled event times out, and not before it.
    uint64_t before = System::clock_monotonic();
    if (!checks.expect(
            System::object_wait(event, signalled, before + 2 * millisecond) == failure(ErrorCode::TimedOut)))
        return checks.failed_check();
    if (!checks.expect(System::clock_monotonic() >= before + 2 * millisecond))
        return checks.failed_check();
    // A deadline already past times out at once; a raised signal wins over it.
    if (!checks.expect(System::object_wait(event, signalled, 0) == failure(ErrorCode::TimedOut)))
        return checks.failed_check();
    if (!checks.expect(
            System::event_signal(event) == 0 && System::object_wait(event, signalled, 0) == signalled))
        return checks.failed_check();
    // event_wait still works on the same signal.
    if (!checks.expect(System::event_wait(event) == 0))
        return checks.failed_check();
    // Masks: none, unknown bits, bits the type never raises.
    if (!checks.expect(
            System::object_wait(event, 0, ABI::no_deadline) == failure(ErrorCode::InvalidArgument)))
        return checks.failed_check();
    if (!checks.expect(
            System::object_wait(event, 1u << 20, ABI::no_deadline) == failure(ErrorCode::InvalidArgument)))
        return checks.failed_check();
    if (!checks.expect(
            System::object_wait(event, fired, ABI::no_deadline) == failure(ErrorCode::InvalidArgument)))
        return checks.failed_check();
    // Waiting needs Wait, which a range's handle does not carry; a process has signals, but
    // never Signalled. (An object with Wait but no signals, a thread, is checked in
    // ThreadTests.cpp.)
    if (!checks.expect(System::object_wait(all_ports, signalled, 0) == failure(ErrorCode::AccessDenied)
            && System::object_wait(self, signalled, 0) == failure(ErrorCode::InvalidArgument)))
        return checks.failed_check();
    // Missing Wait.
    int64_t signal_only = System::handle_duplicate(event, raw(ABI::Right::Signal));
    if (!checks.expect(signal_only > 0
            && System::object_wait(static_cast<uint32_t>(signal_only), signalled, 0)
                == failure(ErrorCode::AccessDenied)))
        return checks.failed_check();
    // A stale handle.
    if (!checks.expect(System::handle_close(static_cast<uint32_t>(signal_only)) == 0
            && System::object_wait(static_cast<uint32_t>(signal_only), signalled, 0)
                == failure(ErrorCode::BadHandle)))
        return checks.failed_check();

    // ---- timers ------------------------------------------------------------------------
    // Unknown flags.
    if (!checks.expect(System::timer_create(1u << 5) == failure(ErrorCode::InvalidArgument)))
        return checks.failed_check();
    int64_t one_shot_value = System::timer_create(0);
    if (!checks.expect(one_shot_value > 0))
        return checks.failed_check();
    auto one_shot = static_cast<uint32_t>(one_shot_value);
    // Its rights.
    if (!checks.expect((System::handle_info(one_shot) & 0xFFFFFFFF)
            == raw(ABI::Right::Wait | ABI::Right::Manage | ABI::Right::Duplicate | ABI::Right::Transfer)))
        return checks.failed_check();
    // A one-shot timer fires at its deadline, not before, and Fired stays raised.
    before = System::clock_monotonic();
    if (!checks.expect(System::timer_set(one_shot, before + 5 * millisecond, 0) == 0))
        return checks.failed_check();
    if (!checks.expect(System::object_wait(one_shot, fired, before + 5'000 * millisecond) == fired))
        return checks.failed_check();
    if (!checks.expect(System::clock_monotonic() >= before + 5 * millisecond))
        return checks.failed_check();
    if (!checks.expect(System::object_wait(one_shot, fired, 0) == fired))
        return checks.failed_check();
    // Cancel clears Fired; a cancelled timer never fires.
    if (!checks.expect(System::timer_set(one_shot, System::clock_monotonic() + 3 * millisecond, 0) == 0
            && System::timer_cancel(one_shot) == 0))
        return checks.failed_check();
    if (!checks.expect(System::object_wait(one_shot, fired, System::clock_monotonic() + 10 * millisecond)
            == failure(ErrorCode::TimedOut)))
        return checks.failed_check();
    // Periods under the minimum are refused; the minimum itself is accepted.
    if (!checks.expect(System::timer_set(one_shot, 0, 1) == failure(ErrorCode::InvalidArgument)))
        return checks.failed_check();
    if (!checks.expect(System::timer_set(one_shot, 0, ABI::minimum_timer_period_ns - 1)
            == failure(ErrorCode::InvalidArgument)))
        return checks.failed_check();
    if (!checks.expect(System::timer_set(one_shot, System::clock_monotonic() + 1'000 * millisecond,
                           ABI::minimum_timer_period_ns)
            == 0))
        return checks.failed_check();
    if (!checks.expect(System::timer_cancel(one_shot) == 0))
        return checks.failed_check();
    // A periodic auto-reset timer releases one wait per period.
    int64_t periodic_value = System::timer_create(static_cast<uint64_t>(ABI::TimerFlag::AutoReset));
    if (!checks.expect(periodic_value > 0))
        return checks.failed_check();
    auto periodic = static_cast<uint32_t>(periodic_value);
    before = System::clock_monotonic();
    if (!checks.expect(System::timer_set(periodic, before + 2 * millisecond, 2 * millisecond) == 0))
        return checks.failed_check();
    for (int tick = 0; tick < 4; ++tick) {
        if (!checks.expect(System::object_wait(periodic, fired, before + 5'000 * millisecond) == fired))
            return checks.failed_check();
    }
    // Four waits took at least the first deadline and three periods after it.
    if (!checks.expect(System::clock_monotonic() >= before + 8 * millisecond))
        return checks.failed_check();
    // A destroyed armed timer does no harm (the kernel cancels it first).
    if (!checks.expect(System::handle_close(periodic) == 0))
        return checks.failed_check();
    // Wrong types, missing rights, stale handles.
    if (!checks.expect(System::timer_set(event, 0, 0) == failure(ErrorCode::WrongType)))
        return checks.failed_check();
    int64_t watch_only = System::handle_duplicate(one_shot, raw(ABI::Right::Wait));
    if (!checks.expect(watch_only > 0
            && System::timer_set(static_cast<uint32_t>(watch_only), 0, 0) == failure(ErrorCode::AccessDenied)
            && System::timer_cancel(static_cast<uint32_t>(watch_only)) == failure(ErrorCode::AccessDenied)))
        return checks.failed_check();
    if (!checks.expect(System::handle_close(one_shot) == 0
            && System::timer_set(one_shot, 0, 0) == failure(ErrorCode::BadHandle)
            && System::timer_cancel(one_shot) == failure(ErrorCode::BadHandle)))
        return checks.failed_check();

    // ---- I/O ports ---------------------------------------------------------------------
    // Widths, the port space, the value's width.
    if (!checks.expect(
            System::ioport_read(all_ports, cmos_data_port, 3) == failure(ErrorCode::InvalidArgument)))
        return checks.failed_check();
    if (!checks.expect(System::ioport_read(all_ports, 0x10000, 1) == failure(ErrorCode::OutOfRange)))
        return checks.failed_check();
    if (!checks.expect(System::ioport_read(all_ports, 0xFFFF, 2) == failure(ErrorCode::OutOfRange)))
        return checks.failed_check();
    if (!checks.expect(System::ioport_write(all_ports, cmos_index_port, 1, 0x100)
            == failure(ErrorCode::InvalidArgument)))
        return checks.failed_check();
    // The kernel's serial console is refused whatever the range.
    if (!checks.expect(System::ioport_read(all_ports, 0x3F8, 1) == failure(ErrorCode::Busy)
            && System::ioport_read(all_ports, 0x3F6, 4) == failure(ErrorCode::Busy)))
        return checks.failed_check();
    // Narrowing to the two CMOS ports.
    int64_t cmos_value = System::resource_narrow(all_ports, cmos_index_port, 2);
    if (!checks.expect(cmos_value > 0
            && type_of(static_cast<uint32_t>(cmos_value))
                == static_cast<int64_t>(ABI::ObjectType::IoPortRange)))
        return checks.failed_check();
    auto cmos = static_cast<uint32_t>(cmos_value);
    // The narrowed handle keeps the rights.
    if (!checks.expect(
            (System::handle_info(cmos) & 0xFFFFFFFF) == (System::handle_info(all_ports) & 0xFFFFFFFF)))
        return checks.failed_check();
    // Accesses outside the narrowed range, and narrowing beyond it.
    if (!checks.expect(System::ioport_read(cmos, 0x72, 1) == failure(ErrorCode::OutOfRange)))
        return checks.failed_check();
    if (!checks.expect(System::ioport_read(cmos, cmos_data_port, 2) == failure(ErrorCode::OutOfRange)))
        return checks.failed_check();
    if (!checks.expect(System::ioport_read(cmos, 0x6F, 1) == failure(ErrorCode::OutOfRange)))
        return checks.failed_check();
    if (!checks.expect(System::resource_narrow(cmos, cmos_index_port, 3) == failure(ErrorCode::OutOfRange)
            && System::resource_narrow(cmos, cmos_index_port, 0) == failure(ErrorCode::InvalidArgument)
            && System::resource_narrow(cmos, ~uint64_t(0), 2) == failure(ErrorCode::OutOfRange)))
        return checks.failed_check();
    // Reading the RTC's status D (its valid-RAM bit is set on a working RTC).
    if (!checks.expect((rtc_read(cmos, rtc_status_d) & 0x80) != 0 && rtc_release(cmos)))
        return checks.failed_check();
    // Missing rights: no Write, no Duplicate (so no narrowing either).
    int64_t read_only_value = System::handle_duplicate(cmos, raw(ABI::Right::Read));
    if (!checks.expect(read_only_value > 0))
        return checks.failed_check();
    auto read_only = static_cast<uint32_t>(read_only_value);
    if (!checks.expect(System::ioport_write(read_only, cmos_index_port, 1, rtc_status_d)
            == failure(ErrorCode::AccessDenied)))
        return checks.failed_check();
    if (!checks.expect(
            System::resource_narrow(read_only, cmos_index_port, 1) == failure(ErrorCode::AccessDenied)))
        return checks.failed_check();
    if (!checks.expect(System::ioport_read(read_only, cmos_data_port, 1) >= 0))
        return checks.failed_check();
    // Wrong types.
    if (!checks.expect(System::ioport_read(event, cmos_data_port, 1) == failure(ErrorCode::WrongType)
            && System::resource_narrow(event, 0, 1) == failure(ErrorCode::WrongType)))
        return checks.failed_check();
    if (!checks.expect(System::ioport_read(all_lines, cmos_data_port, 1) == failure(ErrorCode::WrongType)))
        return checks.failed_check();

    // ---- MMIO ranges -------------------------------------------------------------------
    // Narrowing is page-granular and stays inside the range.
    // The I/O APIC's page lies above the RAM of every machine the tests boot (at most a
    // few hundred MiB).
    int64_t io_apic_page = System::resource_narrow(above_ram, 0xFEC00000, 0x1000);
    if (!checks.expect(io_apic_page > 0
            && type_of(static_cast<uint32_t>(io_apic_page))
                == static_cast<int64_t>(ABI::ObjectType::MmioRange)))
        return checks.failed_check();
    if (!checks.expect(System::resource_narrow(above_ram, 0x1000, 0x1000) == failure(ErrorCode::OutOfRange)
            && System::resource_narrow(above_ram, 0xFEC00000, 0x10) == failure(ErrorCode::InvalidArgument)
            && System::resource_narrow(above_ram, 0xFEC00010, 0x1000) == failure(ErrorCode::InvalidArgument)))
        return checks.failed_check();

    // ---- physical memory objects --------------------------------------------------------
    // Never the registers the kernel drives (the I/O APIC's page is one), nor outside the
    // range, unaligned, empty, with unknown flags, without Map, or through another type.
    constexpr uint64_t page = ABI::memory_page_size;
    int64_t read_only_range
        = System::handle_duplicate(above_ram, raw(ABI::Right::Read | ABI::Right::Duplicate));
    if (!checks.expect(read_only_range > 0
            && System::memory_object_create_physical(static_cast<uint32_t>(io_apic_page), 0xFEC00000, page)
                == failure(ErrorCode::AccessDenied)
            && System::memory_object_create_physical(above_ram, 0x1000, page)
                == failure(ErrorCode::OutOfRange)
            && System::memory_object_create_physical(above_ram, 0xFEC00010, page)
                == failure(ErrorCode::InvalidArgument)
            && System::memory_object_create_physical(above_ram, 0xFEC00000, 0)
                == failure(ErrorCode::InvalidArgument)
            && System::memory_object_create_physical(above_ram, 0xFEC00000, page, 1u << 5)
                == failure(ErrorCode::InvalidArgument)
            && System::memory_object_create_physical(static_cast<uint32_t>(read_only_range), 0xFEC00000, page)
                == failure(ErrorCode::AccessDenied)
            && System::memory_object_create_physical(event, 0xFEC00000, page)
                == failure(ErrorCode::WrongType)))
        return checks.failed_check();
    // Device memory that is there to use: mapped, written and read back.
    if (spare_device_memory != 0) {
        int64_t device_memory = System::memory_object_create_physical(
            above_ram, spare_device_memory, page, ABI::physical_write_combining);
        if (!checks.expect(device_memory > 0
                && (System::handle_info(static_cast<uint32_t>(device_memory)) & 0xFFFFFFFF)
                    == raw(ABI::Right::Read | ABI::Right::Write | ABI::Right::Map | ABI::Right::Duplicate
                        | ABI::Right::Transfer)))
            return checks.failed_check();
        int64_t mapped = System::vm_map(
            self, static_cast<uint32_t>(device_memory), 0, page, ABI::vm_read | ABI::vm_write);
        if (!checks.expect(mapped > 0))
            return checks.failed_check();
        auto* words = reinterpret_cast<volatile uint32_t*>(mapped);
        for (uint32_t index = 0; index < 64; ++index)
            words[index] = 0xA5000000u + index;
        bool read_back = true;
        for (uint32_t index = 0; index < 64; ++index)
            read_back = read_back && words[index] == 0xA5000000u + index;
        if (!checks.expect(read_back && System::vm_unmap(self, static_cast<uint64_t>(mapped), page) == 0
                && System::handle_close(static_cast<uint32_t>(device_memory)) == 0))
            return checks.failed_check();
    }

    // ---- interrupts --------------------------------------------------------------------
    // Flags, lines.
    if (!checks.expect(
            System::interrupt_create(all_lines, rtc_isa_irq, 1u << 7) == failure(ErrorCode::InvalidArgument)))
        return checks.failed_check();
    if (!checks.expect(System::interrupt_create(all_lines, rtc_isa_irq,
                           static_cast<uint64_t>(ABI::InterruptFlag::IsaIrq)
                               | static_cast<uint64_t>(ABI::InterruptFlag::LevelTriggered))
            == failure(ErrorCode::InvalidArgument)))
        return checks.failed_check();
    if (!checks.expect(
            System::interrupt_create(all_lines, 16, static_cast<uint64_t>(ABI::InterruptFlag::IsaIrq))
            == failure(ErrorCode::OutOfRange)))
        return checks.failed_check();
    if (!checks.expect(System::interrupt_create(all_lines, 1u << 20, 0) == failure(ErrorCode::OutOfRange)))
        return checks.failed_check();
    // The kernel's own lines (the PIT's IRQ 0, COM1's IRQ 4) are Busy.
    if (!checks.expect(
            System::interrupt_create(all_lines, 0, static_cast<uint64_t>(ABI::InterruptFlag::IsaIrq))
                == failure(ErrorCode::Busy)
            && System::interrupt_create(all_lines, 4, static_cast<uint64_t>(ABI::InterruptFlag::IsaIrq))
                == failure(ErrorCode::Busy)))
        return checks.failed_check();
    // A range narrowed to line 8 alone binds it, and nothing else.
    int64_t rtc_lines_value = System::resource_narrow(all_lines, rtc_isa_irq, 1);
    if (!checks.expect(rtc_lines_value > 0))
        return checks.failed_check();
    auto rtc_lines = static_cast<uint32_t>(rtc_lines_value);
    if (!checks.expect(System::interrupt_create(rtc_lines, 9, 0) == failure(ErrorCode::OutOfRange)))
        return checks.failed_check();
    // No Manage, no binding.
    int64_t no_manage = System::handle_duplicate(rtc_lines, raw(ABI::Right::Duplicate));
    if (!checks.expect(no_manage > 0
            && System::interrupt_create(static_cast<uint32_t>(no_manage), rtc_isa_irq,
                   static_cast<uint64_t>(ABI::InterruptFlag::IsaIrq))
                == failure(ErrorCode::AccessDenied)))
        return checks.failed_check();
    // Binding the RTC's line; its handle's rights.
    int64_t rtc_interrupt_value
        = System::interrupt_create(rtc_lines, rtc_isa_irq, static_cast<uint64_t>(ABI::InterruptFlag::IsaIrq));
    if (!checks.expect(rtc_interrupt_value > 0))
        return checks.failed_check();
    auto rtc_interrupt = static_cast<uint32_t>(rtc_interrupt_value);
    if (!checks.expect((System::handle_info(rtc_interrupt) & 0xFFFFFFFF)
            == raw(ABI::Right::Wait | ABI::Right::Signal | ABI::Right::Duplicate | ABI::Right::Transfer)))
        return checks.failed_check();
    // Binding it twice is Busy.
    if (!checks.expect(System::interrupt_create(
                           all_lines, rtc_isa_irq, static_cast<uint64_t>(ABI::InterruptFlag::IsaIrq))
            == failure(ErrorCode::Busy)))
        return checks.failed_check();
    // Nothing has triggered yet (the RTC's periodic interrupt is off).
    if (!checks.expect(
            System::object_wait(rtc_interrupt, triggered, System::clock_monotonic() + 20 * millisecond)
            == failure(ErrorCode::TimedOut)))
        return checks.failed_check();
    // The RTC's periodic interrupt at 64 Hz: keep register A's divider, set the rate;
    // enable the interrupt in register B; read C to clear anything pending.
    int64_t saved_a = rtc_read(cmos, rtc_status_a);
    int64_t saved_b = rtc_read(cmos, rtc_status_b);
    if (!checks.expect(saved_a >= 0 && saved_b >= 0))
        return checks.failed_check();
    if (!checks.expect(rtc_write(cmos, rtc_status_a, (static_cast<uint64_t>(saved_a) & 0xF0) | rate_64_hz)
            && rtc_write(cmos, rtc_status_b, static_cast<uint64_t>(saved_b) | periodic_interrupt_enable)
            && rtc_read(cmos, rtc_status_c) >= 0))
        return checks.failed_check();
    // Three interrupts, each waited for, serviced (reading C re-arms the RTC's
    // interrupt output) and acknowledged.
    bool all_received = true;
    for (int interrupt = 0; interrupt < 3 && all_received; ++interrupt) {
        int64_t observed
            = System::object_wait(rtc_interrupt, triggered, System::clock_monotonic() + 2'000 * millisecond);
        int64_t status_c = rtc_read(cmos, rtc_status_c);
        all_received = observed == triggered && status_c >= 0
            && (static_cast<uint64_t>(status_c) & periodic_interrupt_flag) != 0
            && System::interrupt_ack(rtc_interrupt) == 0;
    }
    // The RTC goes back as it was, whatever happened above.
    bool restored = rtc_write(cmos, rtc_status_b, static_cast<uint64_t>(saved_b))
        && rtc_write(cmos, rtc_status_a, static_cast<uint64_t>(saved_a)) && rtc_read(cmos, rtc_status_c) >= 0
        && rtc_release(cmos);
    if (!checks.expect(all_received))
        return checks.failed_check();
    if (!checks.expect(restored))
        return checks.failed_check();
    // interrupt_ack needs Signal, and the right type.
    int64_t wait_only = System::handle_duplicate(rtc_interrupt, raw(ABI::Right::Wait));
    if (!checks.expect(wait_only > 0
            && System::interrupt_ack(static_cast<uint32_t>(wait_only)) == failure(ErrorCode::AccessDenied)))
        return checks.failed_check();
    if (!checks.expect(System::interrupt_ack(event) == failure(ErrorCode::WrongType)))
        return checks.failed_check();
    // Closing the last handle unbinds the line: it can be bound again.
    if (!checks.expect(System::handle_close(static_cast<uint32_t>(wait_only)) == 0
            && System::handle_close(rtc_interrupt) == 0
            && System::interrupt_ack(rtc_interrupt) == failure(ErrorCode::BadHandle)))
        return checks.failed_check();
    int64_t again
        = System::interrupt_create(rtc_lines, rtc_isa_irq, static_cast<uint64_t>(ABI::InterruptFlag::IsaIrq));
    if (!checks.expect(again > 0 && System::handle_close(static_cast<uint32_t>(again)) == 0))
        return checks.failed_check();

    // ---- message-signaled interrupts ---------------------------------------------------
    // A vector for a device's MSI: the message names the local APIC's window and the
    // vector; nothing raises it until a device writes the message.
    ABI::InterruptMessage message {};
    int64_t message_interrupt = System::interrupt_create_message(all_lines, &message);
    if (!checks.expect(message_interrupt > 0 && (message.address & 0xFFF00000) == 0xFEE00000
            && message.data >= 32 && message.data <= 255 && message.reserved == 0))
        return checks.failed_check();
    if (!checks.expect((System::handle_info(static_cast<uint32_t>(message_interrupt)) & 0xFFFFFFFF)
                == raw(ABI::Right::Wait | ABI::Right::Signal | ABI::Right::Duplicate | ABI::Right::Transfer)
            && System::object_wait(static_cast<uint32_t>(message_interrupt), triggered,
                   System::clock_monotonic() + 5 * millisecond)
                == failure(ErrorCode::TimedOut)
            && System::interrupt_ack(static_cast<uint32_t>(message_interrupt)) == 0))
        return checks.failed_check();
    // Two interrupts, two vectors.
    ABI::InterruptMessage second_message {};
    int64_t second_interrupt = System::interrupt_create_message(all_lines, &second_message);
    if (!checks.expect(second_interrupt > 0 && second_message.data != message.data
            && System::handle_close(static_cast<uint32_t>(second_interrupt)) == 0
            && System::handle_close(static_cast<uint32_t>(message_interrupt)) == 0))
        return checks.failed_check();
    // Refused: a narrowed range (vectors are not a line's), no Manage, a bad pointer, the
    // wrong type.
    if (!checks.expect(
            System::interrupt_create_message(rtc_lines, &message) == failure(ErrorCode::OutOfRange)))
        return checks.failed_check();
    if (!checks.expect(System::interrupt_create_message(static_cast<uint32_t>(no_manage), &message)
            == failure(ErrorCode::AccessDenied)))
        return checks.failed_check();
    if (!checks.expect(
            System::interrupt_create_message(all_lines, nullptr) == failure(ErrorCode::BadAddress)))
        return checks.failed_check();
    if (!checks.expect(
            System::interrupt_create_message(all_ports, &message) == failure(ErrorCode::WrongType)))
        return checks.failed_check();

    // ---- DMA memory ------------------------------------------------------------------
    // Three pages of contiguous RAM: a physical address, zeroed, mapped like any memory.
    uint64_t dma_base = 0;
    int64_t dma = System::memory_object_create_dma(above_ram, 3 * ABI::memory_page_size, &dma_base);
    if (!checks.expect(dma > 0 && dma_base != 0 && dma_base % ABI::memory_page_size == 0))
        return checks.failed_check();
    int64_t dma_mapped = System::vm_map(
        self, static_cast<uint32_t>(dma), 0, 3 * ABI::memory_page_size, ABI::vm_read | ABI::vm_write);
    if (!checks.expect(dma_mapped > 0))
        return checks.failed_check();
    auto* dma_bytes = reinterpret_cast<volatile uint8_t*>(dma_mapped);
    bool dma_zeroed = dma_bytes[0] == 0 && dma_bytes[3 * ABI::memory_page_size - 1] == 0;
    dma_bytes[2 * ABI::memory_page_size] = 0x5A;
    uint8_t read_back = 0;
    if (!checks.expect(dma_zeroed
            && System::memory_object_read(
                   static_cast<uint32_t>(dma), 2 * ABI::memory_page_size, &read_back, 1)
                == 0
            && read_back == 0x5A))
        return checks.failed_check();
    // Two objects never share frames.
    uint64_t other_base = 0;
    int64_t other = System::memory_object_create_dma(above_ram, ABI::memory_page_size, &other_base);
    if (!checks.expect(other > 0
            && (other_base + ABI::memory_page_size <= dma_base
                || other_base >= dma_base + 3 * ABI::memory_page_size)))
        return checks.failed_check();
    // Refused: no MmioRange, one without Map, sizes, a bad pointer.
    if (!checks.expect(System::memory_object_create_dma(all_ports, ABI::memory_page_size, &other_base)
                == failure(ErrorCode::WrongType)
            && System::memory_object_create_dma(
                   static_cast<uint32_t>(read_only_range), ABI::memory_page_size, &other_base)
                == failure(ErrorCode::AccessDenied)
            && System::memory_object_create_dma(above_ram, 0, &other_base)
                == failure(ErrorCode::InvalidArgument)
            && System::memory_object_create_dma(above_ram, 100, &other_base)
                == failure(ErrorCode::InvalidArgument)
            && System::memory_object_create_dma(above_ram, 8ull << 20, &other_base)
                == failure(ErrorCode::OutOfRange)
            && System::memory_object_create_dma(above_ram, ABI::memory_page_size, nullptr)
                == failure(ErrorCode::BadAddress)))
        return checks.failed_check();

    // ---- PCI devices -----------------------------------------------------------------
    // q35's SMBus controller (00:1f.3) as a DMA master, made with the device authority; its
    // DMA memory is contiguous RAM like the above (with an IOMMU, also mapped for it).
    uint64_t smbus = ABI::pci_device_address(0, 0, 0x1F, 3);
    int64_t pci_device = System::pci_device_create(all_lines, smbus);
    if (!checks.expect(pci_device > 0
            && (System::handle_info(static_cast<uint32_t>(pci_device)) & 0xFFFFFFFF)
                == raw(ABI::Right::Map | ABI::Right::Duplicate | ABI::Right::Transfer)))
        return checks.failed_check();
    uint64_t device_dma_base = 0;
    int64_t device_dma = System::pci_device_create_dma(
        static_cast<uint32_t>(pci_device), 2 * ABI::memory_page_size, &device_dma_base);
    if (!checks.expect(
            device_dma > 0 && device_dma_base != 0 && device_dma_base % ABI::memory_page_size == 0))
        return checks.failed_check();
    int64_t device_dma_mapped = System::vm_map(
        self, static_cast<uint32_t>(device_dma), 0, 2 * ABI::memory_page_size, ABI::vm_read | ABI::vm_write);
    if (!checks.expect(
            device_dma_mapped > 0 && reinterpret_cast<volatile uint8_t*>(device_dma_mapped)[4095] == 0))
        return checks.failed_check();
    // Refused: a narrowed range, no Manage, the wrong type, an address past 32 bits.
    if (!checks.expect(System::pci_device_create(rtc_lines, smbus) == failure(ErrorCode::OutOfRange)
            && System::pci_device_create(static_cast<uint32_t>(no_manage), smbus)
                == failure(ErrorCode::AccessDenied)
            && System::pci_device_create(all_ports, smbus) == failure(ErrorCode::WrongType)
            && System::pci_device_create(all_lines, 1ull << 32) == failure(ErrorCode::InvalidArgument)))
        return checks.failed_check();
    // DMA memory refused: sizes, a bad pointer, not a PciDevice, one without Map.
    int64_t no_map = System::handle_duplicate(static_cast<uint32_t>(pci_device), raw(ABI::Right::Transfer));
    if (!checks.expect(no_map > 0
            && System::pci_device_create_dma(static_cast<uint32_t>(pci_device), 0, &other_base)
                == failure(ErrorCode::InvalidArgument)
            && System::pci_device_create_dma(static_cast<uint32_t>(pci_device), 8ull << 20, &other_base)
                == failure(ErrorCode::OutOfRange)
            && System::pci_device_create_dma(
                   static_cast<uint32_t>(pci_device), ABI::memory_page_size, nullptr)
                == failure(ErrorCode::BadAddress)
            && System::pci_device_create_dma(above_ram, ABI::memory_page_size, &other_base)
                == failure(ErrorCode::WrongType)
            && System::pci_device_create_dma(
                   static_cast<uint32_t>(no_map), ABI::memory_page_size, &other_base)
                == failure(ErrorCode::AccessDenied)))
        return checks.failed_check();
    // The device goes before its memory: the memory stays usable.
    if (!checks.expect(System::handle_close(static_cast<uint32_t>(no_map)) == 0
            && System::handle_close(static_cast<uint32_t>(pci_device)) == 0
            && System::memory_object_read(static_cast<uint32_t>(device_dma), 0, &read_back, 1) == 0
            && System::handle_close(static_cast<uint32_t>(device_dma)) == 0))
        return checks.failed_check();
    return 0;
}
