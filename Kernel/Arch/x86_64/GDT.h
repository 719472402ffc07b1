#pragma once

#include <Core/Types.h>

namespace Kernel::Arch {

// Segment selectors of the GDT. The order is the one syscall/sysret require: kernel code,
// then kernel data at +8 (syscall loads SS from STAR + 8); user data, then user code at +8
// (sysret loads SS from STAR + 8 and CS from STAR + 16, with STAR naming kernel data).
inline constexpr Core::u16 kernel_code_selector = 0x08;
inline constexpr Core::u16 kernel_data_selector = 0x10;
inline constexpr Core::u16 user_data_selector = 0x18 | 3;
inline constexpr Core::u16 user_code_selector = 0x20 | 3;
inline constexpr Core::u16 task_state_selector = 0x28;
inline constexpr Core::u32 gdt_entry_count = 7;

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

struct InterruptStackRange {
    Core::u64 bottom;
    Core::u64 top;
};

// Fills `gdt` (null, kernel code and data, user data and code, 16-byte TSS descriptor) and
// `task_state` (IST
// pointers from `interrupt_stacks`, in IST order), then loads both on the calling CPU and
// reloads every segment register. Both must live as long as the CPU runs.
void load_gdt_and_tss(Core::u64 (&gdt)[gdt_entry_count], TaskStateSegment& task_state,
    const InterruptStackRange (&interrupt_stacks)[3]);

// For tests and diagnostics.
[[nodiscard]] Core::u16 read_task_register();

} // namespace Kernel::Arch
