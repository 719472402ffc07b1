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
// A message-signaled interrupt (MSI or MSI-X) has no line: create_message_signaled
// allocates a vector alone, and the device raises it by writing message().data to
// message().address, which whoever holds the device's configuration programs into the
// device. Such an interrupt is edge-triggered and never masked by the kernel: an
// assertion while Triggered is raised already folds into it, and the driver, woken once,
// looks at all its device's work. Destroying it frees the vector; the device must have
// stopped sending first, since a freed vector may be given to another interrupt (which
// would then see one spurious Triggered, nothing worse).
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
    // An interrupt with a vector of its own and no line, delivered to the boot CPU.
    // Errors: Busy (no free vector), OutOfMemory.
    [[nodiscard]] static Core::Result<Core::RefPtr<Interrupt>> create_message_signaled();
    ~Interrupt() override;

    // What a device writes to raise a message-signaled interrupt: the local APIC's
    // message window with the destination CPU's APIC id, and the vector, fixed delivery,
    // edge-triggered.
    struct Message {
        Core::u64 address;
        Core::u32 data;
    };
    [[nodiscard]] bool is_message_signaled() const { return m_message_signaled; }
    // Only for a message-signaled interrupt.
    [[nodiscard]] Message message() const;

    // Clears Triggered, then unmasks the line (a message-signaled interrupt has none to
    // unmask): an assertion after the unmask raises it again.
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

    explicit Interrupt(const InterruptLine& line, bool message_signaled)
        : m_line(line)
        , m_message_signaled(message_signaled)
    {
    }
    static void handle(Arch::RegisterState& registers, void* context);

    InterruptLine m_line;
    // Set once at creation: a vector without a line (m_line unused).
    bool m_message_signaled { false };
    Core::u32 m_destination_apic_id { 0 };
    // 0 until a vector is allocated (0 is never a device vector).
    Core::u8 m_vector { 0 };
    Objects::Signals m_signals { triggered };
    Core::u64 m_trigger_count { 0 };
};

} // namespace Kernel::Devices
