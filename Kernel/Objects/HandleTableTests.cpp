// In-kernel tests of the handle table on the real kernel heap: objects made with the
// no-throw heap are destroyed through KernelObject's virtual destructor when their last
// handle closes, and slot storage grows through several reallocations. The host tests
// (Tests/Host/HandleTableTests.cpp) cover the table's rules in depth; these check that the
// freestanding build does the same.

#include <Kernel/Objects/HandleTable.h>
#include <Kernel/Test/KernelTest.h>

namespace {

using Kernel::Objects::HandleTable;

class CountedEvent final : public Kernel::Objects::TypedKernelObject<ABI::ObjectType::Event> {
public:
    explicit CountedEvent(int& destroyed)
        : m_destroyed(&destroyed)
    {
    }
    ~CountedEvent() override { ++*m_destroyed; }

private:
    int* m_destroyed;
};

} // namespace

KERNEL_TEST(objects, closing_the_last_handle_destroys_the_object)
{
    int destroyed = 0;
    HandleTable table;
    auto event = Core::try_make_ref_counted<CountedEvent>(destroyed);
    EXPECT(!event.is_error());
    if (event.is_error())
        return;
    auto handle = table.add(event.release_value(), ABI::Right::Duplicate | ABI::Right::Wait);
    EXPECT(!handle.is_error());
    if (handle.is_error())
        return;
    auto copy = table.duplicate(handle.value(), ABI::Right::Wait);
    EXPECT(!copy.is_error());
    EXPECT(!table.lookup<CountedEvent>(copy.value(), ABI::Right::Wait).is_error());
    EXPECT(table.lookup<CountedEvent>(copy.value(), ABI::Right::Duplicate).error().code()
        == ABI::ErrorCode::AccessDenied);
    EXPECT(!table.close(handle.value()).is_error());
    EXPECT_EQ(destroyed, 0);
    EXPECT(!table.close(copy.value()).is_error());
    EXPECT_EQ(destroyed, 1);
    EXPECT(table.lookup<CountedEvent>(copy.value(), {}).error().code() == ABI::ErrorCode::BadHandle);
}

KERNEL_TEST(objects, slot_storage_grows_on_the_kernel_heap)
{
    int destroyed = 0;
    {
        HandleTable table;
        auto event = Core::try_make_ref_counted<CountedEvent>(destroyed);
        EXPECT(!event.is_error());
        if (event.is_error())
            return;
        Core::RefPtr<Kernel::Objects::KernelObject> object = event.release_value();
        for (Core::u32 count = 0; count < 2000; ++count) {
            auto handle = table.add(object, ABI::Right::Read);
            EXPECT(!handle.is_error());
            if (handle.is_error())
                return;
            EXPECT_EQ(HandleTable::index_of(handle.value()), count);
        }
        EXPECT_EQ(object->reference_count(), 2001u);
        EXPECT(table.check_consistency());
        object.clear();
        EXPECT_EQ(destroyed, 0);
    }
    EXPECT_EQ(destroyed, 1);
}
