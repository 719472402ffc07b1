// Kernel tests of copy_from_user / copy_to_user: good copies, and every kind of bad user
// pointer refused with BadAddress and no panic.

#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Memory/MemoryManager.h>
#include <Kernel/Memory/UserCopy.h>
#include <Kernel/Test/KernelTest.h>

namespace {

namespace Memory = Kernel::Memory;

// Two adjacent user-half pages no other test uses: the first is mapped for each test, the
// second never is.
constexpr Core::u64 mapped_user_page = 0x0000004000200000ull;
constexpr Core::u64 unmapped_user_page = mapped_user_page + 0x1000;
constexpr Core::u64 alignment_check_flag = 1ull << 18;

bool is_bad_address(const Core::Result<void>& result)
{
    return result.is_error() && result.error().code() == Core::ErrorCode::BadAddress;
}

// Maps the test page as a user page (writable or not) for the test's duration.
class MappedUserPage {
public:
    explicit MappedUserPage(bool writable)
    {
        auto frame = Memory::allocate_physical_page(Memory::PageUse::Other);
        if (frame.is_error())
            return;
        Kernel::Arch::PageProtection protection { .writable = writable, .executable = false, .user = true };
        if (Memory::map_kernel_page(mapped_user_page, frame.value(), protection).is_error()) {
            Memory::free_physical_page(frame.value());
            return;
        }
        m_frame = frame.value();
    }
    ~MappedUserPage()
    {
        if (m_frame == 0)
            return;
        (void)Memory::unmap_kernel_page(mapped_user_page);
        Memory::free_physical_page(m_frame);
    }
    [[nodiscard]] bool is_mapped() const { return m_frame != 0; }

private:
    Core::u64 m_frame { 0 };
};

} // namespace

KERNEL_TEST(user_copy, round_trip_through_a_user_page)
{
    MappedUserPage page(true);
    EXPECT(page.is_mapped());
    if (!page.is_mapped())
        return;
    char message[] = "hello from the kernel";
    EXPECT(!Memory::copy_to_user(mapped_user_page + 100, message, sizeof(message)).is_error());
    char read_back[sizeof(message)] {};
    EXPECT(!Memory::copy_from_user(read_back, mapped_user_page + 100, sizeof(read_back)).is_error());
    for (Core::usize index = 0; index < sizeof(message); ++index)
        EXPECT_EQ(read_back[index], message[index]);
    // The SMAP window is closed again.
    EXPECT_EQ(Kernel::Arch::read_flags() & alignment_check_flag, 0u);
}

KERNEL_TEST(user_copy, bad_pointers_are_refused_without_a_panic)
{
    MappedUserPage page(true);
    EXPECT(page.is_mapped());
    if (!page.is_mapped())
        return;
    char buffer[64] {};
    // NULL, and kernel addresses (the kernel's own data, the direct map).
    EXPECT(is_bad_address(Memory::copy_from_user(buffer, 0, sizeof(buffer))));
    EXPECT(
        is_bad_address(Memory::copy_from_user(buffer, reinterpret_cast<Core::u64>(buffer), sizeof(buffer))));
    EXPECT(is_bad_address(Memory::copy_to_user(0xFFFF800000001000ull, buffer, sizeof(buffer))));
    // A length that runs past the end of user space, or wraps.
    EXPECT(is_bad_address(Memory::copy_from_user(buffer, mapped_user_page, ~Core::u64(0))));
    EXPECT(is_bad_address(Memory::copy_from_user(buffer, 0x00007FFFFFFFF000ull, 0x2000)));
    // Unmapped user memory: the copy faults, and the fault becomes an error.
    EXPECT(is_bad_address(Memory::copy_from_user(buffer, unmapped_user_page, sizeof(buffer))));
    EXPECT(is_bad_address(Memory::copy_to_user(unmapped_user_page + 8, buffer, sizeof(buffer))));
    // A range that starts mapped and runs into the unmapped page.
    EXPECT(is_bad_address(Memory::copy_from_user(buffer, unmapped_user_page - 16, sizeof(buffer))));
    EXPECT_EQ(Kernel::Arch::read_flags() & alignment_check_flag, 0u);
    // Zero bytes touch nothing and succeed anywhere in user space.
    EXPECT(!Memory::copy_from_user(buffer, unmapped_user_page, 0).is_error());
}

KERNEL_TEST(user_copy, a_read_only_user_page_cannot_be_written)
{
    MappedUserPage page(false);
    EXPECT(page.is_mapped());
    if (!page.is_mapped())
        return;
    char buffer[16] { 'x' };
    EXPECT(is_bad_address(Memory::copy_to_user(mapped_user_page, buffer, sizeof(buffer))));
    EXPECT(!Memory::copy_from_user(buffer, mapped_user_page, sizeof(buffer)).is_error());
}
