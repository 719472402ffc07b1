#pragma once

// The local APIC of each CPU: interrupt acknowledgement (EOI), inter-processor interrupts
// and the per-CPU timer. x2APIC mode (MSR access) is used when CPUID offers it, xAPIC mode
// (memory-mapped registers) otherwise. docs/interrupts.md has the vector map.

#include <Core/Error.h>
#include <Core/Types.h>

namespace Kernel::Arch {

// Fixed vectors (docs/interrupts.md). Devices get vectors from allocate_interrupt_vector().
inline constexpr Core::u8 legacy_pic_base_vector = 0x20;
inline constexpr Core::u8 first_device_vector = 0x30;
inline constexpr Core::u8 last_device_vector = 0xDF;
inline constexpr Core::u8 local_timer_vector = 0xE0;
inline constexpr Core::u8 call_function_vector = 0xF0;
inline constexpr Core::u8 reschedule_vector = 0xF2;
inline constexpr Core::u8 spurious_interrupt_vector = 0xFF;

// Maps the local APIC registers (xAPIC) or switches to x2APIC, and enables the calling
// CPU's APIC. The boot CPU calls it once with the MADT's address; every other CPU calls
// enable_local_apic_on_this_cpu() when it starts.
[[nodiscard]] Core::Result<void> initialize_local_apic(Core::u64 physical_base);
void enable_local_apic_on_this_cpu();
[[nodiscard]] bool local_apic_uses_x2apic();
// True once initialize_local_apic() succeeded on the boot CPU.
[[nodiscard]] bool local_apic_ready();

[[nodiscard]] Core::u32 local_apic_id();
// Acknowledges the interrupt being handled. Never for the spurious vector.
void end_of_interrupt();

// Whether `apic_id` can be addressed as a single destination (xAPIC: 0..254; 0xFF is the
// broadcast address).
[[nodiscard]] bool is_addressable_apic_id(Core::u32 apic_id);

void send_ipi(Core::u32 apic_id, Core::u8 vector);
void send_nmi(Core::u32 apic_id);
// The AP start-up sequence (Intel SDM vol. 3, 8.4.4): INIT, then STARTUP with the page
// number of the real-mode entry point.
void send_init(Core::u32 apic_id);
void send_startup(Core::u32 apic_id, Core::u8 entry_page);

// Timer: one-shot countdown from `initial_count` at the bus clock divided by 16, raising
// local_timer_vector at zero. 0 stops the timer.
void set_local_timer_one_shot(Core::u32 initial_count);
[[nodiscard]] Core::u32 local_timer_current_count();

// TSC-deadline mode (CPUID.1:ECX[24]): the timer fires when the TSC reaches `deadline`;
// 0 disarms it. Only valid when local_timer_supports_tsc_deadline().
[[nodiscard]] bool local_timer_supports_tsc_deadline();
void set_local_timer_tsc_deadline(Core::u64 deadline);

} // namespace Kernel::Arch
