#pragma once

// An interrupt object: an I/O APIC line (a global system interrupt, GSI) bound to a
// vector of its own, delivered to the boot CPU, whose assertions a user-space driver
// waits for (docs/devices.md). interrupt_create makes one from an InterruptRange;
// object_wait waits for Triggered; interrupt_ack clears it and unmasks the line.
//
// The interrupt handler does the least it can, the same for every line: it masks the
// line (a level-triggered line would otherwise fire again as soon as the EOI is sent,
// before the driver has quieted its device), raises Triggered and returns; the dispatcher
// sends the EOI. It neither allocates nor blocks. The line stays masked until the driver
// acknowledges, so a device is never serviced by two interrupts at once.
//
// A line is bound at most once (a second binding is Busy), lines the kernel uses itself
// are refused (Busy), and destroying the object (its last handle closed) masks the line,
// frees the vector (waiting out a handler still running on another CPU) and releases the
// line for binding again.
//
// Rights: Wait to wait, Signal to acknowledge (interrupt_ack clears the Triggered signal,
// the ordinary work of the driver that services the line; binding and unbinding are
// what Manage on the InterruptRange is for), Duplicate, Transfer.

#include <ABI/Signals.h>
#include <Core/Error.h>
#include <Core/RefPtr.h>
#include <Core/Types.h>
#include <Kernel/Arch/x86_64/RegisterState.h>
#include <Kernel/Objects/KernelObject.h>
#include <Kernel/Objects/Signals.h>

namespace Kernel::Devices {

// A line as the I/O APIC is programmed for it.
struct InterruptLine {
    Core::u32 gsi { 0 };
    bool level_triggered { false };
    bool active_low { false };
};

class Interrupt final : public Objects::TypedKernelObject<ABI::ObjectType::Interrupt> {
public:
    // Binds `line` and unmasks it. Errors: InvalidArgument (a GSI at or past
    // max_interrupt_lines), Busy (a line the kernel uses, one bound already, or no free
    // vector), NotFound (no I/O APIC serves the GSI), OutOfMemory.
    [[nodiscard]] static Core::Result<Core::RefPtr<Interrupt>> create(const InterruptLine& line);
    ~Interrupt() override;

    // Clears Triggered, then unmasks the line: an assertion after the unmask raises it
    // again.
    void acknowledge();

    [[nodiscard]] const InterruptLine& line() const { return m_line; }
    [[nodiscard]] Core::u8 vector() const { return m_vector; }
    // How many times the line has fired since it was bound.
    [[nodiscard]] Core::u64 trigger_count() const
    {
        return __atomic_load_n(&m_trigger_count, __ATOMIC_RELAXED);
    }

    Objects::Signals* signals() override { return &m_signals; }

    // Whether the kernel keeps `gsi` for itself: GSI 0 (on PCs the 8259 PIC's output,
    // which the kernel masked for good), and the GSIs of ISA IRQ 0 (the PIT, the kernel's
    // calibration reference), 2 (the PIC cascade) and 4 (COM1, the serial console's
    // UART; the kernel drives it by polling, and a driver enabling its interrupts would
    // fight the kernel log for it).
    [[nodiscard]] static bool is_kernel_line(Core::u32 gsi);

private:
    static constexpr Core::u32 triggered = ABI::signal_bits(ABI::Signal::Triggered);

    explicit Interrupt(const InterruptLine& line)
        : m_line(line)
    {
    }
    static void handle(Arch::RegisterState& registers, void* context);

    InterruptLine m_line;
    // 0 until a vector is allocated (0 is never a device vector).
    Core::u8 m_vector { 0 };
    Objects::Signals m_signals { triggered };
    Core::u64 m_trigger_count { 0 };
};

} // namespace Kernel::Devices
