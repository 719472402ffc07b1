#include <Kernel/Arch/x86_64/AddressSpaceLayout.h>
#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/FaultCatcher.h>
#include <Kernel/Arch/x86_64/StaticStacks.h>
#include <Kernel/Arch/x86_64/UserAccess.h>
#include <Kernel/Memory/MemoryManager.h>
#include <Kernel/Memory/TlbInvalidation.h>
#include <Kernel/Test/KernelTest.h>

extern "C" char __kernel_text_start[], __kernel_text_end[];
extern "C" char __kernel_rodata_start[], __kernel_data_start[];

namespace {

using Kernel::Arch::CaughtFault;
using Kernel::Arch::PageProtection;
namespace Memory = Kernel::Memory;

// Page-fault error code bits (SDM 4.7).
constexpr Core::u64 fault_present = 1u << 0;
constexpr Core::u64 fault_write = 1u << 1;
constexpr Core::u64 fault_instruction_fetch = 1u << 4;
constexpr Core::u64 page_fault_vector = 14;

// A virtual address no other kernel mapping uses, for tests to map pages at.
constexpr Core::u64 test_window = 0xFFFFFE8000000000ull;
// A user-half address, for the SMAP and SMEP tests.
constexpr Core::u64 test_user_page = 0x0000004000000000ull;

constexpr PageProtection kernel_read_write { .writable = true, .executable = false };
constexpr PageProtection kernel_read_only { .writable = false, .executable = false };

void write_byte(void* address)
{
    *static_cast<volatile Core::u8*>(address) = 0x42;
}

void read_byte(void* address)
{
    (void)*static_cast<volatile Core::u8*>(address);
}

void call_address(void* address)
{
    // Invariant: the test placed a `ret` (0xC3) at `address`; if the call is allowed at
    // all it returns at once.
    reinterpret_cast<void (*)()>(address)();
}

struct WxScan {
    Core::u32 writable_and_executable;
    Core::u64 first_offender;
};

} // namespace

KERNEL_TEST(memory, no_page_is_both_writable_and_executable)
{
    WxScan scan { 0, 0 };
    Memory::for_each_kernel_page(
        [](const Kernel::Arch::Translation& page, void* context) {
            auto* result = static_cast<WxScan*>(context);
            if (page.protection.writable && page.protection.executable) {
                if (result->writable_and_executable++ == 0)
                    result->first_offender = page.page_virtual_base;
            }
        },
        &scan);
    EXPECT_EQ(scan.writable_and_executable, 0u);
    EXPECT_EQ(scan.first_offender, 0u);
}

KERNEL_TEST(memory, kernel_image_sections_have_their_protections)
{
    auto text = Memory::translate(reinterpret_cast<Core::u64>(__kernel_text_start));
    auto rodata = Memory::translate(reinterpret_cast<Core::u64>(__kernel_rodata_start));
    auto data = Memory::translate(reinterpret_cast<Core::u64>(__kernel_data_start));
    EXPECT(text.has_value() && rodata.has_value() && data.has_value());
    if (!text.has_value() || !rodata.has_value() || !data.has_value())
        return;
    EXPECT(text->protection.executable && !text->protection.writable);
    EXPECT(!rodata->protection.executable && !rodata->protection.writable);
    EXPECT(!data->protection.executable && data->protection.writable);
    EXPECT_EQ(text->page_size, 4096u);
    // The image is mapped at a fixed offset from its load address.
    EXPECT_EQ(text->physical_address,
        reinterpret_cast<Core::u64>(__kernel_text_start) - Kernel::Arch::kernel_virtual_base);
}

KERNEL_TEST(memory, direct_map_covers_ram_without_execute)
{
    auto frame = Memory::allocate_physical_page(Kernel::Memory::PageUse::Other);
    EXPECT(!frame.is_error());
    if (frame.is_error())
        return;
    auto translation
        = Memory::translate(reinterpret_cast<Core::u64>(Memory::physical_to_virtual(frame.value())));
    EXPECT(translation.has_value());
    if (translation.has_value()) {
        EXPECT_EQ(translation->physical_address, frame.value());
        EXPECT(translation->protection.writable && !translation->protection.executable);
    }
    // The old identity map is gone: low addresses fault.
    EXPECT(!Memory::translate(0).has_value());
    EXPECT(!Memory::translate(0x100000).has_value());
    Memory::free_physical_page(frame.value());
}

KERNEL_TEST(memory, stacks_have_unmapped_guard_pages)
{
    for (const auto& stack : Kernel::Arch::static_kernel_stacks()) {
        EXPECT(!Memory::translate(stack.guard_page).has_value());
        auto lowest = Memory::translate(stack.bottom);
        EXPECT(lowest.has_value() && lowest->protection.writable && !lowest->protection.executable);
        EXPECT_EQ(stack.bottom - stack.guard_page, 4096u);
    }
}

