#include <Kernel/Test/KernelTest.h>

extern "C" Core::u64 __stack_chk_guard;

// Overflows a local array on purpose. -fstack-protector-strong puts a canary between the
// array and the return address; the overflow changes it, and the check on return must
// catch it and name this function.
[[gnu::noinline]] void smash_the_stack_deliberately(Core::usize length)
{
    char buffer[16];
    volatile char* writer = buffer;
    for (Core::usize index = 0; index < length; ++index)
        writer[index] = 'A';
    asm volatile("" ::"r"(buffer) : "memory");
}

KERNEL_TEST(security, stack_canary_was_chosen_at_boot)
{
    // The link-time initial value is replaced at boot, and the low byte stays zero.
    EXPECT(__stack_chk_guard != 0x595E9FBD94FDA700ull);
    EXPECT(__stack_chk_guard != 0);
    EXPECT_EQ(__stack_chk_guard & 0xFF, 0u);
}

KERNEL_TEST(security, an_intact_stack_passes_the_check)
{
    smash_the_stack_deliberately(sizeof(char[16]));
}

KERNEL_PANIC_TEST(security, smashed_stack_is_reported)
{
    smash_the_stack_deliberately(64);
    test_context.fail("the smashed canary was not noticed", __FILE__, __LINE__);
}
