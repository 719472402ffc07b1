#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/GDT.h>
#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Arch/x86_64/SyscallEntry.h>

extern "C" char syscall_entry[];

namespace Kernel::Arch {

namespace {

constexpr Core::u32 extended_features_msr = 0xC0000080;
constexpr Core::u32 syscall_selectors_msr = 0xC0000081;
constexpr Core::u32 syscall_entry_msr = 0xC0000082;
constexpr Core::u32 syscall_flag_mask_msr = 0xC0000084;
constexpr Core::u32 kernel_gs_base_msr = 0xC0000102;
constexpr Core::u64 syscall_enable = 1;

constexpr Core::u64 trap_flag = 1ull << 8;
constexpr Core::u64 interrupt_enable_flag = 1ull << 9;
constexpr Core::u64 direction_flag = 1ull << 10;
constexpr Core::u64 nested_task_flag = 1ull << 14;
constexpr Core::u64 alignment_check = 1ull << 18;

} // namespace

void initialize_syscalls_on_this_cpu()
{
    write_msr(extended_features_msr, read_msr(extended_features_msr) | syscall_enable);
    // syscall: CS = kernel code, SS = kernel code + 8. sysretq: SS = kernel data + 8 and
    // CS = kernel data + 16, with RPL 3: the user selectors (GDT.h orders them so).
    write_msr(syscall_selectors_msr,
        (static_cast<Core::u64>(kernel_data_selector) << 48)
            | (static_cast<Core::u64>(kernel_code_selector) << 32));
    write_msr(syscall_entry_msr, reinterpret_cast<Core::u64>(syscall_entry));
    // Interrupts stay off until the entry is on the kernel stack; AC is cleared so that SMAP
    // holds from the first kernel instruction whatever the user set.
    write_msr(syscall_flag_mask_msr,
        trap_flag | interrupt_enable_flag | direction_flag | nested_task_flag | alignment_check);
    // The user's GS base while the kernel runs (swapgs exchanges it with GS base): none.
    write_msr(kernel_gs_base_msr, 0);
}

} // namespace Kernel::Arch
