#include <Core/StringView.h>
#include <Kernel/Panic/Backtrace.h>
#include <Kernel/Panic/Panic.h>
#include <Kernel/Test/KernelTest.h>

// Writes to an address nothing maps (the boot identity map is gone by the time tests
// run), so the CPU raises a not-present write #PF with CR2 = 0xdeadb000. The panic test
// checks that the report names this function and that address.
[[gnu::noinline]] void deliberately_fault_on_unmapped_write()
{
    // Invariant: 0xdeadb000 is never mapped in the kernel address space (see
    // docs/boot.md); the write must fault, not land anywhere.
    auto* unmapped = reinterpret_cast<volatile Core::u32*>(0xdeadb000ull);
    *unmapped = 0x600df00d;
}

KERNEL_PANIC_TEST(panic, deliberate_page_fault)
{
    deliberately_fault_on_unmapped_write();
    // Reaching this line means the write did not fault: that is the failure.
    test_context.fail("the write to an unmapped page did not fault", __FILE__, __LINE__);
}

namespace {

using Kernel::Panic::kernel_symbols;

[[gnu::noinline]] Core::usize backtrace_innermost(Core::Span<Core::u64> addresses)
{
    Core::usize count = Kernel::Panic::collect_backtrace(
        reinterpret_cast<Core::u64>(__builtin_frame_address(0)), addresses);
    // Keep this frame from being a tail call, so the chain really has it.
    asm volatile("" ::: "memory");
    return count;
}

[[gnu::noinline]] Core::usize backtrace_outer(Core::Span<Core::u64> addresses)
{
    Core::usize count = backtrace_innermost(addresses);
    asm volatile("" ::: "memory");
    return count;
}

bool frame_is_in(Core::u64 return_address, Core::StringView name_prefix)
{
    auto match = kernel_symbols().lookup(return_address);
    return match.has_value() && match->name.starts_with(name_prefix);
}

} // namespace

KERNEL_TEST(panic, symbol_table_names_kernel_functions)
{
    EXPECT(kernel_symbols().symbol_count() > 100);
    auto address = reinterpret_cast<Core::u64>(&Kernel::Panic::collect_backtrace);
    auto match = kernel_symbols().lookup(address + 3);
    EXPECT(match.has_value());
    if (!match.has_value())
        return;
    EXPECT(match->name.starts_with("Kernel::Panic::collect_backtrace("));
    EXPECT_EQ(match->symbol_address, address);
    EXPECT_EQ(match->offset, 3u);
    auto found = kernel_symbols().address_of(match->name);
    EXPECT(found.has_value() && found.value() == address);
}

KERNEL_TEST(panic, backtrace_follows_the_call_chain)
{
    Core::u64 addresses[8] {};
    Core::usize count = backtrace_outer(Core::Span<Core::u64>(addresses, 8));
    EXPECT(count >= 3);
    if (count < 3)
        return;
    // Frame 0 returns into backtrace_outer, frame 1 into this test's body.
    EXPECT(frame_is_in(addresses[0], "(anonymous namespace)::backtrace_outer("));
    EXPECT(frame_is_in(addresses[1], "kernel_test_function_panic_backtrace_follows_the_call_chain("));
}

KERNEL_TEST(panic, backtrace_stops_at_a_bad_frame_pointer)
{
    Core::u64 addresses[4] {};
    // Unaligned, null and user-half frame pointers must end the walk without a fault.
    EXPECT_EQ(Kernel::Panic::collect_backtrace(0, Core::Span<Core::u64>(addresses, 4)), 0u);
    EXPECT_EQ(
        Kernel::Panic::collect_backtrace(0xffffffff80000003ull, Core::Span<Core::u64>(addresses, 4)), 0u);
    EXPECT_EQ(Kernel::Panic::collect_backtrace(0x1000, Core::Span<Core::u64>(addresses, 4)), 0u);
}