KERNEL_TEST(memory, map_write_protect_unmap)
{
    auto frame = Memory::allocate_physical_page(Kernel::Memory::PageUse::Other);
    EXPECT(!frame.is_error());
    if (frame.is_error())
        return;
    auto* window = reinterpret_cast<void*>(test_window);
    EXPECT(!Memory::map_kernel_page(test_window, frame.value(), kernel_read_write).is_error());
    EXPECT(Memory::map_kernel_page(test_window, frame.value(), kernel_read_write).is_error());

    // A write through the new mapping lands in the frame (seen through the direct map).
    EXPECT(!Kernel::Arch::catch_fault(write_byte, window).has_value());
    Core::u8 written = *static_cast<volatile Core::u8*>(Memory::physical_to_virtual(frame.value()));
    EXPECT_EQ(written, 0x42u);

    // Read-only now: a write must fault as a protection violation, even though the TLB
    // still held the writable entry.
    EXPECT(!Memory::protect_kernel_page(test_window, kernel_read_only).is_error());
    auto write_fault = Kernel::Arch::catch_fault(write_byte, window);
    EXPECT(write_fault.has_value());
    if (write_fault.has_value()) {
        EXPECT_EQ(write_fault->vector, page_fault_vector);
        EXPECT_EQ(write_fault->faulting_address, test_window);
        EXPECT_EQ(write_fault->error_code & (fault_present | fault_write), fault_present | fault_write);
    }
    EXPECT(!Kernel::Arch::catch_fault(read_byte, window).has_value());

    // Unmapped: even a read faults, as not-present.
    auto removed = Memory::unmap_kernel_page(test_window);
    EXPECT(!removed.is_error());
    if (!removed.is_error())
        EXPECT_EQ(removed.value().physical_address, frame.value());
    auto read_fault = Kernel::Arch::catch_fault(read_byte, window);
    EXPECT(read_fault.has_value());
    if (read_fault.has_value())
        EXPECT_EQ(read_fault->error_code & fault_present, 0u);
    EXPECT(Memory::unmap_kernel_page(test_window).is_error());
    Memory::free_physical_page(frame.value());
}

KERNEL_TEST(memory, writing_kernel_text_faults)
{
    auto* text = reinterpret_cast<void*>(reinterpret_cast<Core::u64>(&write_byte));
    auto fault = Kernel::Arch::catch_fault(write_byte, text);
    EXPECT(fault.has_value());
    if (fault.has_value()) {
        EXPECT_EQ(fault->faulting_address, reinterpret_cast<Core::u64>(text));
        EXPECT_EQ(fault->error_code & (fault_present | fault_write), fault_present | fault_write);
    }
}

KERNEL_TEST(memory, executing_a_data_page_faults)
{
    auto frame = Memory::allocate_physical_page(Kernel::Memory::PageUse::Other);
    EXPECT(!frame.is_error());
    if (frame.is_error())
        return;
    auto* data = static_cast<Core::u8*>(Memory::physical_to_virtual(frame.value()));
    data[0] = 0xC3; // ret
    auto fault = Kernel::Arch::catch_fault(call_address, data);
    EXPECT(fault.has_value());
    if (fault.has_value()) {
        EXPECT_EQ(fault->faulting_address, reinterpret_cast<Core::u64>(data));
        EXPECT_EQ(fault->instruction_pointer, reinterpret_cast<Core::u64>(data));
        EXPECT(fault->error_code & fault_instruction_fetch);
    }
    Memory::free_physical_page(frame.value());
}

KERNEL_TEST(memory, smap_and_smep_keep_the_kernel_out_of_user_pages)
{
    auto frame = Memory::allocate_physical_page(Kernel::Memory::PageUse::Other);
    EXPECT(!frame.is_error());
    if (frame.is_error())
        return;
    auto* direct = static_cast<Core::u8*>(Memory::physical_to_virtual(frame.value()));
    direct[0] = 0xC3; // ret, for the SMEP half
    PageProtection user_page { .writable = true, .executable = true, .user = true };
    // A user page that is writable and executable would break W^X; make it read+execute.
    user_page.writable = false;
    EXPECT(!Memory::map_kernel_page(test_user_page, frame.value(), user_page).is_error());
    auto* user = reinterpret_cast<void*>(test_user_page);

    auto outside_window = Kernel::Arch::catch_fault(read_byte, user);
    EXPECT(outside_window.has_value());
    if (outside_window.has_value()) {
        EXPECT_EQ(outside_window->faulting_address, test_user_page);
        EXPECT(outside_window->error_code & fault_present);
    }
    {
        Kernel::Arch::UserAccessWindow window;
        EXPECT(!Kernel::Arch::catch_fault(read_byte, user).has_value());
    }
    // After the window closes, SMAP is back.
    EXPECT(Kernel::Arch::catch_fault(read_byte, user).has_value());

    auto execute_fault = Kernel::Arch::catch_fault(call_address, user);
    EXPECT(execute_fault.has_value());
    if (execute_fault.has_value())
        EXPECT(execute_fault->error_code & fault_instruction_fetch);

    EXPECT(!Memory::unmap_kernel_page(test_user_page).is_error());
    Memory::free_physical_page(frame.value());
}

