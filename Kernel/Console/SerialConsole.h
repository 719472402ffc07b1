#pragma once

// The serial console as a kernel object: the terminal a user types at on COM1, handed to
// process 1 (docs/console.md). The kernel keeps COM1 because its log writes there at any
// time; this object lets the console service share the UART without reprogramming it.
//
// - Input: the UART raises ISA IRQ 4 when bytes arrive. The handler moves every waiting
//   byte into a fixed ring (bytes that do not fit are dropped and counted) and raises
//   Readable. It neither allocates nor blocks.
// - Output: bytes go out as they are (no newline translation, escapes included), under the
//   kernel log's lock, so that they never land inside a log record.
//
// Rights: Read to take input, Write to send output, Wait for Readable, Duplicate, Transfer.

#include <ABI/Signals.h>
#include <Core/Error.h>
#include <Core/RefPtr.h>
#include <Core/Span.h>
#include <Core/Types.h>
#include <Kernel/Arch/x86_64/RegisterState.h>
#include <Kernel/Console/Serial16550.h>
#include <Kernel/Locking/Spinlock.h>
#include <Kernel/Objects/KernelObject.h>
#include <Kernel/Objects/Signals.h>

namespace Kernel::Console {

class SerialConsole final : public Objects::TypedKernelObject<ABI::ObjectType::SerialConsole> {
public:
    // Bytes of input held until read; a paste longer than this loses its tail.
    static constexpr Core::usize input_capacity = 4096;

    // The one object for COM1, made on first use: its interrupt is bound then, and stays
    // bound for as long as the kernel runs (a line that cannot be bound is logged, and the
    // console then only writes). NotFound without a working UART; OutOfMemory.
    [[nodiscard]] static Core::Result<Core::RefPtr<SerialConsole>> instance();

    // Moves up to `destination.size()` bytes of input, oldest first, and returns how many.
    // Clears Readable once nothing is left.
    [[nodiscard]] Core::usize read(Core::Bytes destination);
    // Sends `bytes` to the UART as they are.
    void write(Core::ReadonlyBytes bytes);

    // Input as if the UART had received it: what the interrupt handler does with each
    // byte. For the kernel's tests, which cannot type.
    void receive(Core::ReadonlyBytes bytes);

    // Bytes dropped because the ring was full, since boot.
    [[nodiscard]] Core::u64 dropped_bytes() const { return __atomic_load_n(&m_dropped, __ATOMIC_RELAXED); }

    Objects::Signals* signals() override { return &m_signals; }

private:
    static constexpr Core::u32 readable = ABI::signal_bits(ABI::Signal::Readable);

    struct InputRing {
        Core::u8 bytes[input_capacity];
        Core::u64 read_position { 0 };
        Core::u64 write_position { 0 };

        [[nodiscard]] Core::usize size() const { return write_position - read_position; }
        // False when full.
        bool push(Core::u8 byte);
    };

    explicit SerialConsole(Serial16550& uart)
        : m_uart(uart)
    {
    }
    static void handle_interrupt(Arch::RegisterState& registers, void* context);
    void raise_readable_if_input();
    // Moves what the UART holds into the ring (the interrupt handler's work).
    void drain_uart();

    Serial16550& m_uart;
    // Taken by the interrupt handler too: a leaf, never held while raising signals.
    Locking::SpinlockProtected<InputRing> m_input { "serial console input", Locking::LockRank::Leaf };
    Core::u64 m_dropped { 0 };
    Objects::Signals m_signals { readable };
};

} // namespace Kernel::Console
