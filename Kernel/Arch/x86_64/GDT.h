#pragma once

#include <Core/Types.h>

namespace Kernel::Arch {

// Segment selectors of the kernel GDT.
inline constexpr Core::u16 kernel_code_selector = 0x08;
inline constexpr Core::u16 kernel_data_selector = 0x10;
inline constexpr Core::u16 task_state_selector = 0x18;

// Interrupt stack table slots (1-based, as the IDT encodes them). Each fault that can
// arrive with a broken kernel stack runs on its own known-good stack.
inline constexpr Core::u8 double_fault_ist = 1;
inline constexpr Core::u8 nmi_ist = 2;
inline constexpr Core::u8 machine_check_ist = 3;

struct [[gnu::packed]] TaskStateSegment {
    Core::u32 reserved0;
    Core::u64 rsp[3];
    Core::u64 reserved1;
    Core::u64 ist[7];
    Core::u64 reserved2;
    Core::u16 reserved3;
    Core::u16 io_map_base;
};
static_assert(sizeof(TaskStateSegment) == 104);

// Loads this CPU's GDT and TSS and reloads every segment register.
void initialize_gdt_and_tss();

// For tests and diagnostics.
[[nodiscard]] const TaskStateSegment& current_task_state_segment();
[[nodiscard]] Core::u16 read_task_register();

struct InterruptStackRange {
    Core::u64 bottom;
    Core::u64 top;
};
[[nodiscard]] InterruptStackRange interrupt_stack_range(Core::u8 ist_index);

} // namespace Kernel::Arch