KERNEL_TEST(memory, cpu_protections_are_on)
{
    Core::u64 cr4 = Kernel::Arch::read_cr4();
    EXPECT(cr4 & (1u << 20)); // SMEP
    EXPECT(cr4 & (1u << 21)); // SMAP
    EXPECT(cr4 & (1u << 11)); // UMIP
    EXPECT(Kernel::Arch::read_msr(0xC0000080) & (1u << 11)); // EFER.NXE
    EXPECT(Kernel::Arch::read_cr0() & (1u << 16)); // CR0.WP
}

KERNEL_TEST(memory, physical_pages_round_trip_and_are_counted)
{
    auto before = Memory::physical_memory_statistics();
    EXPECT(before.free_bytes > 200ull * 1024 * 1024);
    EXPECT(before.reserved_bytes > 0);
    auto block = Memory::allocate_physical_pages(4, Kernel::Memory::PageUse::Other);
    EXPECT(!block.is_error());
    if (block.is_error())
        return;
    EXPECT_EQ(block.value() % (16 * 4096), 0u);
    auto during = Memory::physical_memory_statistics();
    EXPECT_EQ(before.free_bytes - during.free_bytes, 16u * 4096);
    Memory::free_physical_pages(block.value(), 4);
    EXPECT_EQ(Memory::physical_memory_statistics().free_bytes, before.free_bytes);
}

KERNEL_TEST(memory, running_out_of_frames_is_an_error_not_a_crash)
{
    // Take every 4 MiB block, then one more must fail with OutOfMemory; give them back.
    constexpr Core::usize max_blocks = 1024;
    static Core::u64 blocks[max_blocks];
    Core::usize taken = 0;
    for (; taken < max_blocks; ++taken) {
        auto block = Memory::allocate_physical_pages(10, Kernel::Memory::PageUse::Other);
        if (block.is_error()) {
            EXPECT(block.error().code() == Core::ErrorCode::OutOfMemory);
            break;
        }
        blocks[taken] = block.value();
    }
    EXPECT(taken > 10 && taken < max_blocks);
    for (Core::usize index = 0; index < taken; ++index)
        Memory::free_physical_pages(blocks[index], 10);
}

KERNEL_TEST(memory, tlb_invalidations_are_counted)
{
    auto before = Memory::tlb_invalidation_counts();
    Memory::invalidate_range(test_window, 3 * 4096);
    Memory::invalidate_range(test_window, 1024 * 4096);
    auto after = Memory::tlb_invalidation_counts();
    EXPECT_EQ(after.pages - before.pages, 3u);
    EXPECT_EQ(after.full_flushes - before.full_flushes, 1u);
}

namespace {

// Stops only at an impossible depth, so that the compiler sees a base case.
[[gnu::noinline]] Core::u64 recurse_until_the_stack_runs_out(Core::u64 depth)
{
    volatile Core::u8 frame_filler[512];
    frame_filler[0] = static_cast<Core::u8>(depth);
    if (depth == ~0ull)
        return 0;
    Core::u64 deeper = recurse_until_the_stack_runs_out(depth + 1);
    // Using the result after the call keeps this from becoming a loop or a tail call.
    return deeper + frame_filler[0];
}

} // namespace

// Running off the bottom of the boot stack touches its guard page. The page fault cannot
// be delivered on the exhausted stack, so the CPU raises a double fault, which runs on its
// own IST stack and reports.
KERNEL_PANIC_TEST(memory, stack_overflow_hits_the_guard_page)
{
    Core::u64 depth = recurse_until_the_stack_runs_out(0);
    test_context.fail("the stack never ran out", __FILE__, __LINE__);
    EXPECT_EQ(depth, 0u);
}

// The kernel reads a user page outside a user-access window: SMAP stops it, and the panic
// report names SMAP as the cause.
KERNEL_PANIC_TEST(memory, smap_violation_is_named_in_the_report)
{
    auto frame = Memory::allocate_physical_page(Kernel::Memory::PageUse::Other);
    EXPECT(!frame.is_error());
    if (frame.is_error())
        return;
    PageProtection user_page { .writable = true, .executable = false, .user = true };
    EXPECT(!Memory::map_kernel_page(test_user_page, frame.value(), user_page).is_error());
    read_byte(reinterpret_cast<void*>(test_user_page));
    test_context.fail("a kernel read of a user page did not fault", __FILE__, __LINE__);
}

KERNEL_TEST(memory, kernel_image_alias_in_the_direct_map_is_read_only)
{
    // The image is also reachable at direct_map_base + physical; that alias must not be a
    // way around the read-only text.
    Core::u64 text_physical
        = reinterpret_cast<Core::u64>(__kernel_text_start) - Kernel::Arch::kernel_virtual_base;
    auto alias = Memory::translate(Kernel::Arch::direct_map_base + text_physical);
    EXPECT(alias.has_value());
    if (alias.has_value()) {
        EXPECT(!alias->protection.writable);
        EXPECT(!alias->protection.executable);
        EXPECT_EQ(alias->page_size, 4096u);
    }
    // The first 2 MiB use 4 KiB pages (mixed MTRR memory types there).
    auto low = Memory::translate(Kernel::Arch::direct_map_base + 0x1000);
    EXPECT(low.has_value() && low->page_size == 4096u);
}
