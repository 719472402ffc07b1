// A Core::Allocator for host tests that fails when told to, so that a test can make one
// particular allocation fail and check that the failure comes back as OutOfMemory and
// changes nothing. It allocates with malloc and keeps the blocks it handed out, so a
// leak or a free of a foreign block is visible (outstanding(), foreign_frees()).
//
// Free of GoogleTest, so that fuzzers can use it too.

#pragma once

#include <Core/Allocator.h>
#include <cstdlib>
#include <set>

namespace TestSupport {

class FailingAllocator final : public Core::Allocator {
public:
    FailingAllocator() = default;
    FailingAllocator(const FailingAllocator&) = delete;
    FailingAllocator& operator=(const FailingAllocator&) = delete;
    ~FailingAllocator()
    {
        for (void* storage : m_outstanding)
            std::free(storage);
    }

    void* allocate(Core::usize size) override
    {
        ++m_attempts;
        if (m_fail_all || (m_fail_countdown > 0 && --m_fail_countdown == 0)) {
            ++m_failures;
            return nullptr;
        }
        void* storage = std::malloc(size);
        if (storage)
            m_outstanding.insert(storage);
        return storage;
    }

    void deallocate(void* storage) override
    {
        if (m_outstanding.erase(storage) == 0) {
            // Not ours: count it, and leave the block alone rather than free it wrongly.
            ++m_foreign_frees;
            return;
        }
        std::free(storage);
    }

    // The `count`th allocation from now fails (1: the next one); 0 cancels.
    void fail_allocation(int count) { m_fail_countdown = count; }
    // While set, every allocation fails.
    void fail_all(bool fail) { m_fail_all = fail; }

    int attempts() const { return m_attempts; }
    // How many allocations this allocator refused.
    int failures() const { return m_failures; }
    Core::usize outstanding() const { return m_outstanding.size(); }
    int foreign_frees() const { return m_foreign_frees; }

private:
    std::set<void*> m_outstanding;
    int m_fail_countdown { 0 };
    bool m_fail_all { false };
    int m_attempts { 0 };
    int m_failures { 0 };
    int m_foreign_frees { 0 };
};

} // namespace TestSupport
